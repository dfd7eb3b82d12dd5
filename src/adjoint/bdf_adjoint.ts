/**
 * The discrete adjoint of the variable-order, variable-step BDF/NDF method (Shampine & Reichelt's
 * quasi-constant step-size form, as in bdf.ts).
 *
 * BDF is a multistep method: a step maps the history, the backward differences
 * x = (D_0, …, D_7) (D_0 = y; the solver's own array, 8 n numbers), to the next history. Step i,
 * of order k and size h (both constants of the gradient, like the step sizes of every method here),
 *
 *   1. starts the history after a restart, D_1 = h f(t, D_0), D_j = 0 (j ≥ 2); otherwise, when h
 *      differs from the previous step's h', rescales D_0 … D_k by R(h/h') U (a fixed matrix);
 *   2. predicts y⁽⁰⁾ = Σ_{j≤k} D_j, ψ = Σ_{j=1}^{k} γ_j D_j / α_k, and solves
 *      (h/α_k) f(t + h, y) = M (ψ + y − y⁽⁰⁾) for y, d = y − y⁽⁰⁾ (exactly: implicit_stage.ts);
 *   3. updates D_{k+2} = d − D_{k+1}, D_{k+1} = d, D_j += D_{j+1} for j = k … 0.
 *
 * Every part is linear in x except the solve, whose derivative is the implicit function theorem's
 * (one transposed solve with M α_k/h − J(t + h, y)). The reverse sweep transposes 3, 2, 1 in turn.
 * Checkpoints hold the whole history x, so the multistep recurrence can be restarted from any of
 * them; the step hook captures it from the solver's workspace (the history after the previous
 * step, kept one step), and the step's order and whether it restarted as its integer in the log.
 * Outputs interpolated inside step i are linear in x_{i+1}: y(t + θh) = D_0 + Σ_{j=1}^{k} p_j(θ) D_j.
 *
 * References: L. F. Shampine and M. W. Reichelt, SIAM J. Sci. Comput. 18(1) (1997) 1–22;
 * for adjoints of multistep methods, A. Sandu, "Reverse automatic differentiation of linear
 * multistep methods", in Advances in Automatic Differentiation, Springer (2008) 1–12.
 */
import { BDF_ALPHA, BDF_GAMMA, BDF_MAX_ORDER, bdfDenseWeights, bdfRescaleMatrix, type BDF, type BDFState } from "../solvers/implicit/bdf.js";
import type { IterationMatrix } from "../solvers/implicit/iteration-matrix.js";
import type { InPlaceVectorField } from "../terms.js";
import { VectorFieldDerivatives } from "./derivatives.js";
import { adjointIterationMatrix, massMulTransposed, solveStageExactly, StageFactors, stageFailure, stageScratch, type StageScratch } from "./implicit_stage.js";
import { odeVectorField, type StepAdjoint, type StepAdjointContext, type StepLog } from "./step_adjoint.js";

/** Rows of the history D. */
const ROWS = BDF_MAX_ORDER + 3;
/** The step's integer: its order, plus this flag when it restarted the history. */
const FRESH = 8;

/** {@link StepAdjoint} of BDF; the carried state is the history D_0 … D_7 (8 n numbers). */
export class BDFStepAdjoint implements StepAdjoint {
  readonly stateSize: number;
  readonly keptPerStep = 0;
  numFnEvals = 0;
  numVjpEvals = 0;
  private readonly n: number;
  private readonly deriv: VectorFieldDerivatives;
  private readonly f: InPlaceVectorField;
  private readonly args: unknown;
  private readonly steps: StepLog;
  private readonly who: string;
  private readonly im: IterationMatrix;
  private readonly factors: StageFactors;
  private readonly scratch: StageScratch;
  private readonly mass: Float64Array | null;
  /** The history after the previous step, as captured (x_i for the next capture). */
  private readonly previous: Float64Array;
  // The recorded step.
  private t = 0;
  private h = 0;
  private order = 1;
  private fresh = false;
  private rescaled = false;
  private readonly R = new Float64Array((BDF_MAX_ORDER + 1) ** 2);
  private readonly RU = new Float64Array((BDF_MAX_ORDER + 1) ** 2);
  /** The history after step 1 (rescaled or restarted) and after the step (x_{i+1}). */
  private readonly Dw: Float64Array;
  private readonly Dnext: Float64Array;
  private readonly y: Float64Array;
  private readonly pred: Float64Array;
  private readonly S: Float64Array;
  private readonly d: Float64Array;
  private readonly v1: Float64Array;
  private readonly v2: Float64Array;
  private readonly Dbar: Float64Array;
  private readonly pw = new Float64Array(BDF_MAX_ORDER + 1);
  private readonly dpw = new Float64Array(BDF_MAX_ORDER + 1);

