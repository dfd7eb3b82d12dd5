/**
 * A compiled vector field (the expression graph of `compile`) as WebAssembly, SIMD where the
 * field is regular.
 *
 * `compile` unrolls loops, so a method-of-lines field reaches us as n output expressions. Most of
 * them are the same expression shifted along the state: du_i = c·(u_(i−1) − 2u_i + u_(i+1)) for
 * every interior i. The field is therefore re-rolled: each output's expression (its cone of
 * operations that depend on y, in post-order) is written relative to its index i (y_(i+d) for
 * the component read at offset d; constants as numbered slots; values that do not depend on y,
 * such as parameters and the time, as references to nodes computed once per evaluation). Runs of
 * consecutive outputs with the same relative expression become one loop, two outputs per
 * iteration (f64x2); constants that vary along a run are read from a table. The remaining
 * outputs (boundaries, irregular fields) are straight-line scalar code, split into functions of
 * {@link CHUNK_OPS} operations.
 *
 * Every lane computes the graph's operations on the same operands as the generated JavaScript,
 * so results are bit-identical: arithmetic, sqrt, abs, floor, ceil, trunc, min and max are
 * WebAssembly instructions with JavaScript's IEEE semantics; comparisons, `!` and `?:` are
 * masks; the other `Math` functions, `**` and `%` are imported from JavaScript and called per
 * component.
 */
import { Graph, MATH_BINARY, MATH_UNARY, Op } from "../compile/graph.js";
import { flattenArgs, type ArgLayout } from "../compile/args.js";
import { reducedPower } from "../compile/powers.js";
import { Code, type ModuleBuilder, ValType } from "./encoder.js";
import { I32, i32Addr } from "./layout.js";

/** Largest re-rolled expression (operations in one output's cone). */
const MAX_TEMPLATE_OPS = 64;
/** Shortest run of equal expressions worth a loop. */
const MIN_RUN = 4;
/** Operations per straight-line function. */
const CHUNK_OPS = 1000;
/** A field with more straight-line operations than this is not compiled to WebAssembly. */
export const MAX_STRAIGHT_OPS = 200_000;

/** A reference to a value inside a template: an earlier operation, a constant slot, or a per-evaluation value. */
const enum RefKind { Op, Const, Inv }
interface Ref { kind: RefKind; v: number }
/** One operation of a template; op Y loads y_(i+d). */
interface TOp { op: Op; d: number; args: Ref[] }

interface Template {
  ops: TOp[];
  constCount: number;
  invs: number[];
  dmin: number;
}

interface Run {
  i0: number;
  m: number;
  /** Function of the template specialised to the run's uniform constants. */
  fn: number;
  /** Offset (in doubles) of the run's table of varying constants. */
  table: number;
}

/** How the outputs of a field are computed. */
export interface FieldPlan {
  readonly n: number;
  readonly g: Graph;
  readonly outputs: readonly number[];
  /** Runs of outputs computed by loops. */
  readonly runs: { i0: number; m: number; template: Template; consts: number[][] }[];
  /** Outputs computed by straight-line code. */
  readonly straight: number[];
  /** Imported functions needed, by op. */
  readonly imports: Set<Op>;
  /** Operations in straight-line code. */
  readonly straightOps: number;
}

/** varying[id]: node id depends on y. */
function varyingNodes(g: Graph): Uint8Array {
  const v = new Uint8Array(g.size);
  for (let id = 0; id < g.size; id++) {
    const op = g.op[id] as Op;
    if (op === Op.Y) v[id] = 1;
    else if (op >= Op.NEG) {
      v[id] = v[g.a[id]!]! | (op >= Op.ADD ? v[g.b[id]!]! : 0) | (op === Op.SELECT ? v[g.c[id]!]! : 0);
    }
  }
  return v;
}

function operandsOf(g: Graph, id: number): number[] {
  const op = g.op[id] as Op;
  if (op === Op.SELECT) return [g.a[id]!, g.b[id]!, g.c[id]!];
  if (op >= Op.ADD) return [g.a[id]!, g.b[id]!];
  if (op >= Op.NEG) return [g.a[id]!];
  return [];
}

/**
 * The relative expression of output i (root node o): its signature (equal for outputs that one
 * loop can compute), its operations, constants and per-evaluation values; null if too large.
 */
