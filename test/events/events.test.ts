// Events: exact location on the step's interpolant, terminating and state-changing events,
// discrete and scheduled callbacks. Expected values come from closed forms (free fall, sin t,
// the Bateman function), never from earlier runs of the solver.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import * as odeflow from "../../src/index.js";
import {
  type AbstractSolver, type AbstractTerm, ConstantStepSize, diffeqsolve, Dopri5, Event, isOkay, MultiTerm, ODETerm, PIDController, RESULTS, SaveAt,
  SolveError,
} from "../../src/index.js";

/** assert.ok with a message always (Node builds missing messages by re-parsing the source: slow). */
function ok(cond: unknown, message = "expected true"): asserts cond {
  assert.ok(cond, message);
}

const T = { timeout: 20_000 };
const tight = (): PIDController => new PIDController({ rtol: 1e-10, atol: 1e-12 });

// ── The bouncing ball: y = [height, velocity], y'' = −g, velocity ← −e·velocity at impact. ──
const G = 9.81;
const E = 0.9;
const H0 = 10;
const fall = new ODETerm((_t: number, y: Float64Array, _a: unknown, dy: Float64Array) => {
  dy[0] = y[1]!;
  dy[1] = -G;
});
/** The ball as terms for a solver: IMEX methods (KenCarp) take the same field as a non-stiff part and a zero stiff part. */
const zeroField = new ODETerm((_t: number, _y: Float64Array, _a: unknown, dy: Float64Array) => {
  dy.fill(0);
});
const termsFor = (name: string, f: ODETerm, stiffPart: ODETerm = zeroField): AbstractTerm => (name.startsWith("KenCarp") ? new MultiTerm(f, stiffPart) : f);
const bounce = (e = E): Event => new Event({ cond: (_t, y) => y[0]!, direction: "down", affect: (_t, y) => { y[1] = -e * y[1]!; } });
/** Analytic impact times: the first after √(2h/g), then flights of 2 e^k v1 / g. */
function bounceTimes(count: number, e = E): { t: number[]; v: number[] } {
  const t1 = Math.sqrt((2 * H0) / G);
  const t: number[] = [t1];
  const v: number[] = [G * t1]; // impact speed
  for (let k = 1; k < count; k++) {
    t.push(t[k - 1]! + (2 * e * v[k - 1]!) / G);
    v.push(e * v[k - 1]!);
  }
  return { t, v };
}

test("bouncing ball (restitution 0.9): impact times and speeds match the closed form to 1e-10", T, () => {
  const sol = diffeqsolve({
    terms: fall, solver: new Dopri5(), t0: 0, t1: 20, y0: [H0, 0], event: bounce(), stepsizeController: tight(),
  });
  const exact = bounceTimes(sol.events.length);
  // Impacts before t = 20: t_k < 20 for k up to where the geometric sum passes 20.
  const expected = exact.t.filter((t) => t < 20).length;
  ok(expected >= 8);
  assert.equal(sol.events.length, expected);
  for (let k = 0; k < sol.events.length; k++) {
    const ev = sol.events[k]!;
    assert.equal(ev.index, 0);
    ok(Math.abs(ev.t - exact.t[k]!) < 1e-10, `impact ${k}: ${ev.t} vs ${exact.t[k]}`);
    ok(Math.abs(ev.y[0]!) < 1e-12, `height at impact ${k}: ${ev.y[0]}`);
    ok(Math.abs(ev.y[1]! + exact.v[k]!) < 1e-9, `velocity before impact ${k}`);
  }
  assert.equal(sol.result, RESULTS.successful);
  // State at t1 = 20: in flight after the last impact.
  const last = sol.events.length - 1;
  const s = 20 - exact.t[last]!;
  const v = E * exact.v[last]!;
  ok(Math.abs(sol.ys[0]![0]! - (v * s - (G * s * s) / 2)) < 1e-9);
  ok(Math.abs(sol.ys[0]![1]! - (v - G * s)) < 1e-9);
});

