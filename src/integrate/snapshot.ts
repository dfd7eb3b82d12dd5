/**
 * Snapshots of a solve in progress: the loop's, the controller's, the solver's and the events'
 * state as plain data (numbers, strings, typed arrays, arrays and plain objects), which
 * `structuredClone`, `postMessage` and a `worker_threads` boundary carry unchanged.
 *
 * A solver or controller state is a tree of data with some non-data leaves (functions, the
 * user's args, the loop's buffers, the solver itself). {@link captureData} copies the data and
 * marks the rest; {@link restoreData} writes the data back into a freshly initialised state of
 * the same problem, in place (typed arrays of the same length are filled, others replaced), and
 * restores references that pointed to the same typed array at the capture (buffers that a solver
 * swaps between steps). The non-data leaves keep the values of the fresh state.
 */

/** A captured value: data, or a marker for what was left out. */
export type Captured =
  | number
  | string
  | boolean
  | null
  | undefined
  | Float64Array
  | Float32Array
  | Int32Array
  | Uint32Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | { readonly $skip: true }
  | { readonly $alias: string }
  | Captured[]
  | { readonly $obj: { [key: string]: Captured } };

type TypedArray = Float64Array | Float32Array | Int32Array | Uint32Array | Int8Array | Uint8Array | Int16Array | Uint16Array;

function isTyped(v: unknown): v is TypedArray {
  return ArrayBuffer.isView(v) && !(v instanceof DataView) && !(v instanceof BigInt64Array) && !(v instanceof BigUint64Array);
}

const SKIP = Object.freeze({ $skip: true as const });

/**
 * Captures the data of `value`. Objects in `skip` below the root (and functions) are left out; a typed array met
 * a second time is recorded as an alias of the path where it was first met.
 */
export function captureData(value: unknown, skip: ReadonlySet<unknown>): Captured {
  const seen = new Map<unknown, string>();
  const walk = (v: unknown, path: string, depth: number): Captured => {
    if (v === null || v === undefined || typeof v === "number" || typeof v === "string" || typeof v === "boolean") return v as Captured;
    // The root itself is always captured (the skip set may name it to protect references to it from elsewhere).
    if (typeof v === "function" || typeof v === "symbol" || typeof v === "bigint" || (depth > 0 && skip.has(v)) || depth > 32) return SKIP;
    const first = seen.get(v);
    if (first !== undefined) return { $alias: first };
    seen.set(v, path);
    if (isTyped(v)) return v.slice();
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${path}/${i}`, depth + 1));
    if (v instanceof Map || v instanceof Set || v instanceof WeakMap || v instanceof WeakSet || v instanceof Promise) return SKIP;
    const out: { [key: string]: Captured } = {};
    for (const key of Object.keys(v as object)) {
      // Data properties only: a getter may compute (a lazily compiled kernel) and cannot be restored.
      const d = Object.getOwnPropertyDescriptor(v, key)!;
      out[key] = "value" in d && d.writable === true ? walk(d.value, `${path}/${key}`, depth + 1) : SKIP;
    }
    return { $obj: out };
  };
  return walk(value, "", 0);
}

/**
 * Writes captured data into `target` (a fresh state of the same shape), in place; returns the
 * value to store where `target` was (itself, unless it had to be replaced).
 */
export function restoreData(target: unknown, data: Captured): unknown {
  const byPath = new Map<string, unknown>();
  const aliases: { holder: Record<string, unknown> | unknown[]; key: string | number; path: string }[] = [];
  const walk = (t: unknown, d: Captured, path: string): unknown => {
    if (d !== null && typeof d === "object" && "$skip" in d) return t;
    if (d !== null && typeof d === "object" && "$alias" in d) return t; // resolved below
    if (isTyped(d)) {
      let out: unknown;
      if (isTyped(t) && t.length === d.length && t.constructor === d.constructor) {
        t.set(d as never);
        out = t;
      } else {
        out = d.slice();
      }
      byPath.set(path, out);
      return out;
    }
    if (Array.isArray(d)) {
      const arr = Array.isArray(t) ? t : [];
      byPath.set(path, arr);
      for (let i = 0; i < d.length; i++) {
        const di = d[i]!;
        if (di !== null && typeof di === "object" && "$alias" in di) aliases.push({ holder: arr, key: i, path: (di as { $alias: string }).$alias });
        else arr[i] = walk(arr[i], di, `${path}/${i}`);
      }
      arr.length = d.length;
      return arr;
    }
    if (d !== null && typeof d === "object" && "$obj" in d) {
      const obj = (t !== null && typeof t === "object" ? t : {}) as Record<string, unknown>;
      byPath.set(path, obj);
      for (const key of Object.keys(d.$obj)) {
        const dk = d.$obj[key]!;
        // What was left out keeps the fresh state's value (and a non-writable property is not written).
        if (dk !== null && typeof dk === "object" && "$skip" in dk) continue;
        if (dk !== null && typeof dk === "object" && "$alias" in dk) aliases.push({ holder: obj, key, path: (dk as { $alias: string }).$alias });
        else obj[key] = walk(obj[key], dk, `${path}/${key}`);
      }
      return obj;
    }
    return d;
  };
  const out = walk(target, data, "");
  for (const { holder, key, path } of aliases) {
    if (byPath.has(path)) (holder as Record<string | number, unknown>)[key] = byPath.get(path);
  }
  return out;
}

/** A short stable text of a value for fingerprints (typed arrays as arrays, functions by their source). */
export function fingerprintOf(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === "function") return `fn:${hashString(String(v))}`;
    if (isTyped(v)) return Array.from(v);
    return v;
  });
}

/** FNV-1a of a string, as 8 hex digits. */
export function hashString(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}
