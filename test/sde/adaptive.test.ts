/**
 * Adaptive steps for SDEs with multiplicative noise over a VirtualBrownianTree: Milstein and
 * EulerHeun with Lamba's error estimate, and SRIW1 (strong order 1.5, diagonal noise), checked
 * against closed forms on each path (geometric Brownian motion, Itô and Stratonovich, and a
 * reducible nonlinear SDE), and the tree's consistency under rejected steps.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type AbstractSDESolver, ConstantStepSize, ControlTerm, diffeqsolve, EulerHeun, EulerMaruyama, Milstein, MultiTerm, ODETerm, PIDController, SaveAt, type SDEState,
  SRIW1, VirtualBrownianTree,
} from "../../src/index.js";
import { lambaEstimate } from "../../src/solvers/sde/error_estimate.js";
import { readReferenceProblems } from "../reference/path.js";

interface SDEProblem { name: string; drift: string; diffusion: string; y0: number[]; t0: number; t1: number; exact_pathwise: string }
const problems = readReferenceProblems<SDEProblem>().problems;
const get = (name: string): SDEProblem => problems.find((p) => p.name === name)!;
const field = (expr: string) => new Function("t", "y", "args", "out", `"use strict"; out[0] = ${expr};`) as (t: number, y: Float64Array, a: unknown, out: Float64Array) => void;
const closed = (expr: string) => new Function("t", "W", `"use strict"; return ${expr};`) as (t: number, W: number) => number;

/** Least-squares slope of log y against log x. */
function slope(xs: readonly number[], ys: readonly number[]): number {
  const lx = xs.map(Math.log), ly = ys.map(Math.log);
  const mx = lx.reduce((a, b) => a + b) / lx.length, my = ly.reduce((a, b) => a + b) / ly.length;
  let num = 0, den = 0;
  for (let i = 0; i < lx.length; i++) { num += (lx[i]! - mx) * (ly[i]! - my); den += (lx[i]! - mx) ** 2; }
  return num / den;
}

/** Mean |y(t1) − exact| and mean accepted steps over `paths` trees, at each tolerance. */
function adaptiveSweep(p: SDEProblem, make: () => AbstractSDESolver, tols: readonly number[], paths: number) {
  const drift = new ODETerm(field(p.drift)), diffusion = field(p.diffusion), exact = closed(p.exact_pathwise);
  const err = tols.map(() => 0), steps = tols.map(() => 0), rejected = tols.map(() => 0);
  for (let s = 0; s < paths; s++) {
    const bm = new VirtualBrownianTree({ t0: p.t0, t1: p.t1, tol: 1e-12, seed: 7000 + s, levyArea: "space-time" });
    const terms = new MultiTerm(drift, new ControlTerm(diffusion, bm, { noise: "diagonal" }));
    const yT = exact(p.t1, bm.evaluate(p.t1)[0]!);
    tols.forEach((tol, j) => {
      const sol = diffeqsolve({ terms, solver: make(), t0: p.t0, t1: p.t1, y0: p.y0, stepsizeController: new PIDController({ rtol: tol, atol: tol }), maxSteps: 1e6 });
      err[j]! += Math.abs(sol.ys[0]![0]! - yT) / paths;
      steps[j]! += sol.stats.numAcceptedSteps / paths;
      rejected[j]! += sol.stats.numRejectedSteps / paths;
    });
  }
  return { err, steps, rejected, text: tols.map((t, j) => `tol ${t}: error ${err[j]!.toExponential(2)}, ${steps[j]!.toFixed(0)} steps`).join("; ") };
}

const tols = [1e-2, 1e-3, 1e-4];
const cases: [string, string, () => AbstractSDESolver, number][] = [
  ["Milstein, errorEstimate (Itô)", "SDE_GBM_ITO", () => new Milstein({ errorEstimate: true }), 1],
  ["Milstein, errorEstimate (Stratonovich)", "SDE_GBM_STRATONOVICH", () => new Milstein({ errorEstimate: true, interpretation: "stratonovich" }), 1],
  ["EulerHeun, errorEstimate (Stratonovich)", "SDE_GBM_STRATONOVICH", () => new EulerHeun({ errorEstimate: true }), 1],
  ["SRIW1 (Itô)", "SDE_GBM_ITO", () => new SRIW1(), 1],
];
for (const [label, name, make, order] of cases) {
  test(`adaptive ${label} on ${name}: the strong error falls with the tolerance, about like (steps)^−${order}`, () => {
    const r = adaptiveSweep(get(name), make, tols, 16);
    // Each tenfold tightening cuts the error (the path is the same at every tolerance).
    for (let j = 1; j < tols.length; j++) assert.ok(r.err[j]! < 0.5 * r.err[j - 1]!, `${label}: ${r.text}`);
    const p = -slope(r.steps, r.err);
    assert.ok(Math.abs(p - order) <= 0.3, `${label}: error ∝ steps^−${p.toFixed(2)}; ${r.text}`);
  });
}