test("bouncing ball with every solver that has dense output in the index (explicit and stiff)", T, async (t) => {
  const names = ["Tsit5", "Dopri5", "Dopri8", "Vern7", "Vern9", "Bosh3", "Rosenbrock23", "Rodas5P", "Kvaerno5", "KenCarp4", "BDF", "RadauIIA5"];
  const fallTerms = (name: string): AbstractTerm => termsFor(name, fall);
  const ctors = names.filter((n) => typeof (odeflow as Record<string, unknown>)[n] === "function");
  ok(ctors.includes("Dopri5"));
  for (const name of ctors) {
    await t.test(name, () => {
      const solver = new ((odeflow as unknown as Record<string, new () => AbstractSolver<any>>)[name]!)();
      const sol = diffeqsolve({
        terms: fallTerms(name), solver, t0: 0, t1: 12, y0: [H0, 0], event: bounce(),
        stepsizeController: new PIDController({ rtol: 1e-9, atol: 1e-11 }),
      });
      const exact = bounceTimes(10).t.filter((x) => x < 12);
      assert.equal(sol.events.length, exact.length, `${name}: number of impacts`);
      // Free fall is a quadratic: every method of order ≥ 2 with an interpolant of degree ≥ 2 is exact
      // up to rounding, so the tolerance is that of the event location.
      for (let k = 0; k < exact.length; k++) ok(Math.abs(sol.events[k]!.t - exact[k]!) < 1e-8, `${name} impact ${k}: ${sol.events[k]!.t} vs ${exact[k]}`);
    });
  }
});

test("stiff solvers: zeros of cos t on a stiff problem (y' = −1000 (y − cos t) − sin t, y = cos t)", T, async (t) => {
  const stiff = new ODETerm((tt: number, y: Float64Array, _a: unknown, dy: Float64Array) => {
    dy[0] = -1000 * (y[0]! - Math.cos(tt)) - Math.sin(tt);
  });
  const names = ["Rosenbrock23", "Rodas5P", "ImplicitEuler", "Kvaerno3", "Kvaerno5", "KenCarp3", "KenCarp4", "KenCarp5", "BDF", "RadauIIA5"];
  // For the IMEX methods: −sin t explicit, −1000 (y − cos t) implicit.
  const nonStiff = new ODETerm((tt: number, _y: Float64Array, _a: unknown, dy: Float64Array) => {
    dy[0] = -Math.sin(tt);
  });
  const stiffPart = new ODETerm((tt: number, y: Float64Array, _a: unknown, dy: Float64Array) => {
    dy[0] = -1000 * (y[0]! - Math.cos(tt));
  });
  for (const n of names) assert.equal(typeof (odeflow as Record<string, unknown>)[n], "function", `${n} is exported`);
  for (const name of names) {
    await t.test(name, () => {
      const make = (): AbstractSolver<any> => new ((odeflow as unknown as Record<string, new () => AbstractSolver<any>>)[name]!)();
      const opts = { terms: name.startsWith("KenCarp") ? termsFor(name, nonStiff, stiffPart) : stiff, t0: 0, y0: [1], stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-10 }) };
      const sol = diffeqsolve({
        ...opts, solver: make(), t1: 9,
        event: [new Event({ cond: (_t, y) => y[0]! }), new Event({ cond: (_t, y) => y[0]! + 0.5, direction: "up", terminal: true })],
      });
      // A zero at π/2 (cos t = −1/2 going down at 2π/3 does not fire), then cos t = −1/2 going up
      // at 4π/3 ends the solve before the zero at 3π/2.
      assert.deepEqual(sol.events.map((e) => e.index), [0, 1], name);
      assert.equal(sol.result, RESULTS.eventOccurred);
      // An event is located on the solver's interpolant, so its time is as accurate as the dense
      // output (error / |y'|). The dense error is measured against cos t on the same steps (events
      // without affect do not change them).
      const plain = diffeqsolve({ ...opts, solver: make(), t1: 4.3, saveat: new SaveAt({ dense: true }) });
      let denseErr = 0;
      for (let i = 0; i <= 1720; i++) denseErr = Math.max(denseErr, Math.abs(plain.evaluate((4.3 * i) / 1720)[0]! - Math.cos((4.3 * i) / 1720)));
      ok(denseErr < 1e-4, `${name}: dense output error ${denseErr}`);
      const exact = [Math.PI / 2, (4 * Math.PI) / 3];
      for (let k = 0; k < 2; k++) {
        const tol = (2 * denseErr) / Math.abs(Math.sin(exact[k]!)) + 1e-12;
        ok(Math.abs(sol.events[k]!.t - exact[k]!) <= tol, `${name} event ${k}: ${sol.events[k]!.t} vs ${exact[k]} (dense error ${denseErr})`);
      }
      assert.equal(sol.tFinal, sol.events[1]!.t, `${name}: the solve ends at the terminating event`);
    });
  }
});

test("bouncing ball backward in time: impacts at the negated forward times", T, () => {
  const sol = diffeqsolve({
    terms: fall, solver: new Dopri5(), t0: 0, t1: -15, y0: [H0, 0], event: bounce(), stepsizeController: tight(),
  });
  const exact = bounceTimes(12).t.filter((t) => t < 15);
  assert.equal(sol.events.length, exact.length);
  for (let k = 0; k < exact.length; k++) ok(Math.abs(sol.events[k]!.t + exact[k]!) < 1e-10, `impact ${k}`);
  assert.equal(sol.tFinal, -15);
});

