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

/** Rows packed one trajectory after another, grown geometrically (`SaveAt({ steps })`). */
export interface GrowingRows {
  ts: Float64Array;
  ys: Float64Array;
  /** Rows used. */
  count: number;
}

/** Reused per-runner state: the loop's workspace, a y0 buffer, and the rows when they vary. */
export interface SerialWorkspace {
  readonly loop: LoopWorkspace;
  readonly y0: Float64Array;
  readonly rows: GrowingRows | null;
}

/** Allocates the buffers one runner reuses for all its trajectories. */
export function createSerialWorkspace(p: PreparedEnsemble): SerialWorkspace {
  const loop = createLoopWorkspace(p.v, p.args[0]);
  const rows = p.variableRows && p.keepSaved ? { ts: new Float64Array(1024), ys: new Float64Array(1024 * loop.width), count: 0 } : null;
  return { loop, y0: new Float64Array(p.n), rows };
}

/** Appends `count` rows (times and values) to the growing rows, growing them geometrically. */
function append(g: GrowingRows, ts: Float64Array, ys: Float64Array, count: number, width: number): void {
  const need = g.count + count;
  if (need > g.ts.length) {
    let cap = g.ts.length * 2;
    while (cap < need) cap *= 2;
    const t = new Float64Array(cap);
    t.set(g.ts.subarray(0, g.count));
    const y = new Float64Array(cap * width);
    y.set(g.ys.subarray(0, g.count * width));
    g.ts = t;
    g.ys = y;
  }
  const tOff = g.count;
  const yOff = tOff * width;
  for (let k = 0; k < count; k++) g.ts[tOff + k] = ts[k]!;
  const m = count * width;
  for (let k = 0; k < m; k++) g.ys[yOff + k] = ys[k]!;
  g.count = need;
}

/**
 * Solves trajectories [start, end) into `store`; `onFailure(i, detail)` hears where each failed
 * trajectory stopped. An error thrown by the vector field (a bug, not a numerical failure) ends
 * the ensemble, naming the trajectory. Trajectory i's y0, args and outputs sit at i − p.first in
 * the arrays (p.first is 0 except for a range of a larger ensemble, see portable.ts).
 */
export function runTrajectories(
  p: PreparedEnsemble,
  store: EnsembleStorage,
  sw: SerialWorkspace,
  start: number,
  end: number,
  onFailure: (i: number, detail: string) => void,
): void {
  const { v, n, y0s, args, rowsPerTrajectory: K, output, keepSaved, first } = p;
  const ws = sw.loop;
  const y0 = sw.y0;
  const width = ws.width;
  const outWidth = output === null ? 0 : output.width;
  for (let i = start; i < end; i++) {
    const at = i - first;
    const base = at * n;
    for (let j = 0; j < n; j++) y0[j] = y0s[base + j]!;
    const a = args[at];
    try {
      runLoop(v, y0, a, ws);
    } catch (e) {
      const err = new Error(`solveEnsemble: trajectory ${i}: ${e instanceof Error ? e.message : String(e)}`);
      (err as { cause?: unknown }).cause = e;
      throw err;
    }
    const rows = ws.rows;
    const count = rows.count;
    store.counts[at] = count;
    store.results[at] = ws.result;
    store.tFinal[at] = ws.tFinal;
    store.numSteps[at] = ws.numSteps;
    store.numAcceptedSteps[at] = ws.numAcceptedSteps;
    store.numRejectedSteps[at] = ws.numRejectedSteps;
    store.numFnEvals[at] = ws.numFnEvals;
    if (sw.rows !== null) {
      store.rowStart![at] = sw.rows.count;
      append(sw.rows, rows.ts, rows.ys, count, width);
    } else if (keepSaved) {
      const ts = store.ts;
      const ys = store.ys;
      const tOff = at * K;
      const yOff = tOff * width;
      for (let k = 0; k < count; k++) ts[tOff + k] = rows.ts[k]!;
      const m = count * width;
      for (let k = 0; k < m; k++) ys[yOff + k] = rows.ys[k]!;
    }
    if (output !== null) {
      output.fn(
        store.outputs.subarray(at * outWidth, (at + 1) * outWidth),
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
