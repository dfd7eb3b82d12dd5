/**
 * `solveEnsemble`: many trajectories of one model, each with its own adaptive steps, saved times
 * and status, in the calling thread, on worker threads, in lockstep batches or on a GPU.
 */
import { type Result, SolveError } from "../results.js";
import { describeValue } from "../tree.js";
import type { AbstractTerm } from "../terms.js";
import { type LockstepOptions, runLockstep } from "./lockstep.js";
import { type EnsembleBaseOptions, ensembleTerms, type PreparedEnsemble, prepareEnsemble } from "./options.js";
import { createSerialWorkspace, hookError, runTrajectories } from "./serial.js";
import { allocateStorage, type EnsembleMode, type EnsembleMoments, EnsembleSolution, type EnsembleStorage, type StorageShape } from "./solution.js";
import { availableCores, defaultWorkerScript, prestartPool, runOnWorkers, runThreads } from "./threads.js";
import { describeProblem, descriptorKey, type ModuleExports, type ProblemDescriptor } from "./transfer.js";
import { allocating, checkEnsembleMemory, trajectoryBytes } from "./memory.js";
import { solveOnGPU } from "./webgpu/run.js";

/**
 * Options of `solveEnsemble`: those of `diffeqsolve` (terms, solver, t0, t1, dt0, saveat,
 * stepsizeController, maxSteps, …), with y0 and args given per trajectory, and how to run it
 * (`threads`, `lockstep`, …).
 *
 * @example
 * ```ts
 * { terms, solver: new Tsit5(), t0: 0, t1: 1, trajectories: 1000,
 *   y0: () => [1, 0, 0], args: (i) => ({ rho: 21 * i / 999 }), threads: "auto",
 *   module: { url: new URL("./model.js", import.meta.url).href, vectorField: "lorenz" } }
 * ```
 */
export interface EnsembleOptions<A = any, R = any> extends EnsembleBaseOptions<A, R> {
  /** Lockstep batched mode (structure-of-arrays) for a vectorised vector field. */
  lockstep?: LockstepOptions<A>;
}

const warned = new Set<string>();

/** Warns once per process and kind of notice (the notice is also on the solution). */
function warnOnce(kind: string, message: string): void {
  if (warned.has(kind)) return;
  warned.add(kind);
  console.warn(`odeflow: ${message}`);
}

/** @internal The storage shape of a prepared ensemble whose saved rows are `width` wide. */
export function shapeOf(p: PreparedEnsemble, width: number): StorageShape {
  return {
    N: p.N,
    rowsPerTrajectory: p.keepSaved ? p.rowsPerTrajectory : 0,
    size: width,
    outputWidth: p.output === null ? 0 : p.output.width,
    variableRows: p.variableRows && p.keepSaved,
  };
}

/** @internal The width of a saved row (the state's length, or SaveAt.fn's). */
export function saveWidth(p: PreparedEnsemble): number {
  return createSerialWorkspace(p).loop.width;
}

/**
 * The ensemble's storage, after checking its exact size (a SaveAt fn's width is known now)
 * against `maxMemory`; an allocation the engine refuses becomes an error that gives the size.
 */
export function allocate(p: PreparedEnsemble, shape: StorageShape, shared: boolean): EnsembleStorage {
  const size = {
    N: p.N, n: p.n, rows: shape.rowsPerTrajectory, width: shape.size, outputWidth: shape.outputWidth, variableRows: shape.variableRows,
  };
  checkEnsembleMemory(size, p.maxMemory, "solveEnsemble");
  return allocating(trajectoryBytes(size).total * p.N, "solveEnsemble", () => allocateStorage(shape, shared));
}

/** @internal The EnsembleSolution of solved storage: the reduction, and `throw` when asked. */
export function finish<R>(
  p: PreparedEnsemble,
  storage: EnsembleStorage,
  shape: StorageShape,
  details: Map<number, string>,
  mode: EnsembleMode,
  threads: number,
  notice: string | null,
  moments: EnsembleMoments | null = null,
): EnsembleSolution<R> {
  let reduced: R | undefined;
  const reduce = p.options.reduce as EnsembleBaseOptions<unknown, R>["reduce"];
  if (reduce !== undefined) {
    let acc = reduce.init;
    const K = shape.rowsPerTrajectory;
    const w = shape.outputWidth;
    for (let i = 0; i < p.N; i++) {
      let row: Float64Array;
      if (w > 0) row = storage.outputs.subarray(i * w, (i + 1) * w);
      else {
        const c = storage.counts[i]!;
        const r = storage.rowStart === null ? i * K : storage.rowStart[i]!;
        row = c === 0 ? storage.ys.subarray(0, 0) : storage.ys.subarray((r + c - 1) * shape.size, (r + c) * shape.size);
      }
      try {
        acc = reduce.fn(acc, row, i, storage.results[i]!);
      } catch (e) {
        throw hookError("reduce.fn", i, e);
      }
    }
    reduced = acc;
  }
  const sol = new EnsembleSolution<R>({
    storage,
    shape,
    details,
    structure: p.v.saveat.fn === undefined ? p.structure : null,
    reduced,
    mode,
    threads,
    notice,
    moments,
  });
  if (p.throwOnFailure && sol.failed.length > 0) {
    const i = sol.failed[0]!;
    const r = sol.results[i]! as Result;
    throw new SolveError(r, `trajectory ${i} (${sol.failed.length} of ${p.N} failed): ${details.get(i) ?? ""}`, sol);
  }
  return sol;
}

