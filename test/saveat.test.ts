// SaveAt: output times are filled from the dense interpolant of the step that passes them, so they
// never change the steps taken; saved times are exactly the requested ones; no step passes t1.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { Bosh3, ConstantStepSize, diffeqsolve, Dopri5, Dopri8, Euler, ODETerm, PIDController, SaveAt, Tsit5, Vern7, Vern9 } from "../src/index.js";
import type { AbstractSolver, DiffeqsolveOptions } from "../src/index.js";
import { fuzzParams } from "./fuzz-params.js";

// y'' = -y: y = (cos t, -sin t) from (1, 0).
const osc = new ODETerm((_t: number, y: Float64Array, _a: unknown, dy: Float64Array) => {
  dy[0] = y[1]!;
  dy[1] = -y[0]!;
});
function solve(over: Partial<DiffeqsolveOptions> & { rtol?: number; solver?: AbstractSolver<any> }) {
  const { rtol = 1e-6, ...rest } = over;
  return diffeqsolve({
    terms: osc, solver: new Dopri5(), t0: 0, t1: 10, y0: [1, 0],
    stepsizeController: new PIDController({ rtol, atol: rtol * 1e-3 }), ...rest,
  });
}

test("saved values equal dense evaluation at the same times (forward and backward, every adaptive method)", () => {
  for (const solver of [new Dopri5(), new Bosh3(), new Tsit5(), new Vern7(), new Vern9(), new Dopri8()]) {
    for (const [t0, t1] of [[0, 10], [10, -2]] as const) {
      const ts = Array.from({ length: 37 }, (_, i) => t0 + ((t1 - t0) * i) / 36);
      const y0 = [Math.cos(t0), -Math.sin(t0)];
      const sol = solve({ solver, t0, t1, y0, saveat: new SaveAt({ ts, dense: true }) });
      assert.equal(sol.ts.length, ts.length);
      for (let i = 0; i < ts.length; i++) {
        const e = sol.evaluate(ts[i]!);
        if (ts[i] !== t1) {
          // The same interpolant with the same θ: bit for bit.
          for (let j = 0; j < 2; j++) assert.ok(e[j] === sol.ys[i]![j], `${solver.name} y_${j}(${ts[i]}): ${e[j]} vs ${sol.ys[i]![j]}`);
        } else {
          // At t1 the saved value is the step's y1; dense output evaluates the last interpolant at θ = 1,
          // which reproduces y1 only up to the rounding of its polynomial coefficients (≤ 1 ulp for
          // Dopri5/Tsit5, ~300 ulps for the large coefficients of Vern7, Vern9 and DOP853).
          for (let j = 0; j < 2; j++) assert.ok(Math.abs(sol.ys[i]![j]! - e[j]!) <= 1e-12, `${solver.name} y_${j}(t1): ${sol.ys[i]![j]} vs ${e[j]}`);
        }
        // And both are the solution, to the tolerance.
        assert.ok(Math.abs(sol.ys[i]![0]! - Math.cos(ts[i]!)) < 1e-4);
      }
    }
  }
});

test("step counts and the final state are identical whether or not ts are requested", () => {
  const plain = solve({ saveat: new SaveAt({ t1: true }) });
  const many = solve({ saveat: new SaveAt({ ts: Array.from({ length: 1001 }, (_, i) => i / 100), t1: true }) });
  assert.deepEqual(many.stats, plain.stats);
  assert.deepEqual(Array.from(many.ys[many.ys.length - 1]!), Array.from(plain.ys[0]!));
  const dense = solve({ saveat: new SaveAt({ t1: true, dense: true }) });
  assert.equal(dense.stats.numSteps, plain.stats.numSteps);
  assert.deepEqual(Array.from(dense.ys[0]!), Array.from(plain.ys[0]!));
});

