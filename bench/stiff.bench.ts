/**
 * Stiff work-precision: odeflow's Rodas5P and Rosenbrock23 against SciPy's solve_ivp BDF, Radau
 * and LSODA (python3, same run) on ROBER (t1 = 1e11) and VDPOL (ε = 1e-6, t1 = 2), with errors
 * measured against the published reference values in ../shared/reference/problems.json (max-norm
 * at t1). Ratios are taken at matched achieved error by log–log interpolation along odeflow's
 * Rodas5P curve (odeflow given the exact Jacobian, as the peers are). CVODE (SUNDIALS, BDF with a
 * dense direct solver and the exact Jacobian) runs from bench/c/cvode_stiff.c, built with gcc
 * against Debian's libsundials-dev into bench/build/; skipped with a notice when SUNDIALS is missing.
 *
 * Writes bench/results/stiff.json and bench/results/stiff.md.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
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
const refs = JSON.parse(readFileSync(join(BENCH, "../../shared/reference/problems.json"), "utf8")).problems;

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
const problems = [prob("ROBER", 1e11, (r) => 1e-6 * r, roberJac), prob("VDPOL", 2, (r) => r, vdpolJac)];
const rtols = quick ? [1e-4, 1e-7] : [1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10];

interface Point { solver: string; problem: string; rtol: number; error: number; time: number; steps?: number; fevals?: number }
const points: Point[] = [];
const notes: string[] = [];

for (const p of problems) {
  const curves = [
    ["Rodas5P (jac)", () => new lib.Rodas5P(), true],
    ["Rodas5P (FD)", () => new lib.Rodas5P(), false],
    ["Rosenbrock23 (jac)", () => new lib.Rosenbrock23(), true],
  ] as const;
  for (const [name, make, withJac] of curves) {
    for (const rtol of rtols) {
      if (name.startsWith("Rosenbrock23") && rtol < 1e-7) continue; // order 2: far too many steps at tight tolerances
      const opts = {
        terms: new lib.ODETerm(withJac ? { f: p.f, jac: p.jac } : p.f), solver: make(), t0: 0, t1: p.t1, y0: p.y0,
        stepsizeController: new lib.PIDController({ rtol, atol: p.atolOf(rtol) }), maxSteps: 10_000_000,
      };
      const sol = lib.diffeqsolve(opts);
      const tm = timeIt(() => {
        const s = lib.diffeqsolve({ ...opts, solver: make() });
        consume(s);
        return s;
      }, { minTime: quick ? 0.05 : 0.3, runs: 3 });
      points.push({ solver: `odeflow ${name}`, problem: p.name, rtol, error: maxError(sol.ys[0]!, p.ref), time: tm.min, steps: sol.stats.numSteps, fevals: sol.stats.numFnEvals });
    }
  }
}

const py = pythonAvailable();
if (py.ok) {
  const tasks = [];
  for (const p of problems) for (const method of ["BDF", "Radau", "LSODA"]) for (const rtol of rtols.filter((r) => r >= 1e-9)) {
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
// CVODE: our C harness against the system's SUNDIALS.
const cvBin = join(BENCH, "build/cvode_stiff");
const cvSrc = join(BENCH, "c/cvode_stiff.c");
const cvLibs = ["-lsundials_cvode", "-lsundials_nvecserial", "-lsundials_sunlinsoldense", "-lsundials_sunmatrixdense", "-lm"];
mkdirSync(join(BENCH, "build"), { recursive: true });
const cvBuild = existsSync("/usr/include/cvode/cvode.h")
  ? spawnSync("gcc", ["-O3", "-march=native", "-o", cvBin, cvSrc, ...cvLibs], { encoding: "utf8" })
  : null;
if (cvBuild === null) notes.push("CVODE skipped: SUNDIALS headers not found (apt-get install -y libsundials-dev).");
else if (cvBuild.status !== 0) notes.push(`CVODE skipped: gcc failed: ${cvBuild.stderr.trim().split("\n").slice(0, 3).join(" | ")}`);
else {
  for (const p of problems) {
    for (const rtol of rtols) {
      const r = spawnSync(cvBin, [p.name, String(rtol), String(p.atolOf(rtol)), String(p.t1), quick ? "0.05" : "0.3"], { encoding: "utf8", timeout: 120e3 });
      if (r.status !== 0) {
        notes.push(`CVODE ${p.name} rtol ${rtol}: ${r.stderr.trim()}`);
        continue;
      }
      const x = JSON.parse(r.stdout) as { y: number[]; time: number; steps: number; fevals: number };
      points.push({ solver: "CVODE (BDF)", problem: p.name, rtol, error: maxError(x.y, p.ref), time: x.time, steps: x.steps, fevals: x.fevals });
    }
  }
}

/** Time of odeflow Rodas5P at error e on problem p, by log–log interpolation (NaN outside its range). */
function rodasTimeAt(problem: string, e: number): number {
  const c = points.filter((q) => q.problem === problem && q.solver === "odeflow Rodas5P (jac)" && q.error > 0).sort((a, b) => b.error - a.error);
  for (let i = 0; i + 1 < c.length; i++) {
    const a = c[i]!;
    const b = c[i + 1]!;
    if (e <= a.error && e >= b.error) {
      const s = (Math.log(e) - Math.log(a.error)) / (Math.log(b.error) - Math.log(a.error));
      return Math.exp(Math.log(a.time) + s * (Math.log(b.time) - Math.log(a.time)));
    }
  }
  return NaN;
}

