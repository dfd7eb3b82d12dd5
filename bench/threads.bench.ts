/**
 * Threads from the first call: Lorenz ensembles (σ = 10, β = 8/3, ρ swept over [0, 21],
 * y0 = [1, 0, 0]), Tsit5 adaptive with rtol = atol = 1e-8, short trajectories (t ∈ [0, 1], about
 * 73 steps) and long ones (t ∈ [0, 10]). Each configuration runs as a fresh program
 * (bench/lib/ensemble_call.mjs: import odeflow, build the options, call solveEnsemble a few
 * times), because a user judges the first call: serial (`threads: 1`), `threads: 2` with the pool
 * started by that call, and `threads: 2` with the pool started ahead by startEnsembleWorkers.
 * Targets: threads / serial ≥ 1.8× on 2 cores for N ≥ 1,024 short trajectories, first call
 * included, and ≥ 1.9× for long trajectories; the same bits as serial.
 *
 * Also measured (bench/lib/thread_costs.mjs): what a fresh worker costs before it solves anything,
 * and from those figures a model of how the first and later calls scale to 16 and 64 cores.
 *
 * Writes bench/results/threads.json and .md (BENCH_QUICK=1: fewer repeats, *.quick.*). Thread
 * scaling is only meaningful on an otherwise idle machine: the load average is recorded.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { machineInfo, machineLine } from "./lib/machine.js";
import { fmtRatio } from "./lib/timing.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const QUICK = process.env.BENCH_QUICK === "1";
const OUT_NAME = QUICK ? "threads.quick" : "threads";
const REPS = QUICK ? 2 : 5;
const CALLS = 3;
const log = (s: string): void => console.log(`[threads] ${s}`);
const machine = machineInfo();
log(machineLine(machine));

interface Case {
  name: "short" | "long";
  t1: number;
  sizes: number[];
}
const CASES: Case[] = [
  { name: "short", t1: 1, sizes: QUICK ? [1024] : [1024, 4096, 16384] },
  { name: "long", t1: 10, sizes: QUICK ? [256] : [1024, 4096] },
];
type Mode = "serial" | "threads" | "prestarted";
const MODES: Mode[] = ["serial", "threads", "prestarted"];

interface Run {
  times: number[];
  cpu: number[];
  mode: string;
  threads: number;
  notice: string | null;
  hash: string;
  stepsPerTrajectory: number;
}

function runProgram(c: Case, N: number, mode: Mode): Run {
  const cfg = { threads: mode === "serial" ? 1 : 2, N, t1: c.t1, calls: CALLS, prestart: mode === "prestarted" };
  const r = spawnSync(process.execPath, [join(HERE, "lib", "ensemble_call.mjs"), JSON.stringify(cfg)], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`threads bench: ${mode} N=${N} failed:\n${r.stderr}`);
  const run = JSON.parse(r.stdout.trim().split("\n").pop()!) as Run;
  if (run.mode !== (mode === "serial" ? "serial" : "threads")) throw new Error(`threads bench: ${mode} ran as ${run.mode}: ${run.notice}`);
  return run;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Row {
  case: Case["name"];
  t1: number;
  N: number;
  mode: Mode;
  /** First call of each program (ms), one per program run. */
  first: number[];
  /** Fastest later call of each program (ms). */
  later: number[];
  /** CPU time of the first call and of the fastest later call, all threads (ms). */
  firstCpu: number[];
  laterCpu: number[];
  identical: boolean;
  stepsPerTrajectory: number;
  loadavg: number[];
}
const rows: Row[] = [];

for (const c of CASES) {
  for (const N of c.sizes) {
    const got: Record<Mode, Run[]> = { serial: [], threads: [], prestarted: [] };
    const load = os.loadavg();
    // Interleaved, so that a change of load colours every mode alike.
    for (let r = 0; r < REPS; r++) for (const mode of MODES) got[mode].push(runProgram(c, N, mode));
    const ref = got.serial[0]!.hash;
    for (const mode of MODES) {
      const runs = got[mode];
      const row: Row = {
        case: c.name, t1: c.t1, N, mode,
        first: runs.map((r) => r.times[0]!),
        later: runs.map((r) => Math.min(...r.times.slice(1))),
        firstCpu: runs.map((r) => r.cpu[0]!),
        laterCpu: runs.map((r) => Math.min(...r.cpu.slice(1))),
        identical: runs.every((r) => r.hash === ref),
        stepsPerTrajectory: runs[0]!.stepsPerTrajectory,
        loadavg: load.map((x) => Math.round(x * 100) / 100),
      };
      rows.push(row);
      log(`${c.name} N=${N} ${mode}: first call median ${median(row.first).toFixed(1)} ms, later calls median ${median(row.later).toFixed(1)} ms${row.identical ? "" : " NOT identical to serial"} (load ${row.loadavg[0]})`);
    }
  }
}

