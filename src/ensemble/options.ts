/**
 * Options of `solveEnsemble`, and their validation: the problem is checked once (through the same
 * `validate` as `diffeqsolve`, with trajectory 0's y0 and args); each trajectory's y0 and args
 * are then checked for shape and finiteness only.
 */
import { checkArgs, type DiffeqsolveOptions, validate, type Validated } from "../integrate.js";
import type { ProgressMeter } from "../progress.js";
import type { SaveAt } from "../saveat.js";
import { checkStateSize, checkTermArgs, ODETerm, type AbstractTerm } from "../terms.js";
import { describeValue, type StateLike, Structure } from "../tree.js";
import { allocating, checkEnsembleMemory, checkMaxMemory } from "./memory.js";
import type { WebGPUDevice, WebGPUEnsembleOptions } from "./webgpu/types.js";

/**
 * A value given per trajectory: a function of the trajectory index, or an array of N values.
 *
 * @example
 * ```ts
 * y0: (i) => [1, i / 100, 0]      // or y0: arrayOfNStates
 * ```
 */
export type PerTrajectory<T> = ((i: number) => T) | readonly T[];

/**
 * Where worker threads load the vector field (and hooks) from: an ES module that exports them.
 * Plain closures cannot travel to workers; a module can.
 *
 * @example
 * ```ts
 * // model.mjs:  export function lorenz(t, y, p, dy) { … }
 * { url: new URL("./model.mjs", import.meta.url), vectorField: "lorenz" }
 * ```
 */
export interface EnsembleModule {
  /** URL of the module (`file:///…` in Node; a `URL` object is accepted). */
  url: string | URL;
  /** Export name of the vector field (a function or a `{ f, jac, … }` object). @defaultValue "default" */
  vectorField?: string;
  /** Export name of the `output` hook's function, when an `output` hook is used with threads. */
  output?: string;
  /** Export name of the `SaveAt` `fn`, when `saveat.fn` is used with threads. */
  saveFn?: string;
}

/**
 * A per-trajectory summary computed where the trajectory was solved, so the saved rows need not be
 * stored: `fn` writes `width` numbers into `out`. With worker threads, `fn` must be exported by
 * `module` and named in `module.output`.
 *
 * @example
 * ```ts
 * // keep only the largest |y0| over the saved times of each trajectory
 * output: { width: 1, fn: (out, ts, ys) => { let m = 0; for (let k = 0; k < ts.length; k++) m = Math.max(m, Math.abs(ys[k * 3])); out[0] = m; } }
 * ```
 */
export interface EnsembleOutput<A = any> {
  /** Numbers per trajectory. */
  width: number;
  /**
   * Writes the summary of trajectory `i` into `out`. `ts` (count rows) and `ys` (count × size,
   * row after row) are views into a buffer reused by the next trajectory: copy what you keep.
   */
  fn: EnsembleOutputFn<A>;
  /** Also store the saved rows. @defaultValue false */
  keepSaved?: boolean;
}

/** The function of an {@link EnsembleOutput}. */
export type EnsembleOutputFn<A = any> = (out: Float64Array, ts: Float64Array, ys: Float64Array, i: number, result: number, args: A) => void;

/**
 * A fold over trajectories, run in the calling thread in trajectory order after all are solved
 * (so it is deterministic whatever the number of threads). `row` is trajectory i's output row
 * (with an `output` hook) or its last saved row.
 *
 * @example
 * ```ts
 * reduce: { init: 0, fn: (sum, row, i, result) => (isOkay(result) ? sum + row[2] : sum) } // Σ z(t1)
 * ```
 */
export interface EnsembleReduce<R> {
  /** Initial accumulator. */
  init: R;
  fn: (acc: R, row: Float64Array, i: number, result: number) => R;
}

/**
 * A worker the caller made (a browser `Worker` running `runEnsembleWorker(self)`, or any
 * `MessagePort`-like object answering the same protocol).
 *
 * @example
 * ```ts
 * const workers = [1, 2, 3, 4].map(() => new Worker(new URL("./ensemble-worker.js", import.meta.url), { type: "module" }));
 * const sol = await solveEnsemble({ ...options, workers });
 * ```
 */
