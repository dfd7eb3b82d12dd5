/**
 * Large stiff systems: the 2-D Brusselator (test/stiff/bruss2d.ts) at N = 32, 64, 128 (2 048, 8 192
 * and 32 768 unknowns) and POLLU replicated over 1 000 independent cells (20 000 unknowns), written
 * in plain JavaScript with no Jacobian or pattern given (odeflow detects the pattern), against:
 *   - SciPy solve_ivp BDF with `jac_sparsity` (SuperLU on the sparse iteration matrix);
 *   - SUNDIALS CVODE with its band solver (difference-quotient band Jacobian, half-bandwidth 2N);
 *   - CVODE with SPGMR preconditioned by CVBandPrecInit (half-bandwidth 2);
 *   - CVODE with KLU and an analytic sparse Jacobian (Debian's SUNDIALS has KLU);
 * all in the same run (bench/c/cvode_large.c, bench/lib/bruss2d_scipy.py). Each odeflow and SciPy
 * solve runs in its own process, so that its peak resident memory is its own.
 *
 * References: POLLU's published y(60) (Bari test set) in every cell. The Brusselator has none: its
 * reference is CVODE with KLU at rtol = atol = 1e-11, cross-checked against odeflow's BDF at
 * rtol = atol = 1e-10 (the difference is printed; errors below 10× it are marked † and left out of
 * the ratios); both are cached in bench/build/refs/.
 *
 * Error: max-norm of y(t1) − reference. Ratio: peer time / time of the fastest odeflow solver at the
 * same error (log–log interpolation along each odeflow curve, or any odeflow solve at least as
 * accurate). Writes bench/results/large-systems.{md,json}.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { machineInfo, machineLine } from "./lib/machine.js";
import { pythonAvailable, runPythonJSON } from "./lib/python.js";
import { fmtRatio, fmtSci, fmtTime } from "./lib/timing.js";
import { maxError } from "./lib/workprecision.js";
import { POLLU_REFERENCE } from "./lib/large_problems.js";

const BENCH = dirname(fileURLToPath(import.meta.url));
const quick = process.env.BENCH_QUICK === "1";
const minTime = quick ? 0 : 0.3;
/** Repeat a solve for timing only while one solve takes less than this (s). */
const repeatBelow = quick ? 0 : 5;
/** Stop a curve (tighter tolerances cost more) after a solve slower than this (s). */
const curveBudget = quick ? 20 : 120;

interface Problem { key: string; problem: "BRUSS2D" | "POLLU"; size: number; n: number; atolOf: (r: number) => number; ref: number[]; refNote: string }
interface Point {
  problem: string; solver: string; rtol: number; error: number; time: number; steps?: number; fevals?: number; jevals?: number;
  factorizations?: number; linIters?: number; peakMB?: number; marked?: boolean;
}
const points: Point[] = [];
const notes: string[] = [];

// A partial run (for a busy machine) narrows the sweep: BENCH_LARGE_N="32,64", BENCH_LARGE_RTOLS="1e-4,1e-6",
// BENCH_LARGE_CURVES="BDF" (substring of the odeflow curve names), BENCH_LARGE_PEERS="scipy,klu", BENCH_LARGE_POLLU=0; it writes
// large-systems.partial.{md,json} and leaves the full results alone.
const envList = (name: string): string[] | null => (process.env[name] ? process.env[name]!.split(",").map((x) => x.trim()) : null);
const partial = ["BENCH_LARGE_N", "BENCH_LARGE_RTOLS", "BENCH_LARGE_CURVES", "BENCH_LARGE_PEERS"].some((k) => process.env[k] !== undefined) || process.env.BENCH_LARGE_POLLU === "0";
const rtols = envList("BENCH_LARGE_RTOLS")?.map(Number) ?? (quick ? [1e-4, 1e-6] : [1e-4, 1e-5, 1e-6, 1e-7, 1e-8]);
const problems: Problem[] = [
  ...(envList("BENCH_LARGE_N")?.map(Number) ?? (quick ? [32] : [32, 64, 128])).map((N) => ({
    key: `BRUSS2D N=${N}`, problem: "BRUSS2D" as const, size: N, n: 2 * N * N, atolOf: (r: number) => r, ref: [] as number[], refNote: "",
  })),
  ...(process.env.BENCH_LARGE_POLLU === "0" ? [] : [
    { key: `POLLU x ${quick ? 100 : 1000}`, problem: "POLLU" as const, size: quick ? 100 : 1000, n: 20 * (quick ? 100 : 1000), atolOf: (r: number) => r, ref: [] as number[], refNote: "published (Bari test set)" },
  ]),
];
const curveFilter = envList("BENCH_LARGE_CURVES");
/** Peers to run (BENCH_LARGE_PEERS="scipy,band,gmres,klu"; default all). */
const peerFilter = envList("BENCH_LARGE_PEERS");
const peerWanted = (name: string): boolean => peerFilter === null || peerFilter.includes(name);