function relativeExpression(g: Graph, varying: Uint8Array, o: number, i: number): { sig: string; t: Template; consts: number[] } | null {
  const local = new Map<number, number>();
  const ops: TOp[] = [];
  const consts: number[] = [];
  const invs: number[] = [];
  const sig: string[] = [];
  let dmin = Infinity;
  let tooBig = false;
  const visit = (id: number): Ref => {
    const op = g.op[id] as Op;
    if (op === Op.CONST) {
      consts.push(g.value[id]!);
      sig.push("c");
      return { kind: RefKind.Const, v: consts.length - 1 };
    }
    if (!varying[id]) {
      invs.push(id);
      sig.push(`v${id}`);
      return { kind: RefKind.Inv, v: id };
    }
    const seen = local.get(id);
    if (seen !== undefined) {
      sig.push(`r${seen}`);
      return { kind: RefKind.Op, v: seen };
    }
    let top: TOp;
    if (op === Op.Y) {
      const d = g.a[id]! - i;
      if (d < dmin) dmin = d;
      sig.push(`y${d}`);
      top = { op, d, args: [] };
    } else if (op === Op.NEG) {
      // −x as (−1)·x (equal bits but for the sign of a NaN), so that −y_i joins a run of c_i·y_i:
      // the graph folds (−1)·y_i into −y_i, which would split y' = −k⊙y wherever k_i = 1.
      sig.push(`(${Op.MUL}c`);
      consts.push(-1);
      const args = [{ kind: RefKind.Const, v: consts.length - 1 }, visit(g.a[id]!)];
      sig.push(")");
      top = { op: Op.MUL, d: 0, args };
    } else {
      sig.push(`(${op}`);
      const args = operandsOf(g, id).map(visit);
      sig.push(")");
      top = { op, d: 0, args };
    }
    if (ops.length >= MAX_TEMPLATE_OPS) tooBig = true;
    ops.push(top);
    local.set(id, ops.length - 1);
    return { kind: RefKind.Op, v: ops.length - 1 };
  };
  visit(o);
  if (tooBig) return null;
  return { sig: sig.join(""), t: { ops, constCount: consts.length, invs: [...new Set(invs)], dmin }, consts };
}

/**
 * Splits the outputs of a compiled field into loops over runs of equal relative expressions and
 * straight-line code; null when the field cannot be compiled to WebAssembly (inputs other than
 * t, y and parameters, or more than {@link MAX_STRAIGHT_OPS} straight-line operations).
 */
export function planField(g: Graph, outputs: readonly number[]): FieldPlan | null {
  for (let id = 0; id < g.size; id++) if (g.op[id] === Op.X) return null;
  const varying = varyingNodes(g);
  const n = outputs.length;
  const runs: FieldPlan["runs"] = [];
  const straight: number[] = [];
  let cur: { i0: number; m: number; sig: string; template: Template; consts: number[][] } | null = null;
  const close = (): void => {
    if (cur === null) return;
    if (cur.m >= MIN_RUN) runs.push({ i0: cur.i0, m: cur.m, template: cur.template, consts: cur.consts });
    else for (let k = 0; k < cur.m; k++) straight.push(cur.i0 + k);
    cur = null;
  };
  for (let i = 0; i < n; i++) {
    const o = outputs[i]!;
    const rel = varying[o] ? relativeExpression(g, varying, o, i) : null;
    if (rel === null) {
      close();
      straight.push(i);
      continue;
    }
    if (cur !== null && cur.sig === rel.sig) {
      cur.m++;
      cur.consts.push(rel.consts);
    } else {
      close();
      cur = { i0: i, m: 1, sig: rel.sig, template: rel.t, consts: [rel.consts] };
    }
  }
  close();
  // Straight-line operations: the cones (over y-dependent nodes) of the straight outputs.
  const mark = straightNodes(g, varying, outputs, straight);
  let straightOps = 0;
  for (let id = 0; id < g.size; id++) if (mark[id] && g.op[id]! >= Op.NEG) straightOps++;
  if (straightOps > MAX_STRAIGHT_OPS) return null;
  const imports = new Set<Op>();
  for (let id = 0; id < g.size; id++) {
    const op = g.op[id] as Op;
    if (IMPORTED.has(op)) imports.add(op);
  }
  return { n, g, outputs, runs, straight, imports, straightOps };
}

