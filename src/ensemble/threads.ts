/**
 * The worker-thread runner (Node): a persistent pool of `worker_threads` workers, started on
 * first use (or early, by {@link startEnsembleWorkers}), kept between ensembles, unreferenced
 * while idle so they never keep the process alive, and closed by {@link shutdownEnsembleWorkers}.
 *
 * `threads: T` shares an ensemble between the calling thread and T − 1 pooled workers: the job
 * is posted to the workers (still starting or not) and the calling thread starts solving at once;
 * a worker joins as soon as it is up (see schedule.ts for how work is shared). So the startup of
 * a worker (about 35 ms for Node to boot a thread on a 2-core machine, 4 ms to load the worker
 * script) delays only that worker's share, never the ensemble.
 *
 * Workers load dist/ensemble-worker.cjs, a CommonJS script with the ensemble runner and the
 * solvers only: loading it costs a tenth of importing the whole library as an ES module (whose
 * loader alone takes several milliseconds to start in a fresh thread). Outputs live in
 * `SharedArrayBuffer`s, so no result is copied back. Node's built-ins are reached only through
 * dynamic imports here, so the core stays importable in browsers.
 */
import type { EnsembleWorkerLike, PreparedEnsemble } from "./options.js";
import { packArgs } from "./packed-args.js";
import { createCounter, runShare, stopCounter } from "./schedule.js";
import { createSerialWorkspace } from "./serial.js";
import type { EnsembleStorage } from "./solution.js";
import type { ProblemDescriptor } from "./transfer.js";
import type { EnsembleJob, EnsembleReply } from "./worker.js";

interface NodeWorker {
  postMessage(message: unknown): void;
  on(event: "message" | "error" | "exit", listener: (value: any) => void): void;
  ref(): void;
  unref(): void;
  terminate(): Promise<number>;
}

interface WorkerThreads {
  Worker: new (file: string | URL, options: object) => NodeWorker;
  SHARE_ENV: symbol;
}

/** A pooled worker and what the calling thread knows of it. */
interface PoolWorker {
  readonly thread: NodeWorker;
  state: "starting" | "ready" | "gone";
  /** Jobs in flight that hold a reference on the thread (it keeps the process alive meanwhile). */
  refs: number;
  /** Settles when the worker is ready or gone. */
  readonly up: Promise<void>;
}

interface Pool {
  /** What the workers load: the worker script, or odeflow's ES module (`libraryUrl`). */
  readonly source: string;
  readonly workers: PoolWorker[];
  /** Why workers failed to start, if some did. */
  failure: string | null;
}

let pool: Pool | null = null;
let nextJobId = 1;
/** Replies of jobs in flight, by job id. */
const listeners = new Map<number, (from: PoolWorker | null, reply: EnsembleReply) => void>();
/** Called when a ready pooled worker dies: the jobs in flight may have lost its chunk. */
const onWorkerLost = new Set<(reason: string) => void>();

const builtins = new Map<string, unknown>();

/** Loads a Node built-in by a computed specifier, so that bundlers for browsers leave it alone. */
async function nodeBuiltin<T>(name: string): Promise<T | null> {
  if (builtins.has(name)) return builtins.get(name) as T | null;
  const g = globalThis as { process?: { versions?: { node?: string } } };
  let mod: T | null = null;
  if (g.process?.versions?.node !== undefined) {
    const spec = "node:" + name;
    try {
      mod = (await import(/* @vite-ignore */ spec)) as T;
    } catch {
      mod = null;
    }
  }
  builtins.set(name, mod);
  return mod;
}

/** Number of cores, for `threads: "auto"`. */
export async function availableCores(): Promise<number> {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  const os = await nodeBuiltin<{ availableParallelism?: () => number; cpus(): unknown[] }>("os");
  if (os !== null) return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  return Math.max(1, nav?.hardwareConcurrency ?? 1);
}

