/**
 * The discrete adjoint of one explicit Runge–Kutta step (and of outputs interpolated inside it).
 *
 * A step of size h from (t, y0) computes stages K_i = f(t + c_i h, Y_i) with
 * Y_i = y0 + h Σ_{l<i} R_il K_l, then y1 = y0 + h Σ b_i K_i, and an output at θ inside the step is
 * y0 + h Σ_i b_i(θ) K_i. The stages are taken in the order of the tableau's dense layout: the
 * method's stages, f(t1, y1) (the FSAL stage, or stage s for other methods, with R = b), then the
 * extra stages of the interpolant. Reversing that straight-line program gives, for cotangents
 * λ1 of y1 and ō_m of the outputs,
 *
 *   K̄_i = h b_i λ1 + h Σ_m b_i(θ_m) ō_m,
 *   for i = D−1, …, 0:  Ȳ_i = (∂f/∂y)ᵀ K̄_i,  p̄ += (∂f/∂p)ᵀ K̄_i,  K̄_l += h R_il Ȳ_i (l < i),
 *   λ0 = λ1 + Σ_m ō_m + Σ_i Ȳ_i,
 *
 * which is the exact gradient of the computed numbers (to rounding): the "discretise then
 * optimise" adjoint (Hager 2000; Sandu 2006, "On the properties of Runge–Kutta discrete adjoints").
 * The forward arithmetic is the generated kernel's, operation for operation, so a replayed step
 * reproduces the solve's state bit for bit.
 */
import { canGenerate, linearCombination, lit } from "../solvers/codegen.js";
import type { ERKState, ExplicitRungeKutta } from "../solvers/erk.js";
import type { Tableau } from "../solvers/tableau.js";
import type { InPlaceVectorField } from "../terms.js";
import { VectorFieldDerivatives } from "./derivatives.js";
import { NEED_OUTPUTS, NEED_STEP, NEED_THETA, odeVectorField, type StepAdjoint, type StepAdjointContext, type StepLog } from "./step_adjoint.js";

/** Recorded stages of one step and its reverse sweep; all buffers allocated once. */
export class RKStepAdjoint {
  /** Number of stages of the step map (without the FSAL stage, which y1 does not use). */
  readonly stepStages: number;
  /** Number of stages with the interpolant's (f1 and extras). */
  readonly denseStages: number;
  /** R_il, D × D row-major (lower triangular). */
  private readonly R: Float64Array;
  /** b_i, length D (zero past the method's stages). */
  private readonly b: Float64Array;
  /** Stage index whose input is y1 (f(t1, y1)), or −1 when the interpolant does not use it. */
  private readonly f1Index: number;
  /** Stage nodes c_i. */
  private readonly c: Float64Array;
  readonly K: Float64Array[];
  readonly Y: Float64Array[];
  private readonly Kbar: Float64Array[];
  private readonly Ybar: Float64Array;
  private readonly w: Float64Array;
  /** The parameter part of a direct VJP, before it is added to p̄. */
  private readonly pTmp: Float64Array;
  /** Vector-field evaluations and products, counted. */
  numFnEvals = 0;
  numVjpEvals = 0;
  /** Generated straight-line kernels (null: the generic loops, where `new Function` is not allowed). */
  private readonly kernels: AdjointKernels | null;
  /** Reverse kernels with a compiled vector field's VJP inlined (null: not compiled, or too large). */
  private readonly fused: FusedReverse | null;

  constructor(
    private readonly tab: Tableau,
    private readonly f: InPlaceVectorField,
    private readonly args: unknown,
    private readonly deriv: VectorFieldDerivatives,
    readonly n: number,
    generated: boolean = canGenerate(),
  ) {
    const s = tab.stages;
    const d = tab.dense;
    const D = d.stages;
    this.denseStages = D;
    this.stepStages = tab.fsal ? s - 1 : s;
    this.R = new Float64Array(D * D);
    this.b = new Float64Array(D);
    this.c = new Float64Array(D);
    for (let i = 0; i < s; i++) {
      this.b[i] = tab.b[i]!;
      this.c[i] = tab.c[i]!;
      for (let l = 0; l < i; l++) this.R[i * D + l] = tab.a[i * s + l]!;
    }
    const f1 = tab.f1Index;
    this.f1Index = f1 < D ? f1 : -1;
    if (this.f1Index >= 0) {
      this.c[f1] = 1;
      for (let l = 0; l < D; l++) this.R[f1 * D + l] = l < s ? tab.b[l]! : 0;
    }
    for (let e = 0; e < d.extraC.length; e++) {
      const idx = d.extraStart + e;
      this.c[idx] = d.extraC[e]!;
      for (let l = 0; l < idx; l++) this.R[idx * D + l] = d.extraA[e * D + l]!;
    }
    const buf = new Float64Array(3 * D * n);
    this.K = [];
    this.Y = [];
    this.Kbar = [];
    for (let i = 0; i < D; i++) {
      this.K.push(buf.subarray(i * n, (i + 1) * n));
      this.Y.push(buf.subarray((D + i) * n, (D + i + 1) * n));
      this.Kbar.push(buf.subarray((2 * D + i) * n, (2 * D + i + 1) * n));
    }
    this.Ybar = new Float64Array(n);
    this.w = new Float64Array(D);
    this.pTmp = new Float64Array(Math.max(deriv.nP, 1));
    this.kernels = generated ? adjointKernels(tab, this.R, this.b, this.c, this.f1Index, this.stepStages, D) : null;
    this.fused = generated ? fusedReverse(tab, deriv, n, this.R, this.b, this.c, this.f1Index, this.stepStages, D) : null;
  }

