/**
 * Packed ensemble output: one typed array per quantity, trajectory after trajectory, with
 * accessors that return views (no copies). The same layout lives in `SharedArrayBuffer`s when
 * worker threads write it.
 */
import { isOkay, type Result, resultMessage, resultName } from "../results.js";
import type { Stats } from "../solution.js";
import type { Structure, Structured, StateLike } from "../tree.js";

/** The typed arrays an ensemble writes into (backed by SharedArrayBuffers for threads). */
export interface EnsembleStorage {
  /** Saved times, N × rowsPerTrajectory (empty when rows are not kept). */
  readonly ts: Float64Array;
  /** Saved rows, N × rowsPerTrajectory × size. */
  readonly ys: Float64Array;
  /** Rows actually saved per trajectory (fewer than rowsPerTrajectory after a failure). */
  readonly counts: Int32Array;
  /** Result code per trajectory (see `RESULTS`). */
  readonly results: Uint8Array;
  /** Time each trajectory reached. */
  readonly tFinal: Float64Array;
  /** Steps attempted, accepted, rejected and vector-field evaluations, per trajectory. */
  readonly numSteps: Uint32Array;
  readonly numAcceptedSteps: Uint32Array;
  readonly numRejectedSteps: Uint32Array;
  readonly numFnEvals: Uint32Array;
  /** Output-hook rows, N × outputWidth (empty without a hook). */
  readonly outputs: Float64Array;
  /** First row of each trajectory when rows vary (`SaveAt({ steps })`); null: trajectory i starts at row i·K. */
  readonly rowStart: Float64Array | null;
}

/** Sizes of an ensemble's storage. */
export interface StorageShape {
  N: number;
  rowsPerTrajectory: number;
  size: number;
  outputWidth: number;
  /** Rows vary per trajectory (`SaveAt({ steps })`): rows are packed one trajectory after another. */
  variableRows: boolean;
}

/** Allocates the storage, in shared memory when `shared` (for worker threads). */
export function allocateStorage(shape: StorageShape, shared: boolean): EnsembleStorage {
  const { N, rowsPerTrajectory: K, size, outputWidth } = shape;
  const f64 = (len: number): Float64Array => (shared ? new Float64Array(new SharedArrayBuffer(8 * len)) : new Float64Array(len));
  const u32 = (len: number): Uint32Array => (shared ? new Uint32Array(new SharedArrayBuffer(4 * len)) : new Uint32Array(len));
  return {
    ts: f64(N * K),
    ys: f64(N * K * size),
    counts: shared ? new Int32Array(new SharedArrayBuffer(4 * N)) : new Int32Array(N),
    results: shared ? new Uint8Array(new SharedArrayBuffer(N)) : new Uint8Array(N),
    tFinal: f64(N),
    numSteps: u32(N),
    numAcceptedSteps: u32(N),
    numRejectedSteps: u32(N),
    numFnEvals: u32(N),
    outputs: f64(N * outputWidth),
    rowStart: shape.variableRows ? f64(N) : null,
  };
}

/**
 * How an ensemble was run: in the calling thread, on worker threads, in lockstep batches, on a GPU
 * (WebGPU), or in ranges solved elsewhere (`planEnsemble`, `odeflow/distributed`).
 *
 * @example
 * ```ts
 * if (sol.mode !== "threads") console.log(sol.notice);
 * ```
 */
export type EnsembleMode = "serial" | "threads" | "lockstep" | "webgpu" | "distributed";

/**
 * Mean and variance over trajectories of every saved component (the WebGPU backend computes them
 * on the GPU with `webgpu: { moments: true }`). Entry r·size + j is row r, component j; a
 * trajectory enters row r if it saved that row at its time (failed trajectories do not, nor the
 * row a terminating event saves in place of t1).
 *
 * @example
 * ```ts
 * const { times, mean, variance, count } = sol.moments!;
 * mean[r * sol.size + j];   // E[y_j(times[r])]
 * ```
 */
export interface EnsembleMoments {
  /** The time of each row. */
  readonly times: Float64Array;
  /** Sample mean per row and component (NaN where no trajectory counts). */
  readonly mean: Float64Array;
  /** Unbiased sample variance per row and component (NaN with fewer than two trajectories). */
  readonly variance: Float64Array;
  /** Trajectories counted per row. */
  readonly count: Float64Array;
}