// ---------- C peer ----------
mkdirSync(join(BENCH, "build/refs"), { recursive: true });
const cvBin = join(BENCH, "build/cvode_large");
const cvLibs = [
  "-lsundials_cvode", "-lsundials_nvecserial", "-lsundials_sunlinsolband", "-lsundials_sunmatrixband", "-lsundials_sunlinsolspgmr",
  "-lsundials_sunlinsolklu", "-lsundials_sunmatrixsparse", "-lklu", "-lm",
];
const cvBuild = existsSync("/usr/include/cvode/cvode.h")
  ? spawnSync("gcc", ["-O3", "-march=native", "-I/usr/include/suitesparse", "-o", cvBin, join(BENCH, "c/cvode_large.c"), ...cvLibs], { encoding: "utf8" })
  : null;
const cvOk = cvBuild !== null && cvBuild.status === 0;
if (cvBuild === null) notes.push("CVODE skipped: SUNDIALS headers not found (apt-get install -y libsundials-dev libsuitesparse-dev).");
else if (!cvOk) notes.push(`CVODE skipped: gcc failed: ${cvBuild.stderr.trim().split("\n").slice(0, 3).join(" | ")}`);

interface RunOut { time: number; y: number[]; steps?: number; fevals?: number; jevals?: number; factorizations?: number; linIters?: number; peakMB?: number }
function cvode(p: Problem, ls: string, rtol: number, atol: number, repeat: boolean): RunOut | null {
  const r = spawnSync(cvBin, [p.problem, String(p.size), ls, String(rtol), String(atol), String(repeat ? minTime : 0), String(repeat ? repeatBelow : 0)], {
    encoding: "utf8", timeout: 3600e3, maxBuffer: 256 * 2 ** 20,
  });
  if (r.status !== 0) {
    notes.push(`CVODE ${ls} ${p.key} rtol ${rtol}: ${(r.stderr || String(r.error ?? r.signal)).trim()}`);
    return null;
  }
  const d = JSON.parse(r.stdout) as { time: number; y: number[]; steps: number; fevals: number; jevals: number; setups: number; liniters: number; peakKB: number };
  return { time: d.time, y: d.y, steps: d.steps, fevals: d.fevals, jevals: d.jevals, factorizations: d.setups, linIters: d.liniters, peakMB: d.peakKB / 1024 };
}

// ---------- odeflow (one process per solve) ----------
const worker = join(BENCH, "lib/large_odeflow.ts");
function odeflow(p: Problem, solver: string, options: object, rtol: number, atol: number): RunOut & { result: number; message: string } | null {
  const job = { problem: p.problem, size: p.size, solver, options, rtol, atol, minTime, maxTime: repeatBelow };
  const r = spawnSync(process.execPath, ["--import", "tsx", worker, JSON.stringify(job)], {
    encoding: "utf8", timeout: 3600e3, maxBuffer: 256 * 2 ** 20, env: process.env,
  });
  if (r.status !== 0) {
    notes.push(`odeflow ${solver} ${p.key} rtol ${rtol}: ${(r.stderr || String(r.error ?? r.signal)).trim().split("\n").slice(-2).join(" | ")}`);
    return null;
  }
  const d = JSON.parse(r.stdout) as { result: number; message: string; time: number; stats: Record<string, number>; peakKB: number; y: number[] };
  const s = d.stats;
  return {
    result: d.result, message: d.message, time: d.time, y: d.y, steps: s.numSteps, fevals: s.numFnEvals, jevals: s.numJacobianEvals,
    factorizations: s.numLUDecompositions, linIters: s.numLinearIterations, peakMB: d.peakKB / 1024,
  };
}

