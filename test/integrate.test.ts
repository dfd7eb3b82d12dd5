import assert from "node:assert/strict";
import { test } from "node:test";
import { Bosh3, ConstantStepSize, diffeqsolve, Dopri5, Euler, ODETerm, PIDController, SaveAt } from "../src/index.js";

// y'' = -4 y, y(0) = 1, y'(0) = 0: y = cos 2t, y' = -2 sin 2t.
const oscillator = new ODETerm((t: number, y: Float64Array, args: { k: number }, dy: Float64Array) => {
  dy[0] = y[1]!;
  dy[1] = -args.k * y[0]!;
});

test("harmonic oscillator at output times matches cos 2t to the tolerance", () => {
  for (const solver of [new Dopri5(), new Bosh3()]) {
    const sol = diffeqsolve({
      terms: oscillator, solver, t0: 0, t1: 10, y0: [1, 0], args: { k: 4 },
      saveat: new SaveAt({ ts: [0, 2.5, 5, 10] }),
      stepsizeController: new PIDController({ rtol: 1e-9, atol: 1e-12 }),
    });
    assert.deepEqual(Array.from(sol.ts), [0, 2.5, 5, 10]);
    for (let i = 0; i < sol.ts.length; i++) {
      const t = sol.ts[i]!;
      assert.ok(Math.abs(sol.ys[i]![0]! - Math.cos(2 * t)) < 1e-6, `${solver.name} y(${t})`);
      assert.ok(Math.abs(sol.ys[i]![1]! + 2 * Math.sin(2 * t)) < 2e-6, `${solver.name} y'(${t})`);
    }
  }
});

test("fixed-step Euler lands exactly on t1 and is first order", () => {
  const errs = [1e-2, 5e-3].map((dt) => {
    const sol = diffeqsolve({
      terms: oscillator, solver: new Euler(), t0: 0, t1: 1, dt0: dt, y0: [1, 0], args: { k: 4 },
      stepsizeController: new ConstantStepSize(),
    });
    assert.equal(sol.ts[0], 1);
    assert.equal(sol.stats.numSteps, Math.round(1 / dt));
    return Math.abs(sol.ys[0]![0]! - Math.cos(2));
  });
  const slope = Math.log2(errs[0]! / errs[1]!);
  assert.ok(Math.abs(slope - 1) < 0.25, `slope ${slope}`);
});

test("backward integration returns to the initial value", () => {
  const sol = diffeqsolve({
    terms: oscillator, solver: new Dopri5(), t0: 3, t1: 0, y0: [Math.cos(6), -2 * Math.sin(6)], args: { k: 4 },
    stepsizeController: new PIDController({ rtol: 1e-10, atol: 1e-12 }),
  });
  assert.equal(sol.ts[0], 0);
  assert.ok(Math.abs(sol.ys[0]![0]! - 1) < 1e-8);
  assert.ok(Math.abs(sol.ys[0]![1]!) < 1e-8);
});
