import { readReferenceProblems } from "../reference/path.js";
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  AdditiveNoiseError, ConstantStepSize, ControlTerm, diffeqsolve, EulerHeun, EulerMaruyama, Milstein, MultiTerm, ODETerm, PIDController, SaveAt, ShARK, SRA1,
  UnsafeBrownianPath, VirtualBrownianTree,
} from "../../src/index.js";

type F = (t: number, y: Float64Array, a: any, out: Float64Array) => void;
interface Problem { name: string; drift: string; diffusion: string; y0: number[]; t0: number; t1: number; mean?: string; variance?: string; exact_pathwise?: string }
const problems = readReferenceProblems<Problem>().problems;
const get = (name: string): Problem => problems.find((p) => p.name === name)!;
const fn = (expr: string) => new Function("t", "y", "args", "out", `"use strict"; out[0] = ${expr};`) as F;
const closed = (expr: string) => new Function("t", "W", `"use strict"; return ${expr};`) as (t: number, W: number) => number;

test("Ornstein–Uhlenbeck: sample mean and variance of 10,000 paths at t1 within 4 standard errors of the exact moments", () => {
  const p = get("SDE_ORNSTEIN_UHLENBECK");
  const t1 = p.t1;
  const mean = closed(p.mean!)(t1, 0);
  const variance = closed(p.variance!)(t1, 0);
  const drift = new ODETerm(fn(p.drift));
  const sigma = fn(p.diffusion);
  const N = 10_000;
  // EulerMaruyama over UnsafeBrownianPath with dt = 2⁻⁸ (weak order 1: its bias, from the exact
  // moments of the discrete recursion, is 6e-4 in the mean and 1e-4 in the variance, ≤ 0.3 SE), and
  // ShARK over a VirtualBrownianTree with dt = 1/8 (weak bias below 1e-5).
  const runs: [string, (s: number) => ControlTerm, () => EulerMaruyama | ShARK, number][] = [
    ["EulerMaruyama", (s) => new ControlTerm(sigma, new UnsafeBrownianPath({ seed: s })), () => new EulerMaruyama(), 2 ** -8],
    ["ShARK", (s) => new ControlTerm(sigma, new VirtualBrownianTree({ t0: 0, t1, tol: 2 ** -4, seed: s, levyArea: "space-time" }), { additive: true }), () => new ShARK(), 1 / 8],
  ];
  for (const [label, noise, make, dt] of runs) {
    const solver = make();
    let s1 = 0, s2 = 0;
    const xs = new Float64Array(N);
    for (let s = 0; s < N; s++) {
      const sol = diffeqsolve({ terms: new MultiTerm(drift, noise(s)), solver, t0: p.t0, t1, dt0: dt, y0: p.y0, stepsizeController: new ConstantStepSize() });
      xs[s] = sol.ys[0]![0]!;
      s1 += xs[s]!;
    }
    const m = s1 / N;
    for (let s = 0; s < N; s++) s2 += (xs[s]! - m) ** 2;
    const v = s2 / (N - 1);
    const seMean = Math.sqrt(variance / N);
    const seVar = variance * Math.sqrt(2 / (N - 1)); // Gaussian sample variance
    assert.ok(Math.abs(m - mean) < 4 * seMean, `${label}: mean ${m} vs ${mean} (4 SE = ${4 * seMean})`);
    assert.ok(Math.abs(v - variance) < 4 * seVar, `${label}: variance ${v} vs ${variance} (4 SE = ${4 * seVar})`);
  }
});

/** Mean strong error at t = 1 over P paths for dt = 2^-k, and the log–log slope. */
function slope(errs: number[], ks: number[]): number {
  const xs = ks.map((k) => -k * Math.LN2), ys = errs.map(Math.log);
  const mx = xs.reduce((a, b) => a + b) / xs.length, my = ys.reduce((a, b) => a + b) / ys.length;
  let num = 0, den = 0;
  for (let i = 0; i < xs.length; i++) { num += (xs[i]! - mx) * (ys[i]! - my); den += (xs[i]! - mx) ** 2; }
  return num / den;
}

