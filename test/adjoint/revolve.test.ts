import { test } from "node:test";
import assert from "node:assert/strict";
import { ConstantStepSize, diffeqsolveVjp, ODETerm, PIDController, RecursiveCheckpointAdjoint, revolveAdvances, SaveAt, StepTo, Tsit5 } from "../../src/index.js";
import { DynamicCheckpoints } from "../../src/adjoint/online.js";
import { optimalSplit } from "../../src/adjoint/revolve.js";
import { bruteForce } from "./checkpointing.js";

/** Griewank & Walther's closed form, written out here independently of src: t = r·l − C(s + r, r − 1). */
function closedForm(l: number, s: number): number {
  if (l <= 1) return 0;
  const binom = (a: number, b: number): number => {
    if (b < 0 || b > a) return 0;
    let r = 1;
    for (let i = 1; i <= b; i++) r = (r * (a - b + i)) / i;
    return Math.round(r);
  };
  let r = 0;
  while (binom(s + r, s) < l) r++;
  return r * l - binom(s + r, r - 1);
}

test("revolve's closed form T(l, s) equals the exhaustive optimum, and optimalSplit attains it", () => {
  const T = bruteForce(120, 7);
  for (let s = 1; s <= 7; s++) {
    for (let l = 1; l <= 120; l++) {
      assert.equal(revolveAdvances(l, s), T[s]![l], `l=${l} s=${s}`);
      assert.equal(closedForm(l, s), T[s]![l], `closed form l=${l} s=${s}`);
      if (l >= 2 && s >= 2) {
        const m = optimalSplit(l, s);
        assert.equal(m + T[s - 1]![l - m]! + T[s]![m]!, T[s]![l], `split l=${l} s=${s} m=${m}`);
      }
    }
  }
  assert.equal(revolveAdvances(10, 3), 15);
  assert.equal(revolveAdvances(1000, 1), 499500);
});

const decay = {
  f: (_t: number, y: Float64Array, a: { k: number }, dy: Float64Array) => { dy[0] = -a.k * y[0]! + Math.sin(y[1]!); dy[1] = a.k * y[0]! - 0.5 * y[1]!; },
  vjp: (_t: number, y: Float64Array, a: { k: number }, w: Float64Array, out: Float64Array) => {
    out[0] = -a.k * w[0]! + a.k * w[1]!;
    out[1] = Math.cos(y[1]!) * w[0]! - 0.5 * w[1]!;
  },
  vjpArgs: (_t: number, y: Float64Array, _a: unknown, w: Float64Array, out: Float64Array) => { out[0] = -y[0]! * w[0]! + y[0]! * w[1]!; },
  argNames: ["k"],
  nArgs: 1,
};

function gradient(N: number, c: number | undefined, ts?: number[], keepAllBytes?: number) {
  const { pullback } = diffeqsolveVjp({
    terms: new ODETerm(decay), solver: new Tsit5(), t0: 0, t1: 2, dt0: 2 / N, y0: [1, 0.5], args: { k: 0.7 },
    stepsizeController: new ConstantStepSize(), saveat: new SaveAt(ts === undefined ? { t1: true } : { ts }),
    adjoint: new RecursiveCheckpointAdjoint(c === undefined ? (keepAllBytes === undefined ? {} : { keepAllBytes }) : { checkpoints: c }),
  });
  const bar = ts === undefined ? [[1, -2]] : ts.map((_, i) => [1, i + 1]);
  return pullback(bar);
}

test("known step count: recomputations equal revolve's optimum T(N, c) − (N − 1), memory within c, gradients bit-identical", () => {
  const T = bruteForce(60, 6);
  for (const N of [1, 2, 3, 7, 16, 33, 60]) {
    const full = gradient(N, N + 1);
    assert.equal(full.stats.numRecomputedSteps, 0);
    for (let c = 1; c <= 6; c++) {
      const g = gradient(N, c);
      const optimum = N <= 1 ? 0 : T[c]![N]! - (N - 1);
      assert.equal(g.stats.numRecomputedSteps, optimum, `N=${N} c=${c}`);
      assert.ok(g.stats.peakCheckpoints <= c, `N=${N} c=${c}: peak ${g.stats.peakCheckpoints}`);
      assert.deepEqual(Array.from(g.y0 as number[]), Array.from(full.y0 as number[]));
      assert.equal((g.args as { k: number }).k, (full.args as { k: number }).k);
    }
  }
  // By default every state is kept (with the stages the solver computed): nothing is recomputed
  // and the gradient is the same, bit for bit, as with a checkpoint at every step.
  const d = gradient(200, undefined);
  assert.equal(d.stats.checkpoints, 200);
  assert.equal(d.stats.numRecomputedSteps, 0);
  assert.equal(d.stats.numFnEvals, 0);
  const full = gradient(200, 201);
  assert.deepEqual(Array.from(d.y0 as number[]), Array.from(full.y0 as number[]));
  assert.equal((d.args as { k: number }).k, (full.args as { k: number }).k);
  // Past keepAllBytes (here 100 steps' worth) the default budget is ⌈√(2N)⌉, with the same gradient.
  const small = gradient(200, undefined, undefined, 100 * 2 * 7 * 8);
  assert.equal(small.stats.checkpoints, 20);
  assert.ok(small.stats.peakCheckpoints <= 20);
  assert.deepEqual(Array.from(small.y0 as number[]), Array.from(full.y0 as number[]));
});

