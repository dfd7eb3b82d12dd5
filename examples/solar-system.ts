/**
 * The outer solar system (Sun, Jupiter, Saturn, Uranus, Neptune, Pluto) with the published data
 * of Hairer, Lubich & Wanner, Geometric Numerical Integration, §I.2.4, over 2·10⁶ days (about
 * 5500 years): symplectic splitting (VelocityVerlet at 100 days, Yoshida4 at 50 days) keeps the
 * energy error bounded and the angular momentum exact, while Tsit5, at a tolerance that costs about
 * as many force evaluations, lets the energy drift. Writes out/solar-system-orbits.svg (the orbits)
 * and out/solar-system-energy.svg (the relative energy error against time).
 *
 * Run: node --import tsx examples/solar-system.ts
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import {
  type AbstractSolver, ConstantStepSize, diffeqsolve, PartitionedTerm, PIDController, SaveAt, Tsit5, VelocityVerlet, Yoshida4,
} from "../src/index.js";
import { renderSVG } from "../src/plot/index.js";
import { outerSolarSystem as S } from "./problems.js";

// y = (q, p): 18 positions, then 18 momenta. q′ = ∂H/∂p = p/m, p′ = −∂H/∂q (the pairwise forces).
const terms = new PartitionedTerm(S.first, S.second);
const y0 = S.y0();
const H0 = S.energy(y0);
const L0 = S.angularMomentum(y0);
const t1 = 2e6;

function run(label: string, solver: AbstractSolver, controller: ConstantStepSize | PIDController, dt0?: number) {
  const start = performance.now();
  const sol = diffeqsolve({ terms, solver, t0: 0, t1, dt0, y0, stepsizeController: controller, saveat: new SaveAt({ steps: 20 }), maxSteps: 1e7 });
  const ms = performance.now() - start;
  const dH = sol.ys.map((y) => S.energy(y) / H0 - 1);
  const dL = Math.max(...sol.ys.map((y) => { const L = S.angularMomentum(y); return Math.hypot(L[0]! - L0[0]!, L[1]! - L0[1]!, L[2]! - L0[2]!); })) / Math.hypot(...L0);
  const maxAbs = (a: number[]) => Math.max(...a.map(Math.abs));
  const tenth = Math.floor(dH.length / 10);
  console.log(
    `${label.padEnd(28)} ${String(sol.stats.numSteps).padStart(7)} steps, ${String(sol.stats.numFnEvals).padStart(7)} force evaluations, ${ms.toFixed(0).padStart(5)} ms: ` +
      `max |ΔH/H| ${maxAbs(dH.slice(0, tenth)).toExponential(2)} (first tenth) → ${maxAbs(dH.slice(-tenth)).toExponential(2)} (last tenth), max |ΔL|/|L| ${dL.toExponential(1)}`,
  );
  return { label, sol, dH };
}

const runs = [
  run("VelocityVerlet, h = 100 d", new VelocityVerlet(), new ConstantStepSize(), 100),
  run("Yoshida4, h = 50 d", new Yoshida4(), new ConstantStepSize(), 50),
  run("Tsit5, rtol = 1e-6", new Tsit5(), new PIDController({ rtol: 1e-6, atol: 1e-9 })),
];

const out = resolve("out");
mkdirSync(out, { recursive: true });
const yoshida = runs[1]!.sol;
writeFileSync(resolve(out, "solar-system-orbits.svg"), await renderSVG({
  title: "Outer solar system over 2·10⁶ days (Yoshida4, h = 50 days)", x: { label: "x (AU)" }, y: { label: "y (AU)" }, equalAspect: true,
  series: S.bodies.map((name, i) => ({ x: yoshida.ys.map((y) => y[3 * i]!), y: yoshida.ys.map((y) => y[3 * i + 1]!), label: name })),
}));
writeFileSync(resolve(out, "solar-system-energy.svg"), await renderSVG({
  title: "Outer solar system: relative energy error", x: { label: "years" }, y: { label: "(H − H₀) / H₀" },
  series: runs.map((r) => ({ x: Array.from(r.sol.ts, (t) => t / 365.25), y: r.dH, label: r.label, dashed: r.label.startsWith("Tsit5") })),
}));
console.log(`Plots written to ${out}/ (solar-system-orbits.svg, solar-system-energy.svg)`);