function runSerial<R>(p: PreparedEnsemble, notice: string | null): EnsembleSolution<R> {
  const sw = createSerialWorkspace(p);
  const shape = shapeOf(p, sw.loop.width);
  const storage = allocate(p, shape, false);
  const details = new Map<number, string>();
  const onFailure = (i: number, d: string): void => {
    details.set(i, d);
  };
  const progress = p.options.progressMeter ?? null;
  if (progress === null) runTrajectories(p, storage, sw, 0, p.N, onFailure);
  else {
    progress.start(0, p.N);
    for (let i = 0; i < p.N; i += 64) {
      runTrajectories(p, storage, sw, i, Math.min(p.N, i + 64), onFailure);
      progress.update(Math.min(p.N, i + 64));
    }
    progress.finish(p.N);
  }
  const g = sw.rows;
  const packed = g === null ? storage : { ...storage, ts: g.ts.subarray(0, g.count), ys: g.ys.subarray(0, g.count * shape.size) };
  return finish(p, packed, shape, details, "serial", 1, notice);
}

/** @internal Checks the options that say how to run (threads, workers, module, progressMeter). */
export function checkEnsembleOptions(options: EnsembleOptions): void {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`solveEnsemble(options): \`options\` must be an object; got ${describeValue(options)}.`);
  }
  const th = options.threads;
  if (th !== undefined && th !== "auto" && !(typeof th === "number" && Number.isInteger(th) && th >= 1)) {
    throw new RangeError(`solveEnsemble: \`threads\` = ${describeValue(th)} must be "auto" or a whole number ≥ 1 (1 runs in the calling thread).`);
  }
  const w = options.workers;
  if (w !== undefined && (!Array.isArray(w) || w.some((x) => x === null || typeof x !== "object" || typeof x.postMessage !== "function"))) {
    throw new TypeError(`solveEnsemble: \`workers\` must be an array of Web Workers (or MessagePorts) running runEnsembleWorker; got ${describeValue(w)}.`);
  }
  const m = options.module;
  if (m !== undefined && (m === null || typeof m !== "object" || (typeof m.url !== "string" && !(m.url instanceof URL)))) {
    throw new TypeError(
      `solveEnsemble: \`module\` must be { url, vectorField } naming an ES module that exports the vector field; got ${describeValue(m)}.`,
    );
  }
  const p = options.progressMeter;
  if (p !== undefined && (p === null || typeof p !== "object" || typeof p.update !== "function")) {
    throw new TypeError(`solveEnsemble: \`progressMeter\` must be a TextProgressMeter or CallbackProgressMeter; got ${describeValue(p)}.`);
  }
  const b = options.backend;
  if (b !== undefined && b !== "cpu" && b !== "webgpu") {
    throw new TypeError(`solveEnsemble: \`backend\` = ${describeValue(b)} must be "cpu" or "webgpu".`);
  }
}

/** @internal Imports `options.module` in the calling thread (null without one). */
export async function importModule(options: EnsembleOptions): Promise<ModuleExports> {
  const m = options.module;
  if (m === undefined) return null;
  const url = String(m.url);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(/* @vite-ignore */ url)) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`solveEnsemble: could not import \`module.url\` = ${url}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const name = m.vectorField ?? "default";
  if (mod[name] === undefined) {
    throw new TypeError(`solveEnsemble: the module ${url} has no export \`${name}\`; name the vector field's export in \`module.vectorField\`.`);
  }
  return mod;
}

