/**
 * Long-time energy behaviour (geometric integration): the Kepler problem with eccentricity 0.6,
 * H = |p|²/2 − 1/|q|, over 10⁵ orbits (10³ with BENCH_QUICK=1), for the symplectic splitting
 * methods at fixed step, VelocityVerlet with time-reversible adaptive steps (ReversibleStepSize,
 * s = r^{3/2}), and explicit Runge–Kutta methods with PID control. For each: steps, evaluations of
 * the force (or of f), wall time, and the largest energy error |H − H₀| in the first and the last
 * tenth of the run (their ratio shows drift: ≈ 1 bounded, ≈ 10 linear growth). Each method runs in
 * its own child process. Writes bench/results/geometry.{json,md} and the energy-drift plot
 * docs/geometry/energy-drift.svg (max |H − H₀| in logarithmic time bins).
 * Environment: BENCH_QUICK=1 for 10³ orbits; BENCH_SRC=1 to run src/ instead of dist/.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { renderSVG } from "../src/plot/index.js";
import { kepler } from "../examples/problems.js";
import { machineInfo, machineLine } from "./lib/machine.js";
import { loadOdeflow } from "./lib/odeflow.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const QUICK = process.env.BENCH_QUICK === "1";
const OUT_NAME = QUICK ? "geometry.quick" : "geometry";
const ORBITS = QUICK ? 1e3 : 1e5;
const CASE = process.argv[2] === "--case" ? process.argv[3]! : null;
const K = kepler(0.6);
const log = (s: string): void => console.log(`[geometry] ${s}`);

interface CaseResult { name: string; label: string; steps: number; evals: number; seconds: number; first: number; last: number; bins: [number, number][] }

const CASES: Record<string, { label: string; solver: string; fixed?: number; pid?: number; reversible?: number }> = {
  verlet: { label: "VelocityVerlet, h = T/100", solver: "VelocityVerlet", fixed: 100 },
  yoshida4: { label: "Yoshida4, h = T/50", solver: "Yoshida4", fixed: 50 },
  mcate4: { label: "McAte4, h = T/40", solver: "McAte4", fixed: 40 },
  "adaptive-verlet": { label: "VelocityVerlet + ReversibleStepSize, ε = 0.05", solver: "VelocityVerlet", reversible: 0.05 },
  tsit5: { label: "Tsit5, rtol = atol = 1e-8", solver: "Tsit5", pid: 1e-8 },
  dopri8: { label: "Dopri8, rtol = atol = 1e-10", solver: "Dopri8", pid: 1e-10 },
};

async function runCase(name: string): Promise<CaseResult> {
  const { lib } = await loadOdeflow();
  const c = CASES[name]!;
  const term = new lib.PartitionedTerm(K.first, K.second);
  const t1 = ORBITS * K.period;
  const Solver = (lib as unknown as Record<string, new () => InstanceType<typeof lib.Tsit5>>)[c.solver]!;
  const controller = c.fixed !== undefined
    ? new lib.ConstantStepSize()
    : c.pid !== undefined
      ? new lib.PIDController({ rtol: c.pid, atol: c.pid })
      : new lib.ReversibleStepSize({
        epsilon: c.reversible!, stepFunction: (t, y) => Math.hypot(y[0]!, y[1]!) ** 1.5,
        rate: (t, y) => (1.5 * (y[0]! * y[2]! + y[1]! * y[3]!)) / (y[0]! * y[0]! + y[1]! * y[1]!),
      });
  const H0 = K.energy(K.y0);
  // The largest |H − H₀| per logarithmic bin of time (10 per decade, from one orbit), from step ends.
  const decades = Math.log10(ORBITS);
  const nb = Math.round(10 * decades);
  const binMax = new Float64Array(nb);
  const start = performance.now();
  const sol = diffeq();
  function diffeq() {
    return lib.diffeqsolve({
      terms: term, solver: new Solver(), t0: 0, t1, dt0: c.fixed !== undefined ? K.period / c.fixed : undefined, y0: K.y0, stepsizeController: controller,
      maxSteps: 1e9,
      saveat: new lib.SaveAt({
        steps: 7,
        fn: (t: number, y: Float64Array) => {
          const e = Math.abs(K.energy(y) - H0);
          const b = Math.floor(10 * Math.log10(t / K.period));
          if (b >= 0 && b < nb && e > binMax[b]!) binMax[b] = e;
          return e;
        },
      }),
    });
  }
  const seconds = (performance.now() - start) / 1e3;
  const err = sol.ys.map((r) => r[0]!);
  const tenth = Math.floor(err.length / 10);
  let first = 0, last = 0;
  for (let i = 0; i < tenth; i++) first = Math.max(first, err[i]!);
  for (let i = err.length - tenth; i < err.length; i++) last = Math.max(last, err[i]!);
  const bins: [number, number][] = [];
  for (let b = 0; b < nb; b++) if (binMax[b]! > 0) bins.push([(b + 0.5) / 10, binMax[b]!]);
  return { name, label: c.label, steps: sol.stats.numSteps, evals: sol.stats.numFnEvals, seconds, first, last, bins };
}

if (CASE !== null) {
  process.stdout.write(JSON.stringify(await runCase(CASE)));
} else {
  const { from } = await loadOdeflow();
  const machine = machineInfo();
  log(`odeflow from ${from}; Kepler e = 0.6 over ${ORBITS} orbits`);
  const results: CaseResult[] = [];
  for (const name of Object.keys(CASES)) {
    const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), "--case", name], { encoding: "utf8", env: process.env, timeout: 3_600_000, maxBuffer: 1 << 26 });
    if (r.status !== 0) throw new Error(`[geometry] case ${name} failed: ${r.stderr}`);
    const c = JSON.parse(r.stdout) as CaseResult;
    results.push(c);
    log(`${c.label}: ${c.steps} steps, ${c.evals} evaluations, ${c.seconds.toPrecision(2)} s, max |ΔH| ${c.first.toExponential(2)} (first tenth) → ${c.last.toExponential(2)} (last tenth)`);
  }
  const md: string[] = [];
  md.push(`## Geometric integration: energy of the Kepler problem (e = 0.6) over ${ORBITS.toExponential(0)} orbits`, "");
  md.push(machineLine(machine), "");
  md.push(`odeflow from ${from}. T = 2π (one orbit). Largest |H − H₀| over the step ends of the first and the last tenth of the run; growth = last / first (≈ 1: bounded; ≈ 10: linear drift).`, "");
  md.push("| method | steps | evaluations | time | max \\|ΔH\\| first tenth | last tenth | growth |", "|---|---|---|---|---|---|---|");
  for (const c of results) md.push(`| ${c.label} | ${c.steps} | ${c.evals} | ${c.seconds.toPrecision(2)} s | ${c.first.toExponential(2)} | ${c.last.toExponential(2)} | ${(c.last / c.first).toFixed(2)} |`);
  md.push("", `Load average at start: ${machine.loadavg.join(" / ")} on ${machine.cores} cores${machine.loadavg[0]! > machine.cores ? " — above the core count: times are disturbed by other processes" : ""}.`, "");
  const svg = await renderSVG({
    title: `Kepler problem, e = 0.6: energy error over ${ORBITS.toExponential(0)} orbits`,
    x: { label: "orbits", log: true }, y: { label: "max |H − H₀|", log: true },
    series: results.map((c) => ({ x: c.bins.map((b) => 10 ** b[0]), y: c.bins.map((b) => b[1]), label: c.label, dashed: c.name === "tsit5" || c.name === "dopri8" })),
  });
  mkdirSync(join(HERE, "results"), { recursive: true });
  writeFileSync(join(HERE, "results", `${OUT_NAME}.md`), md.join("\n") + "\n");
  writeFileSync(join(HERE, "results", `${OUT_NAME}.json`), JSON.stringify({ machine, from, quick: QUICK, orbits: ORBITS, results }, null, 2) + "\n");
  if (!QUICK) writeFileSync(join(HERE, "..", "docs", "geometry", "energy-drift.svg"), svg);
  console.log(md.join("\n"));
}
