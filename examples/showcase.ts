/**
 * The main job (`npm start`): solves real problems with odeflow's explicit solvers, prints a
 * table per problem (solver, tolerance, steps, f-evaluations, wall time, error against the
 * reference) and writes SVG plots of the Lorenz attractor and the Arenstorf orbit.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import * as odeflow from "../src/index.js";
import { diffeqsolve, ODETerm, PIDController, SaveAt, type AbstractSolver } from "../src/index.js";
import { renderSVG, solutionFigure } from "../src/plot/index.js";
import { arenstorf, kulikov, lorenz } from "./problems.js";

type SolverCtor = new () => AbstractSolver<any>;
const names = ["Bosh3", "Tsit5", "Dopri5", "Dopri8", "Vern7", "Vern9"];
const solvers: [string, SolverCtor][] = names
  .filter((n) => typeof (odeflow as Record<string, unknown>)[n] === "function")
  .map((n) => [n, (odeflow as unknown as Record<string, SolverCtor>)[n]!]);

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Best-of-several wall time of one solve (the first runs warm up V8's optimiser). */
function timeSolve(run: () => unknown): number {
  let best = Infinity;
  const start = performance.now();
  for (let rep = 0; rep < 20 && (rep < 3 || performance.now() - start < 150); rep++) {
    const t = performance.now();
    run();
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

function table(rows: (string | number)[][], header: string[]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, j) => Math.max(...cells.map((r) => r[j]!.length)));
  const line = (r: string[]): string => r.map((c, j) => (j === 0 ? c.padEnd(widths[j]!) : c.padStart(widths[j]!))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(line)].join("\n");
}

interface Problem {
  name: string;
  t0: number;
  t1: number;
  y0: number[];
  args?: unknown;
  f: (t: number, y: Float64Array, args: any, dy: Float64Array) => void;
  reference: number[];
  referenceNote: string;
}

function lorenzReference(): number[] {
  // No closed form: the reference is the tightest solve of the highest-order method available,
  // cross-checked below against a second method.
  const [name, ctor] = solvers[solvers.length - 1]!;
  const sol = diffeqsolve({
    terms: new ODETerm(lorenz.f), solver: new ctor(), t0: lorenz.t0, t1: lorenz.t1, y0: lorenz.y0, args: lorenz.args,
    stepsizeController: new PIDController({ rtol: 1e-14, atol: 1e-14 }), maxSteps: 1_000_000,
  });
  lorenzNote = `reference: ${name} at rtol = atol = 1e-14`;
  return Array.from(sol.ys[0]!);
}
let lorenzNote = "";

const problems: Problem[] = [
  { ...kulikov, reference: kulikov.exact(kulikov.t1), referenceNote: "reference: closed form" },
  { ...arenstorf, reference: arenstorf.exact(arenstorf.t1), referenceNote: "reference: periodic orbit, y(T) = y0 (HNW I, p. 130)" },
  { ...lorenz, reference: lorenzReference(), referenceNote: "" },
];
problems[2]!.referenceNote = lorenzNote;

console.log(`odeflow showcase — Node ${process.version}, solvers: ${solvers.map((s) => s[0]).join(", ")}\n`);
for (const p of problems) {
  const rows: (string | number)[][] = [];
  for (const [name, ctor] of solvers) {
    for (const rtol of [1e-6, 1e-9, 1e-12]) {
      if (name === "Bosh3" && rtol < 1e-9) continue; // a third-order method needs millions of steps there
      const run = () =>
        diffeqsolve({
          terms: new ODETerm(p.f), solver: new ctor(), t0: p.t0, t1: p.t1, y0: p.y0, args: p.args,
          stepsizeController: new PIDController({ rtol, atol: rtol * 1e-3 }), maxSteps: 1_000_000,
        });
      const sol = run();
      const ms = timeSolve(run);
      rows.push([name, rtol.toExponential(0), sol.stats.numAcceptedSteps, sol.stats.numFnEvals, ms.toFixed(3), maxAbsDiff(sol.ys[0]!, p.reference).toExponential(2)]);
    }
  }
  console.log(`${p.name}, t ∈ [${p.t0}, ${+p.t1.toFixed(6)}] (${p.referenceNote})`);
  console.log(table(rows, ["solver", "rtol", "steps", "f evals", "time ms", "max error"]));
  console.log();
}

// Plots: sampled adaptively from the dense output (odeflow/plot; output times never shorten steps).
const outDir = resolve("out");
mkdirSync(outDir, { recursive: true });
const best = solvers.find((s) => s[0] === "Tsit5") ?? solvers.find((s) => s[0] === "Dopri5")!;
{
  const sol = diffeqsolve({
    terms: new ODETerm(lorenz.f), solver: new best[1](), t0: 0, t1: 40, y0: lorenz.y0, args: lorenz.args,
    saveat: new SaveAt({ dense: true }), stepsizeController: new PIDController({ rtol: 1e-9, atol: 1e-9 }),
  });
  writeFileSync(resolve(outDir, "lorenz.svg"), await renderSVG(solutionFigure(sol, {
    phase: [0, 2], names: ["x", "y", "z"], title: `Lorenz attractor (σ = 10, ρ = 28, β = 8/3), t ∈ [0, 40], ${best[0]}, rtol 1e-9`,
  })));
}
{
  const mu = 0.012277471;
  const sol = diffeqsolve({
    terms: new ODETerm(arenstorf.f), solver: new best[1](), t0: 0, t1: arenstorf.t1, y0: arenstorf.y0,
    saveat: new SaveAt({ dense: true }), stepsizeController: new PIDController({ rtol: 1e-10, atol: 1e-12 }),
  });
  writeFileSync(resolve(outDir, "arenstorf.svg"), await renderSVG(solutionFigure(sol, {
    phase: [0, 1], names: ["y₁", "y₂"], equalAspect: true, title: "Arenstorf orbit (restricted three-body problem), one period",
    markers: [{ x: -mu, y: 0, label: "Earth" }, { x: 1 - mu, y: 0, label: "Moon" }],
  })));
}
console.log(`Plots written to ${outDir}/ (lorenz.svg, arenstorf.svg)`);