// ---------- references ----------
function referenceOf(p: Problem): void {
  if (p.problem === "POLLU") {
    p.ref = Array.from({ length: p.n }, (_, i) => POLLU_REFERENCE[i % 20]!);
    return;
  }
  const file = join(BENCH, `build/refs/bruss2d-${p.size}.json`);
  if (existsSync(file)) {
    const c = JSON.parse(readFileSync(file, "utf8")) as { y: number[]; note: string };
    p.ref = c.y;
    p.refNote = c.note;
    return;
  }
  if (!cvOk) {
    notes.push(`${p.key} skipped: its reference needs CVODE (KLU).`);
    return;
  }
  const cv = cvode(p, "klu", 1e-11, 1e-11, false);
  const of = odeflow(p, "BDF", { linearSolver: "sparse" }, 1e-10, 1e-10);
  if (cv === null) return;
  const diff = of === null || of.result !== 0 ? NaN : maxError(of.y, cv.y);
  p.ref = cv.y;
  p.refNote = `CVODE+KLU at rtol = atol = 1e-11; odeflow BDF (sparse) at 1e-10 differs by ${fmtSci(diff)}`;
  writeFileSync(file, JSON.stringify({ y: cv.y, note: p.refNote, diff }));
}
const refDiff = (p: Problem): number => {
  const m = /differs by ([0-9.e+-]+)/.exec(p.refNote);
  return m === null ? 0 : Number(m[1]);
};

// ---------- sweeps ----------
const ODEFLOW_CURVES: [string, string, object, (r: number) => boolean][] = [
  ["BDF (auto: sparse LU)", "BDF", {}, () => true],
  ["BDF gmres+ilu0", "BDF", { linearSolver: "gmres" }, () => true],
  ["RadauIIA5 (auto)", "RadauIIA5", {}, (r) => r <= 1e-6],
  ["Rodas5P (auto)", "Rodas5P", { autonomous: true }, (r) => r >= 1e-6],
];
const py = pythonAvailable();
if (!py.ok) notes.push(`SciPy skipped: ${py.reason}`);

function record(p: Problem, solver: string, rtol: number, out: RunOut): void {
  const error = maxError(out.y, p.ref);
  points.push({
    problem: p.key, solver, rtol, error, time: out.time, steps: out.steps, fevals: out.fevals, jevals: out.jevals,
    factorizations: out.factorizations, linIters: out.linIters, peakMB: out.peakMB, marked: error < 10 * refDiff(p),
  });
}

// Peak memory of the odeflow worker process on a trivial solve: Node, its TypeScript loader and the
// library, before any large array (subtract it to see what a solve itself holds).
const tiny = odeflow({ key: "BRUSS2D N=2", problem: "BRUSS2D", size: 2, n: 8, atolOf: (r) => r, ref: [], refNote: "" }, "BDF", {}, 1e-3, 1e-3);
const baselineMB = tiny?.peakMB ?? NaN;

for (const p of problems) {
  referenceOf(p);
  if (p.ref.length === 0) continue;
  console.log(`${p.key}: reference ${p.refNote}`);
  for (const [label, solver, options, use] of ODEFLOW_CURVES) {
    if (p.problem === "POLLU" && label.includes("gmres")) continue; // block-diagonal: sparse LU is exact and cheap
    if (curveFilter !== null && !curveFilter.some((c) => label.includes(c))) continue;
    for (const rtol of rtols.filter(use)) {
      const out = odeflow(p, solver, options, rtol, p.atolOf(rtol));
      if (out === null) break;
      if (out.result !== 0) {
        notes.push(`odeflow ${label} ${p.key} rtol ${rtol}: ${out.message}`);
        break;
      }
      record(p, `odeflow ${label}`, rtol, out);
      console.log(`  odeflow ${label} rtol ${rtol}: ${fmtTime(out.time)}, error ${fmtSci(maxError(out.y, p.ref))}`);
      if (out.time > curveBudget) break;
    }
  }
  if (cvOk) {
    for (const ls of ["band", "gmres", "klu"].filter(peerWanted)) {
      // The band solver's work grows as n · (2N)²: at N = 128 one solve takes many minutes.
      if (ls === "band" && p.problem === "BRUSS2D" && p.size >= 128) {
        notes.push(`CVODE band skipped at ${p.key}: a factorisation of half-bandwidth 2N = ${2 * p.size} costs n (2N)² ≈ ${fmtSci(p.n * 4 * p.size * p.size)} operations.`);
        continue;
      }
      for (const rtol of rtols) {
        const out = cvode(p, ls, rtol, p.atolOf(rtol), true);
        if (out === null) break;
        record(p, `CVODE ${ls === "band" ? "band" : ls === "gmres" ? "GMRES+bandprec" : "KLU"}`, rtol, out);
        console.log(`  CVODE ${ls} rtol ${rtol}: ${fmtTime(out.time)}, error ${fmtSci(maxError(out.y, p.ref))}`);
        if (out.time > curveBudget) break;
      }
    }
  }
  if (py.ok && peerWanted("scipy")) {
    for (const method of ["BDF"]) {
      for (const rtol of rtols) {
        const task = { problem: p.problem, N: p.size, cells: p.size, method, rtol, atol: p.atolOf(rtol) };
        const r = runPythonJSON<{ results: { ok: boolean; reason?: string; y: number[]; time: number; steps: number; fevals: number; jevals: number; lus: number; peakKB: number }[] }>(
          join(BENCH, "lib/bruss2d_scipy.py"), { tasks: [task], minTime, maxTime: repeatBelow }, 3600,
        );
        if (!r.ok) {
          notes.push(`SciPy ${method} ${p.key} rtol ${rtol}: ${r.reason}`);
          break;
        }
        const x = r.data.results[0]!;
        if (!x.ok) {
          notes.push(`SciPy ${method} ${p.key} rtol ${rtol}: ${x.reason}`);
          break;
        }
        record(p, `SciPy ${method}`, rtol, { time: x.time, y: x.y, steps: x.steps, fevals: x.fevals, jevals: x.jevals, factorizations: x.lus, peakMB: x.peakKB / 1024 });
        console.log(`  SciPy ${method} rtol ${rtol}: ${fmtTime(x.time)}, error ${fmtSci(maxError(x.y, p.ref))}`);
        if (x.time > curveBudget) break;
      }
    }
  }
}