test("StepTo counts as a known step count, and output times inside the recomputed steps are differentiated", () => {
  const ts = [0, 0.13, 0.4, 1.1, 1.55, 2];
  const steps = [0, 0.1, 0.25, 0.4, 0.7, 1.0, 1.2, 1.5, 1.8, 2];
  const run = (c: number) =>
    diffeqsolveVjp({
      terms: new ODETerm(decay), solver: new Tsit5(), t0: 0, t1: 2, y0: [1, 0.5], args: { k: 0.7 },
      stepsizeController: new StepTo({ ts: steps }), saveat: new SaveAt({ ts }), adjoint: new RecursiveCheckpointAdjoint({ checkpoints: c }),
    }).pullback(ts.map((_, i) => [i, 1]));
  const ref = run(20);
  const T = bruteForce(9, 3);
  for (let c = 1; c <= 3; c++) {
    const g = run(c);
    assert.equal(g.stats.numRecomputedSteps, T[c]![9]! - 8);
    assert.deepEqual(Array.from(g.y0 as number[]), Array.from(ref.y0 as number[]));
  }
});

test("online (adaptive) checkpointing: never more than the requested states, gradients bit-identical to storing every step", () => {
  const run = (c: number | undefined, keepAllBytes?: number) => {
    const { solution, pullback } = diffeqsolveVjp({
      terms: new ODETerm(decay), solver: new Tsit5(), t0: 0, t1: 30, y0: [1, 0.5], args: { k: 0.7 },
      stepsizeController: new PIDController({ rtol: 1e-11, atol: 1e-11 }), saveat: new SaveAt({ ts: [1, 5, 12.5, 30] }),
      adjoint: new RecursiveCheckpointAdjoint(c === undefined ? (keepAllBytes === undefined ? {} : { keepAllBytes }) : { checkpoints: c }),
    });
    return { steps: solution.stats.numAcceptedSteps, g: pullback([[1, 0], [0, 1], [2, 2], [1, -1]]) };
  };
  const all = run(100_000);
  assert.ok(all.steps > 100, `${all.steps} steps`);
  assert.equal(all.g.stats.numRecomputedSteps, 0);
  for (const c of [1, 2, 3, 5, 8, 13, 40]) {
    const r = run(c);
    assert.ok(r.g.stats.peakCheckpoints <= c, `c=${c}: peak ${r.g.stats.peakCheckpoints}`);
    assert.ok(r.g.stats.numRecomputedSteps > 0);
    assert.deepEqual(Array.from(r.g.y0 as number[]), Array.from(all.g.y0 as number[]), `c=${c}`);
    assert.equal((r.g.args as { k: number }).k, (all.g.args as { k: number }).k);
  }
  // Fewer checkpoints, more recomputation; the default grows as ⌈√(2N)⌉.
  assert.ok(run(2).g.stats.numRecomputedSteps > run(8).g.stats.numRecomputedSteps);
  const def = run(undefined);
  assert.equal(def.g.stats.checkpoints, all.steps);
  assert.equal(def.g.stats.numRecomputedSteps, 0);
  assert.deepEqual(Array.from(def.g.y0 as number[]), Array.from(all.g.y0 as number[]));
  const grow = run(undefined, 0);
  assert.equal(grow.g.stats.checkpoints, Math.ceil(Math.sqrt(2 * all.steps)));
  assert.ok(grow.g.stats.peakCheckpoints <= grow.g.stats.checkpoints);
  assert.deepEqual(Array.from(grow.g.y0 as number[]), Array.from(all.g.y0 as number[]));
  // A second pullback (checkpoints recomputed by revolve, the count now known) gives the same gradient.
  const { pullback } = diffeqsolveVjp({
    terms: new ODETerm(decay), solver: new Tsit5(), t0: 0, t1: 30, y0: [1, 0.5], args: { k: 0.7 },
    stepsizeController: new PIDController({ rtol: 1e-11, atol: 1e-11 }), saveat: new SaveAt({ ts: [1, 5, 12.5, 30] }),
    adjoint: new RecursiveCheckpointAdjoint({ checkpoints: 4 }),
  });
  const bar = [[1, 0], [0, 1], [2, 2], [1, -1]];
  const first = pullback(bar);
  const second = pullback(bar);
  assert.deepEqual(Array.from(second.y0 as number[]), Array.from(first.y0 as number[]));
  assert.ok(second.stats.peakCheckpoints <= 4);
  assert.equal(second.stats.numRecomputedSteps, revolveAdvances(all.steps, 4) - (all.steps - 1));
});

test("Wang–Moin–Iaccarino schedule: the initial state is kept, positions increase, the count never exceeds the capacity", () => {
  for (const cap of [1, 2, 3, 6]) {
    const dc = new DynamicCheckpoints(cap);
    let next = 0;
    for (let i = 0; i < 500; i++) {
      dc.place(i, cap, () => next++);
      assert.ok(dc.count <= cap);
      assert.equal(dc.positions[0], 0);
      for (let k = 1; k < dc.count; k++) assert.ok(dc.positions[k]! > dc.positions[k - 1]!);
    }
    assert.ok(next <= cap, "slots are reused, never more than the capacity allocated");
  }
});
