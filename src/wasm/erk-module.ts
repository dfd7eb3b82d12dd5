/**
 * WebAssembly SIMD kernels of an explicit Runge–Kutta method, generated from its tableau.
 *
 * The same sums as the JavaScript kernels (solvers/erk.ts), in the same order, two components at
 * a time (f64x2): for stage i, ytmp = y0 + dt·(a_(i,0)·k_0 + a_(i,1)·k_1 + …) with zero
 * coefficients dropped and unit ones written bare, exactly as `linearCombination` writes them.
 * WebAssembly rounds every operation to double (no fused multiply–add, no reassociation), so each
 * lane computes bit for bit what the JavaScript kernel computes for that component.
 *
 * Exports (all read their operands from the header, see layout.ts):
 * - `stage<i>` (i = 1 … s−1, the last one omitted for FSAL methods): ytmp = y0 + dt Σ a_(i,l) k_l.
 * - `final`: y1 = y0 + dt Σ b_l k_l; for methods that are not FSAL also the error estimate(s).
 * - `error` (FSAL methods): yErr = dt Σ bErr_l k_l (and yErr2).
 * - `extra<e>`: the dense-output extra stage e's argument, into ytmp.
 * - `interp`, `interpDeriv`: out = y0 + dt Σ w_i k_i, out = Σ w_i k_i (weights w from memory).
 * - `normRmsScalar`, `normMaxScalar`, `normRmsVector`, `normMaxVector`, taking the header slot of
 *   the error vector: the scaled error norm with the loop's formula (see {@link normFunction}),
 *   stored in the header's `norm` slot.
 * A fused vector field (vector-field.ts) adds `f` and `step`.
 */
import type { Tableau } from "../solvers/tableau.js";
import { Code, ModuleBuilder, ValType } from "./encoder.js";
import { F64, f64Addr, I32, i32Addr } from "./layout.js";

/** A term of a linear combination: coefficient (1: bare) times stage vector `stage`. */
interface Term {
  coef: number;
  stage: number;
}

/** Non-zero terms of coefs[0 … count−1], as `linearCombination` keeps them. */
export function termsOf(coefs: ArrayLike<number>, count: number): Term[] {
  const terms: Term[] = [];
  for (let l = 0; l < count; l++) {
    const a = coefs[l]!;
    if (a !== 0) terms.push({ coef: a, stage: l });
  }
  return terms;
}

/** A local holding the i32 header slot `slot` (an address). */
export function loadPointer(code: Code, slot: number): number {
  const p = code.local(ValType.I32);
  code.i32Const(0).i32Load(i32Addr(slot)).localSet(p);
  return p;
}

/** A v128 local holding the f64 header slot `slot` in both lanes. */
export function splatSlot(code: Code, slot: number): number {
  const v = code.local(ValType.V128);
  code.i32Const(0).f64Load(f64Addr(slot)).f64x2Splat().localSet(v);
  return v;
}

/** Where a loop body works: byte offset `j` plus the constant `off` (0 or 16, the unrolled copy). */
export interface Lane {
  j: number;
  off: number;
}

/**
 * `for (j = 0; j < 32·⌈n/4⌉; j += 32) { body(j + 0); body(j + 16) }`: j is a byte offset, two
 * pairs of components per iteration (unrolled once: the loop's own instructions are a fifth of a
 * short body). Vectors are padded to a multiple of four doubles (layout.ts), n ≥ 1.
 */
export function pairLoop(code: Code, body: (at: Lane) => void): void {
  const j = code.local(ValType.I32);
  const end = code.local(ValType.I32);
  code.i32Const(0).i32Load(i32Addr(I32.n)).i32Const(3).i32Add().i32Const(2).i32ShrU().i32Const(5).i32Shl().localSet(end);
  code.i32Const(0).localSet(j);
  code.loop();
  body({ j, off: 0 });
  body({ j, off: 16 });
  code.localGet(j).i32Const(32).i32Add().localTee(j).localGet(end).i32LtU().brIf(0);
  code.end();
}

/** Pushes the pair at address p + j + off. */
export function loadPair(code: Code, p: number, at: Lane): void {
  code.localGet(p).localGet(at.j).i32Add().v128Load(at.off);
}

/** Pushes the address p + j (a store then adds `off` as its offset). */
function address(code: Code, p: number, at: Lane): void {
  code.localGet(p).localGet(at.j).i32Add();
}

/**
 * v128 locals holding constants in both lanes, set once before a loop: a `v128.const` inside the
 * loop body is rebuilt on every iteration by V8's code generator (several instructions each).
 */
class Splats {
  private readonly locals = new Map<string, number>();
  constructor(private readonly code: Code) {}

