import type { ControllerDescription, ControllerProblem } from "./base.js";
import { FixedStepController, type GridState } from "./grid.js";

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
export class ConstantStepSize extends FixedStepController {
  override check(problem: ControllerProblem): void {
    if (problem.dt0 === undefined && problem.t0 !== problem.t1) {
      throw new TypeError("diffeqsolve: ConstantStepSize needs `dt0`, the step size (for example dt0: 0.01).");
    }
  }

  /** N = ⌈|t1 − t0| / |dt0|⌉, less a hair so that a dt0 dividing the interval up to rounding gives the intended N. */
  override knownStepCount(problem: ControllerProblem): number {
    const { t0, t1, dt0 } = problem;
    if (t0 === t1) return 0;
    return Math.max(1, Math.ceil(Math.abs(t1 - t0) / Math.abs(dt0!) - 1e-9));
  }

  protected createState(problem: ControllerProblem, steps: number): GridState {
    const { t0, t1, dir } = problem;
    return { extraFnEvals: 0, detail: "", k: 0, steps, dir, ts: null, uniform: Float64Array.of(t0, steps > 0 ? (t1 - t0) / steps : 0, t1) };
  }

  describe(): ControllerDescription {
    return { name: "ConstantStepSize", options: {} };
  }
}
