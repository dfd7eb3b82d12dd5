/**
 * Ensembles: Lorenz ensembles as in the DiffEqGPU paper (Utkarsh et al.,
 * CMAME 2024): σ = 10, β = 8/3, ρ swept uniformly over [0, 21], y0 = [1, 0, 0], t ∈ [0, 1], only
 * the final state saved; Tsit5 with fixed steps dt = 0.001 (1,000 steps) and adaptive with
 * rtol = atol = 1e-8. For N = 1,024 … 65,536 trajectories: trajectories per second of the serial
 * ensemble, threads (`threads: 2`, target ≥ 1.8× serial), the lockstep batched mode, a loop of single
 * diffeqsolve calls, and SciPy looping solve_ivp (python3, a subset of trajectories, scaled).
 * Memory per trajectory: the packed output's bytes and the heap retained by a solution.
 *
 * Writes bench/results/ensemble.json and bench/results/ensemble.md (BENCH_QUICK=1: N = 1,024 only,
 * *.quick.* files).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { machineInfo, machineLine } from "./lib/machine.js";
import { loadOdeflow } from "./lib/odeflow.js";
import { pythonAvailable, runPythonJSON } from "./lib/python.js";
import { fmtRatio, fmtTime } from "./lib/timing.js";
// The same module as examples/lorenz-ensemble.ts: plain ES so that worker threads can import it.
import { lorenz, lorenzLanes } from "../examples/lorenz-model.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const QUICK = process.env.BENCH_QUICK === "1";
const OUT_NAME = QUICK ? "ensemble.quick" : "ensemble";
const MODEL_URL = pathToFileURL(join(HERE, "..", "examples", "lorenz-model.mjs")).href;
const log = (s: string): void => console.log(`[ensemble] ${s}`);

const { lib, from } = await loadOdeflow();
const machine = machineInfo({ python: true });
const SIZES = QUICK ? [1024] : [1024, 4096, 16384, 65536];
/** The loop of single diffeqsolve calls costs the same per trajectory at every N: capped here. */
const LOOP_CAP = QUICK ? 1024 : 16384;
const THREADS = 2;
const solverName = typeof (lib as Record<string, unknown>).Tsit5 === "function" ? "Tsit5" : "Dopri5";
const Solver = (lib as unknown as Record<string, new () => InstanceType<typeof lib.Dopri5>>)[solverName]!;
log(`odeflow from ${from}; solver ${solverName}; sizes ${SIZES.join(", ")}; ${machineLine(machine)}`);

type Config = "fixed" | "adaptive";
const CONFIGS: Config[] = ["fixed", "adaptive"];
const rhoOf = (i: number, N: number): number => (21 * i) / (N - 1);

function options(config: Config, N: number) {
  const controller =
    config === "fixed" ? { dt0: 0.001, stepsizeController: new lib.ConstantStepSize() } : { stepsizeController: new lib.PIDController({ rtol: 1e-8, atol: 1e-8 }) };
  return {
    terms: new lib.ODETerm(lorenz),
    module: { url: MODEL_URL, vectorField: "lorenz" },
    solver: new Solver(),
    t0: 0,
    t1: 1,
    trajectories: N,
    y0: () => [1, 0, 0],
    args: (i: number) => ({ sigma: 10, rho: rhoOf(i, N), beta: 8 / 3 }),
    ...controller,
  };
}

type Mode = "serial" | "threads" | "lockstep" | "loop";
const MODES: Mode[] = ["serial", "threads", "lockstep", "loop"];

