/**
 * `BDF`: variable-order (1–5), variable-step numerical differentiation formulas (NDF) in the
 * quasi-constant step-size form of Shampine & Reichelt (1997), the method of MATLAB's `ode15s`
 * and SciPy's `BDF`; the workhorse for large stiff systems.
 *
 * The history is kept as backward differences D_0 … D_{k+2} of the solution at equally spaced
 * points (D_0 = y_n); a step-size change by a factor ρ rescales them with the matrices R(ρ) U of
 * Shampine & Reichelt. A step predicts y⁽⁰⁾ = Σ_{j≤k} D_j and solves the NDF
 *   (1 − κ_k) γ_k (y − y⁽⁰⁾) + Σ_{j=1}^{k} γ_j ∇^j y_n = h f(t + h, y)
 * by a simplified Newton iteration with W = M − (h/α_k) J (α_k = (1 − κ_k) γ_k), monitoring the
 * contraction rate (at most four iterations; a diverging or too slow iteration with a current
 * Jacobian fails the step). The Jacobian is kept across steps and re-evaluated only when Newton
 * fails, as in CVODE; W is refactored when h or k change. The error estimate is
 * (κ_k γ_k + 1/(k+1)) (y − y⁽⁰⁾); after k + 1 steps of equal size the order k − 1, k or k + 1 with
 * the largest admissible step is chosen (through the loop's `stepFactor` hook).
 *
 * Coefficients: κ = (0, −0.1850, −1/9, −0.0823, −0.0415) (Klopfenstein–Shampine), γ_k = Σ_{j≤k} 1/j.
 * References: L. F. Shampine & M. W. Reichelt, "The MATLAB ODE Suite", SIAM J. Sci. Comput. 18(1)
 * (1997) 1–22, §2; G. D. Byrne & A. C. Hindmarsh, "A polyalgorithm for the numerical solution of
 * ordinary differential equations", ACM TOMS 1(1) (1975) 71–96.
 */
import { setNewtonTolerances } from "./stage-newton.js";
import type { AbstractTerm, InPlaceVectorField } from "../../terms.js";
import { describeValue } from "../../tree.js";
import type { AbstractSolver, SolverState } from "../solver.js";
import { STEP_OK } from "../solver.js";
import {
  checkImplicitOptions, type ImplicitOptions, IterationMatrix, STATUS_NEWTON_FAILED, vectorFieldObject,
} from "./iteration-matrix.js";
import type { StepMap } from "../step-map.js";

/** Highest order; the history D holds MAX_ORDER + 3 differences. */
export const BDF_MAX_ORDER = 5;
const MAX_ORDER = BDF_MAX_ORDER;
const NEWTON_MAXITER = 4;
const KAPPA = [0, -0.185, -1 / 9, -0.0823, -0.0415, 0];
/** γ_k = Σ_{j≤k} 1/j. */
export const BDF_GAMMA: readonly number[] = [0, 1, 1.5, 11 / 6, 25 / 12, 137 / 60];
const GAMMA = BDF_GAMMA;
/** α_k = (1 − κ_k) γ_k: a step solves (h/α_k) f(y) = M (ψ + y − y⁽⁰⁾). */
export const BDF_ALPHA: readonly number[] = KAPPA.map((k, i) => (1 - k) * GAMMA[i]!);
const ALPHA = BDF_ALPHA;
const ERROR_CONST = KAPPA.map((k, i) => k * GAMMA[i]! + 1 / (i + 1));

/** Options of {@link BDF}. */
export interface BDFOptions extends ImplicitOptions {
  /** Highest order used (1–5). @defaultValue 5 */
  maxOrder?: number;
}

