/**
 * Ensembles on the GPU (WebGPU backend) on the setup of the published DiffEqGPU benchmark
 * (Utkarsh et al., CMAME 419 (2024) 116591; the GPUODEBenchmarks repository of the paper):
 * Lorenz du₁ = 10(u₂ − u₁), du₂ = ρu₁ − u₂ − u₁u₃, du₃ = u₁u₂ − 2.666u₃ with ρ swept evenly over
 * [0, 21], u0 = (1, 0, 0), t ∈ [0, 1], adaptive Tsit5 with rtol = atol = 1e-8 and dt0 = 0.001 in
 * float32, saving only the end; and a variant saving 100 points. N = 8,192 … 8,388,608.
 *
 * Figures per N, in milliseconds per ensemble (the unit of the published table):
 * - GPU kernels: the solve kernels from submission to completion (`onProfile`'s kernelMs), inputs
 *   already uploaded: what DiffEqGPU's figure measures (its problems are built and copied to the
 *   GPU before the timed `vectorized_asolve`, whose results stay on the GPU);
 * - end to end: the whole `await solveEnsemble(...)`, from the args function to the packed
 *   solution on the host (building N args objects, packing, upload, kernels, readback);
 * - our CPU paths in the same run: serial and 2 worker threads in double precision, timed at one N
 *   and scaled per trajectory (their cost per trajectory does not depend on N).
 * The published V100 times of DiffEqGPU's EnsembleGPUKernel, MPGOS (hand-written CUDA) and
 * JAX/diffrax are listed beside ours. Targets (on an H100): GPU kernels ≥ 100× our best CPU path
 * (2 threads), and within 2× of DiffEqGPU's V100 time at every N ≥ 131,072.
 *
 * The GPU part runs when a hardware adapter is found (Dawn through the `webgpu` package); on a
 * machine without one it is skipped and the reason written. BENCH_WEBGPU_SOFTWARE=1 runs it on
 * SwiftShader (Chromium's software Vulkan driver) as a harness check: those times are functional
 * only and say nothing about GPUs.
 *
 * Writes bench/results/webgpu.json and bench/results/webgpu.md (BENCH_QUICK=1: N ≤ 131,072,
 * *.quick.* files).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { machineInfo, machineLine } from "./lib/machine.js";
import { loadOdeflow } from "./lib/odeflow.js";
import { fmtRatio } from "./lib/timing.js";
import type * as NodeWebGPUModule from "../src/node/webgpu.js";
import type { WebGPUProfile } from "../src/index.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const QUICK = process.env.BENCH_QUICK === "1";
const SOFTWARE = process.env.BENCH_WEBGPU_SOFTWARE === "1";
const OUT_NAME = QUICK || SOFTWARE ? "webgpu.quick" : "webgpu";
const log = (s: string): void => console.log(`[webgpu] ${s}`);

const { lib, from } = await loadOdeflow();
const nodeWebGPU = (from.startsWith("src")
  ? await import("../src/node/webgpu.js")
  : await import(pathToFileURL(join(HERE, "..", "dist", "webgpu.js")).href)) as typeof NodeWebGPUModule;
const machine = machineInfo();

/** N of the published table, and the powers of 4 between. */
const SIZES = SOFTWARE ? [8192] : QUICK ? [8192, 131072] : [8192, 32768, 131072, 524288, 2097152, 8388608];
/** Published V100 times (ms), adaptive Lorenz, final state: DiffEqGPU EnsembleGPUKernel, MPGOS, JAX/diffrax. */
const PUBLISHED: Record<number, { diffeqgpu: number; mpgos: number; jax: number }> = {
  8192: { diffeqgpu: 0.37, mpgos: 1.9, jax: 15.4 },
  131072: { diffeqgpu: 1.58, mpgos: 2.3, jax: 47.8 },
  2097152: { diffeqgpu: 17.8, mpgos: 11.0, jax: 680 },
  8388608: { diffeqgpu: 69.5, mpgos: 48.8, jax: 2611 },
};
/** The 100-point variant reads every row back up to this N; beyond, rows stay on the GPU (reduced to moments there), as DiffEqGPU's stay. */
const KEEP_ROWS_UP_TO = 131072;
const CPU_N = SOFTWARE || QUICK ? 2048 : 8192;
const THREADS = 2;

