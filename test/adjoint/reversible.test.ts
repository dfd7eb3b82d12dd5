// ReversibleHeun (ODEs and Stratonovich SDEs) and ReversibleAdjoint: the method's order against
// closed forms, the adjoint against forward mode on the same discretisation (1e-10) and against
// central differences (1e-6), and its memory flat in the number of steps (measured heap).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  compile, ConstantStepSize, ControlTerm, diffeqsolve, diffeqsolveVjp, ForwardSensitivity, Heun, MultiTerm, ODETerm, PIDController,
  RecursiveCheckpointAdjoint, ReversibleAdjoint, ReversibleHeun, SaveAt, Tsit5, VirtualBrownianTree,
} from "../../src/index.js";

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.max(1e-300, Math.abs(b));
const slope = (hs: number[], errs: number[]): number => {
  const xs = hs.map(Math.log), ys = errs.map(Math.log);
  const mx = xs.reduce((a, b) => a + b) / xs.length, my = ys.reduce((a, b) => a + b) / ys.length;
  let num = 0, den = 0;
  for (let i = 0; i < xs.length; i++) { num += (xs[i]! - mx) * (ys[i]! - my); den += (xs[i]! - mx) ** 2; }
  return num / den;
};

test("ReversibleHeun has order 2 on an ODE (harmonic oscillator against cos t)", () => {
  const term = new ODETerm((_t: number, y: Float64Array, _a: unknown, dy: Float64Array) => { dy[0] = y[1]!; dy[1] = -y[0]!; });
  const hs = [0.1, 0.05, 0.025, 0.0125];
  const errs = hs.map((dt) => Math.abs(diffeqsolve({ terms: term, solver: new ReversibleHeun(), t0: 0, t1: 5, dt0: dt, y0: [1, 0], stepsizeController: new ConstantStepSize() }).ys[0]![0]! - Math.cos(5)));
  const p = slope(hs, errs);
  assert.ok(Math.abs(p - 2) < 0.1, `slope ${p}`);
  // Adaptive steps from the embedded error estimate meet the tolerance.
  const sol = diffeqsolve({ terms: term, solver: new ReversibleHeun(), t0: 0, t1: 5, y0: [1, 0], stepsizeController: new PIDController({ rtol: 1e-6, atol: 1e-8 }) });
  assert.ok(Math.abs(sol.ys[0]![0]! - Math.cos(5)) < 1e-4, `${sol.ys[0]![0]}`);
});

test("ReversibleHeun converges strongly to the Stratonovich solution (geometric Brownian motion, y = y0 exp(μt + σW))", () => {
  const ks = [4, 5, 6, 7];
  const errs = ks.map(() => 0);
  const paths = 40;
  const base = new VirtualBrownianTree({ t0: 0, t1: 1, tol: 2 ** -9, seed: 0 });
  for (let s = 0; s < paths; s++) {
    const bm = base.withSeed(200 + s);
    const terms = new MultiTerm(
      new ODETerm((_t: number, y: Float64Array, _a: unknown, dy: Float64Array) => { dy[0] = 0.5 * y[0]!; }),
      new ControlTerm((_t: number, y: Float64Array, _a: unknown, g: Float64Array) => { g[0] = 0.8 * y[0]!; }, bm),
    );
    const exact = Math.exp(0.5 + 0.8 * bm.evaluate(1)[0]!);
    ks.forEach((k, j) => {
      const sol = diffeqsolve({ terms, solver: new ReversibleHeun(), t0: 0, t1: 1, dt0: 2 ** -k, y0: [1], stepsizeController: new ConstantStepSize() });
      errs[j]! += Math.abs(sol.ys[0]![0]! - exact) / paths;
    });
  }
  // Strong order 0.5 in general (Kidger et al. 2021); with one noise (commutative) we measure about 1.
  const p = slope(ks.map((k) => 2 ** -k), errs);
  assert.ok(p > 0.4, `slope ${p}, errors ${errs.map((e) => e.toExponential(2)).join(", ")}`);
});

type P = { a: number; b: number };
const pendulum = compile((_t: number, y: Float64Array, p: P) => [y[1]!, -p.a * Math.sin(y[0]!) - p.b * y[1]!], { args: { a: 0, b: 0 } });
const args = { a: 2, b: 0.3 };
const bar = [[1, 0], [0, 1], [1, 1]];
const loss = (ys: Float64Array[]): number => ys.reduce((acc, row, r) => acc + row[0]! * bar[r]![0]! + row[1]! * bar[r]![1]!, 0);
const flat = (g: { y0: unknown; args: unknown }): number[] => [...(g.y0 as number[]), (g.args as P).a, (g.args as P).b];

