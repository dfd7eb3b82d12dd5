import { describeValue } from "../../tree.js";
import { STEP_OK } from "../solver.js";
import { AbstractSDESolver, addNoise, type Interpretation, type SDEState } from "./base.js";
import { errorEstimateOption, lambaEstimate } from "./error_estimate.js";

/** Options of {@link Milstein}. */
export interface MilsteinOptions {
  /** Which stochastic integral: Itô or Stratonovich. @defaultValue "ito" */
  interpretation?: Interpretation;
  /**
   * Also estimate the local error (Lamba's estimate of the embedded Euler step, one more drift
   * evaluation a step), for adaptive steps with `PIDController` over a `VirtualBrownianTree`.
   * @defaultValue false
   */
  errorEstimate?: boolean;
}

/**
 * The Milstein method for SDEs with commutative noise (scalar noise, diagonal noise where gᵢ
 * depends only on yᵢ, or general noise with L^j g^k = L^k g^j):
 *   y₁ = y₀ + f Δt + g ΔW + ½ Σ_{j,k} (L^j g^k)(ΔW_j ΔW_k − δ_jk Δt)   (Itô),
 * without the −δ_jk Δt term for Stratonovich, where L^j = Σₗ g_{lj} ∂/∂y_l. Commutativity makes the
 * iterated integrals reduce to products of increments, so no Lévy area is needed.
 *
 * Strong order 1.0. The derivative L^j g^k is taken derivative-free, by a central difference
 * along g^j with step √|Δt|: (g^k(y₀ + √Δt g^j) − g^k(y₀ − √Δt g^j)) / (2√Δt) = L^j g^k + O(Δt), which
 * keeps strong order 1 for both interpretations (a one-sided difference would lose it for
 * Stratonovich, whose ΔW² has non-zero mean). Cost per step: one drift and 1 + 2m diffusion
 * evaluations (3 for diagonal noise). Dense output is linear.
 *
 * With `errorEstimate: true` the solver also reports Lamba's estimate (src/solvers/sde/error_estimate.ts:
 * the Milstein term it adds to the Euler step, plus the drift's trapezoidal correction, one more
 * drift evaluation) with `errorOrder` 1, for adaptive steps over a `VirtualBrownianTree`; without
 * it, use fixed steps.
 *
 * References: G. N. Milstein, "Approximate integration of stochastic differential equations",
 * Theory Probab. Appl. 19 (1975) 557–562; P. E. Kloeden and E. Platen, *Numerical Solution of
 * Stochastic Differential Equations*, Springer 1992, §10.3 (the scheme) and §11.1 (derivative-free
 * Runge–Kutta variants).
 *
 * @example
 * ```ts
 * diffeqsolve({ terms, solver: new Milstein({ interpretation: "stratonovich" }), t0: 0, t1: 1,
 *   dt0: 1e-3, y0: [0.5], stepsizeController: new ConstantStepSize() });
 * diffeqsolve({ terms, solver: new Milstein({ errorEstimate: true }), t0: 0, t1: 1, y0: [0.5],
 *   stepsizeController: new PIDController({ rtol: 1e-3, atol: 1e-3 }) }); // terms over a VirtualBrownianTree
 * ```
 */
export class Milstein extends AbstractSDESolver {
  readonly name = "Milstein";
  readonly order = 1;
  readonly errorOrder: number;
  readonly interpretation: Interpretation;
  /** The constructor options (to rebuild the solver elsewhere). */
  readonly options: { interpretation: Interpretation; errorEstimate: boolean };

  constructor(options: MilsteinOptions = {}) {
    super();
    if (options === null || typeof options !== "object") throw new TypeError("new Milstein(options): `options` must be an object such as { interpretation: \"ito\" }.");
    for (const key of Object.keys(options)) {
      if (key !== "interpretation" && key !== "errorEstimate") throw new TypeError(`new Milstein(options): unknown option \`${key}\`; the options are interpretation and errorEstimate.`);
    }
    const interp = options.interpretation ?? "ito";
    if (interp !== "ito" && interp !== "stratonovich") {
      throw new RangeError(`new Milstein(options): \`interpretation\` = ${typeof interp === "string" ? JSON.stringify(interp) : describeValue(interp)} must be "ito" or "stratonovich".`);
    }
    const errorEstimate = errorEstimateOption(options.errorEstimate, "new Milstein(options)");
    this.interpretation = interp;
    this.errorOrder = errorEstimate ? 1 : 0;
    this.options = { interpretation: interp, errorEstimate };
  }

  step(state: SDEState, times: Float64Array, y0: Float64Array, y1: Float64Array, yErr: Float64Array): number {
    const t = times[0]!;
    const dt = times[1]!;
    const { f, g, args, n, m, diagonal, k0, g0, g1, g2, dW, ytmp, etmp } = state;
    state.bm.incrementAt(times, dW, null);
    f(t, y0, args, k0);
    g(t, y0, args, g0);
    state.numFnEvals++;
    const ito = this.interpretation === "ito" ? 1 : 0;
    const sq = Math.sqrt(Math.abs(dt));
    const c = 0.25 / sq; // ½ · 1/(2√Δt)
    // etmp: the Milstein term ½ Σ (L^j g^k)(ΔW_j ΔW_k − δ_jk Δt).
    if (diagonal) {
      for (let i = 0; i < n; i++) ytmp[i] = y0[i]! + sq * g0[i]!;
      g(t, ytmp, args, g1);
      for (let i = 0; i < n; i++) ytmp[i] = y0[i]! - sq * g0[i]!;
      g(t, ytmp, args, g2);
      state.numDiffusionEvals += 3;
      for (let i = 0; i < n; i++) {
        const w = dW[i]!;
        etmp[i] = c * (g1[i]! - g2[i]!) * (w * w - ito * dt);
      }
    } else {
      state.numDiffusionEvals += 1 + 2 * m;
      for (let i = 0; i < n; i++) etmp[i] = 0;
      for (let j = 0; j < m; j++) {
        for (let i = 0; i < n; i++) ytmp[i] = y0[i]! + sq * g0[i * m + j]!;
        g(t, ytmp, args, g1);
        for (let i = 0; i < n; i++) ytmp[i] = y0[i]! - sq * g0[i * m + j]!;
        g(t, ytmp, args, g2);
        const wj = dW[j]!;
        for (let k = 0; k < m; k++) {
          const coef = c * (wj * dW[k]! - (j === k ? ito * dt : 0));
          for (let i = 0; i < n; i++) etmp[i] = etmp[i]! + coef * (g1[i * m + k]! - g2[i * m + k]!);
        }
      }
    }
    for (let i = 0; i < n; i++) y1[i] = y0[i]! + k0[i]! * dt;
    addNoise(y1, y1, g0, dW, n, m, diagonal);
    for (let i = 0; i < n; i++) y1[i] = y1[i]! + etmp[i]!;
    if (this.errorOrder !== 0) lambaEstimate(state, times, y0, etmp, yErr);
    this.record(state, times, y0, y1);
    return STEP_OK;
  }
}