test("property: saved times are exactly the requested ones; results do not depend on ts", () => {
  const arb = fc.record({
    ts: fc.array(fc.double({ min: 0, max: 10, noNaN: true }), { minLength: 0, maxLength: 40 }),
    logRtol: fc.double({ min: -10, max: -3, noNaN: true }),
    backward: fc.boolean(),
  });
  fc.assert(
    fc.property(arb, ({ ts: raw, logRtol, backward }) => {
      const rtol = 10 ** logRtol;
      const [t0, t1] = backward ? [10, 0] : [0, 10];
      const ts = raw.map((x) => x).sort((a, b) => (backward ? b - a : a - b));
      const y0 = [Math.cos(t0), -Math.sin(t0)];
      const ref = solve({ rtol, t0, t1, y0, saveat: new SaveAt({ t1: true }) });
      const sol = solve({ rtol, t0, t1, y0, saveat: new SaveAt({ ts }) });
      assert.deepEqual(Array.from(sol.ts), ts);
      assert.deepEqual(sol.stats, ref.stats);
      for (let i = 0; i < ts.length; i++) {
        // The global error of an rtol solve on [0, 10] is within ~100 tolerance units here.
        assert.ok(Math.abs(sol.ys[i]![0]! - Math.cos(ts[i]!)) < 100 * rtol + 1e-12, `y(${ts[i]}) at rtol ${rtol}`);
      }
      if (ts.length > 0 && ts[ts.length - 1] === t1) assert.deepEqual(Array.from(sol.ys[ts.length - 1]!), Array.from(ref.ys[0]!));
    }),
    fuzzParams(20261127, 60),
  );
});

test("property: no step passes t1, the last step lands on it exactly, and step times are monotone", () => {
  const arb = fc.record({
    t0: fc.double({ min: -1e3, max: 1e3, noNaN: true }),
    span: fc.double({ min: 1e-6, max: 50, noNaN: true }),
    logRtol: fc.double({ min: -11, max: -2, noNaN: true }),
    backward: fc.boolean(),
    dtmax: fc.option(fc.double({ min: 1e-3, max: 5, noNaN: true }), { nil: undefined }),
  });
  fc.assert(
    fc.property(arb, ({ t0, span, logRtol, backward, dtmax }) => {
      const t1 = backward ? t0 - span : t0 + span;
      const dir = Math.sign(t1 - t0);
      if (t1 === t0) return;
      const rtol = 10 ** logRtol;
      const sol = diffeqsolve({
        terms: osc, solver: new Dopri5(), t0, t1, y0: [Math.cos(t0), -Math.sin(t0)], maxSteps: 1_000_000,
        saveat: new SaveAt({ steps: true }), stepsizeController: new PIDController({ rtol, atol: rtol * 1e-3, dtmax }),
      });
      assert.equal(sol.ts.length, sol.stats.numAcceptedSteps);
      let prev = t0;
      for (const t of sol.ts) {
        assert.ok(dir * (t - prev) > 0, `step times must advance: ${prev} → ${t}`);
        assert.ok(dir * (t - t1) <= 0, `step to ${t} passes t1 = ${t1}`);
        prev = t;
      }
      assert.equal(sol.ts[sol.ts.length - 1], t1);
    }),
    fuzzParams(4242, 80),
  );
});

