/**
 * The WebAssembly workspace of one explicit Runge–Kutta solve: the stage vectors, the state
 * buffers and the scratch of a solve live in one WebAssembly memory, and the generated kernels
 * (erk-module.ts) combine them there, two components per instruction.
 *
 * Zero copy: the stage vectors handed to a JavaScript vector field are `Float64Array` views of
 * that memory, so f reads its argument and writes its derivative where the kernels read them. The
 * state vectors y0, y1 and the error estimates are used in place when the integration loop's
 * buffers are views of this memory too ({@link WasmERKWorkspace.stateBuffers}); buffers that live
 * elsewhere are copied in before the step and out after it (n doubles each, a `TypedArray.set`).
 *
 * The memory is sized once, when the workspace is made; if it is grown later (only on purpose,
 * through `arena.reserve`) every view is re-derived before its next use.
 */
import type { InPlaceVectorField } from "../terms.js";
import type { Tableau } from "../solvers/tableau.js";
import { Arena, type Region } from "./arena.js";
import { F64, headerBytes, I32, vectorBytes } from "./layout.js";
import { NORM_EXPORTS } from "./erk-module.js";

/** The exports of a method module. */
interface MethodExports {
  [name: string]: (...args: number[]) => number | void;
}

/** A vector field compiled into the module (vector-field.ts), or none. */
export interface FusedFieldHost {
  /** Bytes of parameters, constant tables and scratch the field needs. */
  readonly paramCount: number;
  readonly constants: Float64Array;
  readonly scratchCount: number;
  /** Writes the flat parameter vector of `args` into `out` (length paramCount). */
  flattenArgs(args: unknown, out: Float64Array): void;
}

/** Names of the loop's state buffers, in the order {@link WasmERKWorkspace.stateBuffers} returns them. */
import type { StateBuffers } from "../solvers/solver.js";
export type { StateBuffers };

export class WasmERKWorkspace {
  readonly n: number;
  /** The memory (its `reserve` grows it: the tests of view re-derivation use it). */
  readonly arena: Arena;
  private readonly ex: MethodExports;
  private readonly stageFns: (() => void)[];
  private readonly extraFns: (() => void)[];
  private readonly fsal: boolean;
  private readonly lastStage: number;
  private readonly hasErr: boolean;
  private readonly hasErr2: boolean;
  private readonly c: Float64Array;
  /** Stage regions by engine index (permuted by {@link swapStages}). */
  private readonly kRegions: Region[];
  private readonly rY: Region;
  private readonly rY1: Region;
  private readonly rE1: Region;
  private readonly rE2: Region;
  private readonly rT: Region;
  private readonly rTmp: Region;
  private readonly rWeights: Region;
  private readonly rRtol: Region;
  private readonly rAtol: Region;
  private readonly rParams: Region | null;
  private readonly fused: FusedFieldHost | null;

  // Views on `buffer`, re-derived by sync() when the memory has grown.
  private buffer!: ArrayBuffer;
  private hf!: Float64Array;
  private hi!: Int32Array;
  /** Stage vectors as views, ks[i] ⇔ header slot kBase + i (the engine reads them). */
  readonly ks: Float64Array[] = [];
  ytmp!: Float64Array;
  private weights!: Float64Array;
  private params: Float64Array | null = null;
  private vY!: Float64Array;
  private vY1!: Float64Array;
  private vE1!: Float64Array;
  private vE2!: Float64Array;
  private vT!: Float64Array;
  private vRtol!: Float64Array;
  private vAtol!: Float64Array;
  /** The last step's y0 and y1 (the loop's buffers when in memory, else the copies). */
  private lastY0: Float64Array | null = null;
  private lastY1: Float64Array | null = null;
  private lastY0Addr = 0;
  private lastY1Addr = 0;
  /** The norm kernel chosen by setTolerances. */
  private normFn: ((slot: number) => void) | null = null;