test("bouncing ball with fixed steps: the step is cut at each impact and the grid is kept", T, () => {
  // dt = 0.1 does not divide the impact times; the quadratic is integrated exactly by Dopri5.
  const sol = diffeqsolve({
    terms: fall, solver: new Dopri5(), t0: 0, t1: 7, dt0: 0.1, y0: [H0, 0], event: bounce(),
    stepsizeController: new ConstantStepSize(), saveat: new SaveAt({ steps: true }),
  });
  const exact = bounceTimes(3).t;
  assert.equal(sol.events.length, 3);
  for (let k = 0; k < 3; k++) ok(Math.abs(sol.events[k]!.t - exact[k]!) < 1e-12, `impact ${k}`);
  // Grid points after the impacts are still visited exactly (t_k = k·6/60).
  const ts = Array.from(sol.ts);
  for (const k of [20, 30, 45, 70]) ok(ts.includes(k * (7 / 70)), `grid point ${k}`);
  assert.equal(sol.stats.numAcceptedSteps, 70 + 3, "70 grid steps, 3 of them cut by an impact");
});

test("SaveAt steps records the states before and after a state-changing event at the event time", T, () => {
  const sol = diffeqsolve({
    terms: fall, solver: new Dopri5(), t0: 0, t1: 3, y0: [H0, 0], event: bounce(), stepsizeController: tight(),
    saveat: new SaveAt({ steps: true, ts: [0.5, 1.4, 1.5, 2.9] }),
  });
  const tImpact = sol.events[0]!.t;
  const rows = Array.from(sol.ts.keys()).filter((i) => sol.ts[i] === tImpact);
  assert.equal(rows.length, 2, "two rows at the impact time");
  const [pre, post] = [sol.ys[rows[0]!]!, sol.ys[rows[1]!]!];
  ok(pre[1]! < 0 && post[1]! > 0);
  ok(Math.abs(post[1]! + E * pre[1]!) < 1e-14);
  assert.equal(pre[0], post[0]);
  // Output times before the impact use the pre-event solution, after it the post-event one.
  const v1 = bounceTimes(1).v[0]!;
  const at = (t: number): Float64Array => sol.ys[Array.from(sol.ts).indexOf(t)]!;
  ok(Math.abs(at(1.4)[0]! - (H0 - (G * 1.4 * 1.4) / 2)) < 1e-9);
  for (const t of [1.5, 2.9]) {
    const s = t - bounceTimes(1).t[0]!;
    ok(Math.abs(at(t)[0]! - (E * v1 * s - (G * s * s) / 2)) < 1e-9, `y(${t})`);
  }
  // Saved times are in time order.
  for (let i = 1; i < sol.ts.length; i++) ok(sol.ts[i]! >= sol.ts[i - 1]!);
});

test("dense output across state-changing events: pre-event before, post-event after, ending at t1", T, () => {
  const sol = diffeqsolve({
    terms: fall, solver: new Dopri5(), t0: 0, t1: 5, y0: [H0, 0], event: bounce(), stepsizeController: tight(),
    saveat: new SaveAt({ dense: true }),
  });
  const { t: [t1], v: [v1] } = bounceTimes(1);
  for (const dt of [-0.3, -1e-3, 1e-3, 0.3]) {
    const t = t1! + dt;
    const s = t - t1!;
    const y = sol.evaluate(t);
    const exact = dt < 0 ? [H0 - (G * t * t) / 2, -G * t] : [E * v1! * s - (G * s * s) / 2, E * v1! - G * s];
    ok(Math.abs(y[0]! - exact[0]!) < 1e-9 && Math.abs(y[1]! - exact[1]!) < 1e-8, `evaluate(${t}): ${Array.from(y)} vs ${exact}`);
  }
  ok(Math.abs(sol.derivative(t1! + 0.1)[0]! - (E * v1! - G * 0.1)) < 1e-8);
});

test("events with t0 = t1: nothing to search; a scheduled time at t0 still fires", T, () => {
  const sol = diffeqsolve({
    terms: ramp, solver: new Dopri5(), t0: 2, t1: 2, y0: [0],
    event: [new Event({ cond: (_t, y) => y[0]! }), new Event({ times: [2], affect: (_t, y) => { y[0] = 5; } })],
  });
  assert.deepEqual(sol.events.map((e) => [e.index, e.t]), [[1, 2]]);
  assert.equal(sol.ys[0]![0], 5);
});

