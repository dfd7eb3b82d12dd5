/**
 * One odeflow solve of the large-systems benchmark, in its own process (so that its peak resident
 * memory is its own): node --import tsx bench/lib/large_odeflow.ts '<json job>'. Solves once, then
 * repeats while a solve takes under `maxTime` seconds until `minTime` seconds are spent (fastest
 * kept); prints JSON with the time, the solve's statistics, the final state and the process's
 * peak resident set size (process.resourceUsage().maxRSS, KB; it includes Node, the TypeScript loader and
 * the library: the benchmark measures that on a trivial problem).
 */
import { loadOdeflow } from "./odeflow.js";
import { bruss2dProblem, polluProblem } from "./large_problems.js";

interface Job {
  problem: "BRUSS2D" | "POLLU";
  size: number;
  solver: string;
  options: Record<string, unknown>;
  rtol: number;
  atol: number;
  minTime: number;
  maxTime: number;
}

const job = JSON.parse(process.argv[2]!) as Job;
const { lib } = await loadOdeflow();
const p = job.problem === "BRUSS2D" ? bruss2dProblem(job.size) : polluProblem(job.size);
const Solver = (lib as unknown as Record<string, new (o: object) => unknown>)[job.solver]!;
const solve = () => lib.diffeqsolve({
  terms: new lib.ODETerm(p.f), solver: new Solver(job.options) as never, t0: 0, t1: p.t1, y0: p.y0,
  stepsizeController: new lib.PIDController({ rtol: job.rtol, atol: job.atol }), maxSteps: 10_000_000, throw: false,
});
let a = performance.now();
const sol = solve();
let best = (performance.now() - a) / 1e3;
let spent = best;
let calls = 1;
if (sol.result === 0) {
  while (best < job.maxTime && (calls < 2 || spent < job.minTime)) {
    a = performance.now();
    solve();
    const dt = (performance.now() - a) / 1e3;
    spent += dt;
    calls++;
    best = Math.min(best, dt);
  }
}
process.stdout.write(JSON.stringify({
  result: sol.result, message: sol.result === 0 ? "" : sol.message, time: best, calls, stats: sol.stats,
  peakKB: process.resourceUsage().maxRSS, y: Array.from(sol.ys[sol.ys.length - 1] as Float64Array),
}));