/** Runs one mode once; returns seconds and the final states (for cross-checks). */
async function runMode(config: Config, mode: Mode, N: number): Promise<{ seconds: number; cpu: number; finals: Float64Array; notice: string | null }> {
  const o = options(config, N);
  const c0 = process.cpuUsage(); // all threads of the process, workers included
  const cpuSince = (): number => {
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1e6;
  };
  const a = performance.now();
  if (mode === "loop") {
    const finals = new Float64Array(3 * N);
    for (let i = 0; i < N; i++) {
      const sol = lib.diffeqsolve({
        terms: o.terms, solver: o.solver, t0: 0, t1: 1, y0: [1, 0, 0], args: o.args(i),
        stepsizeController: o.stepsizeController, dt0: (o as { dt0?: number }).dt0,
      });
      finals.set(sol.ys[0]!, 3 * i);
    }
    return { seconds: (performance.now() - a) / 1e3, cpu: cpuSince(), finals, notice: null };
  }
  const extra = mode === "threads" ? { threads: THREADS } : mode === "lockstep" ? { lockstep: { f: lorenzLanes, batchSize: 256 } } : {};
  const sol = await lib.solveEnsemble({ ...o, ...extra });
  const seconds = (performance.now() - a) / 1e3;
  const cpu = cpuSince();
  if (sol.mode !== (mode === "threads" ? "threads" : mode)) throw new Error(`ensemble bench: ${mode} ran as ${sol.mode}: ${sol.notice}`);
  return { seconds, cpu, finals: sol.ys, notice: sol.notice };
}

interface Row {
  config: Config;
  N: number;
  mode: Mode;
  seconds: number;
  /** CPU seconds of the fastest run, all threads: less sensitive than wall time to other load. */
  cpuSeconds: number;
  trajPerSec: number;
  runs: number;
  identicalToSerial: boolean | null;
}

const rows: Row[] = [];
const memory: { N: number; packedBytesPerTrajectory: number; retainedBytesPerTrajectory: number }[] = [];

for (const config of CONFIGS) {
  // Warm-up of this configuration right before it is timed: every mode at a small size (the JIT of
  // this thread and of the workers; switching controllers re-optimises the loop).
  for (const mode of MODES) for (let k = 0; k < 3; k++) await runMode(config, mode, 512);
  for (const N of SIZES) {
    let serialFinals: Float64Array | null = null;
    for (const mode of MODES) {
      if (mode === "loop" && N > LOOP_CAP) continue;
      const runs = N <= 4096 ? 5 : N <= 16384 ? 2 : 1;
      let best = Infinity;
      let bestCpu = Infinity;
      let finals: Float64Array | null = null;
      for (let r = 0; r < runs; r++) {
        const out = await runMode(config, mode, N);
        if (out.seconds < best) best = out.seconds;
        if (out.cpu < bestCpu) bestCpu = out.cpu;
        finals = out.finals;
      }
      if (mode === "serial") serialFinals = finals;
      let identical: boolean | null = null;
      if (serialFinals !== null && finals !== null && mode !== "serial") {
        identical = finals.length === serialFinals.length && finals.every((x, i) => Object.is(x, serialFinals![i]));
      }
      rows.push({ config, N, mode, seconds: best, cpuSeconds: bestCpu, trajPerSec: N / best, runs, identicalToSerial: identical });
      log(`${config} N=${N} ${mode}: ${fmtTime(best)} (${Math.round(N / best)} trajectories/s; CPU ${fmtTime(bestCpu / N)} per trajectory)${identical === false ? " NOT identical to serial" : ""}`);
    }
  }
}