// ── y' = cos t, y(0) = 0: y = sin t, with zeros at kπ. ──
const sine = new ODETerm((t: number, _y: Float64Array, _a: unknown, dy: Float64Array) => {
  dy[0] = Math.cos(t);
});
function zeros(direction: "up" | "down" | "either", cond: (t: number, y: Float64Array) => number | boolean = (_t, y) => y[0]!): number[] {
  const sol = diffeqsolve({
    terms: sine, solver: new Dopri5(), t0: 0, t1: 10, y0: [0], event: new Event({ cond, direction }),
    stepsizeController: new PIDController({ rtol: 1e-12, atol: 1e-14 }),
  });
  return sol.events.map((e) => e.t);
}

test("first zeros of sin t: π, 2π, 3π (the zero at t0 does not fire)", T, () => {
  const z = zeros("either");
  assert.equal(z.length, 3);
  for (let k = 0; k < 3; k++) ok(Math.abs(z[k]! - (k + 1) * Math.PI) < 1e-10, `zero ${k}: ${z[k]}`);
});

test("direction filtering: up-crossings of sin t at 2π, down-crossings at π and 3π", T, () => {
  const up = zeros("up");
  assert.equal(up.length, 1);
  ok(Math.abs(up[0]! - 2 * Math.PI) < 1e-10);
  const down = zeros("down");
  assert.equal(down.length, 2);
  ok(Math.abs(down[0]! - Math.PI) < 1e-10 && Math.abs(down[1]! - 3 * Math.PI) < 1e-10);
  // Boolean conditions switch the same way (located by bisection): y > 0 turns false at π and 3π.
  const boolDown = zeros("down", (_t, y) => y[0]! > 0);
  assert.equal(boolDown.length, 2);
  ok(Math.abs(boolDown[0]! - Math.PI) < 1e-10 && Math.abs(boolDown[1]! - 3 * Math.PI) < 1e-10);
  // y ≥ 0 is true at t0 and switches to false at π: true at t0 does not fire.
  const boolEither = zeros("either", (_t, y) => y[0]! >= 0);
  assert.deepEqual(boolEither.map((t) => Math.round(t / Math.PI)), [1, 2, 3]);
});

test("backward in time: zeros of sin t from 10 down to 0.5 are 3π, 2π, π; direction is along the solve", T, () => {
  const run = (direction: "up" | "down" | "either"): number[] =>
    diffeqsolve({
      terms: sine, solver: new Dopri5(), t0: 10, t1: 0.5, y0: [Math.sin(10)], event: new Event({ cond: (_t, y) => y[0]!, direction }),
      stepsizeController: new PIDController({ rtol: 1e-12, atol: 1e-14 }),
    }).events.map((e) => e.t);
  const all = run("either");
  assert.equal(all.length, 3);
  for (let k = 0; k < 3; k++) ok(Math.abs(all[k]! - (3 - k) * Math.PI) < 1e-10, `zero ${k}: ${all[k]}`);
  // Going down in t, sin goes from negative to positive at 3π and π (up along the solve).
  assert.deepEqual(run("up").map((t) => Math.round(t / Math.PI)), [3, 1]);
  assert.deepEqual(run("down").map((t) => Math.round(t / Math.PI)), [2]);
});

// ── Several events in one step. y' = 1, y(0) = 0, one fixed step of size 1. ──
const ramp = new ODETerm((_t: number, _y: Float64Array, _a: unknown, dy: Float64Array) => {
  dy[0] = 1;
});
const oneStep = { terms: ramp, solver: new Dopri5(), t0: 0, t1: 1, dt0: 1, y0: [0], stepsizeController: new ConstantStepSize() };
const ulps = (a: number, b: number): number => Math.abs(a - b) / (Number.EPSILON * Math.max(Math.abs(a), Math.abs(b)));

test("two events in one step are both found, in time order, to a few ulps", T, () => {
  const sol = diffeqsolve({
    ...oneStep,
    event: [new Event({ cond: (_t, y) => y[0]! - 0.6 }), new Event({ cond: (t) => t - 0.3 })],
  });
  assert.equal(sol.stats.numSteps, 1);
  assert.deepEqual(sol.events.map((e) => e.index), [1, 0]);
  ok(ulps(sol.events[0]!.t, 0.3) <= 4, `t = ${sol.events[0]!.t}`);
  ok(ulps(sol.events[1]!.t, 0.6) <= 4, `t = ${sol.events[1]!.t}`);
  ok(Math.abs(sol.events[1]!.y[0]! - 0.6) < 1e-15);
});

