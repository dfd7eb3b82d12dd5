/**
 * The WebAssembly SIMD path of the explicit solvers against the JavaScript path, native C and
 * SciPy, on large states.
 *
 * 1. Per element-step: y' = −k⊙y (k_i = 1 + (i mod 7)/10), Dopri5, fixed steps and adaptive
 *    (rtol 1e-6, atol 1e-9), n = 10 … 10⁵, against C (bench/c/rk_vec.c with the step generated
 *    from the same tableau, gcc -O3 -march=native, same run). odeflow variants: JavaScript and
 *    WebAssembly with a plain function (one call per stage) and with the compiled field (fused),
 *    through diffeqsolve (today's loop: state copied in and out, the norm in JavaScript) and
 *    through a minimal loop that uses the zero-copy hook (bench/lib/erk-driver.ts), and the
 *    default (`backend: "auto"`). Targets: n ≥ 10⁴ ≤ 1.5× C, n = 10³ ≤ 2× C per element-step;
 *    small n: auto no slower than JavaScript.
 * 2. Crossover per method: the smallest power-of-two n from which WebAssembly is faster than
 *    JavaScript (diffeqsolve, fixed steps), with a plain function and with a compiled field;
 *    this sets the thresholds of `backend: "auto"` (src/wasm/erk-backend.ts).
 * 3. End to end, Tsit5 adaptive (rtol 1e-6, atol 1e-9): the 1-D heat equation (explicit, n = 10⁵)
 *    and the 2-D wave equation (512² grid, n = 2·512²) against C (Tsit5 generated from the
 *    same tableau) and SciPy solve_ivp RK45 and DOP853 (NumPy-vectorised f).
 *
 * Writes bench/results/wasm.json and bench/results/wasm.md. BENCH_QUICK=1: a reduced sweep that
 * checks the harness (smaller n, short timings, no 2-D wave at full size). BENCH_WASM_PARTS=1,3
 * (any of 1, 2, 3): run only those parts; the others are kept from the previous results file
 * (each part records the machine and load it ran under).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ExplicitRungeKutta, InPlaceVectorField } from "../src/index.js";
import { driver } from "./lib/erk-driver.js";
import { machineInfo, machineLine } from "./lib/machine.js";
import { BUILD_DIR, CFLAGS, runNativeJSON } from "./lib/native.js";
import { loadOdeflow } from "./lib/odeflow.js";
import { pythonAvailable, runPythonJSON } from "./lib/python.js";
import { rkHeader } from "./lib/rk-c.js";
import { fmtRatio, fmtTime, timeIt } from "./lib/timing.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const RESULTS_DIR = join(HERE, "results");
const QUICK = process.env.BENCH_QUICK === "1";
const OUT_NAME = QUICK ? "wasm.quick" : "wasm";
const timing = QUICK ? { minTime: 0.05, runs: 3, warmup: 0.02 } : { minTime: 0.3, runs: 5, warmup: 0.1 };
const log = (s: string): void => console.log(`[wasm] ${s}`);
const PARTS = new Set((process.env.BENCH_WASM_PARTS ?? "1,2,3").split(",").map((x) => x.trim()));

const { lib, from } = await loadOdeflow();
const machine = machineInfo({ gcc: true, python: true });
log(`odeflow from ${from}; ${QUICK ? "QUICK" : "full"} run; load average ${machine.loadavg.join(" / ")}`);
mkdirSync(BUILD_DIR, { recursive: true });
mkdirSync(RESULTS_DIR, { recursive: true });

type Method = "Dopri5" | "Tsit5" | "Dopri8" | "Vern7" | "Vern9" | "Bosh3" | "Heun";
const make = (name: Method, opts: { backend?: "auto" | "js" | "wasm" } = {}): ExplicitRungeKutta =>
  new (lib as unknown as Record<string, new (o?: object) => ExplicitRungeKutta>)[name]!(opts);

// ---- C: the generated step of a method around bench/c/rk_vec.c ----

const cBuilds = new Map<string, { ok: true; binary: string; command: string } | { ok: false; reason: string }>();
function buildRk(name: Method) {
  let b = cBuilds.get(name);
  if (b !== undefined) return b;
  const header = join(BUILD_DIR, `rk_${name}.h`);
  writeFileSync(header, rkHeader(make(name).tableau));
  const binary = join(BUILD_DIR, `rk_vec_${name}`);
  const args = [...CFLAGS, `-DRK_HEADER="${header}"`, "-o", binary, join(HERE, "c", "rk_vec.c"), "-lm"];
  const r = spawnSync("gcc", args, { encoding: "utf8" });
  b = r.error || r.status !== 0
    ? { ok: false as const, reason: r.error ? `gcc not found (${r.error.message})` : `gcc failed: ${r.stderr.trim().split("\n").slice(0, 3).join(" | ")}` }
    : { ok: true as const, binary, command: `gcc ${CFLAGS.join(" ")} -DRK_HEADER='"bench/build/rk_${name}.h"' -o bench/build/rk_vec_${name} bench/c/rk_vec.c -lm` };
  cBuilds.set(name, b);
  if (!b.ok) log(`C skipped for ${name}: ${b.reason}`);
  return b;
}

interface CResult { ok: boolean; steps: number; accepted: number; rejected: number; fevals: number; time: number; timeMedian: number; cpu: number; y0: number; yMid: number; yMax: number; ySum: number }

function y0File(key: string, y0: Float64Array): string {
  const file = join(BUILD_DIR, `y0_${key}.bin`);
  writeFileSync(file, new Uint8Array(y0.buffer, y0.byteOffset, y0.byteLength));
  return file;
}

function runC(name: Method, problem: string, y0: Float64Array, t0: number, t1: number, mode: { fixed: number } | { rtol: number; atol: number }): CResult | { skipped: string } {
  const b = buildRk(name);
  if (!b.ok) return { skipped: b.reason };
  const file = y0File(`${problem}_${y0.length}`, y0);
  const tail = "fixed" in mode ? ["fixed", String(mode.fixed)] : ["adaptive", String(mode.rtol), String(mode.atol)];
  const r = runNativeJSON<CResult>(b.binary, [problem, String(y0.length), file, String(t0), String(t1), String(timing.minTime), ...tail], 1200);
  return r.ok ? r.data : { skipped: r.reason };
}

// ---- problems as JavaScript ----

function decayField(n: number): InPlaceVectorField {
  const k = Float64Array.from({ length: n }, (_, i) => 1 + (i % 7) / 10);
  return (_t, y, _a, dy) => {
    for (let i = 0; i < n; i++) dy[i] = -k[i]! * y[i]!;
  };
}
const decaySource = "(t, y, a, dy) => { for (let i = 0; i < N; i++) dy[i] = -(1 + (i % 7) / 10) * y[i]; }";

function heatField(n: number): InPlaceVectorField {
  const h = 1 / (n + 1);
  const c = 1 / (h * h);
  return (_t, u, _a, du) => {
    du[0] = c * (0 - 2 * u[0]! + u[1]!);
    for (let i = 1; i < n - 1; i++) du[i] = c * (u[i - 1]! - 2 * u[i]! + u[i + 1]!);
    du[n - 1] = c * (u[n - 2]! - 2 * u[n - 1]! + 0);
  };
}
const heatSource = "(t, u, a, du) => { const h = 1 / (N + 1); const c = 1 / (h * h); for (let i = 0; i < N; i++) du[i] = c * ((i > 0 ? u[i - 1] : 0) - 2 * u[i] + (i < N - 1 ? u[i + 1] : 0)); }";

function waveField(m: number): InPlaceVectorField {
  const mm = m * m;
  const h = 1 / (m + 1);
  const c = 1 / (h * h);
  return (_t, y, _a, dy) => {
    for (let p = 0; p < mm; p++) dy[p] = y[mm + p]!;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        const p = i * m + j;
        const up = i > 0 ? y[p - m]! : 0;
        const down = i < m - 1 ? y[p + m]! : 0;
        const left = j > 0 ? y[p - 1]! : 0;
        const right = j < m - 1 ? y[p + 1]! : 0;
        dy[mm + p] = c * (up + down + left + right - 4 * y[p]!);
      }
    }
  };
}
const waveSource = "(t, y, a, dy) => { const h = 1 / (M + 1); const c = 1 / (h * h); for (let p = 0; p < M * M; p++) dy[p] = y[M * M + p]; " +
  "for (let i = 0; i < M; i++) for (let j = 0; j < M; j++) { const p = i * M + j; dy[M * M + p] = c * ((i > 0 ? y[p - M] : 0) + (i < M - 1 ? y[p + M] : 0) + (j > 0 ? y[p - 1] : 0) + (j < M - 1 ? y[p + 1] : 0) - 4 * y[p]); } }";

/** compile() of a source with constants, timed; null if it fails. */
function compileTimed(source: string, consts: Record<string, number>): { vf: ReturnType<typeof lib.compile>; seconds: number } | null {
  const a = performance.now();
  try {
    const vf = lib.compile(source, { consts });
    return { vf, seconds: (performance.now() - a) / 1e3 };
  } catch (e) {
    log(`compile failed: ${(e as Error).message}`);
    return null;
  }
}

