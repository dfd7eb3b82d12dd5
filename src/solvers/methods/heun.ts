import { ExplicitRungeKutta, type ERKOptions } from "../erk.js";
import { defineTableau } from "../tableau.js";

/** Tableau of Heun's method with embedded Euler. */
export const HEUN_TABLEAU = defineTableau({
  name: "Heun",
  order: 2,
  embeddedOrder: 1,
  c: [0, 1],
  a: [[], [1]],
  b: [1 / 2, 1 / 2],
  bErr: [-1 / 2, 1 / 2],
  fsal: false,
  source: "K. Heun, Z. Math. Phys. 45 (1900) 23–38; Hairer, Nørsett & Wanner, Solving ODEs I, II.1 (Table 1.1).",
});

/**
 * Heun's method (explicit trapezoidal rule): order 2 with an embedded Euler step for a
 * first-order error estimate, so it can be used adaptively. Dense output is cubic Hermite.
 *
 * Reference: K. Heun, "Neue Methoden zur approximativen Integration der Differentialgleichungen
 * einer unabhängigen Veränderlichen", Z. Math. Phys. 45 (1900).
 *
 * @example
 * ```ts
 * diffeqsolve({ terms, solver: new Heun(), t0: 0, t1: 1, y0: [1] });
 * ```
 */
export class Heun extends ExplicitRungeKutta {
  constructor(options?: ERKOptions) {
    super(HEUN_TABLEAU, options);
  }
}