// ---------- comparisons ----------
const usable = (q: Point): boolean => q.error > 0 && !q.marked;
function curveTimeAt(problem: string, solver: string, e: number): number {
  const c = points.filter((q) => q.problem === problem && q.solver === solver && usable(q)).sort((a, b) => b.error - a.error);
  for (let i = 0; i + 1 < c.length; i++) {
    const a = c[i]!;
    const b = c[i + 1]!;
    if (e <= a.error && e >= b.error && a.error > b.error) {
      const s = (Math.log(e) - Math.log(a.error)) / (Math.log(b.error) - Math.log(a.error));
      return Math.exp(Math.log(a.time) + s * (Math.log(b.time) - Math.log(a.time)));
    }
  }
  return NaN;
}
function odeflowBestAt(problem: string, e: number): { solver: string; time: number } {
  let best = { solver: "", time: NaN };
  for (const s of new Set(points.filter((q) => q.solver.startsWith("odeflow")).map((q) => q.solver))) {
    const t = curveTimeAt(problem, s, e);
    if (Number.isFinite(t) && !(t >= best.time)) best = { solver: s.replace("odeflow ", ""), time: t };
  }
  for (const q of points) {
    if (q.problem === problem && q.solver.startsWith("odeflow") && usable(q) && q.error <= e && !(q.time >= best.time)) {
      best = { solver: q.solver.replace("odeflow ", ""), time: q.time };
    }
  }
  return best;
}
const minRatio = (sel: (q: Point) => boolean): number => {
  const r = points.filter((q) => sel(q) && usable(q)).map((q) => q.time / odeflowBestAt(q.problem, q.error).time).filter(Number.isFinite);
  return r.length === 0 ? NaN : Math.min(...r);
};