// ---- what a fresh worker costs ----
const costRun = spawnSync(process.execPath, [join(HERE, "lib", "thread_costs.mjs"), QUICK ? "3" : "9"], { encoding: "utf8" });
if (costRun.status !== 0) throw new Error(`threads bench: thread_costs.mjs failed:\n${costRun.stderr}`);
const costs = JSON.parse(costRun.stdout.trim()) as { boot: number; spawnSync: number; workerScript: number; libraryAsEsm: number; modelImport: number; secondThreadShare: number };
log(`worker costs (median ms): ${JSON.stringify(costs)}`);

const get = (c: string, N: number, m: Mode): Row => rows.find((r) => r.case === c && r.N === N && r.mode === m)!;

// ---- scaling model ----
// A fresh worker is ready to solve d ms after the pool is spawned: boot and script
// (workerScript), plus the ES module loader's start and the model's import (modelImport − boot).
// Every thread pays a JIT warm-up of c ms (the serial program's first call minus its later ones,
// on the short case at the smallest N), the calling thread included. The calling thread spawns
// P − 1 workers (s ms each, on its own time) and then works; a worker works from s·(P − 1) + d.
// With W the serial warm time, the first call ends at T where the threads' useful time sums to W:
//   (T − s(P−1) − c) + (P − 1)(T − s(P−1) − d − c) = W  →  T = (W + P(s(P−1) + c) + (P − 1)d) / P,
// against W + c for serial (when every worker joins before T; otherwise fewer threads count).
// Later calls: T = W/P + L + CHUNK_MS/2 (L: posting the job and the reply, about the later-call
// threaded time minus W/2 on 2 cores; the tail is half a chunk). Memory bandwidth, V8's own
// helper threads (GC, compiler) and the cost of P workers booting at once are not modelled.
const d = costs.workerScript + Math.max(0, costs.modelImport - costs.boot);
const s = costs.spawnSync;
const smallest = CASES[0]!.sizes[0]!;
const cold = Math.max(0, median(get("short", smallest, "serial").first) - median(get("short", smallest, "serial").later));
const latency = Math.max(0, median(get("short", smallest, "threads").later) - median(get("short", smallest, "serial").later) / 2 - 1);
function firstCall(W: number, P: number): number {
  for (let k = P; k >= 1; k--) {
    // k threads take part: the calling thread and k − 1 workers; check that the last joins in time.
    const T = (W + k * (s * (P - 1) + cold) + (k - 1) * d) / k;
    if (k === 1 || T > s * (P - 1) + d + cold) return T;
  }
  return W + cold;
}
const laterCall = (W: number, P: number): number => W / P + latency + 1;
const model: { case: string; N: number; W: number; P: number; firstRatio: number; laterRatio: number }[] = [];
for (const c of CASES) {
  for (const N of c.sizes) {
    const W = median(get(c.name, N, "serial").later);
    for (const P of [2, 16, 64]) {
      model.push({ case: c.name, N, W, P, firstRatio: (W + cold) / firstCall(W, P), laterRatio: W / laterCall(W, P) });
    }
  }
}

// ---- results ----
mkdirSync(join(HERE, "results"), { recursive: true });
writeFileSync(join(HERE, "results", `${OUT_NAME}.json`), JSON.stringify({ machine, reps: REPS, calls: CALLS, rows, costs, modelInputs: { d, s, cold, latency }, model }, null, 2) + "\n");

