/**
 * The client side: an ensemble split into jobs on a BullMQ queue, their results gathered as they
 * finish and merged into the `EnsembleSolution` that `solveEnsemble` would return.
 *
 * Nothing is lost and nothing is counted twice: results arrive through the queue's event stream
 * (and a periodic sweep of finished jobs, for events missed); a job whose worker died is retried
 * by BullMQ once its lock lapses (stalled-job handling); a job that comes back twice must carry
 * the same bits (`plan.accept` checks). If Redis restarts without its data, the run adds its
 * missing jobs again (every job carries its whole input). If Redis stays unreachable longer than
 * `unreachableMs`, the run rejects, saying so.
 */
import { type ConnectionOptions, Queue, QueueEvents } from "bullmq";
import { type EnsembleOptions, type EnsemblePlan, type EnsembleSolution, planEnsemble, solveEnsembleRange } from "../index.js";
import { DEFAULT_QUEUE, decodePart, encodeInputs, encodeProblem, jobId, type JobData, parseJobId } from "./jobs.js";

/**
 * What a job should last when `chunkSize` is "auto" (ms): long against the queue's own cost of
 * a job, a few milliseconds (bench/results/distributed.md), so that cost stays near 1%.
 */
export const TARGET_JOB_MS = 250;

/**
 * The chunk size for "auto": jobs of about {@link TARGET_JOB_MS} at the cost per trajectory
 * measured on a sample, but at least 16 jobs (so that workers share even a small ensemble).
 */
export function autoChunkSize(trajectories: number, msPerTrajectory: number): number {
  const byTime = msPerTrajectory > 0 ? Math.floor(TARGET_JOB_MS / msPerTrajectory) : trajectories;
  return Math.max(1, Math.min(byTime, Math.floor(trajectories / 16)));
}

/** Progress of a distributed ensemble. */
export interface DistributedProgress {
  /** Jobs finished (their results merged) and all jobs. */
  jobsDone: number;
  jobs: number;
  /** Trajectories merged and all trajectories. */
  trajectoriesDone: number;
  trajectories: number;
  /** Jobs taken back from workers that stopped (each is retried). */
  stalled: number;
  /** Jobs added again after Redis lost them (a restart without persistence). */
  readded: number;
}

/** How `distributeEnsemble` uses the queue. */
export interface DistributeOptions {
  /** Redis connection (BullMQ's `connection`: `{ host, port }`, `{ url }`, or an ioredis instance). */
  connection: ConnectionOptions;
  /**
   * Trajectories per job, or "auto": the client solves a few trajectories itself (they count),
   * and sizes jobs to last about 250 ms at that speed, with at least 16 jobs. @defaultValue "auto"
   */
  chunkSize?: number | "auto";
  /** Queue name (the workers' too). @defaultValue "odeflow-ensemble" */
  queue?: string;
  /** BullMQ key prefix. @defaultValue "bull" */
  prefix?: string;
  /** Hears progress after each merged job. */
  onProgress?: (progress: DistributedProgress) => void;
  /** Attempts of a job that fails for a reason other than its vector field (a worker that cannot load the model). @defaultValue 3 */
  attempts?: number;
  /** Reject when Redis has been unreachable this long (ms). @defaultValue 60000 */
  unreachableMs?: number;
  /** How often finished jobs are swept up besides the event stream, and Redis is checked (ms). @defaultValue 1000 */
  pollMs?: number;
  /**
   * Jobs in Redis at once: more are added as results come in, so Redis holds the inputs of at most
   * this many jobs (a 10⁸-trajectory sweep would otherwise put all its inputs there). @defaultValue 1000
   */
  maxQueuedJobs?: number;
}

function checkQueueOptions(q: DistributeOptions): void {
  if (q === null || typeof q !== "object" || q.connection === undefined) {
    throw new TypeError('distributeEnsemble(options, queue): give the queue\'s `connection`, for example { connection: { host: "127.0.0.1", port: 6379 } }.');
  }
  const c = q.chunkSize;
  if (c !== undefined && c !== "auto" && !(Number.isInteger(c) && c >= 1)) {
    throw new RangeError(`distributeEnsemble: \`chunkSize\` = ${String(c)} must be "auto" or a whole number ≥ 1.`);
  }
  for (const key of ["attempts", "maxQueuedJobs"] as const) {
    const v = q[key];
    if (v !== undefined && !(Number.isInteger(v) && v >= 1)) throw new RangeError(`distributeEnsemble: \`${key}\` = ${String(v)} must be a whole number ≥ 1.`);
  }
}

/** Redis client events the run listens to (an ioredis client). */
interface RedisEvents {
  on(event: "ready" | "close" | "reconnecting" | "end" | "error", listener: (...a: unknown[]) => void): unknown;
  off(event: "ready" | "close" | "reconnecting" | "end" | "error", listener: (...a: unknown[]) => void): unknown;
}

