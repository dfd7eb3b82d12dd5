/**
 * Fixed steps on a grid known before the solve: the common part of `ConstantStepSize` and
 * `StepTo`. The grid points are t_k, k = 0 … N (t_0 = t0, t_N = t1); a step always ends on the
 * next grid point after the current time, unless the clip layer cuts it short (a scheduled event
 * between grid points), in which case the next step goes on to the same grid point. Every step is
 * accepted unless the solver could not compute it or the new state is not finite: there is no
 * error estimate to judge it by, and no smaller step to retry with.
 */
import { RESULTS } from "../results.js";
import { STEP_OK } from "../solvers/solver.js";
import {
  AbstractStepSizeController, ACCEPT, type ControllerProblem, type ControllerStart, type ControllerState, H, PROPOSED, REACH, T, T_NEXT,
} from "./base.js";

/** Per-solve state of a fixed-step controller. */
export interface GridState extends ControllerState {
  /** Index of the last grid point at or behind the current time. */
  k: number;
  /** Number of steps N. */
  readonly steps: number;
  readonly dir: number;
  /** The grid points, when given (StepTo); null for a uniform grid. */
  readonly ts: Float64Array | null;
  /** A uniform grid: [t0, (t1 − t0)/N, t1]. */
  readonly uniform: Float64Array;
}

/**
 * Common base of the fixed-step controllers. The grid point k is `ts[k]`, or t0 + k·(t1 − t0)/N
 * with t_N = t1 exactly; it is computed inline (a method returning a double that V8 does not
 * inline would box it, 16 B a step).
 */
export abstract class FixedStepController<S extends GridState = GridState> extends AbstractStepSizeController<S> {
  readonly adaptive = false as const;

  /** Builds the state: `steps` grid intervals. */
  protected abstract createState(problem: ControllerProblem, steps: number): S;

  init(problem: ControllerProblem, start: ControllerStart): S {
    void start;
    return this.createState(problem, problem.t0 === problem.t1 ? 0 : this.knownStepCount(problem));
  }

  propose(state: S, rec: Float64Array): number {
    const t = rec[T]!;
    const { dir, steps, ts, uniform } = state;
    let k = state.k;
    while (k + 1 < steps && dir * ((ts !== null ? ts[k + 1]! : uniform[0]! + (k + 1) * uniform[1]!) - t) <= 0) k++;
    state.k = k;
    rec[T_NEXT] = ts !== null ? ts[k + 1]! : k + 1 >= steps ? uniform[2]! : uniform[0]! + (k + 1) * uniform[1]!;
    rec[REACH] = 0;
    return PROPOSED;
  }

  adapt(state: S, rec: Float64Array, y0: Float64Array, y1: Float64Array, yErr: Float64Array, yErr2: Float64Array, status: number): number {
    void y0, yErr, yErr2;
    const h = Math.abs(rec[H]!);
    if (status !== STEP_OK) {
      state.detail = `t = ${rec[T]} with step size ${h} after 1 failed attempt (fixed steps cannot be retried smaller)`;
      return status;
    }
    for (let i = 0; i < y1.length; i++) {
      if (!Number.isFinite(y1[i]!)) {
        state.detail = `t = ${rec[T]}: component ${i} of y is ${y1[i]} after a fixed step of size ${h}`;
        return RESULTS.nonFiniteEncountered;
      }
    }
    return ACCEPT;
  }
}
