/**
 * A small neural SDE trained on paths of a known SDE by matching moments, with reverse-mode
 * gradients that store nothing per step.
 *
 * The data: 256 paths of the Ornstein–Uhlenbeck process dy = θ (μ − y) dt + σ dW from y = 0
 * (θ = 1.5, μ = 1, σ = 0.4), each over its own seeded VirtualBrownianTree, and their sample means
 * and variances at t = 0.5, 1, 1.5, 2 (closed form: mean μ (1 − e^{−θt}), variance
 * σ²/(2θ) (1 − e^{−2θt})). The model: dy = f_w(y) dt + s dW with f_w a one-hidden-layer network
 * (8 tanh units) and s a learned noise scale, 26 parameters. The loss
 *
 *   L = Σ_t (m̂_t − m_t)² + (v̂_t − v_t)²
 *
 * compares the sample mean m̂ and variance v̂ of 64 model paths (fixed seeds: common random
 * numbers) with the data's. Each path is solved with ReversibleHeun and differentiated by
 * ReversibleAdjoint, which rebuilds the path backwards (the same Brownian path asked again of the
 * tree) instead of storing it; ∂L/∂y_{p,t} = 2 (m̂_t − m_t)/P + 4 (v̂_t − v_t)(y_{p,t} − m̂_t)/(P − 1).
 * Adam (Kingma & Ba 2015) takes the steps. Run: `node --import tsx examples/neural-sde.ts`.
 */
import { pathToFileURL } from "node:url";
import {
  compile, ConstantStepSize, ControlTerm, diffeqsolve, diffeqsolveVjp, MultiTerm, ODETerm, ReversibleAdjoint, ReversibleHeun, SaveAt, VirtualBrownianTree,
} from "../src/index.js";

const H = 8;
export const OBS = [0.5, 1, 1.5, 2];
const OU = { theta: 1.5, mu: 1, sigma: 0.4 };
type Net = { W1: Float64Array; b1: Float64Array; W2: Float64Array; b2: number; s: number };
const spec = { W1: new Float64Array(H), b1: new Float64Array(H), W2: new Float64Array(H), b2: 0, s: 0 };
const drift = compile(
  (_t: number, y: Float64Array, p: Net) => {
    let acc = p.b2;
    for (let j = 0; j < H; j++) acc += p.W2[j]! * Math.tanh(p.W1[j]! * y[0]! + p.b1[j]!);
    return [acc];
  },
  { args: spec, consts: { H } },
);
const diffusion = compile((_t: number, _y: Float64Array, p: Net) => [p.s], { args: spec });
const tree = new VirtualBrownianTree({ t0: 0, t1: 2, tol: 1e-3, seed: 0 });

/** Sample means and variances at OBS of `paths` paths (rows of ys). */
function moments(paths: Float64Array[][]): { mean: number[]; variance: number[] } {
  const P = paths.length;
  const mean = OBS.map((_, t) => paths.reduce((a, ys) => a + ys[t]![0]!, 0) / P);
  const variance = OBS.map((_, t) => paths.reduce((a, ys) => a + (ys[t]![0]! - mean[t]!) ** 2, 0) / (P - 1));
  return { mean, variance };
}

let cached: { mean: number[]; variance: number[] } | null = null;

/** The data: moments of 256 Ornstein–Uhlenbeck paths (made once). */
export function data(): { mean: number[]; variance: number[] } {
  if (cached !== null) return cached;
  const ou = new ODETerm((_t: number, y: Float64Array, _a: unknown, dy: Float64Array) => { dy[0] = OU.theta * (OU.mu - y[0]!); });
  const paths = Array.from({ length: 256 }, (_, k) => diffeqsolve({
    terms: new MultiTerm(ou, new ControlTerm((_t: number, _y: Float64Array, _a: unknown, g: Float64Array) => { g[0] = OU.sigma; }, tree.withSeed(k), { noise: "diagonal" })),
    solver: new ReversibleHeun(), t0: 0, t1: 2, dt0: 0.01, y0: [0], stepsizeController: new ConstantStepSize(), saveat: new SaveAt({ ts: OBS }),
  }).ys);
  cached = moments(paths);
  return cached;
}

const flatten = (p: Net): Float64Array => Float64Array.of(...p.W1, ...p.b1, ...p.W2, p.b2, p.s);
const unflatten = (x: Float64Array): Net => ({ W1: x.slice(0, H), b1: x.slice(H, 2 * H), W2: x.slice(2 * H, 3 * H), b2: x[3 * H]!, s: x[3 * H + 1]! });

