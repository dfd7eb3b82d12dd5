/**
 * Stiff work-precision: odeflow's stiff solvers against SciPy's solve_ivp BDF, Radau and LSODA
 * (python3, same run) and SUNDIALS CVODE on ROBER (t1 = 1e11), VDPOL (ε = 1e-6, t1 = 2), HIRES
 * (t1 = 321.8122) and the 1-D Brusselator (N = 500, n = 1000, banded). Errors: max-norm at t1
 * against the published references (../shared/reference/problems.json for ROBER and VDPOL; the
 * Bari IVP test set for HIRES) and, for the Brusselator, against CVODE at rtol = atol = 1e-12
 * (no published value exists for N = 500). Ratios are taken at matched achieved error by log–log
 * interpolation along the odeflow curves (the fastest odeflow solver at that error). On ROBER and
 * VDPOL every solver gets the exact Jacobian; on HIRES and the Brusselator every solver
 * differentiates numerically (the Brusselator's banded pattern is given to all). CVODE (SUNDIALS, BDF with a
 * dense direct solver and the exact Jacobian) runs from bench/c/cvode_stiff.c, built with gcc
 * against Debian's libsundials-dev into bench/build/; skipped with a notice when SUNDIALS is missing.
 * A last section measures automatic compilation: each vector field as a plain function through
 * `new ODETerm(f)` (compiled: exact Jacobian) against `{ compile: false }` (finite differences).
 *
 * Writes bench/results/stiff.json and bench/results/stiff.md.
 */
import { readReferenceProblems } from "../test/reference/path.js";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { machineInfo, machineLine } from "./lib/machine.js";
import { loadOdeflow } from "./lib/odeflow.js";
import { pythonAvailable, runPythonJSON } from "./lib/python.js";
import { consume, fmtRatio, fmtSci, fmtTime, timeIt } from "./lib/timing.js";
import { maxError } from "./lib/workprecision.js";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const BENCH = dirname(fileURLToPath(import.meta.url));
const quick = process.env.BENCH_QUICK === "1";
const { lib, from } = await loadOdeflow();
const refs = readReferenceProblems().problems;

interface Prob {
  name: string;
  n: number;
  y0: number[];
  t1: number;
  ref: number[];
  f: (t: number, y: Float64Array, a: unknown, dy: Float64Array) => void;
  jac: (t: number, y: Float64Array, a: unknown, J: Float64Array) => void;
  atolOf: (rtol: number) => number;
}
function prob(name: string, t1: number, atolOf: (r: number) => number, jac: Prob["jac"]): Prob {
  const p = refs.find((q: { name: string }) => q.name === name);
  const body = (p.rhs as string[]).map((e, i) => `dy[${i}] = ${e};`).join("\n");
  const ref = p.reference.find((r: { t: number }) => r.t === t1).y;
  return { name, n: p.n, y0: p.y0, t1, ref, f: new Function("t", "y", "args", "dy", body) as Prob["f"], jac, atolOf };
}
const roberJac: Prob["jac"] = (_t, y, _a, J) => {
  J[0] = -0.04; J[1] = 1e4 * y[2]!; J[2] = 1e4 * y[1]!;
  J[3] = 0.04; J[4] = -1e4 * y[2]! - 6e7 * y[1]!; J[5] = -1e4 * y[1]!;
  J[6] = 0; J[7] = 6e7 * y[1]!; J[8] = 0;
};
const vdpolJac: Prob["jac"] = (_t, y, _a, J) => {
  J[0] = 0; J[1] = 1;
  J[2] = (-2 * y[0]! * y[1]! - 1) / 1e-6; J[3] = (1 - y[0]! * y[0]!) / 1e-6;
};
const hiresF: Prob["f"] = (_t, y, _a, d) => {
  d[0] = -1.71 * y[0]! + 0.43 * y[1]! + 8.32 * y[2]! + 0.0007;
  d[1] = 1.71 * y[0]! - 8.75 * y[1]!;
  d[2] = -10.03 * y[2]! + 0.43 * y[3]! + 0.035 * y[4]!;
  d[3] = 8.32 * y[1]! + 1.71 * y[2]! - 1.12 * y[3]!;
  d[4] = -1.745 * y[4]! + 0.43 * y[5]! + 0.43 * y[6]!;
  d[5] = -280 * y[5]! * y[7]! + 0.69 * y[3]! + 1.71 * y[4]! - 0.43 * y[5]! + 0.69 * y[6]!;
  d[6] = 280 * y[5]! * y[7]! - 1.81 * y[6]!;
  d[7] = -d[6]!;
};
/** HIRES at t = 321.8122: F. Mazzia & F. Iavernaro, Test Set for IVP Solvers (Bari), release 2.4, problem HIRES. */
const HIRES_REF = [
  0.7371312573325668e-3, 0.1442485726316185e-3, 0.5888729740967575e-4, 0.1175651343283149e-2,
  0.2386356198831331e-2, 0.6238968252742796e-2, 0.2849998395185769e-2, 0.2850001604814231e-2,
];
const BN = 500;
const brussF: Prob["f"] = (_t, y, _a, d) => {
  const c = (1 / 50) * (BN + 1) * (BN + 1);
  for (let i = 0; i < BN; i++) {
    const u = y[2 * i]!;
    const v = y[2 * i + 1]!;
    const ul = i === 0 ? 1 : y[2 * i - 2]!;
    const ur = i === BN - 1 ? 1 : y[2 * i + 2]!;
    const vl = i === 0 ? 3 : y[2 * i - 1]!;
    const vr = i === BN - 1 ? 3 : y[2 * i + 3]!;
    d[2 * i] = 1 + u * u * v - 4 * u + c * (ul - 2 * u + ur);
    d[2 * i + 1] = 3 * u - u * u * v + c * (vl - 2 * v + vr);
  }
};
const brussY0 = Array.from({ length: 2 * BN }, (_, k) => (k % 2 === 0 ? 1 + Math.sin((2 * Math.PI * (k / 2 + 1)) / (BN + 1)) : 3));
const brussSparsity = Array.from({ length: 2 * BN }, (_, i) => [i - 2, i - 1, i, i + 1, i + 2].filter((j) => j >= 0 && j < 2 * BN));

