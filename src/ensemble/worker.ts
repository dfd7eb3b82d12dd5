/**
 * The worker side of threaded ensembles: one message protocol for Node's `worker_threads` and
 * browsers' Web Workers. A worker rebuilds the problem from its {@link ProblemDescriptor}, then
 * claims chunks of trajectories from a shared counter (`Atomics.add`), so fast trajectories never
 * wait for slow ones, and writes results straight into the shared output arrays.
 *
 * The protocol (structured-clone messages; typed arrays on `SharedArrayBuffer`s are shared, not
 * copied):
 * - calling thread → worker: {@link EnsembleJob} `{ type: "job", id, descriptor, N, n, y0s, args,
 *   storage, counter, chunk }`, the same job to every worker;
 * - worker → calling thread: `{ type: "done", id, failures: [[i, detail], …] }` when the counter
 *   has run past N, or `{ type: "error", id, message }` (the counter is then set to N so the other
 *   workers stop at their next chunk);
 * - Node's pooled workers also post `{ type: "ready" }` once they have imported odeflow.
 *
 * In browsers the same protocol runs over module Web Workers made by the caller and passed as
 * `workers` (their script: `import * as odeflow from "odeflow"; odeflow.runEnsembleWorker(self,
 * odeflow);`); the page must be cross-origin isolated for `SharedArrayBuffer`. That path is
 * exercised in the tests over `MessagePort`s, not in a browser.
 */
import { prepareTrusted } from "./options.js";
import { type PackedArgs, unpackArgs } from "./packed-args.js";
import { createSerialWorkspace, runTrajectories } from "./serial.js";
import type { EnsembleStorage } from "./solution.js";
import { type ProblemDescriptor, rebuildOptions } from "./transfer.js";

/** A job, posted by the calling thread. */
export interface EnsembleJob {
  readonly type: "job";
  readonly id: number;
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
  readonly chunk: number;
}

/** A worker's reply. */
export type EnsembleReply =
  | { readonly type: "done"; readonly id: number; readonly failures: [number, string][] }
  | { readonly type: "error"; readonly id: number; readonly message: string };

/**
 * The part of a Node `MessagePort`/`parentPort` or a Web Worker's `self` the protocol uses.
 *
 * @example
 * ```ts
 * runEnsembleWorker(self as WorkerPort, odeflow);
 * ```
 */
export type WorkerPort =
  | { on(event: "message", listener: (data: unknown) => void): unknown; postMessage(message: unknown): void }
  | { addEventListener(event: "message", listener: (e: { data: unknown }) => void): void; postMessage(message: unknown): void };

/**
 * Entry point of an ensemble worker: answers jobs posted by `solveEnsemble`. Node's worker
 * threads call it for you; in a browser, a Web Worker module runs
 * `import * as odeflow from "odeflow"; odeflow.runEnsembleWorker(self, odeflow);`. `lib` is
 * odeflow's module namespace, from which the worker rebuilds solvers and controllers by name.
 *
 * @example
 * ```ts
 * // worker.js (a module worker)
 * import * as odeflow from "odeflow";
 * odeflow.runEnsembleWorker(self, odeflow);
 * ```
 */
export function runEnsembleWorker(port: WorkerPort, lib: Record<string, unknown>): void {
  const cache = new Map<string, Record<string, unknown>>();
  const handle = (data: unknown): void => {
    const job = data as EnsembleJob;
    if (job === null || typeof job !== "object" || job.type !== "job") return;
    runJob(job, lib, cache).then(
      (failures) => port.postMessage({ type: "done", id: job.id, failures } satisfies EnsembleReply),
      (e: unknown) =>
        port.postMessage({ type: "error", id: job.id, message: e instanceof Error ? e.message : String(e) } satisfies EnsembleReply),
    );
  };
  if ("on" in port) port.on("message", handle);
  else {
    port.addEventListener("message", (e) => handle(e.data));
    const start = (port as { start?: () => void }).start;
    if (typeof start === "function") start.call(port); // a MessagePort delivers only once started
  }
}

async function runJob(job: EnsembleJob, lib: Record<string, unknown>, cache: Map<string, Record<string, unknown>>): Promise<[number, string][]> {
  const options = await rebuildOptions(job.descriptor, lib, cache);
  const { N, n, y0s } = job;
  // The calling thread checked every y0 and args: validate the problem once and take the data as is.
  const p = prepareTrusted(options as never, options.terms as never, N, n, y0s, unpackArgs(job.args, N));
  const sw = createSerialWorkspace(p);
  const failures: [number, string][] = [];
  const onFailure = (i: number, detail: string): void => {
    failures.push([i, detail]);
  };
  const chunk = job.chunk;
  try {
    for (;;) {
      const start = Atomics.add(job.counter, 0, chunk);
      if (start >= N) break;
      runTrajectories(p, job.storage, sw, start, Math.min(N, start + chunk), onFailure);
    }
  } catch (e) {
    Atomics.store(job.counter, 0, N); // the others stop at their next chunk
    throw e;
  }
  return failures;
}