  /** Stage time exactly as the generated kernel forms it. */
  stageTime(i: number, t: number, h: number): number {
    const ci = this.c[i]!;
    return ci === 1 ? t + h : ci === 0 ? t : t + ci * h;
  }

  /**
   * Computes the stages 0 … count−1 of the step from (t, y0) and y1 (recording Y_i and K_i).
   * `count` is {@link stepStages}, or {@link denseStages} when outputs are interpolated in it.
   */
  forward(t: number, h: number, y0: Float64Array, y1: Float64Array, count: number): void {
    const kern = this.kernels;
    if (kern !== null) {
      (count === this.stepStages ? kern.forwardStep : kern.forwardDense)(this.f, this.args, this.n, t, h, y0, y1, this.K, this.Y);
      this.numFnEvals += count;
      return;
    }
    const { n, K, Y, R, b, f, args } = this;
    const D = this.denseStages;
    const sb = this.stepStages;
    for (let i = 0; i < count; i++) {
      const Yi = Y[i]!;
      if (i === this.f1Index) {
        for (let j = 0; j < n; j++) Yi[j] = y1[j]!;
      } else {
        for (let j = 0; j < n; j++) {
          let acc = 0;
          for (let l = 0; l < i; l++) {
            const a = R[i * D + l]!;
            if (a !== 0) acc += a * K[l]![j]!;
          }
          Yi[j] = i === 0 ? y0[j]! : y0[j]! + h * acc;
        }
      }
      f(this.stageTime(i, t, h), Yi, args, K[i]!);
      this.numFnEvals++;
      if (i === sb - 1) {
        for (let j = 0; j < n; j++) {
          let acc = 0;
          for (let l = 0; l < sb; l++) {
            const bl = b[l]!;
            if (bl !== 0) acc += bl * K[l]![j]!;
          }
          y1[j] = y0[j]! + h * acc;
        }
      }
    }
  }

  /**
   * Records what the reverse sweep of the step reads, the stage inputs Y_0 … Y_(count−1): as
   * {@link forward} without the last stage's f (its value K only feeds y1 and later stages) and y1.
   * Not for steps whose interpolant's θ-derivative is needed (terminating events).
   */
  tape(t: number, h: number, y0: Float64Array, y1: Float64Array, count: number): void {
    const kern = this.kernels;
    if (kern === null || count === 0) {
      this.forward(t, h, y0, y1, count);
      return;
    }
    (count === this.stepStages ? kern.tapeStep : kern.tapeDense)(this.f, this.args, this.n, t, h, y0, y1, this.K, this.Y);
    this.numFnEvals += count - 1;
  }

  /**
   * Stages the solver has computed when a step is accepted: the method's, which for a
   * first-same-as-last method without extra interpolation stages are all the interpolant needs.
   */
  get keptStages(): number {
    const tab = this.tab;
    return tab.fsal && this.f1Index === tab.stages - 1 && this.denseStages === tab.stages ? this.denseStages : this.stepStages;
  }