/** Workspace of a BDF solve. */
export interface BDFState extends SolverState {
  readonly f: InPlaceVectorField;
  readonly args: unknown;
  readonly n: number;
  readonly im: IterationMatrix;
  /** Backward differences D_0 … D_{MAX_ORDER+2}, each of length n. */
  readonly D: Float64Array[];
  /** Scratch for rescaling D: R(ρ), R(ρ)·U ((k+1)² each) and a copy of D's rows. */
  readonly R: Float64Array;
  readonly RU: Float64Array;
  readonly Dtmp: Float64Array[];
  readonly f0: Float64Array;
  readonly fy: Float64Array;
  readonly psi: Float64Array;
  readonly d: Float64Array;
  readonly dy: Float64Array;
  readonly rhs: Float64Array;
  readonly scale: Float64Array;
  readonly mtmp: Float64Array;
  order: number;
  /** Order of the last step taken (its interpolant's degree). */
  lastOrder: number;
  numNewtonIterations: number;
  /** Step size the differences are spaced by (signed); NaN before the first step. */
  h: number;
  nEqualSteps: number;
  /** J is at the current point: a Newton failure then cannot be cured by a new Jacobian. */
  jacCurrent: boolean;
  jacEverEvaluated: boolean;
  lastNewtonIters: number;
  /** Contraction rate of the last Newton iteration with the current matrix (−1: unknown). */
  rateGuess: number;
  /** Order chosen by `stepFactor` for the next step (applied in `accept`). */
  nextOrder: number;
  /** The history restarted (D_0 = y, D_1 = h f(t, y)) for the step being attempted. */
  fresh: boolean;
  /** Whether the last accepted step started from a restarted history (for the discrete adjoint). */
  lastFresh: boolean;
  rtol: number | Float64Array;
  atol: number | Float64Array;
  newtonTol: number;
}

/**
 * Variable-order, variable-step BDF/NDF method (orders 1–5), in the style of MATLAB's `ode15s`
 * and SciPy's `BDF`: one Jacobian kept across many steps, one LU per change of step or order,
 * a few Newton iterations per step. Best for large stiff systems (method-of-lines PDEs, chemical
 * kinetics) at moderate tolerances; supports a constant mass matrix (index-1 DAEs) and banded
 * Jacobians.
 *
 * Options: `maxOrder` (1–5, default 5), `massMatrix`, `linearSolver`, `bandwidth`.
 *
 * References: Shampine & Reichelt, SIAM J. Sci. Comput. 18(1) (1997) 1–22; Byrne & Hindmarsh,
 * ACM TOMS 1(1) (1975) 71–96.
 *
 * @example
 * ```ts
 * diffeqsolve({ terms: new ODETerm(rober), solver: new BDF(), t0: 0, t1: 1e5, y0: [1, 0, 0],
 *   stepsizeController: new PIDController({ rtol: 1e-6, atol: 1e-10 }) });
 * ```
 */
export class BDF implements AbstractSolver<BDFState> {
  readonly name = "BDF";
  /** The starting order (the order adapts between 1 and `maxOrder`). */
  readonly order = 1;
  readonly errorOrder = 2;
  readonly hasSecondaryError = false;
  readonly maxOrder: number;
  readonly options: ImplicitOptions;

  constructor(options?: BDFOptions) {
    this.options = checkImplicitOptions("BDF", options, ["maxOrder"]);
    const m = options?.maxOrder ?? MAX_ORDER;
    if (!Number.isInteger(m) || m < 1 || m > MAX_ORDER) {
      throw new RangeError(`new BDF(options): \`maxOrder\` must be a whole number from 1 to 5; got ${describeValue(m)}.`);
    }
    this.maxOrder = m;
  }

  /** For the discrete adjoint (see {@link StepMap}). */
  get stepMap(): StepMap {
    return { kind: "bdf", solver: this };
  }

  init(f: InPlaceVectorField, n: number, args: unknown, terms: AbstractTerm): BDFState {
    const im = new IterationMatrix(this.name, f, n, args, vectorFieldObject(terms), this.options);
    const rows = MAX_ORDER + 3;
    const D: Float64Array[] = [];
    for (let i = 0; i < rows; i++) D.push(new Float64Array(n));
    const Dtmp: Float64Array[] = [];
    for (let i = 0; i <= MAX_ORDER; i++) Dtmp.push(new Float64Array(n));
    const state: BDFState = {
      numFnEvals: 0, f, args, n, im, D, Dtmp,
      R: new Float64Array((MAX_ORDER + 1) * (MAX_ORDER + 1)),
      RU: new Float64Array((MAX_ORDER + 1) * (MAX_ORDER + 1)),
      f0: new Float64Array(n), fy: new Float64Array(n), psi: new Float64Array(n), d: new Float64Array(n),
      dy: new Float64Array(n), rhs: new Float64Array(n), scale: new Float64Array(n), mtmp: new Float64Array(n),
      order: 1, lastOrder: 1, numNewtonIterations: 0, h: NaN, nEqualSteps: 0, jacCurrent: false, jacEverEvaluated: false, lastNewtonIters: 0, rateGuess: -1, nextOrder: 1,
      fresh: true, lastFresh: false,
      rtol: 1e-8, atol: 1e-10, newtonTol: 0,
    };
    im.countEvalsIn(state);
    im.useWeights(state.scale);
    this.setTolerances(state, 1e-8, 1e-10);
    return state;
  }

