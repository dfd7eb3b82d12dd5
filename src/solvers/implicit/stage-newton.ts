/**
 * The stage solve shared by the diagonally implicit Runge–Kutta engines (ESDIRK in esdirk.ts, the
 * implicit half of the IMEX pairs in kencarp.ts): each implicit stage solves
 * M w = S + γ dt f(t_i, y0 + w) for w = Z_i − y0 by a simplified Newton iteration with the
 * iteration matrix W = M/(γ dt) − J, monitoring the contraction rate θ_m = ‖Δw_m‖/‖Δw_{m−1}‖
 * (Hairer & Wanner, *Solving ODEs II*, §IV.8). Also shared: the Newton tolerance drawn from the
 * controller's tolerances, the weights of the Newton norm, the filtered error estimate and the
 * cubic Hermite dense output.
 *
 * Plain functions over the engines' workspaces, so that a step creates no closure and no object.
 * The step's doubles (1/(γ dt), t_i) reach them in `state.scalars`, not as arguments: a double
 * passed to a call that is not inlined is boxed, which would allocate on every stage (measured:
 * Kvaerno5 back to its allocation before the split; KenCarp's wrapped f_I, which V8 does not
 * inline here, now boxes t_i once per evaluation instead of once per stage).
 */
import type { InPlaceVectorField } from "../../terms.js";
import type { IterationMatrix } from "./iteration-matrix.js";
import { STATUS_NEWTON_FAILED } from "./linear-solver.js";

const EPS = 2.220446049250313e-16;

/** Most Newton iterations per stage before the stage counts as failed. */
export const NEWTON_MAXITER = 8;

/**
 * The part of a diagonally implicit RK workspace that the stage Newton iteration reads and writes
 * (all buffers of length n, allocated in `init`).
 */
export interface StageNewtonState {
  numFnEvals: number;
  readonly n: number;
  readonly args: unknown;
  readonly im: IterationMatrix;
  /** Stage value Z = y0 + w (the point f is evaluated at). */
  readonly z: Float64Array;
  /** w = Z − y0, the Newton unknown; on entry the predictor, on success the converged value. */
  readonly w: Float64Array;
  /** S = dt Σ_{j<i} a_ij k_j, the explicit part of the stage equation. */
  readonly sum: Float64Array;
  readonly fz: Float64Array;
  /** Right-hand side and Newton increment; after the step, the error estimate. */
  readonly rhs: Float64Array;
  /** Weights 1/(atol + rtol |y0|) of the Newton increment's norm. */
  readonly scale: Float64Array;
  /** `scalars[0]` = α = 1/(γ dt) (W is factored for it), `scalars[1]` = the current stage's time. */
  readonly scalars: Float64Array;
  numNewtonIterations: number;
  rtol: number | Float64Array;
  atol: number | Float64Array;
  newtonTol: number;
}

/**
 * Newton tolerance of large systems (sparse or Krylov linear solvers): the Newton error at most 3%
 * of the local error tolerance, at every rtol. CVODE stops its Newton iteration near 10% (its
 * nlscoef); below, with √rtol at tight tolerances, a stale iteration matrix fails the test often
 * enough to cost factorisations that dominate a large solve.
 */
export const LARGE_SYSTEM_NEWTON_TOL = 0.03;

/**
 * The Newton tolerance for the controller's tolerances, from the smallest rtol: the Newton error
 * well below the local error tolerance (Hairer's κ·Tol with κ ≈ 0.03…0.1, max(10ε/rtol,
 * min(0.03, √rtol)); SciPy's choice), or {@link LARGE_SYSTEM_NEWTON_TOL} when larger and the
 * linear algebra is that of a large system.
 */
export function newtonTolerance(rtol: number | Float64Array, largeSystem = false): number {
  let r = typeof rtol === "number" ? rtol : Infinity;
  if (typeof rtol !== "number") for (let i = 0; i < rtol.length; i++) r = Math.min(r, rtol[i]);
  const tol = Math.max((10 * EPS) / r, Math.min(0.03, Math.sqrt(r)));
  return largeSystem ? Math.max(tol, LARGE_SYSTEM_NEWTON_TOL) : tol;
}