const lorenz = lib.compile((t: number, [x, y, z]: number[], { rho }: { rho: number }) => [10 * (y - x), rho * x - y - x * z, x * y - 2.666 * z]);
type Save = "end" | "100 points";
const TS100 = Array.from({ length: 100 }, (_, k) => (k + 1) / 100);
const options = (N: number, save: Save): any => ({
  terms: new lib.ODETerm(lorenz), solver: new lib.Tsit5(), t0: 0, t1: 1, dt0: 0.001,
  stepsizeController: new lib.PIDController({ rtol: 1e-8, atol: 1e-8 }),
  trajectories: N, y0: () => [1, 0, 0], args: (i: number) => ({ rho: (21 * i) / (N - 1) }),
  saveat: save === "end" ? new lib.SaveAt({ t1: true }) : new lib.SaveAt({ ts: TS100 }),
});

// ---- CPU: serial and threads, double precision, same problem ----
interface CpuRow { mode: "serial" | "threads"; N: number; msPerTrajectory: number }
const cpu: CpuRow[] = [];
let cpuFinals: Float64Array | null = null;
let cpuSteps = 0;
for (const mode of ["serial", "threads"] as const) {
  const extra = mode === "threads" ? { threads: THREADS, chunkSize: 64 } : {};
  await lib.solveEnsemble({ ...options(1024, "end"), ...extra }); // warm-up (JIT, worker pool)
  let best = Infinity;
  for (let r = 0; r < 3; r++) {
    const a = performance.now();
    const sol = await lib.solveEnsemble({ ...options(CPU_N, "end"), ...extra });
    best = Math.min(best, performance.now() - a);
    if (sol.mode !== mode) throw new Error(`webgpu bench: the CPU ${mode} run ran as ${sol.mode}: ${sol.notice}`);
    if (mode === "serial") {
      cpuFinals = sol.ys;
      cpuSteps = 0;
      for (let i = 0; i < CPU_N; i++) cpuSteps += sol.numSteps[i]!;
    }
  }
  cpu.push({ mode, N: CPU_N, msPerTrajectory: best / CPU_N });
  log(`CPU ${mode}${mode === "threads" ? ` (${THREADS})` : ""}: ${best.toFixed(1)} ms for N = ${CPU_N} (${((1e3 * best) / CPU_N).toFixed(2)} µs per trajectory)`);
}
await lib.shutdownEnsembleWorkers();
const bestCpu = Math.min(...cpu.map((c) => c.msPerTrajectory));