/**
 * What `solveEnsemble` returns: packed saved times and states of every trajectory, per-trajectory
 * result codes and counters, and the output-hook rows and reduction when asked for.
 *
 * @example
 * ```ts
 * const sol = await solveEnsemble({ ...options, trajectories: 1000, y0: (i) => [1, 0, i / 1000] });
 * sol.ysOf(7);        // Float64Array: trajectory 7's saved rows, row after row
 * sol.state(7, 0);    // its first saved state
 * sol.final(7);       // its last saved state
 * sol.result(7);      // RESULTS code; sol.ok(7), sol.message(7)
 * sol.stats(7);       // { numSteps, numAcceptedSteps, … }
 * sol.failed;         // indices of failed trajectories
 * ```
 */
export class EnsembleSolution<R = unknown> {
  /** Number of trajectories N. */
  readonly trajectories: number;
  /** Length of a saved row (the state's length, or the width of `SaveAt.fn`). */
  readonly size: number;
  /** Row slots per trajectory in {@link ts} / {@link ys} (0 when rows vary: see {@link rowStart}). */
  readonly rowsPerTrajectory: number;
  /** With `SaveAt({ steps })`: the first row of each trajectory (rows packed one trajectory after another); else null. */
  readonly rowStart: Float64Array | null;
  /** Numbers per trajectory in {@link outputs}. */
  readonly outputWidth: number;
  /** Saved times, trajectory i at [i·K, i·K + counts[i]) with K = rowsPerTrajectory. */
  readonly ts: Float64Array;
  /** Saved rows, trajectory i's row k at (i·K + k)·size. */
  readonly ys: Float64Array;
  /** Rows saved per trajectory. */
  readonly counts: Int32Array;
  /** Result code per trajectory. */
  readonly results: Uint8Array;
  /** Time reached per trajectory (t1 unless it failed). */
  readonly tFinal: Float64Array;
  readonly numSteps: Uint32Array;
  readonly numAcceptedSteps: Uint32Array;
  readonly numRejectedSteps: Uint32Array;
  readonly numFnEvals: Uint32Array;
  /** Output-hook rows (N × outputWidth); empty without a hook. */
  readonly outputs: Float64Array;
  /** The `reduce` fold's result (undefined without `reduce`). */
  readonly reduced: R | undefined;
  /** How it ran. */
  readonly mode: EnsembleMode;
  /** Threads that shared the work (1 for serial, lockstep, webgpu and distributed). */
  readonly threads: number;
  /** Why the ensemble did not run as asked (for example threads requested for a closure), or null. */
  readonly notice: string | null;
  /** Mean and variance over trajectories (WebGPU backend with `webgpu: { moments: true }`), else null. */
  readonly moments: EnsembleMoments | null;
  /** Indices of failed trajectories, in order. */
  readonly failed: readonly number[];
  private readonly details: ReadonlyMap<number, string>;
  private readonly structure: Structure<StateLike> | null;

  /** @internal Built by `solveEnsemble`. */
  constructor(init: {
    storage: EnsembleStorage;
    shape: StorageShape;
    details: ReadonlyMap<number, string>;
    structure: Structure<StateLike> | null;
    reduced: R | undefined;
    mode: EnsembleMode;
    threads: number;
    notice: string | null;
    moments?: EnsembleMoments | null;
  }) {
    const s = init.storage;
    this.trajectories = init.shape.N;
    this.size = init.shape.size;
    this.rowsPerTrajectory = init.shape.rowsPerTrajectory;
    this.outputWidth = init.shape.outputWidth;
    this.ts = s.ts;
    this.ys = s.ys;
    this.counts = s.counts;
    this.results = s.results;
    this.tFinal = s.tFinal;
    this.numSteps = s.numSteps;
    this.numAcceptedSteps = s.numAcceptedSteps;
    this.numRejectedSteps = s.numRejectedSteps;
    this.numFnEvals = s.numFnEvals;
    this.outputs = s.outputs;
    this.rowStart = s.rowStart;
    this.reduced = init.reduced;
    this.mode = init.mode;
    this.threads = init.threads;
    this.notice = init.notice;
    this.moments = init.moments ?? null;
    this.details = init.details;
    this.structure = init.structure;
    const failed: number[] = [];
    for (let i = 0; i < s.results.length; i++) if (!isOkay(s.results[i]!)) failed.push(i);
    this.failed = failed;
  }