test("general commutative noise (n = 1, m = 2) and diagonal noise (n = m = 2): EulerMaruyama 0.5, Milstein 1 (Itô); Milstein and EulerHeun 1 (Stratonovich)", () => {
  // dy = μ y dt + σ₁ y dW₁ + σ₂ y dW₂ (commutative: L¹g² = L²g¹ = σ₁σ₂ y), y = y₀ exp((μ − (σ₁² + σ₂²)/2) t + σ₁W₁ + σ₂W₂);
  // diagonal: dyᵢ = μᵢ yᵢ dt + σᵢ yᵢ dWᵢ, yᵢ = yᵢ₀ exp((μᵢ − σᵢ²/2) t + σᵢ Wᵢ). Read as Stratonovich
  // equations, the same terms have the solutions without the −σ²/2 terms.
  const mu = 0.5, s1 = 0.6, s2 = 0.4;
  const general = { drift: new ODETerm((t: number, y: Float64Array, a: unknown, dy: Float64Array) => { dy[0] = mu * y[0]!; }), g: ((t, y, a, g) => { g[0] = s1 * y[0]!; g[1] = s2 * y[0]!; }) as F, noise: "general" as const, n: 1 };
  const diag = { drift: new ODETerm((t: number, y: Float64Array, a: unknown, dy: Float64Array) => { dy[0] = mu * y[0]!; dy[1] = -mu * y[1]!; }), g: ((t, y, a, g) => { g[0] = s1 * y[0]!; g[1] = s2 * y[1]!; }) as F, noise: "diagonal" as const, n: 2 };
  const ks = [3, 4, 5, 6, 7];
  for (const c of [general, diag]) {
    for (const [solver, order] of [[new EulerMaruyama(), 0.5], [new Milstein(), 1], [new Milstein({ interpretation: "stratonovich" }), 1], [new EulerHeun(), 1]] as const) {
      const ito = solver.interpretation === "ito" ? 1 : 0;
      const errs = ks.map(() => 0);
      const P = 100;
      for (let s = 0; s < P; s++) {
        const bm = new VirtualBrownianTree({ t0: 0, t1: 1, tol: 2 ** -8, shape: 2, seed: 77 + s });
        const W = bm.evaluate(1);
        const exact = c.n === 1
          ? [Math.exp((mu - ito * (s1 * s1 + s2 * s2) / 2) + s1 * W[0]! + s2 * W[1]!)]
          : [Math.exp(mu - ito * s1 * s1 / 2 + s1 * W[0]!), Math.exp(-mu - ito * s2 * s2 / 2 + s2 * W[1]!)];
        const terms = new MultiTerm(c.drift, new ControlTerm(c.g, bm, { noise: c.noise }));
        ks.forEach((k, j) => {
          const y = diffeqsolve({ terms, solver, t0: 0, t1: 1, dt0: 2 ** -k, y0: c.n === 1 ? [1] : [1, 1], stepsizeController: new ConstantStepSize() }).ys[0]!;
          for (let i = 0; i < c.n; i++) errs[j]! += Math.abs(y[i]! - exact[i]!) / P;
        });
      }
      const p = slope(errs, ks);
      assert.ok(Math.abs(p - order) <= 0.2, `${solver.name} (${solver.interpretation}), ${c.noise} noise: slope ${p.toFixed(3)} (errors ${errs.map((e) => e.toExponential(2)).join(", ")})`);
    }
  }
});