/**
 * Solves one model for many trajectories: each trajectory is the solve `diffeqsolve` would do
 * with its own `y0` and `args` (bit-identical results), with its own step sizes, saved times and
 * result code; a failed trajectory does not stop the others (unless `throw: true`).
 *
 * Runs in the calling thread (`threads: 1`, the default), on worker threads (`threads: n` or
 * `"auto"`; the vector field must be able to travel: name its module in `module`, or use a
 * compiled vector field), in lockstep batches of a vectorised vector field (`lockstep`), or on a
 * GPU (`backend: "webgpu"` with a `device`: one GPU thread per trajectory, in float32, for a
 * `compile`d vector field; see the guide "Ensembles on the GPU"). Output
 * is packed into typed arrays (see {@link EnsembleSolution}); an `output` hook keeps a summary per
 * trajectory instead of the saved rows, and `reduce` folds the trajectories.
 *
 * Memory: per trajectory, the saved rows (K rows of size + 1 doubles), 29 bytes of codes and
 * counters, and the output row; the loop's buffers are shared by all trajectories of a thread.
 *
 * @example
 * ```ts
 * import { solveEnsemble, ODETerm, Tsit5, PIDController, SaveAt } from "odeflow";
 * const sol = await solveEnsemble({
 *   terms: new ODETerm(lorenz),                 // or module: { url, vectorField: "lorenz" } with threads
 *   solver: new Tsit5(),
 *   t0: 0, t1: 1,
 *   trajectories: 1000,
 *   y0: () => [1, 0, 0],
 *   args: (i) => ({ sigma: 10, rho: (21 * i) / 999, beta: 8 / 3 }),
 *   stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-8 }),
 *   saveat: new SaveAt({ ts: [0.5, 1] }),
 * });
 * sol.final(10);   // state of trajectory 10 at t = 1
 * ```
 */
export async function solveEnsemble<A = any, R = unknown>(options: EnsembleOptions<A, R>): Promise<EnsembleSolution<R>> {
  checkEnsembleOptions(options);
  const mod = await importModule(options);
  const m = options.module;
  const terms = ensembleTerms(options, mod === null ? undefined : mod[m!.vectorField ?? "default"]);
  if (options.backend === "webgpu") return webgpu<R>(prepareEnsemble(options, terms), options);
  const workers = options.workers;
  const requested = workers !== undefined ? workers.length : options.threads === "auto" ? await availableCores() : options.threads ?? 1;
  // Whether the problem can travel, before anything is started for it.
  const travel = options.lockstep === undefined && (requested > 1 || workers !== undefined) ? await describeForThreads(options, terms, mod) : null;
  const source = workers === undefined ? options.libraryUrl ?? defaultWorkerScript() : null;
  // Start the pool now: the workers boot while the trajectories' y0 and args are prepared.
  if (travel !== null && typeof travel !== "string" && source !== null && workers === undefined) await prestartPool(requested, source);
  const p = prepareEnsemble(options, terms);
  if (options.lockstep !== undefined) return lockstep<R>(p, options);
  let notice: string | null = null;
  if (travel !== null && p.N > 1) {
    const outcome = typeof travel === "string" ? travel : await tryThreads<R>(p, options, travel, requested, source);
    if (typeof outcome !== "string") return outcome;
    const asked = workers !== undefined ? `${workers.length} workers were given` : `threads: ${String(options.threads)} was asked for`;
    notice = `${asked}, but ${outcome}; the ensemble ran in the calling thread.`;
    warnOnce(outcome.slice(0, 40), notice);
  }
  return runSerial<R>(p, notice);
}

type Travel = { descriptor: ProblemDescriptor; key: string };

/**
 * The problem as it travels to workers, or why it cannot. (./transfer.js is imported statically: a
 * dynamic import of it would make bundlers without code splitting, esbuild's default, wrap every
 * module it reaches, the whole core included, in lazy initialisers, ~200 bytes gzipped more in
 * every bundle, even one that never solves an ensemble.)
 */
async function describeForThreads(options: EnsembleOptions, terms: AbstractTerm, mod: ModuleExports): Promise<Travel | string> {
  if (typeof SharedArrayBuffer === "undefined") return "SharedArrayBuffer is not available (browsers need cross-origin isolation)";
  if ((options.saveat?.steps ?? 0) > 0 && (options.output === undefined || options.output.keepSaved === true)) {
    return "`SaveAt({ steps })` saves a different number of rows per trajectory, which the worker threads do not collect";
  }
  const described = describeProblem(options, terms, mod);
  if (!described.ok) return described.reason;
  return { descriptor: described.descriptor, key: descriptorKey(described.descriptor) };
}