/** Marks the y-dependent nodes the straight outputs need. */
function straightNodes(g: Graph, varying: Uint8Array, outputs: readonly number[], straight: readonly number[]): Uint8Array {
  const mark = new Uint8Array(g.size);
  const stack: number[] = [];
  for (const i of straight) if (varying[outputs[i]!]) stack.push(outputs[i]!);
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (mark[id] || !varying[id]) continue;
    mark[id] = 1;
    for (const a of operandsOf(g, id)) if (varying[a] && !mark[a]) stack.push(a);
  }
  return mark;
}

// ---- operations ----

/** JavaScript functions the code imports (module "m"), by op. */
const IMPORTED = new Map<Op, { name: string; arity: 1 | 2; fn: (a: number, b: number) => number }>();
for (const [name, op] of MATH_UNARY) {
  if (![Op.SQRT, Op.ABS, Op.FLOOR, Op.CEIL, Op.TRUNC].includes(op)) {
    IMPORTED.set(op, { name, arity: 1, fn: (Math as unknown as Record<string, (a: number, b: number) => number>)[name]! });
  }
}
for (const [name, op] of MATH_BINARY) {
  if (op !== Op.MIN && op !== Op.MAX) IMPORTED.set(op, { name, arity: 2, fn: (Math as unknown as Record<string, (a: number, b: number) => number>)[name]! });
}
// `**` and `%` as JavaScript evaluates them (the generated code writes `a ** b` and `a % b`).
IMPORTED.set(Op.POW, { name: "pow", arity: 2, fn: (a, b) => a ** b });
IMPORTED.set(Op.MOD, { name: "mod", arity: 2, fn: (a, b) => a % b });
// A constant power in its reduced form (the same operations as the generated JavaScript; b is the
// exponent's constant node).
IMPORTED.set(Op.POWC, { name: "powc", arity: 2, fn: reducedPower });

/** The import object for the functions a plan uses. */
export function fieldImports(plan: FieldPlan): Record<string, (a: number, b: number) => number> {
  const m: Record<string, (a: number, b: number) => number> = {};
  for (const op of plan.imports) {
    const im = IMPORTED.get(op)!;
    m[im.name] = im.fn;
  }
  return m;
}

/** Declares the imports of a plan in `m` (before any function); returns op → function index. */
export function declareFieldImports(m: ModuleBuilder, plan: FieldPlan): Map<Op, number> {
  const idx = new Map<Op, number>();
  for (const op of [...plan.imports].sort((a, b) => a - b)) {
    const im = IMPORTED.get(op)!;
    const params = im.arity === 1 ? [ValType.F64] : [ValType.F64, ValType.F64];
    idx.set(op, m.importFunc("m", im.name, params, [ValType.F64]));
  }
  return idx;
}

/**
 * Opcodes of the graph's operations that are single instructions (WebAssembly 2.0 §5.4.7 and the
 * SIMD table of §5.4.8): f64x2 ones after the 0xFD prefix, f64 ones as one byte. Exported for the
 * encoder tests, which run each against the JavaScript operation.
 */
export const FIELD_OPCODES: { readonly simd: Partial<Record<Op, number>>; readonly scalar: Partial<Record<Op, number>> } = {
  simd: {
    [Op.NEG]: 0xed, [Op.ABS]: 0xec, [Op.SQRT]: 0xef, [Op.FLOOR]: 0x75, [Op.CEIL]: 0x74, [Op.TRUNC]: 0x7a,
    [Op.ADD]: 0xf0, [Op.SUB]: 0xf1, [Op.MUL]: 0xf2, [Op.DIV]: 0xf3, [Op.MIN]: 0xf4, [Op.MAX]: 0xf5,
    [Op.EQ]: 0x47, [Op.NE]: 0x48, [Op.LT]: 0x49, [Op.GT]: 0x4a, [Op.LE]: 0x4b, [Op.GE]: 0x4c,
  },
  scalar: {
    [Op.NEG]: 0x9a, [Op.ABS]: 0x99, [Op.SQRT]: 0x9f, [Op.FLOOR]: 0x9c, [Op.CEIL]: 0x9b, [Op.TRUNC]: 0x9d,
    [Op.ADD]: 0xa0, [Op.SUB]: 0xa1, [Op.MUL]: 0xa2, [Op.DIV]: 0xa3, [Op.MIN]: 0xa4, [Op.MAX]: 0xa5,
    [Op.EQ]: 0x61, [Op.NE]: 0x62, [Op.LT]: 0x63, [Op.GT]: 0x64, [Op.LE]: 0x65, [Op.GE]: 0x66,
  },
};
const UNARY = new Set([Op.NEG, Op.ABS, Op.SQRT, Op.FLOOR, Op.CEIL, Op.TRUNC]);
const COMPARISONS = new Set([Op.LT, Op.LE, Op.GT, Op.GE, Op.EQ, Op.NE]);
/** Bitwise and mask instructions (0xFD prefix) and i32.or. */
const V128_AND = 0x4e;
const V128_OR = 0x50;
const V128_BITSELECT = 0x52;
const F64X2_EQ = 0x47;
const F64X2_NE = 0x48;
const F64_EQ = 0x61;
const F64_NE = 0x62;
const I32_OR = 0x72;
const F64X2_REPLACE_LANE = 0x22;

