/**
 * Code generation: an instruction list (the nodes that the outputs need, in topological order) to
 * straight-line JavaScript.
 *
 * Inputs are read once into `const` locals, each operation becomes one `const` local, outputs are
 * written into a caller-owned `Float64Array`. Lists longer than {@link MAX_OPS} operations are
 * split into several functions that pass intermediate values through a preallocated scratch
 * array, so that each stays small enough for V8's optimising compiler. The source is
 * self-contained (it allocates its scratch arrays once, when evaluated), which is what
 * `toSource` exports and what `new Function` evaluates.
 */
import { type ArgLayout } from "./args.js";
import { cone } from "./derivatives.js";
import { CompileError } from "./errors.js";
import { Graph, literal, Op, opSource } from "./graph.js";

/**
 * Operations per generated function. V8's optimising compiler takes functions up to a bytecode
 * budget, but its compile time grows faster than linearly with size and, until a function is
 * optimised, every double it computes is boxed. Measured on a 4,400-operation vector field
 * (Node 20): with 2,000-operation chunks the VJP ran at 120 µs per call and took seconds to warm
 * up; with 500, 27 µs; smaller vector fields (one chunk either way) are unaffected.
 */
export const MAX_OPS = 500;

/** What one kernel computes and how it is called. */
export interface KernelSpec {
  /** Parameter names; the last is the output array. With an extra vector input: (t, y, args, x, out). */
  params: readonly string[];
  /** Output node per slot of `out`. */
  outputs: readonly number[];
  /** Whether the kernel reads an extra vector (X nodes) as its fourth parameter. */
  hasX: boolean;
  /** Write zeros first and then only the slots whose node is not the constant 0 (Jacobians). */
  zeroFill?: boolean;
  /** Index in `out` of each output (default: its position); with `zeroFill`, for sparse writes. */
  slots?: readonly number[];
  /**
   * Two output arrays: outputs before `split` go to the second-last parameter, the rest to the
   * last one (at index − split). Used by vjpBoth.
   */
  split?: number;
}

/** The instruction list of a kernel: the non-constant, non-input nodes it needs, ascending. */
export interface Program {
  /** Nodes in evaluation order (inputs and operations; constants are inlined). */
  nodes: Int32Array;
  outputs: readonly number[];
}

/** The instruction list for `outputs`. */
export function program(g: Graph, outputs: readonly number[]): Program {
  const mark = cone(g, outputs);
  const list: number[] = [];
  for (let id = 0; id < mark.length; id++) if (mark[id] && g.op[id] !== Op.CONST) list.push(id);
  return { nodes: Int32Array.from(list), outputs };
}

/** Source of the statements reading parameter slots into locals `p<k>`, from `args` directly. */
function argReads(layout: ArgLayout, used: readonly number[]): string {
  if (used.length === 0) return "";
  const flat = used.map((k) => `p${k} = args[${k}];`).join(" ");
  const decl = `let ${used.map((k) => `p${k}`).join(", ")};\n${missingArgsCheck(layout)}\n`;
  if (layout.kind === "flat") return decl + flat + "\n";
  const named: string[] = [];
  // An array entry is read once into a local named by its position in the layout (`a<index>`),
  // never by its name: names are arbitrary strings ("a-b" and "a_b" are both valid keys).
  const arrays = new Map<number, string>();
  const entryOf = new Int32Array(layout.size);
  layout.entries.forEach((e, index) => entryOf.fill(index, e.offset, e.offset + (e.length ?? 1)));
  for (const k of used) {
    const index = entryOf[k]!;
    const e = layout.entries[index]!;
    if (e.length === null) named.push(`p${k} = args${prop(e.name)};`);
    else {
      arrays.set(index, `const a${index} = args${prop(e.name)};`);
      named.push(`p${k} = a${index}[${k - e.offset}];`);
    }
  }
  const hoist = [...arrays.values()].join(" ");
  if (layout.byNameOnly === true) return `${decl}${hoist} ${named.join(" ")}\n`;
  return `${decl}if (args instanceof Float64Array) { ${flat} } else { ${hoist} ${named.join(" ")} }\n`;
}

/**
 * A statement that throws a TypeError naming the parameters when `args` is undefined or null (one
 * comparison per call; without it the generated code would fail with "Cannot read properties of
 * undefined" from code the user never wrote).
 */
