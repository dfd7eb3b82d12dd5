import type { AbstractTerm, ControlTerm, MultiTerm } from "../../terms.js";
import { STEP_OK } from "../solver.js";
import { AbstractSDESolver, type SDEState } from "./base.js";

/**
 * Rößler's SRIW1: a stochastic Runge–Kutta method of strong order 1.5 for Itô SDEs with diagonal
 * noise (gᵢ drives component i with its own Wᵢ) or scalar noise (one W, g an n-vector), with an
 * embedded error estimate for adaptive steps over a `VirtualBrownianTree`.
 *
 * With the iterated integrals of each Wᵢ over the step, from the increment ΔW and the space–time
 * Lévy area H (the tree needs `levyArea: "space-time"`):
 * χ₁ = I₍₁,₁₎/√h = (ΔW² − h)/(2√h), χ₂ = I₍₁,₀₎/h = ΔW/2 + H, χ₃ = I₍₁,₁,₁₎/h = (ΔW³ − 3hΔW)/(6h),
 * and g₁ = g(t, y₀), F₁ = h f(t, y₀):
 *
 *     H₁₁ = y₀ + F₁/4 + (√h/2) g₁,   g₂ = g(t + h/4, H₁₁),
 *     H₁₂ = y₀ + F₁ − √h g₁,         g₃ = g(t + h, H₁₂),
 *     H₁₃ = y₀ + F₁/4 + √h(−5g₁ + 3g₂ + g₃/2),   g₄ = g(t + h/4, H₁₃),
 *     H₀  = y₀ + (3/4)F₁ + (3/2)χ₂ g₁,   F₂ = h f(t + 3h/4, H₀),
 *     E₂  = χ₂(2g₁ − (4/3)g₂ − (2/3)g₃) + χ₃(−2g₁ + (5/3)g₂ − (2/3)g₃ + g₄),
 *     y₁  = y₀ + (F₁ + 2F₂)/3 + ΔW(−g₁ + (4/3)g₂ + (2/3)g₃) + χ₁(−g₁ + (4/3)g₂ − (1/3)g₃) + E₂.
 *
 * Without E₂ the scheme has strong order 1, so E₂ is the embedded estimate of the noise part
 * (Rößler; Rackauckas & Nie), O(h^{3/2}); the drift part is that of the embedded Euler step,
 * (2/3)(F₂ − F₁), also O(h^{3/2}) (as SRA1's). The solver reports their absolute values summed
 * componentwise; `errorOrder` is 1.5. Two drift and four diffusion evaluations per step. Dense
 * output is linear interpolation.
 *
 * References: A. Rößler, "Runge–Kutta methods for the strong approximation of solutions of
 * stochastic differential equations", SIAM J. Numer. Anal. 48 (2010) 922–952 (SRI methods, the
 * coefficients SRIW1); C. Rackauckas and Q. Nie, "Adaptive methods for stochastic differential
 * equations via natural embeddings and rejection sampling with memory", Discrete Contin. Dyn.
 * Syst. B 22 (2017) 2731–2761 (the error estimate; StochasticDiffEq.jl's SRIW1, whose form of the
 * scheme is transcribed here).
 *
 * @example
 * ```ts
 * const bm = new VirtualBrownianTree({ t0: 0, t1: 1, tol: 1e-9, shape: 1, seed: 1, levyArea: "space-time" });
 * const terms = new MultiTerm(new ODETerm((t, y, args, dy) => { dy[0] = 1.01 * y[0]; }),
 *   new ControlTerm((t, y, args, g) => { g[0] = 0.87 * y[0]; }, bm, { noise: "diagonal" }));
 * diffeqsolve({ terms, solver: new SRIW1(), t0: 0, t1: 1, y0: [0.5], stepsizeController: new PIDController({ rtol: 1e-4, atol: 1e-4 }) });
 * ```
 */
