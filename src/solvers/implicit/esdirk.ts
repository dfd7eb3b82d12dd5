/**
 * Singly diagonally implicit Runge–Kutta methods with an explicit first stage (ESDIRK), stiffly
 * accurate: `ImplicitEuler`, `Kvaerno3`, `Kvaerno4`, `Kvaerno5`.
 *
 * Stage i solves M (Z_i − y0) = dt Σ_{j<i} a_ij k_j + dt γ f(t + c_i dt, Z_i) by a simplified
 * Newton iteration with W = M/(γ dt) − J, monitoring the contraction rate θ_m = ‖ΔZ_m‖/‖ΔZ_{m−1}‖:
 * converged when θ/(1 − θ) ‖ΔZ‖ is below the Newton tolerance, failed when θ ≥ 1 or the rate
 * predicts no convergence within the iteration limit (Hairer & Wanner, *Solving ODEs II*, §IV.8).
 * k_i is then recovered from the stage equation, (M (Z_i − y0) − dt Σ a_ij k_j)/(γ dt), which is
 * exact for the converged Z_i and costs no evaluation. Stiffly accurate: y1 = Z_s, and k_s is the
 * next step's first stage (FSAL). The Jacobian is kept across steps and re-evaluated only when
 * Newton fails with a stale one, as CVODE and RADAU5 do; W is refactored when dt changes.
 *
 * The error estimate is filtered by (M − γ dt J)⁻¹ M (Shampine; Hairer & Wanner §IV.8).
 *
 * Dense output: cubic Hermite interpolation between (y0, k_1) and (y1, k_s), of order 3; for the
 * higher-order methods (Kvaerno4/5) the loop lands steps on `SaveAt.ts` (see `denseOrder`), so
 * saved values meet the tolerance; `sol.evaluate` between steps stays of order 3.
 */
import type { AbstractTerm, InPlaceVectorField } from "../../terms.js";
import type { AbstractSolver, SolverState } from "../solver.js";
import { STEP_OK } from "../solver.js";
import {
  checkImplicitOptions, type ImplicitOptions, IterationMatrix, vectorFieldObject,
} from "./iteration-matrix.js";
import {
  evaluateHermiteDense, filterError, hermite, newtonStats, setNewtonScale, setNewtonTolerances, solveStage, stageSlope,
  type StageNewtonState, writeHermiteDense,
} from "./stage-newton.js";
import { rowMajor } from "./coefficients.js";
import type { StepMap } from "../step-map.js";

/** Coefficients of an ESDIRK method (explicit first stage, constant diagonal γ, stiffly accurate). */
export interface ESDIRKTableau {
  readonly name: string;
  readonly order: number;
  readonly embeddedOrder: number;
  readonly stages: number;
  readonly gamma: number;
  /** a_ij, s × s row-major, including the diagonal γ (a_11 = 0). */
  readonly a: Float64Array;
  readonly c: Float64Array;
  /** Error weights: error = dt Σ bErr_i k_i. */
  readonly bErr: Float64Array;
  /** Stage predictors: Z_i⁽⁰⁾ = y0 + dt Σ_{j<i} p_ij k_j (row-major, s × s). */
  readonly predictor: Float64Array;
  /**
   * Reuse k_s (recovered from the last stage equation) as the next step's k_1. Not for implicit
   * Euler: there k_s = (y1 − y0)/dt, and its error estimate dt (k_2 − k_1) would become a second
   * difference of the solution, blind to a drifting stiff component; it evaluates f(t, y0) instead.
   */
  readonly fsal: boolean;
  readonly source: string;
}

/**
 * Builds and checks an ESDIRK tableau: row sums equal c_i, the last row equals the weights (stiff
 * accuracy), Σ bErr = 0.
 */
function esdirk(spec: {
  name: string; order: number; embeddedOrder: number; gamma: number; a: number[][]; bHat: number[]; predictor: number[][]; source: string;
  fsal?: boolean;
}): ESDIRKTableau {
  const s = spec.a.length;
  const a = rowMajor(spec.a, s);
  const c = new Float64Array(s);
  for (let i = 0; i < s; i++) {
    let sum = 0;
    for (let j = 0; j <= i; j++) sum += a[i * s + j];
    c[i] = sum;
  }
  const bErr = new Float64Array(s);
  for (let j = 0; j < s; j++) bErr[j] = a[(s - 1) * s + j] - (spec.bHat[j] ?? 0);
  let e = 0;
  for (let j = 0; j < s; j++) e += bErr[j];
  if (Math.abs(e) > 1e-12 || Math.abs(c[s - 1] - 1) > 1e-12) throw new Error(`${spec.name}: inconsistent tableau`);
  return { name: spec.name, order: spec.order, embeddedOrder: spec.embeddedOrder, stages: s, gamma: spec.gamma, a, c, bErr, predictor: rowMajor(spec.predictor, s), fsal: spec.fsal ?? true, source: spec.source };
}