async function tryThreads<R>(
  p: PreparedEnsemble,
  options: EnsembleOptions,
  travel: Travel,
  requested: number,
  source: string | null,
): Promise<EnsembleSolution<R> | string> {
  const chunk = options.chunkSize ?? 0;
  const given = options.workers;
  if (given === undefined && source === null) {
    return "the CommonJS build cannot locate odeflow's worker script (pass `libraryUrl`, or import odeflow as an ES module)";
  }
  const shape = shapeOf(p, saveWidth(p));
  const storage = allocate(p, shape, true);
  const progress = options.progressMeter ?? null;
  if (progress !== null) progress.start(0, p.N);
  let details: Map<number, string>;
  let threads: number;
  if (given !== undefined) {
    threads = given.length;
    details = await runOnWorkers(p, travel, storage, given, chunk);
  } else {
    threads = Math.min(requested, p.N);
    const outcome = await runThreads(p, travel, storage, threads, chunk, source!);
    if (typeof outcome === "string") return outcome;
    details = outcome.details;
    if (outcome.failure !== null) {
      // The calling thread solved everything while the workers failed to start: say so.
      if (progress !== null) progress.finish(p.N);
      const notice = `threads: ${String(options.threads)} was asked for, but ${outcome.failure}; the ensemble ran in the calling thread.`;
      warnOnce(outcome.failure.slice(0, 40), notice);
      return finish<R>(p, storage, shape, details, "serial", 1, notice);
    }
  }
  if (progress !== null) progress.finish(p.N);
  return finish<R>(p, storage, shape, details, "threads", threads, null);
}

/**
 * The WebGPU backend (src/ensemble/webgpu/). Imported statically: a literal `import()` here makes
 * esbuild (without code splitting) wrap every core module it reaches in a lazy initialiser, ~600
 * bytes gzipped in every bundle, diffeqsolve alone included; a bundle that never calls
 * solveEnsemble still leaves the backend out.
 */
async function webgpu<R>(p: PreparedEnsemble, options: EnsembleOptions): Promise<EnsembleSolution<R>> {
  const progress = options.progressMeter;
  if (progress !== undefined) progress.start(0, p.N);
  const out = await solveOnGPU(p, options.device, options.webgpu);
  const unused = [options.threads !== undefined && options.threads !== 1 ? "`threads`" : "", options.workers ? "`workers`" : "", options.lockstep ? "`lockstep`" : ""].filter(Boolean);
  const notices = [out.notice, unused.length > 0 ? `${unused.join(", ")} ${unused.length > 1 ? "were" : "was"} not used: the ensemble ran on the GPU.` : null].filter((x) => x !== null);
  const notice = notices.length > 0 ? notices.join(" ") : null;
  if (out.notice !== null) warnOnce("webgpu-precision", out.notice);
  if (progress !== undefined) progress.finish(p.N);
  return finish<R>(p, out.storage, out.shape, out.details, "webgpu", 1, notice, out.moments);
}

function lockstep<R>(p: PreparedEnsemble, options: EnsembleOptions): EnsembleSolution<R> {
  const shape = shapeOf(p, p.n);
  const storage = allocate(p, shape, false);
  const details = new Map<number, string>();
  runLockstep(p, options.lockstep!, storage, details);
  const th = options.threads;
  const notice =
    (th !== undefined && th !== 1) || options.workers !== undefined
      ? "lockstep batches run in the calling thread; `threads`/`workers` were not used."
      : null;
  return finish<R>(p, storage, shape, details, "lockstep", 1, notice);
}

/**
 * `solveEnsemble` in the calling thread, synchronously (serial or lockstep; `threads` and
 * `module`-only vector fields need the asynchronous `solveEnsemble`).
 *
 * @example
 * ```ts
 * const sol = solveEnsembleSync({ terms, solver: new Tsit5(), t0: 0, t1: 1, trajectories: 100, y0: (i) => [i] });
 * ```
 */
export function solveEnsembleSync<A = any, R = unknown>(options: EnsembleOptions<A, R>): EnsembleSolution<R> {
  checkEnsembleOptions(options);
  if (options.backend === "webgpu") {
    throw new TypeError('solveEnsembleSync: backend "webgpu" reads its results back asynchronously; use await solveEnsemble(options).');
  }
  if ((options.threads !== undefined && options.threads !== 1) || options.workers !== undefined) {
    throw new TypeError(`solveEnsembleSync: \`threads\` = ${String(options.threads)}${options.workers ? " (with `workers`)" : ""}; worker threads need the asynchronous solveEnsemble (await solveEnsemble(options)).`);
  }
  const p = prepareEnsemble(options, ensembleTerms(options, undefined));
  if (options.lockstep !== undefined) return lockstep<R>(p, options);
  return runSerial<R>(p, null);
}