// ---- odeflow runs ----

type Mode = { fixed: number } | { rtol: number; atol: number };
interface Variant { label: string; backend: "auto" | "js" | "wasm"; field: "plain" | "compiled"; loop: "diffeqsolve" | "hook" }

function odeflowRun(method: Method, v: Variant, f: InPlaceVectorField, vf: unknown, y0: Float64Array, t0: number, t1: number, mode: Mode) {
  const solver = make(method, { backend: v.backend });
  const terms = new lib.ODETerm((v.field === "plain" ? f : vf) as never);
  const fn = v.field === "plain" ? f : (vf as { f: InPlaceVectorField }).f;
  if (v.loop === "hook") {
    const solve = driver(solver, fn, y0.length, true, undefined, terms);
    return () => solve(y0, t0, t1, mode);
  }
  return () => {
    const sol = lib.diffeqsolve({
      terms, solver, t0, t1, y0, maxSteps: 10_000_000,
      ...("fixed" in mode ? { dt0: (t1 - t0) / mode.fixed, stepsizeController: new lib.ConstantStepSize() } : { stepsizeController: new lib.PIDController({ rtol: mode.rtol, atol: mode.atol }) }),
    });
    return { y: sol.ys[sol.ys.length - 1] as Float64Array, steps: sol.stats.numSteps, fevals: sol.stats.numFnEvals };
  };
}