/**
 * URL of the worker script, dist/ensemble-worker.cjs, found from where this code runs: the ESM
 * bundle dist/index.js, the CommonJS bundle dist/index.cjs, the module build
 * dist/esm/ensemble/threads.js, or the TypeScript source src/ensemble/threads.ts.
 */
export function defaultWorkerScript(): string | null {
  let here: string | undefined;
  try {
    here = import.meta.url;
  } catch {
    here = undefined;
  }
  if (typeof here !== "string" || here === "") {
    // The CommonJS build, where import.meta is empty and __filename is dist/index.cjs.
    const file = typeof __filename === "string" ? __filename : undefined;
    if (typeof file !== "string") return null;
    here = "file://" + (file.startsWith("/") ? "" : "/") + file.replace(/\\/g, "/");
  }
  if (/\/src\/ensemble\/threads\.[cm]?[jt]s$/.test(here)) return new URL("../../dist/ensemble-worker.cjs", here).href;
  if (/\/esm\/ensemble\/threads\.js$/.test(here)) return new URL("../../ensemble-worker.cjs", here).href;
  return new URL("./ensemble-worker.cjs", here).href;
}

/** Bootstrap of a worker that imports odeflow's ES module from `libraryUrl` (the older way). */
const LIBRARY_BOOTSTRAP = [
  'const { parentPort, workerData } = require("node:worker_threads");',
  "import(workerData.source).then((lib) => {",
  "  lib.runEnsembleWorker(parentPort);",
  '  parentPort.postMessage({ type: "ready" });',
  "}, (e) => { throw e; });",
].join("\n");

function spawn(wt: WorkerThreads, p: Pool): PoolWorker {
  const isScript = p.source.endsWith(".cjs");
  const thread = isScript
    ? new wt.Worker(new URL(p.source), { env: wt.SHARE_ENV, execArgv: [] })
    : new wt.Worker(LIBRARY_BOOTSTRAP, { eval: true, workerData: { source: p.source }, env: wt.SHARE_ENV, execArgv: [] });
  let settled = (): void => undefined;
  const pw: PoolWorker = { thread, state: "starting", refs: 0, up: new Promise<void>((r) => (settled = r)) };
  thread.unref(); // idle workers never keep the process alive
  thread.on("message", (m: { type?: string; id?: number }) => {
    if (m?.type === "ready") {
      pw.state = "ready";
      settled();
    } else if (typeof m?.id === "number") listeners.get(m.id)?.(pw, m as EnsembleReply);
  });
  const gone = (why: string): void => {
    const was = pw.state;
    if (was === "gone") return;
    pw.state = "gone";
    settled();
    const i = p.workers.indexOf(pw);
    if (i >= 0) p.workers.splice(i, 1);
    if (was === "starting") {
      p.failure ??= `the worker threads could not start (${why}); build odeflow (npm run build) or pass libraryUrl`;
    } else {
      for (const f of onWorkerLost) f(`a worker thread stopped during the ensemble (${why})`);
    }
  };
  // An 'error' without a listener would throw in the calling thread.
  thread.on("error", (e: Error) => gone(e?.message ?? String(e)));
  thread.on("exit", (code: number) => gone(`exit code ${code}`));
  return pw;
}

/** The pool with at least `count` workers (started now if needed; they need not be ready). */
async function ensurePool(count: number, source: string): Promise<Pool | string> {
  const wt = await nodeBuiltin<WorkerThreads>("worker_threads");
  if (wt === null) {
    return "worker threads are not available here (in browsers, run Web Workers with runEnsembleWorker; see the ensemble docs)";
  }
  if (pool !== null && pool.source !== source) await shutdownEnsembleWorkers();
  if (pool === null) pool = { source, workers: [], failure: null };
  const p = pool;
  // Workers that could not start once will not start the next time either (shutdown resets).
  if (p.failure !== null) return p.failure;
  while (p.workers.length < count) p.workers.push(spawn(wt, p));
  return p;
}

