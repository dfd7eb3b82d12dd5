/**
 * The serial ensemble runner: trajectory after trajectory through the one loop of `diffeqsolve`
 * (`runLoop`), with one set of loop buffers reused by every trajectory. Each trajectory keeps
 * its own step size, controller history, saved rows and result, so results are bit-identical to
 * separate `diffeqsolve` calls. Worker threads run this same function on their share.
 */
import { createLoopWorkspace, type LoopWorkspace, runLoop } from "../integrate.js";
import { isOkay } from "../results.js";
import type { PreparedEnsemble } from "./options.js";
import type { EnsembleStorage } from "./solution.js";

/** Reused per-runner state: the loop's workspace and a y0 buffer. */
export interface SerialWorkspace {
  readonly loop: LoopWorkspace;
  readonly y0: Float64Array;
}

/** Allocates the buffers one runner reuses for all its trajectories. */
export function createSerialWorkspace(p: PreparedEnsemble): SerialWorkspace {
  return { loop: createLoopWorkspace(p.v, p.args[0]), y0: new Float64Array(p.n) };
}

/**
 * Solves trajectories [start, end) into `store`; `onFailure(i, detail)` hears where each failed
 * trajectory stopped. An error thrown by the vector field (a bug, not a numerical failure) ends
 * the ensemble, naming the trajectory.
 */
export function runTrajectories(
  p: PreparedEnsemble,
  store: EnsembleStorage,
  sw: SerialWorkspace,
  start: number,
  end: number,
  onFailure: (i: number, detail: string) => void,
): void {
  const { v, n, y0s, args, rowsPerTrajectory: K, output, keepSaved } = p;
  const ws = sw.loop;
  const y0 = sw.y0;
  const width = ws.width;
  const outWidth = output === null ? 0 : output.width;
  for (let i = start; i < end; i++) {
    const base = i * n;
    for (let j = 0; j < n; j++) y0[j] = y0s[base + j]!;
    const a = args[i];
    try {
      runLoop(v, y0, a, ws);
    } catch (e) {
      const err = new Error(`solveEnsemble: trajectory ${i}: ${e instanceof Error ? e.message : String(e)}`);
      (err as { cause?: unknown }).cause = e;
      throw err;
    }
    const rows = ws.rows;
    const count = rows.count;
    store.counts[i] = count;
    store.results[i] = ws.result;
    store.tFinal[i] = ws.tFinal;
    store.numSteps[i] = ws.numSteps;
    store.numAcceptedSteps[i] = ws.numAcceptedSteps;
    store.numRejectedSteps[i] = ws.numRejectedSteps;
    store.numFnEvals[i] = ws.numFnEvals;
    if (keepSaved) {
      const ts = store.ts;
      const ys = store.ys;
      const tOff = i * K;
      const yOff = tOff * width;
      for (let k = 0; k < count; k++) ts[tOff + k] = rows.ts[k]!;
      const m = count * width;
      for (let k = 0; k < m; k++) ys[yOff + k] = rows.ys[k]!;
    }
    if (output !== null) {
      output.fn(
        store.outputs.subarray(i * outWidth, (i + 1) * outWidth),
        rows.ts.subarray(0, count),
        rows.ys.subarray(0, count * width),
        i,
        ws.result,
        a,
      );
    }
    if (!isOkay(ws.result)) onFailure(i, ws.detail);
  }
}
