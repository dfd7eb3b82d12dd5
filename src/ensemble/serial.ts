/**
 * The serial ensemble runner: trajectory after trajectory through the one loop of `diffeqsolve`
 * (`runLoop`), with one set of loop buffers reused by every trajectory. Each trajectory keeps
 * its own step size, controller history, saved rows and result, so results are bit-identical to
 * separate `diffeqsolve` calls. Worker threads run this same function on their share.
 */
import { createLoopWorkspace, type LoopWorkspace, runLoop } from "../integrate.js";
import { isOkay, ResourceError } from "../results.js";
import { formatBytes, trajectoryBytes } from "./memory.js";
import type { PreparedEnsemble } from "./options.js";
import type { EnsembleStorage } from "./solution.js";

/** Rows packed one trajectory after another, grown geometrically (`SaveAt({ steps })`). */
export interface GrowingRows {
  ts: Float64Array;
  ys: Float64Array;
  /** Rows used. */
  count: number;
  /** Most rows the memory budget (`maxMemory`) leaves for them. */
  readonly limit: number;
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
  let rows: GrowingRows | null = null;
  if (p.variableRows && p.keepSaved) {
    const fixed = trajectoryBytes({ N: p.N, n: p.n, rows: 0, width: loop.width, outputWidth: p.output === null ? 0 : p.output.width, variableRows: true }).total * p.N;
    const limit = Math.max(1024, Math.floor((p.maxMemory - fixed) / (8 * (loop.width + 1))));
    rows = { ts: new Float64Array(1024), ys: new Float64Array(1024 * loop.width), count: 0, limit };
  }
  return { loop, y0: new Float64Array(p.n), rows };
}

/**
 * Appends `count` rows (times and values) to the growing rows, growing them geometrically up to
 * the memory budget; past it, a RangeError that says how many rows were saved and what to change.
 */
function append(g: GrowingRows, ts: Float64Array, ys: Float64Array, count: number, width: number, trajectory: number): void {
  const need = g.count + count;
  if (need > g.ts.length) {
    if (need > g.limit) {
      throw new ResourceError(
        `solveEnsemble: \`SaveAt({ steps })\` rows reached ${need.toLocaleString("en-US")} of ${width} numbers by trajectory ${trajectory} ` +
          `(${formatBytes(8 * need * (width + 1))}), above what \`maxMemory\` leaves for them. Save at given times (SaveAt({ ts })), ` +
          "every k-th step (SaveAt({ steps: k })), a summary (an `output` hook with keepSaved: false), or raise `maxMemory`.",
      );
    }
    let cap = g.ts.length * 2;
    while (cap < need) cap *= 2;
    cap = Math.min(cap, g.limit);
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
      append(sw.rows, rows.ts, rows.ys, count, width, i);
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
      try {
        output.fn(
          store.outputs.subarray(at * outWidth, (at + 1) * outWidth),
          rows.ts.subarray(0, count),
          rows.ys.subarray(0, count * width),
          i,
          ws.result,
          a,
        );
      } catch (e) {
        throw hookError("output.fn", i, e);
      }
    }
    if (!isOkay(ws.result)) onFailure(i, ws.detail);
  }
}

/** An exception from a user's hook, named: which hook, which trajectory, the original as cause. */
export function hookError(hook: string, i: number, e: unknown): Error {
  const err = new Error(`solveEnsemble: the \`${hook}\` hook threw for trajectory ${i}: ${e instanceof Error ? e.message : String(e)}`);
  (err as { cause?: unknown }).cause = e;
  return err;
}