/**
 * Starts the pool of ensemble worker threads now, so that a later `solveEnsemble` with
 * `threads: T` finds its T − 1 workers up (the pool otherwise starts on the first threaded
 * ensemble, which then runs on the calling thread until the workers join). Resolves once the
 * workers are ready, with their number.
 *
 * @example
 * ```ts
 * const starting = startEnsembleWorkers("auto");   // at program start, in parallel with the rest
 * // … load data, build the model …
 * await starting;
 * const sol = await solveEnsemble({ ...options, threads: "auto" });
 * ```
 */
export async function startEnsembleWorkers(threads: number | "auto" = "auto", libraryUrl?: string): Promise<number> {
  const T = threads === "auto" ? await availableCores() : threads;
  if (!(Number.isInteger(T) && T >= 1)) {
    throw new RangeError(`startEnsembleWorkers(threads): threads = ${String(threads)} must be "auto" or a whole number ≥ 1 (the calling thread counts as one).`);
  }
  const source = libraryUrl ?? defaultWorkerScript();
  if (source === null) throw new Error("startEnsembleWorkers: cannot locate odeflow's worker script from a CommonJS bundle; pass libraryUrl.");
  const p = await ensurePool(T - 1, source);
  if (typeof p === "string") throw new Error(`startEnsembleWorkers: ${p}.`);
  await Promise.all(p.workers.map((w) => w.up));
  if (p.failure !== null) throw new Error(`startEnsembleWorkers: ${p.failure}.`);
  return p.workers.length;
}

/**
 * Closes the pool of ensemble worker threads (the dispose of the pool). Idle workers are
 * unreferenced, so this is optional; a later threaded ensemble starts a new pool.
 *
 * @example
 * ```ts
 * await shutdownEnsembleWorkers();
 * ```
 */
export async function shutdownEnsembleWorkers(): Promise<void> {
  const p = pool;
  pool = null;
  if (p !== null) await Promise.all(p.workers.map((w) => w.thread.terminate()));
}

/**
 * Starts the pool's missing workers for `threads` now (they boot in the background; a failure
 * surfaces when the job runs). Resolves as soon as they are spawned, before they are up.
 */
export async function prestartPool(threads: number, source: string): Promise<void> {
  await ensurePool(threads - 1, source);
}

/** What a threaded run gives back. */
export interface ThreadsOutcome {
  readonly details: Map<number, string>;
  /** Trajectories the workers solved (the calling thread solved the rest). */
  readonly byWorkers: number;
  /** Why the pool's workers could not start, when none could (the calling thread then solved all). */
  readonly failure: string | null;
}

/** The job message for one ensemble. */
function makeJob(p: PreparedEnsemble, problem: { descriptor: ProblemDescriptor; key: string }, storage: EnsembleStorage, threads: number, chunk: number): EnsembleJob {
  const y0s = new Float64Array(new SharedArrayBuffer(8 * p.y0s.length));
  y0s.set(p.y0s);
  const args = packArgs(p.args, !p.argsPerTrajectory);
  return { type: "job", id: nextJobId++, key: problem.key, descriptor: problem.descriptor, N: p.N, n: p.n, y0s, args, storage, counter: createCounter(), threads, chunk };
}

/** Collects the replies of one job until its N trajectories are solved in all. */
function collect(job: EnsembleJob, alreadySolved: () => number, details: Map<number, string>) {
  const replies = { solved: 0 };
  let solved = 0;
  let settle: { resolve: () => void; reject: (e: Error) => void } | null = null;
  let failure: Error | null = null;
  const check = (): void => {
    if (settle === null) return;
    if (failure !== null) settle.reject(failure);
    else if (solved + alreadySolved() >= job.N) settle.resolve();
  };
  const onReply = (_from: PoolWorker | null, m: EnsembleReply): void => {
    if (m.type === "done") {
      solved += m.solved;
      replies.solved = solved;
      for (const [i, d] of m.failures) details.set(i, d);
    } else failure ??= new Error(m.message);
    check();
  };
  const fail = (e: Error): void => {
    failure ??= e;
    stopCounter(job.counter, job.N);
    check();
  };
  const done = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });
  return { replies, onReply, fail, wait: (): Promise<void> => (check(), done) };
}