  /**
   * Records a step from its first `count` stage derivatives as the solver computed them (kept at
   * the step hook, `kept[offset + l n + j]`; count is {@link stepStages}, or {@link denseStages}
   * when {@link keptStages} covers it): the stage inputs Y_i are formed with the kernel's own
   * sums, so they are the solve's, bit for bit, and no f is evaluated. `withK` also copies the
   * K_i (for the interpolant's θ-derivative).
   */
  fromKept(h: number, y0: Float64Array, kept: Float64Array, offset: number, count: number, withK: boolean): void {
    const { n, R, Y, K } = this;
    if (withK) for (let l = 0; l < count; l++) for (let j = 0; j < n; j++) K[l]![j] = kept[offset + l * n + j]!;
    const kern = this.kernels;
    if (kern !== null) {
      (count === this.stepStages ? kern.inputsFromKeptStep : kern.inputsFromKeptDense)(n, h, y0, kept, offset, Y);
      return;
    }
    const D = this.denseStages;
    for (let i = 0; i < count; i++) {
      const Yi = Y[i]!;
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let l = 0; l < i; l++) {
          const a = R[i * D + l]!;
          if (a !== 0) acc += a * kept[offset + l * n + j]!;
        }
        Yi[j] = i === 0 ? y0[j]! : y0[j]! + h * acc;
      }
    }
  }

  /**
   * The discrete forward mode of a step (for tests): y1 and ẏ1 from y0 and ẏ0 (`yDot`, overwritten
   * with ẏ1), with K̇_i = ∂f/∂y(Y_i) Ẏ_i + ∂f/∂p ṗ and Ẏ_i = ẏ0 + h Σ R_il K̇_l.
   */
  tangentStep(t: number, h: number, y0: Float64Array, y1: Float64Array, yDot: Float64Array, pDot: Float64Array): void {
    const { n, R, b, K, Y, deriv } = this;
    const sb = this.stepStages;
    const D = this.denseStages;
    this.forward(t, h, y0, y1, sb);
    const Kd = this.Kbar;
    const Yd = this.Ybar;
    for (let i = 0; i < sb; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let l = 0; l < i; l++) acc += R[i * D + l]! * Kd[l]![j]!;
        Yd[j] = yDot[j]! + h * acc;
      }
      deriv.jvpY(this.stageTime(i, t, h), Y[i]!, Yd, Kd[i]!);
      deriv.jvpPAdd(this.stageTime(i, t, h), Y[i]!, pDot, Kd[i]!);
    }
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let l = 0; l < sb; l++) acc += b[l]! * Kd[l]![j]!;
      yDot[j] += h * acc;
    }
    void K;
  }

  /**
   * The discrete forward mode of the recorded step (its stage inputs Y from {@link record}-like
   * calls) for m directions at once. `S` (m × n, direction after direction) holds the tangents of
   * y0; `Kd` (count × m × n) receives the stage tangents K̇_i = ∂f/∂y(Y_i) Ẏ_i + ∂f/∂p ṗ from
   * `stageTangent(t_i, Y_i, Ẏ_i, Kd, offset)`, with Ẏ_i = ẏ0 + h Σ_l R_il K̇_l formed here.
   */
  stageTangents(
    t: number, h: number, count: number, m: number, S: Float64Array, Kd: Float64Array, Yd: Float64Array,
    stageTangent: (t: number, y: Float64Array, yDot: Float64Array, out: Float64Array, offset: number) => void,
  ): void {
    const { n, R } = this;
    const D = this.denseStages;
    const mn = m * n;
    for (let i = 0; i < count; i++) {
      if (i === 0) for (let q = 0; q < mn; q++) Yd[q] = S[q]!;
      else {
        for (let q = 0; q < mn; q++) {
          let acc = 0;
          for (let l = 0; l < i; l++) {
            const a = R[i * D + l]!;
            if (a !== 0) acc += a * Kd[l * mn + q]!;
          }
          Yd[q] = S[q]! + h * acc;
        }
      }
      stageTangent(this.stageTime(i, t, h), this.Y[i]!, Yd, Kd, i * mn);
    }
  }

  /**
   * {@link stageTangents} with the Jacobians themselves: per stage J = ∂f/∂y(Y_i) (and, with
   * `JP`, ∂f/∂p: direction d gains column unitP[d] when that is ≥ 0), K̇_i = J Ẏ_i (+ JP e_u).
   * Generated straight-line code for small n (the gradient's case: many directions, few states);
   * `Kd` holds one view per stage (m × n each). Returns false when it does not apply (large n, no
   * code generation), leaving the caller to {@link stageTangents}.
   */
  stageTangentsJacobian(
    t: number, h: number, count: number, m: number, S: Float64Array, Kd: Float64Array[], unitP: Int32Array, J: Float64Array, JP: Float64Array | null,
    advance: boolean,
  ): boolean {
    const n = this.n;
    if (this.kernels === null || n > MAX_TANGENT_N) return false;
    let k = this.tangentKernels;
    if (k === null || this.tangentM !== m) {
      this.tangentKernels = k = tangentKernels(this.tab, this.R, this.b, this.c, n, m, this.stepStages, this.denseStages, inlineJacobians(this.deriv, n));
      this.tangentM = m;
    }
    (count !== this.stepStages ? k.dense : advance ? k.stepAdvance : k.step)(this.deriv, this.args, this.deriv.nP, unitP, m, t, h, this.Y, S, Kd, J, JP);
    return true;
  }
  private tangentKernels: TangentKernels | null = null;
  private tangentM = 0;

  /** y1's tangents from the stage tangents: S ← S + h Σ b_l K̇_l (m × n). */
  advanceTangents(h: number, m: number, S: Float64Array, Kd: Float64Array): void {
    const mn = m * this.n;
    const b = this.b;
    for (let q = 0; q < mn; q++) {
      let acc = 0;
      for (let l = 0; l < this.stepStages; l++) {
        const bl = b[l]!;
        if (bl !== 0) acc += bl * Kd[l * mn + q]!;
      }
      S[q] += h * acc;
    }
  }

  /** The tangents of the output at θ: out = S + h Σ_i b_i(θ) K̇_i over the interpolant's stages (m × n). */
  interpolateTangents(h: number, theta: number, m: number, S: Float64Array, Kd: Float64Array, out: Float64Array, offset: number): void {
    const D = this.denseStages;
    const w = this.w;
    const mn = m * this.n;
    denseWeights(this.tab, theta, w);
    for (let q = 0; q < mn; q++) {
      let acc = 0;
      for (let i = 0; i < D; i++) acc += w[i]! * Kd[i * mn + q]!;
      out[offset + q] = S[q]! + h * acc;
    }
  }

  /** Output at θ inside the recorded step (needs {@link denseStages} stages), as the solver interpolates. */
  interpolate(y0: Float64Array, h: number, theta: number, out: Float64Array): void {
    const D = this.denseStages;
    const w = this.w;
    denseWeights(this.tab, theta, w);
    for (let j = 0; j < this.n; j++) {
      let acc = 0;
      for (let i = 0; i < D; i++) acc += w[i]! * this.K[i]![j]!;
      out[j] = y0[j]! + h * acc;
    }
  }

  /** d/dθ of the output at θ inside the recorded step: h Σ b_i'(θ) K_i. */
  outputThetaDerivative(h: number, theta: number, out: Float64Array): void {
    const D = this.denseStages;
    const w = this.w;
    const { degree, bTheta } = this.tab.dense;
    for (let i = 0; i < D; i++) {
      let acc = 0;
      for (let p = degree - 1; p >= 0; p--) acc = acc * theta + (p + 1) * bTheta[i * degree + p]!;
      w[i] = acc;
    }
    for (let j = 0; j < this.n; j++) {
      let acc = 0;
      for (let i = 0; i < D; i++) acc += w[i]! * this.K[i]![j]!;
      out[j] = h * acc;
    }
  }

  /** Clears the stage cotangents before a reverse sweep. */
  beginReverse(lambda1: Float64Array, h: number, count: number): void {
    const { n, b, Kbar } = this;
    if (this.kernels !== null) {
      (count === this.stepStages ? this.kernels.beginStep : this.kernels.beginDense)(n, h, lambda1, Kbar);
      return;
    }
    for (let i = 0; i < count; i++) {
      const kb = Kbar[i]!;
      const hb = h * b[i]!;
      for (let j = 0; j < n; j++) kb[j] = hb * lambda1[j]!;
    }
  }

  /** Adds the cotangent `obar` of an output at θ (call between beginReverse and reverse). */
  addOutputCotangent(h: number, theta: number, obar: ArrayLike<number>, offset: number): void {
    const D = this.denseStages;
    const w = this.w;
    denseWeights(this.tab, theta, w);
    for (let i = 0; i < D; i++) {
      const hw = h * w[i]!;
      if (hw === 0) continue;
      const kb = this.Kbar[i]!;
      for (let j = 0; j < this.n; j++) kb[j] += hw * obar[offset + j]!;
    }
  }

  /**
   * Reverse sweep of the recorded step: `lambda` holds λ1 (plus the output cotangents already
   * summed into it by the caller) on entry and λ0 on exit; p̄ is accumulated into `pbar`.
   */
  reverse(t: number, h: number, lambda: Float64Array, pbar: Float64Array, count: number): void {
    const { n, R, b, Kbar, Y, Ybar, deriv } = this;
    if (this.fused !== null) {
      (count === this.stepStages ? this.fused.step : this.fused.dense)(this.args, t, h, Y, Kbar, lambda, pbar);
      this.numVjpEvals += count;
      return;
    }
    if (this.kernels !== null) {
      (count === this.stepStages ? this.kernels.reverseStep : this.kernels.reverseDense)(
        deriv, deriv.directVjpBoth, this.args, this.pTmp, deriv.nP, n, t, h, Y, Kbar, Ybar, lambda, pbar,
      );
      this.numVjpEvals += count;
      return;
    }
    const D = this.denseStages;
    for (let i = count - 1; i >= 0; i--) {
      const kb = Kbar[i]!;
      const ti = this.stageTime(i, t, h);
      deriv.vjpYP(ti, Y[i]!, kb, Ybar, pbar);
      this.numVjpEvals++;
      for (let j = 0; j < n; j++) lambda[j] += Ybar[j]!;
      if (i === this.f1Index) {
        // Y_i = y1 = y0 + h Σ b_l K_l.
        for (let l = 0; l < i; l++) {
          const hb = h * b[l]!;
          if (hb === 0) continue;
          const kl = Kbar[l]!;
          for (let j = 0; j < n; j++) kl[j] += hb * Ybar[j]!;
        }
      } else {
        for (let l = 0; l < i; l++) {
          const a = h * R[i * D + l]!;
          if (a === 0) continue;
          const kl = Kbar[l]!;
          for (let j = 0; j < n; j++) kl[j] += a * Ybar[j]!;
        }
      }
    }
  }
}