  /** Called by the loop with the controller's tolerances (used by the Newton convergence test). */
  setTolerances(state: BDFState, rtol: number | Float64Array, atol: number | Float64Array): void {
    setNewtonTolerances(state, rtol, atol);
  }

  extraStats(state: BDFState): Record<string, number> {
    return state.im.stats({ numNewtonIterations: state.numNewtonIterations });
  }

  restart(state: BDFState, t: number, y: Float64Array): Float64Array {
    state.im.start(t, y);
    this.setTolerances(state, state.rtol, state.atol); // the Newton tolerance depends on the linear solver chosen
    state.f(t, y, state.args, state.f0);
    state.numFnEvals++;
    state.h = NaN; // the history starts again at order 1 with the next step's size
    state.fresh = true;
    state.order = 1;
    state.nextOrder = 1;
    state.nEqualSteps = 0;
    state.jacCurrent = false;
    state.im.alpha = NaN;
    state.D[0]!.set(y);
    return state.f0;
  }

  step(state: BDFState, times: Float64Array, y0: Float64Array, y1: Float64Array, yErr: Float64Array): number {
    const t = times[0]!;
    const h = times[1]!;
    const { n, D, im, f, args, psi, d, dy, rhs, scale, fy, mtmp } = state;
    if (state.h !== state.h) {
      // First step after a (re)start: D_0 = y0, D_1 = h f(t0, y0).
      const f0 = state.f0;
      for (let i = 0; i < n; i++) {
        D[0]![i] = y0[i];
        D[1]![i] = h * f0[i];
      }
      for (let j = 2; j < D.length; j++) D[j]!.fill(0);
      state.h = h;
      state.nEqualSteps = 0;
    } else if (h !== state.h) {
      changeD(state, h / state.h);
      state.h = h;
      state.nEqualSteps = 0;
    }
    const k = state.order;
    state.lastOrder = k;
    const tNew = t + h;
    const c = h / ALPHA[k]!;
    // Predictor y⁽⁰⁾ = Σ_{j≤k} D_j (into y1), ψ = Σ_{j=1}^{k} γ_j D_j / α_k, scale from y⁽⁰⁾.
    const rtol = state.rtol;
    const atol = state.atol;
    for (let i = 0; i < n; i++) {
      let yp = 0;
      let ps = 0;
      for (let j = 0; j <= k; j++) yp += D[j]![i];
      for (let j = 1; j <= k; j++) ps += GAMMA[j]! * D[j]![i];
      y1[i] = yp;
      psi[i] = ps / ALPHA[k]!;
      const r = typeof rtol === "number" ? rtol : rtol[i];
      const a = typeof atol === "number" ? atol : atol[i];
      scale[i] = 1 / (a + r * Math.abs(yp));
    }
    if (!state.jacEverEvaluated) {
      f(t, y0, args, fy);
      state.numFnEvals++;
      state.numFnEvals += im.evalJacobian(t, y0, fy, h);
      state.jacEverEvaluated = true;
      state.jacCurrent = true;
    }
    const alpha = 1 / c;
    const mass = im.mass !== null;
    for (;;) {
      if (im.alpha !== alpha) {
        const fs = im.factor(alpha);
        if (fs !== 0) return fs;
        state.rateGuess = -1; // a new matrix: its contraction rate is not known yet
      }
      // Simplified Newton on c f(y) − M(ψ + d) = 0, d = y − y⁽⁰⁾: (M/c − J) Δ = f(y) − M(ψ + d)/c.
      for (let i = 0; i < n; i++) d[i] = 0;
      let converged = false;
      let linearFailure = 0;
      let dyNormOld = -1;
      let iters = 0;
      for (let it = 0; it < NEWTON_MAXITER; it++) {
        f(tNew, y1, args, fy);
        state.numFnEvals++;
        iters++;
        let finite = true;
        for (let i = 0; i < n; i++) if (!Number.isFinite(fy[i])) finite = false;
        if (!finite) break;
        if (mass) {
          for (let i = 0; i < n; i++) dy[i] = psi[i] + d[i];
          im.massMul(dy, mtmp);
          for (let i = 0; i < n; i++) rhs[i] = fy[i] - mtmp[i] * alpha;
        } else {
          for (let i = 0; i < n; i++) rhs[i] = fy[i] - (psi[i] + d[i]) * alpha;
        }
        linearFailure = im.solve(rhs);
        if (linearFailure !== 0) break;
        let acc = 0;
        for (let i = 0; i < n; i++) {
          const v = rhs[i] * scale[i];
          acc += v * v;
        }
        const dyNorm = Math.sqrt(acc / n);
        if (dyNormOld < 0) {
          // First iteration: converged if the correction, damped by the contraction rate seen in
          // earlier steps with this matrix (1 when unknown), is already below the tolerance (CVODE's
          // test with its remembered rate "crate"); saves an evaluation and a solve per step.
          const g = state.rateGuess;
          const damp = g >= 0 && g < 1 ? Math.min(1, g / (1 - g)) : 1;
          if (dyNorm === dyNorm && dyNorm * damp < state.newtonTol) {
            for (let i = 0; i < n; i++) {
              y1[i] += rhs[i];
              d[i] += rhs[i];
            }
            converged = true;
            break;
          }
        }
        const rate = dyNormOld < 0 ? -1 : dyNorm / dyNormOld;
        if (rate >= 1 || (rate >= 0 && (Math.pow(rate, NEWTON_MAXITER - it) / (1 - rate)) * dyNorm > state.newtonTol)) break;
        if (!(dyNorm === dyNorm)) break;
        for (let i = 0; i < n; i++) {
          y1[i] += rhs[i];
          d[i] += rhs[i];
        }
        if (rate >= 0) state.rateGuess = rate;
        if (dyNorm === 0 || (rate >= 0 && (rate / (1 - rate)) * dyNorm < state.newtonTol)) {
          converged = true;
          break;
        }
        dyNormOld = dyNorm;
      }
      state.numNewtonIterations += iters;
      state.lastNewtonIters = iters;
      if (converged) break;
      if (state.jacCurrent) return linearFailure !== 0 ? linearFailure : STATUS_NEWTON_FAILED;
      // A stale Jacobian may be the reason: re-evaluate it at (t, y0) and retry the same step.
      f(t, y0, args, fy);
      state.numFnEvals++;
      state.numFnEvals += im.evalJacobian(t, y0, fy, h);
      state.jacCurrent = true;
      for (let i = 0; i < n; i++) {
        let yp = 0;
        for (let j = 0; j <= k; j++) yp += D[j]![i];
        y1[i] = yp;
      }
    }
    const ec = ERROR_CONST[k]!;
    for (let i = 0; i < n; i++) yErr[i] = ec * d[i];
    return STEP_OK;
  }

