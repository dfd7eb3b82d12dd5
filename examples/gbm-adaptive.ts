/**
 * Adaptive steps for an SDE with multiplicative noise: geometric Brownian motion
 * dS = μ S dt + σ S dW (Itô), whose exact solution on each Brownian path is
 * S(T) = S₀ exp((μ − σ²/2)T + σ W(T)). Over a VirtualBrownianTree (the path is a function of
 * (seed, t), so a rejected step asks for a shorter piece of the same path), Milstein with its error
 * estimate and SRIW1 (strong order 1.5) are solved at tightening tolerances on 200 paths: the
 * strong error E|S_N − S(T)| falls with the tolerance, about like (steps)^−1. The Stratonovich
 * reading is solved by EulerHeun with its error estimate, against S₀ exp(μT + σW(T)).
 *
 * Run: node --import tsx examples/gbm-adaptive.ts
 */
import {
  type AbstractSDESolver, ControlTerm, diffeqsolve, EulerHeun, Milstein, MultiTerm, ODETerm, PIDController, SRIW1, VirtualBrownianTree,
} from "../src/index.js";

const mu = 1.01, sigma = 0.87, S0 = 0.5, T = 1, paths = 200;
const drift = new ODETerm((t: number, y: Float64Array, a: unknown, dy: Float64Array) => { dy[0] = mu * y[0]!; });
const diffusion = (t: number, y: Float64Array, a: unknown, g: Float64Array) => { g[0] = sigma * y[0]!; };
const base = new VirtualBrownianTree({ t0: 0, t1: T, tol: 1e-12, seed: 0, levyArea: "space-time" });

function sweep(name: string, make: () => AbstractSDESolver, stratonovich: boolean): void {
  console.log(`\n${name} (${stratonovich ? "Stratonovich" : "Itô"})`);
  console.log("   tol     mean error   steps  rejected");
  const rows: [number, number][] = [];
  for (const tol of [1e-2, 1e-3, 1e-4, 1e-5]) {
    let err = 0, steps = 0, rejected = 0;
    for (let s = 0; s < paths; s++) {
      const bm = base.withSeed(s);
      const W = bm.evaluate(T)[0]!;
      const exact = stratonovich ? S0 * Math.exp(mu * T + sigma * W) : S0 * Math.exp((mu - sigma * sigma / 2) * T + sigma * W);
      const sol = diffeqsolve({
        terms: new MultiTerm(drift, new ControlTerm(diffusion, bm, { noise: "diagonal" })), solver: make(), t0: 0, t1: T, y0: [S0],
        stepsizeController: new PIDController({ rtol: tol, atol: tol }), maxSteps: 1e6,
      });
      err += Math.abs(sol.ys[0]![0]! - exact) / paths;
      steps += sol.stats.numAcceptedSteps / paths;
      rejected += sol.stats.numRejectedSteps / paths;
    }
    rows.push([steps, err]);
    console.log(`  ${tol.toExponential(0)}   ${err.toExponential(2)}   ${steps.toFixed(0).padStart(6)}  ${rejected.toFixed(0).padStart(6)}`);
  }
  const [a, b] = [rows[0]!, rows[rows.length - 1]!];
  console.log(`  error ∝ steps^${(Math.log(b[1] / a[1]) / Math.log(b[0] / a[0])).toFixed(2)}`);
}

sweep("Milstein with errorEstimate", () => new Milstein({ errorEstimate: true }), false);
sweep("SRIW1", () => new SRIW1(), false);
sweep("EulerHeun with errorEstimate", () => new EulerHeun({ errorEstimate: true }), true);
