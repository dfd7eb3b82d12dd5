import { defineSplitting, SplittingMethod, verletComposition } from "./splitting.js";

const VELOCITY_VERLET = defineSplitting(verletComposition("VelocityVerlet", 2, [1], "Verlet (1967); Hairer, Lubich & Wanner, Geometric Numerical Integration, I.1.4"));

/**
 * The Störmer–Verlet method in velocity (kick–drift–kick) form, also called leapfrog:
 * y₂ ← y₂ + (h/2) f₂(y₁), y₁ ← y₁ + h f₁(y₂), y₂ ← y₂ + (h/2) f₂(y₁). For Newton's equations
 * (y₁ = q, y₂ = v = p/m) it is velocity Verlet. Symplectic and symmetric, order 2; its last kick is
 * the next step's first, so a step costs one evaluation of each field. Fixed steps, or the
 * time-reversible adaptive steps of `ReversibleStepSize`.
 *
 * References: L. Verlet, "Computer experiments on classical fluids", Phys. Rev. 159 (1967) 98–103;
 * E. Hairer, C. Lubich and G. Wanner, "Geometric numerical integration illustrated by the
 * Störmer–Verlet method", Acta Numerica 12 (2003) 399–450.
 *
 * @example
 * ```ts
 * diffeqsolve({ terms: new SecondOrderTerm((t, q, v, args, a) => { a[0] = -q[0]; }), solver: new VelocityVerlet(),
 *   t0: 0, t1: 10, dt0: 0.01, y0: [1, 0] });
 * ```
 */
export class VelocityVerlet extends SplittingMethod {
  constructor() {
    super(VELOCITY_VERLET);
  }
}
