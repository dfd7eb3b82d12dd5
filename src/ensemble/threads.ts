/**
 * The worker-thread runner (Node): a small pool of `worker_threads` workers, kept between
 * ensembles (unreferenced while idle, so they never keep the process alive), each of which imports
 * odeflow's built module and answers jobs with {@link runEnsembleWorker}. Outputs live in
 * `SharedArrayBuffer`s, so no result is copied back. Node's built-ins are reached only through
 * dynamic imports here, so the core stays importable in browsers.
 */
import type { PreparedEnsemble } from "./options.js";
import { packArgs } from "./packed-args.js";
import type { EnsembleStorage } from "./solution.js";
import type { ProblemDescriptor } from "./transfer.js";
import type { EnsembleJob, EnsembleReply } from "./worker.js";

interface NodeWorker {
  postMessage(message: unknown): void;
  on(event: "message" | "error" | "exit", listener: (value: any) => void): void;
  off(event: "message" | "error" | "exit", listener: (value: any) => void): void;
  ref(): void;
  unref(): void;
  terminate(): Promise<number>;
}

interface Pool {
  readonly libraryUrl: string;
  readonly workers: NodeWorker[];
}

let pool: Pool | null = null;
let nextJobId = 1;

/** Loads a Node built-in by a computed specifier, so that bundlers for browsers leave it alone. */
async function nodeBuiltin<T>(name: string): Promise<T | null> {
  const g = globalThis as { process?: { versions?: { node?: string } } };
  if (g.process?.versions?.node === undefined) return null;
  const spec = "node:" + name;
  try {
    return (await import(/* @vite-ignore */ spec)) as T;
  } catch {
    return null;
  }
}

/** Number of cores, for `threads: "auto"`. */
export async function availableCores(): Promise<number> {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  const os = await nodeBuiltin<{ availableParallelism?: () => number; cpus(): unknown[] }>("os");
  if (os !== null) return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  return Math.max(1, nav?.hardwareConcurrency ?? 1);
}

/**
 * URL of odeflow's built ESM module, which workers import: this file itself when bundled
 * (dist/index.js), dist/index.js of the package when running from the TypeScript sources.
 */
export function defaultLibraryUrl(): string | null {
  let here: string | undefined;
  try {
    here = import.meta.url;
  } catch {
    here = undefined;
  }
  // The CommonJS build: workers need the ES module build (pass libraryUrl, or import odeflow as ESM).
  if (typeof here !== "string" || here === "" || here.endsWith(".cjs")) return null;
  if (/\/src\/ensemble\/threads\.[cm]?[jt]s$/.test(here)) return new URL("../../dist/index.js", here).href;
  return here;
}

const BOOTSTRAP = [
  'import { parentPort, workerData } from "node:worker_threads";',
  "const lib = await import(workerData.libraryUrl);",
  "lib.runEnsembleWorker(parentPort, lib);",
  'parentPort.postMessage({ type: "ready" });',
].join("\n");

async function getPool(threads: number, libraryUrl: string): Promise<Pool | string> {
  const wt = await nodeBuiltin<{ Worker: new (url: URL, options: object) => NodeWorker }>("worker_threads");
  if (wt === null) {
    return "worker threads are not available here (in browsers, run Web Workers with runEnsembleWorker; see the ensemble docs)";
  }
  if (pool !== null && pool.libraryUrl !== libraryUrl) {
    await shutdownEnsembleWorkers();
  }
  if (pool === null) pool = { libraryUrl, workers: [] };
  const p = pool;
  const starting: Promise<void>[] = [];
  while (p.workers.length < threads) {
    const w = new wt.Worker(new URL("data:text/javascript," + encodeURIComponent(BOOTSTRAP)), {
      workerData: { libraryUrl },
      execArgv: [],
    });
    p.workers.push(w);
    // An idle worker that fails retires the pool (an 'error' without a listener would throw here).
    w.on("error", () => {
      if (pool === p) pool = null;
    });
    starting.push(
      new Promise<void>((resolve, reject) => {
        const onMessage = (m: { type?: string }): void => {
          if (m?.type === "ready") {
            w.off("message", onMessage);
            w.off("error", onError);
            w.unref(); // idle workers never keep the process alive
            resolve();
          }
        };
        const onError = (e: Error): void => {
          w.off("message", onMessage);
          reject(e);
        };
        w.on("message", onMessage);
        w.on("error", onError);
      }),
    );
  }
  try {
    await Promise.all(starting);
  } catch (e) {
    await shutdownEnsembleWorkers();
    return `the worker threads could not load odeflow from ${libraryUrl} (${e instanceof Error ? e.message : String(e)}); build it (npm run build) or pass libraryUrl`;
  }
  return p;
}

