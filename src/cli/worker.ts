/**
 * `odeflow worker --redis redis://host:6379`: a worker of distributed ensembles (odeflow/distributed)
 * that runs until SIGINT or SIGTERM, then finishes the job in hand and exits 0. It needs the
 * optional peer dependencies bullmq and ioredis.
 */
import { suggest, UsageError } from "./args.js";
import { EXIT, type Io } from "./solve.js";

/** What `odeflow worker` was asked to do. */
export interface WorkerCommand {
  connection: { host: string; port: number; username?: string; password?: string; db?: number; tls?: object };
  queue: string | undefined;
  prefix: string | undefined;
  concurrency: number;
  lockMs: number | undefined;
  stalledMs: number | undefined;
  quiet: boolean;
}

export const HELP_WORKER = `Usage: odeflow worker --redis URL [options]

Solves jobs of distributed ensembles (distributeEnsemble from odeflow/distributed) until stopped
with Ctrl-C or SIGTERM (the job in hand is finished first). Run one per core, on any number of
machines; they need the model modules at the URLs the ensembles name (or compiled models).
Needs the packages bullmq and ioredis (npm install bullmq ioredis).

Options:
  --redis URL          the Redis server: redis://[user:password@]host[:port][/db] (rediss:// for TLS)
                       or host:port
  --queue NAME         queue name (default odeflow-ensemble)
  --prefix P           BullMQ key prefix (default bull)
  --concurrency N      jobs held at once (default 1)
  --lock-ms MS         lock duration: a job whose worker stops for this long goes to another (default 30000)
  --stalled-ms MS      how often to look for such jobs (default 30000)
  --quiet              no line per job on standard error
  --help               this text
`;

const VALUE_FLAGS = ["redis", "queue", "prefix", "concurrency", "lock-ms", "stalled-ms"];
const BOOL_FLAGS = ["quiet", "help"];

/** The Redis connection of a URL or host:port. */
export function redisConnection(text: string): WorkerCommand["connection"] {
  const withScheme = /^[a-z]+:\/\//i.test(text) ? text : `redis://${text}`;
  let u: URL;
  try {
    u = new URL(withScheme);
  } catch {
    throw new UsageError(`--redis "${text}" is not a Redis URL. Example: --redis redis://127.0.0.1:6379`);
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") throw new UsageError(`--redis "${text}": the scheme must be redis:// or rediss://.`);
  if (u.hostname === "") throw new UsageError(`--redis "${text}" names no host. Example: --redis redis://127.0.0.1:6379`);
  const c: WorkerCommand["connection"] = { host: u.hostname.replace(/^\[|\]$/g, ""), port: u.port === "" ? 6379 : Number(u.port) };
  if (u.username !== "") c.username = decodeURIComponent(u.username);
  if (u.password !== "") c.password = decodeURIComponent(u.password);
  const db = u.pathname.replace(/^\//, "");
  if (db !== "") {
    if (!/^\d+$/.test(db)) throw new UsageError(`--redis "${text}": the database "${db}" must be a number, as in redis://host:6379/2.`);
    c.db = Number(db);
  }
  if (u.protocol === "rediss:") c.tls = {};
  return c;
}

function count(flag: string, text: string): number {
  const v = Number(text);
  if (!(Number.isInteger(v) && v >= 1)) throw new UsageError(`--${flag} must be a whole number ≥ 1; got "${text}".`);
  return v;
}

/** Parses the arguments after `worker`; null means --help. */
export function parseWorkerArgs(argv: readonly string[]): WorkerCommand | null {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "-h") { flags.add("help"); continue; }
    if (!a.startsWith("--")) throw new UsageError(`worker takes no file or word "${a}"; its options start with --. Example: odeflow worker --redis redis://127.0.0.1:6379`);
    let name = a.slice(2);
    let value: string | undefined;
    const eq = name.indexOf("=");
    if (eq >= 0) { value = name.slice(eq + 1); name = name.slice(0, eq); }
    if (BOOL_FLAGS.includes(name)) {
      if (value !== undefined) throw new UsageError(`--${name} takes no value; got --${name}=${value}.`);
      flags.add(name);
    } else if (VALUE_FLAGS.includes(name)) {
      value ??= argv[++i];
      if (value === undefined || value.startsWith("--")) throw new UsageError(`--${name} needs a value. Example: odeflow worker --redis redis://127.0.0.1:6379`);
      values.set(name, value);
    } else {
      throw new UsageError(`unknown option --${name} of worker.${suggest(name, [...VALUE_FLAGS, ...BOOL_FLAGS])} Run odeflow worker --help for the list.`);
    }
  }
  if (flags.has("help")) return null;
  const redis = values.get("redis");
  if (redis === undefined) throw new UsageError("worker needs the Redis server: odeflow worker --redis redis://127.0.0.1:6379");
  const ms = (k: string): number | undefined => (values.has(k) ? count(k, values.get(k)!) : undefined);
  return {
    connection: redisConnection(redis),
    queue: values.get("queue"),
    prefix: values.get("prefix"),
    concurrency: ms("concurrency") ?? 1,
    lockMs: ms("lock-ms"),
    stalledMs: ms("stalled-ms"),
    quiet: flags.has("quiet"),
  };
}

/** Runs the worker until SIGINT/SIGTERM; resolves with the exit status. */
export async function workerCommand(cmd: WorkerCommand, io: Io): Promise<number> {
  let distributed: typeof import("../distributed/index.js");
  try {
    distributed = await import("../distributed/index.js");
  } catch (e) {
    io.stderr(`odeflow worker: could not load odeflow/distributed (${(e as Error).message}). Install its peer dependencies: npm install bullmq ioredis\n`);
    return EXIT.usage;
  }
  const where = `${cmd.connection.host}:${cmd.connection.port}`;
  const handle = await distributed.startEnsembleWorker({
    connection: { ...cmd.connection, maxRetriesPerRequest: null },
    queue: cmd.queue,
    prefix: cmd.prefix,
    concurrency: cmd.concurrency,
    lockDuration: cmd.lockMs,
    stalledInterval: cmd.stalledMs,
    onJob: cmd.quiet ? undefined : (j) => io.stderr(`odeflow worker ${process.pid}: trajectories [${j.start}, ${j.end}) of run ${j.run} in ${j.ms.toFixed(0)} ms\n`),
    onError: (e) => io.stderr(`odeflow worker ${process.pid}: ${e.message}\n`),
  });
  io.stderr(`odeflow worker ${process.pid}: waiting for jobs on ${where}, queue ${cmd.queue ?? distributed.DEFAULT_QUEUE} (stop with Ctrl-C)\n`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  await handle.close();
  io.stderr(`odeflow worker ${process.pid}: stopped\n`);
  return EXIT.solved;
}
