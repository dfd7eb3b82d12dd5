/**
 * How `args` maps to the flat parameter vector p of a compiled vector field (fixed at compile time).
 *
 * - Named (an object): the entries in order (the order of `options.args`' keys when a sample is
 *   given, else the order in which the function first uses them). A number entry takes one slot
 *   (`argNames` entry `"k"`); an array entry of length m takes m consecutive slots (`"W[0]"`, …,
 *   `"W[m-1]"`). p is their concatenation.
 * - Flat (`args` is a `Float64Array` or number array read as `args[i]`): p is `args` itself,
 *   `argNames` are `"args[0]"`, ….
 *
 * At run time a named vector field also accepts a `Float64Array` holding p itself; this is how
 * gradients with respect to args (`jacArgs`, `jvpArgs`, `vjpArgs`) are indexed.
 */

/** One named entry of the parameter layout. */
export interface ArgEntry {
  readonly name: string;
  /** null: a number; otherwise the length of an array entry. */
  readonly length: number | null;
  /** Index of its first slot in p. */
  readonly offset: number;
}

/**
 * The parameter layout of a compiled vector field. `byNameOnly`: a named layout whose kernels read
 * args by name even when it is a `Float64Array` (automatic compilation, where f itself would).
 */
export type ArgLayout =
  | { readonly kind: "flat"; readonly size: number }
  | { readonly kind: "named"; readonly entries: readonly ArgEntry[]; readonly size: number; readonly byNameOnly?: boolean };

/** What `options.args` may be: a sample value, a list of scalar names, or the flat length. */
export type ArgsSpec = Record<string, number | ArrayLike<number>> | Float64Array | readonly number[] | readonly string[] | number;

/** The names of the slots of p, in order. */
export function argNamesOf(layout: ArgLayout): string[] {
  const names: string[] = [];
  if (layout.kind === "flat") {
    for (let i = 0; i < layout.size; i++) names.push(`args[${i}]`);
  } else {
    for (const e of layout.entries) {
      if (e.length === null) names.push(e.name);
      else for (let i = 0; i < e.length; i++) names.push(`${e.name}[${i}]`);
    }
  }
  return names;
}

/** Builds a layout from named entries (name, length) in order. */
export function namedLayout(list: readonly { name: string; length: number | null }[]): ArgLayout {
  let offset = 0;
  const entries: ArgEntry[] = [];
  for (const { name, length } of list) {
    entries.push({ name, length, offset });
    offset += length === null ? 1 : length;
  }
  return { kind: "named", entries, size: offset };
}

/** The layout described by `options.args`, or a TypeError naming what is wrong. */
export function layoutFromSpec(spec: ArgsSpec): ArgLayout {
  if (typeof spec === "number") {
    if (!Number.isInteger(spec) || spec < 0) {
      throw new TypeError(`compile: \`options.args\` = ${spec}: a number means the length of a flat parameter vector and must be a whole number ≥ 0.`);
    }
    return { kind: "flat", size: spec };
  }
  if (ArrayBuffer.isView(spec) || (Array.isArray(spec) && spec.every((x) => typeof x === "number"))) {
    return { kind: "flat", size: (spec as ArrayLike<number>).length };
  }
  if (Array.isArray(spec)) {
    if (!spec.every((x) => typeof x === "string")) {
      throw new TypeError("compile: `options.args` as an array must hold either parameter names (strings) or sample numbers.");
    }
    return namedLayout((spec as string[]).map((name) => ({ name, length: null })));
  }
  if (spec === null || typeof spec !== "object") {
    throw new TypeError(`compile: \`options.args\` must be a sample args object, a list of names, or a flat length; got ${spec === null ? "null" : typeof spec}.`);
  }
  const list: { name: string; length: number | null }[] = [];
  for (const [name, v] of Object.entries(spec)) {
    if (typeof v === "number") list.push({ name, length: null });
    else if (v !== null && typeof v === "object" && typeof (v as ArrayLike<number>).length === "number" &&
      (ArrayBuffer.isView(v) || Array.from(v as ArrayLike<unknown>).every((x) => typeof x === "number"))) {
      list.push({ name, length: (v as ArrayLike<number>).length });
    } else {
      throw new TypeError(
        `compile: \`options.args.${name}\` must be a number or a flat array of numbers; got ${v === null ? "null" : Array.isArray(v) ? "a nested array" : typeof v}. ` +
          "Flatten matrices row-major (W[i * cols + j]) or pass fixed values in options.consts.",
      );
    }
  }
  return namedLayout(list);
}

/** Copies a run-time args value into the flat vector p (used by the interpreter and chunked code). */
export function flattenArgs(layout: ArgLayout, args: unknown, p: Float64Array): void {
  if (layout.size === 0) return;
  if (layout.kind === "flat" || (args instanceof Float64Array && layout.byNameOnly !== true)) {
    const a = args as ArrayLike<number>;
    for (let i = 0; i < layout.size; i++) p[i] = a[i]!;
    return;
  }
  const obj = args as Record<string, number | ArrayLike<number>>;
  for (const e of layout.entries) {
    const v = obj[e.name];
    if (e.length === null) p[e.offset] = v as number;
    else {
      const arr = v as ArrayLike<number>;
      for (let i = 0; i < e.length; i++) p[e.offset + i] = arr[i]!;
    }
  }
}