  constructor(solver: BDF, ctx: StepAdjointContext) {
    const vf = odeVectorField(ctx.v.terms, solver.name, ctx.who);
    const n = ctx.v.y0.length;
    this.n = n;
    this.stateSize = ROWS * n;
    this.f = ctx.v.f;
    this.args = ctx.args;
    this.steps = ctx.steps;
    this.who = ctx.who;
    this.deriv = new VectorFieldDerivatives(vf, n, ctx.layout, ctx.v.f);
    this.im = adjointIterationMatrix(solver.name, ctx.v.f, n, ctx.args, vf, this.deriv, solver.options);
    this.mass = this.im.mass;
    this.factors = new StageFactors(this.im, 1);
    this.scratch = stageScratch(n);
    this.previous = new Float64Array(ROWS * n);
    this.Dw = new Float64Array(ROWS * n);
    this.Dnext = new Float64Array(ROWS * n);
    this.Dbar = new Float64Array(ROWS * n);
    const vec = (): Float64Array => new Float64Array(n);
    this.y = vec();
    this.pred = vec();
    this.S = vec();
    this.d = vec();
    this.v1 = vec();
    this.v2 = vec();
  }

  capture(_i: number, y0: Float64Array, state: BDFState, out: Float64Array): number {
    const n = this.n;
    // At the hook the workspace holds the history after this step; the history this step started
    // from is the one captured after the previous step (or y0 alone after a restart).
    if (state.lastFresh) {
      out.fill(0);
      out.set(y0);
    } else out.set(this.previous);
    for (let j = 0; j < ROWS; j++) this.previous.set(state.D[j]!, j * n);
    return state.lastOrder | (state.lastFresh ? FRESH : 0);
  }

  dropKept(): void {}

  start(y0: Float64Array, out: Float64Array): void {
    out.fill(0);
    out.set(y0);
  }

