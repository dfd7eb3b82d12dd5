/**
 * `diffeqsolve` and the integrator API: the public entry points of a solve.
 *
 * `diffeqsolve(options)` validates the options (src/integrate/validate.ts), runs the loop
 * (src/integrate/loop.ts) to the end and returns a {@link Solution}. `init(options)` returns an
 * {@link Integrator} that takes the same steps one at a time (src/integrate/integrator.ts), and
 * `solveAsync` runs them in slices that yield to the event loop (src/integrate/async.ts).
 */
import type { Solution } from "./solution.js";
import type { StateLike } from "./tree.js";
import { Integration, type IntegrationOptions } from "./integrate/loop.js";
import { solutionOf } from "./integrate/solution-of.js";
import { type DiffeqsolveOptions, validate, type Validated } from "./integrate/validate.js";

export { checkArgs, type DiffeqsolveOptions, validate, type Validated } from "./integrate/validate.js";
export { Integration, nextStep, type StepHook } from "./integrate/loop.js";
export { initialStepSize } from "./controllers/initial-step.js";
export { solutionOf } from "./integrate/solution-of.js";
export { init, Integrator, type IntegratorSnapshot, resume } from "./integrate/integrator.js";
export { solveAsync, type SolveAsyncOptions } from "./integrate/async.js";

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
  try {
    return solutionOf(integration, options.throw ?? true, false);
  } finally {
    integration.release(); // nothing outside holds it: its buffers serve the next solve
  }
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
