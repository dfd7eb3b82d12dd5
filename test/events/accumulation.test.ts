// Accumulating events (Zeno behaviour): a cascade of state-changing events whose intervals shrink
// geometrically has a finite accumulation time t*, which no solve can pass. The solve must end there
// with RESULTS.eventsAccumulated and the data up to it, never fall through the floor reporting
// success. Expected values are closed forms: the ball's impacts and t* = t₁(1 + 2e/(1 − e)); the
// two-tank system's t* = (x₁ + x₂ − r₁ − r₂)/(v₁ + v₂ − w).
import assert from "node:assert/strict";
import { test } from "node:test";
import * as odeflow from "../../src/index.js";
import {
  type AbstractSolver, diffeqsolve, Dopri5, Event, ODETerm, PIDController, RESULTS, SaveAt, SolveError,
} from "../../src/index.js";
import { AccumulationMonitor } from "../../src/events/zeno.js";

/** assert.ok with a message always (Node builds missing messages by re-parsing the source: slow). */
function ok(cond: unknown, message = "expected true"): asserts cond {
  assert.ok(cond, message);
}

const T = { timeout: 30_000 };
const G = 9.81;
const E = 0.9;
const H0 = 10;
const fall = new ODETerm((_t: number, y: Float64Array, _a: unknown, dy: Float64Array) => {
  dy[0] = y[1]!;
  dy[1] = -G;
});
const bounce = (): Event => new Event({ cond: (_t, y) => y[0]!, direction: "down", affect: (_t, y) => { y[1] = -E * y[1]!; } });
/** First impact, and the accumulation time: t₁ plus the flights 2 e^k v₁/g, k ≥ 1, summed. */
const T_FIRST = Math.sqrt((2 * H0) / G);
const T_STAR = T_FIRST * (1 + (2 * E) / (1 - E));

function impactTime(k: number): number {
  return T_FIRST * (1 + (2 * E * (1 - E ** k)) / (1 - E));
}

test("the ball from 10 m (e = 0.9) solved to t1 = 40 with the defaults: eventsAccumulated just before t* = 27.129…, with the impacts up to it", T, () => {
  assert.ok(Math.abs(T_STAR - 27.129019335614) < 1e-9);
  const ts = Array.from({ length: 41 }, (_, i) => i);
  const sol = diffeqsolve({ terms: fall, solver: new Dopri5(), t0: 0, t1: 40, y0: [H0, 0], event: bounce(), saveat: new SaveAt({ ts }), throw: false });
  assert.equal(sol.result, RESULTS.eventsAccumulated);
  ok(sol.events.length > 100, `${sol.events.length} impacts`);
  sol.events.forEach((e, k) => ok(Math.abs(e.t - impactTime(k)) < 1e-9, `impact ${k}: ${e.t} vs ${impactTime(k)}`));
  // It stops at the last impact it can resolve: within 1e-9·t* of t*, never past it.
  ok(sol.tFinal < T_STAR && T_STAR - sol.tFinal < 1e-7, `tFinal = ${sol.tFinal}`);
  // Data up to the accumulation point: the outputs before it, all above the floor; none after.
  assert.deepEqual(Array.from(sol.ts), ts.filter((t) => t <= sol.tFinal));
  for (const y of sol.ys) ok(y[0]! > -1e-9, `height ${y[0]}`);
  // The message names the accumulation point and what to do.
  assert.match(sol.message, /accumulate at t\* ≈ 27\.12901933/);
  assert.match(sol.message, /0\.900 times the one before/);
  assert.match(sol.message, /terminating event|at rest/);
  assert.throws(
    () => diffeqsolve({ terms: fall, solver: new Dopri5(), t0: 0, t1: 40, y0: [H0, 0], event: bounce() }),
    (e: unknown) => e instanceof SolveError && e.result === RESULTS.eventsAccumulated && /t\* ≈ 27\.129/.test(e.message),
  );
  // Solved only up to t1 < t*: the impacts before t1, and success.
  const before = diffeqsolve({ terms: fall, solver: new Dopri5(), t0: 0, t1: 27, y0: [H0, 0], event: bounce() });
  assert.equal(before.result, RESULTS.successful);
  assert.equal(before.events.length, Array.from({ length: 200 }, (_, k) => impactTime(k)).filter((t) => t < 27).length);
});