for (const [label, controller, dt0] of [["fixed steps", new ConstantStepSize(), 0.01], ["adaptive steps", new PIDController({ rtol: 1e-6, atol: 1e-8 }), undefined]] as const) {
  test(`ReversibleAdjoint (${label}) equals forward mode on the same steps to 1e-10${dt0 !== undefined ? " and central differences to 1e-6" : ""}`, () => {
    const opts = (a: P, y0: number[]) => ({
      terms: new ODETerm(pendulum), solver: new ReversibleHeun(), t0: 0, t1: 10, y0, args: a, stepsizeController: controller,
      saveat: new SaveAt({ ts: [2.5, 5, 10] }), ...(dt0 !== undefined ? { dt0 } : {}),
    });
    const r = flat(diffeqsolveVjp({ ...opts(args, [1, 0]), adjoint: new ReversibleAdjoint() }).pullback(bar));
    const f = flat(diffeqsolveVjp({ ...opts(args, [1, 0]), adjoint: new ForwardSensitivity() }).pullback(bar));
    r.forEach((x, i) => assert.ok(rel(x, f[i]!) < 1e-10, `input ${i}: ${x} vs ${f[i]}`));
    if (dt0 === undefined) return;
    const h = 1e-6;
    const L = (a: P, y0: number[]): number => loss(diffeqsolve(opts(a, y0)).ys);
    const fd = [
      (L(args, [1 + h, 0]) - L(args, [1 - h, 0])) / (2 * h), (L(args, [1, h]) - L(args, [1, -h])) / (2 * h),
      (L({ ...args, a: args.a + h }, [1, 0]) - L({ ...args, a: args.a - h }, [1, 0])) / (2 * h),
      (L({ ...args, b: args.b + h }, [1, 0]) - L({ ...args, b: args.b - h }, [1, 0])) / (2 * h),
    ];
    r.forEach((x, i) => assert.ok(rel(x, fd[i]!) < 1e-6, `input ${i}: ${x} vs differences ${fd[i]}`));
  });
}

test("ReversibleAdjoint through an SDE (diagonal noise, VirtualBrownianTree) equals forward mode on the same path to 1e-10", () => {
  const bm = new VirtualBrownianTree({ t0: 0, t1: 1, tol: 1e-6, shape: 2, seed: 3 });
  const g = compile((_t: number, y: Float64Array, p: P) => [0.3 * p.b * y[0]!, 0.2 * Math.cos(y[1]!)], { args: { a: 0, b: 0 } });
  for (const controller of [new ConstantStepSize(), new PIDController({ rtol: 1e-3, atol: 1e-4 })]) {
    const opts = {
      terms: new MultiTerm(new ODETerm(pendulum), new ControlTerm(g, bm, { noise: "diagonal" })), solver: new ReversibleHeun(), t0: 0, t1: 1, dt0: 0.01,
      y0: [1, 0], args, stepsizeController: controller, saveat: new SaveAt({ ts: [0.5, 1] }),
    };
    const b2 = [[1, 0], [0.5, 1]];
    const r = flat(diffeqsolveVjp({ ...opts, adjoint: new ReversibleAdjoint() }).pullback(b2));
    const f = flat(diffeqsolveVjp({ ...opts, adjoint: new ForwardSensitivity() }).pullback(b2));
    r.forEach((x, i) => assert.ok(rel(x, f[i]!) < 1e-10, `input ${i}: ${x} vs ${f[i]}`));
  }
});

test("ReversibleAdjoint keeps no memory per step: heap flat from 10³ to 10⁵ steps (the checkpointed adjoint's grows)", () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return; // run with --expose-gc (scripts/test.mjs does)
  const used = (): number => {
    gc();
    gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  /** Bytes held after the forward solve and a pullback, while the pullback stays callable. */
  const retained = (N: number, reversible: boolean): number => {
    const before = used();
    const r = diffeqsolveVjp({
      terms: new ODETerm(pendulum), solver: reversible ? new ReversibleHeun() : new Heun(), t0: 0, t1: 10, dt0: 10 / N, y0: [1, 0], args,
      stepsizeController: new ConstantStepSize(), adjoint: reversible ? new ReversibleAdjoint() : new RecursiveCheckpointAdjoint(),
    });
    r.pullback([[1, 0]]);
    const held = used() - before;
    assert.equal(r.solution.stats.numAcceptedSteps, N);
    return held;
  };
  const median = (xs: number[]): number => xs.sort((a, b) => a - b)[1]!;
  const small = median([0, 1, 2].map(() => retained(1000, true)));
  const large = median([0, 1, 2].map(() => retained(100_000, true)));
  // 8 bytes a step would be 800 kB here.
  assert.ok(large - small < 256 * 1024, `reversible: ${small} B at 10³ steps, ${large} B at 10⁵`);
  const cp = retained(100_000, false) - retained(1000, false);
  assert.ok(cp > 1024 * 1024, `the checkpointed adjoint's memory grows (${cp} B), so the measurement sees growth`);
});

test("ReversibleAdjoint refuses other solvers and events, naming what to use", () => {
  assert.throws(
    () => diffeqsolveVjp({ terms: new ODETerm(pendulum), solver: new Tsit5(), t0: 0, t1: 1, y0: [1, 0], args, adjoint: new ReversibleAdjoint() }),
    /needs solver: new ReversibleHeun\(\); got Tsit5/,
  );
  assert.throws(
    () => diffeqsolveVjp({ terms: new ODETerm(pendulum), solver: new ReversibleHeun(), t0: 0, t1: 1, dt0: 0.1, y0: [1, 0], args, stepsizeController: new ConstantStepSize() }),
    /use adjoint: new ReversibleAdjoint\(\)/,
  );
});
