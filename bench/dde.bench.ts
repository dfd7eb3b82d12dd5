/**
 * Delay differential equations: work–precision of the method of steps.
 *
 * (1) MATLAB's dde23 example ddex1 (constant delays 1 and 0.2, history 1, on [0, 5]), error
 *     against its exact piecewise-polynomial solution (test/delay/reference.ts) at 51 times, for
 *     odeflow's Tsit5, Dopri5 and Vern7 wrapped by the method of steps, and for the peer: SciPy's
 *     solve_ivp (RK45 and DOP853) run interval by interval (bench/lib/dde_scipy.py — SciPy has no
 *     delay solver; this is the textbook method of steps with the same step breaks).
 * (2) DDETST D1 = MATLAB's ddesd example (a state-dependent delay; exact y = (log t, 1/t)) on
 *     [0.1, 5]: odeflow's Tsit5, Vern7 and Rodas5P (no peer: a state-dependent delay needs
 *     discontinuity tracking that the SciPy recipe does not have).
 *
 * Times are the fastest batch (bench/lib/timing.ts), in the same run for odeflow and SciPy.
 * Writes bench/results/dde.json and bench/results/dde.md (dde.quick.* with BENCH_QUICK=1).
 * Environment: BENCH_QUICK=1 for short timings; BENCH_SRC=1 to benchmark src/ instead of dist/.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { linearDde } from "../test/delay/reference.js";
import { machineInfo, machineLine } from "./lib/machine.js";
import { loadOdeflow } from "./lib/odeflow.js";
import { pythonAvailable, runPythonJSON } from "./lib/python.js";
import { fmtSci, fmtTime, timeIt } from "./lib/timing.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const QUICK = process.env.BENCH_QUICK === "1";
const OUT_NAME = QUICK ? "dde.quick" : "dde";
const { lib, from } = await loadOdeflow();
const timing = QUICK ? { minTime: 0.05, runs: 3, warmup: 0.03 } : { minTime: 0.3, runs: 5, warmup: 0.1 };
const TOLS = QUICK ? [1e-4, 1e-8] : [1e-4, 1e-6, 1e-8, 1e-10];
const log = (s: string): void => console.log(`[dde] ${s}`);
log(`odeflow from ${from}${QUICK ? "; QUICK timings" : ""}`);
const machine = machineInfo({ python: true });
const { DelayTerm, diffeqsolve, PIDController, SaveAt, Tsit5, Dopri5, Vern7, Rodas5P } = lib;

interface Point { solver: string; tol: number; seconds: number; error: number; steps: number; fevals: number }

// ---- (1) ddex1 ----
const ddex1Exact = linearDde(3, 0.2, 25, [1, 1, 1], [
  [{ dst: 0, src: 0, lag: 5, coef: 1 }],
  [{ dst: 1, src: 0, lag: 5, coef: 1 }, { dst: 1, src: 1, lag: 1, coef: 1 }],
  [{ dst: 2, src: 1, lag: 0, coef: 1 }],
]);
const ts = Array.from({ length: 51 }, (_, i) => i / 10);
/** Max error over ts and components, relative to max |y| (y3(5) ≈ 190). */
function relError(ys: ArrayLike<number>[], exact: (t: number) => number[], times: ArrayLike<number>): number {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < times.length; i++) {
    const e = exact(times[i]!);
    for (let j = 0; j < e.length; j++) {
      err = Math.max(err, Math.abs(ys[i]![j]! - e[j]!));
      scale = Math.max(scale, Math.abs(e[j]!));
    }
  }
  return err / scale;
}
const ddex1 = new DelayTerm((_t: number, y: Float64Array, _a: unknown, dy: Float64Array, h) => {
  dy[0] = h.delayed[0]![0]!;
  dy[1] = h.delayed[0]![0]! + h.delayed[1]![1]!;
  dy[2] = y[1]!;
}, { delays: [1, 0.2], history: 1 });

function sweep(name: string, make: () => InstanceType<typeof Tsit5>, options: (tol: number) => Parameters<typeof diffeqsolve>[0], exact: (t: number) => number[]): Point[] {
  const out: Point[] = [];
  for (const tol of TOLS) {
    const o = options(tol);
    const solve = () => diffeqsolve({ ...o, solver: make() });
    const sol = solve();
    const t = timeIt(solve, timing);
    const error = relError(sol.ys, exact, sol.ts);
    out.push({ solver: name, tol, seconds: t.min, error, steps: sol.stats.numAcceptedSteps, fevals: sol.stats.numFnEvals });
    log(`${name} tol ${tol}: ${fmtTime(t.min)}, error ${fmtSci(error)}, ${sol.stats.numAcceptedSteps} steps`);
  }
  return out;
}
const ddex1Options = (tol: number) => ({
  terms: ddex1, solver: new Tsit5(), t0: 0, t1: 5, y0: [1, 1, 1], saveat: new SaveAt({ ts }),
  stepsizeController: new PIDController({ rtol: tol, atol: tol }),
});
const ddex1Points: Point[] = [];
for (const [name, make] of [["Tsit5", () => new Tsit5()], ["Dopri5", () => new Dopri5()], ["Vern7", () => new Vern7()]] as const) {
  ddex1Points.push(...sweep(`odeflow ${name}`, make as () => InstanceType<typeof Tsit5>, ddex1Options, ddex1Exact));
}