/**
 * Emits `out = op(args)` on locals: v128 locals when `simd`, f64 locals otherwise. Comparisons
 * give 1 or 0 (a mask and-ed with 1.0), `!a` is 1 where a is 0 or NaN, and `a ? b : c` selects
 * b where a is neither 0 nor NaN (JavaScript truthiness).
 */
function emitOp(c: Code, op: Op, args: readonly number[], out: number, simd: boolean, imports: Map<Op, number>): void {
  const [a, b, s] = args;
  const code = (simd ? FIELD_OPCODES.simd : FIELD_OPCODES.scalar)[op];
  const emit = (x: number): Code => (simd ? c.simd(x) : c.op(x));
  if (code !== undefined) {
    c.localGet(a!);
    if (!UNARY.has(op)) c.localGet(b!);
    emit(code);
    if (COMPARISONS.has(op)) {
      if (simd) c.f64x2Const(1).simd(V128_AND);
      else c.f64ConvertI32U();
    }
  } else if (op === Op.NOT) {
    // (a == 0) | (a != a), as 1 or 0
    c.localGet(a!);
    if (simd) c.f64x2Const(0);
    else c.f64Const(0);
    emit(simd ? F64X2_EQ : F64_EQ).localGet(a!).localGet(a!);
    emit(simd ? F64X2_NE : F64_NE);
    if (simd) c.simd(V128_OR).f64x2Const(1).simd(V128_AND);
    else c.op(I32_OR).f64ConvertI32U();
  } else if (op === Op.SELECT) {
    // b where (a != 0) & (a == a), else s
    c.localGet(b!).localGet(s!).localGet(a!);
    if (simd) c.f64x2Const(0);
    else c.f64Const(0);
    emit(simd ? F64X2_NE : F64_NE).localGet(a!).localGet(a!);
    emit(simd ? F64X2_EQ : F64_EQ);
    if (simd) c.simd(V128_AND).simd(V128_BITSELECT);
    else c.i32And().select();
  } else {
    const fn = imports.get(op);
    if (fn === undefined) throw new Error(`odeflow WebAssembly field: no code for operation ${Op[op]}.`);
    const arity = IMPORTED.get(op)!.arity;
    if (!simd) {
      c.localGet(a!);
      if (arity === 2) c.localGet(b!);
      c.call(fn);
    } else {
      for (const lane of [0, 1] as const) {
        if (lane === 1) c.localGet(out);
        c.localGet(a!).f64x2ExtractLane(lane);
        if (arity === 2) c.localGet(b!).f64x2ExtractLane(lane);
        c.call(fn);
        if (lane === 0) c.f64x2Splat().localSet(out);
        else c.simd(F64X2_REPLACE_LANE).lane(1);
      }
    }
  }
  c.localSet(out);
}

// ---- code ----

/** What the field's code needs from the module being built. */
export interface FieldCode {
  /** Function index of f(t: f64, yPtr: i32, outPtr: i32). */
  f: number;
  /** Constant tables (copied to the `consts` area). */
  constants: Float64Array;
  /** Doubles of scratch (per-evaluation values, values crossing straight-line chunks). */
  scratchCount: number;
  paramCount: number;
  flattenArgs(args: unknown, out: Float64Array): void;
}

