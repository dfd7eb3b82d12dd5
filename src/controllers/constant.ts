import { AbstractStepSizeController } from "./base.js";

/**
 * Fixed steps: `dt0` (required) is rounded so that N = ⌈|t1 − t0| / |dt0|⌉ equal steps land exactly
 * on t1, and step k ends at t_k = t0 + k (t1 − t0) / N (computed from k, so rounding never drifts).
 *
 * @example
 * ```ts
 * diffeqsolve({ terms, solver: new Euler(), t0: 0, t1: 1, dt0: 1e-3, y0: [1],
 *   stepsizeController: new ConstantStepSize() });
 * ```
 */
export class ConstantStepSize extends AbstractStepSizeController {
  readonly adaptive = false as const;
}
