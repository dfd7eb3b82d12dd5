/**
 * ReversibleAdjoint: exact gradients of a `ReversibleHeun` solve in memory independent of the
 * number of steps, by running the method backwards instead of storing the trajectory.
 *
 * The forward solve keeps nothing per step (with fixed steps on a uniform grid; adaptive or other
 * grids keep each step's time and size, 16 bytes a step). From the final (y_N, ŷ_N) and the vector
 * field's values at ŷ_N, the reverse sweep undoes one step at a time (see reversible_heun.ts),
 *
 *     b = f(t_{k+1}, ŷ_{k+1}) Δt + g(t_{k+1}, ŷ_{k+1}) ΔW_k,   ŷ_k = 2 y_{k+1} − ŷ_{k+1} − b,
 *     a = f(t_k, ŷ_k) Δt + g(t_k, ŷ_k) ΔW_k,                  y_k = y_{k+1} − ½ (a + b),
 *
 * (the Brownian increments asked again of the same path) and reverses the step's straight-line
 * program at once, with cotangents ȳ, ŷ̄ of the two states and those of the vector field's values
 * at each point ŷ_k, which collect from the two steps that use them (as a_k and as b_{k−1}) before
 * the one product with (∂f/∂y, ∂g/∂y)ᵀ and (∂f/∂p, ∂g/∂p)ᵀ at that point (Kidger et al. 2021,
 * Algorithm 2): one evaluation of f and g and one vector–Jacobian product of each per step,
 * against the forward solve's one evaluation. The gradient is that of the numbers the forward
 * solve computed, up to the rounding of the reconstruction (the backward formulas retrace the
 * forward ones to a few ulps a step).
 *
 * Reference: P. Kidger, J. Foster, X. Li and T. Lyons, "Efficient and accurate gradients for
 * neural SDEs", NeurIPS 2021.
 */
import { createLoopWorkspace, runLoop, solutionFromWorkspace, type StepHook, type Validated } from "../integrate.js";
import { ROW_INTERPOLATED, ROW_STATE } from "../integrate/output.js";
import { ReversibleHeun, type ReversibleHeunState } from "../solvers/reversible_heun.js";
import { addNoise } from "../solvers/sde/base.js";
import { checkKeys } from "../util/options.js";
import { ArgsLayout, VectorFieldDerivatives } from "./derivatives.js";
import { addOuterNoise, DiffusionDerivatives } from "./diffusion.js";
import { emptyStats, packCotangents, type Gradients, type VjpResult } from "./outputs.js";
import { differentiableTerms } from "./sde_terms.js";

/**
 * The O(1)-memory exact adjoint of {@link ReversibleHeun} (ODEs and Stratonovich SDEs): the
 * forward solve stores no states, and the reverse sweep reconstructs them by running the method
 * backwards. Memory does not grow with the number of steps (with fixed steps; adaptive steps keep
 * 16 bytes per step for their times); time about twice the forward solve's. Events are not
 * supported (an affect cannot be run backwards): use RecursiveCheckpointAdjoint there.
 *
 * @example
 * ```ts
 * const { pullback } = diffeqsolveVjp({ ...options, solver: new ReversibleHeun(), adjoint: new ReversibleAdjoint() });
 * ```
 */
export class ReversibleAdjoint {
  readonly kind = "reversible" as const;
  constructor(options: Record<string, never> = {}) {
    checkKeys(options, [], "new ReversibleAdjoint(options)");
  }
}

/**
 * The accepted steps' times: nothing stored while they are those of the uniform grid of
 * `ConstantStepSize` (t_k = t0 + k (t1 − t0)/N, t_N = t1), the times and sizes otherwise.
 */