export function missingArgsCheck(layout: ArgLayout): string {
  return `if (args === undefined || args === null) throw new TypeError(${JSON.stringify(missingArgsMessage(layout))}.replace("%", String(args)));`;
}

/** The message of {@link missingArgsCheck} ("%" stands for the value given). */
export function missingArgsMessage(layout: ArgLayout): string {
  const names = layout.kind === "flat" ? `a flat vector of ${layout.size}` : layout.entries.map((e) => e.name).slice(0, 6).join(", ") + (layout.entries.length > 6 ? ", …" : "");
  return `compiled vector field: \`args\` is % but the field reads parameters (${names}); pass them in the solve's args`;
}

/** Source statements filling the flat scratch `P` from args (used by split kernels). */
export function flattenSource(layout: ArgLayout): string {
  if (layout.size === 0) return "";
  const lines: string[] = [missingArgsCheck(layout)];
  if (layout.kind === "flat") {
    lines.push(`for (let i = 0; i < ${layout.size}; i++) P[i] = args[i];`);
  } else {
    const byName = layout.byNameOnly === true;
    if (!byName) lines.push(`if (args instanceof Float64Array) { for (let i = 0; i < ${layout.size}; i++) P[i] = args[i]; } else {`);
    for (const e of layout.entries) {
      if (e.length === null) lines.push(`  P[${e.offset}] = args${prop(e.name)};`);
      else lines.push(`  { const a = args${prop(e.name)}; for (let i = 0; i < ${e.length}; i++) P[${e.offset} + i] = a[i]; }`);
    }
    if (!byName) lines.push("}");
  }
  return lines.join("\n");
}

/** A property access `.name` or `["name"]` (any string gives valid source). */
function prop(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
}

/** Expression for node `id` inside generated code (constants inlined, others by local name). */
function ref(g: Graph, id: number): string {
  return g.op[id] === Op.CONST ? literal(g.value[id]!) : localName(g, id);
}
function localName(g: Graph, id: number): string {
  switch (g.op[id]) {
    case Op.T: return "t";
    case Op.Y: return `y${g.a[id]}`;
    case Op.P: return `p${g.a[id]}`;
    case Op.X: return `x${g.a[id]}`;
    default: return `v${id}`;
  }
}

/** `const vN = …;` for an operation node. */
function opLine(g: Graph, id: number): string {
  const op = g.op[id] as Op;
  const a = ref(g, g.a[id]!);
  const b = op >= Op.ADD ? ref(g, g.b[id]!) : "";
  const c = op === Op.SELECT ? ref(g, g.c[id]!) : "";
  return `const v${id} = ${opSource(op, a, b, c, op === Op.POWC ? g.value[g.b[id]!]! : NaN)};`;
}

function outputLines(g: Graph, spec: KernelSpec, out: string, out2: string, slots: readonly number[]): string[] {
  const lines: string[] = [];
  for (const i of slots) {
    const o = spec.outputs[i]!;
    if (spec.zeroFill && g.op[o] === Op.CONST && g.value[o] === 0) continue;
    if (spec.split !== undefined) lines.push(i < spec.split ? `${out}[${i}] = ${ref(g, o)};` : `${out2}[${i - spec.split}] = ${ref(g, o)};`);
    else lines.push(`${out}[${spec.slots === undefined ? i : spec.slots[i]!}] = ${ref(g, o)};`);
  }
  return lines;
}

/**
 * The self-contained source of a kernel: a function body that, evaluated with `new Function`,
 * returns the kernel function `(t, y, args, [x,] out) => void`.
 */
