/**
 * `RadauIIA5`: the three-stage Radau IIA collocation method of order 5 (Hairer & Wanner's RADAU5),
 * L-stable and stiffly accurate: the method of choice for tight tolerances on stiff problems and
 * for index-1 DAEs with a constant mass matrix.
 *
 * The stage increments Z (3n unknowns) solve Z = dt (A ⊗ I) F(Z). With T⁻¹ A⁻¹ T = diag(μ, [[α, −β],
 * [β, α]]) the simplified Newton iteration decouples into one real system with (μ/dt) M − J and one
 * complex system with ((α + iβ)/dt) M − J, each factored once per step size (Hairer & Wanner,
 * *Solving ODEs II*, §IV.8). Newton stops on Hairer's rate test; the Jacobian is kept across steps
 * and re-evaluated after slow convergence or a failure; the step size is left unchanged when the
 * controller would grow it by less than 20%, so that the factorisations can be reused (as RADAU5 and
 * SciPy's Radau do). Error estimate: (μ/dt M − J)⁻¹ (f(t, y0) + M Σ e_i Z_i / dt), refined once
 * with an extra evaluation after a rejection. Dense output: the collocation polynomial (order 3 in
 * between the steps' end points, which are of order 5).
 *
 * Transformation matrices T, T⁻¹ and the error and dense-output coefficients as in SciPy's
 * `scipy/integrate/_ivp/radau.py` (a port of Hairer's radau5.f); checked by the tests against the
 * Radau IIA coefficient matrix.
 */
import { setNewtonTolerances } from "./stage-newton.js";
import type { AbstractTerm, InPlaceVectorField } from "../../terms.js";
import type { AbstractSolver, SolverState } from "../solver.js";
import { STEP_OK } from "../solver.js";
import {
  checkImplicitOptions, type ImplicitOptions, IterationMatrix, STATUS_NEWTON_FAILED, vectorFieldObject,
} from "./iteration-matrix.js";
import type { StepMap } from "../step-map.js";

const S6 = Math.sqrt(6);
/** Collocation nodes c_1, c_2, c_3 = 1. */
export const RADAU_C = [(4 - S6) / 10, (4 + S6) / 10, 1] as const;
/**
 * The Radau IIA coefficient matrix A (row-major), in closed form (Hairer & Wanner, *Solving ODEs
 * II*, Table IV.5.6): the collocation equations M Z_i = h Σ_j a_ij f(t + c_j h, y0 + Z_j) that the
 * transformed Newton iteration solves, and that the discrete adjoint differentiates.
 */
export const RADAU_A = [
  (88 - 7 * S6) / 360, (296 - 169 * S6) / 1800, (-2 + 3 * S6) / 225,
  (296 + 169 * S6) / 1800, (88 + 7 * S6) / 360, (-2 - 3 * S6) / 225,
  (16 - S6) / 36, (16 + S6) / 36, 1 / 9,
] as const;
/** Dense output: y(t + x dt) = y0 + Σ_k Q_k x^{k+1} with Q_k = Σ_i RADAU_P[3i + k] Z_i. */
export const RADAU_P = [
  13 / 3 + (7 * S6) / 3, -23 / 3 - (22 * S6) / 3, 10 / 3 + 5 * S6,
  13 / 3 - (7 * S6) / 3, -23 / 3 + (22 * S6) / 3, 10 / 3 - 5 * S6,
  1 / 3, -8 / 3, 10 / 3,
] as const;
/** Error-estimate coefficients e_i. */
export const RADAU_E = [(-13 - 7 * S6) / 3, (-13 + 7 * S6) / 3, -1 / 3] as const;
/** Real eigenvalue μ of A⁻¹ and the complex pair α ± iβ. */
export const RADAU_MU_REAL = 3 + Math.cbrt(9) - Math.cbrt(3);
export const RADAU_MU_COMPLEX_RE = 3 + 0.5 * (Math.cbrt(3) - Math.cbrt(9));
export const RADAU_MU_COMPLEX_IM = -0.5 * (Math.pow(3, 5 / 6) + Math.pow(3, 7 / 6));
/** Eigenvector matrix T (row-major) and its inverse. */
export const RADAU_T = [
  0.09443876248897524, -0.14125529502095421, 0.03002919410514742,
  0.25021312296533332, 0.20412935229379994, -0.38294211275726192,
  1, 1, 0,
] as const;
export const RADAU_TI = [
  4.17871859155190428, 0.32768282076106237, 0.52337644549944951,
  -4.17871859155190428, -0.32768282076106237, 0.47662355450055044,
  0.50287263494578682, -2.57192694985560522, 0.59603920482822492,
] as const;
const P = RADAU_P;
const NEWTON_MAXITER = 6;