// ---- GPU ----
interface GpuRow {
  save: Save; N: number; workgroupSize: number; keepRows: boolean;
  kernelMs: number; endToEndMs: number; profile: WebGPUProfile; runs: number;
}
const gpuRows: GpuRow[] = [];
let skipped: string | null = null;
let adapter: NodeWebGPUModule.AdapterDescription | null = null;
let check: { maxRelDiff: number; N: number; meanStepsGpu: number; meanStepsCpu: number } | null = null;
let gpu: NodeWebGPUModule.NodeWebGPU | null = null;
try {
  gpu = await nodeWebGPU.requestWebGPUDevice({ software: SOFTWARE });
} catch (e) {
  skipped = `no WebGPU adapter: ${(e instanceof Error ? e.message : String(e)).replace(/\.$/, "")}`;
}
if (gpu !== null) {
  adapter = gpu.adapter;
  if (gpu.software && !SOFTWARE) {
    skipped = `the only adapter is a software one (${gpu.adapter.description || gpu.adapter.architecture}); set BENCH_WEBGPU_SOFTWARE=1 for a functional run`;
    gpu.destroy();
    gpu = null;
  }
}
if (gpu !== null) {
  const device = gpu.device;
  log(`GPU: ${JSON.stringify(gpu.adapter)}${gpu.software ? " (SOFTWARE: functional only)" : ""}`);
  for (const save of ["end", "100 points"] as Save[]) {
    for (const N of SIZES) {
      const keepRows = save === "end" || N <= KEEP_ROWS_UP_TO;
      for (const workgroupSize of [64, 256]) {
        const webgpu = { workgroupSize, ...(keepRows ? {} : { keepSaved: false, moments: true }) };
        const once = async (): Promise<{ wall: number; profile: WebGPUProfile; sol: any }> => {
          let profile: WebGPUProfile | null = null;
          const a = performance.now();
          const sol = await lib.solveEnsemble({ ...options(N, save), backend: "webgpu", device, webgpu: { ...webgpu, onProfile: (p: WebGPUProfile) => (profile = p) } });
          return { wall: performance.now() - a, profile: profile!, sol };
        };
        await once(); // compiles the pipeline
        const runs = N <= 524288 ? 3 : 2;
        let best: GpuRow | null = null;
        let lastSol: any = null;
        for (let r = 0; r < runs; r++) {
          const { wall, profile, sol } = await once();
          lastSol = sol;
          if (best === null || profile.kernelMs < best.kernelMs) best = { save, N, workgroupSize, keepRows, kernelMs: profile.kernelMs, endToEndMs: wall, profile, runs };
          else best.endToEndMs = Math.min(best.endToEndMs, wall);
        }
        gpuRows.push(best!);
        log(`${save}, N = ${N}, workgroup ${workgroupSize}: kernels ${best!.kernelMs.toFixed(2)} ms, end to end ${best!.endToEndMs.toFixed(1)} ms ` +
          `(pack ${best!.profile.packMs.toFixed(1)}, upload ${best!.profile.uploadMs.toFixed(1)}, readback ${best!.profile.readbackMs.toFixed(1)}, unpack ${best!.profile.unpackMs.toFixed(1)}; ${best!.profile.chunks} dispatch(es))`);
        if (lastSol.failed.length > 0) throw new Error(`webgpu bench: ${lastSol.failed.length} trajectories failed: ${lastSol.message(lastSol.failed[0])}`);
      }
    }
  }
  // Cross-check: the trajectories of the CPU run, on the GPU, against the CPU's double solve.
  const sol = await lib.solveEnsemble({ ...options(CPU_N, "end"), backend: "webgpu", device });
  let maxRel = 0;
  for (let k = 0; k < cpuFinals!.length; k++) maxRel = Math.max(maxRel, Math.abs(sol.ys[k]! - cpuFinals![k]!) / Math.max(1, Math.abs(cpuFinals![k]!)));
  let gpuSteps = 0;
  for (let i = 0; i < CPU_N; i++) gpuSteps += sol.numSteps[i]!;
  check = { maxRelDiff: maxRel, N: CPU_N, meanStepsGpu: gpuSteps / CPU_N, meanStepsCpu: cpuSteps / CPU_N };
  gpu.destroy();
}

// ---- results ----
mkdirSync(join(HERE, "results"), { recursive: true });
writeFileSync(join(HERE, "results", `${OUT_NAME}.json`), JSON.stringify({ machine, from, adapter, software: SOFTWARE, skipped, cpu, gpu: gpuRows, check, published: PUBLISHED }, null, 2) + "\n");