test("the earliest event in a step wins; a state change there is seen by the later event", T, () => {
  // At t = 0.3, y += 1; then y = t + 1 reaches 1.5 at t = 0.5 (not 1.5, where the old y would).
  const sol = diffeqsolve({
    ...oneStep,
    event: [
      new Event({ cond: (_t, y) => y[0]! - 1.5, direction: "up" }),
      new Event({ cond: (t) => t - 0.3, affect: (_t, y) => { y[0]! += 1; } }),
    ],
    saveat: new SaveAt({ ts: [0.2, 0.3, 0.4, 1] }),
  });
  assert.deepEqual(sol.events.map((e) => e.index), [1, 0]);
  ok(ulps(sol.events[1]!.t, 0.5) <= 8, `t = ${sol.events[1]!.t}`);
  assert.deepEqual(Array.from(sol.ts), [0.2, 0.3, 0.4, 1]);
  // Before the event the old solution, at and after it the new one (right-continuous).
  const ys = sol.ys.map((r) => r[0]!);
  ok(Math.abs(ys[0]! - 0.2) < 1e-15 && Math.abs(ys[1]! - 1.3) < 1e-15 && Math.abs(ys[2]! - 1.4) < 1e-15 && Math.abs(ys[3]! - 2) < 1e-14);
});

test("simultaneous events are all reported, and their affects all run", T, () => {
  const sol = diffeqsolve({
    ...oneStep,
    event: [
      new Event({ cond: (_t, y) => y[0]! - 0.5, affect: (_t, y) => { y[0]! += 10; } }),
      new Event({ cond: (_t, y) => 2 * y[0]! - 1, affect: (_t, y) => { y[0]! += 100; } }),
    ],
  });
  assert.equal(sol.events.length, 2);
  assert.equal(sol.events[0]!.t, sol.events[1]!.t);
  assert.deepEqual(sol.events.map((e) => e.index), [0, 1]);
  ok(Math.abs(sol.ys[0]![0]! - 111) < 1e-12);
});

test("a continuous and a scheduled event at the same time fire together, and the solve goes on", T, () => {
  // The step lands on the scheduled time 1, where t − 1 also crosses zero.
  const sol = diffeqsolve({
    terms: ramp, solver: new Dopri5(), t0: 0, t1: 3, y0: [0], stepsizeController: tight(),
    event: [new Event({ cond: (t) => t - 1, affect: (_t, y) => { y[0]! += 10; } }), new Event({ times: [1, 2], affect: (_t, y) => { y[0]! += 100; } })],
  });
  assert.deepEqual(sol.events.map((e) => [e.index, e.t]), [[0, 1], [1, 1], [1, 2]]);
  ok(Math.abs(sol.ys[0]![0]! - (3 + 10 + 200)) < 1e-9);
});

test("events without affect only record: the solution is bit-for-bit that of the solve without events", T, () => {
  const opts = { terms: fall, solver: new Dopri5(), t0: 0, t1: 5, y0: [H0, 1], stepsizeController: tight(), saveat: new SaveAt({ steps: true, ts: [1, 2, 3] }) };
  const plain = diffeqsolve(opts);
  const withEvents = diffeqsolve({ ...opts, event: [new Event({ cond: (_t, y) => y[0]! - 5 }), new Event({ cond: (_t, y) => y[1]! < -3 })] });
  assert.deepEqual(Array.from(withEvents.ts), Array.from(plain.ts));
  assert.deepEqual(Array.from(withEvents.ysFlat), Array.from(plain.ysFlat));
  assert.equal(withEvents.events.length, 2);
  // y = 10 + t − 4.905 t² reaches 5 at t = (1 + √(1 + 4·4.905·5)) / (2·4.905); y' = −3 at t = 4/9.81.
  const tHalf = (1 + Math.sqrt(1 + 4 * 4.905 * 5)) / (2 * 4.905);
  const tV = 4 / 9.81;
  assert.equal(withEvents.events[0]!.index, 1);
  ok(Math.abs(withEvents.events[0]!.t - tV) < 1e-10);
  ok(Math.abs(withEvents.events[1]!.t - tHalf) < 1e-10);
});