/** Resolves with `p`, or with undefined after `ms` (closing a connection to a dead Redis can wait forever). */
function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return Promise.race([p, new Promise<undefined>((r) => void (setTimeout(r, ms) as unknown as { unref?: () => void }).unref?.())]);
}

/** One distributed ensemble in flight. */
class Run<R> {
  readonly id = globalThis.crypto.randomUUID();
  /** First trajectory → end, for jobs not merged yet. */
  private readonly open = new Map<number, number>();
  /** First trajectories of the jobs in Redis now (added, not merged). */
  private readonly queued = new Set<number>();
  /** First trajectories of the jobs not added yet, in order (see `maxQueuedJobs`). */
  private readonly waiting: number[];
  private filling = false;
  private readonly jobs: number;
  private readonly progress: DistributedProgress;
  private downSince: number | null = Date.now(); // until the first "ready"
  private timer: ReturnType<typeof setInterval> | null = null;
  private settled = false;
  /** The last connection error, for the message when Redis stays unreachable. */
  lastError: Error | null = null;
  private resolve!: (s: EnsembleSolution<R>) => void;
  private reject!: (e: Error) => void;
  readonly done: Promise<EnsembleSolution<R>>;

  /** When the event stream last brought news (the sweep is its fallback). */
  private lastEvent = 0;