/** Interpolation weights b_i(θ) by Horner's rule (as the solver computes them). */
function denseWeights(tab: Tableau, theta: number, w: Float64Array): void {
  const { stages, degree, bTheta } = tab.dense;
  for (let i = 0; i < stages; i++) {
    let acc = 0;
    const base = i * degree;
    for (let p = degree - 1; p >= 0; p--) acc = acc * theta + bTheta[base + p]!;
    w[i] = acc * theta;
  }
}

type ForwardKernel = (f: InPlaceVectorField, args: unknown, n: number, t: number, h: number, y0: Float64Array, y1: Float64Array, K: Float64Array[], Y: Float64Array[]) => void;
type BeginKernel = (n: number, h: number, lambda: Float64Array, Kbar: Float64Array[]) => void;
type KeptKernel = (n: number, h: number, y0: Float64Array, kept: Float64Array, offset: number, Y: Float64Array[]) => void;
type DirectVjp = (t: number, y: Float64Array, args: unknown, w: Float64Array, outY: Float64Array, outArgs: Float64Array) => void;
type ReverseKernel = (
  deriv: VectorFieldDerivatives, direct: DirectVjp | null, args: unknown, pTmp: Float64Array, nP: number,
  n: number, t: number, h: number, Y: Float64Array[], Kbar: Float64Array[], Ybar: Float64Array, lambda: Float64Array, pbar: Float64Array,
) => void;
interface AdjointKernels {
  forwardStep: ForwardKernel;
  forwardDense: ForwardKernel;
  tapeStep: ForwardKernel;
  tapeDense: ForwardKernel;
  beginStep: BeginKernel;
  beginDense: BeginKernel;
  reverseStep: ReverseKernel;
  reverseDense: ReverseKernel;
  inputsFromKeptStep: KeptKernel;
  inputsFromKeptDense: KeptKernel;
}