/** Implicit Euler as a two-stage ESDIRK: k_1 = f(t, y0) gives the explicit-Euler error estimate. */
export const IMPLICIT_EULER_TABLEAU = esdirk({
  name: "ImplicitEuler", order: 1, embeddedOrder: 1, gamma: 1,
  a: [[0], [0, 1]],
  bHat: [1, 0],
  predictor: [[], [1]],
  fsal: false,
  // The embedded method is explicit Euler, of order 1: the difference h (f(y1) − f(y0)) is O(h²),
  // twice the leading local error of either method (diffrax halves it; we keep the conservative form).
  source: "Backward Euler; error estimate: the difference with explicit Euler, O(h²).",
});

const g3 = 0.43586652150845899942;
/**
 * Kværnø's ESDIRK 3(2), four stages, γ = 0.43586652150845899942 (the root of 6γ³ − 18γ² + 9γ − 1 = 0 that
 * makes the method L-stable); coefficients in closed form in γ from A. Kværnø, "Singly diagonally
 * implicit Runge–Kutta methods with an explicit first stage", BIT 44 (2004) 489–502.
 */
export const KVAERNO3_TABLEAU = (() => {
  const a31 = (-4 * g3 * g3 + 6 * g3 - 1) / (4 * g3);
  const a32 = (-2 * g3 + 1) / (4 * g3);
  const a41 = (6 * g3 - 1) / (12 * g3);
  const a42 = -1 / ((24 * g3 - 12) * g3);
  const a43 = (-6 * g3 * g3 + 6 * g3 - 1) / (6 * g3 - 3);
  const th = 1 / (2 * g3);
  return esdirk({
    name: "Kvaerno3", order: 3, embeddedOrder: 2, gamma: g3,
    a: [[0], [g3, g3], [a31, a32, g3], [a41, a42, a43, g3]],
    bHat: [a31, a32, g3, 0],
    predictor: [[], [1], [1 - th, th], [a31, a32, g3]],
    source: "A. Kværnø, BIT 44 (2004) 489–502, ESDIRK 3/2 (closed forms in γ).",
  });
})();

const g4 = 0.5728160625;
/**
 * Kværnø's ESDIRK 4(3), five stages, γ = 0.5728160625; coefficients as polynomials in γ
 * (Kværnø 2004, Table 4.3; the same closed forms as diffrax's Kvaerno4).
 */
export const KVAERNO4_TABLEAU = (() => {
  const p = (...cs: number[]): number => cs.reduce((acc, x) => acc * g4 + x, 0);
  const a31 = (p(144, -180, 81, -15, 1) * g4) / p(12, -6, 1) ** 2;
  const a32 = (p(-36, 39, -15, 2) * g4) / p(12, -6, 1) ** 2;
  const a41 = p(-144, 396, -330, 117, -18, 1) / (12 * g4 * g4 * p(12, -9, 2));
  const a42 = p(72, -126, 69, -15, 1) / (12 * g4 * g4 * p(3, -1));
  const a43 = (p(-6, 6, -1) * p(12, -6, 1) ** 2) / (12 * g4 * g4 * p(12, -9, 2) * p(3, -1));
  const a51 = p(288, -312, 120, -18, 1) / (48 * g4 * g4 * p(12, -9, 2));
  const a52 = p(24, -12, 1) / (48 * g4 * g4 * p(3, -1));
  const a53 = -(p(12, -6, 1) ** 3) / (48 * g4 * g4 * p(3, -1) * p(12, -9, 2) * p(6, -6, 1));
  const a54 = p(-24, 36, -12, 1) / p(24, -24, 4);
  const c2 = 2 * g4;
  const c3 = g4 + a31 + a32;
  const th1 = c3 / c2;
  const th2 = (1 - c2) / (c3 - c2);
  return esdirk({
    name: "Kvaerno4", order: 4, embeddedOrder: 3, gamma: g4,
    a: [[0], [g4, g4], [a31, a32, g4], [a41, a42, a43, g4], [a51, a52, a53, a54, g4]],
    bHat: [a41, a42, a43, g4, 0],
    predictor: [[], [1], [1 - th1, th1], [0, 1 - th2, th2], [a41, a42, a43, g4]],
    source: "A. Kværnø, BIT 44 (2004) 489–502, ESDIRK 4/3 (closed forms in γ).",
  });
})();

