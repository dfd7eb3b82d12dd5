/**
 * Distributed ensembles (odeflow/distributed on BullMQ + Redis) on this machine: a real
 * redis-server (loopback, no persistence) and 1, 2 and 4 worker processes (`node dist/cli.js
 * worker`), the Lorenz sweep of bench/threads (Tsit5, rtol = atol = 1e-8, t ∈ [0, 1], final
 * state saved). Measures:
 * - scaling: wall time of distributeEnsemble against a local serial solveEnsemble (on 2 cores
 *   the ideal is 2× with 2 or more workers; the client and Redis share the cores);
 * - the queue's cost per job: with 1 worker and chunk sizes from 16 to 4,096, wall time against
 *   the number of jobs, fitted as T = a + b·jobs (b: what a job costs beyond its trajectories);
 * - the client's CPU per trajectory (receiving, decoding and merging results);
 * and writes a paper estimate, with its inputs, of a 10⁸-trajectory sweep on 100 machines.
 *
 * Writes bench/results/distributed.json and .md (BENCH_QUICK=1: smaller N, *.quick.*). Needs
 * redis-server (apt-get install redis-server) and bullmq + ioredis (dev dependencies).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { machineInfo, machineLine } from "./lib/machine.js";
import { loadOdeflow } from "./lib/odeflow.js";
import { fmtRatio } from "./lib/timing.js";
import { redisAvailable, startRedis, startWorker, type WorkerProcess } from "../test/distributed/servers.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const QUICK = process.env.BENCH_QUICK === "1";
const OUT_NAME = QUICK ? "distributed.quick" : "distributed";
const N = QUICK ? 4096 : 32768;
const RUNS = QUICK ? 1 : 3;
const CHUNK = 1024;
const log = (s: string): void => console.log(`[distributed] ${s}`);

const missing = redisAvailable();
if (missing !== null) {
  console.error(`distributed bench: ${missing}.`);
  process.exit(1);
}
const { lib, from } = await loadOdeflow();
const dist = (await import(pathToFileURL(join(HERE, "..", "dist", "distributed", "index.js")).href)) as typeof import("../src/distributed/index.js");
const machine = machineInfo();
log(`odeflow from ${from}; ${machineLine(machine)}`);
const MODEL_URL = pathToFileURL(join(HERE, "..", "examples", "lorenz-model.mjs")).href;
const { lorenz } = await import(MODEL_URL);

function options(n: number) {
  return {
    module: { url: MODEL_URL, vectorField: "lorenz" },
    solver: new lib.Tsit5(), t0: 0, t1: 1, trajectories: n,
    y0: () => [1, 0, 0],
    args: (i: number) => ({ sigma: 10, rho: (21 * i) / (n - 1), beta: 8 / 3 }),
    stepsizeController: new lib.PIDController({ rtol: 1e-8, atol: 1e-8 }),
  };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cpuNow = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
};

// ---- local serial reference (warm) ----
const terms = new lib.ODETerm(lorenz);
for (let k = 0; k < 3; k++) await lib.solveEnsemble({ ...options(2048), terms });
const serialTimes: number[] = [];
let reference: Float64Array | null = null;
for (let r = 0; r < RUNS; r++) {
  const a = performance.now();
  const s = await lib.solveEnsemble({ ...options(N), terms });
  serialTimes.push((performance.now() - a) / 1e3);
  reference = s.ys;
}
const W = median(serialTimes);
const perTrajectory = W / N;
log(`serial: N=${N} in ${W.toFixed(3)} s (${(perTrajectory * 1e6).toFixed(1)} µs per trajectory)`);

const redis = await startRedis();
let queueCount = 0;
interface Timed {
  seconds: number;
  clientCpu: number;
  identical: boolean;
}

/** One distributed run on fresh queue workers already started; returns wall time and client CPU. */
async function timedRun(queue: string, n: number, chunkSize: number): Promise<Timed> {
  const c0 = cpuNow();
  const a = performance.now();
  const sol = await dist.distributeEnsemble(options(n), { connection: { host: "127.0.0.1", port: redis.port }, queue, chunkSize, pollMs: 500 });
  const seconds = (performance.now() - a) / 1e3;
  const clientCpu = cpuNow() - c0;
  const identical = n === N && reference !== null ? sol.ys.every((x: number, i: number) => Object.is(x, reference![i])) : true;
  return { seconds, clientCpu, identical };
}

async function withWorkers<T>(count: number, fn: (queue: string) => Promise<T>): Promise<T> {
  const queue = `bench-${++queueCount}`;
  const workers: WorkerProcess[] = await Promise.all(Array.from({ length: count }, () => startWorker(redis.url, queue, ["--quiet"])));
  try {
    await timedRun(queue, 2048, 256); // warm-up: the workers' JIT, the queue's scripts
    return await fn(queue);
  } finally {
    await Promise.all(workers.map((w) => w.kill("SIGTERM")));
  }
}