  /**
   * The loop's step-size hook: on acceptance after k + 1 equal steps, compares the admissible
   * steps of orders k − 1, k and k + 1 (from D_k and the new difference d − D_{k+1}) and returns
   * the factor of the best one; otherwise the classical factor for order k.
   */
  stepFactor(state: BDFState, err: number, accepted: boolean): number {
    const k = state.order;
    const safety = (0.9 * (2 * NEWTON_MAXITER + 1)) / (2 * NEWTON_MAXITER + state.lastNewtonIters);
    if (!accepted) {
      state.nextOrder = k;
      return Math.max(0.2, safety * Math.pow(err, -1 / (k + 1)));
    }
    state.nextOrder = k;
    if (state.nEqualSteps + 1 < k + 1) return 1;
    const { n, D, d, scale } = state;
    let em = Infinity;
    let ep = Infinity;
    if (k > 1) {
      let acc = 0;
      const c = ERROR_CONST[k - 1]!;
      for (let i = 0; i < n; i++) {
        // D_k after this step's update is D_k + d (see accept); its order-(k−1) error estimate.
        const v = c * (D[k]![i] + d[i]) * scale[i];
        acc += v * v;
      }
      em = Math.sqrt(acc / n);
    }
    if (k < this.maxOrder) {
      let acc = 0;
      const c = ERROR_CONST[k + 1]!;
      for (let i = 0; i < n; i++) {
        const v = c * (d[i] - D[k + 1]![i]) * scale[i];
        acc += v * v;
      }
      ep = Math.sqrt(acc / n);
    }
    const fm = em === Infinity ? 0 : Math.pow(em, -1 / k);
    const f0 = err === 0 ? Infinity : Math.pow(err, -1 / (k + 1));
    const fp = ep === Infinity ? 0 : ep === 0 ? Infinity : Math.pow(ep, -1 / (k + 2));
    let best = f0;
    if (fm > best) {
      best = fm;
      state.nextOrder = k - 1;
    }
    if (fp > best) {
      best = fp;
      state.nextOrder = k + 1;
    }
    return Math.min(10, safety * best);
  }