const problems: (Prob & { sparsity?: number[][]; exactJac: boolean })[] = [
  { ...prob("ROBER", 1e11, (r) => 1e-6 * r, roberJac), exactJac: true },
  { ...prob("VDPOL", 2, (r) => r, vdpolJac), exactJac: true },
  { name: "HIRES", n: 8, y0: [1, 0, 0, 0, 0, 0, 0, 0.0057], t1: 321.8122, ref: HIRES_REF, f: hiresF, jac: roberJac, atolOf: (r) => 1e-4 * r, exactJac: false },
  { name: "BRUSS", n: 2 * BN, y0: brussY0, t1: 10, ref: [], f: brussF, jac: roberJac, atolOf: (r) => r, exactJac: false, sparsity: brussSparsity },
];
const rtolsOf = (name: string): number[] =>
  quick ? [1e-4, 1e-7] : name === "BRUSS" ? [1e-4, 1e-5, 1e-6, 1e-7, 1e-8] : [1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10];

interface Point { solver: string; problem: string; rtol: number; error: number; time: number; steps?: number; fevals?: number }
const points: Point[] = [];
const notes: string[] = [];

// CVODE first: its tight-tolerance Brusselator solve is the reference for that problem.
const cvBin = join(BENCH, "build/cvode_stiff");
const cvSrc = join(BENCH, "c/cvode_stiff.c");
const cvLibs = [
  "-lsundials_cvode", "-lsundials_nvecserial", "-lsundials_sunlinsoldense", "-lsundials_sunmatrixdense",
  "-lsundials_sunlinsolband", "-lsundials_sunmatrixband", "-lm",
];
mkdirSync(join(BENCH, "build"), { recursive: true });
const cvBuild = existsSync("/usr/include/cvode/cvode.h")
  ? spawnSync("gcc", ["-O3", "-march=native", "-o", cvBin, cvSrc, ...cvLibs], { encoding: "utf8" })
  : null;
const cvOk = cvBuild !== null && cvBuild.status === 0;
if (cvBuild === null) notes.push("CVODE skipped: SUNDIALS headers not found (apt-get install -y libsundials-dev).");
else if (!cvOk) notes.push(`CVODE skipped: gcc failed: ${cvBuild.stderr.trim().split("\n").slice(0, 3).join(" | ")}`);
function cvode(p: Prob, rtol: number, atol: number, minTime: string): { y: number[]; time: number; steps: number; fevals: number } | null {
  const r = spawnSync(cvBin, [p.name, String(rtol), String(atol), String(p.t1), minTime], { encoding: "utf8", timeout: 300e3, maxBuffer: 64 * 2 ** 20 });
  if (r.status !== 0) {
    notes.push(`CVODE ${p.name} rtol ${rtol}: ${r.stderr.trim()}`);
    return null;
  }
  return JSON.parse(r.stdout) as { y: number[]; time: number; steps: number; fevals: number };
}
const bruss = problems.find((q) => q.name === "BRUSS")!;
if (cvOk) {
  const ref = cvode(bruss, 1e-12, 1e-12, "0");
  if (ref !== null) bruss.ref = ref.y;
}
const activeProblems = problems.filter((p) => p.ref.length > 0);
if (activeProblems.length < problems.length) notes.push("BRUSS skipped: its reference comes from CVODE, which is not available.");