const VARIANTS: Variant[] = [
  { label: "JS, plain f", backend: "js", field: "plain", loop: "diffeqsolve" },
  { label: "JS, compiled f", backend: "js", field: "compiled", loop: "diffeqsolve" },
  { label: "Wasm, plain f", backend: "wasm", field: "plain", loop: "diffeqsolve" },
  { label: "Wasm, plain f, hook", backend: "wasm", field: "plain", loop: "hook" },
  { label: "Wasm, compiled f (fused)", backend: "wasm", field: "compiled", loop: "diffeqsolve" },
  { label: "Wasm, compiled f (fused), hook", backend: "wasm", field: "compiled", loop: "hook" },
  { label: "auto, plain f", backend: "auto", field: "plain", loop: "diffeqsolve" },
  { label: "auto, compiled f", backend: "auto", field: "compiled", loop: "diffeqsolve" },
];

/** One odeflow variant: wall-clock and CPU seconds per solve (fastest batch), and both per element-step. */
interface Measured { label: string; seconds: number; cpu: number; steps: number; nsPerElementStep: number; cpuNsPerElementStep: number; maxDiffVsJs?: number }

function maxDiff(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

// ---- 1. per element-step ----

const SIZES = QUICK ? [10, 1000, 10_000] : [10, 100, 1000, 10_000, 100_000];
interface SweepRow { n: number; mode: "fixed" | "adaptive"; compileSeconds: number | null; c: CResult | { skipped: string }; odeflow: Measured[] }
const sweep: SweepRow[] = [];
for (const n of PARTS.has("1") ? SIZES : []) {
  const y0 = Float64Array.from({ length: n }, (_, i) => 1 + 0.5 * Math.sin(i));
  const f = decayField(n);
  const compiled = compileTimed(decaySource, { N: n });
  for (const modeName of ["fixed", "adaptive"] as const) {
    const mode: Mode = modeName === "fixed" ? { fixed: Math.max(20, Math.min(20_000, Math.round((QUICK ? 2e5 : 2e6) / n))) } : { rtol: 1e-6, atol: 1e-9 };
    const t1 = modeName === "fixed" ? 1 : 4;
    const c = runC("Dopri5", "decay", y0, 0, t1, mode);
    const rows: Measured[] = [];
    let ref: Float64Array | undefined;
    for (const v of VARIANTS) {
      if (v.field === "compiled" && compiled === null) continue;
      const run = odeflowRun("Dopri5", v, f, compiled?.vf, y0, 0, t1, mode);
      const out = run();
      const tm = timeIt(run, timing);
      ref ??= Float64Array.from(out.y);
      rows.push({ label: v.label, seconds: tm.min, cpu: tm.cpu, steps: out.steps, nsPerElementStep: (tm.min / (out.steps * n)) * 1e9, cpuNsPerElementStep: (tm.cpu / (out.steps * n)) * 1e9, maxDiffVsJs: maxDiff(out.y, ref) });
    }
    const cText = "skipped" in c ? `C skipped (${c.skipped})` : `C ${((c.time / (c.steps * n)) * 1e9).toFixed(2)} ns (${c.steps} steps)`;
    log(`decay n = ${n} ${modeName}: ${cText}; ${rows.map((r) => `${r.label} ${r.nsPerElementStep.toFixed(2)} ns`).join("; ")}`);
    sweep.push({ n, mode: modeName, compileSeconds: compiled?.seconds ?? null, c, odeflow: rows });
  }
}

// ---- 2. crossover per method ----

const CROSS_N = QUICK ? [8, 64, 512] : [4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048];
const CROSS_METHODS: Method[] = QUICK ? ["Dopri5", "Tsit5"] : ["Heun", "Bosh3", "Dopri5", "Tsit5", "Dopri8", "Vern7", "Vern9"];
interface CrossRow { method: string; field: "plain" | "compiled"; points: { n: number; js: number; wasm: number }[]; crossover: number | null }
const crossovers: CrossRow[] = [];
for (const method of PARTS.has("2") ? CROSS_METHODS : []) {
  for (const field of ["plain", "compiled"] as const) {
    const points: CrossRow["points"] = [];
    for (const n of CROSS_N) {
      const y0 = Float64Array.from({ length: n }, (_, i) => 1 + 0.5 * Math.cos(i));
      const f = decayField(n);
      const vf = field === "compiled" ? compileTimed(decaySource, { N: n })?.vf : undefined;
      if (field === "compiled" && vf === undefined) continue;
      const steps = Math.max(50, Math.round((QUICK ? 2e4 : 1e5) / n));
      // CPU time: less disturbed than wall-clock time by other processes on a shared machine.
      const per = (backend: "js" | "wasm"): number => {
        const run = odeflowRun(method, { label: "", backend, field, loop: "diffeqsolve" }, f, vf, y0, 0, 1, { fixed: steps });
        return timeIt(run, { ...timing, minTime: timing.minTime / 2 }).cpu / steps;
      };
      points.push({ n, js: per("js"), wasm: per("wasm") });
    }
    // The smallest n from which WebAssembly is faster at every larger n measured.
    let crossover: number | null = null;
    for (let k = points.length - 1; k >= 0; k--) {
      if (points[k]!.wasm < points[k]!.js) crossover = points[k]!.n;
      else break;
    }
    crossovers.push({ method, field, points, crossover });
    log(`crossover ${method} (${field} f): ${crossover ?? "none"}; ${points.map((p) => `n=${p.n} ${fmtRatio(p.js / p.wasm)}`).join(" ")}`);
  }
}

// ---- 3. end to end: heat 1-D and wave 2-D with Tsit5 ----

interface E2E { problem: string; n: number; t1: number; rtol: number; atol: number; compileSeconds: number | null; c: CResult | { skipped: string }; odeflow: Measured[]; scipy: { method: string; time: number; cpu: number; steps: number; fevals: number; yMid: number }[] | { skipped: string }; yMidJs: number }
const e2e: E2E[] = [];
const py = pythonAvailable();
const E2E_RTOL = 1e-6;
const E2E_ATOL = 1e-9;
const problems3 = [
  { problem: "heat1d", n: QUICK ? 10_000 : 100_000, t1: QUICK ? 2e-6 : 2e-8, field: (n: number) => heatField(n), source: heatSource, consts: (n: number) => ({ N: n }),
    y0: (n: number) => Float64Array.from({ length: n }, (_, i) => { const x = (i + 1) / (n + 1); return Math.sin(Math.PI * x) + 0.1 * Math.sin(40 * Math.PI * x); }) },
  { problem: "wave2d", n: 2 * (QUICK ? 64 : 512) ** 2, t1: 0.1, field: (n: number) => waveField(Math.round(Math.sqrt(n / 2))), source: waveSource, consts: (n: number) => ({ M: Math.round(Math.sqrt(n / 2)) }),
    y0: (n: number) => {
      const m = Math.round(Math.sqrt(n / 2));
      const y = new Float64Array(n);
      for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) {
        const x = (i + 1) / (m + 1) - 0.5, z = (j + 1) / (m + 1) - 0.5;
        y[i * m + j] = Math.exp(-(x * x + z * z) / 0.005);
      }
      return y;
    } },
];
for (const p of PARTS.has("3") ? problems3 : []) {
  const { n, t1 } = p;
  const y0 = p.y0(n);
  const f = p.field(n);
  log(`${p.problem} n = ${n}: compiling the field …`);
  const compiled = compileTimed(p.source, p.consts(n));
  if (compiled !== null) log(`  compile: ${compiled.seconds.toFixed(1)} s`);
  const mode = { rtol: E2E_RTOL, atol: E2E_ATOL };
  const c = runC("Tsit5", p.problem, y0, 0, t1, mode);
  const rows: Measured[] = [];
  let ref: Float64Array | undefined;
  // Not "JS, compiled f": the JavaScript code of a compiled field of 10⁵–10⁶ operations takes tens
  // of seconds per solve (part 1 shows it at n = 10⁵); the WebAssembly path is what such fields get.
  for (const v of VARIANTS.filter((x) => x.backend !== "auto" && !(x.backend === "js" && x.field === "compiled"))) {
    if (v.field === "compiled" && compiled === null) continue;
    const run = odeflowRun("Tsit5", v, f, compiled?.vf, y0, 0, t1, mode);
    const out = run();
    const tm = timeIt(run, { ...timing, minTime: Math.min(timing.minTime, 0.5), slow: 2 });
    ref ??= Float64Array.from(out.y);
    rows.push({ label: v.label, seconds: tm.min, cpu: tm.cpu, steps: out.steps, nsPerElementStep: (tm.min / (out.steps * n)) * 1e9, cpuNsPerElementStep: (tm.cpu / (out.steps * n)) * 1e9, maxDiffVsJs: maxDiff(out.y, ref) });
    log(`  ${v.label}: ${fmtTime(tm.min)} wall, ${fmtTime(tm.cpu)} CPU (${out.steps} steps)`);
  }
  let scipy: E2E["scipy"];
  if (py.ok) {
    const file = y0File(`${p.problem}_${n}`, y0);
    const r = runPythonJSON<{ results: { id: string; time: number; cpu: number; steps: number; fevals: number; yMid: number }[] }>(join(HERE, "lib", "wasm_scipy.py"), {
      tasks: ["RK45", "DOP853"].map((method) => ({ id: method, problem: p.problem, n, y0file: file, t0: 0, t1, method, rtol: E2E_RTOL, atol: E2E_ATOL })),
      minTime: timing.minTime,
    }, 3600);
    scipy = r.ok ? r.data.results.map((x) => ({ method: x.id, time: x.time, cpu: x.cpu, steps: x.steps, fevals: x.fevals, yMid: x.yMid })) : { skipped: r.reason };
  } else scipy = { skipped: py.reason };
  const cText = "skipped" in c ? `C skipped (${c.skipped})` : `C ${fmtTime(c.time)} (${c.steps} steps)`;
  log(`  ${cText}; SciPy ${"skipped" in scipy ? scipy.skipped : scipy.map((s) => `${s.method} ${fmtTime(s.time)} (${s.steps} steps)`).join(", ")}`);
  e2e.push({ problem: p.problem, n, t1, rtol: E2E_RTOL, atol: E2E_ATOL, compileSeconds: compiled?.seconds ?? null, c, odeflow: rows, scipy, yMidJs: ref![n >> 1]! });
}

