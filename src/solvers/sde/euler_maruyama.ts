import { STEP_OK } from "../solver.js";
import { AbstractSDESolver, type SDEState } from "./base.js";

/**
 * The Euler–Maruyama method for Itô SDEs: y₁ = y₀ + f(t, y₀) Δt + g(t, y₀) ΔW.
 *
 * Strong order 0.5 (1.0 for additive noise), weak order 1; one drift and one diffusion evaluation
 * per step; any noise (general n × m or diagonal). No error estimate: use it with fixed steps
 * (`ConstantStepSize` or `StepTo`), over a `VirtualBrownianTree` or the cheaper
 * `UnsafeBrownianPath`. Dense output is linear interpolation.
 *
 * References: G. Maruyama, "Continuous Markov processes and stochastic equations", Rend. Circ.
 * Mat. Palermo 4 (1955) 48–90; P. E. Kloeden and E. Platen, *Numerical Solution of Stochastic
 * Differential Equations*, Springer 1992, §10.2.
 *
 * @example
 * ```ts
 * const bm = new UnsafeBrownianPath({ shape: 1, seed: 1 });
 * const terms = new MultiTerm(
 *   new ODETerm((t, y, args, dy) => { dy[0] = 1.01 * y[0]; }),
 *   new ControlTerm((t, y, args, g) => { g[0] = 0.87 * y[0]; }, bm),
 * );
 * diffeqsolve({ terms, solver: new EulerMaruyama(), t0: 0, t1: 1, dt0: 1e-3, y0: [0.5],
 *   stepsizeController: new ConstantStepSize() });
 * ```
 */
export class EulerMaruyama extends AbstractSDESolver {
  readonly name = "EulerMaruyama";
  readonly order = 0.5;
  readonly errorOrder = 0;
  readonly interpretation = "ito" as const;

  step(state: SDEState, times: Float64Array, y0: Float64Array, y1: Float64Array): number {
    const t = times[0]!;
    const dt = times[1]!;
    const { f, g, args, n, m, k0, g0, dW } = state;
    state.bm.incrementAt(times, dW, null);
    f(t, y0, args, k0);
    g(t, y0, args, g0);
    state.numFnEvals++;
    state.numDiffusionEvals++;
    if (state.diagonal) {
      for (let i = 0; i < n; i++) y1[i] = y0[i]! + k0[i]! * dt + g0[i]! * dW[i]!;
    } else if (m === 1) {
      const w = dW[0]!;
      for (let i = 0; i < n; i++) y1[i] = y0[i]! + k0[i]! * dt + g0[i]! * w;
    } else {
      for (let i = 0; i < n; i++) {
        let acc = y0[i]! + k0[i]! * dt;
        const o = i * m;
        for (let j = 0; j < m; j++) acc += g0[o + j]! * dW[j]!;
        y1[i] = acc;
      }
    }
    this.record(state, times, y0, y1);
    return STEP_OK;
  }
}