  /** Declares and sets the locals for `values` (call before the loop). */
  prepare(values: Iterable<number>): this {
    for (const x of values) {
      const key = Object.is(x, -0) ? "-0" : String(x);
      if (this.locals.has(key)) continue;
      const l = this.code.local(ValType.V128);
      this.code.f64x2Const(x).localSet(l);
      this.locals.set(key, l);
    }
    return this;
  }

  /** The local holding x (prepared before the loop). */
  get(x: number): number {
    return this.locals.get(Object.is(x, -0) ? "-0" : String(x))!;
  }
}

/** The constants a sum needs (non-unit coefficients, and 0 when it starts from zero). */
function sumConstants(terms: readonly Term[], fromZero: boolean): number[] {
  const v = terms.filter((t) => t.coef !== 1).map((t) => t.coef);
  if (fromZero) v.push(0);
  return v;
}

/**
 * Pushes Σ coef·k (left to right, as JavaScript evaluates `a*k0[j] + b*k1[j] + …`); with
 * `fromZero` the sum starts at 0 (`acc = 0; acc += …`, as the dense-output loops write it).
 * Returns false, pushing nothing, when there are no terms and the sum does not start at zero.
 */
function pushSum(code: Code, j: Lane, terms: readonly Term[], stagePtr: readonly number[], fromZero: boolean, c: Splats): boolean {
  if (terms.length === 0 && !fromZero) return false;
  if (fromZero) code.localGet(c.get(0));
  terms.forEach((t, idx) => {
    if (t.coef !== 1) code.localGet(c.get(t.coef));
    loadPair(code, stagePtr[t.stage]!, j);
    if (t.coef !== 1) code.f64x2Mul();
    if (idx > 0 || fromZero) code.f64x2Add();
  });
  return true;
}

/** Locals with the addresses of stages 0 … count−1. */
function stagePointers(code: Code, count: number): number[] {
  return Array.from({ length: count }, (_, l) => loadPointer(code, I32.kBase + l));
}

/** Emits `out = y0 + dt·(Σ terms)` (`out = y0` when there are none) over all components. */
export function emitAffine(code: Code, outSlot: number, terms: readonly Term[], stageCount: number, fromZero: boolean): void {
  const y0 = loadPointer(code, I32.y0);
  const out = loadPointer(code, outSlot);
  const dt = splatSlot(code, F64.dt);
  const k = stagePointers(code, stageCount);
  const c = new Splats(code).prepare(sumConstants(terms, fromZero));
  pairLoop(code, (j) => {
    address(code, out, j);
    loadPair(code, y0, j);
    code.localGet(dt);
    if (pushSum(code, j, terms, k, fromZero, c)) {
      code.f64x2Mul().f64x2Add();
    } else {
      code.drop(); // out = y0
    }
    code.v128Store(j.off);
  });
}

/** The constants of the error combinations (0 for an all-zero one, written dt·0). */
function errorConstants(tab: Tableau): number[] {
  const v: number[] = [];
  for (const coefs of [tab.bErr, tab.bErr2]) {
    if (coefs === undefined) continue;
    const terms = termsOf(coefs, tab.stages);
    v.push(...sumConstants(terms, false));
    if (terms.length === 0) v.push(0);
  }
  return v;
}

/** The error combinations: yErr = dt·(Σ bErr k) (dt·0 when all are zero), and yErr2 likewise. */
function emitErrors(code: Code, tab: Tableau, j: Lane, k: readonly number[], dt: number, e1: number, e2: number, c: Splats): void {
  const s = tab.stages;
  for (const [coefs, ptr] of [[tab.bErr, e1], [tab.bErr2, e2]] as const) {
    if (coefs === undefined) continue;
    address(code, ptr, j);
    code.localGet(dt);
    if (!pushSum(code, j, termsOf(coefs, s), k, false, c)) code.localGet(c.get(0));
    code.f64x2Mul();
    code.v128Store(j.off);
  }
}

/** `final`: y1 = y0 + dt Σ b k; for methods that are not FSAL the error estimates in the same pass. */
function emitFinal(code: Code, tab: Tableau): void {
  const s = tab.stages;
  const y0 = loadPointer(code, I32.y0);
  const y1 = loadPointer(code, I32.y1);
  const e1 = loadPointer(code, I32.yErr);
  const e2 = loadPointer(code, I32.yErr2);
  const dt = splatSlot(code, F64.dt);
  const k = stagePointers(code, s);
  const b = termsOf(tab.b, s);
  const c = new Splats(code).prepare([...sumConstants(b, false), ...(tab.fsal ? [] : errorConstants(tab))]);
  pairLoop(code, (j) => {
    address(code, y1, j);
    loadPair(code, y0, j);
    code.localGet(dt);
    pushSum(code, j, b, k, false, c);
    code.f64x2Mul().f64x2Add().v128Store(j.off);
    if (!tab.fsal) emitErrors(code, tab, j, k, dt, e1, e2, c);
  });
}