/** Workspace of a RadauIIA5 solve. */
export interface RadauState extends SolverState {
  readonly f: InPlaceVectorField;
  readonly args: unknown;
  readonly n: number;
  readonly im: IterationMatrix;
  /** Stage increments Z_i, transformed W_i, stage values F_i (each 3 × n). */
  readonly Z: Float64Array[];
  readonly W: Float64Array[];
  readonly F: Float64Array[];
  /** Dense-output coefficients Q_k of the last accepted step. */
  readonly Q: Float64Array[];
  readonly f0: Float64Array;
  readonly ytmp: Float64Array;
  readonly r1: Float64Array;
  readonly r2: Float64Array;
  readonly r3: Float64Array;
  readonly mtmp: Float64Array;
  readonly scale: Float64Array;
  f0Valid: boolean;
  jacCurrent: boolean;
  jacEverEvaluated: boolean;
  recomputeJac: boolean;
  /** dt the complex matrix is factored for (NaN: stale). */
  cH: number;
  lastIters: number;
  lastRate: number;
  numNewtonIterations: number;
  /** The last step call was not followed by `accept` (a rejected step is being retried). */
  pendingReject: boolean;
  /** A previous step's polynomial is available for the predictor. */
  havePrev: boolean;
  tPrev: number;
  dtPrev: number;
  y0Prev: Float64Array;
  y1Prev: Float64Array;
  /** Copy of the last accepted step's start, for the predictor. */
  readonly yOld: Float64Array;
  tOld: number;
  hOld: number;
  rtol: number | Float64Array;
  atol: number | Float64Array;
  newtonTol: number;
}

/**
 * RadauIIA5: three-stage Radau IIA, order 5, L-stable and stiffly accurate, after Hairer & Wanner's
 * RADAU5: one real and one complex LU per step size, Jacobian reuse across steps, collocation
 * dense output. Best at tight tolerances (rtol ≤ 1e-8) and for index-1 DAEs.
 *
 * Options: `massMatrix` (constant, possibly singular), `linearSolver` (dense, banded, sparse or
 * gmres, each with its complex variant), `bandwidth`, `preconditioner` (see {@link ImplicitOptions}).
 *
 * Reference: E. Hairer & G. Wanner, *Solving Ordinary Differential Equations II*, 2nd ed.,
 * Springer (1996), §IV.5 and §IV.8 (RADAU5).
 *
 * @example
 * ```ts
 * diffeqsolve({ terms: new ODETerm(vdpol), solver: new RadauIIA5(), t0: 0, t1: 11, y0: [2, 0],
 *   stepsizeController: new PIDController({ rtol: 1e-10, atol: 1e-10 }) });
 * ```
 */
export class RadauIIA5 implements AbstractSolver<RadauState> {
  readonly name = "RadauIIA5";
  readonly order = 5;
  readonly errorOrder = 4;
  readonly hasSecondaryError = false;
  readonly options: ImplicitOptions;

  constructor(options?: ImplicitOptions) {
    this.options = checkImplicitOptions("RadauIIA5", options);
  }

  /** For the discrete adjoint (see {@link StepMap}). */
  get stepMap(): StepMap {
    return { kind: "radauIIA5", solver: this };
  }

  init(f: InPlaceVectorField, n: number, args: unknown, terms: AbstractTerm): RadauState {
    // The stage matrices must be those of the current step size (no stale factorisation); the
    // Newton iteration judges an inexact Krylov solve.
    const im = new IterationMatrix(this.name, f, n, args, vectorFieldObject(terms), this.options, { staleOk: false, inexactOk: true, complex: true });
    const mk = (): Float64Array[] => [new Float64Array(n), new Float64Array(n), new Float64Array(n)];
    const empty = new Float64Array(0);
    const state: RadauState = {
      numFnEvals: 0, f, args, n, im,
      Z: mk(), W: mk(), F: mk(), Q: mk(),
      f0: new Float64Array(n), ytmp: new Float64Array(n), r1: new Float64Array(n), r2: new Float64Array(n), r3: new Float64Array(n),
      mtmp: new Float64Array(n), scale: new Float64Array(n),
      f0Valid: false, jacCurrent: false, jacEverEvaluated: false, recomputeJac: false, cH: NaN, lastIters: 0, lastRate: 0,
      numNewtonIterations: 0, pendingReject: false, havePrev: false,
      tPrev: 0, dtPrev: 0, y0Prev: empty, y1Prev: empty, yOld: new Float64Array(n), tOld: 0, hOld: 0,
      rtol: 1e-8, atol: 1e-10, newtonTol: 0,
    };
    im.countEvalsIn(state);
    im.useWeights(state.scale);
    this.setTolerances(state, 1e-8, 1e-10);
    return state;
  }