  private check(i: number, name: string): void {
    if (!(Number.isInteger(i) && i >= 0 && i < this.trajectories)) {
      throw new RangeError(`sol.${name}(i): i = ${String(i)} is out of range; the ensemble has ${this.trajectories} trajectories (0 … ${this.trajectories - 1}).`);
    }
  }

  /** Index of trajectory i's first row in {@link ts} (row slot i·K, or `rowStart[i]`). */
  private first(i: number): number {
    return this.rowStart === null ? i * this.rowsPerTrajectory : this.rowStart[i]!;
  }

  /** Saved times of trajectory i (a view). */
  tsOf(i: number): Float64Array {
    this.check(i, "tsOf");
    const r = this.first(i);
    return this.ts.subarray(r, r + this.counts[i]!);
  }

  /** Saved rows of trajectory i, row after row (a view). */
  ysOf(i: number): Float64Array {
    this.check(i, "ysOf");
    const r = this.first(i);
    return this.ys.subarray(r * this.size, (r + this.counts[i]!) * this.size);
  }

  /** Saved row k of trajectory i (a view). */
  state(i: number, k: number): Float64Array {
    this.check(i, "state");
    if (!(Number.isInteger(k) && k >= 0 && k < this.counts[i]!)) {
      throw new RangeError(`sol.state(i, k): k = ${String(k)} is out of range; trajectory ${i} saved ${this.counts[i]} rows.`);
    }
    const off = (this.first(i) + k) * this.size;
    return this.ys.subarray(off, off + this.size);
  }

  /** Saved row k of trajectory i in the structure of y0. */
  stateAs(i: number, k: number): Structured<StateLike> {
    const row = this.state(i, k);
    if (this.structure === null) throw new TypeError("sol.stateAs(i, k): rows saved by `SaveAt.fn` have no y0 structure; read sol.state(i, k).");
    return this.structure.unflatten(row);
  }

  /** The last saved row of trajectory i (a view). */
  final(i: number): Float64Array {
    this.check(i, "final");
    const c = this.counts[i]!;
    if (c === 0) throw new RangeError(`sol.final(i): trajectory ${i} saved no rows (${resultName(this.results[i]!)}).`);
    return this.state(i, c - 1);
  }

  /** Output-hook row of trajectory i (a view). */
  output(i: number): Float64Array {
    this.check(i, "output");
    if (this.outputWidth === 0) throw new Error("sol.output(i) needs an `output` hook in the options.");
    return this.outputs.subarray(i * this.outputWidth, (i + 1) * this.outputWidth);
  }

  /** Result code of trajectory i. */
  result(i: number): Result {
    this.check(i, "result");
    return this.results[i] as Result;
  }

  /** Whether trajectory i succeeded (or ended at a terminating event). */
  ok(i: number): boolean {
    return isOkay(this.result(i));
  }

  /** The message of trajectory i's result, with where it failed. */
  message(i: number): string {
    const r = this.result(i);
    const d = this.details.get(i);
    return d === undefined || isOkay(r) ? resultMessage(r) : `${resultMessage(r)} (${d})`;
  }

  /** Counters of trajectory i. */
  stats(i: number): Stats {
    this.check(i, "stats");
    return {
      numSteps: this.numSteps[i]!,
      numAcceptedSteps: this.numAcceptedSteps[i]!,
      numRejectedSteps: this.numRejectedSteps[i]!,
      numFnEvals: this.numFnEvals[i]!,
    };
  }

  /** Bytes of packed output per trajectory (saved rows, codes, counters, output rows). */
  get bytesPerTrajectory(): number {
    const bytes =
      this.ts.byteLength + this.ys.byteLength + this.counts.byteLength + this.results.byteLength + this.tFinal.byteLength +
      4 * this.numSteps.byteLength + this.outputs.byteLength + (this.rowStart === null ? 0 : this.rowStart.byteLength);
    return bytes / this.trajectories;
  }
}