const g5 = 0.26;
/**
 * Kværnø's ESDIRK 5(4), seven stages, γ = 0.26 (Kværnø 2004, Table 4.5; digits as in diffrax and
 * OrdinaryDiffEq.jl, with OrdinaryDiffEq's stage predictors).
 */
export const KVAERNO5_TABLEAU = (() => {
  const r6 = [0.13855640231268224, 0, -0.04245337201752043, 0.02446657898003141, 0.61943039072480676];
  const r7 = [0.13659751177640291, 0, -0.05496908796538376, -0.04118626728321046, 0.62993304899016403, 0.06962479448202728];
  return esdirk({
    name: "Kvaerno5", order: 5, embeddedOrder: 4, gamma: g5,
    a: [
      [0],
      [g5, g5],
      [0.13, 0.84033320996790809, g5],
      [0.22371961478320505, 0.47675532319799699, -0.06470895363112615, g5],
      [0.16648564323248321, 0.10450018841591720, 0.03631482272098715, -0.13090704451073998, g5],
      [...r6, g5],
      [...r7, g5],
    ],
    bHat: [...r6, g5, 0],
    predictor: [
      [],
      [1],
      [-1.366025403784441, 2.3660254037844357],
      [-0.19650552613122207, 0.8113579546496623, 0.38514757148155954],
      [0.10375304369958693, 0.937994698066431, -0.04174774176601781, 0],
      [-0.17281112873898072, 0.6235784481025847, 0.5492326806363959, 0, 0],
      [...r6, g5],
    ],
    source: "A. Kværnø, BIT 44 (2004) 489–502, ESDIRK 5/4.",
  });
})();

/** Workspace of an ESDIRK solve. */
export interface ESDIRKState extends SolverState, StageNewtonState {
  readonly f: InPlaceVectorField;
  readonly ks: Float64Array[];
  readonly mtmp: Float64Array;
  /** f at the start of the next step is in ks[0] (restart or FSAL). */
  k0Valid: boolean;
  jacCurrent: boolean;
  jacEverEvaluated: boolean;
  tPrev: number;
  dtPrev: number;
  y0Prev: Float64Array;
  y1Prev: Float64Array;
  /** The FSAL swap is pending (last step accepted). */
  fsalPending: boolean;
}

/** An ESDIRK method given by its tableau; the named methods are this engine with their tableau. */
export class ESDIRKMethod implements AbstractSolver<ESDIRKState> {
  readonly name: string;
  readonly order: number;
  readonly errorOrder: number;
  readonly hasSecondaryError = false;
  /** The cubic Hermite interpolant is of order 3: output times are landed on for higher orders (see AbstractSolver.denseOrder). */
  readonly denseOrder = 3;
  readonly tableau: ESDIRKTableau;
  readonly options: ImplicitOptions;

  constructor(tableau: ESDIRKTableau, options?: ImplicitOptions) {
    this.options = checkImplicitOptions(tableau.name, options);
    this.tableau = tableau;
    this.name = tableau.name;
    this.order = tableau.order;
    this.errorOrder = Math.min(tableau.order, tableau.embeddedOrder) + 1;
  }

  /** For the discrete adjoint (see {@link StepMap}). */
  get stepMap(): StepMap {
    return { kind: "esdirk", solver: this };
  }

  init(f: InPlaceVectorField, n: number, args: unknown, terms: AbstractTerm): ESDIRKState {
    const im = new IterationMatrix(this.name, f, n, args, vectorFieldObject(terms), this.options);
    const ks: Float64Array[] = [];
    for (let i = 0; i < this.tableau.stages; i++) ks.push(new Float64Array(n));
    const empty = new Float64Array(0);
    const state: ESDIRKState = {
      numFnEvals: 0, f, args, n, im, ks,
      z: new Float64Array(n), w: new Float64Array(n), sum: new Float64Array(n), fz: new Float64Array(n),
      rhs: new Float64Array(n), scale: new Float64Array(n), scalars: new Float64Array(2), mtmp: new Float64Array(n),
      k0Valid: false, jacCurrent: false, jacEverEvaluated: false, numNewtonIterations: 0,
      rtol: 1e-8, atol: 1e-10, newtonTol: 0, tPrev: 0, dtPrev: 0, y0Prev: empty, y1Prev: empty, fsalPending: false,
    };
    im.countEvalsIn(state);
    im.useWeights(state.scale);
    this.setTolerances(state, 1e-8, 1e-10);
    return state;
  }