const kernelCache = new WeakMap<Tableau, AdjointKernels>();

function timeExpr(c: number): string {
  return c === 1 ? "t1" : c === 0 ? "t" : `t + ${lit(c)} * h`;
}

/**
 * Straight-line forward, seeding and reverse kernels of a tableau's step adjoint (for the step's
 * stages and for all the interpolant's), generated once per tableau: the stage sums are those of
 * the explicit RK kernel term for term, so replayed steps reproduce the solve bit for bit.
 */
function adjointKernels(tab: Tableau, R: Float64Array, b: Float64Array, c: Float64Array, f1Index: number, sb: number, D: number): AdjointKernels {
  const cached = kernelCache.get(tab);
  if (cached !== undefined) return cached;
  const views = (name: string, count: number): string =>
    count === 0 ? "" : `const ${Array.from({ length: count }, (_, i) => `${name}${i} = ${name}[${i}]`).join(", ")};`;
  // tape: only what the reverse sweep reads (the stage inputs Y_i): the last stage's f and y1 are skipped.
  const forward = (count: number, tape = false): ForwardKernel => {
    const lines = [`"use strict";`, "const t1 = t + h;", views("K", count), views("Y", count)];
    for (let i = 0; i < count; i++) {
      if (i === f1Index) lines.push(`for (let j = 0; j < n; j++) Y${i}[j] = y1[j];`);
      else if (i === 0) lines.push("for (let j = 0; j < n; j++) Y0[j] = y0[j];");
      else {
        // The stage sums exactly as the explicit RK kernel writes them (shared generator).
        const comb = linearCombination(R.subarray(i * D), i, "K");
        lines.push(`for (let j = 0; j < n; j++) Y${i}[j] = y0[j]${comb ? ` + h * (${comb})` : ""};`);
      }
      if (tape && i === count - 1) break;
      lines.push(`f(${timeExpr(c[i]!)}, Y${i}, args, K${i});`);
      if (i === sb - 1) {
        const comb = linearCombination(b, sb, "K");
        lines.push(`for (let j = 0; j < n; j++) y1[j] = y0[j]${comb ? ` + h * (${comb})` : ""};`);
      }
    }
    return new Function("f", "args", "n", "t", "h", "y0", "y1", "K", "Y", lines.join("\n")) as ForwardKernel;
  };
  const begin = (count: number): BeginKernel => {
    const lines = [`"use strict";`, views("Kbar", count)];
    const body: string[] = [];
    for (let i = 0; i < count; i++) body.push(`Kbar${i}[j] = hb${i} * lj;`);
    for (let i = 0; i < count; i++) lines.push(`const hb${i} = h * ${lit(b[i]!)};`);
    lines.push(`for (let j = 0; j < n; j++) { const lj = lambda[j]; ${body.join(" ")} }`);
    return new Function("n", "h", "lambda", "Kbar", lines.join("\n")) as BeginKernel;
  };
  const reverse = (count: number): ReverseKernel => {
    const lines = [`"use strict";`, "const t1 = t + h;", views("Kbar", count), views("Y", count)];
    for (let i = count - 1; i >= 0; i--) {
      lines.push(`{ const ti = ${timeExpr(c[i]!)};`);
      // The vector field's fused VJP called straight (one call, one boxed time), else the wrapper.
      lines.push(`if (direct !== null) { direct(ti, Y${i}, args, Kbar${i}, Ybar, pTmp); for (let k = 0; k < nP; k++) pbar[k] += pTmp[k]; }`);
      lines.push(`else deriv.vjpYP(ti, Y${i}, Kbar${i}, Ybar, pbar);`);
      const body = ["const yb = Ybar[j];", "lambda[j] += yb;"];
      const coefs: string[] = [];
      for (let l = 0; l < i; l++) {
        const a = i === f1Index ? b[l]! : R[i * D + l]!;
        if (a === 0) continue;
        coefs.push(`const a${l} = h * ${lit(a)};`);
        body.push(`Kbar${l}[j] += a${l} * yb;`);
      }
      lines.push(coefs.join(" "));
      lines.push(`for (let j = 0; j < n; j++) { ${body.join(" ")} } }`);
    }
    return new Function("deriv", "direct", "args", "pTmp", "nP", "n", "t", "h", "Y", "Kbar", "Ybar", "lambda", "pbar", lines.join("\n")) as ReverseKernel;
  };
  const inputsFromKept = (count: number): KeptKernel => {
    const lines = [`"use strict";`, views("Y", count)];
    for (let i = 0; i < count; i++) {
      if (i === 0) {
        lines.push("for (let j = 0; j < n; j++) Y0[j] = y0[j];");
        continue;
      }
      // The kernel's own sums, with stage l read from the kept row at offset + l n.
      const comb = linearCombination(R.subarray(i * D), i, "K").replace(/K(\d+)\[j\]/g, (_m, l: string) => `kept[o${l} + j]`);
      const offsets = Array.from({ length: i }, (_, l) => `o${l} = offset + ${l} * n`).join(", ");
      lines.push(`{ const ${offsets}; for (let j = 0; j < n; j++) Y${i}[j] = y0[j]${comb ? ` + h * (${comb})` : ""}; }`);
    }
    return new Function("n", "h", "y0", "kept", "offset", "Y", lines.join("\n")) as KeptKernel;
  };
  const k: AdjointKernels = {
    forwardStep: forward(sb), forwardDense: forward(D), tapeStep: forward(sb, true), tapeDense: forward(D, true), beginStep: begin(sb), beginDense: begin(D), reverseStep: reverse(sb), reverseDense: reverse(D),
    inputsFromKeptStep: inputsFromKept(sb), inputsFromKeptDense: inputsFromKept(D),
  };
  kernelCache.set(tab, k);
  return k;
}

