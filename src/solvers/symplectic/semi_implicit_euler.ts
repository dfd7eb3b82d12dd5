import { defineSplitting, SplittingMethod } from "./splitting.js";

const SEMI_IMPLICIT_EULER = defineSplitting({
  name: "SemiImplicitEuler",
  order: 1,
  drift: [1],
  kick: [1],
  source: "diffrax's SemiImplicitEuler; Hairer, Lubich & Wanner, Geometric Numerical Integration, I.1.2 (symplectic Euler)",
});

/**
 * The semi-implicit (symplectic) Euler method for a partitioned system y₁′ = f₁(t, y₂),
 * y₂′ = f₂(t, y₁): y₁ ← y₁ + h f₁(t, y₂), then y₂ ← y₂ + h f₂(t + h, y₁) with the new y₁ — explicit,
 * yet symplectic for separable Hamiltonians (y₁ = q, y₂ = p). Order 1; one evaluation of each
 * field per step; fixed steps. As diffrax's `SemiImplicitEuler`, the terms are the pair of
 * fields, here a `PartitionedTerm` (or a `SecondOrderTerm`).
 *
 * Reference: E. Hairer, C. Lubich and G. Wanner, *Geometric Numerical Integration*, 2nd ed.,
 * Springer 2006, §I.1.2 and Theorem VI.3.3.
 *
 * @example
 * ```ts
 * diffeqsolve({ terms: new PartitionedTerm(dHdp, minusdHdq), solver: new SemiImplicitEuler(), t0: 0, t1: 10, dt0: 0.01, y0: [q0, p0] });
 * ```
 */
export class SemiImplicitEuler extends SplittingMethod {
  constructor() {
    super(SEMI_IMPLICIT_EULER);
  }
}