// How much CPU a second thread (or process) of this session gets now (see bench/lib/thread_costs.mjs).
const share = JSON.parse(spawnSync(process.execPath, [join(HERE, "lib", "thread_costs.mjs"), "1"], { encoding: "utf8" }).stdout.trim()).secondThreadShare as number;
log(`a second thread gets ${share.toFixed(2)}× the CPU of one now`);

try {
  // ---- scaling: 1, 2, 4 worker processes ----
  const scaling: { workers: number; seconds: number[]; clientCpuPerTrajectory: number; identical: boolean; speedup: number; load: number }[] = [];
  for (const count of [1, 2, 4]) {
    const load = os.loadavg()[0]!;
    const runs = await withWorkers(count, async (queue) => {
      const out: Timed[] = [];
      for (let r = 0; r < RUNS; r++) out.push(await timedRun(queue, N, CHUNK));
      return out;
    });
    const t = median(runs.map((r) => r.seconds));
    const row = {
      workers: count, seconds: runs.map((r) => r.seconds), clientCpuPerTrajectory: median(runs.map((r) => r.clientCpu)) / N,
      identical: runs.every((r) => r.identical), speedup: W / t, load: Math.round(load * 100) / 100,
    };
    scaling.push(row);
    log(`${count} worker(s): ${t.toFixed(3)} s, ${fmtRatio(row.speedup)} serial, client CPU ${(row.clientCpuPerTrajectory * 1e6).toFixed(2)} µs per trajectory${row.identical ? "" : ", NOT identical"} (load ${row.load})`);
  }

  // ---- per-job cost: 1 worker, chunk sizes from 16 to 4096 ----
  const chunks = QUICK ? [64, 1024] : [16, 64, 256, 1024, 4096];
  const perChunk: { chunkSize: number; jobs: number; seconds: number }[] = [];
  const nOverhead = QUICK ? 2048 : 8192;
  await withWorkers(1, async (queue) => {
    for (const c of chunks) {
      const times: number[] = [];
      for (let r = 0; r < RUNS; r++) times.push((await timedRun(queue, nOverhead, c)).seconds);
      perChunk.push({ chunkSize: c, jobs: Math.ceil(nOverhead / c), seconds: median(times) });
      log(`1 worker, chunk ${c}: ${Math.ceil(nOverhead / c)} jobs in ${median(times).toFixed(3)} s`);
    }
  });
  // Least squares T = a + b·jobs.
  const xs = perChunk.map((p) => p.jobs);
  const ys = perChunk.map((p) => p.seconds);
  const mx = xs.reduce((s, x) => s + x, 0) / xs.length;
  const my = ys.reduce((s, y) => s + y, 0) / ys.length;
  const b = xs.reduce((s, x, i) => s + (x - mx) * (ys[i]! - my), 0) / xs.reduce((s, x) => s + (x - mx) ** 2, 0);
  const a = my - b * mx;
  log(`per-job cost b = ${(b * 1e3).toFixed(2)} ms (fit T = ${a.toFixed(3)} s + b·jobs)`);
  // Chunk that keeps the queue's cost at 2% of a job's work on these trajectories.
  const chunkFor2pc = Math.ceil((50 * b) / perTrajectory);

  // ---- paper estimate: 10^8 trajectories on 100 machines ----
  const total = 1e8;
  const machines = 100;
  const clientCpu = median(scaling.map((s) => s.clientCpuPerTrajectory));
  const estimate = [2, 16].map((cores) => {
    const workersN = machines * cores;
    const chunk = dist.autoChunkSize(total, perTrajectory * 1e3);
    const jobs = Math.ceil(total / chunk);
    const compute = (total * perTrajectory) / workersN; // perfect division of the work
    const queueCost = (jobs * b) / workersN; // each job's cost, paid by the worker that runs it
    const client = total * clientCpu; // one client thread merges every result
    const tail = chunk * perTrajectory; // the last jobs end up to one job apart
    const seconds = Math.max(compute + queueCost + tail, client);
    return { cores, workers: workersN, chunk, jobs, compute, queueCost, client, tail, seconds, bound: seconds === client ? "client" : "workers" };
  });
  for (const e of estimate) log(`estimate, ${machines} machines × ${e.cores} cores: ${e.seconds.toFixed(0)} s (${e.bound}-bound)`);

  // ---- results ----
  mkdirSync(join(HERE, "results"), { recursive: true });
  writeFileSync(
    join(HERE, "results", `${OUT_NAME}.json`),
    JSON.stringify({ machine, from, secondThreadShare: share, N, runs: RUNS, chunk: CHUNK, serialSeconds: serialTimes, perTrajectory, scaling, perChunk, fit: { a, b }, chunkFor2pc, estimate }, null, 2) + "\n",
  );
  const lines: string[] = [];
  lines.push(`## Distributed ensembles (BullMQ on Redis)${QUICK ? " — QUICK harness check, not results" : ""}`, "");
  lines.push(
    `Lorenz sweep as in the threads bench (Tsit5, rtol = atol = 1e-8, t ∈ [0, 1], final state saved), N = ${N.toLocaleString("en-US")}, ` +
      `through a local redis-server (loopback, no persistence) to worker processes started with \`odeflow worker\` on this machine ` +
      `(warmed up by a small run first). Median of ${RUNS} runs. Serial: solveEnsemble in the calling thread, ${W.toFixed(3)} s ` +
      `(${(perTrajectory * 1e6).toFixed(1)} µs per trajectory). Results bit-identical to the serial run: ${scaling.every((s) => s.identical) ? "yes" : "NO"}.`,
    "",
    machineLine(machine),
    "",
    `CPU a second thread of this session got meanwhile: ${fmtRatio(share)} that of one (about 2× on an idle 2-core machine). The worker ` +
      "processes, the client and Redis all belong to this session, and Linux shares the CPU between sessions (autogroups): " +
      (share < 1.7 ? "with other work on the machine, more workers cannot get more CPU here, so the scaling below says nothing about the queue; rerun on an idle machine." : "the machine was idle enough for scaling to show."),
    "",
    `| worker processes | wall time (chunk ${CHUNK}) | serial / distributed | client CPU per trajectory | load (1 min) |`,
    "|---:|---:|---:|---:|---:|",
  );
  for (const s of scaling) {
    lines.push(`| ${s.workers} | ${median(s.seconds).toFixed(3)} s | ${fmtRatio(s.speedup)} | ${(s.clientCpuPerTrajectory * 1e6).toFixed(2)} µs | ${s.load} |`);
  }
  lines.push(
    "",
    `Cost of a job through the queue (1 worker, N = ${nOverhead.toLocaleString("en-US")}): ` +
      perChunk.map((p) => `chunk ${p.chunkSize}: ${p.jobs} jobs in ${p.seconds.toFixed(3)} s`).join("; ") +
      `. Fit T = a + b·jobs: a = ${a.toFixed(3)} s, b = ${(b * 1e3).toFixed(2)} ms per job (adding, fetching, locking, returning and merging a job). ` +
      `For the queue to cost at most 2% of a job's work, a job must last 50·b = ${(50 * b * 1e3).toFixed(0)} ms: ${chunkFor2pc.toLocaleString("en-US")} ` +
      `of these trajectories. The default, \`chunkSize: "auto"\`, has the client solve a few trajectories to measure their cost and sizes jobs to last ` +
      `${dist.TARGET_JOB_MS} ms (at least 16 jobs): ${dist.autoChunkSize(1e8, perTrajectory * 1e3).toLocaleString("en-US")} of these trajectories in a large sweep ` +
      `(the queue's cost then ${((100 * b * 1e3) / dist.TARGET_JOB_MS).toFixed(1)}% of a job).`,
    "",
    `Paper estimate, 10⁸ trajectories of this kind on ${machines} machines (inputs from this run: ${(perTrajectory * 1e6).toFixed(1)} µs per trajectory ` +
      `on one core, b = ${(b * 1e3).toFixed(2)} ms per job, ${(clientCpu * 1e6).toFixed(2)} µs of client CPU per trajectory; assumed: one worker process per core, ` +
      "cores as fast as these, Redis keeping up (a job is ~10 Redis commands; one Redis serves tens of thousands of commands per second), " +
      "one client thread merging every result; time = max(work / workers + jobs·b / workers + one job, client CPU)):",
    "",
    "| cores per machine | workers | chunk | jobs | compute | queue | client merge | estimate |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|",
  );
  for (const e of estimate) {
    lines.push(
      `| ${e.cores} | ${e.workers} | ${e.chunk.toLocaleString("en-US")} | ${e.jobs.toLocaleString("en-US")} | ${e.compute.toFixed(0)} s | ${e.queueCost.toFixed(1)} s | ` +
        `${e.client.toFixed(0)} s | ${e.seconds.toFixed(0)} s (${e.bound}-bound) |`,
    );
  }
  lines.push(
    "",
    `Serially the sweep takes ${((total * perTrajectory) / 3600).toFixed(1)} h on one core. The client also holds every result: ` +
      "61 bytes per trajectory for a final state of 3 numbers, 6.1 GB at 10⁸; a sweep that large wants an `output` hook of a few numbers.",
  );
  writeFileSync(join(HERE, "results", `${OUT_NAME}.md`), lines.join("\n") + "\n");
  log(`wrote bench/results/${OUT_NAME}.json and .md`);
} finally {
  await redis.stop();
}
