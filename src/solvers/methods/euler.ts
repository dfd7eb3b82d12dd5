import { ExplicitRungeKutta, type ERKOptions } from "../erk.js";
import { defineTableau } from "../tableau.js";

/** Tableau of the explicit Euler method. */
export const EULER_TABLEAU = defineTableau({
  name: "Euler",
  order: 1,
  c: [0],
  a: [[]],
  b: [1],
  fsal: false,
  source: "L. Euler, Institutionum calculi integralis, 1768; Hairer, Nørsett & Wanner, Solving ODEs I, II.1.",
});

/**
 * The explicit Euler method: order 1, one stage, no error estimate (use it with
 * `ConstantStepSize` or `StepTo`). Dense output is cubic Hermite.
 *
 * Reference: Hairer, Nørsett & Wanner, *Solving Ordinary Differential Equations I*, 2nd ed.,
 * Springer 1993, §II.1.
 *
 * @example
 * ```ts
 * diffeqsolve({ terms, solver: new Euler(), t0: 0, t1: 1, dt0: 0.01, y0: [1],
 *   stepsizeController: new ConstantStepSize() });
 * ```
 */
export class Euler extends ExplicitRungeKutta {
  constructor(options?: ERKOptions) {
    super(EULER_TABLEAU, options);
  }
}