class StepLog implements StepHook {
  readonly times = new Float64Array(3);
  count = 0;
  private stored: Float64Array | null = null;
  private readonly dt: number;
  constructor(private readonly t0: number, private readonly t1: number, private readonly steps: number) {
    this.dt = steps > 0 ? (t1 - t0) / steps : 0;
  }
  private grid(k: number): number {
    return k === 0 ? this.t0 : k >= this.steps ? this.t1 : this.t0 + k * this.dt;
  }
  accepted(): void {
    const k = this.count++;
    const t = this.times[0]!;
    const h = this.times[2]!;
    let s = this.stored;
    if (s === null) {
      if (this.steps > 0 && t === this.grid(k) && h === this.grid(k + 1) - this.grid(k)) return;
      // Off the grid: keep every step's time and size from here on (the earlier ones are the grid's).
      s = new Float64Array(Math.max(64, 2 * (k + 1)));
      for (let j = 0; j < k; j++) {
        s[2 * j] = this.grid(j);
        s[2 * j + 1] = this.grid(j + 1) - this.grid(j);
      }
      this.stored = s;
    }
    if (2 * k + 2 > s.length) {
      const b = new Float64Array(2 * s.length);
      b.set(s);
      this.stored = s = b;
    }
    s[2 * k] = t;
    s[2 * k + 1] = h;
  }
  /** Writes [t_k, h_k] into `out`. */
  at(k: number, out: Float64Array): void {
    const s = this.stored;
    if (s !== null) {
      out[0] = s[2 * k]!;
      out[1] = s[2 * k + 1]!;
      return;
    }
    out[0] = this.grid(k);
    out[1] = this.grid(k + 1) - this.grid(k);
  }
  /** Bytes kept for the step times. */
  get bytes(): number {
    return this.stored === null ? 0 : 8 * this.stored.length;
  }
}