  accept(state: BDFState): void {
    const { n, D, d } = state;
    const k = state.order;
    // D_{k+2} = d − D_{k+1}, D_{k+1} = d, D_i += D_{i+1} for i = k … 0: the differences at t + h.
    const Dk2 = D[k + 2]!;
    const Dk1 = D[k + 1]!;
    for (let i = 0; i < n; i++) {
      Dk2[i] = d[i] - Dk1[i];
      Dk1[i] = d[i];
    }
    for (let j = k; j >= 0; j--) {
      const a = D[j]!;
      const b = D[j + 1]!;
      for (let i = 0; i < n; i++) a[i] += b[i];
    }
    state.nEqualSteps++;
    state.jacCurrent = false;
    state.lastFresh = state.fresh;
    state.fresh = false;
    if (state.nextOrder !== k) {
      state.order = state.nextOrder;
      state.nEqualSteps = 0;
    }
    state.nextOrder = state.order;
  }

  interpolate(state: BDFState, theta: number, out: Float64Array): void {
    bdfDense(state.D, null, 0, state.n, state.lastOrder, theta, false, state.h, out);
  }

  interpolateDerivative(state: BDFState, theta: number, out: Float64Array): void {
    bdfDense(state.D, null, 0, state.n, state.lastOrder, theta, true, state.h, out);
  }

  denseSize(n: number): number {
    return (MAX_ORDER + 1) * n + 1;
  }

  writeDense(state: BDFState, out: Float64Array, offset: number): void {
    const n = state.n;
    // The interpolant of the step just accepted uses the order it was taken with (before a change).
    const k = state.lastOrder;
    out[offset] = k;
    for (let j = 0; j <= k; j++) out.set(state.D[j]!, offset + 1 + j * n);
  }

  evaluateDense(data: Float64Array, offset: number, n: number, dt: number, theta: number, derivative: boolean, out: Float64Array): void {
    bdfDense(null, data, offset, n, data[offset]!, theta, derivative, dt, out);
  }
}

/**
 * Weights of the interpolant in Newton's backward-difference form, p_j(θ) = Π_{m=0}^{j−1} (θ − 1 + m)/(m + 1)
 * (j = 1 … k, into p[j]), and their derivatives in θ (into dp[j]): y(t + θh) = D_0 + Σ_j p_j(θ) D_j.
 */
export function bdfDenseWeights(k: number, theta: number, p: Float64Array, dp: Float64Array): void {
  let w = 1;
  let dw = 0;
  p[0] = 1;
  dp[0] = 0;
  for (let j = 1; j <= k; j++) {
    const q = (theta - 1 + (j - 1)) / j;
    dw = dw * q + w / j;
    w *= q;
    p[j] = w;
    dp[j] = dw;
  }
}

const densePw = new Float64Array(MAX_ORDER + 1);
const denseDw = new Float64Array(MAX_ORDER + 1);

/**
 * The interpolant of the last step through the k + 1 points t + h − m h (m = 0 … k), in Newton's
 * backward-difference form: y(t + θh) = D_0 + Σ_{j=1}^{k} D_j Π_{m=0}^{j−1} (θ − 1 + m)/(m + 1)
 * (D from the state, or stored row by row in `data` after one leading entry).
 */
