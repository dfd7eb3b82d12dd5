// A function the user gave that throws ends the solve with RESULTS.callbackError, keeps the data
// computed up to the last completed step, attaches the original error, and names the culprit and
// the time of the call that threw.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ControlTerm, diffeqsolve, Dopri5, Event, EulerMaruyama, MultiTerm, ODETerm, PIDController, ConstantStepSize, RESULTS, SaveAt, SolveError,
  Tsit5, VirtualBrownianTree,
} from "../../src/index.js";

const boom = new Error("boom");

test("a vector field that throws: callbackError, the rows before it, the original error, and the exact time of the failing call", () => {
  const calls: number[] = [];
  const f = (t: number, y: Float64Array, a: unknown, dy: Float64Array): void => {
    calls.push(t);
    if (t > 0.5) throw boom;
    dy[0] = -y[0]!;
  };
  const ts = [0.1, 0.2, 0.3, 0.4, 0.45, 0.6, 0.8];
  const tight = new PIDController({ rtol: 1e-10, atol: 1e-12 });
  const sol = diffeqsolve({ terms: new ODETerm(f), solver: new Tsit5(), t0: 0, t1: 1, y0: [1], saveat: new SaveAt({ ts }), stepsizeController: tight, throw: false });
  assert.equal(sol.result, RESULTS.callbackError);
  assert.equal(sol.error, boom);
  // Every row comes from a completed step, before the failing one, and is the true solution to tolerance.
  assert.equal(sol.ts.length, 5, "the rows up to 0.45");
  for (let i = 0; i < sol.ts.length; i++) {
    assert.ok(sol.ts[i]! <= sol.tFinal && sol.ts[i]! <= 0.5);
    assert.ok(Math.abs(sol.ys[i]![0]! - Math.exp(-sol.ts[i]!)) < 1e-9);
  }
  // The message names the vector field and the time of the call that threw: the first call after 0.5.
  calls.length = 0;
  diffeqsolve({ terms: new ODETerm(f), solver: new Tsit5(), t0: 0, t1: 1, y0: [1], saveat: new SaveAt({ ts }), stepsizeController: tight, throw: false });
  const first = calls.find((t) => t > 0.5)!;
  assert.match(sol.message, new RegExp(`t = ${String(first).replace(".", "\\.")}, in the step from t = ${String(sol.tFinal).replace(".", "\\.")}`));
  assert.match(sol.message, /the vector field .* threw Error: boom/);
  // throw: true (the default): a SolveError carrying the partial solution and, as its cause, the error.
  assert.throws(
    () => diffeqsolve({ terms: new ODETerm(f), solver: new Tsit5(), t0: 0, t1: 1, y0: [1], saveat: new SaveAt({ ts }), stepsizeController: tight }),
    (e: unknown) => e instanceof SolveError && e.result === RESULTS.callbackError && (e as { cause?: unknown }).cause === boom && (e.solution as { ts: Float64Array }).ts.length === sol.ts.length,
  );
});

test("an event condition, an event affect and a SaveAt fn that throw are named, each with its time", () => {
  const base = { terms: new ODETerm((t: number, y: Float64Array, a: unknown, dy: Float64Array) => { dy[0] = 1; }), solver: new Dopri5(), t0: 0, t1: 2, y0: [0], throw: false } as const;
  const cond = diffeqsolve({ ...base, event: new Event({ cond: (t: number, y: Float64Array) => { if (t > 1) throw boom; return y[0]! - 5; } }) });
  assert.equal(cond.result, RESULTS.callbackError);
  assert.match(cond.message, /t = .*, in the step to t = .*, while checking it for events: an event condition threw Error: boom/);
  const affect = diffeqsolve({ ...base, event: new Event({ cond: (t: number, y: Float64Array) => y[0]! - 0.75, affect: () => { throw boom; } }) });
  assert.equal(affect.result, RESULTS.callbackError);
  assert.match(affect.message, /t = 0\.75\d*: an event affect threw Error: boom/);
  assert.equal(affect.error, boom);
  const fn = diffeqsolve({ ...base, saveat: new SaveAt({ ts: [0.5, 1, 1.5], fn: (t: number, y: Float64Array) => { if (t === 1.5) throw boom; return y[0]!; } }) });
  assert.equal(fn.result, RESULTS.callbackError);
  assert.match(fn.message, /t = 1\.5: the SaveAt fn threw Error: boom/);
  assert.deepEqual(Array.from(fn.ts), [0.5, 1]);
});

test("a diffusion that throws in an SDE solve ends it with callbackError and the paths so far", () => {
  const bm = new VirtualBrownianTree({ t0: 0, t1: 1, tol: 1e-6, shape: 1, seed: 1 });
  const sol = diffeqsolve({
    terms: new MultiTerm(new ODETerm((t: number, y: Float64Array, a: unknown, dy: Float64Array) => { dy[0] = -y[0]!; }), new ControlTerm((t: number, y: Float64Array, a: unknown, out: Float64Array) => { if (t >= 0.5) throw boom; out[0] = 0.1; }, bm)),
    solver: new EulerMaruyama(), t0: 0, t1: 1, dt0: 0.01, y0: [1], stepsizeController: new ConstantStepSize(), saveat: new SaveAt({ steps: true }), throw: false,
  });
  assert.equal(sol.result, RESULTS.callbackError);
  assert.ok(sol.ts.length >= 49 && sol.ts[sol.ts.length - 1]! < 0.5 + 1e-12);
  assert.match(sol.message, /diffusion/);
});

test("a failed solve keeps no row beyond where it stopped, and every kept row is finite", () => {
  // y' = y² blows up at t = 1; the solver stops near there with dtMinReached.
  const ts = Array.from({ length: 21 }, (_, i) => i / 10);
  for (const rtol of [1e-3, 1e-6, 1e-9]) {
    const sol = diffeqsolve({
      terms: new ODETerm((t: number, y: Float64Array, a: unknown, dy: Float64Array) => { dy[0] = y[0]! * y[0]!; }), solver: new Tsit5(), t0: 0, t1: 2, y0: [1],
      saveat: new SaveAt({ ts, t1: true }), stepsizeController: new PIDController({ rtol, atol: rtol }), throw: false,
    });
    assert.ok(sol.result === RESULTS.dtMinReached || sol.result === RESULTS.nonFiniteEncountered, sol.message);
    assert.ok(Math.abs(sol.tFinal - 1) < 1e-2, `stopped at ${sol.tFinal}`);
    for (let i = 0; i < sol.ts.length; i++) {
      assert.ok(sol.ts[i]! <= sol.tFinal, `row at ${sol.ts[i]} beyond ${sol.tFinal}`);
      assert.ok(Number.isFinite(sol.ysFlat[i]!));
    }
    assert.ok(!Array.from(sol.ts).includes(2), "no t1 row");
  }
});
