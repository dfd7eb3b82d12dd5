import { defineSplitting, SplittingMethod, verletComposition } from "./splitting.js";

// The triple jump: γ₁ = γ₃ = 1/(2 − 2^{1/3}), γ₂ = 1 − 2γ₁ (closed form).
const c4 = 1 / (2 - Math.cbrt(2));
const YOSHIDA4 = defineSplitting(
  verletComposition("Yoshida4", 4, [c4, 1 - 2 * c4, c4], "Yoshida, Phys. Lett. A 150 (1990) 262-268, eq. (4.4); Forest & Ruth, Physica D 43 (1990)"),
);

// Yoshida's solution A for order 6 (Table 1 of the paper): w₀ = 1 − 2(w₁ + w₂ + w₃).
const w1 = -1.17767998417887;
const w2 = 0.235573213359357;
const w3 = 0.78451361047756;
const w0 = 1 - 2 * (w1 + w2 + w3);
const YOSHIDA6 = defineSplitting(
  verletComposition("Yoshida6", 6, [w3, w2, w1, w0, w1, w2, w3], "Yoshida, Phys. Lett. A 150 (1990) 262-268, Table 1, solution A"),
);

/**
 * Yoshida's fourth-order method: the symmetric composition of three Störmer–Verlet steps of
 * sizes γ₁h, γ₂h, γ₁h with γ₁ = 1/(2 − 2^{1/3}), γ₂ = 1 − 2γ₁ (the "triple jump"). Symplectic and
 * symmetric, order 4, three evaluations of each field per step. Fixed steps.
 *
 * References: H. Yoshida, "Construction of higher order symplectic integrators", Phys. Lett. A
 * 150 (1990) 262–268; E. Forest and R. D. Ruth, "Fourth-order symplectic integration", Physica D
 * 43 (1990) 105–117; Hairer, Lubich & Wanner, *Geometric Numerical Integration*, §II.4.
 *
 * @example
 * ```ts
 * diffeqsolve({ terms: kepler, solver: new Yoshida4(), t0: 0, t1: 1000, dt0: 0.01, y0: [0.4, 0, 0, 2] });
 * ```
 */
export class Yoshida4 extends SplittingMethod {
  constructor() {
    super(YOSHIDA4);
  }
}

/**
 * Yoshida's sixth-order method: the symmetric composition of seven Störmer–Verlet steps with
 * Yoshida's solution A, (w₃, w₂, w₁, w₀, w₁, w₂, w₃). Symplectic and symmetric, order 6, seven
 * evaluations of each field per step. Fixed steps.
 *
 * Reference: H. Yoshida, "Construction of higher order symplectic integrators", Phys. Lett. A
 * 150 (1990) 262–268, Table 1.
 *
 * @example
 * ```ts
 * diffeqsolve({ terms: kepler, solver: new Yoshida6(), t0: 0, t1: 1000, dt0: 0.05, y0: [0.4, 0, 0, 2] });
 * ```
 */
export class Yoshida6 extends SplittingMethod {
  constructor() {
    super(YOSHIDA6);
  }
}
