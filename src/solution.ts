/**
 * The result of a solve: saved times and states, statistics, the result code and, when asked
 * for, the dense interpolant of every step.
 *
 * Saved states live in one packed buffer (`ysFlat`, row after row); `ys[i]` hands out a view of
 * row i when it is read, so a million saved rows cost their numbers and not a million objects.
 * A Solution is plain data apart from the solver behind its dense output: `structuredClone` and
 * `JSON.stringify` keep everything else, and {@link Solution.fromJSON} rebuilds one from either.
 */
import type { EventRecord } from "./events/event.js";
import type { Result } from "./results.js";
import { isOkay, resultMessage, resultName } from "./results.js";
import type { AbstractSolver } from "./solvers/solver.js";
import type { SubSolution } from "./subs.js";
import { subsSupport } from "./subs-support.js";
import { describeValue, Structure, type Structured } from "./tree.js";

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

/** The dense output's data without its solver (what travels in JSON and structured clones). */
interface DenseData {
  readonly solverName: string;
  readonly n: number;
  readonly count: number;
  readonly tStart: Float64Array;
  readonly dt: Float64Array;
  readonly data: Float64Array;
  readonly stride: number;
}

/** Marks the JSON form of a Solution. */
const FORMAT = "odeflow-solution";
const VERSION = 1;

/**
 * The parts of a Solution that are not plain data (the solver behind the dense output, the
 * row views), kept beside it so that `structuredClone` sees only data.
 */