  /** Jobs of `chunk` trajectories for [first, N) (the client solved [0, first) itself). */
  constructor(
    private readonly plan: EnsemblePlan<R>,
    private readonly options: EnsembleOptions,
    private readonly q: DistributeOptions,
    private readonly queue: Queue<JobData>,
    private readonly events: QueueEvents,
    chunk: number,
    first: number,
  ) {
    for (let s = first; s < plan.trajectories; s += chunk) this.open.set(s, Math.min(plan.trajectories, s + chunk));
    this.jobs = this.open.size;
    this.waiting = [...this.open.keys()].reverse(); // popped from the end: in order
    this.progress = { jobsDone: 0, jobs: this.jobs, trajectoriesDone: first, trajectories: plan.trajectories, stalled: 0, readded: 0 };
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  private readonly problem = (): unknown => encodeProblem(this.plan.problem);

  /** Adds waiting jobs while fewer than `maxQueuedJobs` are in Redis (one filler at a time). */
  private async fill(): Promise<void> {
    if (this.filling) return;
    this.filling = true;
    try {
      const window = this.q.maxQueuedJobs ?? 1000;
      while (!this.settled && this.waiting.length > 0 && this.queued.size < window) {
        const starts: number[] = [];
        while (this.waiting.length > 0 && this.queued.size + starts.length < window && starts.length < 500) starts.push(this.waiting.pop()!);
        await this.add(starts);
      }
    } finally {
      this.filling = false;
    }
  }

  /** Adds the jobs of the given first trajectories (in batches; a job id already there is left as is). */
  private async add(starts: number[]): Promise<void> {
    for (const s of starts) this.queued.add(s);
    const problem = this.problem();
    const attempts = this.q.attempts ?? 3;
    for (let k = 0; k < starts.length && !this.settled; k += 500) {
      const batch = starts.slice(k, k + 500).map((s) => ({
        name: "range",
        data: { run: this.id, problem, inputs: encodeInputs(this.plan.inputs(s, this.open.get(s)!), this.plan.problem.n) },
        // The client removes each job once merged; the ages only clear up after a client that died.
        opts: { jobId: jobId(this.id, s), attempts, backoff: { type: "fixed" as const, delay: 1000 }, removeOnComplete: { age: 86_400 }, removeOnFail: { age: 604_800 } },
      }));
      await this.queue.addBulk(batch);
    }
  }

  /** Merges a finished job's result. */
  private completed(id: string, value: unknown): void {
    this.lastEvent = Date.now();
    const at = parseJobId(id);
    if (this.settled || at === null || at.run !== this.id || !this.open.has(at.start)) return;
    try {
      const part = decodePart(value);
      this.plan.accept(part);
      this.open.delete(at.start);
      this.queued.delete(at.start);
      this.progress.jobsDone++;
      this.progress.trajectoriesDone += part.end - part.start;
    } catch (e) {
      this.fail(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    void this.queue.remove(id).catch(() => undefined);
    this.q.onProgress?.({ ...this.progress });
    this.options.progressMeter?.update(this.progress.trajectoriesDone);
    if (this.open.size === 0) this.finish();
    else if (this.waiting.length > 0 && this.queued.size <= (this.q.maxQueuedJobs ?? 1000) / 2) {
      void this.fill().catch(() => undefined); // Redis went away: reconcile adds them on "ready"
    }
  }

  /** A failed attempt: the run fails once the job has no attempt left. */
  private async failed(id: string, reason: string): Promise<void> {
    const at = parseJobId(id);
    if (this.settled || at === null || at.run !== this.id || !this.open.has(at.start)) return;
    const state = await this.queue.getJobState(id).catch(() => "unknown");
    if (state === "failed") this.fail(new Error(`distributeEnsemble: the job of trajectories [${at.start}, ${this.open.get(at.start)}) failed: ${reason}`));
  }

  /** Finished jobs whose events were missed (a reconnect, a trimmed stream). */
  private async sweep(): Promise<void> {
    for (const job of await this.queue.getJobs("completed", 0, 999, true)) if (job.id !== undefined) this.completed(job.id, job.returnvalue);
    for (const job of await this.queue.getJobs("failed", 0, 999, true)) {
      const at = job.id === undefined ? null : parseJobId(job.id);
      if (at !== null && at.run === this.id && this.open.has(at.start)) {
        this.fail(new Error(`distributeEnsemble: the job of trajectories [${at.start}, ${this.open.get(at.start)}) failed: ${job.failedReason}`));
      }
    }
  }

  /** After Redis came back: the jobs it lost (a restart without persistence) are added again. */
  private async reconcile(): Promise<void> {
    const starts = [...this.queued];
    const lost: number[] = [];
    for (let k = 0; k < starts.length; k += 200) {
      const states = await Promise.all(starts.slice(k, k + 200).map((s) => this.queue.getJobState(jobId(this.id, s))));
      states.forEach((st, j) => st === "unknown" && lost.push(starts[k + j]!));
    }
    if (lost.length > 0) {
      this.progress.readded += lost.length;
      await this.add(lost);
    }
    await this.sweep();
    await this.fill();
  }

  private tick = async (): Promise<void> => {
    const down = this.downSince;
    const limit = this.q.unreachableMs ?? 60_000;
    if (down !== null) {
      if (Date.now() - down > limit) {
        const why = this.lastError === null ? "" : ` (last error: ${this.lastError.message})`;
        this.fail(
          new Error(
            `distributeEnsemble: Redis has been unreachable for ${((Date.now() - down) / 1000).toFixed(0)} s${why}; ` +
              `unreachableMs = ${limit}; ${this.progress.jobsDone} of ${this.jobs} jobs were done. Start Redis and run the ensemble again.`,
          ),
        );
      }
      return;
    }
    // The event stream brings results; the sweep looks for what it missed when it falls quiet.
    if (Date.now() - this.lastEvent < (this.q.pollMs ?? 1000)) return;
    try {
      await this.sweep();
    } catch {
      // Redis went away meanwhile: the connection events say so.
    }
  };

  /** Adds the jobs and listens; `done` settles when every result is in, or the run fails. */
  async start(): Promise<void> {
    this.timer = setInterval(() => void this.tick(), this.q.pollMs ?? 1000);
    this.options.progressMeter?.start(0, this.plan.trajectories);
      if (this.open.size === 0) return this.finish(); // the client's sample was all of it
    const stopped = this.done.then(() => undefined, () => undefined);
    const client = (await Promise.race([this.queue.getBackend().client, stopped])) as unknown as RedisEvents | undefined;
    if (this.settled || client === undefined) return;
    const onDown = (): void => {
      this.downSince ??= Date.now();
    };
    const onReady = (): void => {
      const wasDown = this.downSince !== null;
      this.downSince = null;
      if (wasDown) void this.reconcile().catch(() => undefined); // Redis went away again: the next "ready" retries
    };
    const on = ["close", "reconnecting", "end"] as const;
    for (const e of on) client.on(e, onDown);
    client.on("ready", onReady);
    void stopped.then(() => {
      for (const e of on) client.off(e, onDown);
      client.off("ready", onReady);
    });
    this.events.on("completed", ({ jobId: id, returnvalue }) => this.completed(id, returnvalue));
    this.events.on("failed", ({ jobId: id, failedReason }) => void this.failed(id, failedReason));
    this.events.on("stalled", ({ jobId: id }) => {
      if (parseJobId(id)?.run === this.id) this.progress.stalled++;
    });
    await Promise.race([Promise.all([this.queue.waitUntilReady(), this.events.waitUntilReady()]), stopped]);
    if (this.settled) return;
    this.downSince = null;
    try {
      await this.fill();
    } catch (e) {
      // Redis went away while the jobs were being added: reconcile adds what is missing on "ready".
      if (this.downSince === null) throw e;
    }
  }

  private finish(): void {
    if (this.settled) return;
    try {
      const sol = this.plan.solution();
      this.options.progressMeter?.finish(this.plan.trajectories);
      this.settle();
      this.resolve(sol);
    } catch (e) {
      this.fail(e instanceof Error ? e : new Error(String(e)));
    }
  }

  fail(e: Error): void {
    if (this.settled) return;
    this.settle();
    this.reject(e);
  }

  private settle(): void {
    this.settled = true;
    if (this.timer !== null) clearInterval(this.timer);
  }

  /** Whether Redis answers now. */
  get reachable(): boolean {
    return this.downSince === null;
  }

  /** Removes the run's unfinished jobs (after a failure), as far as Redis answers. */
  async cleanUp(): Promise<void> {
    if (!this.reachable) return;
    const ids = [...this.queued].map((s) => jobId(this.id, s));
    await within(Promise.all(ids.map((id) => this.queue.remove(id).catch(() => 0))), 2000);
  }
}

/**
 * The chunk size, and how many leading trajectories the client solved to measure their cost
 * ("auto"): one at a time until 50 ms have passed (at most 64, and a quarter of N), timing the
 * second half only (the first run cold code).
 */
async function chunking<R>(plan: EnsemblePlan<R>, chunkSize: number | "auto"): Promise<{ chunk: number; first: number }> {
  if (chunkSize !== "auto") return { chunk: chunkSize, first: 0 };
  const N = plan.trajectories;
  const limit = Math.min(64, Math.ceil(N / 4));
  const times: number[] = [];
  let spent = 0;
  let i = 0;
  while (i < limit && (spent < 50 || times.length < 2)) {
    const t = performance.now();
    plan.accept(await solveEnsembleRange(plan.problem, plan.inputs(i, i + 1)));
    const ms = performance.now() - t;
    times.push(ms);
    spent += ms;
    i++;
  }
  const warm = times.slice(Math.floor(times.length / 2));
  const msPer = warm.reduce((a, b) => a + b, 0) / warm.length;
  return { chunk: autoChunkSize(N - i, msPer), first: i };
}

/**
 * Solves an ensemble on any number of machines through a BullMQ queue on Redis: the trajectories
 * are split into jobs of `chunkSize`, solved by workers (`startEnsembleWorker`, or
 * `odeflow worker --redis …`), and merged into the same `EnsembleSolution` (and reduction) as
 * `solveEnsemble(options)` returns, bit for bit, whatever the number of workers and whatever
 * happens to them. The vector field must travel: name its module in `options.module` (a URL the
 * workers can import) or use a compiled vector field; a closure is refused with a TypeError.
 *
 * @example
 * ```ts
 * import { distributeEnsemble } from "odeflow/distributed";
 * const sol = await distributeEnsemble(
 *   { ...options, module: { url: "file:///srv/models/lorenz.mjs", vectorField: "lorenz" } },
 *   { connection: { host: "10.0.0.5", port: 6379 }, chunkSize: 1024, onProgress: (p) => console.log(`${p.jobsDone}/${p.jobs}`) },
 * );
 * ```
 */
export async function distributeEnsemble<A = any, R = unknown>(options: EnsembleOptions<A, R>, queue: DistributeOptions): Promise<EnsembleSolution<R>> {
  checkQueueOptions(queue);
  let plan: EnsemblePlan<R>;
  try {
    plan = await planEnsemble<A, R>(options);
  } catch (e) {
    if (e instanceof Error) e.message = e.message.replace(/^planEnsemble: /, "distributeEnsemble: ").replace(/to a worker/g, "to another machine");
    throw e;
  }
  const { chunk, first } = await chunking(plan, queue.chunkSize ?? "auto");
  const name = queue.queue ?? DEFAULT_QUEUE;
  // Completion events carry each job's result: a short event stream keeps Redis's memory to about
  // a thousand results (the client reads them as they come; the sweep finds any it missed).
  const q = new Queue<JobData>(name, { connection: queue.connection, prefix: queue.prefix, streams: { events: { maxLen: 1000 } } });
  const events = new QueueEvents(name, { connection: queue.connection, prefix: queue.prefix });
  const run = new Run<R>(plan, options as EnsembleOptions, queue, q, events, chunk, first);
  // Connection errors come through here (unheard, they would be printed); the run reports them
  // when Redis stays unreachable.
  const heard = (e: Error): void => {
    run.lastError = e;
  };
  q.on("error", heard);
  events.on("error", heard);
  try {
    await run.start();
    return await run.done;
  } catch (e) {
    run.fail(e instanceof Error ? e : new Error(String(e)));
    await run.cleanUp();
    throw e;
  } finally {
    // Closing a connection to a Redis that is down waits for it for ever: force it instead.
    const gentle = run.reachable;
    for (const c of [events, q]) {
      if (!gentle || (await within(c.close().then(() => true), 2000)) !== true) await within(c.getBackend().close(true), 1000);
    }
  }
}
