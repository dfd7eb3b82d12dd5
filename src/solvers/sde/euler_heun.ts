import { STEP_OK } from "../solver.js";
import { AbstractSDESolver, addNoise, type SDEState } from "./base.js";

/**
 * The Euler–Heun method for Stratonovich SDEs: with the predictor ȳ = y₀ + g(t, y₀) ΔW,
 * y₁ = y₀ + f(t, y₀) Δt + ½ (g(t, y₀) + g(t, ȳ)) ΔW (both diffusions at t, as in diffrax: the
 * average is over y; a time-dependent g costs nothing in order, its error being O(Δt^1.5) with
 * mean zero per step).
 *
 * Converges to the Stratonovich solution: strong order 0.5 in general, 1.0 for commutative noise
 * (scalar or diagonal noise included). One drift and two diffusion evaluations per step. No
 * error estimate: use it with fixed steps. Dense output is linear interpolation.
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
  readonly errorOrder = 0;
  readonly interpretation = "stratonovich" as const;

  step(state: SDEState, times: Float64Array, y0: Float64Array, y1: Float64Array): number {
    const t = times[0]!;
    const dt = times[1]!;
    const { f, g, args, n, m, diagonal, k0, g0, g1, dW, ytmp } = state;
    state.bm.incrementAt(times, dW, null);
    f(t, y0, args, k0);
    g(t, y0, args, g0);
    addNoise(ytmp, y0, g0, dW, n, m, diagonal);
    g(t, ytmp, args, g1);
    state.numFnEvals++;
    state.numDiffusionEvals += 2;
    const gs = state.gSize;
    for (let i = 0; i < gs; i++) g1[i] = 0.5 * (g0[i]! + g1[i]!);
    for (let i = 0; i < n; i++) ytmp[i] = y0[i]! + k0[i]! * dt;
    addNoise(y1, ytmp, g1, dW, n, m, diagonal);
    this.record(state, times, y0, y1);
    return STEP_OK;
  }
}