test("an event inside a rejected step is not reported", T, () => {
  // y' = −1000 (y − 1), y(0) = 0 rises monotonically to 1, so |y − 1| never exceeds 1. The first
  // attempted step (dt0 = 1) is far outside Dopri5's stability region and is rejected with
  // |y1 − 1| ≫ 1; only accepted steps may be searched.
  const stiff = new ODETerm((_t: number, y: Float64Array, _a: unknown, dy: Float64Array) => {
    dy[0] = -1000 * (y[0]! - 1);
  });
  const sol = diffeqsolve({
    terms: stiff, solver: new Dopri5(), t0: 0, t1: 0.05, dt0: 1, y0: [0],
    event: new Event({ cond: (_t, y) => Math.abs(y[0]! - 1) - 1 }), stepsizeController: new PIDController({ rtol: 1e-6, atol: 1e-9 }),
  });
  ok(sol.stats.numRejectedSteps > 0);
  assert.equal(sol.events.length, 0);
});

// ── Terminating events ──

test("terminal event: RESULTS.eventOccurred, final state at the event, outputs only up to it", T, () => {
  const t1 = bounceTimes(1).t[0]!;
  const sol = diffeqsolve({
    terms: fall, solver: new Dopri5(), t0: 0, t1: 10, y0: [H0, 0], stepsizeController: tight(),
    event: new Event({ cond: (_t, y) => y[0]!, terminal: true }),
    saveat: new SaveAt({ ts: [0, 0.5, 1, 2, 3], t1: true, dense: true }),
  });
  assert.equal(sol.result, RESULTS.eventOccurred);
  ok(isOkay(sol.result));
  assert.match(sol.message, /terminating event/);
  ok(Math.abs(sol.tFinal - t1) < 1e-12);
  assert.deepEqual(Array.from(sol.ts.slice(0, 3)), [0, 0.5, 1]);
  assert.equal(sol.ts.length, 4);
  assert.equal(sol.ts[3], sol.tFinal);
  ok(Math.abs(sol.ys[3]![0]!) < 1e-12);
  ok(Math.abs(sol.ys[3]![1]! + G * t1) < 1e-9);
  assert.equal(sol.events.length, 1);
  // The dense interpolant ends at the event.
  ok(Math.abs(sol.evaluate(1.2)[0]! - (H0 - (G * 1.44) / 2)) < 1e-9);
  assert.throws(() => sol.evaluate(t1 + 0.01), /outside the solved interval/);
});

test("terminal event with an affect: the affect runs, then the solve ends", T, () => {
  const sol = diffeqsolve({
    terms: fall, solver: new Dopri5(), t0: 0, t1: 10, y0: [H0, 0], stepsizeController: tight(),
    event: new Event({ cond: (_t, y) => y[0]!, terminal: true, affect: (_t, y) => { y[1] = 0; } }),
  });
  assert.equal(sol.result, RESULTS.eventOccurred);
  assert.equal(sol.ys[0]![1], 0);
});

test("discrete callback: checked at step ends; fires there and changes the state", T, () => {
  // y' = 1 with fixed steps of 0.25; reset y to 0 whenever y ≥ 1 at the end of a step.
  const sol = diffeqsolve({
    terms: ramp, solver: new Dopri5(), t0: 0, t1: 3.5, dt0: 0.25, y0: [0], stepsizeController: new ConstantStepSize(),
    event: new Event({ cond: (_t, y) => y[0]! >= 1 - 1e-12, discrete: true, affect: (_t, y) => { y[0] = 0; } }),
  });
  assert.deepEqual(sol.events.map((e) => e.t), [1, 2, 3]);
  ok(Math.abs(sol.ys[0]![0]! - 0.5) < 1e-14);
});

// ── Scheduled callbacks: a one-compartment model with first-order absorption and repeated oral doses. ──
// Gut A_g' = −ka A_g, central A_c' = ka A_g − ke A_c; each dose D goes into the gut. By superposition
// (the Bateman function) A_c(t) = Σ_{t_j ≤ t} D ka/(ka − ke) (e^{−ke(t−t_j)} − e^{−ka(t−t_j)}),
// A_g(t) = Σ_{t_j ≤ t} D e^{−ka(t−t_j)}.
const KA = 1.2;
const KE = 0.15;
const DOSE = 100;
const pk = new ODETerm((_t: number, y: Float64Array, a: { ka: number; ke: number }, dy: Float64Array) => {
  dy[0] = -a.ka * y[0]!;
  dy[1] = a.ka * y[0]! - a.ke * y[1]!;
});
function pkExact(t: number, doses: number[]): [number, number] {
  let g = 0;
  let c = 0;
  for (const tj of doses) {
    if (tj > t) continue;
    const s = t - tj;
    g += DOSE * Math.exp(-KA * s);
    c += ((DOSE * KA) / (KA - KE)) * (Math.exp(-KE * s) - Math.exp(-KA * s));
  }
  return [g, c];
}