/**
 * Adds f(t, yPtr, outPtr) and its helpers to `m` (after the imports of
 * {@link declareFieldImports}). Scratch and constant tables are found through the header slots
 * `scratch` and `consts`, parameters through `params`.
 */
export function addField(m: ModuleBuilder, plan: FieldPlan, layout: ArgLayout, imports: Map<Op, number>): FieldCode {
  const { g, outputs } = plan;
  const varying = varyingNodes(g);
  // Per-evaluation values (nodes that do not depend on y) that the code reads: a scratch slot each.
  const invSlot = new Map<number, number>();
  const needInv = (id: number): void => {
    if (g.op[id] !== Op.CONST && !varying[id] && !invSlot.has(id)) invSlot.set(id, -1);
  };
  for (const r of plan.runs) for (const id of r.template.invs) needInv(id);
  const straightMark = straightNodes(g, varying, outputs, plan.straight);
  for (let id = 0; id < g.size; id++) if (straightMark[id]) for (const a of operandsOf(g, id)) needInv(a);
  for (const i of plan.straight) needInv(outputs[i]!);
  // Close over the invariant cones (in node order, operands first).
  const invMark = new Uint8Array(g.size);
  const stack = [...invSlot.keys()];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (invMark[id] || g.op[id] === Op.CONST) continue;
    invMark[id] = 1;
    for (const a of operandsOf(g, id)) stack.push(a);
  }
  let slots = 0;
  const invNodes: number[] = [];
  for (let id = 0; id < g.size; id++) {
    if (invMark[id]) {
      invSlot.set(id, slots++);
      invNodes.push(id);
    }
  }
  const constants: number[] = [];
  const templateFns = new Map<string, number>();
  const runCalls: Run[] = [];
  for (const r of plan.runs) {
    const { key, uniform } = specialise(r.template, r.consts);
    let fn = templateFns.get(key);
    if (fn === undefined) {
      fn = addTemplate(m, r.template, uniform, invSlot, imports);
      templateFns.set(key, fn);
    }
    const table = constants.length;
    pushTable(constants, r.consts, uniform);
    runCalls.push({ i0: r.i0, m: r.m, fn, table });
  }
  const prelude = addPrelude(m, g, invNodes, invSlot, imports);
  const { chunks, crossSlots } = addStraight(m, g, plan, straightMark, invSlot, slots, imports);
  // f: prelude, loops, straight-line chunks.
  const c = new Code(3);
  const consts = c.local(ValType.I32);
  c.i32Const(0).i32Load(i32Addr(I32.consts)).localSet(consts);
  for (const p of prelude) c.localGet(0).call(p);
  for (const r of runCalls) {
    c.localGet(1).localGet(2).i32Const(r.i0).i32Const(r.m).localGet(consts).i32Const(8 * r.table).i32Add().call(r.fn);
  }
  for (const ch of chunks) c.localGet(0).localGet(1).localGet(2).call(ch);
  const f = m.func([ValType.F64, ValType.I32, ValType.I32], [], c);
  return {
    f,
    constants: Float64Array.from(constants),
    scratchCount: Math.max(1, slots + crossSlots),
    paramCount: Math.max(1, layout.size),
    flattenArgs: (args, out) => flattenArgs(layout, args, out),
  };
}

/** Which constant slots are the same along a run (inlined) and the key of the specialised loop. */
function specialise(t: Template, consts: number[][]): { key: string; uniform: (number | null)[] } {
  const uniform: (number | null)[] = [];
  const parts: string[] = [];
  for (let s = 0; s < t.constCount; s++) {
    const v = consts[0]![s]!;
    let same = true;
    for (const row of consts) if (!Object.is(row[s], v)) { same = false; break; }
    uniform.push(same ? v : null);
    parts.push(same ? bitsOf(v) : "*");
  }
  return { key: `${templateSignature(t)}|${parts.join(",")}`, uniform };
}

const BITS = new Float64Array(1);
const BITS32 = new Uint32Array(BITS.buffer);
function bitsOf(v: number): string {
  BITS[0] = v;
  return `${BITS32[0]!.toString(16)}:${BITS32[1]!.toString(16)}`;
}