export interface EnsembleWorkerLike {
  postMessage(message: unknown): void;
  addEventListener(type: "message" | "error", listener: (event: any) => void): void;
  removeEventListener(type: "message" | "error", listener: (event: any) => void): void;
  /** Called when present (a `MessagePort` delivers messages only once started). */
  start?(): void;
}

/**
 * The options of `solveEnsemble` that every way of running it shares (all but `lockstep`, which
 * `EnsembleOptions` adds): those of `diffeqsolve` (terms, solver, t0, t1, dt0, saveat,
 * stepsizeController, maxSteps, …), with y0 and args given per trajectory.
 *
 * @example
 * ```ts
 * { terms, solver: new Tsit5(), t0: 0, t1: 1, trajectories: 1000,
 *   y0: () => [1, 0, 0], args: (i) => ({ rho: 21 * i / 999 }), threads: "auto",
 *   module: { url: new URL("./model.js", import.meta.url).href, vectorField: "lorenz" } }
 * ```
 */
export interface EnsembleBaseOptions<A = any, R = any>
  extends Omit<DiffeqsolveOptions<StateLike, A>, "y0" | "args" | "terms" | "progressMeter" | "throw"> {
  /** The terms; may be omitted when `module` names the vector field. */
  terms?: AbstractTerm;
  /** Number of trajectories N ≥ 1. */
  trajectories: number;
  /** Initial state of each trajectory: `(i) => y0_i`, or an array of N states (all of one shape). */
  y0: PerTrajectory<StateLike>;
  /**
   * Parameters: `(i) => args_i` or an array of N values (one per trajectory); any other value is
   * shared by all trajectories.
   */
  args?: PerTrajectory<A> | A;
  /**
   * Threads: a number T (the calling thread and T − 1 pooled worker threads share the work), or
   * `"auto"` (one per core). Threads need a vector field that can travel (`module`, or a compiled
   * vector field with `toSource()`); otherwise the ensemble runs in the calling thread and
   * `sol.notice` says why. @defaultValue 1
   */
  threads?: "auto" | number;
  /** Where workers load the vector field (and hooks) from. */
  module?: EnsembleModule;
  /** Per-trajectory summary instead of (or besides) the saved rows. */
  output?: EnsembleOutput<A>;
  /** Fold over the trajectories' output rows (or final saved rows). */
  reduce?: EnsembleReduce<R>;
  /** Throw a `SolveError` for the first failed trajectory (after all are solved). @defaultValue false */
  throw?: boolean;
  /** Progress over trajectories: `t` counts trajectories done, from 0 to N. */
  progressMeter?: ProgressMeter;
  /**
   * Trajectories a thread claims at a time. @defaultValue sized by each thread's observed speed
   * (about 2 ms of work, at most a 1/(2T) share of what is left)
   */
  chunkSize?: number;
  /**
   * What pooled workers load: odeflow's ES module at this URL (they then run its
   * runEnsembleWorker). @defaultValue the package's worker script, dist/ensemble-worker.cjs
   */
  libraryUrl?: string;
  /**
   * The most bytes the ensemble may allocate for its initial states, args table, saved rows,
   * result codes, counters and output rows, estimated before anything is allocated (see
   * `docs/ensembles.md`); an ensemble above it stops at once with its size and the alternatives.
   * `Infinity` lifts the limit. @defaultValue 2 GiB (2 147 483 648)
   */
  maxMemory?: number;
  /**
   * Workers you made, instead of Node's pool: in a browser, module Web Workers whose script runs
   * `import { runEnsembleWorker } from "odeflow"; runEnsembleWorker(self);` (outputs need
   * `SharedArrayBuffer`, so the page must be cross-origin isolated). Overrides `threads`; the
   * calling thread then only waits.
   */
  workers?: readonly EnsembleWorkerLike[];
  /**
   * Where the trajectories are solved: `"cpu"` (in the calling thread, on `threads` or in
   * `lockstep`), or `"webgpu"`: one GPU invocation per trajectory, in float32, on `device` (the
   * vector field must be `compile`d). See the guide "Ensembles on the GPU". @defaultValue "cpu"
   */
  backend?: "cpu" | "webgpu";
  /** The GPUDevice for `backend: "webgpu"` (from `navigator.gpu`, or `requestWebGPUDevice` of `odeflow/webgpu` in Node). */
  device?: WebGPUDevice;
  /** Options of the WebGPU backend. */
  webgpu?: WebGPUEnsembleOptions;
}

