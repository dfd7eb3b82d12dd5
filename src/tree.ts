/**
 * Flattening of the user's state structure ("pytree" in JAX terms) into one Float64Array and back.
 *
 * The vector field always sees a flat `Float64Array`, which keeps the hot path monomorphic. The
 * user's structure (a number, an array, a typed array, or nested plain objects and arrays of
 * numbers) is remembered once and rebuilt only when the user asks for a structured value.
 */

/** A state as the user may pass it: a number, a (typed) array, or nested objects/arrays of numbers. */
export type StateLike = number | ArrayLike<number> | readonly StateLike[] | { readonly [key: string]: StateLike };

/** The structured type handed back for a given `y0` type (numbers widened, typed arrays kept). */
export type Structured<Y> = Y extends number
  ? number
  : Y extends Float64Array
    ? Float64Array
    : Y extends Float32Array
    ? Float32Array
    : Y extends ArrayLike<number>
      ? number[]
      : Y extends readonly (infer E)[]
        ? Structured<E>[]
        : Y extends object
          ? { -readonly [K in keyof Y]: Structured<Y[K]> }
          : never;

type Node =
  | { kind: "scalar" }
  | { kind: "flat"; size: number; typed: boolean; float32?: boolean }
  | { kind: "array"; items: Node[]; size: number }
  | { kind: "object"; keys: string[]; items: Node[]; size: number };

function sizeOf(node: Node): number {
  return node.kind === "scalar" ? 1 : node.size;
}

function isNumberArray(value: ArrayLike<unknown>): boolean {
  for (let i = 0; i < value.length; i++) if (typeof value[i] !== "number") return false;
  return true;
}

function describe(value: unknown, path: string, argName: string, api: string, open: Set<object>): Node {
  if (typeof value === "number") return { kind: "scalar" };
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    if (value instanceof BigInt64Array || value instanceof BigUint64Array) {
      throw new TypeError(`${api}: \`${argName}\`${path} is a ${value.constructor.name}; states are numbers: convert it, for example Float64Array.from(x, Number).`);
    }
    const size = (value as unknown as ArrayLike<number>).length;
    return value instanceof Float32Array ? { kind: "flat", size, typed: true, float32: true } : { kind: "flat", size, typed: true };
  }
  if (value !== null && typeof value === "object" && (Array.isArray(value) || Object.getPrototypeOf(value) === Object.prototype)) {
    if (open.has(value)) throw new TypeError(`${api}: \`${argName}\`${path} contains itself (a cycle); a state is a tree of numbers.`);
    if (Array.isArray(value) && isNumberArray(value)) return { kind: "flat", size: value.length, typed: false };
    open.add(value);
    let node: Node;
    if (Array.isArray(value)) {
      const items = value.map((v, i) => describe(v, `${path}[${i}]`, argName, api, open));
      node = { kind: "array", items, size: items.reduce((s, n) => s + sizeOf(n), 0) };
    } else {
      const keys = Object.keys(value);
      const items = keys.map((k) => describe((value as Record<string, unknown>)[k], `${path}.${k}`, argName, api, open));
      node = { kind: "object", keys, items, size: items.reduce((s, n) => s + sizeOf(n), 0) };
    }
    open.delete(value);
    return node;
  }
  throw new TypeError(
    `${api}: \`${argName}\`${path} must be a number, an array or typed array of numbers, or a plain object/array ` +
      `of those; got ${describeValue(value)}. Convert it to numbers (for example with Number(x)).`,
  );
}

/** A short description of a value for error messages. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (typeof value === "function") return `a function${value.name ? ` (${value.name})` : ""}`;
  if (typeof value === "symbol") return "a symbol";
  if (typeof value === "string") return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value)}`;
  if (typeof value === "object") return `an object of type ${value.constructor?.name ?? "Object"}`;
  return `${typeof value} ${String(value)}`;
}

/**
 * The shape of a state: flattens user values into `Float64Array`s and rebuilds them.
 *
 * @example
 * ```ts
 * const s = Structure.of({ x: 1, v: [2, 3] }, "y0");
 * s.size;                       // 3
 * s.unflatten(s.flatten({ x: 1, v: [2, 3] })); // { x: 1, v: [2, 3] }
 * ```
 */
export class Structure<Y = unknown> {
  /** Number of scalar components. */
  readonly size: number;
  /** Whether the structure is a plain flat array or typed array (the fast path). */
  readonly isFlat: boolean;
  /**
   * Whether every number of the state is held in a `Float32Array` (the solve then keeps the state
   * in float32 at every step, and gives Float32Arrays back).
   */
  readonly float32: boolean;
  private readonly root: Node;

