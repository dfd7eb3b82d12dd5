/** The `Solution` of a solve in progress or finished (the loop's rows, counters and dense output). */
import { isOkay, SolveError } from "../results.js";
import { type DenseOutput, Solution, type Stats } from "../solution.js";
import { subsSupport } from "../subs-support.js";
import type { Integration } from "./loop.js";

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
    subs: v.saveat.subs === undefined ? [] : subsSupport()!.solutions(integration.savers, cut),
  });
  if (throwOnFailure && !isOkay(integration.result)) {
    throw new SolveError(integration.result, integration.detail, sol, integration.error);
  }
  return sol;
}