test("adaptive SRA1 and ShARK with PIDController over a VirtualBrownianTree: errors shrink with the tolerance, rejected steps revisit the same path", () => {
  const p = get("SDE_ADDITIVE");
  const drift = new ODETerm(fn(p.drift));
  const sigma = fn(p.diffusion);
  const exact = closed(p.exact_pathwise!);
  const tols = [1e-2, 1e-3, 1e-4, 1e-5];
  for (const solver of [new SRA1(), new ShARK()]) {
    const errs = tols.map(() => 0);
    let rejected = 0;
    const P = 40;
    for (let s = 0; s < P; s++) {
      const bm = new VirtualBrownianTree({ t0: 0, t1: 1, tol: 1e-9, seed: 900 + s, levyArea: "space-time" });
      const yT = exact(1, bm.evaluate(1)[0]!);
      const terms = new MultiTerm(drift, new ControlTerm(sigma, bm, { additive: true }));
      tols.forEach((tol, j) => {
        // dt0 omitted: the automatic initial step uses the drift.
        const sol = diffeqsolve({ terms, solver, t0: 0, t1: 1, y0: p.y0, stepsizeController: new PIDController({ rtol: tol, atol: tol }) });
        rejected += sol.stats.numRejectedSteps;
        errs[j]! += Math.abs(sol.ys[0]![0]! - yT) / P;
        if (s === 0 && j === 1) {
          // Bit-identical on a fresh tree with the same seed (whose cache starts elsewhere).
          const fresh = new MultiTerm(drift, new ControlTerm(sigma, bm.withSeed(900), { additive: true }));
          const again = diffeqsolve({ terms: fresh, solver, t0: 0, t1: 1, y0: p.y0, stepsizeController: new PIDController({ rtol: tol, atol: tol }) });
          assert.equal(again.ys[0]![0], sol.ys[0]![0]);
          assert.equal(again.stats.numSteps, sol.stats.numSteps);
        }
      });
    }
    for (let j = 1; j < tols.length; j++) assert.ok(errs[j]! < errs[j - 1]!, `${solver.name}: errors ${errs.map((e) => e.toExponential(2)).join(", ")}`);
    assert.ok(errs[tols.length - 1]! < 1e-5, `${solver.name}: error ${errs[tols.length - 1]} at tolerance 1e-5`);
    assert.ok(rejected > 0, `${solver.name}: the controller should have rejected some steps`);
  }
});

test("dense output of SDE solvers is linear interpolation inside each step; saved times are exact", () => {
  const bm = new VirtualBrownianTree({ t0: 0, t1: 1, tol: 2 ** -12, seed: 4 });
  const terms = new MultiTerm(new ODETerm((t: number, y: Float64Array, a: unknown, dy: Float64Array) => { dy[0] = -y[0]!; }), new ControlTerm((t: number, y: Float64Array, a: unknown, g: Float64Array) => { g[0] = 0.5 * y[0]!; }, bm));
  const sol = diffeqsolve({ terms, solver: new EulerHeun(), t0: 0, t1: 1, dt0: 0.25, y0: [1], saveat: new SaveAt({ ts: [0.25, 0.3, 0.5], dense: true }), stepsizeController: new ConstantStepSize() });
  const y25 = sol.ys[0]![0]!, y50 = sol.ys[2]![0]!;
  assert.ok(Math.abs(sol.ys[1]![0]! - (y25 + 0.2 * (y50 - y25))) < 1e-15);
  assert.ok(Math.abs(sol.evaluate(0.375)[0]! - 0.5 * (y25 + y50)) < 1e-15);
  assert.ok(Math.abs(sol.derivative(0.4)[0]! - (y50 - y25) / 0.25) < 1e-12);
});