/** `error` (FSAL methods): the error estimates, once f(t1, y1) is in the last stage. */
function emitErrorOnly(code: Code, tab: Tableau): void {
  const e1 = loadPointer(code, I32.yErr);
  const e2 = loadPointer(code, I32.yErr2);
  const dt = splatSlot(code, F64.dt);
  const k = stagePointers(code, tab.stages);
  const c = new Splats(code).prepare(errorConstants(tab));
  pairLoop(code, (j) => emitErrors(code, tab, j, k, dt, e1, e2, c));
}

/**
 * `interp` / `interpDeriv`: acc = 0 + w_0 k_0 + … + w_(S−1) k_(S−1) over every dense stage (as
 * `combineStages` in solvers/erk.ts), then out = y0 + dt·acc or out = acc.
 */
function emitInterpolation(code: Code, stages: number, derivative: boolean): void {
  const out = loadPointer(code, I32.out);
  const y0 = loadPointer(code, I32.y0);
  const dt = splatSlot(code, F64.dt);
  const wp = loadPointer(code, I32.weights);
  const w = Array.from({ length: stages }, (_, i) => {
    const v = code.local(ValType.V128);
    code.localGet(wp).f64Load(8 * i).f64x2Splat().localSet(v);
    return v;
  });
  const k = stagePointers(code, stages);
  const zero = code.local(ValType.V128);
  code.f64x2Const(0).localSet(zero);
  pairLoop(code, (j) => {
    address(code, out, j);
    if (!derivative) {
      loadPair(code, y0, j);
      code.localGet(dt);
    }
    code.localGet(zero);
    for (let i = 0; i < stages; i++) {
      code.localGet(w[i]!);
      loadPair(code, k[i]!, j);
      code.f64x2Mul().f64x2Add();
    }
    if (!derivative) code.f64x2Mul().f64x2Add();
    code.v128Store(j.off);
  });
}

/**
 * A scaled error norm of the vector at the header slot given as the function's parameter, with
 * the integration loop's formula: r_i = e_i / (atol + rtol·max(|y0_i|, |y1_i|)), then
 * √(Σ r_i² / n) ("rms") or max |r_i| ("max", NaN-propagating: acc = max(acc, |r_i|) + (r_i − r_i)).
 * The divisions run two lanes at a time; the sum or maximum is accumulated one component after
 * the other, in index order, so the result equals the scalar loop's to the last bit. With scalar
 * tolerances the rms norm takes the larger magnitude as `a0 > a1 ? a0 : a1` (f64x2.pmax), the
 * other forms as Math.max (f64x2.max); they differ only for NaN, as in the loop.
 */
function normFunction(code: Code, kind: "rms" | "max", vectorTol: boolean): void {
  const errSlot = 0; // parameter
  const y0 = loadPointer(code, I32.y0);
  const y1 = loadPointer(code, I32.y1);
  const e = code.local(ValType.I32);
  code.i32Const(0).localGet(errSlot).i32Const(2).i32Shl().i32Add().i32Load().localSet(e);
  const rtolV = vectorTol ? loadPointer(code, I32.rtolVec) : splatSlot(code, F64.rtol);
  const atolV = vectorTol ? loadPointer(code, I32.atolVec) : splatSlot(code, F64.atol);
  const n = code.local(ValType.I32);
  code.i32Const(0).i32Load(i32Addr(I32.n)).localSet(n);
  const acc = code.local(ValType.F64);
  const r = code.local(ValType.V128);
  const j = code.local(ValType.I32);
  const endFull = code.local(ValType.I32);
  const at: Lane = { j, off: 0 };
  const ternary = kind === "rms" && !vectorTol;
  code.f64Const(0).localSet(acc);
  code.localGet(n).i32Const(1).i32ShrU().i32Const(4).i32Shl().localSet(endFull);
  code.i32Const(0).localSet(j);
  // Whole pairs.
  code.block().loop();
  code.localGet(j).localGet(endFull).i32LtU().i32Eqz().brIf(1);
  loadPair(code, e, at);
  if (vectorTol) loadPair(code, atolV, at);
  else code.localGet(atolV);
  if (vectorTol) loadPair(code, rtolV, at);
  else code.localGet(rtolV);
  if (ternary) {
    loadPair(code, y1, at);
    code.f64x2Abs();
    loadPair(code, y0, at);
    code.f64x2Abs().f64x2Pmax(); // pmax(a1, a0) = a1 < a0 ? a0 : a1 = (a0 > a1 ? a0 : a1)
  } else {
    loadPair(code, y0, at);
    code.f64x2Abs();
    loadPair(code, y1, at);
    code.f64x2Abs().f64x2Max();
  }
  code.f64x2Mul().f64x2Add().f64x2Div().localSet(r);
  for (const lane of [0, 1] as const) accumulate(code, kind, acc, () => code.localGet(r).f64x2ExtractLane(lane));
  code.localGet(j).i32Const(16).i32Add().localSet(j);
  code.br(0);
  code.end().end();
  // The last component when n is odd (j = 8·(n − 1) now).
  const rs = code.local(ValType.F64);
  const a0 = code.local(ValType.F64);
  const a1 = code.local(ValType.F64);
  code.localGet(n).i32Const(1).i32And().if();
  code.localGet(y0).localGet(j).i32Add().f64Load().f64Abs().localSet(a0);
  code.localGet(y1).localGet(j).i32Add().f64Load().f64Abs().localSet(a1);
  code.localGet(e).localGet(j).i32Add().f64Load();
  if (vectorTol) code.localGet(atolV).localGet(j).i32Add().f64Load();
  else code.i32Const(0).f64Load(f64Addr(F64.atol));
  if (vectorTol) code.localGet(rtolV).localGet(j).i32Add().f64Load();
  else code.i32Const(0).f64Load(f64Addr(F64.rtol));
  if (ternary) code.localGet(a0).localGet(a1).localGet(a0).localGet(a1).f64Gt().select();
  else code.localGet(a0).localGet(a1).f64Max();
  code.f64Mul().f64Add().f64Div().localSet(rs);
  accumulate(code, kind, acc, () => code.localGet(rs));
  code.end();
  code.i32Const(0);
  if (kind === "rms") code.localGet(acc).localGet(n).f64ConvertI32U().f64Div().f64Sqrt();
  else code.localGet(acc);
  code.f64Store(f64Addr(F64.norm));
}

