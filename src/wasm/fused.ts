/**
 * One WebAssembly module per (method, compiled vector field): the method's kernels, the vector
 * field compiled from its expression graph (vector-field.ts), and `step`, which runs a whole step
 * (stage sums, stage evaluations, y1, error estimates) in one call, without crossing into
 * JavaScript per stage. The stage times are computed as the JavaScript kernels compute them
 * (t, t1 or t + c_i·dt), so a fused step is bit-identical to the JavaScript one.
 */
import type { Tableau } from "../solvers/tableau.js";
import type { VectorFieldObject } from "../terms.js";
import { Code, ModuleBuilder } from "./encoder.js";
import { wasmHookOf } from "./erk-backend.js";
import { addMethodKernels } from "./erk-module.js";
import { WasmERKWorkspace, type FusedFieldHost } from "./erk-workspace.js";
import { F64, f64Addr, I32, i32Addr } from "./layout.js";
import { compileModule } from "./support.js";
import type { WasmFieldSource } from "./vector-field.js";

interface FusedModule {
  module: WebAssembly.Module;
  host: FusedFieldHost;
  imports: WebAssembly.Imports;
}

/** Fused modules per field source and tableau. */
const cache = new WeakMap<WasmFieldSource, Map<Tableau, FusedModule>>();

/** Emits `f(tc, yPtr, kPtr)` for stage time tc = t, t1 or t + c·dt (as the JavaScript kernels write it). */
function callField(code: Code, f: number, c: number, ySlot: number, kSlot: number): void {
  if (c === 1) code.i32Const(0).f64Load(f64Addr(F64.t1));
  else if (c === 0) code.i32Const(0).f64Load(f64Addr(F64.t));
  else code.i32Const(0).f64Load(f64Addr(F64.t)).f64Const(c).i32Const(0).f64Load(f64Addr(F64.dt)).f64Mul().f64Add();
  code.i32Const(0).i32Load(i32Addr(ySlot));
  code.i32Const(0).i32Load(i32Addr(kSlot));
  code.call(f);
}

/** Builds the fused module of a method and a compiled field. */
function buildFused(tab: Tableau, src: WasmFieldSource): FusedModule {
  const m = new ModuleBuilder();
  // The field's imports come first (a module's imported functions precede its own).
  const field = src.emit(m);
  const fns = addMethodKernels(m, tab);
  m.export("f", field.f);
  const code = new Code(0);
  const s = tab.stages;
  const last = tab.fsal ? s - 1 : s;
  for (let i = 1; i < last; i++) {
    code.call(fns.stage[i]!);
    callField(code, field.f, tab.c[i]!, I32.ytmp, I32.kBase + i);
  }
  code.call(fns.final);
  if (tab.fsal) {
    callField(code, field.f, 1, I32.y1, I32.kBase + s - 1);
    if (fns.error !== null) code.call(fns.error);
  }
  m.export("step", m.func([], [], code));
  // One evaluation at the header's tEval, fIn and fOut (k_0, f(t1, y1), dense extra stages).
  const ev = new Code(0);
  ev.i32Const(0).f64Load(f64Addr(F64.tEval)).i32Const(0).i32Load(i32Addr(I32.fIn)).i32Const(0).i32Load(i32Addr(I32.fOut)).call(field.f);
  m.export("evalF", m.func([], [], ev));
  const module = compileModule(m.encode());
  return {
    module,
    host: { paramCount: field.paramCount, constants: field.constants, scratchCount: field.scratchCount, flattenArgs: field.flattenArgs },
    imports: { m: src.imports },
  };
}

/**
 * A workspace whose module has the field compiled in (the module is built once per field and
 * tableau); null when the field has other than n components.
 */
export function fusedWorkspace(tab: Tableau, n: number, src: WasmFieldSource): WasmERKWorkspace | null {
  if (src.n !== n) return null;
  let perField = cache.get(src);
  if (perField === undefined) cache.set(src, (perField = new Map()));
  let fused = perField.get(tab);
  if (fused === undefined) {
    fused = buildFused(tab, src);
    perField.set(tab, fused);
  }
  return new WasmERKWorkspace(tab, n, fused.module, fused.host, fused.imports);
}

/**
 * The vector field of `vf` (from `compile`) evaluated by WebAssembly alone, as an in-place
 * function `(t, y, args, dy) => void` that copies y in and dy out: for tests and for comparing
 * the two code generators; null when the field does not compile to WebAssembly.
 */
export function wasmFieldEvaluator(vf: VectorFieldObject): ((t: number, y: Float64Array, args: unknown, dy: Float64Array) => void) | null {
  const hook = wasmHookOf(vf);
  const src = hook === null ? null : hook.source();
  if (src === null) return null;
  const m = new ModuleBuilder();
  const field = src.emit(m);
  m.export("f", field.f);
  const n = src.n;
  const header = 4 * (I32.kBase + 1);
  const align = (x: number): number => (x + 15) & ~15;
  const pParams = align(header);
  const pConsts = align(pParams + 8 * field.paramCount);
  const pScratch = align(pConsts + 8 * field.constants.length);
  const pY = align(pScratch + 8 * field.scratchCount);
  const pOut = align(pY + 8 * (n + 1));
  const bytes = align(pOut + 8 * (n + 1));
  const memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536) });
  const inst = new WebAssembly.Instance(compileModule(m.encode()), { m: src.imports, env: { memory } });
  const hi = new Int32Array(memory.buffer, 0, header / 4);
  hi[I32.params] = pParams;
  hi[I32.consts] = pConsts;
  hi[I32.scratch] = pScratch;
  new Float64Array(memory.buffer, pConsts, field.constants.length).set(field.constants);
  const params = new Float64Array(memory.buffer, pParams, field.paramCount);
  const yv = new Float64Array(memory.buffer, pY, n);
  const outv = new Float64Array(memory.buffer, pOut, n);
  const f = inst.exports.f as (t: number, y: number, out: number) => void;
  return (t, y, args, dy) => {
    field.flattenArgs(args, params);
    yv.set(y);
    f(t, pY, pOut);
    dy.set(outv);
  };
}