  constructor(tab: Tableau, n: number, module: WebAssembly.Module, fused: FusedFieldHost | null = null, imports: WebAssembly.Imports = {}) {
    this.n = n;
    this.fsal = tab.fsal;
    this.lastStage = tab.stages - 1;
    this.hasErr = tab.bErr !== undefined;
    this.hasErr2 = tab.bErr2 !== undefined;
    this.c = tab.c;
    this.fused = fused;
    const S = tab.dense.stages;
    const vectors = S + 9;
    const extra = fused === null ? 0 : vectorBytes(fused.paramCount) + vectorBytes(fused.constants.length) + vectorBytes(fused.scratchCount);
    this.arena = new Arena(headerBytes(S), headerBytes(S) + vectors * vectorBytes(n) + vectorBytes(S) + extra);
    const a = this.arena;
    this.kRegions = Array.from({ length: S }, () => a.vector(n));
    this.rTmp = a.vector(n);
    this.rY = a.vector(n);
    this.rY1 = a.vector(n);
    this.rE1 = a.vector(n);
    this.rE2 = a.vector(n);
    this.rT = a.vector(n);
    this.rWeights = a.vector(S);
    this.rRtol = a.vector(n);
    this.rAtol = a.vector(n);
    this.rParams = fused === null ? null : a.vector(fused.paramCount);
    const rConsts = fused === null ? null : a.vector(fused.constants.length);
    const rScratch = fused === null ? null : a.vector(fused.scratchCount);
    const inst = new WebAssembly.Instance(module, { ...imports, env: { ...(imports.env ?? {}), memory: a.memory } });
    this.ex = inst.exports as unknown as MethodExports;
    const last = tab.fsal ? tab.stages - 1 : tab.stages;
    this.stageFns = [];
    for (let i = 1; i < last; i++) this.stageFns.push(this.ex[`stage${i}`] as () => void);
    this.extraFns = Array.from({ length: tab.dense.extraC.length }, (_, e) => this.ex[`extra${e}`] as () => void);
    this.sync();
    const hi = this.hi;
    hi[I32.n] = n;
    hi[I32.ytmp] = this.rTmp.offset;
    hi[I32.weights] = this.rWeights.offset;
    hi[I32.rtolVec] = this.rRtol.offset;
    hi[I32.atolVec] = this.rAtol.offset;
    hi[I32.y0] = this.rY.offset;
    hi[I32.y1] = this.rY1.offset;
    hi[I32.yErr] = this.rE1.offset;
    hi[I32.yErr2] = this.rE2.offset;
    hi[I32.out] = this.rT.offset;
    for (let i = 0; i < S; i++) hi[I32.kBase + i] = this.kRegions[i]!.offset;
    if (fused !== null) {
      hi[I32.params] = this.rParams!.offset;
      hi[I32.consts] = rConsts!.offset;
      hi[I32.scratch] = rScratch!.offset;
      Arena.view(this.buffer, rConsts!).set(fused.constants);
    }
  }

  /**
   * Re-derives every view if the memory has grown since they were made. Growth detaches the old
   * buffer, and a view of a detached buffer has length 0: that test costs a property read, where
   * asking the memory for its buffer is a call into the engine.
   */
  sync(): void {
    if (this.hi !== undefined && this.hi.length !== 0) return;
    const b = this.arena.memory.buffer;
    this.buffer = b;
    this.hf = new Float64Array(b, 0, 8);
    this.hi = new Int32Array(b, 0, I32.kBase + this.kRegions.length);
    for (let i = 0; i < this.kRegions.length; i++) this.ks[i] = Arena.view(b, this.kRegions[i]!);
    this.ytmp = Arena.view(b, this.rTmp);
    this.weights = Arena.view(b, this.rWeights);
    this.params = this.rParams === null ? null : Arena.view(b, this.rParams);
    // A detached view reads byteOffset 0: the addresses are kept apart.
    if (this.lastY0 !== null) this.lastY0 = new Float64Array(b, this.lastY0Addr, this.n);
    if (this.lastY1 !== null) this.lastY1 = new Float64Array(b, this.lastY1Addr, this.n);
    this.vY = Arena.view(b, this.rY);
    this.vY1 = Arena.view(b, this.rY1);
    this.vE1 = Arena.view(b, this.rE1);
    this.vE2 = Arena.view(b, this.rE2);
    this.vT = Arena.view(b, this.rT);
    this.vRtol = Arena.view(b, this.rRtol);
    this.vAtol = Arena.view(b, this.rAtol);
  }