const machine = machineInfo({ python: true });
const lines: string[] = [
  "# Stiff solvers: work-precision", "", machineLine(machine), `odeflow from ${from}.`, "",
  "Error: max-norm at t1 against the published reference. Ratio: peer time / odeflow Rodas5P (exact Jacobian) time at the same error (log–log interpolation; blank outside Rodas5P's range). Target (issue 4): ≥ 20× faster than SciPy.", "",
  "| problem | solver | rtol | error | time | steps | f evals | peer/Rodas5P |", "|---|---|---|---|---|---|---|---|",
];
for (const q of points) {
  const ratio = q.solver.startsWith("odeflow") ? NaN : q.time / rodasTimeAt(q.problem, q.error);
  lines.push(`| ${q.problem} | ${q.solver} | ${fmtSci(q.rtol)} | ${fmtSci(q.error)} | ${fmtTime(q.time)} | ${q.steps ?? ""} | ${q.fevals ?? ""} | ${Number.isFinite(ratio) ? fmtRatio(ratio) : ""} |`);
}
for (const [peer, target, label] of [["SciPy", 20, "≥ 20× faster than SciPy"], ["CVODE", 1, "faster than CVODE (small systems, rtol ≥ 1e-8)"]] as const) {
  const ratios = points
    .filter((q) => q.solver.startsWith(peer) && (peer === "SciPy" || q.rtol >= 1e-8))
    .map((q) => q.time / rodasTimeAt(q.problem, q.error))
    .filter(Number.isFinite);
  if (ratios.length > 0) {
    const min = Math.min(...ratios);
    lines.push("", `Smallest ${peer}/Rodas5P time ratio at matched error: ${fmtRatio(min)} — target ${label}: ${min >= target ? "met" : "missed"}` +
      (peer === "CVODE" ? `; never slower than 1.5× CVODE: ${min >= 1 / 1.5 ? "met" : "missed"}.` : "."));
  }
}
lines.push("", ...notes.map((n) => `- ${n}`));
mkdirSync(join(BENCH, "results"), { recursive: true });
const suffix = quick ? ".quick" : "";
writeFileSync(join(BENCH, `results/stiff${suffix}.json`), JSON.stringify({ machine, from, points, notes }, null, 2));
writeFileSync(join(BENCH, `results/stiff${suffix}.md`), lines.join("\n") + "\n");
console.log(lines.join("\n"));