const ms = (x: number): string => (x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : Math.round(x).toLocaleString("en-US"));
const lines: string[] = [];
lines.push(`## Ensembles on the GPU (WebGPU)${QUICK ? " — QUICK harness check, not results" : ""}${SOFTWARE ? " — SOFTWARE adapter (SwiftShader): functional check only, not GPU speed" : ""}`, "");
lines.push(
  "The DiffEqGPU benchmark (GPUODEBenchmarks): Lorenz (σ = 10, β = 2.666, ρ evenly over [0, 21]), u0 = (1, 0, 0), t ∈ [0, 1], adaptive Tsit5, " +
    "rtol = atol = 1e-8, dt0 = 0.001, float32 on the GPU, final state saved (and a variant saving 100 points). Milliseconds per ensemble. " +
    "GPU kernels: the solve kernels alone (inputs on the GPU), as DiffEqGPU's figure; end to end: the whole solveEnsemble call, args function to packed host arrays. " +
    `CPU: our serial and ${THREADS}-thread paths in double precision in the same run, timed at N = ${CPU_N.toLocaleString("en-US")} and scaled per trajectory. ` +
    "Published: Tesla V100 times from the paper (DiffEqGPU EnsembleGPUKernel / MPGOS CUDA / JAX diffrax).",
  "",
);
lines.push(machineLine(machine), "");
lines.push(`CPU per trajectory: ${cpu.map((c) => `${c.mode} ${(1e3 * c.msPerTrajectory).toFixed(2)} µs`).join(", ")}.`, "");
if (skipped !== null) {
  lines.push(`**GPU part skipped**: ${skipped}. Run \`npm run bench -- webgpu\` on a machine with a GPU (Vulkan driver and libvulkan1 on Linux).`, "");
} else {
  lines.push(`Adapter: ${adapter?.vendor} ${adapter?.architecture} ${adapter?.device} ${adapter?.description}`.trim() + ".", "");
  if (check !== null) {
    lines.push(
      `Check: at N = ${check.N.toLocaleString("en-US")}, the GPU's final states (float32) differ from the CPU's double solve by at most ${check.maxRelDiff.toExponential(1)} ` +
        `(relative to max(1, |y|); float32 cannot meet rtol 1e-8, see the notice); mean steps per trajectory ${check.meanStepsGpu.toFixed(1)} on the GPU, ${check.meanStepsCpu.toFixed(1)} on the CPU.`,
      "",
    );
  }
  for (const save of ["end", "100 points"] as Save[]) {
    lines.push(`### Saving ${save === "end" ? "the final state" : "100 points"}`, "");
    lines.push("| N | GPU kernels (ms) | workgroup | end to end (ms) | CPU serial (ms) | CPU threads (ms) | kernels vs best CPU | DiffEqGPU V100 | MPGOS V100 | JAX V100 | kernels / DiffEqGPU |");
    lines.push("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (const N of SIZES) {
      const rows = gpuRows.filter((r) => r.save === save && r.N === N);
      if (rows.length === 0) continue;
      const b = rows.reduce((x, y) => (y.kernelMs < x.kernelMs ? y : x));
      const e2e = Math.min(...rows.map((r) => r.endToEndMs));
      const serial = cpu.find((c) => c.mode === "serial")!.msPerTrajectory * N;
      const threads = cpu.find((c) => c.mode === "threads")!.msPerTrajectory * N;
      const speedup = (bestCpu * N) / b.kernelMs;
      const pub = save === "end" ? PUBLISHED[N] : undefined;
      const ratio = pub ? b.kernelMs / pub.diffeqgpu : NaN;
      const target = pub && N >= 131072 ? (ratio <= 2 ? " (≤ 2×: met)" : " (≤ 2×: missed)") : "";
      lines.push(
        `| ${N.toLocaleString("en-US")} | ${ms(b.kernelMs)} | ${b.workgroupSize} | ${ms(e2e)}${b.keepRows ? "" : " (rows kept on the GPU)"} | ${ms(serial)} | ${ms(threads)} | ` +
          `${fmtRatio(speedup)}${SOFTWARE ? "" : speedup >= 100 ? " (≥ 100×: met)" : " (≥ 100×: missed)"} | ${pub ? pub.diffeqgpu : "—"} | ${pub ? pub.mpgos : "—"} | ${pub ? pub.jax : "—"} | ${pub ? `${fmtRatio(ratio)}${target}` : "—"} |`,
      );
    }
    lines.push("");
  }
  lines.push("End-to-end time of the largest N, by part (ms): " + gpuRows.filter((r) => r.N === SIZES[SIZES.length - 1] && r.save === "end").map((r) =>
    `workgroup ${r.workgroupSize}: compile ${ms(r.profile.compileMs)}, pack ${ms(r.profile.packMs)}, upload ${ms(r.profile.uploadMs)}, kernels ${ms(r.profile.kernelMs)}, readback ${ms(r.profile.readbackMs)}, unpack ${ms(r.profile.unpackMs)}`).join("; ") +
    ". The rest of the end-to-end time is building the N args objects and checking them (prepareEnsemble).", "");
}
writeFileSync(join(HERE, "results", `${OUT_NAME}.md`), lines.join("\n") + "\n");
log(`wrote bench/results/${OUT_NAME}.json and .md`);