/** Largest state the generated tangent kernels keep the Jacobian of in scalar locals. */
const MAX_TANGENT_N = 8;

type TangentKernel = (
  deriv: VectorFieldDerivatives, args: unknown, nP: number, unitP: Int32Array, m: number, t: number, h: number,
  Y: Float64Array[], S: Float64Array, Kd: Float64Array[], J: Float64Array, JP: Float64Array | null,
) => void;
interface TangentKernels {
  step: TangentKernel;
  /** The step's stages, then S ← S + h Σ b_l K̇_l (y1's tangents), as advanceTangents. */
  stepAdvance: TangentKernel;
  dense: TangentKernel;
}
/** Generated tangent kernels per tableau, keyed by n, the unrolled direction count and the inlined field. */
const tangentCache = new WeakMap<Tableau, Map<string, TangentKernels>>();
const inlineIds = new WeakMap<object, number>();
/** Most directions for which the tangent kernels unroll their loop over the directions. */
const MAX_UNROLLED_DIRECTIONS = 8;
let nextInlineId = 1;
const INLINE_JACOBIANS: unique symbol = Symbol.for("odeflow.inlineJacobians") as never;

/**
 * A compiled vector field's Jacobians as inlinable source (n² entries of ∂f/∂y, then n × nArgs of
 * ∂f/∂p), when its parameters are our layout's and the code is small; null otherwise.
 */
function inlineJacobians(deriv: VectorFieldDerivatives, n: number): InlineVjp | null {
  const hook = (deriv.vf as unknown as Record<symbol, unknown>)[INLINE_JACOBIANS];
  if (deriv.directVjpBoth === null && deriv.nP > 0) return null;
  if (typeof hook !== "function") return null;
  const inline = (hook as () => InlineVjp)();
  if (inline.n !== n || inline.nArgs !== deriv.nP || inline.operations > MAX_FUSED_OPERATIONS / 4) return null;
  return inline;
}

/**
 * Straight-line stage-tangent kernels for states of n components (see
 * RKStepAdjoint.stageTangentsJacobian): the Jacobian in scalar locals, the loop over the
 * directions kept, the stage sums unrolled with the tableau's coefficients.
 */
function tangentKernels(
  tab: Tableau, R: Float64Array, b: Float64Array, c: Float64Array, n: number, m: number, sb: number, D: number, inline: InlineVjp | null,
): TangentKernels {
  const unroll = m <= MAX_UNROLLED_DIRECTIONS;
  let id = 0;
  if (inline !== null) {
    id = inlineIds.get(inline) ?? 0;
    if (id === 0) inlineIds.set(inline, (id = nextInlineId++));
  }
  const key = `${n}|${unroll ? m : "*"}|${id}`;
  let byKey = tangentCache.get(tab);
  const cached = byKey?.get(key);
  if (cached !== undefined) return cached;
  const nP = inline === null ? 0 : inline.nArgs;
  const build = (count: number, advance = false): TangentKernel => {
    const lines = [`"use strict";`, inline === null ? "" : inline.prelude, "const t1 = t + h;", `const ${Array.from({ length: count }, (_, i) => `Kd${i} = Kd[${i}]`).join(", ")};`];
    for (let i = 0; i < count; i++) {
      if (inline === null) {
        lines.push(`{ const ti = ${timeExpr(c[i]!)}; deriv.jacY(ti, Y[${i}], J); if (JP !== null) deriv.jacP(ti, Y[${i}], JP);`);
        lines.push(`const ${Array.from({ length: n * n }, (_, q) => `J${q} = J[${q}]`).join(", ")};`);
      } else {
        // The Jacobians inlined on the stage's scalars; ∂f/∂p into JP for the directions' columns.
        lines.push(`{ const Yi = Y[${i}]; const ${Array.from({ length: n }, (_, j) => `Y${i}_${j} = Yi[${j}]`).join(", ")};`);
        const { code, outputs } = inline.scalar(timeExpr(c[i]!), (j) => `Y${i}_${j}`, `s${i}_`);
        lines.push(code);
        lines.push(`const ${Array.from({ length: n * n }, (_, q) => `J${q} = ${outputs[q]}`).join(", ")};`);
        if (nP > 0) lines.push(`if (JP !== null) { ${Array.from({ length: n * nP }, (_, q) => `JP[${q}] = ${outputs[n * n + q]};`).join(" ")} }`);
      }
      const body: string[] = [];
      for (let j = 0; j < n; j++) {
        const terms: string[] = [];
        for (let l = 0; l < i; l++) {
          const a = R[i * D + l]!;
          if (a !== 0) terms.push(`${lit(a)} * Kd${l}[o + ${j}]`);
        }
        body.push(`const y${j} = S[o + ${j}]${terms.length > 0 ? ` + h * (${terms.join(" + ")})` : ""};`);
      }
      for (let a = 0; a < n; a++) body.push(`Kd${i}[o + ${a}] = ${Array.from({ length: n }, (_, j) => `J${a * n + j} * y${j}`).join(" + ")};`);
      body.push(`if (JP !== null) { const u = unitP[d]; if (u >= 0) { ${Array.from({ length: n }, (_, a) => `Kd${i}[o + ${a}] += JP[${a} * nP + u];`).join(" ")} } }`);
      if (unroll) for (let d = 0; d < m; d++) lines.push(`{ const d = ${d}, o = ${d * n}; ${body.join(" ")} }`);
      else lines.push(`for (let d = 0; d < m; d++) { const o = d * ${n}; ${body.join(" ")} }`);
      lines.push("}");
    }
    if (advance) {
      // As advanceTangents: S[q] += h * Σ_l b_l K̇_l[q], the sum in stage order.
      const terms: string[] = [];
      for (let l = 0; l < sb; l++) if (b[l] !== 0) terms.push(`${lit(b[l]!)} * Kd${l}[q]`);
      lines.push(`for (let q = 0, mn = m * ${n}; q < mn; q++) S[q] += h * (${terms.join(" + ") || "0"});`);
    }
    return new Function("deriv", "args", "nP", "unitP", "m", "t", "h", "Y", "S", "Kd", "J", "JP", lines.join("\n")) as TangentKernel;
  };
  const k: TangentKernels = { step: build(sb), stepAdvance: build(sb, true), dense: build(D) };
  if (byKey === undefined) tangentCache.set(tab, (byKey = new Map()));
  byKey.set(key, k);
  return k;
}