/** The loss over 64 model paths and its gradient (one ReversibleAdjoint pullback per path). */
export function lossAndGradient(x: Float64Array, target: { mean: number[]; variance: number[] }, P = 64): { loss: number; grad: Float64Array } {
  const args = unflatten(x);
  const runs = Array.from({ length: P }, (_, k) => diffeqsolveVjp({
    terms: new MultiTerm(new ODETerm(drift), new ControlTerm(diffusion, tree.withSeed(10_000 + k), { noise: "diagonal" })),
    solver: new ReversibleHeun(), t0: 0, t1: 2, dt0: 0.05, y0: [0], args, stepsizeController: new ConstantStepSize(), saveat: new SaveAt({ ts: OBS }),
    adjoint: new ReversibleAdjoint(),
  }));
  const { mean, variance } = moments(runs.map((r) => r.solution.ys));
  let loss = 0;
  OBS.forEach((_, t) => { loss += (mean[t]! - target.mean[t]!) ** 2 + (variance[t]! - target.variance[t]!) ** 2; });
  const grad = new Float64Array(x.length);
  for (const r of runs) {
    const ysBar = OBS.map((_, t) => [2 * (mean[t]! - target.mean[t]!) / P + (4 * (variance[t]! - target.variance[t]!) * (r.solution.ys[t]![0]! - mean[t]!)) / (P - 1)]);
    const g = flatten(r.pullback(ysBar).args as Net);
    for (let i = 0; i < x.length; i++) grad[i] += g[i]!;
  }
  return { loss, grad };
}

/** Initial weights, seeded (mulberry32). */
export function initialParameters(seed = 1): Float64Array {
  let a = seed >>> 0;
  const u = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
  const x = Float64Array.from({ length: 3 * H + 2 }, () => u());
  x[3 * H + 1] = 0.1; // the noise scale starts small
  return x;
}

/** Adam on the loss (over `paths` model paths) for `iterations` steps; returns the parameters and the losses. */
export function train(iterations: number, log: (line: string) => void = console.log, lr = 0.03, paths = 64): { x: Float64Array; losses: number[] } {
  const target = data();
  const x = initialParameters();
  const m = new Float64Array(x.length);
  const v = new Float64Array(x.length);
  const losses: number[] = [];
  for (let it = 1; it <= iterations; it++) {
    const { loss, grad } = lossAndGradient(x, target, paths);
    losses.push(loss);
    for (let i = 0; i < x.length; i++) {
      m[i] = 0.9 * m[i]! + 0.1 * grad[i]!;
      v[i] = 0.999 * v[i]! + 0.001 * grad[i]! ** 2;
      x[i] -= (lr * (m[i]! / (1 - 0.9 ** it))) / (Math.sqrt(v[i]! / (1 - 0.999 ** it)) + 1e-8);
    }
    if (it === 1 || it % 25 === 0) log(`iteration ${String(it).padStart(3)}: loss ${loss.toExponential(3)}  s = ${x[3 * H + 1]!.toFixed(3)}`);
  }
  return { x, losses };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const t0 = performance.now();
  console.log("Training a neural SDE (8 tanh units, learned noise scale) on the moments of 256 Ornstein–Uhlenbeck paths");
  const { x } = train(120);
  const target = data();
  const fittedRuns = Array.from({ length: 256 }, (_, k) => diffeqsolve({
    terms: new MultiTerm(new ODETerm(drift), new ControlTerm(diffusion, tree.withSeed(50_000 + k), { noise: "diagonal" })),
    solver: new ReversibleHeun(), t0: 0, t1: 2, dt0: 0.05, y0: [0], args: unflatten(x), stepsizeController: new ConstantStepSize(), saveat: new SaveAt({ ts: OBS }),
  }).ys);
  const fitted = moments(fittedRuns);
  console.log(`\n${"t".padStart(4)} ${"mean: exact".padStart(12)} ${"data".padStart(7)} ${"model".padStart(7)}   ${"variance: exact".padStart(16)} ${"data".padStart(7)} ${"model".padStart(7)}`);
  OBS.forEach((t, i) => {
    const mean = OU.mu * (1 - Math.exp(-OU.theta * t));
    const variance = ((OU.sigma ** 2) / (2 * OU.theta)) * (1 - Math.exp(-2 * OU.theta * t));
    console.log(`${t.toFixed(1).padStart(4)} ${mean.toFixed(4).padStart(12)} ${target.mean[i]!.toFixed(4).padStart(7)} ${fitted.mean[i]!.toFixed(4).padStart(7)}   ${variance.toFixed(4).padStart(16)} ${target.variance[i]!.toFixed(4).padStart(7)} ${fitted.variance[i]!.toFixed(4).padStart(7)}`);
  });
  console.log(`(model moments on 256 fresh paths)\n${((performance.now() - t0) / 1e3).toFixed(2)} s`);
}