// ---- SciPy peer on ddex1 ----
let scipyNote = "";
let scipyVersion = "";
const py = pythonAvailable();
if (py.ok) {
  log("SciPy solve_ivp, interval by interval …");
  const r = runPythonJSON<{ results: { method: string; tol: number; seconds: number; ys: number[][]; nfev: number }[]; scipy: string }>(
    join(HERE, "lib", "dde_scipy.py"), { runs: timing.runs, minTime: timing.minTime, tols: TOLS, methods: ["RK45", "DOP853"], ts },
  );
  if (r.ok) {
    scipyVersion = r.data.scipy;
    for (const p of r.data.results) {
      const error = relError(p.ys, ddex1Exact, ts);
      ddex1Points.push({ solver: `SciPy ${p.method}`, tol: p.tol, seconds: p.seconds, error, steps: NaN, fevals: p.nfev });
      log(`SciPy ${p.method} tol ${p.tol}: ${fmtTime(p.seconds)}, error ${fmtSci(error)}`);
    }
  } else scipyNote = r.reason;
} else scipyNote = py.reason;

// ---- (2) DDETST D1, state-dependent delay ----
const d1 = new DelayTerm((_t: number, y: Float64Array, _a: unknown, dy: Float64Array, h) => {
  dy[0] = y[1]!;
  dy[1] = -h.delayed[0]![1]! * y[1]! ** 2 * Math.exp(1 - y[1]!);
}, { delays: [(t: number, y: Float64Array) => t - Math.exp(1 - y[1]!)], history: (t: number) => [Math.log(t), 1 / t] });
const d1Times = Array.from({ length: 50 }, (_, i) => 0.1 + (4.9 * (i + 1)) / 50);
const d1Options = (tol: number) => ({
  terms: d1, solver: new Tsit5(), t0: 0.1, t1: 5, y0: [Math.log(0.1), 10], saveat: new SaveAt({ ts: d1Times }),
  stepsizeController: new PIDController({ rtol: tol, atol: tol }),
});
const d1Exact = (t: number) => [Math.log(t), 1 / t];
const d1Points: Point[] = [];
for (const [name, make] of [["Tsit5", () => new Tsit5()], ["Vern7", () => new Vern7()], ["Rodas5P", () => new Rodas5P()]] as const) {
  d1Points.push(...sweep(`odeflow ${name}`, make as unknown as () => InstanceType<typeof Tsit5>, d1Options, d1Exact));
}

// ---- report ----
const md: string[] = [];
md.push("## Delay differential equations", "", machineLine(machine), "", `odeflow from ${from}.`, "");
const table = (points: Point[]): void => {
  md.push("| solver | rtol = atol | time per solve | max relative error | steps | f evaluations |", "|---|---:|---:|---:|---:|---:|");
  for (const p of points) md.push(`| ${p.solver} | ${p.tol} | ${fmtTime(p.seconds)} | ${fmtSci(p.error)} | ${Number.isNaN(p.steps) ? "–" : p.steps} | ${p.fevals} |`);
  md.push("");
};
md.push("### MATLAB's ddex1 (delays 1 and 0.2), error against the exact piecewise polynomial at 51 times", "");
md.push(`SciPy ${scipyVersion || "(not run)"}: solve_ivp interval by interval over [k·0.2, (k+1)·0.2] with dense output as the history (SciPy has no delay solver). ${scipyNote}`, "");
table(ddex1Points);
const ratio = (tol: number, a: string, b: string): string => {
  const pa = ddex1Points.find((p) => p.solver === a && p.tol === tol);
  const pb = ddex1Points.find((p) => p.solver === b && p.tol === tol);
  return pa && pb ? `${(pb.seconds / pa.seconds).toFixed(1)}×` : "–";
};
md.push("Time of the SciPy recipe over odeflow's at the same tolerance (same method pair: Dopri5 / RK45 are both Dormand–Prince 5(4)):", "");
md.push("| rtol | SciPy RK45 / odeflow Dopri5 | SciPy DOP853 / odeflow Vern7 |", "|---:|---:|---:|");
for (const tol of TOLS) md.push(`| ${tol} | ${ratio(tol, "odeflow Dopri5", "SciPy RK45")} | ${ratio(tol, "odeflow Vern7", "SciPy DOP853")} |`);
md.push("");
md.push("At equal tolerance SciPy's recipe is the more accurate (its 25 restarts force short steps), so the fair figure is time at equal error: for each SciPy point, the fastest odeflow solve (any of its three methods) with an error no larger.", "");
md.push("| SciPy point | its error | its time | fastest odeflow at ≤ that error | time | SciPy / odeflow |", "|---|---:|---:|---|---:|---:|");
for (const p of ddex1Points.filter((q) => q.solver.startsWith("SciPy"))) {
  const best = ddex1Points.filter((q) => q.solver.startsWith("odeflow") && q.error <= p.error).sort((a, b) => a.seconds - b.seconds)[0];
  md.push(best === undefined
    ? `| ${p.solver} ${p.tol} | ${fmtSci(p.error)} | ${fmtTime(p.seconds)} | none reaches it | – | – |`
    : `| ${p.solver} ${p.tol} | ${fmtSci(p.error)} | ${fmtTime(p.seconds)} | ${best.solver} ${best.tol} (${fmtSci(best.error)}) | ${fmtTime(best.seconds)} | ${(p.seconds / best.seconds).toFixed(1)}× |`);
}
md.push("");
md.push("### DDETST D1 (state-dependent delay; exact log t, 1/t), error at 50 times on [0.1, 5]", "");
table(d1Points);
mkdirSync(join(HERE, "results"), { recursive: true });
writeFileSync(join(HERE, "results", `${OUT_NAME}.md`), md.join("\n"));
writeFileSync(join(HERE, "results", `${OUT_NAME}.json`), JSON.stringify({ machine, from, scipy: scipyVersion, scipyNote, ddex1: ddex1Points, d1: d1Points }, null, 1));
console.log(md.join("\n"));
