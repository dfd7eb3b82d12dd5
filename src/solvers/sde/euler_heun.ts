import { STEP_OK } from "../solver.js";
import { AbstractSDESolver, addNoise, type SDEState } from "./base.js";
import { errorEstimateOption, lambaEstimate } from "./error_estimate.js";

/** Options of {@link EulerHeun}. */
export interface EulerHeunOptions {
  /**
   * Also estimate the local error (Lamba's estimate: the step's own Heun correction plus the
   * drift's trapezoidal correction, one more drift evaluation a step), for adaptive steps with
   * `PIDController` over a `VirtualBrownianTree`. @defaultValue false
   */
  errorEstimate?: boolean;
}

/**
 * The Euler–Heun method for Stratonovich SDEs: with the predictor ȳ = y₀ + g(t, y₀) ΔW,
 * y₁ = y₀ + f(t, y₀) Δt + ½ (g(t, y₀) + g(t, ȳ)) ΔW (both diffusions at t, as in diffrax: the
 * average is over y; a time-dependent g costs nothing in order, its error being O(Δt^1.5) with
 * mean zero per step).
 *
 * Converges to the Stratonovich solution: strong order 0.5 in general, 1.0 for commutative noise
 * (scalar or diagonal noise included). One drift and two diffusion evaluations per step. Dense
 * output is linear interpolation.
 *
 * With `errorEstimate: true` it also reports Lamba's estimate (src/solvers/sde/error_estimate.ts),
 * |(h/2)(f(t + h, y₀ + h f₀) − f₀)| + |½(g(t, ȳ) − g(t, y₀)) ΔW| (the second term is its own Heun
 * correction, so the noise part costs nothing), with `errorOrder` 1, for adaptive steps over a
 * `VirtualBrownianTree`; without it, use fixed steps.
 *
 * References: W. Rümelin, "Numerical treatment of stochastic differential equations", SIAM J.
 * Numer. Anal. 19 (1982) 604–613 (the stochastic Heun scheme); K. Burrage, P. M. Burrage and
 * T. Tian, "Numerical methods for strong solutions of stochastic differential equations: an
 * overview", Proc. R. Soc. Lond. A 460 (2004) 373–402; diffrax's `EulerHeun`.
 *
 * @example
 * ```ts
 * diffeqsolve({ terms, solver: new EulerHeun(), t0: 0, t1: 1, dt0: 1e-3, y0: [0.5],
 *   stepsizeController: new ConstantStepSize() });
 * ```
 */
export class EulerHeun extends AbstractSDESolver {
  readonly name = "EulerHeun";
  readonly order = 0.5;
  readonly errorOrder: number;
  readonly interpretation = "stratonovich" as const;
  /** The constructor options (to rebuild the solver elsewhere). */
  readonly options: { errorEstimate: boolean };

  constructor(options: EulerHeunOptions = {}) {
    super();
    if (options === null || typeof options !== "object") throw new TypeError("new EulerHeun(options): `options` must be an object such as { errorEstimate: true }.");
    for (const key of Object.keys(options)) {
      if (key !== "errorEstimate") throw new TypeError(`new EulerHeun(options): unknown option \`${key}\`; the only option is errorEstimate.`);
    }
    const errorEstimate = errorEstimateOption(options.errorEstimate, "new EulerHeun(options)");
    this.errorOrder = errorEstimate ? 1 : 0;
    this.options = { errorEstimate };
  }

  step(state: SDEState, times: Float64Array, y0: Float64Array, y1: Float64Array, yErr: Float64Array): number {
    const t = times[0]!;
    const dt = times[1]!;
    const { f, g, args, n, m, diagonal, k0, g0, g1, dW, ytmp, etmp } = state;
    state.bm.incrementAt(times, dW, null);
    f(t, y0, args, k0);
    g(t, y0, args, g0);
    addNoise(ytmp, y0, g0, dW, n, m, diagonal);
    g(t, ytmp, args, g1);
    state.numFnEvals++;
    state.numDiffusionEvals += 2;
    const gs = state.gSize;
    // etmp = ½(g(ȳ) − g₀) ΔW, the Heun correction of the Euler step.
    for (let i = 0; i < gs; i++) g1[i] = 0.5 * (g1[i]! - g0[i]!);
    for (let i = 0; i < n; i++) etmp[i] = 0;
    addNoise(etmp, etmp, g1, dW, n, m, diagonal);
    for (let i = 0; i < n; i++) ytmp[i] = y0[i]! + k0[i]! * dt;
    addNoise(y1, ytmp, g0, dW, n, m, diagonal);
    for (let i = 0; i < n; i++) y1[i] = y1[i]! + etmp[i]!;
    if (this.errorOrder !== 0) lambaEstimate(state, times, y0, etmp, yErr);
    this.record(state, times, y0, y1);
    return STEP_OK;
  }
}