test("pharmacokinetics: repeated doses (scheduled callbacks, including one at t0) match the Bateman closed form", T, () => {
  const doses = [0, 12, 24, 36, 48];
  const ts = Array.from({ length: 61 }, (_, i) => i);
  for (const controller of [new PIDController({ rtol: 1e-10, atol: 1e-10 }), new ConstantStepSize()]) {
    const sol = diffeqsolve({
      terms: pk, solver: new Dopri5(), t0: 0, t1: 60, dt0: controller instanceof ConstantStepSize ? 0.07 : undefined, y0: [0, 0],
      args: { ka: KA, ke: KE }, stepsizeController: controller,
      event: new Event({ times: doses, affect: (_t, y) => { y[0]! += DOSE; } }), saveat: new SaveAt({ ts }),
    });
    assert.deepEqual(sol.events.map((e) => e.t), doses, "the stepper lands on every dose time exactly");
    const tol = controller instanceof ConstantStepSize ? 1e-6 : 1e-7;
    for (let i = 0; i < ts.length; i++) {
      const [g, c] = pkExact(ts[i]!, doses);
      // At a dose time the saved state is the one after the dose.
      ok(Math.abs(sol.ys[i]![0]! - g) < tol * DOSE, `gut at t = ${ts[i]}: ${sol.ys[i]![0]} vs ${g}`);
      ok(Math.abs(sol.ys[i]![1]! - c) < tol * DOSE, `central at t = ${ts[i]}: ${sol.ys[i]![1]} vs ${c}`);
    }
  }
});

test("scheduled times in any order, backward in time, outside [t0, t1] ignored; 10⁴ doses stay fast", T, () => {
  const still = new ODETerm((_t: number, _y: Float64Array, _a: unknown, dy: Float64Array) => {
    dy[0] = 0;
  });
  const sol = diffeqsolve({
    terms: still, solver: new Dopri5(), t0: 4, t1: 0.5, y0: [0],
    event: new Event({ times: [3, 7, 1, 2, 0.25, -1], affect: (t, y) => { y[0] = 10 * y[0]! + t; } }),
  });
  assert.deepEqual(sol.events.map((e) => e.t), [3, 2, 1]);
  assert.equal(sol.ys[0]![0], 321);
  const many = Array.from({ length: 10_000 }, (_, i) => 10_000 - i); // descending on purpose
  const start = performance.now();
  const big = diffeqsolve({
    terms: pk, solver: new Dopri5(), t0: 0, t1: 10_000, y0: [0, 0], args: { ka: KA, ke: KE }, maxSteps: 1_000_000,
    event: new Event({ times: many, affect: (_t, y) => { y[0]! += DOSE; } }),
  });
  assert.equal(big.events.length, 10_000);
  ok(performance.now() - start < 5000, "10⁴ doses in well under a few seconds");
});

test("a scheduled time listed twice fires twice (two doses); two events at one time both fire, in index order", T, () => {
  const still = new ODETerm((_t: number, _y: Float64Array, _a: unknown, dy: Float64Array) => {
    dy[0] = 0;
  });
  for (const backward of [false, true]) {
    const sol = diffeqsolve({
      terms: still, solver: new Dopri5(), t0: backward ? 4 : 0, t1: backward ? 0 : 4, y0: [0],
      event: [
        new Event({ times: [0, 1, 2, 2, 3], affect: (_t, y) => { y[0]! += 1; } }),
        new Event({ times: [2], affect: (_t, y) => { y[0] = 10 * y[0]!; } }),
      ],
    });
    // Forward: 1 (t0), 2 (t = 1), 4 (twice at t = 2), then ×10 = 40, 41 (t = 3).
    // Backward from 4 to 0: 1 (t = 3), 3 (twice at 2), 30, 31 (t = 1), 32 (t0 = 0 is t1 here).
    assert.equal(sol.ys[0]![0], backward ? 32 : 41);
    assert.deepEqual(sol.events.map((e) => [e.index, e.t]), backward
      ? [[0, 3], [0, 2], [0, 2], [1, 2], [0, 1], [0, 0]]
      : [[0, 0], [0, 1], [0, 2], [0, 2], [1, 2], [0, 3]]);
  }
});

// ── A cascade of events ──