test("t0, t1, ts, steps and fn combine in time order; the defaults save t1 only", () => {
  const def = solve({});
  assert.deepEqual(Array.from(def.ts), [10]);
  const all = solve({ saveat: new SaveAt({ t0: true, t1: true, ts: [0, 5, 10], steps: true }) });
  const steps = solve({ saveat: new SaveAt({ steps: true }) });
  const n = steps.ts.length;
  assert.equal(steps.ts[n - 1], 10);
  // t0, ts[0] = 0, every step (ts = 5 filled in where passed, ts = 10 after the last step), then t1.
  assert.equal(all.ts.length, 1 + 3 + n + 1);
  assert.deepEqual(Array.from(all.ts.slice(0, 2)), [0, 0]);
  assert.deepEqual(Array.from(all.ts.slice(-2)), [10, 10]);
  for (let i = 1; i < all.ts.length; i++) assert.ok(all.ts[i]! >= all.ts[i - 1]!, "time order");
  assert.ok(Array.from(all.ts).includes(5));
  // Every k-th step, and the final step always.
  const every3 = solve({ saveat: new SaveAt({ steps: 3 }) });
  const expected = Array.from(steps.ts).filter((_, i) => (i + 1) % 3 === 0 || i === n - 1);
  assert.deepEqual(Array.from(every3.ts), expected);
  for (let i = 0; i < every3.ts.length; i++) {
    const j = Array.from(steps.ts).indexOf(every3.ts[i]!);
    assert.deepEqual(Array.from(every3.ys[i]!), Array.from(steps.ys[j]!));
  }
  // fn: save the energy (a scalar) or a 3-vector written into out.
  const energy = solve({ saveat: new SaveAt({ ts: [0, 2, 4], fn: (_t, y) => y[0]! * y[0]! + y[1]! * y[1]! }) });
  assert.equal(energy.size, 1);
  for (const row of energy.ys) assert.ok(Math.abs(row[0]! - 1) < 1e-5);
  const three = solve({
    saveat: new SaveAt({ t0: true, ts: [1, 3], fn: (t, y, _a, out) => { out[0] = t; out[1] = y[0]!; out[2] = 2 * y[1]!; } }),
  });
  assert.equal(three.size, 3);
  assert.deepEqual(Array.from(three.ts), [0, 1, 3]);
  for (let i = 0; i < 3; i++) {
    assert.equal(three.ys[i]![0], three.ts[i]);
    assert.ok(Math.abs(three.ys[i]![1]! - Math.cos(three.ts[i]!)) < 1e-5);
    assert.ok(Math.abs(three.ys[i]![2]! + 2 * Math.sin(three.ts[i]!)) < 2e-5);
  }
  assert.throws(() => three.ysAs(0), /SaveAt\.fn/);
  // dense only: no rows at all, but evaluate/derivative work everywhere.
  const dense = solve({ saveat: new SaveAt({ dense: true }) });
  assert.equal(dense.ts.length, 0);
  for (const t of [0, 0.3, 5, 9.99, 10]) {
    assert.ok(Math.abs(dense.evaluate(t)[0]! - Math.cos(t)) < 1e-4, `evaluate(${t})`);
    assert.ok(Math.abs(dense.derivative(t)[0]! + Math.sin(t)) < 1e-3, `derivative(${t})`);
  }
  assert.throws(() => dense.evaluate(10.5), /outside the solved interval/);
  assert.throws(() => def.evaluate(1), /dense: true/);
});

test("fixed steps: ts between steps come from the interpolant, steps: true gives t_k", () => {
  const sol = diffeqsolve({
    terms: osc, solver: new Euler(), t0: 0, t1: 1, dt0: 0.25, y0: [1, 0], stepsizeController: new ConstantStepSize(),
    saveat: new SaveAt({ ts: [0.1, 0.25, 0.6], steps: true }),
  });
  assert.deepEqual(Array.from(sol.ts), [0.1, 0.25, 0.25, 0.5, 0.6, 0.75, 1]);
});

test("backward time: ts decreasing, saved exactly, values right", () => {
  const ts = [3, 2.5, 1, -1.25];
  const sol = solve({ t0: 3, t1: -2, y0: [Math.cos(3), -Math.sin(3)], rtol: 1e-9, saveat: new SaveAt({ t0: true, ts, t1: true }) });
  assert.deepEqual(Array.from(sol.ts), [3, ...ts, -2]);
  for (let i = 0; i < sol.ts.length; i++) assert.ok(Math.abs(sol.ys[i]![0]! - Math.cos(sol.ts[i]!)) < 1e-7);
});

test("t0 === t1 returns at once with every requested output at t0 and no steps", () => {
  let calls = 0;
  const counted = new ODETerm((_t: number, y: Float64Array, _a: unknown, dy: Float64Array) => {
    calls++;
    dy[0] = -y[0]!;
  });
  for (const controller of [new PIDController(), undefined]) {
    calls = 0;
    const sol = diffeqsolve({
      terms: counted, solver: new Dopri5(), t0: 2, t1: 2, y0: [7], stepsizeController: controller,
      saveat: new SaveAt({ t0: true, ts: [2, 2], t1: true, steps: true }),
    });
    assert.deepEqual(Array.from(sol.ts), [2, 2, 2, 2]);
    for (const row of sol.ys) assert.equal(row[0], 7);
    assert.equal(sol.stats.numSteps, 0);
    assert.ok(calls <= 2, `only the input probe may call f (${calls} calls)`);
  }
  const fixed = diffeqsolve({ terms: counted, solver: new Euler(), t0: 1, t1: 1, y0: [3], stepsizeController: new ConstantStepSize() });
  assert.deepEqual(Array.from(fixed.ts), [1]);
  assert.equal(fixed.ys[0]![0], 3);
});