test("the accumulating ball never reports success nor falls through the floor, for any solver and tolerance", T, async (t) => {
  const names = ["Bosh3", "Dopri5", "Tsit5", "Dopri8", "Vern7", "Vern9", "Rosenbrock23", "Rodas5P", "Kvaerno5", "BDF", "RadauIIA5"];
  for (const name of names) {
    await t.test(name, () => {
      for (const rtol of [1e-3, 1e-6, 1e-10]) {
        const solver = new ((odeflow as unknown as Record<string, new () => AbstractSolver<any>>)[name]!)();
        const sol = diffeqsolve({
          terms: fall, solver, t0: 0, t1: 40, y0: [H0, 0], event: bounce(), throw: false,
          stepsizeController: new PIDController({ rtol, atol: rtol }), saveat: new SaveAt({ steps: true }),
        });
        assert.equal(sol.result, RESULTS.eventsAccumulated, `${name} rtol ${rtol}: ${sol.message}`);
        // BDF restarts at first order after each impact, which damps the bounce: at rtol 1e-3 its
        // impacts accumulate at t ≈ 25.35 instead.
        const early = name === "BDF" ? 2 : 1e-3;
        ok(sol.tFinal < T_STAR + 1e-9 && sol.tFinal > T_STAR - early, `${name} rtol ${rtol}: tFinal = ${sol.tFinal}`);
        for (const y of sol.ys) ok(y[0]! > -10 * rtol, `${name} rtol ${rtol}: height ${y[0]}`);
      }
    });
  }
});

test("two tanks filled in turn (Zeno with alternating ratios) stop at t* = (x₁ + x₂ − r₁ − r₂)/(v₁ + v₂ − w)", T, () => {
  // The inflow w goes to one tank at a time and switches to a tank when its level falls to r.
  // Tank 1 falls at v₁ while tank 2 rises at w − v₂, and the other way round: the intervals shrink by
  // ratios alternating between 0.5 and 0.2 here, and the total volume falls at v₁ + v₂ − w.
  const w = 0.6;
  const v1 = 0.5;
  const v2 = 0.4;
  const tanks = new ODETerm((_t: number, y: Float64Array, _a: unknown, dy: Float64Array) => {
    dy[0] = w * (1 - y[2]!) - v1;
    dy[1] = w * y[2]! - v2;
    dy[2] = 0;
  });
  const events = [
    new Event({ cond: (_t, y) => y[0]!, direction: "down", affect: (_t, y) => { y[2] = 0; } }),
    new Event({ cond: (_t, y) => y[1]!, direction: "down", affect: (_t, y) => { y[2] = 1; } }),
  ];
  const tStar = (1 + 1) / (v1 + v2 - w);
  const sol = diffeqsolve({ terms: tanks, solver: new Dopri5(), t0: 0, t1: 20, y0: [1, 1, 1], event: events, throw: false });
  assert.equal(sol.result, RESULTS.eventsAccumulated);
  ok(Math.abs(sol.tFinal - tStar) < 1e-6 && sol.tFinal < tStar, `tFinal ${sol.tFinal} vs t* ${tStar}`);
  assert.match(sol.message, new RegExp(`t\\* ≈ ${tStar.toPrecision(8).slice(0, 8)}`));
  // The events alternate between the tanks.
  sol.events.forEach((e, k) => assert.equal(e.index, k % 2));
});

test("AccumulationMonitor: geometric and alternating intervals accumulate at the sum of their tail; steady or growing ones do not", () => {
  const m = new AccumulationMonitor();
  const feed = (times: number[]): void => {
    m.reset();
    for (const t of times) m.observe(t);
  };
  // d_k = 0.8^k from t = 0: t* = 1/(1 − 0.8) = 5.
  const geo = [0];
  for (let k = 0; k < 10; k++) geo.push(geo[k]! + 0.8 ** k);
  feed(geo);
  ok(m.accumulating);
  ok(Math.abs(m.tStar - 5) < 1e-12, `t* = ${m.tStar}`);
  ok(Math.abs(m.ratio - 0.8) < 1e-12);
  // Backward in time: the same, mirrored.
  feed(geo.map((t) => 3 - t));
  ok(m.accumulating && Math.abs(m.tStar - -2) < 1e-12, `t* = ${m.tStar}`);
  // Ratios 0.5 and 0.2 in turn: pairs shrink by 0.1; from intervals 1, 0.5, 0.1, 0.05, …, t* = 1.5/0.9.
  const alt = [0];
  for (let k = 0; k < 10; k++) alt.push(alt[k]! + (k % 2 === 0 ? 0.1 ** (k / 2) : 0.5 * 0.1 ** ((k - 1) / 2)));
  feed(alt);
  ok(m.accumulating && Math.abs(m.tStar - 1.5 / 0.9) < 1e-12, `t* = ${m.tStar}`);
  // Equal intervals, growing ones, and fewer than seven events: no accumulation.
  feed(Array.from({ length: 12 }, (_, k) => k));
  ok(!m.accumulating);
  feed(Array.from({ length: 12 }, (_, k) => 1.1 ** k));
  ok(!m.accumulating);
  feed(geo.slice(0, 6));
  ok(!m.accumulating);
  // Shrinking, but not at a steady ratio (0.9, then 0.3): not confirmed.
  const uneven = [0, 1, 1.9, 2.71, 2.98, 3.061, 3.0853];
  feed(uneven);
  ok(!m.accumulating);
});