  /**
   * State buffers in this memory for the integration loop (y, y1, the error estimates and the
   * interpolation output), so that steps copy nothing. Valid until the memory grows, which no
   * solve does.
   */
  stateBuffers(): StateBuffers {
    this.sync();
    return { y: this.vY, y1: this.vY1, yErr: this.vE1, yErr2: this.vE2, ytmp: this.vT };
  }

  /** Swaps stage vectors a and b (first-same-as-last reuse): views and header slots, no data. */
  swapStages(a: number, b: number): void {
    this.sync();
    const r = this.kRegions[a]!;
    this.kRegions[a] = this.kRegions[b]!;
    this.kRegions[b] = r;
    const v = this.ks[a]!;
    this.ks[a] = this.ks[b]!;
    this.ks[b] = v;
    this.hi[I32.kBase + a] = this.kRegions[a]!.offset;
    this.hi[I32.kBase + b] = this.kRegions[b]!.offset;
  }

  /**
   * Binds y0 and y1 for a step: buffers in this memory are used in place, others through the
   * regions y/y1 (y0 copied in). Sets lastY0/lastY1 to the vectors the kernels use.
   */
  private bindStates(y0: Float64Array, y1: Float64Array): void {
    const b = this.buffer;
    const in0 = y0.buffer === b;
    const in1 = y1.buffer === b;
    // A copy never lands on a buffer the other argument occupies.
    const v0 = in0 ? y0 : in1 && y1.byteOffset === this.rY.offset ? this.vY1 : this.vY;
    if (!in0) v0.set(y0);
    const v1 = in1 ? y1 : v0 === this.vY ? this.vY1 : this.vY;
    this.hi[I32.y0] = v0.byteOffset;
    this.hi[I32.y1] = v1.byteOffset;
    this.lastY0 = v0;
    this.lastY1 = v1;
    this.lastY0Addr = v0.byteOffset;
    this.lastY1Addr = v1.byteOffset;
  }

  /** Binds the error outputs: in place when in memory, else the regions yErr/yErr2. */
  private bindErrors(yErr: Float64Array, yErr2: Float64Array): void {
    const b = this.buffer;
    this.hi[I32.yErr] = yErr.buffer === b ? yErr.byteOffset : this.rE1.offset;
    this.hi[I32.yErr2] = yErr2.buffer === b ? yErr2.byteOffset : this.rE2.offset;
  }

  /** Copies y1 and the error estimates out to buffers that are not in this memory. */
  private copyOut(y1: Float64Array, yErr: Float64Array, yErr2: Float64Array): void {
    const b = this.buffer;
    if (y1.buffer !== b) y1.set(this.lastY1!);
    if (this.hasErr && yErr.buffer !== b) yErr.set(this.vE1);
    if (this.hasErr2 && yErr2.buffer !== b) yErr2.set(this.vE2);
  }

  /** Writes [t, dt, t1] into the header. */
  private setTimes(times: Float64Array): void {
    const h = this.hf;
    h[F64.t] = times[0]!;
    h[F64.dt] = times[1]!;
    h[F64.t1] = times[2]!;
  }

  /**
   * One step: stages 1 … s−1 with a JavaScript vector field, y1 and the error estimate(s).
   * `times` holds [t, dt, t1]; k_0 must already hold f(t, y0).
   */
  step(f: InPlaceVectorField, args: unknown, times: Float64Array, y0: Float64Array, y1: Float64Array, yErr: Float64Array, yErr2: Float64Array): void {
    this.sync();
    this.setTimes(times);
    this.bindStates(y0, y1);
    this.bindErrors(yErr, yErr2);
    const t = times[0]!;
    const dt = times[1]!;
    const t1 = times[2]!;
    const c = this.c;
    const ks = this.ks;
    const ytmp = this.ytmp;
    const stages = this.stageFns;
    // Stage times exactly as the JavaScript kernels write them.
    for (let i = 1; i <= stages.length; i++) {
      stages[i - 1]!();
      f(c[i] === 1 ? t1 : c[i] === 0 ? t : t + c[i]! * dt, ytmp, args, ks[i]!);
    }
    (this.ex.final as () => void)();
    if (this.fsal) {
      f(t1, this.lastY1!, args, ks[this.lastStage]!);
      if (this.hasErr || this.hasErr2) (this.ex.error as () => void)();
    }
    this.copyOut(y1, yErr, yErr2);
  }

