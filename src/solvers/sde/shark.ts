import { STEP_OK } from "../solver.js";
import { AbstractSDESolver, addNoise, type SDEState } from "./base.js";

/**
 * ShARK (Shifted Additive-noise Runge–Kutta) of Foster, dos Reis and Strange: strong order 1.5 for
 * SDEs with additive noise dy = f(t, y) dt + g(t) dW, two drift evaluations per step, with an
 * embedded error estimate for adaptive steps.
 *
 * With W and H the step's Brownian increment and space–time Lévy area (the Brownian motion needs
 * `levyArea: "space-time"`), g₀ = g(t), g₁ = g(t + h):
 *   Y₀ = y₀ + g₀ H,   Y₁ = y₀ + (5/6) h f(t, Y₀) + g₀ ((5/6) W + H),
 *   y₁ = y₀ + h (0.4 f(t, Y₀) + 0.6 f(t + 5h/6, Y₁)) + ∫ g dW,
 * (Foster, dos Reis and Strange, eq. (6.1)), where for time-dependent g the noise integral is
 * taken as g₀ (W/2 + H) + g₁ (W/2 − H), exact for g linear in t (for constant g it is g W, as in the
 * paper). The error estimate is h·0.6 (f(t + 5h/6, Y₁) − f(t, Y₀)) (diffrax's b_error), of size
 * O(h^1.5); `errorOrder` 1.5. Additive noise: Itô and Stratonovich coincide. The noise must be
 * declared `{ additive: true }` on the ControlTerm. Dense output is linear interpolation.
 *
 * Reference: J. Foster, G. dos Reis and C. Strange, "High order splitting methods for SDEs
 * satisfying a commutativity condition", arXiv:2210.17543 (2022), eq. (6.1); the coefficients as
 * in diffrax's `ShARK`.
 *
 * @example
 * ```ts
 * const bm = new VirtualBrownianTree({ t0: 0, t1: 1, shape: 1, seed: 3, levyArea: "space-time" });
 * const terms = new MultiTerm(new ODETerm(drift), new ControlTerm(sigma, bm, { additive: true }));
 * diffeqsolve({ terms, solver: new ShARK(), t0: 0, t1: 1, dt0: 0.01, y0: [1],
 *   stepsizeController: new PIDController({ rtol: 1e-4, atol: 1e-6 }) });
 * ```
 */
export class ShARK extends AbstractSDESolver {
  readonly name = "ShARK";
  readonly order = 1.5;
  readonly errorOrder = 1.5;
  readonly interpretation = "stratonovich" as const;
  protected override readonly needsLevyArea = true;
  protected override readonly needsAdditive = true;

  step(state: SDEState, times: Float64Array, y0: Float64Array, y1: Float64Array, yErr: Float64Array): number {
    const t = times[0]!;
    const dt = times[1]!;
    const { f, g, args, n, m, diagonal, k0, k1, g0, g1, dW, dH, v0, ytmp } = state;
    state.bm.incrementAt(times, dW, dH);
    g(t, y0, args, g0);
    g(t + dt, y0, args, g1);
    addNoise(ytmp, y0, g0, dH, n, m, diagonal);
    f(t, ytmp, args, k0);
    for (let j = 0; j < m; j++) v0[j] = (5 / 6) * dW[j]! + dH[j]!;
    for (let i = 0; i < n; i++) ytmp[i] = y0[i]! + (5 / 6) * dt * k0[i]!;
    addNoise(ytmp, ytmp, g0, v0, n, m, diagonal);
    f(t + (5 / 6) * dt, ytmp, args, k1);
    state.numFnEvals += 2;
    state.numDiffusionEvals += 2;
    for (let i = 0; i < n; i++) ytmp[i] = y0[i]! + dt * (0.4 * k0[i]! + 0.6 * k1[i]!);
    for (let j = 0; j < m; j++) v0[j] = 0.5 * dW[j]! + dH[j]!;
    addNoise(ytmp, ytmp, g0, v0, n, m, diagonal);
    for (let j = 0; j < m; j++) v0[j] = 0.5 * dW[j]! - dH[j]!;
    addNoise(y1, ytmp, g1, v0, n, m, diagonal);
    for (let i = 0; i < n; i++) yErr[i] = 0.6 * dt * (k1[i]! - k0[i]!);
    this.record(state, times, y0, y1);
    return STEP_OK;
  }
}
