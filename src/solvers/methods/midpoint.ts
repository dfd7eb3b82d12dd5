import { ExplicitRungeKutta, type ERKOptions } from "../erk.js";
import { defineTableau } from "../tableau.js";

/** Tableau of the explicit midpoint method with embedded Euler. */
export const MIDPOINT_TABLEAU = defineTableau({
  name: "Midpoint",
  order: 2,
  embeddedOrder: 1,
  c: [0, 1 / 2],
  a: [[], [1 / 2]],
  b: [0, 1],
  bErr: [-1, 1],
  fsal: false,
  source: "C. Runge, Math. Ann. 46 (1895) 167–178; Hairer, Nørsett & Wanner, Solving ODEs I, II.1.",
});

/**
 * The explicit midpoint method (Runge 1895): order 2 with an embedded Euler step for error
 * estimation. Dense output is cubic Hermite.
 *
 * Reference: C. Runge, "Über die numerische Auflösung von Differentialgleichungen",
 * Math. Ann. 46 (1895).
 *
 * @example
 * ```ts
 * diffeqsolve({ terms, solver: new Midpoint(), t0: 0, t1: 1, y0: [1] });
 * ```
 */
export class Midpoint extends ExplicitRungeKutta {
  constructor(options?: ERKOptions) {
    super(MIDPOINT_TABLEAU, options);
  }
}