  /** Called by the loop with the controller's tolerances (for the Newton convergence test). */
  setTolerances(state: RadauState, rtol: number | Float64Array, atol: number | Float64Array): void {
    setNewtonTolerances(state, rtol, atol);
  }

  extraStats(state: RadauState): Record<string, number> {
    // Each factorisation of the pair (real and complex) counts as one.
    return state.im.stats({ numNewtonIterations: state.numNewtonIterations });
  }

  restart(state: RadauState, t: number, y: Float64Array): Float64Array {
    state.im.start(t, y);
    this.setTolerances(state, state.rtol, state.atol); // the Newton tolerance depends on the linear solver chosen
    state.f(t, y, state.args, state.f0);
    state.numFnEvals++;
    state.f0Valid = true;
    state.jacCurrent = false;
    state.havePrev = false;
    state.pendingReject = false;
    state.cH = NaN;
    state.im.alpha = NaN;
    return state.f0;
  }

  /** Sets up (μ/dt) M − J and ((α + iβ)/dt) M − J; 0 or a STATUS code. */
  private factorBoth(state: RadauState, dt: number): number {
    const im = state.im;
    const r = im.factor(RADAU_MU_REAL / dt);
    if (r !== 0) return r;
    state.cH = dt;
    return im.factorComplex(RADAU_MU_COMPLEX_RE / dt, RADAU_MU_COMPLEX_IM / dt);
  }

