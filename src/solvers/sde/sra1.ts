import { STEP_OK } from "../solver.js";
import { AbstractSDESolver, addNoise, type SDEState } from "./base.js";

/**
 * Rößler's SRA1: a stochastic Runge–Kutta method for SDEs with additive noise
 * dy = f(t, y) dt + g(t) dW, strong order 1.5, with an embedded error estimate for adaptive steps.
 *
 * With I₁₀/h = ΔW/2 + H (H the space–time Lévy area of the step, so the Brownian motion needs
 * `levyArea: "space-time"`), g₀ = g(t), g₁ = g(t + h):
 *   Y₁ = y₀ + ¾ h f(t, y₀) + (3/2) g₁ I₁₀/h,
 *   y₁ = y₀ + h (⅓ f(t, y₀) + ⅔ f(t + ¾h, Y₁)) + g₁ (ΔW − I₁₀/h) + g₀ I₁₀/h,
 * (Rößler 2010, the SRA scheme with the SRA1 coefficients c⁰ = (0, ¾), c¹ = (1, 0), A⁰₂₁ = ¾,
 * B⁰₂₁ = 3/2, α = (⅓, ⅔), β¹ = (1, 0), β² = (−1, 1); as in StochasticDiffEq.jl's `SRA1`). The error estimate is the drift part of the embedded Euler step,
 * h·⅔ (f(t + ¾h, Y₁) − f(t, y₀)) (the b_error of diffrax's SRA1), of size O(h^1.5); `errorOrder` 1.5.
 * Additive noise has no Itô–Stratonovich correction, so either reading holds. Two drift and two
 * diffusion evaluations per step; the noise must be declared `{ additive: true }` on the
 * ControlTerm. Dense output is linear interpolation.
 *
 * Reference: A. Rößler, "Runge–Kutta methods for the strong approximation of solutions of
 * stochastic differential equations", SIAM J. Numer. Anal. 48 (2010) 922–952.
 *
 * @example
 * ```ts
 * const bm = new VirtualBrownianTree({ t0: 0, t1: 1, shape: 1, seed: 3, levyArea: "space-time" });
 * const terms = new MultiTerm(new ODETerm(drift), new ControlTerm(sigma, bm, { additive: true }));
 * diffeqsolve({ terms, solver: new SRA1(), t0: 0, t1: 1, dt0: 0.01, y0: [1],
 *   stepsizeController: new PIDController({ rtol: 1e-4, atol: 1e-6 }) });
 * ```
 */
export class SRA1 extends AbstractSDESolver {
  readonly name = "SRA1";
  readonly order = 1.5;
  readonly errorOrder = 1.5;
  readonly interpretation = "ito" as const;
  protected override readonly needsLevyArea = true;
  protected override readonly needsAdditive = true;

  step(state: SDEState, times: Float64Array, y0: Float64Array, y1: Float64Array, yErr: Float64Array): number {
    const t = times[0]!;
    const dt = times[1]!;
    const { f, g, args, n, m, diagonal, k0, k1, g0, g1, dW, dH, v0, v1, ytmp } = state;
    state.bm.incrementAt(times, dW, dH);
    g(t, y0, args, g0);
    g(t + dt, y0, args, g1);
    f(t, y0, args, k0);
    for (let j = 0; j < m; j++) {
      const chi = 0.5 * dW[j]! + dH[j]!; // I₁₀ / h
      v0[j] = 1.5 * chi;
      v1[j] = dW[j]! - chi;
    }
    for (let i = 0; i < n; i++) ytmp[i] = y0[i]! + 0.75 * dt * k0[i]!;
    addNoise(ytmp, ytmp, g1, v0, n, m, diagonal);
    f(t + 0.75 * dt, ytmp, args, k1);
    state.numFnEvals += 2;
    state.numDiffusionEvals += 2;
    for (let i = 0; i < n; i++) ytmp[i] = y0[i]! + dt * (k0[i]! / 3 + (2 / 3) * k1[i]!);
    addNoise(ytmp, ytmp, g1, v1, n, m, diagonal);
    for (let j = 0; j < m; j++) v0[j] = 0.5 * dW[j]! + dH[j]!;
    addNoise(y1, ytmp, g0, v0, n, m, diagonal);
    for (let i = 0; i < n; i++) yErr[i] = (2 / 3) * dt * (k1[i]! - k0[i]!);
    this.record(state, times, y0, y1);
    return STEP_OK;
  }
}