export function kernelSource(g: Graph, spec: KernelSpec, layout: ArgLayout, name: string): string {
  const prog = program(g, spec.outputs);
  const ops = Array.from(prog.nodes).filter((id) => g.op[id]! >= Op.NEG);
  const params = spec.params.join(", ");
  // With two output arrays (split), `out` is the first and `out2` the second.
  const two = spec.split !== undefined;
  const out = spec.params[spec.params.length - (two ? 2 : 1)]!;
  const out2 = two ? spec.params[spec.params.length - 1]! : "";
  const x = spec.hasX ? spec.params[3]! : "";
  const fill = spec.zeroFill ? `${out}.fill(0);\n` : "";
  if (ops.length <= MAX_OPS) {
    const body: string[] = [];
    const usedP: number[] = [];
    for (const id of prog.nodes) {
      const op = g.op[id] as Op;
      if (op === Op.Y) body.push(`const y${g.a[id]} = y[${g.a[id]}];`);
      else if (op === Op.X) body.push(`const x${g.a[id]} = ${x}[${g.a[id]}];`);
      else if (op === Op.P) usedP.push(g.a[id]!);
    }
    for (const id of ops) body.push(opLine(g, id));
    body.push(...outputLines(g, spec, out, out2, spec.outputs.map((_, i) => i)));
    return `"use strict";\nreturn function ${name}(${params}) {\n${fill}${argReads(layout, usedP)}${body.join("\n")}\n};`;
  }
  // Split: chunks of MAX_OPS operations; values crossing a chunk boundary go through W.
  const chunkOf = new Int32Array(g.size).fill(-1);
  const chunks: number[][] = [];
  for (let i = 0; i < ops.length; i += MAX_OPS) chunks.push(ops.slice(i, i + MAX_OPS));
  chunks.forEach((ids, c) => { for (const id of ids) chunkOf[id] = c; });
  const slot = new Map<number, number>();
  const needs: Set<number>[] = chunks.map(() => new Set());
  const operandsOf = (id: number): number[] => {
    const op = g.op[id]!;
    return op === Op.SELECT ? [g.a[id]!, g.b[id]!, g.c[id]!] : op >= Op.ADD ? [g.a[id]!, g.b[id]!] : [g.a[id]!];
  };
  const outSlots: number[][] = chunks.map(() => []);
  // An output computed by an operation is written by that operation's chunk; outputs that are
  // inputs or constants (du = v of a second-order system) are spread evenly over the chunks, so
  // that no function holds hundreds of thousands of locals (its frame overflows the stack).
  const plain = spec.outputs.filter((o) => chunkOf[o]! < 0).length;
  let k = 0;
  spec.outputs.forEach((o, i) => outSlots[chunkOf[o]! >= 0 ? chunkOf[o]! : Math.floor((k++ * chunks.length) / plain)]!.push(i));
  chunks.forEach((ids, c) => {
    for (const id of ids) {
      for (const a of operandsOf(id)) {
        if (g.op[a]! >= Op.NEG && chunkOf[a]! !== c) {
          needs[c]!.add(a);
          if (!slot.has(a)) slot.set(a, slot.size);
        }
      }
    }
  });
  const parts: string[] = [];
  chunks.forEach((ids, c) => {
    const inputs = new Set<number>();
    for (const id of ids) for (const a of operandsOf(id)) if (g.op[a]! > Op.CONST && g.op[a]! < Op.NEG) inputs.add(a);
    for (const i of outSlots[c]!) { const o = spec.outputs[i]!; if (g.op[o]! > Op.CONST && g.op[o]! < Op.NEG) inputs.add(o); }
    const lines: string[] = [];
    for (const id of [...inputs].sort((a, b) => a - b)) {
      const op = g.op[id] as Op;
      if (op === Op.Y) lines.push(`const y${g.a[id]} = y[${g.a[id]}];`);
      else if (op === Op.X) lines.push(`const x${g.a[id]} = x[${g.a[id]}];`);
      else if (op === Op.P) lines.push(`const p${g.a[id]} = P[${g.a[id]}];`);
    }
    for (const a of [...needs[c]!].sort((p, q) => p - q)) lines.push(`const v${a} = W[${slot.get(a)}];`);
    for (const id of ids) {
      lines.push(opLine(g, id));
      if (slot.has(id)) lines.push(`W[${slot.get(id)}] = v${id};`);
    }
    // Not push(...list): a chunk can own hundreds of thousands of outputs (du = v of a large
    // wave equation), more arguments than a call may take.
    for (const line of outputLines(g, spec, "out", "out2", outSlots[c]!)) lines.push(line);
    parts.push(`function ${name}_${c}(t, y, P, x, out, out2) {\n${lines.join("\n")}\n}`);
  });
  const calls = chunks.map((_, c) => `${name}_${c}(t, y, P, ${spec.hasX ? x : "null"}, ${out}, ${two ? out2 : "null"});`).join("\n");
  return `"use strict";\nconst P = new Float64Array(${Math.max(1, layout.size)}), W = new Float64Array(${Math.max(1, slot.size)});\n` +
    `${parts.join("\n")}\nreturn function ${name}(${params}) {\n${fill}${flattenSource(layout)}\n${calls}\n};`;
}