/**
 * Stores the controller's tolerances and the Newton tolerance, and hands both to the iteration
 * matrix (a Krylov linear solver ties its tolerance to them). Shared by the ESDIRK/IMEX stage
 * solve, BDF and Radau.
 */
export function setNewtonTolerances(
  state: { rtol: number | Float64Array; atol: number | Float64Array; newtonTol: number; readonly im: IterationMatrix },
  rtol: number | Float64Array,
  atol: number | Float64Array,
): void {
  state.rtol = rtol;
  state.atol = atol;
  state.newtonTol = newtonTolerance(rtol, state.im.largeSystem);
  state.im.setTolerances(rtol, atol, state.newtonTol);
}

/** The counters the engines report besides the evaluations of f. */
export function newtonStats(state: StageNewtonState): Record<string, number> {
  return state.im.stats({ numNewtonIterations: state.numNewtonIterations });
}

/** Fills the Newton norm's weights, 1/(atol_i + rtol_i |y0_i|), at the start of a step. */
export function setNewtonScale(state: StageNewtonState, y0: Float64Array): void {
  const { n, scale, rtol, atol } = state;
  for (let i = 0; i < n; i++) {
    const r = typeof rtol === "number" ? rtol : rtol[i];
    const at = typeof atol === "number" ? atol : atol[i];
    scale[i] = 1 / (at + r * Math.abs(y0[i]));
  }
}

/**
 * Solves one stage: starting from the predictor in `state.w` and with S in `state.sum`, iterates
 * (M/(γ dt) − J) Δw = f(t_i, y0 + w) + (S − M w)/(γ dt), w += Δw, with α = 1/(γ dt) and t_i from
 * `state.scalars` and W already factored for α. Converged (returns 0) when θ/(1 − θ) ‖Δw‖ is below
 * the Newton tolerance; failed (returns STATUS_NEWTON_FAILED) on a non-finite increment, θ ≥ 1, or
 * a rate that predicts no convergence within {@link NEWTON_MAXITER} iterations, or with the linear
 * solver's status when a (Krylov) solve failed. `mtmp` is a scratch buffer for M w, or null
 * without a mass matrix. Counts the evaluations of f and the iterations in `state`.
 */
export function solveStage(state: StageNewtonState, f: InPlaceVectorField, y0: Float64Array, mtmp: Float64Array | null): number {
  const { n, im, z, w, sum, fz, rhs, scale, args } = state;
  const alpha = state.scalars[0]!;
  const ti = state.scalars[1]!;
  let normOld = -1;
  let theta = 0;
  for (let it = 0; it < NEWTON_MAXITER; it++) {
    for (let i = 0; i < n; i++) z[i] = y0[i] + w[i];
    f(ti, z, args, fz);
    state.numFnEvals++;
    state.numNewtonIterations++;
    if (mtmp !== null) {
      im.massMul(w, mtmp);
      for (let i = 0; i < n; i++) rhs[i] = fz[i] + (sum[i] - mtmp[i]) * alpha;
    } else {
      for (let i = 0; i < n; i++) rhs[i] = fz[i] + (sum[i] - w[i]) * alpha;
    }
    const ls = im.solve(rhs);
    if (ls !== 0) return ls;
    let acc = 0;
    for (let i = 0; i < n; i++) {
      const v = rhs[i] * scale[i];
      acc += v * v;
    }
    const norm = Math.sqrt(acc / n);
    if (!(norm === norm) || norm === Infinity) return STATUS_NEWTON_FAILED;
    if (normOld >= 0) {
      theta = norm / normOld;
      if (theta >= 1) return STATUS_NEWTON_FAILED;
      // Predicted error after the remaining iterations still too large: give up early.
      if ((Math.pow(theta, NEWTON_MAXITER - it) / (1 - theta)) * norm > state.newtonTol) return STATUS_NEWTON_FAILED;
    }
    for (let i = 0; i < n; i++) w[i] += rhs[i];
    if (norm === 0 || (normOld >= 0 && (theta / (1 - theta)) * norm < state.newtonTol) || (normOld < 0 && norm < 1e-3 * state.newtonTol)) {
      return 0;
    }
    normOld = norm;
  }
  return STATUS_NEWTON_FAILED;
}

