import { ExplicitRungeKutta, type ERKOptions } from "../erk.js";
import { defineTableau } from "../tableau.js";

/** Tableau of the Bogacki–Shampine 3(2) pair. */
export const BOSH3_TABLEAU = defineTableau({
  name: "Bosh3",
  order: 3,
  embeddedOrder: 2,
  c: [0, 1 / 2, 3 / 4, 1],
  a: [[], [1 / 2], [0, 3 / 4], [2 / 9, 1 / 3, 4 / 9]],
  b: [2 / 9, 1 / 3, 4 / 9, 0],
  // b − b̂ with b̂ = (7/24, 1/4, 1/3, 1/8).
  bErr: [2 / 9 - 7 / 24, 1 / 3 - 1 / 4, 4 / 9 - 1 / 3, -1 / 8],
  fsal: true,
  source: "P. Bogacki & L. F. Shampine, Appl. Math. Lett. 2(4) (1989) 321–325.",
});

/**
 * The Bogacki–Shampine 3(2) pair (MATLAB's `ode23`): order 3, FSAL (three new evaluations per
 * step), embedded order 2. Dense output is cubic Hermite, which is third order here.
 *
 * Reference: P. Bogacki & L. F. Shampine, "A 3(2) pair of Runge–Kutta formulas",
 * Appl. Math. Lett. 2(4) (1989) 321–325.
 *
 * @example
 * ```ts
 * diffeqsolve({ terms, solver: new Bosh3(), t0: 0, t1: 1, y0: [1] });
 * ```
 */
export class Bosh3 extends ExplicitRungeKutta {
  constructor(options?: ERKOptions) {
    super(BOSH3_TABLEAU, options);
  }
}