const signatures = new WeakMap<Template, string>();
function templateSignature(t: Template): string {
  let s = signatures.get(t);
  if (s === undefined) {
    s = t.ops.map((o) => `${o.op}/${o.d}/${o.args.map((a) => `${a.kind}:${a.v}`).join(",")}`).join(";");
    signatures.set(t, s);
  }
  return s;
}

/** Appends a run's varying constants, pair-interleaved: [pair][slot][lane] (a tail pair for odd m). */
function pushTable(out: number[], consts: number[][], uniform: readonly (number | null)[]): void {
  const varyingSlots = uniform.flatMap((u, s) => (u === null ? [s] : []));
  if (varyingSlots.length === 0) return;
  const m = consts.length;
  for (let p = 0; p < m; p += 2) {
    for (const s of varyingSlots) {
      out.push(consts[p]![s]!);
      out.push(p + 1 < m ? consts[p + 1]![s]! : 0);
    }
  }
}

/** Parameters of a template function: tmpl(yPtr, outPtr, i0, m, table). */
const [YP, OP, I0, M, TB] = [0, 1, 2, 3, 4];

/** The locals and layout a template's code works with. */
interface TemplateFrame {
  c: Code;
  t: Template;
  /** Running pointers: y at the run's first output plus dmin, and the output. */
  yb: number;
  ob: number;
  /** Varying constant slots, in table order, and the table's bytes per pair. */
  varyingSlots: number[];
  stride: number;
  imports: Map<Op, number>;
}

/**
 * The loop of a template: tmpl(yPtr, outPtr, i0, m, table) computes outputs i0 … i0+m−1, two per
 * lane pair and two pairs per iteration, then a last pair, then a last component when m is odd.
 */
function addTemplate(m: ModuleBuilder, t: Template, uniform: readonly (number | null)[], invSlot: Map<number, number>, imports: Map<Op, number>): number {
  const c = new Code(5);
  const yb = c.local(ValType.I32);
  const ob = c.local(ValType.I32);
  const scratch = c.local(ValType.I32);
  const varyingSlots = uniform.flatMap((u, s) => (u === null ? [s] : []));
  const fr: TemplateFrame = { c, t, yb, ob, varyingSlots, stride: 16 * varyingSlots.length, imports };
  // yb = yPtr + 8·(i0 + dmin), ob = outPtr + 8·i0.
  c.localGet(YP).localGet(I0).i32Const(t.dmin).i32Add().i32Const(3).i32Shl().i32Add().localSet(yb);
  c.localGet(OP).localGet(I0).i32Const(3).i32Shl().i32Add().localSet(ob);
  c.i32Const(0).i32Load(i32Addr(I32.scratch)).localSet(scratch);
  const simdBody = templateBody(fr, true, templateValues(fr, true, uniform, invSlot, scratch));
  // while (m >= 4) { two pairs; advance }; if (m >= 2) { one pair; advance }
  c.block().loop();
  c.localGet(M).i32Const(4).i32LtU().brIf(1);
  simdBody(0, 0, 0);
  simdBody(16, fr.stride, 16);
  advance(fr, 2);
  c.br(0);
  c.end().end();
  c.localGet(M).i32Const(2).i32LtU().i32Eqz().if();
  simdBody(0, 0, 0);
  advance(fr, 1);
  c.end();
  // if (m) { the last component, in scalar code }
  const scalarBody = templateBody(fr, false, templateValues(fr, false, uniform, invSlot, scratch));
  c.localGet(M).if();
  scalarBody(0, 0, 0);
  c.end();
  return m.func([ValType.I32, ValType.I32, ValType.I32, ValType.I32, ValType.I32], [], c);
}

/** Locals for the values that are the same along the run: per-evaluation values and uniform constants (set here). */
function templateValues(fr: TemplateFrame, simd: boolean, uniform: readonly (number | null)[], invSlot: Map<number, number>, scratch: number):
  { inv: Map<number, number>; consts: number[] } {
  const { c, t } = fr;
  const T = simd ? ValType.V128 : ValType.F64;
  const inv = new Map<number, number>();
  for (const id of t.invs) {
    const l = c.local(T);
    c.localGet(scratch).f64Load(8 * invSlot.get(id)!);
    if (simd) c.f64x2Splat();
    c.localSet(l);
    inv.set(id, l);
  }
  const consts: number[] = [];
  for (let s = 0; s < t.constCount; s++) {
    const l = c.local(T);
    consts.push(l);
    const u = uniform[s];
    if (u === null || u === undefined) continue; // varying: read from the table per iteration
    if (simd) c.f64x2Const(u);
    else c.f64Const(u);
    c.localSet(l);
  }
  return { inv, consts };
}

