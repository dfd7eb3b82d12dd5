import { ExplicitRungeKutta, type ERKOptions } from "../erk.js";
import { defineTableau } from "../tableau.js";

/** Tableau of the classical fourth-order Runge–Kutta method (no error estimate). */
export const RK4_TABLEAU = defineTableau({
  name: "RK4",
  order: 4,
  c: [0, 1 / 2, 1 / 2, 1],
  a: [[], [1 / 2], [0, 1 / 2], [0, 0, 1]],
  b: [1 / 6, 1 / 3, 1 / 3, 1 / 6],
  fsal: false,
  source: "W. Kutta, Z. Math. Phys. 46 (1901) 435–453; Hairer, Nørsett & Wanner, Solving ODEs I, §II.1 (Table 1.2, left).",
});

/**
 * The classical Runge–Kutta method (Kutta 1901): order 4, four evaluations per step, no error
 * estimate, so it runs with fixed steps (`ConstantStepSize` with `dt0`, or `StepTo`). Dense output
 * is cubic Hermite.
 *
 * Reference: W. Kutta, "Beitrag zur näherungsweisen Integration totaler Differentialgleichungen",
 * Z. Math. Phys. 46 (1901) 435–453.
 *
 * @example
 * ```ts
 * diffeqsolve({ terms, solver: new RK4(), t0: 0, t1: 1, dt0: 0.01, y0: [1],
 *   stepsizeController: new ConstantStepSize() });
 * ```
 */
export class RK4 extends ExplicitRungeKutta {
  constructor(options?: ERKOptions) {
    super(RK4_TABLEAU, options);
  }
}