const ENSEMBLE_KEYS = [
  "trajectories", "y0", "args", "threads", "module", "output", "reduce", "lockstep", "throw", "progressMeter", "chunkSize", "libraryUrl", "workers",
  "backend", "device", "webgpu",
  "maxMemory",
];

/** The problem, checked once, with every trajectory's y0 and args. */
export interface PreparedEnsemble {
  /** Validated with trajectory 0's y0 and args. */
  readonly v: Validated<StateLike>;
  /** Trajectories held: [first, first + N). */
  readonly N: number;
  /** Index of the first trajectory held (y0s, args and outputs start with it); 0 but for a range of a larger ensemble. */
  readonly first: number;
  /** State length. */
  readonly n: number;
  /** Initial states, N × n. */
  readonly y0s: Float64Array;
  /** args of every trajectory (one shared value repeated by reference). */
  readonly args: readonly unknown[];
  /** Whether args differ per trajectory. */
  readonly argsPerTrajectory: boolean;
  /** Rows each trajectory may save (t0, ts, t1); 0 with `SaveAt({ steps })`. */
  readonly rowsPerTrajectory: number;
  /** `SaveAt({ steps })`: each trajectory saves as many rows as it takes steps (packed one after another). */
  readonly variableRows: boolean;
  readonly output: EnsembleOutput | null;
  readonly keepSaved: boolean;
  readonly throwOnFailure: boolean;
  readonly structure: Structure<StateLike>;
  readonly options: EnsembleBaseOptions;
  /** The memory budget in bytes (`maxMemory`). */
  readonly maxMemory: number;
}

function renamed(e: unknown): unknown {
  if (e instanceof Error && e.message.startsWith("diffeqsolve: ")) e.message = "solveEnsemble: " + e.message.slice(13);
  return e;
}

/** Reads a per-trajectory option: (i) => value, an array of N values, or `shared` for others. */
function perTrajectory(value: unknown, N: number, name: string, sharedAllowed: boolean): { at: (i: number) => unknown; varies: boolean } {
  if (typeof value === "function") return { at: value as (i: number) => unknown, varies: true };
  if (Array.isArray(value)) {
    if (value.length !== N) {
      throw new RangeError(
        `solveEnsemble: \`${name}\` is an array of ${value.length} entries but trajectories = ${N}; give one entry per trajectory, ` +
          `or a function (i) => ${name}_i${sharedAllowed ? "" : ` (for one ${name} shared by all: ${name}: () => value)`}.`,
      );
    }
    return { at: (i) => value[i], varies: true };
  }
  if (!sharedAllowed) {
    throw new TypeError(
      `solveEnsemble: \`${name}\` must be a function (i) => ${name}_i or an array of N = ${N} states; got ${describeValue(value)}. ` +
        `For one ${name} shared by all trajectories pass ${name}: () => value.`,
    );
  }
  return { at: () => value, varies: false };
}

/**
 * Checks the ensemble options and evaluates every trajectory's y0 and args.
 * @internal
 */
