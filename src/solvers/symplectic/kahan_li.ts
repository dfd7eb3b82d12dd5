import { defineSplitting, SplittingMethod, verletComposition } from "./splitting.js";

// Kahan & Li's 17-stage symmetric composition of order 8 (γ₁ … γ₉, then γ₈ … γ₁), with the digits
// of OrdinaryDiffEq.jl's KahanLi8 (symplectic_tableaus.jl); the order test checks them.
const g = [
  0.13020248308889008087881763, 0.56116298177510838456196441, -0.3894749626448472864080786, 0.15884190655515560089621075,
  -0.39590389413323757733623154, 0.18453964097831570709183254, 0.25837438768632204729397911, 0.29501172360931029887096624,
  -0.60550853383003451169892108,
];
const KAHAN_LI_8 = defineSplitting(
  verletComposition("KahanLi8", 8, [...g, ...g.slice(0, 8).reverse()], "Kahan & Li, Math. Comp. 66 (1997) 1089-1099, s = 17, p = 8"),
);

/**
 * Kahan and Li's eighth-order method: a symmetric composition of 17 Störmer–Verlet steps.
 * Symplectic and symmetric, order 8, 17 evaluations of each field per step: for long, very
 * accurate integrations (planetary orbits to many digits). Fixed steps.
 *
 * References: W. Kahan and R.-C. Li, "Composition constants for raising the orders of
 * unconventional schemes for ordinary differential equations", Math. Comp. 66 (1997) 1089–1099;
 * Hairer, Lubich & Wanner, *Geometric Numerical Integration*, §V.3.2.
 *
 * @example
 * ```ts
 * diffeqsolve({ terms: kepler, solver: new KahanLi8(), t0: 0, t1: 1000, dt0: 0.1, y0: [0.4, 0, 0, 2] });
 * ```
 */
export class KahanLi8 extends SplittingMethod {
  constructor() {
    super(KAHAN_LI_8);
  }
}