// Memory per trajectory: the packed output, and the heap retained by a solution of the largest N.
{
  const N = SIZES[SIZES.length - 1]!;
  const gc = (globalThis as { gc?: () => void }).gc;
  // Settle the heap (array buffers are freed by a sweep after the collection), then measure.
  const settled = async (): Promise<number> => {
    for (let k = 0; k < 3; k++) {
      gc?.();
      await new Promise((r) => setTimeout(r, 50));
    }
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const o = options("adaptive", N);
  await lib.solveEnsemble(o); // warm, so that compiled code is not counted
  const before = await settled();
  const sol = await lib.solveEnsemble(o);
  const after = await settled();
  const packed = sol.bytesPerTrajectory;
  const retained = after - before;
  if (sol.trajectories !== N) throw new Error("unreachable"); // keeps sol alive until here
  memory.push({ N, packedBytesPerTrajectory: packed, retainedBytesPerTrajectory: retained / N });
  log(`memory, N=${N}: packed ${packed} B/trajectory, retained ${(retained / N).toFixed(1)} B/trajectory${gc ? "" : " (no --expose-gc: rough)"}`);
}

// SciPy: a Python loop of solve_ivp (RK45) over a subset of the ρ sweep, scaled per trajectory.
const scipy: Record<Config, { subset: number; secondsPerTrajectory: number; trajPerSec: number; maxRelDiffFinal: number } | { skipped: string }> = {
  fixed: { skipped: "not run" },
  adaptive: { skipped: "not run" },
};
const py = pythonAvailable();
for (const config of CONFIGS) {
  if (!py.ok) {
    scipy[config] = { skipped: py.reason };
    continue;
  }
  const subset = config === "fixed" ? (QUICK ? 4 : 16) : QUICK ? 8 : 64;
  const N = 1024;
  const idx = Array.from({ length: subset }, (_, k) => Math.round((k * (N - 1)) / (subset - 1)));
  const r = runPythonJSON<{ seconds: number; finals: number[][] }>(join(HERE, "lib", "ensemble_scipy.py"), {
    rhos: idx.map((i) => rhoOf(i, N)), t1: 1, mode: config, rtol: 1e-8, atol: 1e-8, dt: 0.001,
  });
  if (!r.ok) {
    scipy[config] = { skipped: r.reason };
    log(`SciPy ${config}: skipped (${r.reason})`);
    continue;
  }
  // Cross-check the final states against odeflow's (the same trajectories).
  const ours = (await runMode(config, "serial", N)).finals;
  let maxRel = 0;
  idx.forEach((i, k) => {
    for (let j = 0; j < 3; j++) maxRel = Math.max(maxRel, Math.abs(r.data.finals[k]![j]! - ours[3 * i + j]!) / Math.max(1, Math.abs(ours[3 * i + j]!)));
  });
  const per = r.data.seconds / subset;
  scipy[config] = { subset, secondsPerTrajectory: per, trajPerSec: 1 / per, maxRelDiffFinal: maxRel };
  log(`SciPy ${config}: ${fmtTime(per)} per trajectory over ${subset} (${Math.round(1 / per)} trajectories/s); max relative difference of final states ${maxRel.toExponential(1)}`);
}
await lib.shutdownEnsembleWorkers();

// ---- results ----
mkdirSync(join(HERE, "results"), { recursive: true });
writeFileSync(join(HERE, "results", `${OUT_NAME}.json`), JSON.stringify({ machine, from, solver: solverName, threads: THREADS, loopCap: LOOP_CAP, rows, memory, scipy }, null, 2) + "\n");

const get = (config: Config, N: number, mode: Mode): Row | undefined => rows.find((r) => r.config === config && r.N === N && r.mode === mode);
const lines: string[] = [];
lines.push(`## Ensembles${QUICK ? " — QUICK harness check, not results" : ""}`, "");
lines.push(
  `Lorenz ensembles as in the DiffEqGPU paper: ρ swept over [0, 21], σ = 10, β = 8/3, y0 = [1, 0, 0], t ∈ [0, 1], final state saved; ` +
    `${solverName} with fixed dt = 0.001 (1,000 steps) and adaptive rtol = atol = 1e-8. Trajectories per second (best of 5 runs for N ≤ 4,096, of 2 for 16,384, one run for 65,536). ` +
    `Threads: \`threads: ${THREADS}\` (the calling thread and ${THREADS - 1} pooled worker, warmed up). Lockstep: batches of 256 lanes, structure of arrays, vectorised Lorenz. "loop": a loop of single diffeqsolve calls, capped at N = ${LOOP_CAP.toLocaleString("en-US")} ` +
    `(its cost per trajectory does not depend on N). SciPy: a Python loop of solve_ivp RK45 over a subset of the sweep, scaled per trajectory ` +
    `(fixed steps emulated with first_step = max_step = dt and tolerances that never reject).`,
  "",
);
lines.push(machineLine(machine), "");
for (const config of CONFIGS) {
  lines.push(`### ${config === "fixed" ? "Fixed step dt = 0.001" : "Adaptive, rtol = atol = 1e-8"}`, "");
  lines.push("| N | serial | threads (2) | threads / serial | lockstep | lockstep / serial | loop of diffeqsolve | serial / loop | SciPy loop | serial / SciPy | identical to serial |");
  lines.push("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---|");
  const sp = scipy[config];
  for (const N of SIZES) {
    const s = get(config, N, "serial")!;
    const t = get(config, N, "threads")!;
    const l = get(config, N, "lockstep")!;
    const lp = get(config, N, "loop");
    const spRate = "trajPerSec" in sp ? sp.trajPerSec : NaN;
    const ident = [t, l, lp].filter((r): r is Row => r !== undefined).every((r) => r.identicalToSerial === true);
    lines.push(
      `| ${N.toLocaleString("en-US")} | ${Math.round(s.trajPerSec).toLocaleString("en-US")}/s | ${Math.round(t.trajPerSec).toLocaleString("en-US")}/s | ` +
        `${fmtRatio(t.trajPerSec / s.trajPerSec)} ${t.trajPerSec / s.trajPerSec >= 1.8 ? "(target ≥ 1.8×: met)" : "(target ≥ 1.8×: missed)"} | ` +
        `${Math.round(l.trajPerSec).toLocaleString("en-US")}/s | ${fmtRatio(l.trajPerSec / s.trajPerSec)} | ` +
        `${lp ? `${Math.round(lp.trajPerSec).toLocaleString("en-US")}/s` : "capped"} | ${lp ? fmtRatio(s.trajPerSec / lp.trajPerSec) : "—"} | ` +
        `${Number.isFinite(spRate) ? `${Math.round(spRate).toLocaleString("en-US")}/s` : "skipped"} | ${Number.isFinite(spRate) ? fmtRatio(s.trajPerSec / spRate) : "—"} | ${ident ? "yes (bit for bit)" : "NO"} |`,
    );
  }
  lines.push(
    "",
    `CPU time per trajectory, all threads (load-insensitive; threads ≈ serial means no parallel overhead): ` +
      SIZES.map((N) => {
        const c = (m: Mode): string => {
          const r = get(config, N, m);
          return r ? fmtTime(r.cpuSeconds / N) : "—";
        };
        return `N = ${N.toLocaleString("en-US")}: serial ${c("serial")}, threads ${c("threads")}, lockstep ${c("lockstep")}, loop ${c("loop")}`;
      }).join("; ") + ".",
  );
  if ("subset" in sp) lines.push("", `SciPy: ${sp.subset} trajectories of the N = 1,024 sweep; final states agree with odeflow's to ${sp.maxRelDiffFinal.toExponential(1)} (relative).`);
  else lines.push("", `SciPy: skipped (${sp.skipped}).`);
  lines.push("");
}
for (const m of memory) {
  lines.push(
    `Memory per trajectory (N = ${m.N.toLocaleString("en-US")}, final state saved): ${m.packedBytesPerTrajectory} bytes of packed output ` +
      `(time and state, row count, result code, t reached, four counters); ${m.retainedBytesPerTrajectory.toFixed(0)} bytes retained on the heap by the solution. ` +
      "The loop's buffers are shared by all trajectories of a thread.",
  );
}
writeFileSync(join(HERE, "results", `${OUT_NAME}.md`), lines.join("\n") + "\n");
log(`wrote bench/results/${OUT_NAME}.json and .md`);
