/**
 * Monte Carlo with SDEs: a European call option under geometric Brownian motion
 * dS = r S dt + σ S dW (risk-neutral, Itô), priced as e^{−rT} E[max(S_T − K, 0)] from paths solved
 * with EulerMaruyama (fixed steps over UnsafeBrownianPath, the fast path) and Milstein, next to the
 * Black–Scholes closed form. Then one path of a VirtualBrownianTree solved at three step sizes: the
 * tree is a pure function of (seed, t), so every resolution solves the same path and converges to
 * its exact solution; and an Ornstein–Uhlenbeck path (additive noise) with ShARK and adaptive steps.
 *
 * Run: node --import tsx examples/sde-option-pricing.ts
 */
import {
  ConstantStepSize, ControlTerm, diffeqsolve, EulerMaruyama, Milstein, MultiTerm, ODETerm, PIDController, ShARK,
  UnsafeBrownianPath, VirtualBrownianTree,
} from "../src/index.js";

const S0 = 100, K = 105, r = 0.03, sigma = 0.25, T = 1;
const drift = new ODETerm((_t: number, y: Float64Array, _a: unknown, dy: Float64Array) => { dy[0] = r * y[0]!; });
const vol = (_t: number, y: Float64Array, _a: unknown, g: Float64Array) => { g[0] = sigma * y[0]!; };

/** Standard normal CDF (Abramowitz & Stegun 7.1.26 via erf; |error| < 1.5e-7). */
function Phi(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}
const d1 = (Math.log(S0 / K) + (r + sigma * sigma / 2) * T) / (sigma * Math.sqrt(T));
const blackScholes = S0 * Phi(d1) - K * Math.exp(-r * T) * Phi(d1 - sigma * Math.sqrt(T));

const N = 20_000;
for (const solver of [new EulerMaruyama(), new Milstein()]) {
  let sum = 0, sum2 = 0;
  const start = performance.now();
  for (let i = 0; i < N; i++) {
    // One path per seed: the whole path is a function of it.
    const terms = new MultiTerm(drift, new ControlTerm(vol, new UnsafeBrownianPath({ seed: i })));
    const ST = diffeqsolve({ terms, solver, t0: 0, t1: T, dt0: 1 / 64, y0: [S0], stepsizeController: new ConstantStepSize() }).ys[0]![0]!;
    const payoff = Math.exp(-r * T) * Math.max(ST - K, 0);
    sum += payoff;
    sum2 += payoff * payoff;
  }
  const mean = sum / N;
  const se = Math.sqrt((sum2 / N - mean * mean) / N);
  console.log(`${solver.name.padEnd(14)} price ${mean.toFixed(3)} ± ${(2 * se).toFixed(3)} (2 SE), Black–Scholes ${blackScholes.toFixed(3)}; ${N} paths in ${(performance.now() - start).toFixed(0)} ms`);
}

// The same Brownian path at two resolutions: fixed steps and adaptive steps agree with the exact
// pathwise solution S0·exp((r − σ²/2)T + σ W(T)) on that path.
const bm = new VirtualBrownianTree({ t0: 0, t1: T, tol: 1e-6, seed: 2024 });
const exact = S0 * Math.exp((r - sigma * sigma / 2) * T + sigma * bm.evaluate(T)[0]!);
const terms = new MultiTerm(drift, new ControlTerm(vol, bm));
for (const dt of [1 / 16, 1 / 256, 1 / 4096]) {
  const y = diffeqsolve({ terms, solver: new Milstein(), t0: 0, t1: T, dt0: dt, y0: [S0], stepsizeController: new ConstantStepSize() }).ys[0]![0]!;
  console.log(`Milstein, dt = 1/${1 / dt}: S(T) = ${y.toFixed(6)}  (exact on this path ${exact.toFixed(6)}, error ${Math.abs(y - exact).toExponential(2)})`);
}

// Additive noise: Ornstein–Uhlenbeck dX = θ(μ − X) dt + s dW with ShARK (strong order 1.5) and
// adaptive steps; a rejected step asks the tree for the same path again.
const ouTree = new VirtualBrownianTree({ t0: 0, t1: 5, tol: 1e-7, seed: 7, levyArea: "space-time" });
const ou = new MultiTerm(
  new ODETerm((_t: number, y: Float64Array, _a: unknown, dy: Float64Array) => { dy[0] = 2 * (1 - y[0]!); }),
  new ControlTerm((_t: number, _y: Float64Array, _a: unknown, g: Float64Array) => { g[0] = 0.5; }, ouTree, { additive: true }),
);
const sol = diffeqsolve({ terms: ou, solver: new ShARK(), t0: 0, t1: 5, y0: [3], stepsizeController: new PIDController({ rtol: 1e-4, atol: 1e-4 }) });
console.log(`ShARK, adaptive: X(5) = ${sol.ys[0]![0]!.toFixed(6)} after ${sol.stats.numAcceptedSteps} accepted and ${sol.stats.numRejectedSteps} rejected steps`);
