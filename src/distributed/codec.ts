/**
 * JSON for the queue, exact to the bit: a job queue stores job data and results as JSON, which
 * has no typed arrays, no NaN, ±Infinity or −0, and no `undefined`. Encoded here as small tagged
 * objects: a typed array as `{ $t: "Float64Array", $b: base64 of its bytes }` (little-endian, as
 * on every platform Node runs on), a special number as `{ $n: "NaN" | "Infinity" | "-Infinity" |
 * "-0" }`, `undefined` as `{ $u: 1 }`, and a plain object that has a key starting with "$" as
 * `{ $o: … }`. Finite numbers are JSON numbers: JSON.stringify writes the shortest decimal that
 * reads back as the same double.
 */

const TYPED: Record<string, new (buffer: ArrayBuffer, offset: number, length: number) => ArrayLike<number>> = {
  Float64Array, Float32Array, Int32Array, Uint32Array, Int16Array, Uint16Array, Int8Array, Uint8Array, Uint8ClampedArray,
};

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/** A value as JSON-safe data (see the module comment); `path` names it in errors. */
export function encode(value: unknown, path: string): unknown {
  if (typeof value === "number") {
    if (Number.isFinite(value) && !Object.is(value, -0)) return value;
    return { $n: Object.is(value, -0) ? "-0" : String(value) };
  }
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (value === undefined) return { $u: 1 };
  if (ArrayBuffer.isView(value)) {
    const name = value.constructor.name;
    if (TYPED[name] === undefined) throw new TypeError(`${path} is a ${name}, which cannot travel through the queue; use a Float64Array, Int32Array, Uint8Array or similar.`);
    return { $t: name, $b: base64(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)) };
  }
  if (Array.isArray(value)) return value.map((x, i) => encode(x, `${path}[${i}]`));
  if (typeof value === "object") {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw new TypeError(
        `${path} is a ${(value as object).constructor?.name ?? "object"}, which cannot travel through the queue; use numbers, strings, booleans, arrays, typed arrays and plain objects.`,
      );
    }
    const out: Record<string, unknown> = {};
    let tagged = false;
    for (const [k, v] of Object.entries(value)) {
      if (k.startsWith("$")) tagged = true;
      out[k] = encode(v, `${path}.${k}`);
    }
    return tagged ? { $o: out } : out;
  }
  throw new TypeError(`${path} is a ${typeof value}, which cannot travel through the queue.`);
}

/** The value {@link encode} encoded. */
export function decode(data: unknown): unknown {
  if (data === null || typeof data !== "object") return data;
  if (Array.isArray(data)) return data.map(decode);
  const o = data as Record<string, unknown>;
  if (typeof o.$n === "string") return o.$n === "-0" ? -0 : Number(o.$n);
  if (o.$u === 1) return undefined;
  if (typeof o.$t === "string" && typeof o.$b === "string") {
    const Ctor = TYPED[o.$t];
    if (Ctor === undefined) throw new TypeError(`odeflow/distributed: unknown typed array ${o.$t} in job data.`);
    const bytes = Buffer.from(o.$b, "base64");
    // A copy on a fresh, aligned buffer (Buffer's pool may not be aligned for 8-byte elements).
    const buffer = new ArrayBuffer(bytes.byteLength);
    new Uint8Array(buffer).set(bytes);
    const size = (Ctor as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
    return new Ctor(buffer, 0, bytes.byteLength / size);
  }
  const inner = o.$o !== undefined && Object.keys(o).length === 1 ? (o.$o as Record<string, unknown>) : o;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(inner)) out[k] = decode(v);
  return out;
}