  step(state: RadauState, times: Float64Array, y0: Float64Array, y1: Float64Array, yErr: Float64Array): number {
    const t = times[0]!;
    const dt = times[1]!;
    const { n, im, Z, W, F, f0, ytmp, r1, r2, r3, mtmp, scale, f, args } = state;
    const retry = state.pendingReject;
    state.pendingReject = true;
    if (!state.f0Valid) {
      f(t, y0, args, f0);
      state.numFnEvals++;
      state.f0Valid = true;
    }
    if (!state.jacEverEvaluated || state.recomputeJac) {
      state.numFnEvals += im.evalJacobian(t, y0, f0, dt);
      state.jacEverEvaluated = true;
      state.jacCurrent = true;
      state.recomputeJac = false;
      state.cH = NaN;
    }
    const rtol = state.rtol;
    const atol = state.atol;
    for (let i = 0; i < n; i++) {
      const r = typeof rtol === "number" ? rtol : rtol[i];
      const a = typeof atol === "number" ? atol : atol[i];
      scale[i] = 1 / (a + r * Math.abs(y0[i]));
    }
    const mass = im.mass;
    const muR = RADAU_MU_REAL / dt;
    const muCr = RADAU_MU_COMPLEX_RE / dt;
    const muCi = RADAU_MU_COMPLEX_IM / dt;
    const c1 = RADAU_C[0];
    const c2 = RADAU_C[1];
    const T = RADAU_T;
    const TI = RADAU_TI;
    let converged = false;
    let linearFailure = 0;
    for (let attempt = 0; attempt < 2 && !converged; attempt++) {
      if (state.cH !== dt || im.alpha !== muR) {
        const fs = this.factorBoth(state, dt);
        if (fs !== 0) return fs;
      }
      // Predictor: extrapolate the last step's collocation polynomial, else zero.
      if (state.havePrev) {
        const Q = state.Q;
        for (let s = 0; s < 3; s++) {
          const x = (t + RADAU_C[s] * dt - state.tOld) / state.hOld;
          const x2 = x * x;
          const x3 = x2 * x;
          const z = Z[s]!;
          for (let i = 0; i < n; i++) z[i] = state.yOld[i] + Q[0]![i] * x + Q[1]![i] * x2 + Q[2]![i] * x3 - y0[i];
        }
      } else {
        Z[0]!.fill(0);
        Z[1]!.fill(0);
        Z[2]!.fill(0);
      }
      // W = T⁻¹ Z
      for (let i = 0; i < n; i++) {
        const z0 = Z[0]![i];
        const z1 = Z[1]![i];
        const z2 = Z[2]![i];
        W[0]![i] = TI[0] * z0 + TI[1] * z1 + TI[2] * z2;
        W[1]![i] = TI[3] * z0 + TI[4] * z1 + TI[5] * z2;
        W[2]![i] = TI[6] * z0 + TI[7] * z1 + TI[8] * z2;
      }
      let normOld = -1;
      let rate = -1;
      let iters = 0;
      for (let it = 0; it < NEWTON_MAXITER; it++) {
        iters++;
        let finite = true;
        for (let s = 0; s < 3; s++) {
          const z = Z[s]!;
          for (let i = 0; i < n; i++) ytmp[i] = y0[i] + z[i];
          f(t + (s === 0 ? c1 : s === 1 ? c2 : 1) * dt, ytmp, args, F[s]!);
          const Fs = F[s]!;
          for (let i = 0; i < n; i++) if (!(Fs[i] - Fs[i] === 0)) finite = false;
        }
        state.numFnEvals += 3;
        if (!finite) break;
        // Real system: r1 = TI_0·F − μ/dt M W0; complex: (r2 + i r3) = (TI_1 + i TI_2)·F − (α+iβ)/dt M (W1 + i W2).
        const F0 = F[0]!;
        const F1 = F[1]!;
        const F2 = F[2]!;
        const W0 = W[0]!;
        const W1 = W[1]!;
        const W2 = W[2]!;
        for (let i = 0; i < n; i++) {
          r1[i] = TI[0] * F0[i] + TI[1] * F1[i] + TI[2] * F2[i];
          r2[i] = TI[3] * F0[i] + TI[4] * F1[i] + TI[5] * F2[i];
          r3[i] = TI[6] * F0[i] + TI[7] * F1[i] + TI[8] * F2[i];
        }
        if (mass === null) {
          for (let i = 0; i < n; i++) {
            r1[i] -= muR * W0[i];
            r2[i] -= muCr * W1[i] - muCi * W2[i];
            r3[i] -= muCi * W1[i] + muCr * W2[i];
          }
        } else {
          im.massMul(W0, mtmp);
          for (let i = 0; i < n; i++) r1[i] -= muR * mtmp[i];
          im.massMul(W1, mtmp);
          for (let i = 0; i < n; i++) {
            r2[i] -= muCr * mtmp[i];
            r3[i] -= muCi * mtmp[i];
          }
          im.massMul(W2, mtmp);
          for (let i = 0; i < n; i++) {
            r2[i] += muCi * mtmp[i];
            r3[i] -= muCr * mtmp[i];
          }
        }
        linearFailure = im.solve(r1);
        if (linearFailure === 0) linearFailure = im.solveComplex(r2, r3);
        if (linearFailure !== 0) break;
        let acc = 0;
        for (let i = 0; i < n; i++) {
          const sc = scale[i];
          const a = r1[i] * sc;
          const b = r2[i] * sc;
          const c = r3[i] * sc;
          acc += a * a + b * b + c * c;
        }
        const norm = Math.sqrt(acc / (3 * n));
        if (!(norm === norm)) break;
        if (normOld >= 0) rate = norm / normOld;
        if (rate >= 1 || (rate >= 0 && (Math.pow(rate, NEWTON_MAXITER - it) / (1 - rate)) * norm > state.newtonTol)) break;
        for (let i = 0; i < n; i++) {
          W0[i] += r1[i];
          W1[i] += r2[i];
          W2[i] += r3[i];
          const w0 = W0[i];
          const w1 = W1[i];
          const w2 = W2[i];
          Z[0]![i] = T[0] * w0 + T[1] * w1 + T[2] * w2;
          Z[1]![i] = T[3] * w0 + T[4] * w1 + T[5] * w2;
          Z[2]![i] = T[6] * w0 + T[7] * w1 + T[8] * w2;
        }
        if (norm === 0 || (rate >= 0 && (rate / (1 - rate)) * norm < state.newtonTol)) {
          converged = true;
          break;
        }
        normOld = norm;
      }
      state.numNewtonIterations += iters;
      state.lastIters = iters;
      state.lastRate = rate;
      if (converged) break;
      if (state.jacCurrent) return linearFailure !== 0 ? linearFailure : STATUS_NEWTON_FAILED;
      // A stale Jacobian may be why: re-evaluate it at (t, y0), refactor, and try again.
      state.numFnEvals += im.evalJacobian(t, y0, f0, dt);
      state.jacCurrent = true;
      state.cH = NaN;
    }
    if (!converged) return linearFailure !== 0 ? linearFailure : STATUS_NEWTON_FAILED;
    const e1 = RADAU_E[0];
    const e2 = RADAU_E[1];
    const e3 = RADAU_E[2];
    const invDt = 1 / dt;
    // y1 = y0 + Z_3 (stiffly accurate); error = (μ/dt M − J)⁻¹ (f0 + M Σ e_i Z_i / dt).
    for (let i = 0; i < n; i++) {
      y1[i] = y0[i] + Z[2]![i];
      ytmp[i] = (e1 * Z[0]![i] + e2 * Z[1]![i] + e3 * Z[2]![i]) * invDt;
    }
    if (mass === null) for (let i = 0; i < n; i++) yErr[i] = f0[i] + ytmp[i];
    else {
      im.massMul(ytmp, mtmp);
      for (let i = 0; i < n; i++) yErr[i] = f0[i] + mtmp[i];
    }
    const le = im.solve(yErr);
    if (le !== 0) return le;
    if (retry) {
      // After a rejection (Hairer's refinement): one more evaluation at y0 + err damps stiff components.
      let acc = 0;
      for (let i = 0; i < n; i++) {
        const s = yErr[i] / ((typeof atol === "number" ? atol : atol[i]) + (typeof rtol === "number" ? rtol : rtol[i]) * Math.max(Math.abs(y0[i]), Math.abs(y1[i])));
        acc += s * s;
      }
      if (Math.sqrt(acc / n) > 1) {
        for (let i = 0; i < n; i++) r1[i] = y0[i] + yErr[i];
        f(t, r1, args, r2);
        state.numFnEvals++;
        if (mass === null) for (let i = 0; i < n; i++) yErr[i] = r2[i] + ytmp[i];
        else for (let i = 0; i < n; i++) yErr[i] = r2[i] + mtmp[i];
        const lr = im.solve(yErr);
        if (lr !== 0) return lr;
      }
    }
    state.tPrev = t;
    state.dtPrev = dt;
    state.y0Prev = y0;
    state.y1Prev = y1;
    return STEP_OK;
  }