  private constructor(root: Node) {
    this.root = root;
    this.size = sizeOf(root);
    this.isFlat = root.kind === "flat";
    this.float32 = allFloat32(root);
  }

  /** Describes `value`; `argName` and `api` (the public function) name it in error messages. */
  static of<Y>(value: Y, argName = "y0", api = "diffeqsolve"): Structure<Y> {
    return new Structure<Y>(describe(value, "", argName, api, new Set()));
  }

  /** Copies `value` (of this structure) into `out` (allocated if omitted). */
  flatten(value: unknown, out: Float64Array = new Float64Array(this.size), offset = 0): Float64Array {
    flattenInto(this.root, value, out, offset);
    return out;
  }

  /** The structure as plain data (for `JSON.stringify` and `structuredClone`). */
  toJSON(): unknown {
    return this.root;
  }

  /** Rebuilds a structure from {@link toJSON}'s data. */
  static fromJSON<Y = unknown>(data: unknown): Structure<Y> {
    checkNode(data, 0);
    return new Structure<Y>(data as Node);
  }

  /** Rebuilds a structured value from `flat[offset … offset + size)`. */
  unflatten(flat: ArrayLike<number>, offset = 0): Structured<Y> {
    return build(this.root, flat, offset) as Structured<Y>;
  }
}

/** Whether every leaf of `node` is a Float32Array (and there is at least one). */
function allFloat32(node: Node): boolean {
  if (node.kind === "scalar") return false;
  if (node.kind === "flat") return node.float32 === true;
  return node.items.length > 0 && node.items.every(allFloat32);
}

/** Throws unless `data` is a Node as {@link Structure.toJSON} writes it. */
function checkNode(data: unknown, depth: number): void {
  const bad = (): never => {
    throw new TypeError(`Structure.fromJSON: not a state structure written by toJSON(); got ${describeValue(data)}.`);
  };
  if (data === null || typeof data !== "object" || depth > 64) bad();
  const node = data as { kind?: unknown; size?: unknown; items?: unknown; keys?: unknown };
  if (node.kind === "scalar") return;
  if (node.kind === "flat") {
    if (typeof node.size !== "number" || !Number.isInteger(node.size) || node.size < 0) bad();
    return;
  }
  if (node.kind !== "array" && node.kind !== "object") bad();
  if (!Array.isArray(node.items)) bad();
  if (node.kind === "object" && (!Array.isArray(node.keys) || (node.keys as unknown[]).length !== (node.items as unknown[]).length)) bad();
  for (const item of node.items as unknown[]) checkNode(item, depth + 1);
}

function flattenInto(node: Node, value: unknown, out: Float64Array, offset: number): number {
  switch (node.kind) {
    case "scalar":
      out[offset] = value as number;
      return offset + 1;
    case "flat": {
      const v = value as ArrayLike<number>;
      for (let i = 0; i < node.size; i++) out[offset + i] = v[i]!;
      return offset + node.size;
    }
    case "array": {
      const v = value as unknown[];
      for (let i = 0; i < node.items.length; i++) offset = flattenInto(node.items[i]!, v[i], out, offset);
      return offset;
    }
    case "object": {
      const v = value as Record<string, unknown>;
      for (let i = 0; i < node.keys.length; i++) offset = flattenInto(node.items[i]!, v[node.keys[i]!], out, offset);
      return offset;
    }
  }
}

function build(node: Node, flat: ArrayLike<number>, offset: number): unknown {
  switch (node.kind) {
    case "scalar":
      return flat[offset];
    case "flat": {
      if (node.typed) {
        const r = node.float32 === true ? new Float32Array(node.size) : new Float64Array(node.size);
        for (let i = 0; i < node.size; i++) r[i] = flat[offset + i]!;
        return r;
      }
      const r: number[] = new Array(node.size);
      for (let i = 0; i < node.size; i++) r[i] = flat[offset + i]!;
      return r;
    }
    case "array": {
      const r: unknown[] = [];
      for (const item of node.items) {
        r.push(build(item, flat, offset));
        offset += sizeOf(item);
      }
      return r;
    }
    case "object": {
      const r: Record<string, unknown> = {};
      for (let i = 0; i < node.keys.length; i++) {
        const key = node.keys[i]!;
        const v = build(node.items[i]!, flat, offset);
        // An own "__proto__" key (from JSON.parse) is a data property, not the prototype setter.
        if (key === "__proto__") Object.defineProperty(r, key, { value: v, enumerable: true, writable: true, configurable: true });
        else r[key] = v;
        offset += sizeOf(node.items[i]!);
      }
      return r;
    }
  }
}