for (const p of activeProblems) {
  const curves = [
    // Every problem here is autonomous: the Rosenbrock methods are told so (no ∂f/∂t), as CVODE needs none.
    ["Rodas5P", () => new lib.Rodas5P({ autonomous: true })],
    ["Rosenbrock23", () => new lib.Rosenbrock23({ autonomous: true })],
    ["BDF", () => new lib.BDF()],
    ["Kvaerno5", () => new lib.Kvaerno5()],
    ["RadauIIA5", () => new lib.RadauIIA5()],
  ] as const;
  for (const [name, make] of curves) {
    if (name === "RadauIIA5" && p.name === "BRUSS") continue; // dense complex LU of order 1000: not its use case
    for (const rtol of rtolsOf(p.name)) {
      if (name === "Rosenbrock23" && rtol < 1e-7) continue; // order 2: far too many steps at tight tolerances
      const vf = p.exactJac ? { f: p.f, jac: p.jac } : p.sparsity !== undefined ? { f: p.f, jacSparsity: p.sparsity } : p.f;
      const opts = {
        // { compile: false }: HIRES differences f like the peers (new ODETerm(f) would compile it and
        // use the exact Jacobian; the section after the table measures that).
        terms: new lib.ODETerm(vf, { compile: false }), solver: make(), t0: 0, t1: p.t1, y0: p.y0,
        stepsizeController: new lib.PIDController({ rtol, atol: p.atolOf(rtol) }), maxSteps: 10_000_000, throw: false,
      };
      const sol = lib.diffeqsolve(opts);
      if (sol.result !== 0) {
        notes.push(`odeflow ${name} ${p.name} rtol ${rtol}: ${sol.message}`);
        continue;
      }
      const tm = timeIt(() => {
        const s = lib.diffeqsolve({ ...opts, solver: make() });
        consume(s);
        return s;
      }, { minTime: quick ? 0.05 : 0.2, runs: 3 });
      points.push({ solver: `odeflow ${name}`, problem: p.name, rtol, error: maxError(sol.ys[0]!, p.ref), time: tm.min, steps: sol.stats.numSteps, fevals: sol.stats.numFnEvals });
    }
  }
}

const py = pythonAvailable();
if (py.ok) {
  const tasks = [];
  for (const p of activeProblems) for (const method of ["BDF", "Radau", "LSODA"]) for (const rtol of rtolsOf(p.name).filter((r) => r >= (p.name === "BRUSS" ? 1e-6 : 1e-9))) {
    tasks.push({ problem: p.name, method, rtol, atol: p.atolOf(rtol), t1: p.t1 });
  }
  const r = runPythonJSON<{ results: { problem: string; method: string; rtol: number; ok: boolean; reason?: string; y: number[]; time: number; steps: number; fevals: number }[] }>(
    join(BENCH, "lib/stiff_scipy.py"), { tasks, minTime: quick ? 0.05 : 0.3 }, 900,
  );
  if (r.ok) {
    for (const x of r.data.results) {
      const p = problems.find((q) => q.name === x.problem)!;
      if (!x.ok) notes.push(`SciPy ${x.method} ${x.problem} rtol ${x.rtol}: ${x.reason}`);
      else points.push({ solver: `SciPy ${x.method}`, problem: x.problem, rtol: x.rtol, error: maxError(x.y, p.ref), time: x.time, steps: x.steps, fevals: x.fevals });
    }
  } else notes.push(`SciPy: ${r.reason}`);
} else notes.push(`SciPy skipped: ${py.reason}`);
if (cvOk) {
  for (const p of activeProblems) {
    for (const rtol of rtolsOf(p.name)) {
      const x = cvode(p, rtol, p.atolOf(rtol), quick ? "0.05" : "0.2");
      if (x !== null) points.push({ solver: "CVODE (BDF)", problem: p.name, rtol, error: maxError(x.y, p.ref), time: x.time, steps: x.steps, fevals: x.fevals });
    }
  }
}