  /** Called by the loop with the controller's tolerances (for the Newton convergence test). */
  setTolerances(state: ESDIRKState, rtol: number | Float64Array, atol: number | Float64Array): void {
    setNewtonTolerances(state, rtol, atol);
  }

  extraStats(state: ESDIRKState): Record<string, number> {
    return newtonStats(state);
  }

  restart(state: ESDIRKState, t: number, y: Float64Array): Float64Array {
    state.im.start(t, y);
    this.setTolerances(state, state.rtol, state.atol); // the Newton tolerance depends on the linear solver chosen
    state.f(t, y, state.args, state.ks[0]!);
    state.numFnEvals++;
    state.k0Valid = true;
    state.fsalPending = false;
    state.jacCurrent = false;
    return state.ks[0]!;
  }

  step(state: ESDIRKState, times: Float64Array, y0: Float64Array, y1: Float64Array, yErr: Float64Array): number {
    const t = times[0]!;
    const dt = times[1]!;
    const tab = this.tableau;
    const s = tab.stages;
    const { a, c, predictor, bErr, gamma } = tab;
    const { n, ks, im, w, sum, rhs, mtmp, f, args } = state;
    if (state.fsalPending) {
      // FSAL: k_s of the accepted step is f(t, y0) of this one.
      const tmp = ks[0]!;
      ks[0] = ks[s - 1]!;
      ks[s - 1] = tmp;
      state.fsalPending = false;
      state.k0Valid = true;
    }
    if (!state.k0Valid) {
      f(t, y0, args, ks[0]!);
      state.numFnEvals++;
      state.k0Valid = true;
    }
    setNewtonScale(state, y0);
    if (!state.jacEverEvaluated) {
      state.numFnEvals += this.jacobian(state, t, y0, dt);
      state.jacEverEvaluated = true;
      state.jacCurrent = true;
    }
    const hg = dt * gamma;
    const alpha = 1 / hg;
    const scalars = state.scalars;
    scalars[0] = alpha;
    const massTmp = im.mass !== null ? mtmp : null;
    for (let attempt = 0; ; attempt++) {
      if (im.alpha !== alpha) {
        const fs = im.factor(alpha);
        if (fs !== 0) return fs;
      }
      let failed = 0;
      for (let st = 1; st < s && failed === 0; st++) {
        const row = st * s;
        scalars[1] = t + c[st] * dt;
        // S = dt Σ_{j<i} a_ij k_j; predictor w = Z − y0 = dt Σ p_ij k_j.
        for (let i = 0; i < n; i++) {
          let acc = 0;
          let pr = 0;
          for (let j = 0; j < st; j++) {
            const kj = ks[j]![i];
            acc += a[row + j] * kj;
            pr += predictor[row + j] * kj;
          }
          sum[i] = dt * acc;
          w[i] = dt * pr;
        }
        failed = solveStage(state, f, y0, massTmp);
        if (failed !== 0) break;
        // k_i from the stage equation: γ dt k_i = M w − S.
        stageSlope(state, massTmp, ks[st]!);
        if (st === s - 1) for (let i = 0; i < n; i++) y1[i] = y0[i] + w[i];
      }
      if (failed === 0) break;
      if (state.jacCurrent || attempt > 0) return failed;
      // A stale Jacobian may be why: re-evaluate it at (t, y0) and redo the step.
      state.numFnEvals += this.jacobian(state, t, y0, dt);
      state.jacCurrent = true;
    }
    // Error estimate dt Σ bErr_j k_j, filtered by (M − γ dt J)⁻¹ M.
    for (let i = 0; i < n; i++) {
      let e = 0;
      for (let j = 0; j < s; j++) e += bErr[j] * ks[j]![i];
      rhs[i] = dt * e;
    }
    const fe = filterError(state, massTmp, yErr);
    if (fe !== 0) return fe;
    state.tPrev = t;
    state.dtPrev = dt;
    state.y0Prev = y0;
    state.y1Prev = y1;
    return STEP_OK;
  }

  /**
   * Evaluates J at (t, y0). Finite differences need f(t, y0) itself: the FSAL k_1 is recovered
   * from the previous stage equation and differs from it by the Newton residual / (γ dt), which a
   * difference quotient would divide by its tiny increment.
   */
  private jacobian(state: ESDIRKState, t: number, y0: Float64Array, dt: number): number {
    if (!state.im.needsFunctionValue) return state.im.evalJacobian(t, y0, state.ks[0]!, dt);
    state.f(t, y0, state.args, state.fz);
    return 1 + state.im.evalJacobian(t, y0, state.fz, dt);
  }