  /** Step i from x0: Dw (after restart or rescale), the solved y, and x_{i+1} into Dnext. */
  private compute(i: number, x0: Float64Array, keep: boolean): void {
    const { n, Dw, Dnext, y, pred, S, d } = this;
    const t = this.steps.t(i);
    const h = this.steps.h(i);
    const meta = this.steps.meta(i);
    const k = meta & 7;
    this.t = t;
    this.h = h;
    this.order = k;
    this.fresh = (meta & FRESH) !== 0;
    Dw.set(x0);
    this.rescaled = false;
    if (this.fresh) {
      const D1 = Dw.subarray(n, 2 * n);
      this.f(t, Dw.subarray(0, n), this.args, D1);
      this.numFnEvals++;
      for (let j = 0; j < n; j++) D1[j] = h * D1[j]!;
      Dw.fill(0, 2 * n);
    } else {
      const hPrev = this.steps.h(i - 1);
      if (h !== hPrev) {
        this.rescaled = true;
        bdfRescaleMatrix(k, h / hPrev, this.R, this.RU);
        const size = k + 1;
        const tmp = Dnext;
        tmp.set(Dw);
        for (let jj = 0; jj < size; jj++) {
          for (let e = 0; e < n; e++) {
            let acc = 0;
            for (let m = 0; m < size; m++) acc += this.RU[m * size + jj]! * tmp[m * n + e]!;
            Dw[jj * n + e] = acc;
          }
        }
      }
    }
    // Predictor and ψ; the NDF equation (h/α_k) f(t + h, y) = M (ψ + y − y⁽⁰⁾) in the form
    // f(t + h, y⁽⁰⁾ + d) + (α_k/h)(S − M d) = 0 with S = −M ψ.
    const alphaK = BDF_ALPHA[k]!;
    const a = alphaK / h;
    const psi = this.v1;
    for (let e = 0; e < n; e++) {
      let yp = 0;
      let ps = 0;
      for (let j = 0; j <= k; j++) yp += Dw[j * n + e]!;
      for (let j = 1; j <= k; j++) ps += BDF_GAMMA[j]! * Dw[j * n + e]!;
      pred[e] = yp;
      psi[e] = ps / alphaK;
    }
    this.im.massMul(psi, S);
    for (let e = 0; e < n; e++) {
      S[e] = -S[e]!;
      d[e] = 0;
    }
    const evals = solveStageExactly(this.im, this.f, this.args, t + h, h, a, pred, S, d, this.scratch);
    if (evals < 0) throw stageFailure(this.who, "BDF", t, h);
    this.numFnEvals += evals;
    if (keep) this.factors.keep(0);
    for (let e = 0; e < n; e++) y[e] = pred[e]! + d[e]!;
    // The history update.
    Dnext.set(Dw);
    for (let e = 0; e < n; e++) {
      Dnext[(k + 2) * n + e] = d[e]! - Dnext[(k + 1) * n + e]!;
      Dnext[(k + 1) * n + e] = d[e]!;
    }
    for (let j = k; j >= 0; j--) for (let e = 0; e < n; e++) Dnext[j * n + e] += Dnext[(j + 1) * n + e]!;
  }

  advance(i: number, x0: Float64Array, x1: Float64Array): void {
    this.compute(i, x0, false);
    x1.set(this.Dnext);
  }

  record(i: number, x0: Float64Array): void {
    this.compute(i, x0, true);
  }

  outputThetaDerivative(theta: number, out: Float64Array): void {
    const { n, pw, dpw, Dnext } = this;
    bdfDenseWeights(this.order, theta, pw, dpw);
    for (let e = 0; e < n; e++) {
      let acc = 0;
      for (let j = 1; j <= this.order; j++) acc += dpw[j]! * Dnext[j * n + e]!;
      out[e] = acc;
    }
  }

  beginReverse(): void {}

  addOutputCotangent(theta: number, obar: ArrayLike<number>, offset: number, lambda: Float64Array): void {
    const { n, pw, dpw } = this;
    bdfDenseWeights(this.order, theta, pw, dpw);
    for (let j = 0; j <= this.order; j++) {
      const w = pw[j]!;
      for (let e = 0; e < n; e++) lambda[j * n + e] += w * obar[offset + e]!;
    }
  }