test("why Euler–Maruyama gets no error estimate: with Lamba's estimate its adaptive error does not fall with the tolerance", () => {
  // EulerMaruyama's step with Milstein's error estimate: steps chosen after seeing ΔW make its sums
  // converge to a wrong limit (Foster & Jelinčič 2024), while Milstein's converge (the test above).
  class AdaptiveEM extends EulerMaruyama {
    override readonly errorOrder = 1 as never;
    override step(state: SDEState, times: Float64Array, y0: Float64Array, y1: Float64Array, yErr?: Float64Array): number {
      super.step(state, times, y0, y1);
      const h = times[1]!, w = state.dW[0]!, g = state.g0[0]!, y = y0[0]!;
      state.g(times[0]!, Float64Array.of(y + Math.sqrt(h) * g), state.args, state.g1);
      state.etmp[0] = (0.5 * (state.g1[0]! - g) / Math.sqrt(h)) * (w * w - h);
      lambaEstimate(state, times, y0, state.etmp, yErr!);
      return 0;
    }
  }
  const em = adaptiveSweep(get("SDE_GBM_ITO"), () => new AdaptiveEM(), [1e-2, 1e-3], 24);
  const mil = adaptiveSweep(get("SDE_GBM_ITO"), () => new Milstein({ errorEstimate: true }), [1e-2, 1e-3], 24);
  assert.ok(em.err[1]! > 0.5 * em.err[0]!, `adaptive EM: ${em.text}`);
  assert.ok(mil.err[1]! < 0.2 * em.err[1]!, `Milstein: ${mil.text}; EM: ${em.text}`);
});

// dX = −(a + b²X)(1 − X²) dt + b(1 − X²) dW (Itô) has X = ((1 + x₀)Z + x₀ − 1)/((1 + x₀)Z + 1 − x₀) with
// Z = exp(−2at + 2bW) (Kloeden & Platen, §4.4, a reducible SDE; checked by Itô's formula). Its drift
// and diffusion do not commute (L¹f ≠ L⁰g), so the Lévy area enters the order-1.5 terms.
function reducible(a: number, b: number, x0: number) {
  return {
    drift: new ODETerm((t: number, y: Float64Array, _: unknown, dy: Float64Array) => { dy[0] = -(a + b * b * y[0]!) * (1 - y[0]! * y[0]!); }),
    diffusion: (t: number, y: Float64Array, _: unknown, g: Float64Array) => { g[0] = b * (1 - y[0]! * y[0]!); },
    exact: (t: number, W: number) => { const Z = Math.exp(-2 * a * t + 2 * b * W); return ((1 + x0) * Z + x0 - 1) / ((1 + x0) * Z + 1 - x0); },
  };
}

test("SRIW1 has strong order 1.5 at fixed steps on a non-commutative nonlinear SDE with a closed form (slope 1.5 ± 0.2)", () => {
  const P = reducible(1, 0.8, 0.3);
  const ks = [3, 4, 5, 6, 7, 8, 9];
  const paths = 150;
  const errs = ks.map(() => 0);
  for (let s = 0; s < paths; s++) {
    const bm = new VirtualBrownianTree({ t0: 0, t1: 1, tol: 2 ** -11, seed: 3000 + s, levyArea: "space-time" });
    const terms = new MultiTerm(P.drift, new ControlTerm(P.diffusion, bm, { noise: "diagonal" }));
    const yT = P.exact(1, bm.evaluate(1)[0]!);
    ks.forEach((k, j) => {
      errs[j]! += Math.abs(diffeqsolve({ terms, solver: new SRIW1(), t0: 0, t1: 1, dt0: 2 ** -k, y0: [0.3], stepsizeController: new ConstantStepSize() }).ys[0]![0]! - yT) / paths;
    });
  }
  const p = slope(ks.map((k) => 2 ** -k), errs);
  assert.ok(Math.abs(p - 1.5) <= 0.2, `slope ${p.toFixed(3)}, errors ${errs.map((e) => e.toExponential(2)).join(", ")}`);
});