export class SRIW1 extends AbstractSDESolver {
  readonly name = "SRIW1";
  readonly order = 1.5;
  readonly errorOrder = 1.5;
  readonly interpretation = "ito" as const;
  protected override readonly needsLevyArea = true;

  override checkTerms(terms: AbstractTerm): void {
    super.checkTerms(terms);
    const ct = (terms as MultiTerm).terms[1] as ControlTerm;
    const bm = ct.control as { size?: number } | null;
    if (ct.noise !== "diagonal" && typeof ct.control !== "function" && bm !== null && typeof bm === "object" && bm.size !== 1) {
      throw new TypeError(
        `diffeqsolve: SRIW1 is for diagonal noise ({ noise: "diagonal" } on the ControlTerm) or scalar noise (a Brownian motion of shape 1); ` +
          `got general noise with a Brownian motion of size ${bm.size}. Use LambaEM or EulerMaruyama for general noise.`,
      );
    }
  }

  override init(...a: Parameters<AbstractSDESolver["init"]>): SDEState {
    const state = super.init(...a);
    if (!state.diagonal && state.m !== 1) {
      throw new TypeError(`diffeqsolve: SRIW1 is for diagonal or scalar noise; the Brownian motion has size ${state.m} and the noise is general. Use LambaEM or EulerMaruyama.`);
    }
    return state;
  }

  step(state: SDEState, times: Float64Array, y0: Float64Array, y1: Float64Array, yErr: Float64Array): number {
    const t = times[0]!;
    const h = times[1]!;
    const { f, g, args, n, diagonal, k0, k1, g0, g1, g2, g3, dW, dH, ytmp } = state;
    state.bm.incrementAt(times, dW, dH);
    const sq = Math.sqrt(Math.abs(h));
    f(t, y0, args, k0);
    g(t, y0, args, g0);
    for (let i = 0; i < n; i++) ytmp[i] = y0[i]! + 0.25 * h * k0[i]! + 0.5 * sq * g0[i]!;
    g(t + 0.25 * h, ytmp, args, g1);
    for (let i = 0; i < n; i++) ytmp[i] = y0[i]! + h * k0[i]! - sq * g0[i]!;
    g(t + h, ytmp, args, g2);
    for (let i = 0; i < n; i++) ytmp[i] = y0[i]! + 0.25 * h * k0[i]! + sq * (-5 * g0[i]! + 3 * g1[i]! + 0.5 * g2[i]!);
    g(t + 0.25 * h, ytmp, args, g3);
    for (let i = 0; i < n; i++) {
      const w = diagonal ? i : 0;
      ytmp[i] = y0[i]! + 0.75 * h * k0[i]! + 1.5 * (0.5 * dW[w]! + dH[w]!) * g0[i]!;
    }
    f(t + 0.75 * h, ytmp, args, k1);
    state.numFnEvals += 2;
    state.numDiffusionEvals += 4;
    for (let i = 0; i < n; i++) {
      const w = diagonal ? i : 0;
      const dw = dW[w]!;
      const chi1 = (dw * dw - h) / (2 * sq);
      const chi2 = 0.5 * dw + dH[w]!;
      const chi3 = (dw * dw * dw - 3 * h * dw) / (6 * h);
      const G1 = g0[i]!, G2 = g1[i]!, G3 = g2[i]!, G4 = g3[i]!;
      const e2 = chi2 * (2 * G1 - (4 / 3) * G2 - (2 / 3) * G3) + chi3 * (-2 * G1 + (5 / 3) * G2 - (2 / 3) * G3 + G4);
      const F1 = h * k0[i]!, F2 = h * k1[i]!;
      y1[i] = y0[i]! + (F1 + 2 * F2) / 3 + dw * (-G1 + (4 / 3) * G2 + (2 / 3) * G3) + chi1 * (-G1 + (4 / 3) * G2 - (1 / 3) * G3) + e2;
      yErr[i] = Math.abs((2 / 3) * (F2 - F1)) + Math.abs(e2);
    }
    this.record(state, times, y0, y1);
    return STEP_OK;
  }
}