/** Evaluates a kernel's source into the kernel function. */
export function instantiate<F>(source: string): F {
  try {
    return new Function(source)() as F;
  } catch (e) {
    // Generated code is valid JavaScript by construction; if the engine refuses it, say so
    // plainly rather than let a SyntaxError from code the user never wrote escape.
    const err = new CompileError(
      `internal error: the generated code was refused by the JavaScript engine (${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}).`,
      "this is a bug in odeflow's code generator; please report it with the vector field. Meanwhile compile with { mode: \"interpreter\" }.",
      "",
    );
    (err as { cause?: unknown }).cause = e;
    throw err;
  }
}

/** The number of operation nodes a set of outputs needs (the size of its instruction list). */
export function operationCount(g: Graph, outputs: readonly number[]): number {
  const prog = program(g, outputs);
  let n = 0;
  for (const id of prog.nodes) if (g.op[id]! >= Op.NEG) n++;
  return n;
}

/**
 * A vector field's evaluation as inlinable source, for fused Runge–Kutta kernels: `prelude`
 * reads the parameters from `args` once (into `p<k>` locals); `body(t, y, out)` is a block that
 * evaluates f at time expression `t` on array `y` into array `out`, with the same operations in
 * the same order as the generated `f`.
 */
export interface InlineSource {
  readonly prelude: string;
  /** Number of operations of one evaluation. */
  readonly operations: number;
  body(t: string, y: string, out: string): string;
  /**
   * The evaluation on scalar locals: `y(j)` names the local holding component j (and `x(j)`
   * component j of the extra input vector, for derivative kernels); locals it declares are
   * prefixed with `prefix`. Returns the statements and one expression per output.
   */
  scalar(t: string, y: (j: number) => string, prefix: string, x?: (j: number) => string): { code: string; outputs: string[] };
}

/** The inlinable source of f (see {@link InlineSource}). */
export function inlineSource(g: Graph, outputs: readonly number[], layout: ArgLayout): InlineSource {
  const prog = program(g, outputs);
  const usedP: number[] = [];
  const ys: number[] = [];
  let usesT = false;
  const ops: number[] = [];
  for (const id of prog.nodes) {
    const op = g.op[id] as Op;
    if (op === Op.P) usedP.push(g.a[id]!);
    else if (op === Op.Y) ys.push(g.a[id]!);
    else if (op === Op.T) usesT = true;
    else if (op >= Op.NEG) ops.push(id);
  }
  // `t` inside the block is `tt` (a block-scoped copy of the stage time).
  const lines: string[] = [];
  // State locals are `_y<i>` so that they cannot shadow the kernel's own y0, y1 arrays.
  const rename = (code: string): string => code.replace(/\bt\b/g, "tt").replace(/\by(\d+)\b/g, "_y$1");
  for (const id of ops) lines.push(rename(opLine(g, id)));
  const outs = outputs.map((o, i) => [i, rename(ref(g, o))] as const);
  return {
    prelude: argReads(layout, usedP),
    operations: ops.length,
    scalar(t: string, y: (j: number) => string, prefix: string, x?: (j: number) => string) {
      const sub = (code: string): string => {
        const c = code.replace(/\bt\b/g, `${prefix}t`).replace(/\by(\d+)\b/g, (_, j) => y(Number(j))).replace(/\bv(\d+)\b/g, `${prefix}v$1`);
        return x === undefined ? c : c.replace(/\bx(\d+)\b/g, (_, j) => x(Number(j)));
      };
      const head = usesT ? `const ${prefix}t = ${t};\n` : "";
      return {
        code: head + ops.map((id) => sub(opLine(g, id))).join("\n"),
        outputs: outputs.map((o) => sub(ref(g, o))),
      };
    },
    body(t: string, y: string, out: string): string {
      const head = (usesT ? [`const tt = ${t};`] : []).concat(ys.map((i) => `const _y${i} = ${y}[${i}];`));
      return `{\n${head.join("\n")}\n${lines.join("\n")}\n${outs.map(([i, r]) => `${out}[${i}] = ${r};`).join("\n")}\n}`;
    },
  };
}