test("bad SDE input gets errors that name the problem and the fix", () => {
  const drift = new ODETerm((t: number, y: Float64Array, a: unknown, dy: Float64Array) => { dy[0] = -y[0]!; });
  const g1: F = (t, y, a, g) => { g[0] = 0.1; };
  const tree = new VirtualBrownianTree({ t0: 0, t1: 1, seed: 1 });
  const base = { solver: new EulerMaruyama(), t0: 0, t1: 1, dt0: 0.1, y0: [1], stepsizeController: new ConstantStepSize() };
  assert.throws(
    () => diffeqsolve({ ...base, terms: new MultiTerm(drift, new ControlTerm(g1, new UnsafeBrownianPath({ seed: 1, levyArea: "space-time" }), { additive: true })), solver: new SRA1(), stepsizeController: new PIDController() }),
    /PIDController\) revisits intervals after a rejected step, but the control is a UnsafeBrownianPath.*use a VirtualBrownianTree/,
  );
  // A diffusion whose shape does not match the Brownian motion.
  const bm2 = new VirtualBrownianTree({ t0: 0, t1: 1, shape: 2, seed: 1 });
  assert.throws(() => diffeqsolve({ ...base, terms: new MultiTerm(drift, new ControlTerm(g1, bm2)) }), /did not write out\[1\].*n = 1 state components and a Brownian motion of size m = 2 needs the n × m = 2 entries/);
  assert.throws(
    () => diffeqsolve({ ...base, terms: new MultiTerm(drift, new ControlTerm((t: number, y: Float64Array, a: unknown, g: Float64Array) => { g[0] = 1; g[1] = 2; }, tree)) }),
    /the diffusion writes out\[1\] but general noise with n = 1 state components and a Brownian motion of size m = 1/,
  );
  assert.throws(() => diffeqsolve({ ...base, terms: new MultiTerm(drift, new ControlTerm(g1, bm2, { noise: "diagonal" })) }), /diagonal noise needs one Brownian dimension per state component, but the state has 1 components and the Brownian motion has shape \[2\]/);
  assert.throws(() => diffeqsolve({ ...base, terms: drift }), /EulerMaruyama solves SDEs and needs terms = new MultiTerm\(new ODETerm\(drift\), new ControlTerm\(diffusion, brownian\)\); got a ODETerm/);
  assert.throws(() => diffeqsolve({ ...base, terms: new MultiTerm(drift, new ControlTerm(g1, [0.1, 0.2])) }), /control to be a Brownian motion.*got a Array/);
  assert.throws(() => diffeqsolve({ ...base, solver: new ShARK(), terms: new MultiTerm(drift, new ControlTerm(g1, tree, { additive: true })) }), /ShARK needs the space–time Lévy area.*levyArea: "space-time"/);
  const treeH = new VirtualBrownianTree({ t0: 0, t1: 1, seed: 1, levyArea: "space-time" });
  assert.throws(() => diffeqsolve({ ...base, solver: new SRA1(), terms: new MultiTerm(drift, new ControlTerm(g1, treeH)) }), /SRA1 is for additive noise.*\{ additive: true \}/);
  assert.throws(() => diffeqsolve({ ...base, t1: 2, terms: new MultiTerm(drift, new ControlTerm(g1, tree)) }), /time t = .* is outside \[t0, t1\] = \[0, 1\]; build the tree over the whole interval solved/);
  assert.throws(() => diffeqsolve({ ...base, terms: new MultiTerm(drift, new ControlTerm(g1, tree)), stepsizeController: new PIDController() }), /EulerMaruyama has no error estimate/);
  assert.throws(() => new ControlTerm(g1, tree, { noise: "scalar" as never }), /`noise` = "scalar" must be "general" or "diagonal"/);
  assert.throws(() => new Milstein({ interpretation: "ito-ish" as never }), /`interpretation` = "ito-ish" must be "ito" or "stratonovich"/);
});

test("a control given as a function of args gives each solve its own path: SDE ensembles through solveEnsembleSync", async () => {
  const { solveEnsembleSync } = await import("../../src/index.js");
  const tree = new VirtualBrownianTree({ t0: 0, t1: 1, tol: 2 ** -10, seed: 0 });
  const terms = new MultiTerm(
    new ODETerm((t: number, y: Float64Array, a: unknown, dy: Float64Array) => { dy[0] = 1.01 * y[0]!; }),
    new ControlTerm((t: number, y: Float64Array, a: unknown, g: Float64Array) => { g[0] = 0.87 * y[0]!; }, (args: { seed: number }) => tree.withSeed(args.seed)),
  );
  const N = 8;
  const common = { terms, solver: new Milstein(), t0: 0, t1: 1, dt0: 1 / 64, stepsizeController: new ConstantStepSize() };
  const ens = solveEnsembleSync({ ...common, trajectories: N, y0: () => [0.5], args: (i: number) => ({ seed: 100 + i }) });
  const finals = new Set<number>();
  for (let i = 0; i < N; i++) {
    const alone = diffeqsolve({ ...common, y0: [0.5], args: { seed: 100 + i } }).ys[0]![0]!;
    const K = ens.rowsPerTrajectory;
    const row = ens.ys[(i * K + ens.counts[i]! - 1) * ens.size]!; // trajectory i's last saved row (t1)
    assert.equal(row, alone, `trajectory ${i}: the ensemble and a single solve use the same path`);
    finals.add(alone);
  }
  assert.equal(finals.size, N, "every trajectory has its own path");
  assert.throws(
    () => diffeqsolve({ ...common, y0: [0.5], args: { seed: 1 }, terms: new MultiTerm(terms.terms[0]!, new ControlTerm((t: number, y: Float64Array, a: unknown, g: Float64Array) => { g[0] = 1; }, () => 42)) }),
    /control to be a Brownian motion.*or a function \(args\) => such a path; the function returned number/,
  );
});