export function prepareEnsemble(options: EnsembleBaseOptions, terms: AbstractTerm): PreparedEnsemble {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`solveEnsemble(options): \`options\` must be an object; got ${describeValue(options)}.`);
  }
  const N = options.trajectories;
  if (typeof N !== "number" || !Number.isInteger(N) || N < 1) {
    throw new RangeError(`solveEnsemble: \`trajectories\` = ${describeValue(N)} must be a whole number ≥ 1 (for example trajectories: 1000).`);
  }
  const maxMemory = checkMaxMemory(options.maxMemory, "solveEnsemble");
  const y0s = perTrajectory(options.y0, N, "y0", false);
  const argsOf = perTrajectory(options.args, N, "args", true);
  const saveat: SaveAt | undefined = options.saveat;
  if (saveat !== undefined && saveat !== null && typeof saveat === "object") {
    if (saveat.dense) {
      throw new TypeError("solveEnsemble: `SaveAt({ dense: true })` is not available for ensembles; save at given times with SaveAt({ ts }).");
    }
    if (saveat.subs !== undefined && saveat.subs.length > 1) {
      throw new TypeError("solveEnsemble: `SaveAt({ subs })` with several outputs is not available for ensembles; save one output, and compute the others from it in the `output` hook.");
    }
  }
  const output = checkOutput(options.output);
  const reduce = options.reduce;
  if (reduce !== undefined && (reduce === null || typeof reduce !== "object" || typeof reduce.fn !== "function" || !("init" in reduce))) {
    throw new TypeError(`solveEnsemble: \`reduce\` must be { init, fn: (acc, row, i, result) => acc }; got ${describeValue(reduce)}.`);
  }
  const chunk = options.chunkSize;
  if (chunk !== undefined && (typeof chunk !== "number" || !Number.isInteger(chunk) || chunk < 1)) {
    throw new RangeError(`solveEnsemble: \`chunkSize\` = ${describeValue(chunk)} must be a whole number ≥ 1.`);
  }
  const throwOnFailure = options.throw ?? false;
  if (typeof throwOnFailure !== "boolean") {
    throw new TypeError(`solveEnsemble: \`throw\` must be true or false; got ${describeValue(throwOnFailure)}.`);
  }
  // The options diffeqsolve knows, with trajectory 0's y0 and args, validated once.
  const single: Record<string, unknown> = {};
  for (const key of Object.keys(options)) {
    if (!ENSEMBLE_KEYS.includes(key)) single[key] = (options as unknown as Record<string, unknown>)[key];
  }
  single.terms = terms;
  const y00 = call(y0s.at, 0, "y0") as StateLike;
  const args0 = call(argsOf.at, 0, "args");
  single.y0 = y00;
  single.args = args0;
  // A compiled field's size and parameters, checked before the probe calls it.
  checkStateSize(terms, Structure.of(y00, "y0(0)", "solveEnsemble").size, "solveEnsemble");
  checkTermArgs(terms, args0, "solveEnsemble");
  let v: Validated<StateLike>;
  try {
    v = validate(single as unknown as DiffeqsolveOptions<StateLike>);
  } catch (e) {
    throw renamed(e);
  }
  const n = v.y0.length;
  const sv = v.saveat;
  const keepSaved = output === null || output.keepSaved === true;
  const rowsPerTrajectory = sv.steps > 0 ? 0 : (sv.t0 ? 1 : 0) + (sv.ts === undefined ? 0 : sv.ts.length) + (sv.t1 ? 1 : 0);
  // Before anything per trajectory is evaluated or allocated. A SaveAt fn's width is known only
  // once the loop's workspace probes it: 1 is a lower bound here, the exact size is checked again
  // where the storage is allocated.
  checkEnsembleMemory({
    N, n, rows: keepSaved ? rowsPerTrajectory : 0, width: sv.fn === undefined ? n : 1,
    outputWidth: output === null ? 0 : output.width, variableRows: sv.steps > 0 && keepSaved,
  }, maxMemory, "solveEnsemble");
  const structure = Structure.of(y00, "y0(0)", "solveEnsemble");
  const flat = allocating(8 * N * n, "solveEnsemble", () => new Float64Array(N * n));
  const args: unknown[] = allocating(8 * N, "solveEnsemble", () => new Array(N));
  for (let i = 0; i < N; i++) {
    const yi = i === 0 ? y00 : (call(y0s.at, i, "y0") as StateLike);
    if (structure.isFlat) {
      const len = yi !== null && typeof yi === "object" ? (yi as ArrayLike<number>).length : undefined;
      if (len !== n) {
        throw new RangeError(`solveEnsemble: \`y0\` of trajectory ${i} has ${len === undefined ? describeValue(yi) : `${len} components`}; trajectory 0 has ${n}. All must have one shape.`);
      }
    } else if (Structure.of(yi, `y0(${i})`, "solveEnsemble").size !== n) {
      throw new RangeError(`solveEnsemble: \`y0\` of trajectory ${i} does not have the shape of trajectory 0's (${n} components).`);
    }
    structure.flatten(yi, flat, i * n);
    for (let j = 0; j < n; j++) {
      if (!Number.isFinite(flat[i * n + j]!)) {
        throw new RangeError(`solveEnsemble: \`y0\` of trajectory ${i}, component ${j}, is ${flat[i * n + j]}; every initial value must be a finite number.`);
      }
    }
    const ai = i === 0 ? args0 : argsOf.varies ? call(argsOf.at, i, "args") : args0;
    if (argsOf.varies && i > 0) {
      try {
        checkArgs(ai, `args(${i})`, 0);
      } catch (e) {
        throw renamed(e);
      }
      checkTermArgs(terms, ai, `solveEnsemble: trajectory ${i}`);
    }
    args[i] = ai;
  }
  return {
    v,
    N,
    first: 0,
    n,
    y0s: flat,
    args,
    argsPerTrajectory: argsOf.varies,
    rowsPerTrajectory,
    variableRows: sv.steps > 0,
    output,
    keepSaved,
    throwOnFailure,
    structure,
    options,
    maxMemory,
  };
}