  accept(state: ESDIRKState): void {
    state.fsalPending = this.tableau.fsal;
    state.k0Valid = false;
    state.jacCurrent = false;
  }

  interpolate(state: ESDIRKState, theta: number, out: Float64Array): void {
    hermite(state.y0Prev, state.y1Prev, state.ks[0]!, state.ks[this.tableau.stages - 1]!, 0, 0, 0, 0, state.n, state.dtPrev, theta, false, out);
  }

  interpolateDerivative(state: ESDIRKState, theta: number, out: Float64Array): void {
    hermite(state.y0Prev, state.y1Prev, state.ks[0]!, state.ks[this.tableau.stages - 1]!, 0, 0, 0, 0, state.n, state.dtPrev, theta, true, out);
  }

  denseSize(n: number): number {
    return 4 * n;
  }

  writeDense(state: ESDIRKState, out: Float64Array, offset: number): void {
    writeHermiteDense(out, offset, state.n, state.y0Prev, state.y1Prev, state.ks[0]!, state.ks[this.tableau.stages - 1]!);
  }

  evaluateDense(data: Float64Array, offset: number, n: number, dt: number, theta: number, derivative: boolean, out: Float64Array): void {
    evaluateHermiteDense(data, offset, n, dt, theta, derivative, out);
  }
}

/**
 * Implicit (backward) Euler: order 1, L-stable, with an explicit-Euler error estimate so that it
 * can adapt its step. Robust but inefficient; use it for very rough tolerances or as a reference.
 *
 * Options: `massMatrix`, `linearSolver`, `bandwidth` (see {@link ImplicitOptions}).
 * Reference: Hairer & Wanner, *Solving ODEs II*, §IV.3.
 *
 * @example
 * ```ts
 * diffeqsolve({ terms, solver: new ImplicitEuler(), t0: 0, t1: 1, y0: [1], dt0: 1e-3, stepsizeController: new ConstantStepSize() });
 * ```
 */
export class ImplicitEuler extends ESDIRKMethod {
  constructor(options?: ImplicitOptions) {
    super(IMPLICIT_EULER_TABLEAU, options);
  }
}

/**
 * Kværnø's 3(2) ESDIRK: L-stable, stiffly accurate, order 3 with an embedded order 2, four stages
 * (three implicit), cubic Hermite dense output.
 *
 * Reference: A. Kværnø, "Singly diagonally implicit Runge–Kutta methods with an explicit first
 * stage", BIT Numer. Math. 44 (2004) 489–502.
 *
 * @example
 * ```ts
 * diffeqsolve({ terms, solver: new Kvaerno3(), t0: 0, t1: 10, y0, stepsizeController: new PIDController({ rtol: 1e-5, atol: 1e-8 }) });
 * ```
 */
export class Kvaerno3 extends ESDIRKMethod {
  constructor(options?: ImplicitOptions) {
    super(KVAERNO3_TABLEAU, options);
  }
}

/**
 * Kværnø's 4(3) ESDIRK: L-stable, stiffly accurate, order 4 with an embedded order 3, five stages,
 * cubic Hermite dense output. Reference: Kværnø, BIT 44 (2004) 489–502.
 *
 * @example
 * ```ts
 * diffeqsolve({ terms, solver: new Kvaerno4(), t0: 0, t1: 10, y0, stepsizeController: new PIDController({ rtol: 1e-6, atol: 1e-9 }) });
 * ```
 */
export class Kvaerno4 extends ESDIRKMethod {
  constructor(options?: ImplicitOptions) {
    super(KVAERNO4_TABLEAU, options);
  }
}

/**
 * Kværnø's 5(4) ESDIRK: L-stable, stiffly accurate, order 5 with an embedded order 4, seven stages,
 * cubic Hermite dense output (so interpolated values are of order 4). Reference: Kværnø, BIT 44
 * (2004) 489–502.
 *
 * @example
 * ```ts
 * diffeqsolve({ terms, solver: new Kvaerno5(), t0: 0, t1: 10, y0, stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-10 }) });
 * ```
 */
export class Kvaerno5 extends ESDIRKMethod {
  constructor(options?: ImplicitOptions) {
    super(KVAERNO5_TABLEAU, options);
  }
}