/**
 * Runs the prepared ensemble on the calling thread and `threads − 1` pooled Node workers into
 * shared `storage`. Resolves with the failures' details, or a string saying why threads could not
 * be used (then nothing ran).
 */
export async function runThreads(
  p: PreparedEnsemble,
  problem: { descriptor: ProblemDescriptor; key: string },
  storage: EnsembleStorage,
  threads: number,
  chunk: number,
  source: string,
): Promise<ThreadsOutcome | string> {
  const got = await ensurePool(threads - 1, source);
  if (typeof got === "string") return got;
  const workers = got.workers.slice(0, threads - 1);
  const details = new Map<number, string>();
  const job = makeJob(p, problem, storage, workers.length + 1, chunk);
  let mine = 0;
  const c = collect(job, () => mine, details);
  listeners.set(job.id, c.onReply);
  const lost = (reason: string): void => c.fail(new Error(`solveEnsemble: ${reason}.`));
  onWorkerLost.add(lost);
  for (const w of workers) {
    if (w.refs++ === 0) w.thread.ref(); // a busy worker keeps the process alive until it answers
    w.thread.postMessage(job);
  }
  try {
    const progress = p.options.progressMeter ?? null;
    mine = runShare({
      p,
      storage,
      sw: createSerialWorkspace(p),
      counter: job.counter,
      threads: job.threads,
      chunk,
      onFailure: (i, d) => void details.set(i, d),
      afterChunk: progress === null ? undefined : (claimed) => progress.update(claimed),
    });
    await c.wait();
  } catch (e) {
    stopCounter(job.counter, job.N);
    if (e instanceof Error && /worker thread stopped/.test(e.message)) await shutdownEnsembleWorkers(); // start afresh next time
    throw e;
  } finally {
    listeners.delete(job.id);
    onWorkerLost.delete(lost);
    for (const w of workers) if (--w.refs === 0 && w.state !== "gone") w.thread.unref();
  }
  const none = got.failure !== null && workers.every((w) => w.state === "gone");
  return { details, byWorkers: c.replies.solved, failure: none ? got.failure : null };
}

/** Listens to a caller-made worker (DOM style); returns the unsubscribe. */
function listen(w: EnsembleWorkerLike, onMessage: (m: unknown) => void, onError: (e: Error) => void): () => void {
  const m = (e: { data: unknown }): void => onMessage(e.data);
  const err = (e: { message?: string; error?: unknown }): void =>
    onError(e.error instanceof Error ? e.error : new Error(`solveEnsemble: a worker failed: ${e.message ?? "unknown error"}`));
  w.addEventListener("message", m);
  w.addEventListener("error", err);
  if (typeof w.start === "function") w.start();
  return () => {
    w.removeEventListener("message", m);
    w.removeEventListener("error", err);
  };
}

/**
 * Runs the prepared ensemble on workers the caller made (Web Workers in browsers). The calling
 * thread only waits (a page's main thread stays responsive).
 */
export async function runOnWorkers(
  p: PreparedEnsemble,
  problem: { descriptor: ProblemDescriptor; key: string },
  storage: EnsembleStorage,
  workers: readonly EnsembleWorkerLike[],
  chunk: number,
): Promise<Map<number, string>> {
  const details = new Map<number, string>();
  const job = makeJob(p, problem, storage, workers.length, chunk);
  const c = collect(job, () => 0, details);
  const stops = workers.map((w) =>
    listen(
      w,
      (data) => {
        const m = data as EnsembleReply;
        if (m !== null && typeof m === "object" && m.id === job.id) c.onReply(null, m);
      },
      c.fail,
    ),
  );
  try {
    for (const w of workers) w.postMessage(job);
    await c.wait();
  } finally {
    for (const stop of stops) stop();
  }
  return details;
}