const hidden = new WeakMap<Solution<any>, { solver: AbstractSolver<any> | null; ys: Float64Array[] | null }>();

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
  /** What a function you gave threw, when `result` is `RESULTS.callbackError`; else undefined. */
  readonly error: unknown;
  /**
   * The outputs of `SaveAt({ subs })`, one per sub in order (`subs[0]` is also `ts`/`ys`); empty
   * when the SaveAt has no subs.
   */
  readonly subs: readonly SubSolution[];
  private readonly structure: Structure<Y> | null;
  private readonly dense: DenseData | null;

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
    error?: unknown;
    message?: string;
    subs?: readonly SubSolution[];
  }) {
    this.t0 = init.t0;
    this.t1 = init.t1;
    this.ts = init.ts;
    this.ysFlat = init.ysFlat;
    this.size = init.size;
    this.result = init.result;
    this.message = init.message ?? (isOkay(init.result) ? resultMessage(init.result) : `${resultMessage(init.result)} (${init.detail})`);
    this.stats = init.stats;
    this.tFinal = init.tFinal;
    this.events = init.events ?? [];
    this.error = init.error;
    this.subs = init.subs ?? [];
    this.structure = init.structure;
    const d = init.dense;
    this.dense = d === null ? null : { solverName: d.solver.name, n: d.n, count: d.count, tStart: d.tStart, dt: d.dt, data: d.data, stride: d.stride };
    // Without dense output there is nothing to hide yet (a WeakMap entry costs ~0.3 µs): the row
    // views are made on first read (hiddenOf).
    if (d !== null) hidden.set(this, { solver: d.solver, ys: null });
  }

  /**
   * One row per saved time: `ys[i]` is a view of row i of {@link ysFlat} (made when read; write
   * through it to change the stored value). Behaves as an array: `length`, indexing, `map`, `for … of`.
   */
  get ys(): Float64Array[] {
    const h = hiddenOf(this);
    if (h.ys === null) h.ys = rowViews(this.ysFlat, this.size, this.ts.length);
    return h.ys;
  }

  /** Whether the solve succeeded (reached t1, or ended at a terminating event). */
  get success(): boolean {
    return isOkay(this.result);
  }

  /** The name of the result code (for example `"successful"`, `"maxStepsReached"`). */
  get resultName(): string {
    return resultName(this.result);
  }

  /** All saved values of component `i` (a copy, one per saved time). */
  column(i: number): Float64Array {
    if (!Number.isInteger(i) || i < 0 || i >= this.size) {
      throw new RangeError(`sol.column(i): i = ${describeValue(i)} is out of range; saved rows have ${this.size} components (0 … ${this.size - 1}).`);
    }
    const m = this.ts.length;
    const out = new Float64Array(m);
    for (let r = 0; r < m; r++) out[r] = this.ysFlat[r * this.size + i]!;
    return out;
  }

  /**
   * The times at which event `index` (its position in the `event` option; 0 for a single event)
   * fired, in order (SciPy's `t_events[index]`).
   */
  eventTimes(index = 0): Float64Array {
    return Float64Array.from(this.eventsOf(index, "eventTimes"), (e) => e.t);
  }

  /**
   * The states at which event `index` fired, before its `affect` ran, one per firing (SciPy's
   * `y_events[index]`). A terminating event's state is the last; `sol.ys` holds it only with
   * `SaveAt({ t1: true })`, which saves where the solve ended.
   */
  eventStates(index = 0): Float64Array[] {
    return this.eventsOf(index, "eventStates").map((e) => Float64Array.from(e.y));
  }

  private eventsOf(index: number, who: string): EventRecord[] {
    if (!Number.isInteger(index) || index < 0) {
      throw new RangeError(`sol.${who}(index): index = ${describeValue(index)} must be the position of an event in the \`event\` option (0, 1, …).`);
    }
    return this.events.filter((e) => e.index === index);
  }

  /** The i-th saved state in the structure of `y0` (a number, nested arrays or objects). */
  ysAs(i: number): Structured<Y> {
    if (!(i >= 0 && i < this.ts.length) || !Number.isInteger(i)) {
      throw new RangeError(`sol.ysAs(i): i = ${i} is out of range; ${this.ts.length} states were saved.`);
    }
    if (this.structure === null) {
      throw new TypeError("sol.ysAs(i): states saved by `SaveAt.fn` have no y0 structure; read `sol.ys[i]` instead.");
    }
    return this.structure.unflatten(this.ysFlat, i * this.size);
  }

  /**
   * The accepted step grid behind the dense output: the start of every stored step, then the
   * final time (a copy; requires `SaveAt({ dense: true })`). A step that ended at an event appears
   * once; the time of an event with an `affect` starts the step after it. Plotting uses these as
   * the knots of its adaptive sampling (odeflow/plot).
   */
  stepTimes(): Float64Array {
    const d = this.dense;
    if (d === null) throw new Error("sol.stepTimes() needs dense output: pass saveat: new SaveAt({ dense: true }).");
    const out = new Float64Array(d.count + 1);
    out.set(d.tStart.subarray(0, d.count));
    out[d.count] = this.tFinal;
    return out;
  }

  /** Whether `evaluate`/`derivative` are available (`SaveAt({ dense: true })`). */
  get hasDense(): boolean {
    return this.dense !== null;
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

  /** "Solution(successful, 11 saved rows of 2, t ∈ [0, 10], 86 steps)". */
  toString(): string {
    return `Solution(${this.resultName}, ${this.ts.length} saved row${this.ts.length === 1 ? "" : "s"} of ${this.size}, t ∈ [${this.t0}, ${this.tFinal}], ${this.stats.numSteps} steps)`;
  }

  /**
   * What `console.log(sol)` and `util.inspect` show in Node: the result by name, the message,
   * times, rows and statistics, not the dense output's raw data.
   */
  [Symbol.for("nodejs.util.inspect.custom")](depth: number, options: object, inspect: (v: unknown, o: object) => string): string {
    const summary = {
      result: `${this.resultName} (${this.result})`, message: this.message, t0: this.t0, t1: this.t1, tFinal: this.tFinal,
      ts: this.ts, ys: this.ys, stats: this.stats, events: this.events, ...(this.error === undefined ? {} : { error: this.error }),
      dense: this.dense === null ? "none" : `${this.dense.count} steps of ${this.dense.solverName}`,
    };
    return `Solution ${depth < 0 ? "{ … }" : inspect(summary, { ...options, depth: (options as { depth?: number }).depth ?? 2 })}`;
  }

  /**
   * Plain data for `JSON.stringify` (typed arrays as arrays of numbers; the error as its message).
   * {@link Solution.fromJSON} rebuilds the Solution.
   */
  toJSON(): Record<string, unknown> {
    const d = this.dense;
    const err = this.error;
    return {
      format: FORMAT,
      version: VERSION,
      t0: this.t0,
      t1: this.t1,
      ts: Array.from(this.ts),
      ysFlat: Array.from(this.ysFlat),
      size: this.size,
      result: this.result,
      message: this.message,
      stats: this.stats,
      tFinal: this.tFinal,
      events: this.events.map((e) => ({ index: e.index, t: e.t, y: Array.from(e.y) })),
      error: err === undefined ? undefined : err instanceof Error ? { name: err.name, message: err.message } : String(err),
      structure: this.structure === null ? null : this.structure.toJSON(),
      dense: d === null ? null : { ...d, tStart: Array.from(d.tStart), dt: Array.from(d.dt), data: Array.from(d.data) },
      subs: this.subs.map((sub) => ({ ts: Array.from(sub.ts), ysFlat: Array.from(sub.ysFlat), size: sub.size })),
    };
  }

  /**
   * Rebuilds a Solution from `JSON.parse(JSON.stringify(sol))` or from `structuredClone(sol)`.
   * Dense output needs the solver that made it: pass `{ solver }` (a solver of the same class)
   * to use `evaluate` and `derivative`. The outputs of `SaveAt({ subs })` come back as
   * SubSolutions; a bundle that never otherwise names SubSaveAt or SubSolution (the bundler then
   * leaves their module out) passes `{ subs: SubSolution }` to keep it.
   *
   * @example
   * ```ts
   * const copy = Solution.fromJSON(JSON.parse(JSON.stringify(sol)), { solver: new Tsit5() });
   * ```
   */
  static fromJSON<Y = unknown>(data: unknown, options: { solver?: AbstractSolver<any>; subs?: typeof SubSolution } = {}): Solution<Y> {
    const who = "Solution.fromJSON";
    if (data === null || typeof data !== "object") throw new TypeError(`${who}: expected the JSON of a Solution (from JSON.stringify or structuredClone); got ${describeValue(data)}.`);
    const o = data as Record<string, unknown>;
    if (o.format !== undefined && (o.format !== FORMAT || o.version !== VERSION)) {
      throw new TypeError(`${who}: this is not a Solution written by this version of odeflow (format ${String(o.format)} version ${String(o.version)}).`);
    }
    const num = (k: string): number => {
      if (typeof o[k] !== "number") throw new TypeError(`${who}: \`${k}\` must be a number; got ${describeValue(o[k])}.`);
      return o[k] as number;
    };
    const f64 = (v: unknown, k: string): Float64Array => {
      if (v instanceof Float64Array) return v;
      if (Array.isArray(v) && v.every((x) => typeof x === "number" || x === null)) return Float64Array.from(v as number[], (x) => (x === null ? NaN : x));
      throw new TypeError(`${who}: \`${k}\` must be an array of numbers; got ${describeValue(v)}.`);
    };
    const ts = f64(o.ts, "ts");
    const size = num("size");
    const ysFlat = f64(o.ysFlat, "ysFlat");
    if (ysFlat.length !== ts.length * size) throw new RangeError(`${who}: ysFlat has ${ysFlat.length} numbers, but ${ts.length} rows of ${size} need ${ts.length * size}.`);
    const structureData = o.structure;
    const structure = structureData === null || structureData === undefined ? null : structureData instanceof Structure
        ? structureData
        : Structure.fromJSON<Y>((structureData as { root?: unknown }).root ?? structureData);
    const d = o.dense as Record<string, unknown> | null | undefined;
    let dense: DenseOutput | null = null;
    let denseData: DenseData | null = null;
    if (d !== null && d !== undefined) {
      denseData = {
        solverName: String(d.solverName), n: d.n as number, count: d.count as number, stride: d.stride as number,
        tStart: f64(d.tStart, "dense.tStart"), dt: f64(d.dt, "dense.dt"), data: f64(d.data, "dense.data"),
      };
      const solver = options.solver;
      if (solver !== undefined) {
        if (solver.name !== denseData.solverName) {
          throw new TypeError(`${who}: the dense output was made by ${denseData.solverName}, but \`solver\` is ${solver.name}; pass a ${denseData.solverName}.`);
        }
        dense = { ...denseData, solver };
      }
    }
    const events = Array.isArray(o.events)
      ? (o.events as { index: number; t: number; y: unknown }[]).map((e) => ({ index: e.index, t: e.t, y: f64(e.y, "events[].y") }))
      : [];
    // The module of SubSolution rebuilds the subs; it is loaded wherever SubSaveAt or SubSolution is named.
    const support = subsSupport();
    const subs = !Array.isArray(o.subs) || o.subs.length === 0 ? [] : support !== null ? support.fromJSON(o.subs, f64)
      : fail(`${who}: to rebuild the SaveAt subs of this data, pass { subs: SubSolution }.`);
    const sol = new Solution<Y>({
      t0: num("t0"), t1: num("t1"), ts, ysFlat, size, result: num("result") as Result, detail: "", message: String(o.message ?? ""),
      stats: o.stats as Stats, tFinal: num("tFinal"), structure, dense, events, error: o.error, subs,
    });
    if (dense === null && denseData !== null) (sol as unknown as { dense: DenseData | null }).dense = denseData;
    return sol;
  }

  private evalDense(t: number, derivative: boolean, out: Float64Array | undefined, name: string): Float64Array {
    const d = this.dense;
    if (d === null) throw new Error(`sol.${name}(t) needs dense output: pass saveat: new SaveAt({ dense: true }).`);
    const solver = hiddenOf(this).solver;
    if (solver === null) {
      throw new Error(`sol.${name}(t): this Solution was rebuilt from data without its solver; pass it: Solution.fromJSON(data, { solver: new ${d.solverName}() }).`);
    }
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
    solver.evaluateDense(d.data, a * d.stride, n, h, theta, derivative, result);
    return result;
  }
}