/**
 * The stage derivative from the converged stage equation, k_i = (M w − S)/(γ dt): exact for the
 * converged w and costs no evaluation of f (α from `state.scalars`). `mtmp` as in {@link solveStage}.
 */
export function stageSlope(state: StageNewtonState, mtmp: Float64Array | null, ki: Float64Array): void {
  const { n, w, sum } = state;
  const alpha = state.scalars[0]!;
  if (mtmp !== null) {
    state.im.massMul(w, mtmp);
    for (let i = 0; i < n; i++) ki[i] = (mtmp[i] - sum[i]) * alpha;
  } else {
    for (let i = 0; i < n; i++) ki[i] = (w[i] - sum[i]) * alpha;
  }
}

/**
 * Filters the raw error estimate in `state.rhs` by (M − γ dt J)⁻¹ M into `yErr`, as in Shampine's
 * and Hairer's codes: the raw difference overestimates stiff components by up to |dt λ| and would
 * keep the step tiny once the solution is smooth (Hairer & Wanner, *Solving ODEs II*, §IV.8,
 * (8.19)). `mtmp` as in {@link solveStage}. Returns 0, or the linear solver's failure status.
 */
export function filterError(state: StageNewtonState, mtmp: Float64Array | null, yErr: Float64Array): number {
  const { n, im, rhs } = state;
  const alpha = state.scalars[0]!;
  if (mtmp !== null) {
    im.massMul(rhs, mtmp);
    for (let i = 0; i < n; i++) rhs[i] = mtmp[i];
  }
  const ls = im.solve(rhs);
  for (let i = 0; i < n; i++) yErr[i] = rhs[i] * alpha;
  return ls;
}

/** Cubic Hermite interpolation on [t0, t0 + dt] from values y0, y1 and slopes f0, f1 (arrays with offsets). */
export function hermite(
  y0: Float64Array, y1: Float64Array, f0: Float64Array, f1: Float64Array, o0: number, o1: number, o2: number, o3: number,
  n: number, dt: number, th: number, derivative: boolean, out: Float64Array,
): void {
  if (derivative) {
    const h00 = (6 * th * th - 6 * th) / dt;
    const h10 = 3 * th * th - 4 * th + 1;
    const h01 = -h00;
    const h11 = 3 * th * th - 2 * th;
    for (let i = 0; i < n; i++) out[i] = h00 * y0[o0 + i] + h10 * f0[o2 + i] + h01 * y1[o1 + i] + h11 * f1[o3 + i];
    return;
  }
  const th2 = th * th;
  const th3 = th2 * th;
  const h00 = 2 * th3 - 3 * th2 + 1;
  const h10 = (th3 - 2 * th2 + th) * dt;
  const h01 = -2 * th3 + 3 * th2;
  const h11 = (th3 - th2) * dt;
  for (let i = 0; i < n; i++) out[i] = h00 * y0[o0 + i] + h10 * f0[o2 + i] + h01 * y1[o1 + i] + h11 * f1[o3 + i];
}

/** Packs a step's Hermite data (y0, y1, f0, f1; 4n numbers) into a dense-output row at `offset`. */
export function writeHermiteDense(
  out: Float64Array, offset: number, n: number, y0: Float64Array, y1: Float64Array, f0: Float64Array, f1: Float64Array,
): void {
  out.set(y0, offset);
  out.set(y1, offset + n);
  out.set(f0, offset + 2 * n);
  out.set(f1, offset + 3 * n);
}

/** Evaluates (or differentiates) a dense-output row packed by {@link writeHermiteDense} at θ ∈ [0, 1]. */
export function evaluateHermiteDense(
  data: Float64Array, offset: number, n: number, dt: number, theta: number, derivative: boolean, out: Float64Array,
): void {
  hermite(data, data, data, data, offset, offset + n, offset + 2 * n, offset + 3 * n, n, dt, theta, derivative, out);
}