function bdfDense(
  D: Float64Array[] | null, data: Float64Array | null, offset: number, n: number, k: number,
  theta: number, derivative: boolean, h: number, out: Float64Array,
): void {
  const base = offset + 1;
  bdfDenseWeights(k, theta, densePw, denseDw);
  for (let i = 0; i < n; i++) {
    let y = 0;
    let yd = 0;
    for (let j = 1; j <= k; j++) {
      const Dj = D !== null ? D[j]![i] : data![base + j * n + i];
      y += Dj * densePw[j]!;
      yd += Dj * denseDw[j]!;
    }
    out[i] = derivative ? yd / h : (D !== null ? D[0]![i] : data![base + i]) + y;
  }
}

/** R(ρ) of size k + 1: R_{ij} = Π_{m=1}^{i} (m − 1 − ρ j)/m (so R_{0j} = 1), row-major into `out`. */
function rMatrix(size: number, rho: number, out: Float64Array): void {
  for (let j = 0; j < size; j++) {
    let p = 1;
    out[j] = 1;
    for (let i = 1; i < size; i++) {
      p *= (i - 1 - rho * j) / i;
      out[i * size + j] = p;
    }
  }
}

/** U = R(1) for each order k (size k + 1), computed once. */
const U_TABLES: Float64Array[] = Array.from({ length: MAX_ORDER + 1 }, (_, k) => {
  const u = new Float64Array((k + 1) * (k + 1));
  rMatrix(k + 1, 1, u);
  return u;
});

/**
 * The matrix R(ρ) U of size k + 1 (row-major into `RU`; `R` scratch of the same size) that rescales
 * the differences D_0 … D_k to the step size ρ h: D_j ← Σ_i (R(ρ) U)_{ij} D_i (Shampine & Reichelt
 * 1997, §2.1).
 */
export function bdfRescaleMatrix(k: number, rho: number, R: Float64Array, RU: Float64Array): void {
  const size = k + 1;
  rMatrix(size, rho, R);
  const U = U_TABLES[k]!;
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      let acc = 0;
      for (let m = 0; m < size; m++) acc += R[i * size + m] * U[m * size + j];
      RU[i * size + j] = acc;
    }
  }
}

/** Rescales the differences D_0 … D_k to the step size ρ h (see {@link bdfRescaleMatrix}). */
function changeD(state: BDFState, rho: number): void {
  const { D, Dtmp, R, RU, n } = state;
  const k = state.order;
  const size = k + 1;
  bdfRescaleMatrix(k, rho, R, RU);
  for (let j = 0; j < size; j++) {
    const dst = Dtmp[j]!;
    dst.fill(0);
    for (let i = 0; i < size; i++) {
      const c = RU[i * size + j];
      if (c !== 0) {
        const src = D[i]!;
        for (let e = 0; e < n; e++) dst[e] += c * src[e];
      }
    }
  }
  for (let j = 0; j < size; j++) D[j]!.set(Dtmp[j]!);
}

/**
 * Sets the history of a BDF state to the solution values `history[m]` = y(t − m h), m = 0 … k,
 * at order k (backward differences D_j = ∇^j y). For tests of the k-step formula with exact
 * starting values, and for warm starts; call instead of `restart`.
 */
export function primeBDFHistory(state: BDFState, history: readonly ArrayLike<number>[], h: number, order: number): void {
  const { n, D } = state;
  for (let j = 0; j < D.length; j++) D[j]!.fill(0);
  // ∇^j y_0 = Σ_m (−1)^m C(j, m) y(t − m h).
  for (let j = 0; j <= order; j++) {
    let binom = 1;
    for (let m = 0; m <= j; m++) {
      const c = (m % 2 === 0 ? 1 : -1) * binom;
      const y = history[m]!;
      for (let i = 0; i < n; i++) D[j]![i] += c * y[i]!;
      binom = (binom * (j - m)) / (m + 1);
    }
  }
  state.h = h;
  state.order = order;
  state.lastOrder = order;
  state.nextOrder = order;
  state.nEqualSteps = 0;
  state.jacCurrent = false;
  state.im.alpha = NaN;
}