test("UnsafeBrownianPath refuses to revisit an interval (a rejected step) even when the controller did not tell", () => {
  const bm = new UnsafeBrownianPath({ seed: 3 });
  const w = new Float64Array(1);
  bm.increment(0.5, 0.1, w, null);
  assert.throws(() => bm.increment(0.5, 0.05, w, null), /asked for \[0.5, 0.5 \+ 0.05\] after \[0.5, 0.5 \+ 0.1\]; an interval cannot be revisited.*VirtualBrownianTree/);
  bm.startSolve(); // a new solve may start anywhere
  bm.increment(0.5, 0.05, w, null);
});

test("a diffusion declared additive that depends on y is refused at t0 with AdditiveNoiseError; one that depends on t is fine", () => {
  const drift = new ODETerm((_t: number, y: Float64Array, _a: unknown, dy: Float64Array) => {
    for (let i = 0; i < y.length; i++) dy[i] = -y[i]!;
  });
  const tree = (shape: number): VirtualBrownianTree => new VirtualBrownianTree({ t0: 0, t1: 1, tol: 1e-6, shape, seed: 5, levyArea: "space-time" });
  // The solve loop wraps errors from the solver's first restart and keeps the original as `cause`.
  const additiveError = (e: unknown): AdditiveNoiseError | null => {
    const inner = e instanceof AdditiveNoiseError ? e : (e as { cause?: unknown }).cause;
    return inner instanceof AdditiveNoiseError && inner.name === "AdditiveNoiseError" ? inner : null;
  };
  // Multiplicative noise declared additive: SRA1/ShARK would give neither the Itô nor the Stratonovich answer.
  const multiplicative = (_t: number, y: Float64Array, _a: unknown, out: Float64Array) => { out[0] = 0.3 * y[0]!; };
  for (const solver of [new SRA1(), new ShARK(), new EulerMaruyama()]) {
    assert.throws(
      () => diffeqsolve({ terms: new MultiTerm(drift, new ControlTerm(multiplicative, tree(1), { additive: true })), solver, t0: 0, t1: 1, dt0: 0.1, y0: [1], stepsizeController: new ConstantStepSize() }),
      (e: unknown) => additiveError(e) !== null && /additive: true/.test(additiveError(e)!.message) && /depends on y/.test(additiveError(e)!.message) && /g\[0\]/.test(additiveError(e)!.message),
    );
  }
  // n = 2, m = 2: only g[1][0] depends on y[1] (the entry is named in the message).
  const partly = (t: number, y: Float64Array, _a: unknown, out: Float64Array) => { out[0] = 0.1; out[1] = 0; out[2] = 0.2 * Math.sin(y[1]!); out[3] = 0.1 + t; };
  assert.throws(
    () => diffeqsolve({ terms: new MultiTerm(drift, new ControlTerm(partly, tree(2), { additive: true })), solver: new SRA1(), t0: 0, t1: 1, dt0: 0.1, y0: [1, 0.5], stepsizeController: new ConstantStepSize() }),
    (e: unknown) => additiveError(e) !== null && /g\[2\]/.test(additiveError(e)!.message),
  );
  // Time-dependent additive noise passes, and the same y-dependent diffusion without the promise solves.
  const timeOnly = (t: number, _y: Float64Array, _a: unknown, out: Float64Array) => { out[0] = 0.1 + t; };
  const ok1 = diffeqsolve({ terms: new MultiTerm(drift, new ControlTerm(timeOnly, tree(1), { additive: true })), solver: new SRA1(), t0: 0, t1: 1, dt0: 0.1, y0: [1], stepsizeController: new ConstantStepSize() });
  assert.equal(ok1.result, 0);
  const ok2 = diffeqsolve({ terms: new MultiTerm(drift, new ControlTerm(multiplicative, tree(1))), solver: new EulerMaruyama(), t0: 0, t1: 1, dt0: 0.1, y0: [1], stepsizeController: new ConstantStepSize() });
  assert.equal(ok2.result, 0);
});