/** Calls a per-trajectory function, naming the option and the trajectory when it throws. */
function call(at: (i: number) => unknown, i: number, name: string): unknown {
  try {
    return at(i);
  } catch (e) {
    const err = new Error(`solveEnsemble: the \`${name}\` function threw for trajectory ${i}: ${e instanceof Error ? e.message : String(e)}`);
    (err as { cause?: unknown }).cause = e;
    throw err;
  }
}

/** The `output` option, checked: null or { width, fn, keepSaved? }. */
function checkOutput(output: EnsembleOutput | undefined): EnsembleOutput | null {
  if (output === undefined || output === null) return null;
  if (typeof output !== "object" || typeof output.fn !== "function" || !Number.isInteger(output.width) || output.width < 1) {
    throw new TypeError(
      "solveEnsemble: `output` must be { width, fn } with width ≥ 1 numbers per trajectory and fn(out, ts, ys, i, result, args); " +
        `got ${describeValue(output)}${output !== null && typeof output === "object" ? ` with width ${describeValue(output.width)}` : ""}.`,
    );
  }
  if (output.keepSaved !== undefined && typeof output.keepSaved !== "boolean") {
    throw new TypeError(`solveEnsemble: \`output.keepSaved\` must be true or false; got ${describeValue(output.keepSaved)}.`);
  }
  return output;
}

/**
 * The prepared ensemble in a worker, from data the calling thread already checked: the problem is
 * validated once (trajectory 0), the initial states and args are taken as they are.
 * @internal
 */
export function prepareTrusted(
  options: EnsembleBaseOptions,
  terms: AbstractTerm,
  N: number,
  n: number,
  y0s: Float64Array,
  args: unknown[],
  first = 0,
): PreparedEnsemble {
  const single: Record<string, unknown> = {};
  for (const key of Object.keys(options)) {
    if (!ENSEMBLE_KEYS.includes(key)) single[key] = (options as unknown as Record<string, unknown>)[key];
  }
  single.terms = terms;
  single.y0 = y0s.subarray(0, n);
  single.args = args[0];
  const v = validate(single as unknown as DiffeqsolveOptions<StateLike>);
  const output = options.output ?? null;
  const sv = v.saveat;
  return {
    v,
    N,
    first,
    n,
    y0s,
    args,
    argsPerTrajectory: true,
    rowsPerTrajectory: sv.steps > 0 ? 0 : (sv.t0 ? 1 : 0) + (sv.ts === undefined ? 0 : sv.ts.length) + (sv.t1 ? 1 : 0),
    variableRows: sv.steps > 0,
    output,
    keepSaved: output === null || output.keepSaved === true,
    throwOnFailure: false,
    structure: Structure.of(single.y0, "y0", "solveEnsemble"),
    options,
    // The calling thread checked the memory of the whole ensemble.
    maxMemory: Infinity,
  };
}

/** The terms of an ensemble: given, or built from the vector field a module exports. */
export function ensembleTerms(options: EnsembleBaseOptions, imported: unknown): AbstractTerm {
  if (options.terms !== undefined) return options.terms;
  if (imported !== undefined) return new ODETerm(imported as never);
  throw new TypeError("solveEnsemble: give `terms` (for example new ODETerm(f)), or `module` naming the module that exports the vector field.");
}