  /**
   * The loop's step-size hook (RADAU5's): I controller with Hairer's safety factor that accounts
   * for Newton iterations; a growth below 20% keeps the step, so the factorisations are reused.
   */
  stepFactor(state: RadauState, err: number, accepted: boolean): number {
    const safety = (0.9 * (2 * NEWTON_MAXITER + 1)) / (2 * NEWTON_MAXITER + state.lastIters);
    if (!accepted) return Math.max(0.2, safety * Math.pow(err, -0.25));
    const factor = err === 0 ? 10 : Math.min(10, safety * Math.pow(err, -0.25));
    return factor >= 1 && factor < 1.2 ? 1 : factor;
  }

  accept(state: RadauState): void {
    const { n, Z, Q } = state;
    // Q = Zᵀ P: the collocation polynomial of this step, for dense output and the next predictor.
    for (let k = 0; k < 3; k++) {
      const q = Q[k]!;
      const p0 = P[k];
      const p1 = P[3 + k];
      const p2 = P[6 + k];
      for (let i = 0; i < n; i++) q[i] = Z[0]![i] * p0 + Z[1]![i] * p1 + Z[2]![i] * p2;
    }
    state.yOld.set(state.y0Prev);
    state.tOld = state.tPrev;
    state.hOld = state.dtPrev;
    state.havePrev = true;
    state.pendingReject = false;
    state.f0Valid = false;
    state.jacCurrent = false;
    // RADAU5: refresh the Jacobian when Newton needed many iterations or converged slowly.
    state.recomputeJac = state.lastIters > 2 && state.lastRate > 1e-3;
  }

  interpolate(state: RadauState, theta: number, out: Float64Array): void {
    const { n, Q, y0Prev } = state;
    const x = theta;
    for (let i = 0; i < n; i++) out[i] = y0Prev[i] + x * (Q[0]![i] + x * (Q[1]![i] + x * Q[2]![i]));
  }

  interpolateDerivative(state: RadauState, theta: number, out: Float64Array): void {
    const { n, Q, dtPrev } = state;
    const x = theta;
    for (let i = 0; i < n; i++) out[i] = (Q[0]![i] + x * (2 * Q[1]![i] + 3 * x * Q[2]![i])) / dtPrev;
  }

  denseSize(n: number): number {
    return 4 * n;
  }

  writeDense(state: RadauState, out: Float64Array, offset: number): void {
    const n = state.n;
    out.set(state.y0Prev, offset);
    for (let k = 0; k < 3; k++) out.set(state.Q[k]!, offset + (k + 1) * n);
  }

  evaluateDense(data: Float64Array, offset: number, n: number, dt: number, theta: number, derivative: boolean, out: Float64Array): void {
    const x = theta;
    for (let i = 0; i < n; i++) {
      const q0 = data[offset + n + i];
      const q1 = data[offset + 2 * n + i];
      const q2 = data[offset + 3 * n + i];
      out[i] = derivative ? (q0 + x * (2 * q1 + 3 * x * q2)) / dt : data[offset + i] + x * (q0 + x * (q1 + x * q2));
    }
  }
}
