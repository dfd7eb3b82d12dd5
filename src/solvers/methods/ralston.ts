import { ExplicitRungeKutta, type ERKOptions } from "../erk.js";
import { defineTableau } from "../tableau.js";

/** Tableau of Ralston's second-order method with embedded Euler. */
export const RALSTON_TABLEAU = defineTableau({
  name: "Ralston",
  order: 2,
  embeddedOrder: 1,
  c: [0, 2 / 3],
  a: [[], [2 / 3]],
  b: [1 / 4, 3 / 4],
  bErr: [-3 / 4, 3 / 4],
  fsal: false,
  source: "A. Ralston, Math. Comp. 16 (1962) 431–437.",
});

/**
 * Ralston's method: the second-order two-stage method with minimal truncation-error bound, with
 * an embedded Euler step for error estimation. Dense output is cubic Hermite.
 *
 * Reference: A. Ralston, "Runge–Kutta methods with minimum error bounds", Math. Comp. 16 (1962).
 *
 * @example
 * ```ts
 * diffeqsolve({ terms, solver: new Ralston(), t0: 0, t1: 1, y0: [1] });
 * ```
 */
export class Ralston extends ExplicitRungeKutta {
  constructor(options?: ERKOptions) {
    super(RALSTON_TABLEAU, options);
  }
}