/** acc += r·r (rms) or acc = max(acc, |r|) + (r − r) (max), r pushed by `push`. */
function accumulate(code: Code, kind: "rms" | "max", acc: number, push: () => void): void {
  if (kind === "rms") {
    code.localGet(acc);
    push();
    push();
    code.f64Mul().f64Add().localSet(acc);
  } else {
    code.localGet(acc);
    push();
    code.f64Abs().f64Max();
    push();
    push();
    code.f64Sub().f64Add().localSet(acc);
  }
}

/** The names of the norm exports, by norm kind and whether the tolerances are vectors. */
export const NORM_EXPORTS = {
  rms: { scalar: "normRmsScalar", vector: "normRmsVector" },
  max: { scalar: "normMaxScalar", vector: "normMaxVector" },
} as const;

/** Adds a function with no parameters and no result, written by `write`, exported as `name`. */
export function addVoid(m: ModuleBuilder, name: string | null, write: (code: Code) => void): number {
  const code = new Code(0);
  write(code);
  const idx = m.func([], [], code);
  if (name !== null) m.export(name, idx);
  return idx;
}

/** Indices of the method functions inside a module (for a fused step to call). */
export interface MethodFunctions {
  /** stage[i] for i = 1 … last−1. */
  stage: number[];
  final: number;
  error: number | null;
  extra: number[];
}

/** Adds the method's kernels (everything but the vector field) to `m`. */
export function addMethodKernels(m: ModuleBuilder, tab: Tableau): MethodFunctions {
  const s = tab.stages;
  const last = tab.fsal ? s - 1 : s;
  const stage: number[] = [];
  for (let i = 1; i < last; i++) {
    stage[i] = addVoid(m, `stage${i}`, (code) => emitAffine(code, I32.ytmp, termsOf(tab.a.subarray(i * s, i * s + i), i), i, false));
  }
  const final = addVoid(m, "final", (code) => emitFinal(code, tab));
  const error = tab.fsal && (tab.bErr !== undefined || tab.bErr2 !== undefined) ? addVoid(m, "error", (code) => emitErrorOnly(code, tab)) : null;
  const d = tab.dense;
  const extra: number[] = [];
  for (let e = 0; e < d.extraC.length; e++) {
    const idx = d.extraStart + e;
    extra.push(addVoid(m, `extra${e}`, (code) => emitAffine(code, I32.ytmp, termsOf(d.extraA.subarray(e * d.stages, e * d.stages + idx), idx), idx, true)));
  }
  addVoid(m, "interp", (code) => emitInterpolation(code, d.stages, false));
  addVoid(m, "interpDeriv", (code) => emitInterpolation(code, d.stages, true));
  for (const kind of ["rms", "max"] as const) {
    for (const vec of [false, true]) {
      const code = new Code(1);
      normFunction(code, kind, vec);
      m.export(NORM_EXPORTS[kind][vec ? "vector" : "scalar"], m.func([ValType.I32], [], code));
    }
  }
  return { stage, final, error, extra };
}

/** The module of a method's kernels alone (a plain JavaScript vector field is called per stage). */
export function methodModule(tab: Tableau): Uint8Array {
  const m = new ModuleBuilder();
  addMethodKernels(m, tab);
  return m.encode();
}
