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
import { describeValue } from "../tree.js";
import { CompileError } from "./errors.js";

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

/**
 * Names of properties every plain object inherits (`constructor`, `toString`, `__proto__`, …).
 * A parameter with such a name would silently read the inherited value when it is missing from
 * `args` (and `__proto__` cannot even be set by an object literal), so such names are refused.
 */
const INHERITED: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

/** The reason a parameter name is refused, or null when it is fine. */
export function argNameProblem(name: string): string | null {
  if (INHERITED.has(name)) {
    return `\`${name}\` is a property every JavaScript object inherits (Object.prototype.${name}), so a missing value would silently read the inherited one`;
  }
  return null;
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

/** The layout described by `options.args`, or a CompileError naming what is wrong. */
export function layoutFromSpec(spec: ArgsSpec, who = "options.args", api = ""): ArgLayout {
  // `at("")` is "`options.args`", `at(".W")` is "`options.args.W`".
  const at = (key: string): string => `\`${who}${key}\``;
  const refuse = (reason: string, hint: string, key = ""): never => {
    throw new CompileError(`${api}${at(key)} ${reason}`, hint, "");
  };
  if (typeof spec === "number") {
    if (!Number.isInteger(spec) || spec < 0) {
      refuse(`= ${spec}: a number means the length of a flat parameter vector and must be a whole number ≥ 0.`,
        "pass the length of the flat parameter vector (args: 3), a sample object (args: { k: 1 }) or a list of names (args: [\"k\"]).");
    }
    return { kind: "flat", size: spec as number };
  }
  if (ArrayBuffer.isView(spec) || (Array.isArray(spec) && spec.every((x) => typeof x === "number"))) {
    return { kind: "flat", size: (spec as ArrayLike<number>).length };
  }
  if (Array.isArray(spec)) {
    if (!spec.every((x) => typeof x === "string")) {
      refuse("as an array must hold either parameter names (strings) or sample numbers.", "write args: [\"k\", \"m\"] for named scalars, or args: [0, 0, 0] for a flat vector of 3.");
    }
    const seen = new Set<string>();
    for (const name of spec as string[]) {
      if (seen.has(name)) refuse(`lists the parameter \`${name}\` twice.`, "list each parameter once.");
      seen.add(name);
      const problem = argNameProblem(name);
      if (problem !== null) refuse(`names a parameter ${problem}.`, "rename the parameter.");
    }
    return namedLayout((spec as string[]).map((name) => ({ name, length: null })));
  }
  if (spec === null || typeof spec !== "object") {
    refuse(`must be a sample args object, a list of names, or a flat length; got ${describeValue(spec)}.`,
      "pass a sample object (args: { k: 1, W: new Float64Array(4) }), a list of names (args: [\"k\"]) or a flat length (args: 3).");
  }
  const list: { name: string; length: number | null }[] = [];
  for (const [name, v] of Object.entries(spec as object)) {
    const problem = argNameProblem(name);
    if (problem !== null) refuse(`has the key ${problem}.`, "rename the parameter.");
    if (typeof v === "number") list.push({ name, length: null });
    else if (v !== null && typeof v === "object" && typeof (v as ArrayLike<number>).length === "number" &&
      (ArrayBuffer.isView(v) || Array.from(v as ArrayLike<unknown>).every((x) => typeof x === "number"))) {
      list.push({ name, length: (v as ArrayLike<number>).length });
    } else {
      refuse(
        `must be a number or a flat array of numbers; got ${v === null ? "null" : Array.isArray(v) ? "a nested array" : describeValue(v)}.`,
        "flatten matrices row-major (W[i * cols + j]) or pass fixed values in options.consts.",
        /^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`,
      );
    }
  }
  // Own enumerable keys only: a "__proto__" key (from JSON.parse) was refused above.
  return namedLayout(list);
}

/** Copies a run-time args value into the flat vector p (used by the interpreter and chunked code). */
export function flattenArgs(layout: ArgLayout, args: unknown, p: Float64Array, missing = ""): void {
  if (layout.size === 0) return;
  if (args === undefined || args === null) throw new TypeError(missing.replace("%", String(args)));
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

/**
 * Why `args` cannot feed a vector field compiled with `layout`, or null when it can: it must be a
 * Float64Array of the flat parameters (at least `size` of them), or, for named layouts, an object
 * with a number for every scalar parameter and an array of the right length for every array one.
 */
export function argsProblem(layout: ArgLayout, args: unknown): string | null {
  if (layout.size === 0) return null;
  if (args instanceof Float64Array) {
    return args.length >= layout.size ? null : `\`args\` is a Float64Array of ${args.length} but the vector field reads ${layout.size} parameters`;
  }
  if (layout.kind === "flat") {
    if (args === null || typeof args !== "object" || typeof (args as ArrayLike<number>).length !== "number") {
      return `\`args\` is ${describeValue(args)} but the vector field reads a flat parameter vector of ${layout.size} (args[0] … args[${layout.size - 1}])`;
    }
    const a = args as ArrayLike<unknown>;
    if (a.length < layout.size) return `\`args\` has ${a.length} entries but the vector field reads ${layout.size}`;
    return null;
  }
  const names = layout.entries.map((e) => e.name).join(", ");
  if (args === null || typeof args !== "object") return `\`args\` is ${describeValue(args)} but the vector field reads the parameters ${names}`;
  const obj = args as Record<string, unknown>;
  for (const e of layout.entries) {
    const v = Object.prototype.hasOwnProperty.call(obj, e.name) ? obj[e.name] : undefined;
    if (e.length === null) {
      if (typeof v !== "number") return `\`args.${e.name}\` is ${describeValue(v)} but the vector field reads it as a number`;
    } else if (v === null || typeof v !== "object" || typeof (v as ArrayLike<number>).length !== "number" || (v as ArrayLike<number>).length < e.length) {
      return `\`args.${e.name}\` is ${describeValue(v)} but the vector field reads it as an array of ${e.length} numbers`;
    }
  }
  return null;
}
