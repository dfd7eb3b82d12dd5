// What solve_ivp and diffrax users reach for first on a Solution: success and message, readable
// result names (toString, console.log), a component as one array, event times and states per
// event. Expected values are closed forms of a ball falling under gravity.
import assert from "node:assert/strict";
import { test } from "node:test";
import { inspect } from "node:util";
import { Event, ODETerm, PIDController, RESULTS, SaveAt, Tsit5, diffeqsolve } from "../src/index.js";

const g = 9.81;
const fall = new ODETerm((t: number, y: Float64Array, a: unknown, dy: Float64Array) => { dy[0] = y[1]!; dy[1] = -g; });
const tight = new PIDController({ rtol: 1e-10, atol: 1e-12 });
const bounce = new Event({ cond: (t, y) => y[0]!, direction: "down", affect: (t, y) => { y[1] = -0.9 * y[1]!; } });
const apex = new Event({ cond: (t, y) => y[1]!, direction: "down" });

test("eventTimes and eventStates list each event's firings, by its index in the event option", () => {
  const sol = diffeqsolve({ terms: fall, solver: new Tsit5(), t0: 0, t1: 7, y0: [10, 0], event: [bounce, apex], stepsizeController: tight });
  // Impacts: first at √(2h/g); each bounce leaves at 0.9 of the impact speed, so the next flight
  // lasts 2·0.9·v/g. Apexes: halfway through each flight, at height (0.9 v)²/(2g).
  const v1 = Math.sqrt(2 * g * 10), t1 = Math.sqrt(20 / g);
  const impacts = [t1, t1 + (2 * 0.9 * v1) / g, t1 + (2 * 0.9 * v1) / g + (2 * 0.81 * v1) / g];
  const hits = sol.eventTimes(0);
  assert.ok(hits instanceof Float64Array);
  assert.equal(hits.length, 3);
  hits.forEach((t, i) => assert.ok(Math.abs(t - impacts[i]!) < 1e-9, `impact ${i} at ${t}, expected ${impacts[i]}`));
  const states = sol.eventStates(0);
  assert.ok(Math.abs(states[0]![1]! + v1) < 1e-8, "the state before the affect: falling at √(2gh)");
  const apexes = sol.eventStates(1);
  assert.equal(sol.eventTimes(1).length, 2);
  assert.ok(Math.abs(apexes[0]![0]! - (0.9 * v1) ** 2 / (2 * g)) < 1e-8);
  assert.deepEqual(Array.from(sol.eventTimes(7)), [], "an index that never fired: none");
  assert.throws(() => sol.eventTimes(-1), /sol\.eventTimes\(index\): index = number -1 must be the position of an event/);
  // The copies are the caller's: changing one changes nothing in the solution.
  states[0]![0] = 99;
  assert.notEqual(sol.eventStates(0)[0]![0], 99);
});

test("success, resultName, toString and console.log show the result by name", () => {
  const sol = diffeqsolve({ terms: fall, solver: new Tsit5(), t0: 0, t1: 1, y0: [10, 0], saveat: new SaveAt({ ts: [0, 0.5, 1], dense: true }) });
  assert.equal(sol.success, true);
  assert.equal(sol.resultName, "successful");
  assert.match(String(sol), /^Solution\(successful, 3 saved rows of 2, t ∈ \[0, 1\], \d+ steps\)$/);
  const shown = inspect(sol);
  assert.match(shown, /^Solution \{/);
  assert.match(shown, /result: 'successful \(0\)'/);
  assert.match(shown, /dense: '\d+ steps of Tsit5'/, "the dense output summarised, not dumped");
  assert.doesNotMatch(shown, /tStart/);
  // A column: all values of one component, one per saved time (y = 10 − g t²/2).
  const h = sol.column(0);
  [0, 0.5, 1].forEach((t, i) => assert.ok(Math.abs(h[i]! - (10 - (g * t * t) / 2)) < 1e-9));
  const failed = diffeqsolve({ terms: fall, solver: new Tsit5(), t0: 0, t1: 1, y0: [10, 0], maxSteps: 2, throw: false });
  assert.equal(failed.success, false);
  assert.match(inspect(failed), /result: 'maxStepsReached \(\d+\)'/);
});

test("a terminating event's state is in sol.ys with SaveAt({ ts, t1: true }): t1 saves where the solve ended", () => {
  const ground = new Event({ cond: (t, y) => y[0]!, direction: "down", terminal: true });
  const sol = diffeqsolve({ terms: fall, solver: new Tsit5(), t0: 0, t1: 5, y0: [10, 0], event: ground, saveat: new SaveAt({ ts: [0, 1], t1: true }), stepsizeController: tight });
  assert.equal(sol.result, RESULTS.eventOccurred);
  const t = Math.sqrt(20 / g);
  assert.equal(sol.ts.length, 3);
  assert.ok(Math.abs(sol.ts[2]! - t) < 1e-9);
  assert.ok(Math.abs(sol.ys[2]![0]!) < 1e-9 && Math.abs(sol.ys[2]![1]! + g * t) < 1e-8);
  assert.deepEqual(Array.from(sol.ys[2]!), Array.from(sol.eventStates(0)[0]!), "the same state as the event's record");
});