/**
 * The emitter of one pair (simd) or one component: the table's varying constants, the template's
 * operations and the store, at the running pointers plus the offsets given.
 */
function templateBody(fr: TemplateFrame, simd: boolean, values: { inv: Map<number, number>; consts: number[] }): (yOff: number, tOff: number, oOff: number) => void {
  const { c, t } = fr;
  const opLocal = t.ops.map(() => c.local(simd ? ValType.V128 : ValType.F64));
  return (yOff, tOff, oOff) => {
    fr.varyingSlots.forEach((s, k) => {
      c.localGet(TB);
      if (simd) c.v128Load(tOff + 16 * k);
      else c.f64Load(tOff + 16 * k);
      c.localSet(values.consts[s]!);
    });
    t.ops.forEach((o, k) => {
      if (o.op === Op.Y) {
        c.localGet(fr.yb);
        if (simd) c.v128Load(yOff + 8 * (o.d - t.dmin));
        else c.f64Load(yOff + 8 * (o.d - t.dmin));
        c.localSet(opLocal[k]!);
        return;
      }
      const args = o.args.map((a) => (a.kind === RefKind.Op ? opLocal[a.v]! : a.kind === RefKind.Const ? values.consts[a.v]! : values.inv.get(a.v)!));
      emitOp(c, o.op, args, opLocal[k]!, simd, fr.imports);
    });
    c.localGet(fr.ob).localGet(opLocal[t.ops.length - 1]!);
    if (simd) c.v128Store(oOff);
    else c.f64Store(oOff);
  };
}

/** Moves the running pointers on by `pairs` lane pairs. */
function advance(fr: TemplateFrame, pairs: number): void {
  const { c } = fr;
  c.localGet(fr.yb).i32Const(16 * pairs).i32Add().localSet(fr.yb);
  c.localGet(fr.ob).i32Const(16 * pairs).i32Add().localSet(fr.ob);
  if (fr.stride > 0) c.localGet(TB).i32Const(fr.stride * pairs).i32Add().localSet(TB);
  c.localGet(M).i32Const(-2 * pairs).i32Add().localSet(M);
}

/** Pushes the scalar value of a node that does not depend on y (constant, or its scratch slot). */
function pushInvariant(c: Code, g: Graph, id: number, scratch: number, invSlot: Map<number, number>): void {
  if (g.op[id] === Op.CONST) c.f64Const(g.value[id]!);
  else c.localGet(scratch).f64Load(8 * invSlot.get(id)!);
}

/**
 * The per-evaluation values, in node order, each into its scratch slot: prelude(t) functions of
 * at most CHUNK_OPS nodes (parameters are read from the `params` area, t from the argument).
 */
function addPrelude(m: ModuleBuilder, g: Graph, nodes: readonly number[], invSlot: Map<number, number>, imports: Map<Op, number>): number[] {
  const fns: number[] = [];
  for (let start = 0; start < nodes.length; start += CHUNK_OPS) {
    const c = new Code(1);
    const scratch = c.local(ValType.I32);
    const params = c.local(ValType.I32);
    c.i32Const(0).i32Load(i32Addr(I32.scratch)).localSet(scratch);
    c.i32Const(0).i32Load(i32Addr(I32.params)).localSet(params);
    const tmp = [c.local(ValType.F64), c.local(ValType.F64), c.local(ValType.F64)];
    const out = c.local(ValType.F64);
    for (const id of nodes.slice(start, start + CHUNK_OPS)) {
      const op = g.op[id] as Op;
      if (op === Op.T) c.localGet(0).localSet(out);
      else if (op === Op.P) c.localGet(params).f64Load(8 * g.a[id]!).localSet(out);
      else {
        const args = operandsOf(g, id).map((a, k) => {
          pushInvariant(c, g, a, scratch, invSlot);
          c.localSet(tmp[k]!);
          return tmp[k]!;
        });
        emitOp(c, op, args, out, false, imports);
      }
      c.localGet(scratch).localGet(out).f64Store(8 * invSlot.get(id)!);
    }
    fns.push(m.func([ValType.F64], [], c));
  }
  return fns;
}