/** Time of an odeflow curve at error e on a problem, by log–log interpolation (NaN outside its range). */
function curveTimeAt(problem: string, solver: string, e: number): number {
  const c = points.filter((q) => q.problem === problem && q.solver === solver && q.error > 0).sort((a, b) => b.error - a.error);
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
/**
 * The fastest odeflow solve at error e (its solver and time), or NaN where none reaches e: the
 * smaller of the interpolated time along each odeflow curve and the measured time of any odeflow
 * solve that is at least as accurate (a solve more accurate and faster than the peer dominates it,
 * even where no curve passes through the peer's error).
 */
function odeflowBestAt(problem: string, e: number): { solver: string; time: number } {
  let best = { solver: "", time: NaN };
  for (const s of new Set(points.filter((q) => q.solver.startsWith("odeflow")).map((q) => q.solver))) {
    const t = curveTimeAt(problem, s, e);
    if (Number.isFinite(t) && !(t >= best.time)) best = { solver: s.replace("odeflow ", ""), time: t };
  }
  for (const q of points) {
    if (q.problem === problem && q.solver.startsWith("odeflow") && q.error > 0 && q.error <= e && !(q.time >= best.time)) {
      best = { solver: q.solver.replace("odeflow ", ""), time: q.time };
    }
  }
  return best;
}
/** Ratio peer/odeflow at the peer's error: against the best odeflow solver, or a named one. */
function ratioAt(q: Point, solver?: string): number {
  return q.time / (solver === undefined ? odeflowBestAt(q.problem, q.error).time : curveTimeAt(q.problem, `odeflow ${solver}`, q.error));
}

// Automatic compilation: each problem's vector field as a plain function, new ODETerm(f) (compiled:
// exact Jacobian, and for BRUSS its banded pattern) against { compile: false } (finite differences,
// dense for BRUSS: a plain function carries no pattern).
interface AutoRow { problem: string; solver: string; rtol: number; status: string; compiled: { time: number; error: number; steps: number; fevals: number }; asWritten: { time: number; error: number; steps: number; fevals: number } }
const autoRows: AutoRow[] = [];
{
  // The Brusselator as a user writes it, the grid size inside (brussF reads BN from outside, a closure).
  const brussNatural: Prob["f"] = (_t, y, _a, d) => {
    const N = 500;
    const c = (1 / 50) * (N + 1) * (N + 1);
    for (let i = 0; i < N; i++) {
      const u = y[2 * i]!;
      const v = y[2 * i + 1]!;
      const ul = i === 0 ? 1 : y[2 * i - 2]!;
      const ur = i === N - 1 ? 1 : y[2 * i + 2]!;
      const vl = i === 0 ? 3 : y[2 * i - 1]!;
      const vr = i === N - 1 ? 3 : y[2 * i + 3]!;
      d[2 * i] = 1 + u * u * v - 4 * u + c * (ul - 2 * u + ur);
      d[2 * i + 1] = 3 * u - u * u * v + c * (vl - 2 * v + vr);
    }
  };
  for (const p of activeProblems) {
    const f = p.name === "BRUSS" ? brussNatural : p.f;
    const status = new lib.ODETerm(f).compilation.status;
    for (const [name, make] of [["Rodas5P", () => new lib.Rodas5P({ autonomous: true })], ["BDF", () => new lib.BDF()]] as const) {
      for (const rtol of quick ? [1e-6] : [1e-6, 1e-8]) {
        const run = (terms: InstanceType<typeof lib.ODETerm>) => {
          const opts = { terms, solver: make(), t0: 0, t1: p.t1, y0: p.y0, stepsizeController: new lib.PIDController({ rtol, atol: p.atolOf(rtol) }), maxSteps: 10_000_000, throw: false };
          const sol = lib.diffeqsolve(opts);
          const tm = timeIt(() => { const s2 = lib.diffeqsolve({ ...opts, solver: make() }); consume(s2); return s2; }, { minTime: quick ? 0.05 : 0.2, runs: 3 });
          return { time: tm.min, error: sol.result === 0 ? maxError(sol.ys[0]!, p.ref) : NaN, steps: sol.stats.numSteps, fevals: sol.stats.numFnEvals };
        };
        autoRows.push({ problem: p.name, solver: name, rtol, status, compiled: run(new lib.ODETerm(f)), asWritten: run(new lib.ODETerm(f, { compile: false })) });
      }
    }
  }
}

const machine = machineInfo({ python: true });
const lines: string[] = [
  "# Stiff solvers: work-precision", "", machineLine(machine), `odeflow from ${from}.`, "",
  "Error: max-norm at t1 against the reference (see bench/stiff.bench.ts). Ratio: peer time / time of the fastest odeflow solver at the same error " +
    "(log–log interpolation along each odeflow curve, or any odeflow solve at least as accurate; blank where none reaches the error). Exact Jacobians for every code on ROBER and VDPOL, numerical ones on HIRES and BRUSS.", "",
  "| problem | solver | rtol | error | time | steps | f evals | peer / best odeflow (which) |", "|---|---|---|---|---|---|---|---|",
];
for (const q of points) {
  let cell = "";
  if (!q.solver.startsWith("odeflow")) {
    const best = odeflowBestAt(q.problem, q.error);
    if (Number.isFinite(best.time)) cell = `${fmtRatio(q.time / best.time)} (${best.solver})`;
  }
  lines.push(`| ${q.problem} | ${q.solver} | ${fmtSci(q.rtol)} | ${fmtSci(q.error)} | ${fmtTime(q.time)} | ${q.steps ?? ""} | ${q.fevals ?? ""} | ${cell} |`);
}
const minRatio = (sel: (q: Point) => boolean, solver?: string): number => {
  const r = points.filter(sel).map((q) => ratioAt(q, solver)).filter(Number.isFinite);
  return r.length === 0 ? NaN : Math.min(...r);
};
const small = (q: Point): boolean => q.problem !== "BRUSS";
const sc = minRatio((q) => q.solver.startsWith("SciPy"));
const cvR = minRatio((q) => q.solver.startsWith("CVODE") && small(q) && q.rtol >= 1e-8, "Rodas5P");
const cvAll = minRatio((q) => q.solver.startsWith("CVODE"));
const verdict = (x: number, target: number): string => (Number.isFinite(x) ? `${fmtRatio(x)} — ${x >= target ? "met" : "missed"}` : "no overlap");
lines.push(
  "", "| target | smallest ratio at matched error |", "|---|---|",
  `| ≥ 20× faster than SciPy (every problem, best odeflow solver) | ${verdict(sc, 20)} |`,
  `| faster than CVODE with Rodas5P on small systems (ROBER, VDPOL, HIRES) at rtol ≥ 1e-8 | ${verdict(cvR, 1)} |`,
  `| never slower than 1.5× CVODE (every problem, best odeflow solver) | ${verdict(cvAll, 1 / 1.5)} |`,
);
for (const p of activeProblems) {
  const r = minRatio((q) => q.problem === p.name && q.solver.startsWith("CVODE"));
  const s2 = minRatio((q) => q.problem === p.name && q.solver.startsWith("SciPy"));
  lines.push(`| ${p.name}: smallest CVODE ratio / smallest SciPy ratio | ${Number.isFinite(r) ? fmtRatio(r) : "–"} / ${Number.isFinite(s2) ? fmtRatio(s2) : "–"} |`);
}
lines.push(
  "", "## Automatic compilation: new ODETerm(f) against { compile: false }", "",
  "The same vector field as a plain function: `new ODETerm(f)` compiles it (exact Jacobian; for BRUSS also its banded pattern, so the LU is banded) " +
    "against `new ODETerm(f, { compile: false })` (finite-difference Jacobian; dense LU for BRUSS, where a plain function carries no pattern). " +
    "BRUSS is written with its grid size inside f (the table's brussF reads it from outside, which automatic compilation declines).", "",
  "| problem | solver | rtol | compiled? | time compiled / as written | ratio | error compiled / as written | f evals compiled / as written |", "|---|---|---|---|---|---|---|---|",
  ...autoRows.map((r) => `| ${r.problem} | ${r.solver} | ${fmtSci(r.rtol)} | ${r.status} | ${fmtTime(r.compiled.time)} / ${fmtTime(r.asWritten.time)} | ${fmtRatio(r.asWritten.time / r.compiled.time)} | ` +
    `${fmtSci(r.compiled.error)} / ${fmtSci(r.asWritten.error)} | ${r.compiled.fevals} / ${r.asWritten.fevals} |`),
);
lines.push("", ...notes.map((n) => `- ${n}`));
mkdirSync(join(BENCH, "results"), { recursive: true });
const suffix = quick ? ".quick" : "";
writeFileSync(join(BENCH, `results/stiff${suffix}.json`), JSON.stringify({ machine, from, points, automatic: autoRows, notes }, null, 2));
writeFileSync(join(BENCH, `results/stiff${suffix}.md`), lines.join("\n") + "\n");
console.log(lines.join("\n"));