/** @internal The forward solve and the reconstructing reverse sweep of {@link ReversibleAdjoint}. */
export function reversibleVjp<Y, A>(adjoint: ReversibleAdjoint, v: Validated<Y>, args: A, throwOnFailure: boolean): VjpResult<Y, A> {
  void adjoint;
  const who = "diffeqsolveVjp (ReversibleAdjoint)";
  if (!(v.solver instanceof ReversibleHeun)) {
    throw new TypeError(
      `${who}: the reversible adjoint retraces the solve by running its solver backwards, which needs solver: new ReversibleHeun(); got ${v.solver.name}. ` +
        "With other solvers use RecursiveCheckpointAdjoint (explicit Runge–Kutta and SDE solvers) or BacksolveAdjoint.",
    );
  }
  if (v.events !== null) {
    throw new TypeError(`${who}: events are not supported (the state before an affect cannot be found by running backwards); use adjoint: new RecursiveCheckpointAdjoint().`);
  }
  const { drift, diffusion } = differentiableTerms(v as Validated<unknown>, who, true);
  const n = v.y0.length;
  const layout = new ArgsLayout(args);
  const deriv = new VectorFieldDerivatives(drift, n, layout, v.f);
  const dir = v.t1 >= v.t0 ? 1 : -1;
  const steps = v.controller.knownStepCount({ t0: v.t0, t1: v.t1, dir, dt0: v.dt0, n, solver: v.solver, f: v.f, args: undefined });
  const log = new StepLog(v.t0, v.t1, Math.max(0, steps));

  const ws = createLoopWorkspace(v, args, { plan: true });
  ws.stepHook = log;
  runLoop(v, v.y0, args, ws);
  ws.stepHook = null;
  const solution = solutionFromWorkspace(v, ws, throwOnFailure);
  const N = log.count;
  // The end of the solve: (y_N, ŷ_N) and the vector field's values at ŷ_N.
  const state = ws.solverState as ReversibleHeunState;
  const sde = state.sde;
  const gSize = sde === null ? 0 : sde.gSize;
  const end = {
    y: Float64Array.from(ws.y), yhat: Float64Array.from(state.yhat), f: Float64Array.from(state.fhat), g: Float64Array.from(state.ghat),
  };
  const ddiff = sde !== null && diffusion !== null ? new DiffusionDerivatives(diffusion, n, gSize, layout) : null;
  const rows = solution.ts.length;
  const plan = ws.rows;
  const f = v.f;

  const pullback = (ysBar: unknown): Gradients<Y, A> => {
    const bar = packCotangents(ysBar, rows, n, v.structure as never, who);
    const stats = emptyStats();
    const nP = layout.size;
    const y = Float64Array.from(end.y);
    const yhat = Float64Array.from(end.yhat);
    let fh = Float64Array.from(end.f);
    let gh = Float64Array.from(end.g);
    let fPrev = new Float64Array(n);
    let gPrev = new Float64Array(gSize);
    const a = new Float64Array(n);
    const b = new Float64Array(n);
    const ybar = new Float64Array(n);
    const yhatbar = new Float64Array(n);
    const abar = new Float64Array(n);
    const fbar = new Float64Array(n);
    const gbar = new Float64Array(gSize);
    const low = new Float64Array(n);
    const tmp = new Float64Array(n);
    const yhPrev = new Float64Array(n);
    const pbar = new Float64Array(nP);
    const times = new Float64Array(2);
    const prev = new Float64Array(2);
    const dW = sde === null ? new Float64Array(0) : new Float64Array(sde.m);
    const m = sde === null ? 0 : sde.m;
    const diagonal = sde !== null && sde.diagonal;
    const kinds = plan.rowKind!;
    const stepOf = plan.rowStep!;
    const thetaOf = plan.rowTheta!;
    let r = rows - 1;
    /** The products at the point (t, ŷ) with the cotangents of f and g there, into ŷ̄ and p̄. */
    const pointVjp = (t: number, at: Float64Array): void => {
      deriv.vjpYP(t, at, fbar, tmp, pbar);
      for (let j = 0; j < n; j++) yhatbar[j] += tmp[j]!;
      if (ddiff !== null) {
        ddiff.vjpYP(t, at, gbar, tmp, pbar);
        for (let j = 0; j < n; j++) yhatbar[j] += tmp[j]!;
      }
      stats.numVjpEvals++;
    };
    for (let k = N - 1; k >= 0; k--) {
      // Rows saved at state k + 1, and inside step k (linear: θ to y_{k+1}, 1 − θ to y_k).
      low.fill(0);
      while (r >= 0 && ((kinds[r] === ROW_STATE && stepOf[r] === k + 1) || (kinds[r] === ROW_INTERPOLATED && stepOf[r] === k))) {
        const th = kinds[r] === ROW_STATE ? 1 : thetaOf[r]!;
        for (let j = 0; j < n; j++) {
          ybar[j] += th * bar[r * n + j]!;
          low[j] += (1 - th) * bar[r * n + j]!;
        }
        r--;
      }
      log.at(k, times);
      const h = times[1]!;
      // The time f(ŷ_k) was evaluated at: the end of the step before (t0 at the start).
      let tk = v.t0;
      if (k > 0) {
        log.at(k - 1, prev);
        tk = prev[0]! + prev[1]!;
      }
      if (sde !== null) sde.bm.incrementAt(times, dW, null);
      // Reconstruct step k backwards.
      for (let j = 0; j < n; j++) b[j] = fh[j]! * h;
      if (sde !== null) addNoise(b, b, gh, dW, n, m, diagonal);
      for (let j = 0; j < n; j++) yhPrev[j] = 2 * y[j]! - yhat[j]! - b[j]!;
      f(tk, yhPrev, args, fPrev);
      stats.numFnEvals++;
      for (let j = 0; j < n; j++) a[j] = fPrev[j]! * h;
      if (sde !== null) {
        sde.g(tk, yhPrev, args, gPrev);
        addNoise(a, a, gPrev, dW, n, m, diagonal);
      }
      // Reverse: y_{k+1} = y_k + ½(a + b) with b from the values at ŷ_{k+1} (their cotangents complete now).
      for (let j = 0; j < n; j++) {
        abar[j] = 0.5 * ybar[j]!;
        fbar[j] += h * 0.5 * ybar[j]!;
      }
      if (sde !== null) addOuterNoise(gbar, 0.5, ybar, dW, n, m, diagonal);
      pointVjp(times[0]! + h, yhat);
      // ŷ_{k+1} = 2 y_k − ŷ_k + a.
      for (let j = 0; j < n; j++) {
        ybar[j] = ybar[j]! + 2 * yhatbar[j]! + low[j]!;
        abar[j] += yhatbar[j]!;
        yhatbar[j] = -yhatbar[j]!;
        fbar[j] = h * abar[j]!;
      }
      if (sde !== null) {
        gbar.fill(0);
        addOuterNoise(gbar, 1, abar, dW, n, m, diagonal);
      }
      // Step back: (y, ŷ) ← (y_k, ŷ_k), the values at ŷ_k become the current ones.
      for (let j = 0; j < n; j++) {
        y[j] = y[j]! - 0.5 * (a[j]! + b[j]!);
        yhat[j] = yhPrev[j]!;
      }
      const fs = fh;
      fh = fPrev;
      fPrev = fs;
      const gs = gh;
      gh = gPrev;
      gPrev = gs;
    }
    // Rows at the initial state, the products at ŷ_0, and ŷ_0 = y_0.
    while (r >= 0) {
      for (let j = 0; j < n; j++) ybar[j] += bar[r * n + j]!;
      r--;
    }
    if (N > 0) pointVjp(v.t0, yhat);
    for (let j = 0; j < n; j++) ybar[j] += yhatbar[j]!;
    return { y0: v.structure.unflatten(ybar) as never, args: layout.unflatten(pbar) as A, stats };
  };
  return { solution, pullback };
}
