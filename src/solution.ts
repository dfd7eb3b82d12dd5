/**
 * The result of a solve: saved times and states, statistics, the result code and, when asked
 * for, the dense interpolant of every step.
 */
import type { EventRecord } from "./events/event.js";
import type { Result } from "./results.js";
import { isOkay, resultMessage } from "./results.js";
import type { AbstractSolver } from "./solvers/solver.js";
import { describeValue, type Structure, type Structured } from "./tree.js";

/** Counters of a solve. */
export interface Stats {
  /** Steps attempted (accepted + rejected). */
  numSteps: number;
  numAcceptedSteps: number;
  numRejectedSteps: number;
  /** Vector-field evaluations, including those for the initial step size and dense output. */
  numFnEvals: number;
  /** Solver-specific counters (for example numJacobianEvals, numLUDecompositions). */
  [counter: string]: number;
}

/** Stored dense output: per step its start time, size and the solver's interpolation data. */
export interface DenseOutput {
  readonly solver: AbstractSolver<any>;
  readonly n: number;
  /** Number of steps stored. */
  readonly count: number;
  readonly tStart: Float64Array;
  readonly dt: Float64Array;
  readonly data: Float64Array;
  readonly stride: number;
}

/**
 * What `diffeqsolve` returns.
 *
 * @example
 * ```ts
 * const sol = diffeqsolve({ ..., saveat: new SaveAt({ ts: [0, 1], dense: true }) });
 * sol.ts;            // Float64Array [0, 1]
 * sol.ys[1];         // Float64Array: the state at t = 1
 * sol.evaluate(0.5); // the state at t = 0.5 from the dense interpolant
 * ```
 */
export class Solution<Y = unknown> {
  /** Start and end of the interval asked for. */
  readonly t0: number;
  readonly t1: number;
  /** Saved times, in time order. */
  readonly ts: Float64Array;
  /** One row per saved time: views into {@link ysFlat}. */
  readonly ys: Float64Array[];
  /** All saved states packed row after row (row length {@link size}). */
  readonly ysFlat: Float64Array;
  /** Length of a saved row (the state's length, or the length of `SaveAt.fn`'s value). */
  readonly size: number;
  /** The result code (see `RESULTS`). */
  readonly result: Result;
  /** The message of the result code, with where it happened. */
  readonly message: string;
  readonly stats: Stats;
  /** The time the solve reached (t1 unless it failed or an event ended it). */
  readonly tFinal: number;
  /** Every event that fired, in order: its index in the `event` option, its time and the state before its affect. */
  readonly events: readonly EventRecord[];
  private readonly structure: Structure<Y> | null;
  private readonly denseOutput: DenseOutput | null;

  /** @internal Built by `diffeqsolve`. */
  constructor(init: {
    t0: number;
    t1: number;
    ts: Float64Array;
    ysFlat: Float64Array;
    size: number;
    result: Result;
    detail: string;
    stats: Stats;
    tFinal: number;
    structure: Structure<Y> | null;
    dense: DenseOutput | null;
    events?: readonly EventRecord[];
  }) {
    this.t0 = init.t0;
    this.t1 = init.t1;
    this.ts = init.ts;
    this.ysFlat = init.ysFlat;
    this.size = init.size;
    const ys: Float64Array[] = [];
    for (let i = 0; i < init.ts.length; i++) ys.push(init.ysFlat.subarray(i * init.size, (i + 1) * init.size));
    this.ys = ys;
    this.result = init.result;
    this.message = isOkay(init.result) ? resultMessage(init.result) : `${resultMessage(init.result)} (${init.detail})`;
    this.stats = init.stats;
    this.tFinal = init.tFinal;
    this.events = init.events ?? [];
    this.structure = init.structure;
    this.denseOutput = init.dense;
  }

  /** The i-th saved state in the structure of `y0` (a number, nested arrays or objects). */
  ysAs(i: number): Structured<Y> {
    if (!(i >= 0 && i < this.ts.length) || !Number.isInteger(i)) {
      throw new RangeError(`sol.ysAs(i): i = ${i} is out of range; ${this.ts.length} states were saved.`);
    }
    if (this.structure === null) {
      throw new TypeError("sol.ysAs(i): states saved by `SaveAt.fn` have no y0 structure; read `sol.ys[i]` instead.");
    }
    return this.structure.unflatten(this.ys[i]!);
  }

  /** Whether `evaluate`/`derivative` are available (`SaveAt({ dense: true })`). */
  get hasDense(): boolean {
    return this.denseOutput !== null;
  }

  /**
   * The state at time t from the dense interpolant of the step containing t
   * (requires `SaveAt({ dense: true })`). Writes into `out` when given.
   */
  evaluate(t: number, out?: Float64Array): Float64Array {
    return this.evalDense(t, false, out, "evaluate");
  }

  /** dy/dt at time t from the dense interpolant (requires `SaveAt({ dense: true })`). */
  derivative(t: number, out?: Float64Array): Float64Array {
    return this.evalDense(t, true, out, "derivative");
  }

  /** `evaluate(t)` in the structure of `y0`. */
  evaluateAs(t: number): Structured<Y> {
    const v = this.evaluate(t);
    if (this.structure === null) throw new TypeError("sol.evaluateAs(t): no y0 structure is known.");
    return this.structure.unflatten(v);
  }

  private evalDense(t: number, derivative: boolean, out: Float64Array | undefined, name: string): Float64Array {
    const d = this.denseOutput;
    if (d === null) throw new Error(`sol.${name}(t) needs dense output: pass saveat: new SaveAt({ dense: true }).`);
    if (typeof t !== "number" || Number.isNaN(t)) throw new TypeError(`sol.${name}(t): \`t\` must be a number; got ${typeof t === "number" ? String(t) : describeValue(t)}.`);
    const n = d.n;
    const result = out ?? new Float64Array(n);
    if (result.length < n) throw new RangeError(`sol.${name}(t, out): out has length ${result.length}, needs ${n}.`);
    if (d.count === 0) throw new Error(`sol.${name}(t): no step was taken, so there is no interpolant.`);
    const dir = d.dt[0]! >= 0 ? 1 : -1;
    const tEnd = this.tFinal; // the last step's end, or the time of a terminating event inside it
    const lo = Math.min(d.tStart[0]!, tEnd);
    const hi = Math.max(d.tStart[0]!, tEnd);
    if (t < lo || t > hi) throw new RangeError(`sol.${name}(t): t = ${t} is outside the solved interval [${lo}, ${hi}].`);
    // Binary search for the last step whose start is at or before t (in the direction of time).
    let a = 0;
    let b = d.count - 1;
    while (a < b) {
      const mid = (a + b + 1) >> 1;
      if (dir * (d.tStart[mid]! - t) <= 0) a = mid;
      else b = mid - 1;
    }
    const h = d.dt[a]!;
    const theta = h === 0 ? 0 : Math.min(1, Math.max(0, (t - d.tStart[a]!) / h));
    d.solver.evaluateDense(d.data, a * d.stride, n, h, theta, derivative, result);
    return result;
  }
}