  /** One step with the vector field compiled into the module: a single call. */
  stepFused(args: unknown, times: Float64Array, y0: Float64Array, y1: Float64Array, yErr: Float64Array, yErr2: Float64Array): void {
    this.sync();
    this.setTimes(times);
    this.fused!.flattenArgs(args, this.params!);
    this.bindStates(y0, y1);
    this.bindErrors(yErr, yErr2);
    (this.ex.step as () => void)();
    this.copyOut(y1, yErr, yErr2);
  }

  /**
   * out = f(t, y) by the field compiled into the module (fused workspaces only). `out` must be a
   * view of this memory (a stage vector); `y` outside it is copied into the region y, which is
   * free at the times the engine asks (before a step, and for dense output, whose arguments are
   * already in memory).
   */
  evaluateField(t: number, y: Float64Array, out: Float64Array, args: unknown): void {
    this.sync();
    this.fused!.flattenArgs(args, this.params!);
    this.hf[F64.tEval] = t;
    if (y.buffer === this.buffer) this.hi[I32.fIn] = y.byteOffset;
    else {
      this.vY.set(y);
      this.hi[I32.fIn] = this.rY.offset;
    }
    this.hi[I32.fOut] = out.byteOffset;
    (this.ex.evalF as () => void)();
  }

  /** The last step's y0 and y1 (views valid until the next step). */
  get y0Last(): Float64Array {
    this.sync();
    return this.lastY0!;
  }
  get y1Last(): Float64Array {
    this.sync();
    return this.lastY1!;
  }

  /** The argument of dense extra stage e of the last step, in `ytmp` (returned). */
  extraArgument(e: number): Float64Array {
    this.sync();
    this.hi[I32.y0] = this.lastY0Addr;
    this.extraFns[e]!();
    return this.ytmp;
  }

  /**
   * out = y0 + dt Σ w_i k_i (or Σ w_i k_i for the derivative) over the last step, with the
   * weights `w` (its first dense-stage-count entries: it may be a longer scratch).
   */
  interpolate(w: Float64Array, dt: number, derivative: boolean, out: Float64Array): void {
    this.sync();
    const weights = this.weights;
    for (let i = 0; i < weights.length; i++) weights[i] = w[i]!;
    this.hf[F64.dt] = dt;
    this.hi[I32.y0] = this.lastY0Addr;
    const direct = out.buffer === this.buffer;
    this.hi[I32.out] = direct ? out.byteOffset : this.rT.offset;
    (derivative ? this.ex.interpDeriv! : this.ex.interp!)();
    if (!direct) out.set(this.vT);
  }

  /**
   * Sets the error norm for {@link errorNorm}: "rms" or "max" with scalar tolerances or vectors of
   * length n (copied in once; a mix of the two is filled into vectors).
   */
  setTolerances(kind: "rms" | "max", rtol: number | Float64Array, atol: number | Float64Array): void {
    this.sync();
    const vector = typeof rtol !== "number" || typeof atol !== "number";
    if (vector) {
      if (typeof rtol === "number") this.vRtol.fill(rtol);
      else this.vRtol.set(rtol);
      if (typeof atol === "number") this.vAtol.fill(atol);
      else this.vAtol.set(atol);
    } else {
      this.hf[F64.rtol] = rtol;
      this.hf[F64.atol] = atol;
    }
    this.normFn = this.ex[NORM_EXPORTS[kind][vector ? "vector" : "scalar"]] as (slot: number) => void;
  }

  /**
   * The scaled norm of the last step's error estimate (`which` 0: yErr, 1: yErr2) with the
   * integration loop's formula, into result[0] (a typed array, so that no double is boxed).
   * Call {@link setTolerances} first.
   */
  errorNorm(which: 0 | 1, result: Float64Array): void {
    this.sync();
    this.hi[I32.y0] = this.lastY0Addr;
    this.hi[I32.y1] = this.lastY1Addr;
    this.normFn!(which === 0 ? I32.yErr : I32.yErr2);
    result[0] = this.hf[F64.norm]!;
  }

}