/**
 * Straight-line code for the outputs that no loop computes: the y-dependent nodes they need, in
 * node order, in functions chunk(t, yPtr, outPtr) of at most CHUNK_OPS operations; a value used
 * in a later chunk than its own goes through a scratch slot.
 */
function addStraight(m: ModuleBuilder, g: Graph, plan: FieldPlan, mark: Uint8Array, invSlot: Map<number, number>, firstSlot: number,
  imports: Map<Op, number>): { chunks: number[]; crossSlots: number } {
  const nodes: number[] = [];
  for (let id = 0; id < g.size; id++) if (mark[id]) nodes.push(id);
  const chunkOf = new Int32Array(g.size).fill(-1);
  const groups: number[][] = [];
  for (let k = 0; k < nodes.length; k += CHUNK_OPS) groups.push(nodes.slice(k, k + CHUNK_OPS));
  groups.forEach((ids, ci) => { for (const id of ids) chunkOf[id] = ci; });
  // Outputs by the chunk that computes their root (−1: a constant or per-evaluation value).
  const outputsOf = new Map<number, number[]>();
  for (const i of plan.straight) {
    const ci = chunkOf[plan.outputs[i]!]!;
    const list = outputsOf.get(ci) ?? [];
    list.push(i);
    outputsOf.set(ci, list);
  }
  const cross = new Map<number, number>();
  groups.forEach((ids, ci) => {
    for (const id of ids) for (const a of operandsOf(g, id)) if (chunkOf[a]! >= 0 && chunkOf[a]! !== ci && !cross.has(a)) cross.set(a, firstSlot + cross.size);
  });
  const chunks: number[] = [];
  const emitChunk = (ci: number, ids: readonly number[]): void => {
    const c = new Code(3);
    const scratch = c.local(ValType.I32);
    c.i32Const(0).i32Load(i32Addr(I32.scratch)).localSet(scratch);
    const local = new Map<number, number>();
    const valueOf = (id: number): number => {
      let l = local.get(id);
      if (l !== undefined) return l;
      l = c.local(ValType.F64);
      if (chunkOf[id]! >= 0) c.localGet(scratch).f64Load(8 * cross.get(id)!); // from an earlier chunk
      else pushInvariant(c, g, id, scratch, invSlot);
      c.localSet(l);
      local.set(id, l);
      return l;
    };
    for (const id of ids) {
      const out = c.local(ValType.F64);
      if (g.op[id] === Op.Y) c.localGet(1).f64Load(8 * g.a[id]!).localSet(out);
      else emitOp(c, g.op[id] as Op, operandsOf(g, id).map(valueOf), out, false, imports);
      local.set(id, out);
      if (cross.has(id)) c.localGet(scratch).localGet(out).f64Store(8 * cross.get(id)!);
    }
    for (const i of outputsOf.get(ci) ?? []) c.localGet(2).localGet(valueOf(plan.outputs[i]!)).f64Store(8 * i);
    chunks.push(m.func([ValType.F64, ValType.I32, ValType.I32], [], c));
  };
  groups.forEach((ids, ci) => emitChunk(ci, ids));
  if (outputsOf.has(-1)) emitChunk(-1, []);
  return { chunks, crossSlots: cross.size };
}

/**
 * What a compiled vector field offers the WebAssembly backend (see `WASM_VECTOR_FIELD` in
 * fused.ts): the plan of its code and the means to emit it into a module.
 */
export interface WasmFieldSource {
  /** Number of state components. */
  readonly n: number;
  /** The JavaScript functions the code imports (module "m"). */
  readonly imports: Record<string, (a: number, b: number) => number>;
  /** Declares the imports in `m` and adds f and its helpers (call before adding other functions' imports … none follow). */
  emit(m: ModuleBuilder): FieldCode;
}

/** The WebAssembly source of a compiled field, or null when it does not compile to WebAssembly. */
export function wasmFieldSource(g: Graph, outputs: readonly number[], layout: ArgLayout): WasmFieldSource | null {
  const plan = planField(g, outputs);
  if (plan === null) return null;
  return {
    n: outputs.length,
    imports: fieldImports(plan),
    emit: (m) => addField(m, plan, layout, declareFieldImports(m, plan)),
  };
}
