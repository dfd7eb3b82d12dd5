// Property tests (fast-check): event times against closed forms for random problems, forward and
// backward, and a state-changing event that repeats (a sawtooth).
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { diffeqsolve, Dopri5, Event, ODETerm, PIDController, SaveAt } from "../../src/index.js";
import { fuzzParams } from "../fuzz-params.js";

/** assert.ok with a message always (Node builds missing messages by re-parsing the source: slow). */
function ok(cond: unknown, message = "expected true"): asserts cond {
  assert.ok(cond, message);
}

const T = { timeout: 20_000 };
const decay = new ODETerm((_t: number, y: Float64Array, a: { k: number }, dy: Float64Array) => {
  dy[0] = -a.k * y[0]!;
});
const ramp = new ODETerm((_t: number, _y: Float64Array, a: { r: number }, dy: Float64Array) => {
  dy[0] = a.r;
});

test("y' = −k y crosses c at ln(1/c)/k, forward and backward, for random k and c", T, () => {
  fc.assert(
    fc.property(fc.double({ min: 0.1, max: 20, noNaN: true }), fc.double({ min: 0.05, max: 0.95, noNaN: true }), fc.boolean(), (k, c, backward) => {
      const tc = Math.log(1 / c) / k;
      const T1 = 3 * tc;
      // Backward: start at T1 from the exact state and solve down to 0.
      const sol = diffeqsolve({
        terms: decay, solver: new Dopri5(), args: { k }, stepsizeController: new PIDController({ rtol: 1e-11, atol: 1e-13 }),
        t0: backward ? T1 : 0, t1: backward ? 0 : T1, y0: [backward ? Math.exp(-k * T1) : 1],
        event: new Event({ cond: (_t, y) => y[0]! - c, direction: backward ? "up" : "down" }),
      });
      assert.equal(sol.events.length, 1);
      ok(Math.abs(sol.events[0]!.t - tc) < 1e-9 * Math.max(1, tc), `k = ${k}, c = ${c}: ${sol.events[0]!.t} vs ${tc}`);
    }),
    fuzzParams(31415, 60),
  );
});

test("a sawtooth (y' = r, reset to 0 at y = 1) fires at k/r and saved outputs follow the closed form", T, () => {
  fc.assert(
    fc.property(fc.double({ min: 0.3, max: 5, noNaN: true }), fc.double({ min: 2, max: 10, noNaN: true }), (r, t1) => {
      // A crossing (or an output time) within a hair of t1 or of a reset is a coin toss; skip those draws.
      fc.pre(Math.abs(t1 * r - Math.round(t1 * r)) > 1e-6);
      const ts = Array.from({ length: 7 }, (_, i) => (t1 * (i + 0.5)) / 7);
      fc.pre(ts.every((t) => Math.abs(r * t - Math.round(r * t)) > 1e-6));
      const sol = diffeqsolve({
        terms: ramp, solver: new Dopri5(), args: { r }, t0: 0, t1, y0: [0], stepsizeController: new PIDController({ rtol: 1e-10, atol: 1e-12 }),
        event: new Event({ cond: (_t, y) => y[0]! - 1, direction: "up", affect: (_t, y) => { y[0] = 0; } }), saveat: new SaveAt({ ts }),
      });
      const expected = Math.floor(t1 * r);
      assert.equal(sol.events.length, expected);
      sol.events.forEach((e, k) => ok(Math.abs(e.t - (k + 1) / r) < 1e-9 * (k + 1), `event ${k}`));
      ts.forEach((t, i) => {
        const exact = r * t - Math.floor(r * t);
        ok(Math.abs(sol.ys[i]![0]! - exact) < 1e-8, `y(${t}) = ${sol.ys[i]![0]} vs ${exact}`);
      });
    }),
    fuzzParams(27182, 60),
  );
});