/**
 * Terminates the pool of ensemble worker threads (they are idle and unreferenced between
 * ensembles, so this is optional; a later threaded ensemble starts a new pool).
 *
 * @example
 * ```ts
 * await shutdownEnsembleWorkers();
 * ```
 */
export async function shutdownEnsembleWorkers(): Promise<void> {
  const p = pool;
  pool = null;
  if (p !== null) await Promise.all(p.workers.map((w) => w.terminate()));
}

/**
 * A worker the caller made (a browser `Worker` running `runEnsembleWorker(self, odeflow)`, or any
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

/** Listens to one worker, Node style (`on`/`off`) or DOM style (`addEventListener`); returns the unsubscribe. */
function listen(w: NodeWorker | EnsembleWorkerLike, onMessage: (m: unknown) => void, onError: (e: Error) => void): () => void {
  if ("on" in w) {
    const onExit = (code: number): void => onError(new Error(`solveEnsemble: a worker thread exited (code ${code}) before finishing.`));
    w.on("message", onMessage);
    w.on("error", onError);
    w.on("exit", onExit);
    return () => {
      w.off("message", onMessage);
      w.off("error", onError);
      w.off("exit", onExit);
    };
  }
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

/** Posts the job to every worker and collects the failures' details. */
async function runJob(p: PreparedEnsemble, descriptor: ProblemDescriptor, storage: EnsembleStorage, workers: readonly (NodeWorker | EnsembleWorkerLike)[], chunk: number): Promise<Map<number, string>> {
  const y0s = new Float64Array(new SharedArrayBuffer(8 * p.y0s.length));
  y0s.set(p.y0s);
  const counter = new Int32Array(new SharedArrayBuffer(4));
  const id = nextJobId++;
  const args = packArgs(p.args, !p.argsPerTrajectory);
  const job: EnsembleJob = { type: "job", id, descriptor, N: p.N, n: p.n, y0s, args, storage, counter, chunk };
  const details = new Map<number, string>();
  const replies = workers.map(
    (w) =>
      new Promise<void>((resolve, reject) => {
        const stop = listen(
          w,
          (data) => {
            const m = data as EnsembleReply;
            if (m === null || typeof m !== "object" || m.id !== id) return;
            stop();
            if (m.type === "done") {
              for (const [i, d] of m.failures) details.set(i, d);
              resolve();
            } else reject(new Error(m.message));
          },
          (e) => {
            stop();
            reject(e);
          },
        );
        w.postMessage(job);
      }),
  );
  const settled = await Promise.allSettled(replies);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failed !== undefined) throw failed.reason;
  return details;
}

/**
 * Runs the prepared ensemble on `threads` pooled Node workers into shared `storage`. Resolves
 * with the failures' details, or a string saying why threads could not be used (then nothing ran).
 */
export async function runThreads(
  p: PreparedEnsemble,
  descriptor: ProblemDescriptor,
  storage: EnsembleStorage,
  threads: number,
  chunk: number,
  libraryUrl: string,
): Promise<Map<number, string> | string> {
  const got = await getPool(threads, libraryUrl);
  if (typeof got === "string") return got;
  const workers = got.workers.slice(0, threads);
  for (const w of workers) w.ref(); // a busy worker keeps the process alive until it answers
  try {
    return await runJob(p, descriptor, storage, workers, chunk);
  } catch (e) {
    // A worker that failed leaves the pool in an unknown state: start afresh next time.
    await shutdownEnsembleWorkers();
    throw e;
  } finally {
    for (const w of workers) w.unref();
  }
}

/** Runs the prepared ensemble on workers the caller made (Web Workers in browsers). */
export function runOnWorkers(
  p: PreparedEnsemble,
  descriptor: ProblemDescriptor,
  storage: EnsembleStorage,
  workers: readonly EnsembleWorkerLike[],
  chunk: number,
): Promise<Map<number, string>> {
  return runJob(p, descriptor, storage, workers, chunk);
}