test("stiff-ish multiplicative noise (the reducible SDE with a = 20): adaptive solves meet tolerance-sized errors in few steps", () => {
  // Near X = −1 the drift's Jacobian is about −2(a − b²) ≈ −38: explicit steps must stay below ~0.05 there.
  const P = reducible(20, 1, 0.5);
  for (const [make, tol, bound] of [[() => new Milstein({ errorEstimate: true }), 1e-4, 2e-3], [() => new SRIW1(), 1e-4, 2e-3], [() => new EulerHeun({ errorEstimate: true }), 1e-5, 1e-1]] as const) {
    let err = 0, steps = 0;
    const paths = 10;
    for (let s = 0; s < paths; s++) {
      const bm = new VirtualBrownianTree({ t0: 0, t1: 2, tol: 1e-12, seed: 5000 + s, levyArea: "space-time" });
      // EulerHeun converges to the Stratonovich solution: give it the Stratonovich drift, f + ½ g g′ = f − b²X(1 − X²).
      const strat = make().interpretation === "stratonovich";
      const drift = strat ? new ODETerm((t: number, y: Float64Array, a: unknown, dy: Float64Array) => { P.drift.vf.f(t, y, a, dy); dy[0] = dy[0]! + b2x(y[0]!); }) : P.drift;
      const terms = new MultiTerm(drift, new ControlTerm(P.diffusion, bm, { noise: "diagonal" }));
      const sol = diffeqsolve({ terms, solver: make(), t0: 0, t1: 2, y0: [0.5], stepsizeController: new PIDController({ rtol: tol, atol: tol }), maxSteps: 1e6 });
      err += Math.abs(sol.ys[0]![0]! - P.exact(2, bm.evaluate(2)[0]!)) / paths;
      steps += sol.stats.numSteps / paths;
    }
    assert.ok(err < bound, `${make().name}: mean error ${err.toExponential(2)} in ${steps.toFixed(0)} steps`);
  }
  function b2x(x: number): number { return -x * (1 - x * x); }
});

test("the tree under adaptive steps: every increment asked for (rejected ones included) is W(t + h) − W(t) of one path, and the accepted ones sum to W(t1)", () => {
  class RecordingTree extends VirtualBrownianTree {
    readonly log: [number, number, number][] = [];
    override incrementAt(times: Float64Array, w: Float64Array, h: Float64Array | null): void {
      super.incrementAt(times, w, h);
      this.log.push([times[0]!, times[1]!, w[0]!]);
    }
  }
  const p = get("SDE_GBM_ITO");
  const bm = new RecordingTree({ t0: 0, t1: 1, tol: 1e-10, seed: 99, levyArea: "space-time" });
  const terms = new MultiTerm(new ODETerm(field(p.drift)), new ControlTerm(field(p.diffusion), bm, { noise: "diagonal" }));
  for (const solver of [new SRIW1(), new Milstein({ errorEstimate: true })]) {
    bm.log.length = 0;
    const sol = diffeqsolve({ terms, solver, t0: 0, t1: 1, y0: p.y0, stepsizeController: new PIDController({ rtol: 1e-4, atol: 1e-4 }), saveat: new SaveAt({ steps: true }) });
    assert.ok(sol.stats.numRejectedSteps > 10, `${solver.name}: ${sol.stats.numRejectedSteps} rejections`);
    const fresh = new VirtualBrownianTree({ t0: 0, t1: 1, tol: 1e-10, seed: 99 });
    let accepted = 0;
    bm.log.forEach(([t, h, w], i) => {
      // Asked in solve order (out of order for the tree's cache), answered as a fresh tree answers it.
      assert.ok(Math.abs(w - (fresh.evaluate(t + h)[0]! - fresh.evaluate(t)[0]!)) < 1e-14, `${solver.name}: increment ${i} over [${t}, ${t + h}]`);
      const next = bm.log[i + 1];
      if (next === undefined || next[0] !== t) accepted += w;
    });
    assert.ok(Math.abs(accepted - fresh.evaluate(1)[0]!) < 1e-12, `${solver.name}: accepted increments sum to ${accepted}`);
    assert.equal(sol.ts.length, sol.stats.numAcceptedSteps);
  }
});
