/**
 * `diffeqsolve` and the integrator API: the public entry points of a solve.
 *
 * `diffeqsolve(options)` validates the options (src/integrate/validate.ts), runs the loop
 * (src/integrate/loop.ts) to the end and returns a {@link Solution}. `init(options)` returns an
 * {@link Integrator} that takes the same steps one at a time (src/integrate/integrator.ts), and
 * `solveAsync` runs them in slices that yield to the event loop (src/integrate/async.ts).
 */
import { isOkay, SolveError } from "./results.js";
import { type DenseOutput, Solution, type Stats } from "./solution.js";
import type { StateLike } from "./tree.js";
import { Integration, type IntegrationOptions } from "./integrate/loop.js";
import { type DiffeqsolveOptions, validate, type Validated } from "./integrate/validate.js";

export { checkArgs, type DiffeqsolveOptions, validate, type Validated } from "./integrate/validate.js";
export { Integration, nextStep, type StepHook } from "./integrate/loop.js";
export { initialStepSize } from "./controllers/initial-step.js";

/**
 * Solves a differential equation.
 *
 * @example
 * ```ts
 * import { diffeqsolve, ODETerm, Tsit5, PIDController, SaveAt } from "odeflow";
 * const sol = diffeqsolve({
 *   terms: new ODETerm((t, y, args, dy) => { dy[0] = y[1]; dy[1] = -args.k * y[0]; }),
 *   solver: new Tsit5(),
 *   t0: 0, t1: 10, y0: [1, 0], args: { k: 4 },
 *   saveat: new SaveAt({ ts: [0, 5, 10] }),
 *   stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-10 }),
 * });
 * sol.ys[2]; // [cos 20, -2 sin 20]
 * ```
 */
export function diffeqsolve<Y extends StateLike, A = any>(options: DiffeqsolveOptions<Y, A>): Solution<Y> {
  const v = validate(options);
  const integration = new Integration(v, options.args);
  integration.start(v.y0, options.args);
  integration.run();
  return solutionOf(integration, options.throw ?? true, false);
}

/** @internal The loop's buffers for one validated problem (reusable across solves). */
export type LoopWorkspace = Integration;

/** @internal Allocates an {@link Integration} for `v` (its `SaveAt.fn` width is probed with `args`). */
export function createLoopWorkspace<Y>(v: Validated<Y>, args: unknown, options?: IntegrationOptions): Integration<Y> {
  return new Integration(v, args, options);
}

/** @internal Solves `v` from `y0` with `args` into `ws` (its rows and outcome). */
export function runLoop<Y>(v: Validated<Y>, y0: Float64Array, args: unknown, ws: Integration<Y>): void {
  void v;
  ws.start(y0, args);
  ws.run();
}

/** @internal The {@link Solution} of a finished solve in `ws` (throws a SolveError on failure if asked). */
export function solutionFromWorkspace<Y>(v: Validated<Y>, ws: Integration<Y>, throwOnFailure: boolean): Solution<Y> {
  void v;
  return solutionOf(ws, throwOnFailure, false);
}

/**
 * @internal The {@link Solution} of `integration` as it stands: its saved rows (copied when
 * `copy`, for a solve that goes on; otherwise views of the loop's buffers, which the loop no
 * longer writes), statistics, result and dense output. Throws the SolveError of a failure if asked.
 */
export function solutionOf<Y>(integration: Integration<Y>, throwOnFailure: boolean, copy: boolean): Solution<Y> {
  const v = integration.v;
  const { solver, t0, t1, structure } = v;
  const { rows, dense, width } = integration;
  const stats: Stats = {
    numSteps: integration.numSteps,
    numAcceptedSteps: integration.numAcceptedSteps,
    numRejectedSteps: integration.numRejectedSteps,
    numFnEvals: integration.numFnEvals,
  };
  const state = integration.solverState;
  if (state !== null && typeof solver.extraStats === "function") Object.assign(stats, solver.extraStats(state));
  const cut = <T extends Float64Array>(a: T, length: number): T => (copy ? (a.slice(0, length) as T) : (a.subarray(0, length) as T));
  const denseOut: DenseOutput | null =
    dense === null
      ? null
      : {
        solver, n: v.y0.length, count: dense.count, tStart: cut(dense.tStart, dense.count), dt: cut(dense.dt, dense.count),
        data: cut(dense.data, dense.count * dense.stride), stride: dense.stride,
      };
  const sol = new Solution<Y>({
    t0,
    t1,
    ts: cut(rows.ts, rows.count),
    ysFlat: cut(rows.ys, rows.count * width),
    size: width,
    result: integration.result,
    detail: integration.detail,
    stats,
    tFinal: integration.t,
    structure: v.saveat.fn === undefined ? structure : null,
    dense: denseOut,
    events: integration.events === null ? [] : integration.events.records(),
    error: integration.error,
  });
  if (throwOnFailure && !isOkay(integration.result)) {
    throw new SolveError(integration.result, integration.detail, sol, integration.error);
  }
  return sol;
}