function hiddenOf(sol: Solution<any>): { solver: AbstractSolver<any> | null; ys: Float64Array[] | null } {
  let h = hidden.get(sol);
  if (h === undefined) {
    // A Solution made by Object.create or a prototype-preserving copy: no solver, views on demand.
    h = { solver: null, ys: null };
    hidden.set(sol, h);
  }
  return h;
}

/**
 * An array-like of row views over `flat` that makes each view when it is read: indexing,
 * `length`, iteration and the array methods work, and `console.log` shows the rows.
 */
export function rowViews(flat: Float64Array, width: number, count: number): Float64Array[] {
  const row = (i: number): Float64Array => flat.subarray(i * width, (i + 1) * width);
  const target: Float64Array[] = [];
  Object.defineProperty(target, Symbol.for("nodejs.util.inspect.custom"), {
    value: (depth: number, options: object, inspect: (v: unknown, o: object) => string) =>
      inspect(Array.from({ length: Math.min(count, 100) }, (_, i) => row(i)).concat(count > 100 ? [`… ${count - 100} more rows` as never] : []), options),
  });
  const index = (key: string | symbol): number => {
    if (typeof key !== "string") return -1;
    const c = key.charCodeAt(0);
    if (c < 48 || c > 57) return -1;
    const i = Number(key);
    return Number.isInteger(i) && i < count && String(i) === key ? i : -1;
  };
  return new Proxy(target, {
    get(t, key, receiver) {
      const i = index(key);
      if (i >= 0) return row(i);
      if (key === "length") return count;
      return Reflect.get(t, key, receiver);
    },
    has(t, key) {
      return index(key) >= 0 || Reflect.has(t, key);
    },
    set(t, key, value, receiver) {
      const i = index(key);
      if (i >= 0) {
        row(i).set(value as ArrayLike<number>);
        return true;
      }
      if (key === "length") return false;
      return Reflect.set(t, key, value, receiver);
    },
    ownKeys(t) {
      const keys: (string | symbol)[] = [];
      for (let i = 0; i < count; i++) keys.push(String(i));
      return keys.concat(Reflect.ownKeys(t).filter((k) => k !== "length"), ["length"]);
    },
    getOwnPropertyDescriptor(t, key) {
      const i = index(key);
      if (i >= 0) return { value: row(i), writable: true, enumerable: true, configurable: true };
      if (key === "length") return { value: count, writable: true, enumerable: false, configurable: false };
      return Reflect.getOwnPropertyDescriptor(t, key);
    },
  });
}

function fail(message: string): never {
  throw new TypeError(message);
}