const machine = machineInfo({ python: true, gcc: true });
const lines: string[] = [
  `# Large stiff systems: sparse direct and Krylov linear solvers${partial ? " (PARTIAL run: " + ["BENCH_LARGE_N", "BENCH_LARGE_RTOLS", "BENCH_LARGE_CURVES", "BENCH_LARGE_PEERS", "BENCH_LARGE_POLLU"].filter((k) => process.env[k] !== undefined).map((k) => `${k}=${process.env[k]}`).join(", ") + ")" : ""}`,
  "", machineLine(machine), "",
  "Error: max-norm of y(t1) − reference. Ratio: peer time / time of the fastest odeflow solver at the same error. Time: fastest of repeated solves " +
    `(repeated only below ${repeatBelow} s). Peak: the solving process's peak resident memory (of it, an odeflow worker on a trivial problem: ` +
    `${baselineMB.toFixed(0)} MB; Python with SciPy ≈ 90 MB; the C program ≈ 3 MB). ` +
    "odeflow gets the plain JavaScript f only (pattern detected, coloured differences); SciPy gets `jac_sparsity`; CVODE band and GMRES difference " +
    "quotients, CVODE KLU an analytic sparse Jacobian.", "",
];
for (const p of problems) {
  if (p.ref.length === 0) continue;
  lines.push(`## ${p.key} (n = ${p.n})`, "", `Reference: ${p.refNote}.`, "",
    "| solver | rtol | error | time | steps | f evals | J evals | factorisations | lin. iters | peak | peer / best odeflow (which) |",
    "|---|---|---|---|---|---|---|---|---|---|---|");
  for (const q of points.filter((x) => x.problem === p.key)) {
    let cell = "";
    if (!q.solver.startsWith("odeflow") && usable(q)) {
      const best = odeflowBestAt(q.problem, q.error);
      if (Number.isFinite(best.time)) cell = `${fmtRatio(q.time / best.time)} (${best.solver})`;
    }
    lines.push(`| ${q.solver} | ${fmtSci(q.rtol)} | ${fmtSci(q.error)}${q.marked ? " †" : ""} | ${fmtTime(q.time)} | ${q.steps ?? ""} | ${q.fevals ?? ""} | ${q.jevals ?? ""} | ` +
      `${q.factorizations ?? ""} | ${q.linIters ?? ""} | ${q.peakMB === undefined ? "" : `${q.peakMB.toFixed(0)} MB`} | ${cell} |`);
  }
  lines.push("");
}
const verdict = (x: number, target: number, unit = "×"): string => (Number.isFinite(x) ? `${unit === "×" ? fmtRatio(x) : x.toFixed(2)} — ${x >= target ? "met" : "missed"}` : "no overlap");
const bdfAt = (key: string, rtol: number): Point | undefined => points.find((q) => q.problem === key && q.solver === "odeflow BDF (auto: sparse LU)" && q.rtol === rtol);
const b32 = bdfAt("BRUSS2D N=32", 1e-6);
const b128 = bdfAt("BRUSS2D N=128", 1e-6);
const slope = b32 && b128 ? Math.log(b128.time / b32.time) / Math.log(16) : NaN;
lines.push(
  "| target | measured |", "|---|---|",
  `| N = 64: ≥ 4× faster than SciPy BDF with jac_sparsity at matched error (smallest ratio) | ${verdict(minRatio((q) => q.problem === "BRUSS2D N=64" && q.solver === "SciPy BDF"), 4)} |`,
  `| N = 64: ≥ 20× faster than CVODE band at matched error (smallest ratio) | ${verdict(minRatio((q) => q.problem === "BRUSS2D N=64" && q.solver === "CVODE band"), 20)} |`,
  `| N = 128 at rtol 1e-6 in < 15 s within 1 GB (BDF, auto) | ${b128 ? `${fmtTime(b128.time)}, ${b128.peakMB!.toFixed(0)} MB — ${b128.time < 15 && b128.peakMB! < 1024 ? "met" : "missed"}` : "not run"} |`,
  `| time from N = 32 to N = 128 grows no faster than n^1.3 (BDF, auto, rtol 1e-6) | ${Number.isFinite(slope) ? `n^${slope.toFixed(2)} — ${slope <= 1.3 ? "met" : "missed"}` : "not run"} |`,
  "", "Smallest ratio at matched error against each peer (every problem where both ran):", "", "| problem | SciPy BDF | CVODE band | CVODE GMRES+bandprec | CVODE KLU |", "|---|---|---|---|---|",
);
for (const p of problems) {
  const cells = ["SciPy BDF", "CVODE band", "CVODE GMRES+bandprec", "CVODE KLU"].map((s) => {
    const r = minRatio((q) => q.problem === p.key && q.solver === s);
    return Number.isFinite(r) ? fmtRatio(r) : "–";
  });
  lines.push(`| ${p.key} | ${cells.join(" | ")} |`);
}
lines.push("", ...notes.map((n) => `- ${n}`));
mkdirSync(join(BENCH, "results"), { recursive: true });
const suffix = quick ? ".quick" : partial ? ".partial" : "";
writeFileSync(join(BENCH, `results/large-systems${suffix}.json`), JSON.stringify({ machine, baselineMB, points, notes, references: problems.map((p) => ({ problem: p.key, note: p.refNote })) }, null, 2));
writeFileSync(join(BENCH, `results/large-systems${suffix}.md`), lines.join("\n") + "\n");
console.log(lines.join("\n"));