// ---- results ----

// Parts not run this time are kept from the previous results (with the machine block they ran under).
type PartMachines = Record<string, typeof machine>;
const jsonFile = join(RESULTS_DIR, `${OUT_NAME}.json`);
const previous = existsSync(jsonFile) ? (JSON.parse(readFileSync(jsonFile, "utf8")) as { sweep?: SweepRow[]; crossovers?: CrossRow[]; e2e?: E2E[]; machines?: PartMachines }) : {};
const machines: PartMachines = { ...(previous.machines ?? {}) };
for (const p of PARTS) machines[p] = machine;
if (!PARTS.has("1")) sweep.push(...(previous.sweep ?? []));
if (!PARTS.has("2")) crossovers.push(...(previous.crossovers ?? []));
if (!PARTS.has("3")) e2e.push(...(previous.e2e ?? []));
const json = { benchmark: "wasm", quick: QUICK, machine, machines, odeflow: from, timing, sweep, crossovers, e2e };
writeFileSync(jsonFile, JSON.stringify(json, null, 1));

const md: string[] = [];
md.push(`## WebAssembly SIMD path of the explicit solvers${QUICK ? " (QUICK harness check, not a result)" : ""}`, "");
md.push(machineLine(machine), "");
for (const [part, m] of Object.entries(machines).sort()) if (!PARTS.has(part)) md.push(`Part ${part} is from an earlier run: ${machineLine(m)}`, "");
md.push(`odeflow from ${from}. Times: fastest of ${timing.runs} timed batches after warm-up (bench/lib/timing.ts); ns per element-step = time / (steps × n). ` +
  "C: bench/c/rk_vec.c around the step generated from the same tableau (bench/lib/rk-c.ts), same run. " +
  "\"hook\": a minimal loop over the solver protocol that uses the zero-copy hook (state buffers in WebAssembly memory, the error norm there; bench/lib/erk-driver.ts) " +
  "with its workspace made once, as the C harness allocates once: what a step costs once the integration loop calls `vectorBackend`. " +
  "diffeqsolve (today's loop) makes the workspace per solve, copies y in and y1, yErr out each step and computes the norm in JavaScript.", "");