  reverse(lambda: Float64Array, pbar: Float64Array): void {
    const { n, Dbar, S, v1, v2 } = this;
    const k = this.order;
    const h = this.h;
    Dbar.set(lambda);
    // 3. The history update, transposed: D_j += D_{j+1} (j = k … 0), then D_{k+1} = d, D_{k+2} = d − D_{k+1}.
    for (let j = 0; j <= k; j++) for (let e = 0; e < n; e++) Dbar[(j + 1) * n + e] += Dbar[j * n + e]!;
    const dbar = this.d;
    for (let e = 0; e < n; e++) {
      dbar[e] = Dbar[(k + 1) * n + e]! + Dbar[(k + 2) * n + e]!;
      Dbar[(k + 1) * n + e] = -Dbar[(k + 2) * n + e]!;
      Dbar[(k + 2) * n + e] = 0;
    }
    // 2. The solve (d, from y⁽⁰⁾ and S = −M ψ): ν = W⁻ᵀ d̄; y⁽⁰⁾̄ = Jᵀ ν, S̄ = (α_k/h) ν.
    this.factors.solveTransposed(0, dbar);
    this.deriv.vjpYP(this.t + h, this.y, dbar, v1, pbar);
    this.numVjpEvals++;
    const alphaK = BDF_ALPHA[k]!;
    const a = alphaK / h;
    for (let e = 0; e < n; e++) S[e] = -a * dbar[e]!;
    massMulTransposed(this.mass, n, S, v2); // ψ̄
    for (let j = 0; j <= k; j++) {
      const g = j === 0 ? 0 : BDF_GAMMA[j]! / alphaK;
      for (let e = 0; e < n; e++) Dbar[j * n + e] += v1[e]! + g * v2[e]!;
    }
    // 1. The restart or the rescaling, transposed.
    if (this.fresh) {
      const D1bar = v2;
      for (let e = 0; e < n; e++) D1bar[e] = h * Dbar[n + e]!;
      this.deriv.vjpYP(this.t, this.Dw.subarray(0, n), D1bar, v1, pbar);
      this.numVjpEvals++;
      for (let e = 0; e < n; e++) Dbar[e] += v1[e]!;
      Dbar.fill(0, n);
    } else if (this.rescaled) {
      const size = k + 1;
      const tmp = this.Dnext;
      tmp.set(Dbar);
      for (let m = 0; m < size; m++) {
        for (let e = 0; e < n; e++) {
          let acc = 0;
          for (let jj = 0; jj < size; jj++) acc += this.RU[m * size + jj]! * tmp[jj * n + e]!;
          Dbar[m * n + e] = acc;
        }
      }
    }
    lambda.set(Dbar);
  }

  tangent(i: number, x0: Float64Array, x1: Float64Array, xDot: Float64Array, pDot: Float64Array): void {
    this.compute(i, x0, true);
    x1.set(this.Dnext);
    const { n, v1, v2 } = this;
    const k = this.order;
    const h = this.h;
    const Dd = this.Dbar; // free during a tangent step
    Dd.set(xDot);
    if (this.fresh) {
      const D1d = Dd.subarray(n, 2 * n);
      this.deriv.jvpY(this.t, this.Dw.subarray(0, n), Dd.subarray(0, n), v1);
      this.deriv.jvpPAdd(this.t, this.Dw.subarray(0, n), pDot, v1);
      for (let e = 0; e < n; e++) D1d[e] = h * v1[e]!;
      Dd.fill(0, 2 * n);
    } else if (this.rescaled) {
      const size = k + 1;
      const tmp = new Float64Array(Dd);
      for (let jj = 0; jj < size; jj++) {
        for (let e = 0; e < n; e++) {
          let acc = 0;
          for (let m = 0; m < size; m++) acc += this.RU[m * size + jj]! * tmp[m * n + e]!;
          Dd[jj * n + e] = acc;
        }
      }
    }
    const alphaK = BDF_ALPHA[k]!;
    const a = alphaK / h;
    const predDot = new Float64Array(n);
    const psiDot = new Float64Array(n);
    for (let e = 0; e < n; e++) {
      let yp = 0;
      let ps = 0;
      for (let j = 0; j <= k; j++) yp += Dd[j * n + e]!;
      for (let j = 1; j <= k; j++) ps += BDF_GAMMA[j]! * Dd[j * n + e]!;
      predDot[e] = yp;
      psiDot[e] = ps / alphaK;
    }
    // (a M − J) ḋ = J ẏ⁽⁰⁾ + f_p ṗ + a Ṡ, Ṡ = −M ψ̇.
    const dDot = v2;
    this.deriv.jvpY(this.t + h, this.y, predDot, dDot);
    this.deriv.jvpPAdd(this.t + h, this.y, pDot, dDot);
    this.im.massMul(psiDot, v1);
    for (let e = 0; e < n; e++) dDot[e] -= a * v1[e]!;
    this.factors.solve(0, dDot);
    for (let e = 0; e < n; e++) {
      Dd[(k + 2) * n + e] = dDot[e]! - Dd[(k + 1) * n + e]!;
      Dd[(k + 1) * n + e] = dDot[e]!;
    }
    for (let j = k; j >= 0; j--) for (let e = 0; e < n; e++) Dd[j * n + e] += Dd[(j + 1) * n + e]!;
    xDot.set(Dd);
  }
}