/**
 * What a compiled vector field offers under `Symbol.for("odeflow.inlineVjpBoth")`: its `vjpBoth`
 * as inlinable source on scalar locals (n outputs uᵀ ∂f/∂y, then nArgs outputs uᵀ ∂f/∂p; u is the
 * extra input x), with the same operations in the same order as the generated `vjpBoth`.
 */
interface InlineVjp {
  readonly n: number;
  readonly nArgs: number;
  readonly operations: number;
  readonly prelude: string;
  scalar(t: string, y: (j: number) => string, prefix: string, x?: (j: number) => string): { code: string; outputs: string[] };
}

const INLINE_VJP: unique symbol = Symbol.for("odeflow.inlineVjpBoth") as never;
/** Largest state kept in scalar locals, and largest fused reverse kernel (as for the forward's). */
const MAX_FUSED_N = 16;
const MAX_FUSED_OPERATIONS = 4000;

type FusedKernel = (args: unknown, t: number, h: number, Y: Float64Array[], Kbar: Float64Array[], lambda: Float64Array, pbar: Float64Array) => void;
interface FusedReverse {
  step: FusedKernel;
  dense: FusedKernel;
}
const fusedCache = new WeakMap<object, Map<Tableau, FusedReverse>>();

/**
 * The reverse kernels with the vector field's VJP inlined on scalar locals: no call per stage
 * (the forward's fused kernels do the same with f). Only for compiled vector fields whose
 * parameters are our layout's, with small n; the sums are the generated kernel's, term for term.
 */
function fusedReverse(
  tab: Tableau, deriv: VectorFieldDerivatives, n: number, R: Float64Array, b: Float64Array, c: Float64Array, f1Index: number, sb: number, D: number,
): FusedReverse | null {
  const hook = (deriv.vf as unknown as Record<symbol, unknown>)[INLINE_VJP];
  if (deriv.directVjpBoth === null || typeof hook !== "function" || n > MAX_FUSED_N) return null;
  const vf = deriv.vf as object;
  let byTab = fusedCache.get(vf);
  const cached = byTab?.get(tab);
  if (cached !== undefined) return cached;
  const inline = (hook as () => InlineVjp)();
  if (inline.n !== n || inline.nArgs !== deriv.nP || inline.operations * D > MAX_FUSED_OPERATIONS) return null;
  const build = (count: number): FusedKernel => {
    const lines = [`"use strict";`, inline.prelude, "const t1 = t + h;"];
    lines.push(`const ${Array.from({ length: count }, (_, i) => `Kbar${i} = Kbar[${i}], Y${i} = Y[${i}]`).join(", ")};`);
    for (let i = count - 1; i >= 0; i--) {
      const loads: string[] = [];
      for (let j = 0; j < n; j++) loads.push(`const Y${i}_${j} = Y${i}[${j}], W${i}_${j} = Kbar${i}[${j}];`);
      const { code, outputs } = inline.scalar(timeExpr(c[i]!), (j) => `Y${i}_${j}`, `r${i}_`, (j) => `W${i}_${j}`);
      lines.push(`{ ${loads.join(" ")}`, code);
      const coefs: string[] = [];
      const terms: [number, string][] = [];
      for (let l = 0; l < i; l++) {
        const a = i === f1Index ? b[l]! : R[i * D + l]!;
        if (a === 0) continue;
        coefs.push(`const a${l} = h * ${lit(a)};`);
        terms.push([l, `a${l}`]);
      }
      lines.push(coefs.join(" "));
      for (let k = 0; k < inline.nArgs; k++) lines.push(`pbar[${k}] += ${outputs[n + k]};`);
      for (let j = 0; j < n; j++) {
        const body = [`const yb = ${outputs[j]};`, `lambda[${j}] += yb;`];
        for (const [l, a] of terms) body.push(`Kbar${l}[${j}] += ${a} * yb;`);
        lines.push(`{ ${body.join(" ")} }`);
      }
      lines.push("}");
    }
    return new Function("args", "t", "h", "Y", "Kbar", "lambda", "pbar", lines.join("\n")) as FusedKernel;
  };
  const k: FusedReverse = { step: build(sb), dense: build(D) };
  if (byTab === undefined) fusedCache.set(vf, (byTab = new Map()));
  byTab.set(tab, k);
  return k;
}