md.push("### 1. Dopri5 per element-step on y' = −k⊙y: ns wall-clock / ns CPU (ratio to C's, wall / CPU)", "");
const labels = VARIANTS.map((v) => v.label);
md.push(`| n | steps | C | ${labels.join(" | ")} |`, `|---|---|---:|${labels.map(() => "---:").join("|")}|`);
const cNs = (r: SweepRow, cpu = false): number => ("skipped" in r.c ? NaN : ((cpu ? r.c.cpu : r.c.time) / (r.c.steps * r.n)) * 1e9);
for (const r of sweep) {
  const c = cNs(r);
  const cc = cNs(r, true);
  const cells = labels.map((l) => {
    const m = r.odeflow.find((x) => x.label === l);
    return m === undefined ? "—" : `${m.nsPerElementStep.toFixed(1)} / ${m.cpuNsPerElementStep.toFixed(1)} (${fmtRatio(m.nsPerElementStep / c)} / ${fmtRatio(m.cpuNsPerElementStep / cc)})`;
  });
  md.push(`| ${r.n} ${r.mode} | ${r.odeflow[0]?.steps ?? "—"}${"skipped" in r.c ? "" : ` / C ${r.c.steps}`} | ${c.toFixed(1)} / ${cc.toFixed(1)} | ${cells.join(" | ")} |`);
}
md.push("");
md.push("Targets, on the WebAssembly path with the compiled field fused and the zero-copy hook (today's diffeqsolve beside it); small n: `backend: \"auto\"` against the JavaScript path:", "");
md.push("| n | mode | target | fused + hook / C, wall | CPU | verdict (wall / CPU) | fused, diffeqsolve / C, wall | CPU | auto / JS (plain f), wall | CPU |", "|---|---|---|---:|---:|---|---:|---:|---:|---:|");
for (const r of sweep) {
  const c = cNs(r);
  const cc = cNs(r, true);
  const get = (l: string, cpu = false): number => { const m = r.odeflow.find((x) => x.label === l); return m === undefined ? NaN : cpu ? m.cpuNsPerElementStep : m.nsPerElementStep; };
  const hw = get("Wasm, compiled f (fused), hook") / c;
  const hc = get("Wasm, compiled f (fused), hook", true) / cc;
  const target = r.n >= 10_000 ? 1.5 : r.n === 1000 ? 2 : NaN;
  const aw = get("auto, plain f") / get("JS, plain f");
  const ac = get("auto, plain f", true) / get("JS, plain f", true);
  const mark = (ok: boolean): string => (ok ? "**met**" : "**missed**");
  const verdict = Number.isNaN(target) ? `${mark(aw <= 1.05)} / ${mark(ac <= 1.05)}` : `${mark(hw <= target)} / ${mark(hc <= target)}`;
  md.push(`| ${r.n} | ${r.mode} | ${Number.isNaN(target) ? "auto no slower than JS" : `≤ ${target}× C`} | ${fmtRatio(hw)} | ${fmtRatio(hc)} | ${verdict} | ` +
    `${fmtRatio(get("Wasm, compiled f (fused)") / c)} | ${fmtRatio(get("Wasm, compiled f (fused)", true) / cc)} | ${fmtRatio(aw)} | ${fmtRatio(ac)} |`);
}
md.push("", `Compile times of the decay field (\`compile\` alone; the WebAssembly module is built on the first solve): ${sweep.filter((r) => r.mode === "fixed").map((r) => `n = ${r.n}: ${r.compileSeconds?.toFixed(2) ?? "—"} s`).join(", ")}.`, "");
md.push("### 2. Crossover: smallest n from which WebAssembly beats JavaScript (diffeqsolve, fixed steps, y' = −k⊙y; CPU time)", "");
md.push(`| method | f | crossover n | JS / Wasm time per step at n = ${CROSS_N.join(", ")} |`, "|---|---|---:|---|");
for (const r of crossovers) md.push(`| ${r.method} | ${r.field} | ${r.crossover ?? "none"} | ${r.points.map((p) => fmtRatio(p.js / p.wasm)).join(", ")} |`);
md.push("");
md.push("### 3. End to end, Tsit5 adaptive (rtol 1e-6, atol 1e-9)", "");
for (const r of e2e) {
  md.push(`**${r.problem}**, n = ${r.n}, t ∈ [0, ${r.t1}]; compile of the field: ${r.compileSeconds === null ? "failed" : `${r.compileSeconds.toFixed(1)} s`} (not in the times below).`, "");
  md.push("| solver | wall | CPU | steps | time / C's (wall, CPU) | SciPy RK45's / this (wall, CPU) | SciPy DOP853's / this (wall, CPU) | y at n/2 |", "|---|---:|---:|---:|---:|---:|---:|---:|");
  const cT = "skipped" in r.c ? NaN : r.c.time;
  const cC = "skipped" in r.c ? NaN : r.c.cpu;
  const sp = "skipped" in r.scipy ? [] : r.scipy;
  const rk45 = sp.find((s) => s.method === "RK45");
  const dop = sp.find((s) => s.method === "DOP853");
  const vs = (w: number, c: number): string => `${fmtRatio(w)}, ${fmtRatio(c)}`;
  const row = (name: string, wall: number, cpu: number, steps: number, y: string): string =>
    `| ${name} | ${fmtTime(wall)} | ${fmtTime(cpu)} | ${steps} | ${vs(wall / cT, cpu / cC)} | ${rk45 ? vs(rk45.time / wall, rk45.cpu / cpu) : "—"} | ${dop ? vs(dop.time / wall, dop.cpu / cpu) : "—"} | ${y} |`;
  if (!("skipped" in r.c)) md.push(row("C Tsit5 (gcc -O3 -march=native)", r.c.time, r.c.cpu, r.c.steps, r.c.yMid.toPrecision(10)));
  for (const m of r.odeflow) md.push(row(`odeflow Tsit5, ${m.label}`, m.seconds, m.cpu, m.steps, "—"));
  for (const s of sp) md.push(row(`SciPy ${s.method}`, s.time, s.cpu, s.steps, s.yMid.toPrecision(10)));
  if ("skipped" in r.scipy) md.push("", `SciPy skipped: ${r.scipy.skipped}`);
  md.push("", `odeflow y_mid = ${r.yMidJs.toPrecision(10)}.`, "");
}
writeFileSync(join(RESULTS_DIR, `${OUT_NAME}.md`), md.join("\n") + "\n");
log(`wrote bench/results/${OUT_NAME}.md and .json`);
