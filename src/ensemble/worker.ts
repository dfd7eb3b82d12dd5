/**
 * The worker side of threaded ensembles: one message protocol for Node's `worker_threads` and
 * browsers' Web Workers. A worker rebuilds the problem from its {@link ProblemDescriptor} (once
 * per problem: the rebuilt solver, controller and vector field are kept for the next job of the
 * same problem, so their compiled code stays warm), then claims chunks of trajectories from the
 * shared counter (see schedule.ts) and writes results straight into the shared output arrays.
 *
 * The protocol (structured-clone messages; typed arrays on `SharedArrayBuffer`s are shared, not
 * copied):
 * - calling thread → worker: {@link EnsembleJob}, the same job to every worker;
 * - worker → calling thread, once per job it took part in: `{ type: "done", id, solved,
 *   failures: [[i, detail], …] }` (`solved`: trajectories it solved; a worker that came too late
 *   to claim any answers `solved: 0`), or `{ type: "error", id, message }` (the counter is then
 *   moved past N so the other threads stop at their next claim);
 * - Node's pooled workers also post `{ type: "ready" }` once they have loaded.
 *
 * In browsers the same protocol runs over module Web Workers made by the caller and passed as
 * `workers` (their script: `import { runEnsembleWorker } from "odeflow"; runEnsembleWorker(self);`);
 * the page must be cross-origin isolated for `SharedArrayBuffer`. That path is exercised in the
 * tests over `MessagePort`s, not in a browser.
 */
import { type EnsembleBaseOptions, prepareTrusted } from "./options.js";
import { type PackedArgs, unpackArgsInto } from "./packed-args.js";
import { runShare, stopCounter } from "./schedule.js";
import { createSerialWorkspace } from "./serial.js";
import type { EnsembleStorage } from "./solution.js";
import { type ProblemDescriptor, rebuildOptions } from "./transfer.js";

/** A job, posted by the calling thread. */
export interface EnsembleJob {
  readonly type: "job";
  readonly id: number;
  /** Identifies the problem (equal descriptors, equal keys): the worker reuses what it rebuilt. */
  readonly key: string;
  readonly descriptor: ProblemDescriptor;
  readonly N: number;
  readonly n: number;
  /** Initial states, N × n (shared memory). */
  readonly y0s: Float64Array;
  /** args of every trajectory, packed for the journey. */
  readonly args: PackedArgs;
  readonly storage: EnsembleStorage;
  /** Next unclaimed trajectory (shared memory, Int32Array of length 1). */
  readonly counter: Int32Array;
  /** Threads sharing the job, the calling thread included. */
  readonly threads: number;
  /** Fixed chunk size, or 0 for chunks sized by each thread's speed. */
  readonly chunk: number;
}

/** A worker's reply. */
export type EnsembleReply =
  | { readonly type: "done"; readonly id: number; readonly solved: number; readonly failures: [number, string][] }
  | { readonly type: "error"; readonly id: number; readonly message: string };

/**
 * The part of a Node `MessagePort`/`parentPort` or a Web Worker's `self` the protocol uses.
 *
 * @example
 * ```ts
 * runEnsembleWorker(self as WorkerPort);
 * ```
 */
export type WorkerPort =
  | { on(event: "message", listener: (data: unknown) => void): unknown; postMessage(message: unknown): void }
  | { addEventListener(event: "message", listener: (e: { data: unknown }) => void): void; postMessage(message: unknown): void };

/** Rebuilt problems kept by a worker, most recent last. */
const KEEP_PROBLEMS = 4;

/**
 * Entry point of an ensemble worker: answers jobs posted by `solveEnsemble`. Node's worker
 * threads call it for you; in a browser, a Web Worker module runs
 * `import { runEnsembleWorker } from "odeflow"; runEnsembleWorker(self);`. (A second argument,
 * odeflow's module namespace, was needed before the solver classes were looked up by the
 * ensemble code itself; it is accepted and ignored.)
 *
 * @example
 * ```ts
 * // worker.js (a module worker)
 * import { runEnsembleWorker } from "odeflow";
 * runEnsembleWorker(self);
 * ```
 */
export function runEnsembleWorker(port: WorkerPort, _lib?: unknown): void {
  const modules = new Map<string, Record<string, unknown>>();
  const problems = new Map<string, Promise<Record<string, unknown>>>();
  // Jobs run one after another, in the order they came.
  let queue: Promise<void> = Promise.resolve();
  const handle = (data: unknown): void => {
    const job = data as EnsembleJob;
    if (job === null || typeof job !== "object" || job.type !== "job") return;
    queue = queue.then(() =>
      runJob(job, problems, modules).then(
        (reply) => port.postMessage(reply),
        (e: unknown) => {
          stopCounter(job.counter, job.N); // the others stop at their next claim
          port.postMessage({ type: "error", id: job.id, message: e instanceof Error ? e.message : String(e) } satisfies EnsembleReply);
        },
      ),
    );
  };
  if ("on" in port) port.on("message", handle);
  else {
    port.addEventListener("message", (e) => handle(e.data));
    const start = (port as { start?: () => void }).start;
    if (typeof start === "function") start.call(port); // a MessagePort delivers only once started
  }
}

/** The rebuilt options of a problem, from the worker's cache (the newest {@link KEEP_PROBLEMS}). */
function problemOf(job: EnsembleJob, problems: Map<string, Promise<Record<string, unknown>>>, modules: Map<string, Record<string, unknown>>): Promise<Record<string, unknown>> {
  let got = problems.get(job.key);
  if (got !== undefined) problems.delete(job.key); // re-inserted below as the newest
  else got = rebuildOptions(job.descriptor, modules);
  problems.set(job.key, got);
  if (problems.size > KEEP_PROBLEMS) problems.delete(problems.keys().next().value!);
  got.catch(() => problems.delete(job.key));
  return got;
}

async function runJob(job: EnsembleJob, problems: Map<string, Promise<Record<string, unknown>>>, modules: Map<string, Record<string, unknown>>): Promise<EnsembleReply> {
  const { N, n, y0s } = job;
  // Too late to take part (the other threads claimed everything while this one was starting).
  if (Atomics.load(job.counter, 0) >= N) return { type: "done", id: job.id, solved: 0, failures: [] };
  const options = await problemOf(job, problems, modules);
  // args are unpacked per claimed chunk, trajectory 0's first (the problem is validated with it).
  const args: unknown[] = new Array(N);
  unpackArgsInto(job.args, args, 0, 1);
  // The calling thread checked every y0 and args: validate the problem once and take the data as is.
  const p = prepareTrusted(options as unknown as EnsembleBaseOptions, options.terms as never, N, n, y0s, args);
  const failures: [number, string][] = [];
  const solved = runShare({
    p,
    storage: job.storage,
    sw: createSerialWorkspace(p),
    counter: job.counter,
    threads: job.threads,
    chunk: job.chunk,
    onFailure: (i, detail) => void failures.push([i, detail]),
    beforeChunk: (start, end) => unpackArgsInto(job.args, args, start, end),
  });
  return { type: "done", id: job.id, solved, failures };
}