const lines: string[] = [];
lines.push(`## Threads from the first call${QUICK ? " — QUICK harness check, not results" : ""}`, "");
lines.push(
  "Lorenz ensembles (ρ swept over [0, 21], σ = 10, β = 8/3, y0 = [1, 0, 0]), Tsit5 adaptive, rtol = atol = 1e-8: short trajectories " +
    "t ∈ [0, 1], long ones t ∈ [0, 10]. Every figure comes from fresh programs (import odeflow, build the options, call solveEnsemble " +
    `${CALLS} times): the first call is what a user sees first; "later" is the fastest of the other calls. Medians over ${REPS} programs per mode, ` +
    "the modes interleaved. threads = `threads: 2` (the calling thread and one pooled worker, the pool started by the call); " +
    "pre-started = the same after `await startEnsembleWorkers(2)`. Target: threads / serial ≥ 1.8× for N ≥ 1,024 short trajectories, " +
    "first call included; ≥ 1.9× for long trajectories.",
  "",
);
lines.push(machineLine(machine), "");
lines.push(
  `CPU a second thread of one process got while this ran: ${fmtRatio(costs.secondThreadShare)} the CPU of one thread alone (two threads spinning ` +
    "for a second against one; about 2× on an idle 2-core machine). Linux shares the CPU between sessions (autogroups), not threads: " +
    (costs.secondThreadShare < 1.7
      ? "with other work on the machine a process's threads share its slice, so these thread speed-ups say nothing about the code; rerun on an idle machine."
      : "the machine was idle enough for thread speed-ups to show."),
  "",
);
lines.push("| trajectories | N | steps each | serial first / later | threads first / later | first call: threads / serial | later calls | pre-started first call | identical bits | load (1 min) |");
lines.push("|:--|---:|---:|---:|---:|---:|---:|---:|:--|---:|");
for (const c of CASES) {
  for (const N of c.sizes) {
    const se = get(c.name, N, "serial");
    const th = get(c.name, N, "threads");
    const pr = get(c.name, N, "prestarted");
    const target = c.name === "short" ? 1.8 : 1.9;
    const verdict = (x: number): string => `${fmtRatio(x)} ${x >= target ? "(met)" : "(missed)"}`;
    const rFirst = median(se.first) / median(th.first);
    const rLater = median(se.later) / median(th.later);
    const rPre = median(se.first) / median(pr.first);
    lines.push(
      `| ${c.name} (t1 = ${c.t1}) | ${N.toLocaleString("en-US")} | ${se.stepsPerTrajectory.toFixed(0)} | ${median(se.first).toFixed(1)} / ${median(se.later).toFixed(1)} ms | ` +
        `${median(th.first).toFixed(1)} / ${median(th.later).toFixed(1)} ms | ${verdict(rFirst)} | ${verdict(rLater)} | ${verdict(rPre)} | ` +
        `${se.identical && th.identical && pr.identical ? "yes" : "NO"} | ${se.loadavg[0]} |`,
    );
  }
}
lines.push(
  "",
  "CPU time of the process, all threads (less sensitive to other load than wall time; threaded ≈ serial means the threads add little work): " +
    CASES.flatMap((c) =>
      c.sizes.map((N) => {
        const se = get(c.name, N, "serial");
        const th = get(c.name, N, "threads");
        return `${c.name} N = ${N.toLocaleString("en-US")}: first call ${median(se.firstCpu).toFixed(0)} ms serial, ${median(th.firstCpu).toFixed(0)} ms threaded; later ${median(se.laterCpu).toFixed(0)} / ${median(th.laterCpu).toFixed(0)} ms`;
      }),
    ).join("; ") + ".",
);
lines.push(
  "",
  `What a fresh worker costs before it solves (medians, ms): Node boots an empty thread in ${costs.boot.toFixed(1)}; ` +
    `with odeflow's worker script loaded (dist/ensemble-worker.cjs) it is ready in ${costs.workerScript.toFixed(1)} ` +
    `(importing the whole library as an ES module instead: ${costs.libraryAsEsm.toFixed(1)}); importing the model's ES module ` +
    `(Node's ES module loader starts on the first import) takes it to ${costs.modelImport.toFixed(1)} from an empty thread; ` +
    `\`new Worker\` itself takes ${costs.spawnSync.toFixed(2)} of the calling thread. Every thread also runs cold code at first: ` +
    `the serial program's first call (N = ${smallest.toLocaleString("en-US")}) takes ${cold.toFixed(1)} ms more than its later ones.`,
  "",
  "Scaling model (no many-core machine was available): a worker is ready d = " +
    `${d.toFixed(1)} ms after the pool is spawned, each spawn costs the calling thread s = ${s.toFixed(2)} ms, every thread pays c = ${cold.toFixed(1)} ms ` +
    `of JIT warm-up, later calls pay L = ${latency.toFixed(1)} ms of messaging plus half a 2 ms chunk. First call: ` +
    "T = (W + P(s(P−1) + c) + (P−1)d) / P against W + c serially (W: serial time with warm code); later calls: T = W/P + L + 1 ms. " +
    "Not modelled: memory bandwidth, V8's helper threads (GC, compiler) competing for the cores, P workers booting at once.",
  "",
  "| trajectories | N | W (ms) | P = 2 first / later | P = 16 first / later | P = 64 first / later |",
  "|:--|---:|---:|---:|---:|---:|",
);
for (const c of CASES) {
  for (const N of c.sizes) {
    const m = (P: number) => model.find((x) => x.case === c.name && x.N === N && x.P === P)!;
    lines.push(
      `| ${c.name} | ${N.toLocaleString("en-US")} | ${m(2).W.toFixed(1)} | ${fmtRatio(m(2).firstRatio)} / ${fmtRatio(m(2).laterRatio)} | ` +
        `${fmtRatio(m(16).firstRatio)} / ${fmtRatio(m(16).laterRatio)} | ${fmtRatio(m(64).firstRatio)} / ${fmtRatio(m(64).laterRatio)} |`,
    );
  }
}
writeFileSync(join(HERE, "results", `${OUT_NAME}.md`), lines.join("\n") + "\n");
log(`wrote bench/results/${OUT_NAME}.json and .md`);