/**
 * {@link StepAdjoint} of the explicit Runge–Kutta methods: the carried state is y; a solve that
 * keeps every step also keeps each step's stage derivatives from the solver's workspace, so that
 * its reverse sweep evaluates no f at all (see {@link RKStepAdjoint.fromKept}).
 */
export class ERKStepAdjoint implements StepAdjoint {
  readonly stateSize: number;
  readonly keptPerStep: number;
  /** The step's recorder and reverse sweep (its stage inputs after {@link record}). */
  readonly rk: RKStepAdjoint;
  private readonly steps: StepLog;
  private readonly n: number;
  /** Stages of the recorded step (the method's, or with the interpolant's). */
  private count = 0;
  private h = 0;
  private kept: Float64Array | null = null;
  private keptCount = 0;

  constructor(solver: ExplicitRungeKutta, ctx: StepAdjointContext) {
    const vf = odeVectorField(ctx.v.terms, solver.name, ctx.who);
    const n = ctx.v.y0.length;
    const deriv = new VectorFieldDerivatives(vf, n, ctx.layout, ctx.v.f);
    this.rk = new RKStepAdjoint(solver.tableau, ctx.v.f, ctx.args, deriv, n);
    this.steps = ctx.steps;
    this.n = n;
    this.stateSize = n;
    this.keptPerStep = this.rk.keptStages * n;
  }

  get numFnEvals(): number {
    return this.rk.numFnEvals;
  }
  get numVjpEvals(): number {
    return this.rk.numVjpEvals;
  }

  capture(i: number, y0: Float64Array, state: ERKState, out: Float64Array, keep: boolean): number {
    const n = this.n;
    for (let j = 0; j < n; j++) out[j] = y0[j]!;
    if (keep) {
      const w = this.keptPerStep;
      let kept = this.kept;
      if (kept === null || kept.length < (i + 1) * w) {
        const grown = new Float64Array(Math.max(this.steps.capacity * w, 2 * (i + 1) * w));
        if (kept !== null) grown.set(kept.subarray(0, i * w));
        this.kept = kept = grown;
      }
      // The accepted step's stages are still in the workspace (FSAL swaps happen at the next step).
      const ks = state.ks;
      for (let l = 0; l < this.rk.keptStages; l++) {
        const k = ks[l]!;
        const o = i * w + l * n;
        for (let j = 0; j < n; j++) kept[o + j] = k[j]!;
      }
      this.keptCount = i + 1;
    }
    return 0;
  }

  dropKept(): void {
    this.kept = null;
    this.keptCount = 0;
  }

  start(y0: Float64Array, out: Float64Array): void {
    out.set(y0);
  }

  advance(i: number, x0: Float64Array, x1: Float64Array): void {
    this.rk.forward(this.steps.t(i), this.steps.h(i), x0, x1, this.rk.stepStages);
  }

  private y1Scratch: Float64Array | null = null;

  record(i: number, x0: Float64Array, need: number): void {
    const t = this.steps.t(i);
    const h = this.steps.h(i);
    this.h = h;
    const rk = this.rk;
    const y1 = this.y1Scratch ?? (this.y1Scratch = new Float64Array(this.n));
    const kept = this.kept !== null && i < this.keptCount;
    if (kept && (need === NEED_STEP || rk.keptStages === rk.denseStages)) {
      this.count = need === NEED_STEP ? rk.stepStages : rk.denseStages;
      rk.fromKept(h, x0, this.kept!, i * this.keptPerStep, this.count, need === NEED_THETA);
    } else if (need === NEED_THETA) {
      // The event's step needs every K (the interpolant's θ-derivative).
      this.count = rk.denseStages;
      rk.forward(t, h, x0, y1, this.count);
    } else if (need === NEED_OUTPUTS) {
      this.count = rk.denseStages;
      rk.tape(t, h, x0, y1, this.count);
    } else {
      this.count = rk.stepStages;
      rk.tape(t, h, x0, y1, this.count);
    }
    this.t = t;
  }
  private t = 0;

  outputThetaDerivative(theta: number, out: Float64Array): void {
    this.rk.outputThetaDerivative(this.h, theta, out);
  }

  beginReverse(lambda: Float64Array): void {
    this.rk.beginReverse(lambda, this.h, this.count);
  }

  addOutputCotangent(theta: number, obar: ArrayLike<number>, offset: number, lambda: Float64Array): void {
    this.rk.addOutputCotangent(this.h, theta, obar, offset);
    // The output is y0 + h Σ b_i(θ) K_i: its y0 part passes straight to λ0.
    for (let j = 0; j < this.n; j++) lambda[j] += obar[offset + j]!;
  }

  reverse(lambda: Float64Array, pbar: Float64Array): void {
    this.rk.reverse(this.t, this.h, lambda, pbar, this.count);
  }

  tangent(i: number, x0: Float64Array, x1: Float64Array, xDot: Float64Array, pDot: Float64Array): void {
    this.rk.tangentStep(this.steps.t(i), this.steps.h(i), x0, x1, xDot, pDot);
  }
}