test("maxEvents: an accumulating bouncing ball stops with maxEventsReached, never hangs", T, () => {
  // The impacts accumulate at t∞ = t1 (1 + 2e/(1 − e)) ≈ 27.1 s; solve past it.
  const opts = { terms: fall, solver: new Dopri5(), t0: 0, t1: 40, y0: [H0, 0], event: bounce(), stepsizeController: tight() };
  const sol = diffeqsolve({ ...opts, maxEvents: 50, throw: false });
  assert.equal(sol.result, RESULTS.maxEventsReached);
  assert.equal(sol.events.length, 50);
  assert.match(sol.message, /maximum number of events/);
  assert.match(sol.message, /maxEvents = 50/);
  const exact = bounceTimes(51).t;
  ok(Math.abs(sol.tFinal - exact[50]!) < 1e-8, "stops at the 51st impact");
  assert.throws(() => diffeqsolve({ ...opts, maxEvents: 50 }), (e: unknown) => e instanceof SolveError && e.result === RESULTS.maxEventsReached);
  // With the default limit the solve still ends (at maxSteps or maxEvents at worst), in bounded time.
  const start = performance.now();
  const d = diffeqsolve({ ...opts, throw: false });
  ok(performance.now() - start < 5000);
  ok(d.events.length > 50);
});

// ── Bad input ──

function throwsWith(fn: () => unknown, ...patterns: RegExp[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  ok(caught instanceof Error, "expected an error to be thrown");
  for (const p of patterns) assert.match(caught.message, p);
}

test("a condition returning NaN or a non-number: a clear error naming the event, the value and t", T, () => {
  const base = { terms: sine, solver: new Dopri5(), t0: 0, t1: 10, y0: [0] };
  throwsWith(() => diffeqsolve({ ...base, event: new Event({ cond: (t) => (t > 2 ? NaN : 1) }) }), /`cond` of event 0/, /NaN/, /t = /, /finite number/);
  throwsWith(
    () => diffeqsolve({ ...base, event: [new Event({ cond: (t) => t - 1 }), new Event({ cond: () => "yes" as never })] }),
    /`cond` of event 1/, /string "yes"/, /number or a boolean/,
  );
  throwsWith(() => diffeqsolve({ ...base, event: new Event({ cond: () => Infinity }) }), /returned Infinity/);
  throwsWith(() => diffeqsolve({ ...base, event: new Event({ cond: () => 1, discrete: true }) }), /discrete event 0/, /number 1/, /true \(fire\) or false/);
  throwsWith(
    () => diffeqsolve({ ...base, event: new Event({ cond: (t) => t - 1, affect: (_t, y) => { y[0] = NaN; } }) }),
    /`affect` of event 0/, /y\[0\] = NaN/, /finite/,
  );
});

test("bad Event options and event/maxEvents options: errors that name the option and the fix", T, () => {
  throwsWith(() => new Event({ cond: (t: number) => t, diretion: "up" } as never), /unknown option `diretion`/, /did you mean `direction`/);
  throwsWith(() => new Event({ cond: (t) => t, direction: "upward" as never }), /`direction`/, /"up", "down" or "either"/);
  throwsWith(() => new Event({}), /give `cond`/, /or `times`/);
  throwsWith(() => new Event({ cond: (t) => t, times: [1] }), /either `times`.*or `cond`/);
  throwsWith(() => new Event({ times: [1, NaN] }), /times\[1\] = NaN/);
  throwsWith(() => new Event({ cond: (t) => t, rootTolerance: -1 }), /`rootTolerance` = -1/, /≥ 0/);
  throwsWith(() => new Event({ cond: 3 as never }), /`cond` must be a function/);
  throwsWith(() => new Event({ cond: (t) => t, discrete: true, direction: "up" }), /`direction` applies only to continuous/);
  const base = { terms: sine, solver: new Dopri5(), t0: 0, t1: 1, y0: [0] };
  throwsWith(() => diffeqsolve({ ...base, event: { cond: (t: number) => t } as never }), /`event` must be an Event/, /new Event/);
  throwsWith(() => diffeqsolve({ ...base, event: [new Event({ cond: (t) => t }), 5 as never] }), /`event\[1\]` must be an Event/, /number 5/);
  throwsWith(() => diffeqsolve({ ...base, event: new Event({ cond: (t) => t }), maxEvents: -1 }), /`maxEvents` = number -1/, /whole number/);
});

test("no allocation in the loop from an event that never fires (no more young-generation GCs than without it)", T, () => {
  // Counted in a fresh process over 10⁶ Euler steps, where one condition costs as much as the
  // vector field; compared with the same solve without events, since calling user closures with
  // doubles can box them where V8 does not inline the call.
  const r = spawnSync(process.execPath, ["--expose-gc", "--import", "tsx", "test/events/alloc-probe.ts"], { encoding: "utf8", timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  const { without, withEvent } = JSON.parse(r.stdout.trim().split("\n").pop()!) as { without: number; withEvent: number };
  ok(withEvent <= without, `${withEvent} minor GCs with a non-firing event, ${without} without`);
});
