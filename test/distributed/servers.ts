// Real components for the distributed tests: a Redis server (Debian's redis-server) on a free
// loopback port, with a temporary directory and no persistence, and worker processes running the
// built command line (`node dist/cli.js worker`), whose lines on standard error are kept.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
export const REDIS_SERVER = process.env.REDIS_SERVER ?? "/usr/bin/redis-server";

/** Whether redis-server runs here (else the tests say why they cannot run). */
export function redisAvailable(): string | null {
  const r = spawnSync(REDIS_SERVER, ["--version"], { encoding: "utf8" });
  return r.status === 0 ? null : `${REDIS_SERVER} is not installed (apt-get install redis-server), so the distributed tests cannot run`;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves when `text` appears in what the process writes (stdout or stderr), or rejects after `ms`. */
function waitFor(p: ChildProcess, out: () => string, pattern: RegExp, ms: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: not ready after ${ms} ms:\n${out()}`)), ms);
    const check = (): void => {
      if (pattern.test(out())) {
        clearTimeout(timer);
        p.stdout?.off("data", check);
        p.stderr?.off("data", check);
        resolve();
      }
    };
    p.stdout?.on("data", check);
    p.stderr?.on("data", check);
    p.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code}):\n${out()}`));
    });
    check();
  });
}

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Kills the server (SIGKILL: it loses everything, having no persistence). */
  kill(): Promise<void>;
  /** Starts it again on the same port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "odeflow-redis-"));
  let proc: ChildProcess | null = null;
  let log = "";
  const launch = async (): Promise<void> => {
    log = "";
    const p = spawn(REDIS_SERVER, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--daemonize", "no"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    proc = p;
    p.stdout!.on("data", (d: Buffer) => void (log += d.toString()));
    p.stderr!.on("data", (d: Buffer) => void (log += d.toString()));
    await waitFor(p, () => log, /Ready to accept connections/, 10_000, `redis-server on port ${port}`);
  };
  const kill = async (): Promise<void> => {
    const p = proc;
    proc = null;
    if (p === null || p.exitCode !== null) return;
    await new Promise((r) => {
      p.once("exit", r);
      p.kill("SIGKILL");
    });
  };
  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    restart: launch,
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface WorkerProcess {
  readonly proc: ChildProcess;
  /** Ranges this worker reported solved. */
  jobs(): string[];
  output(): string;
  kill(signal: NodeJS.Signals): Promise<void>;
}

/** Starts `odeflow worker` (dist/cli.js) and waits until it listens for jobs. */
export async function startWorker(redisUrl: string, queue: string, extra: string[] = []): Promise<WorkerProcess> {
  const proc = spawn(process.execPath, [join(root, "dist", "cli.js"), "worker", "--redis", redisUrl, "--queue", queue, ...extra], {
    stdio: ["ignore", "pipe", "pipe"],
    cwd: root,
  });
  let out = "";
  proc.stdout!.on("data", (d: Buffer) => void (out += d.toString()));
  proc.stderr!.on("data", (d: Buffer) => void (out += d.toString()));
  await waitFor(proc, () => out, /waiting for jobs/, 30_000, "odeflow worker");
  return {
    proc,
    jobs: () => [...out.matchAll(/trajectories \[(\d+), (\d+)\)/g)].map((m) => `${m[1]}-${m[2]}`),
    output: () => out,
    kill: (signal) =>
      new Promise((r) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return r();
        proc.once("exit", () => r());
        proc.kill(signal);
      }),
  };
}
