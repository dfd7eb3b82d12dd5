/**
 * The worker side: a BullMQ worker whose jobs are ranges of ensembles. Each job is solved in
 * this thread by `solveEnsembleRange`, in slices that leave the event loop a turn every
 * `sliceMs`, so that BullMQ renews the job's lock while it runs (a job whose lock lapses is taken
 * for stalled and given to another worker). One worker process per core uses a machine.
 */
import { type ConnectionOptions, UnrecoverableError, Worker } from "bullmq";
import { solveEnsembleRange } from "../index.js";
import { DEFAULT_QUEUE, decodeJob, encodePart, isProblemError, type JobData } from "./jobs.js";

/** Options of {@link startEnsembleWorker}. */
export interface EnsembleWorkerOptions {
  /** Redis connection (BullMQ's `connection`: `{ host, port }`, a URL in `{ url }`, or an ioredis instance). */
  connection: ConnectionOptions;
  /** Jobs held at once (one computes while another's result is sent). @defaultValue 1 */
  concurrency?: number;
  /** Queue name. @defaultValue "odeflow-ensemble" */
  queue?: string;
  /** BullMQ key prefix. @defaultValue "bull" */
  prefix?: string;
  /** How often a running job lets the event loop turn (ms). @defaultValue 100 */
  sliceMs?: number;
  /** BullMQ lock duration (ms): a job whose worker stops renewing it for this long is taken back. @defaultValue 30000 */
  lockDuration?: number;
  /** How often this worker looks for stalled jobs (ms). @defaultValue 30000 */
  stalledInterval?: number;
  /** Times a job may be taken back from stopped workers before it fails. @defaultValue 3 */
  maxStalledCount?: number;
  /** Hears each finished job: its range, and how long it took. */
  onJob?: (info: { run: string; start: number; end: number; ms: number }) => void;
  /** Hears connection trouble and failed jobs (the worker carries on: it reconnects by itself). */
  onError?: (error: Error) => void;
}

/** A running ensemble worker. */
export interface EnsembleWorkerHandle {
  /** The BullMQ worker (for its events). */
  readonly worker: Worker;
  /** Finishes the jobs in hand and disconnects. */
  close(): Promise<void>;
}

/**
 * Starts a worker that solves ensemble jobs from the queue, until closed. Run it on any number of
 * machines (`odeflow worker --redis redis://host:6379` does this from the command line); each job
 * is a range of trajectories, and results go back through Redis to `distributeEnsemble`.
 *
 * @example
 * ```ts
 * import { startEnsembleWorker } from "odeflow/distributed";
 * const w = await startEnsembleWorker({ connection: { host: "10.0.0.5", port: 6379 } });
 * process.on("SIGTERM", () => void w.close());
 * ```
 */
export async function startEnsembleWorker(options: EnsembleWorkerOptions): Promise<EnsembleWorkerHandle> {
  if (options === null || typeof options !== "object" || options.connection === undefined) {
    throw new TypeError("startEnsembleWorker(options): give `connection`, the Redis connection, for example { connection: { host: \"127.0.0.1\", port: 6379 } }.");
  }
  const concurrency = options.concurrency ?? 1;
  if (!(Number.isInteger(concurrency) && concurrency >= 1)) {
    throw new RangeError(`startEnsembleWorker: \`concurrency\` = ${String(concurrency)} must be a whole number ≥ 1.`);
  }
  const sliceMs = options.sliceMs ?? 100;
  const worker = new Worker<JobData, unknown>(
    options.queue ?? DEFAULT_QUEUE,
    async (job) => {
      const t = performance.now();
      const { problem, inputs } = decodeJob(job.data);
      let part;
      try {
        part = await solveEnsembleRange(problem, inputs, { sliceMs });
      } catch (e) {
        // The vector field threw: the same would happen anywhere, so the job fails without retries.
        if (isProblemError(e)) throw new UnrecoverableError((e as Error).message);
        throw e;
      }
      options.onJob?.({ run: job.data.run, start: inputs.start, end: inputs.end, ms: performance.now() - t });
      return encodePart(part);
    },
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency,
      lockDuration: options.lockDuration ?? 30_000,
      stalledInterval: options.stalledInterval ?? 30_000,
      maxStalledCount: options.maxStalledCount ?? 3,
      autorun: true,
    },
  );
  // BullMQ reports connection trouble here (without a listener Node would throw it); the worker
  // reconnects by itself, so a restarted Redis is picked up again.
  worker.on("error", (e) => options.onError?.(e));
  worker.on("failed", (job, e) => options.onError?.(new Error(`job ${job?.id ?? "?"} failed: ${e.message}`)));
  await worker.waitUntilReady();
  return { worker, close: () => worker.close() };
}
