// The step loop's record of events for the gradients: the row at t0 saved before doses at t0
// (ROW_BEFORE_EVENTS), a terminating event's rows after its affect (ROW_EVENT; with SaveAt steps
// the row before it is ROW_EVENT_BEFORE_AFFECT), and the step hook's `eventHandled` marking the
// step each event time ends. Then gradients through
// doses and through a terminating event with an affect, for explicit and implicit solvers (the
// discrete adjoints of every family apply the jumps), against closed forms.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  BDF, diffeqsolveVjp, Event, Kvaerno5, ODETerm, PIDController, RadauIIA5, RecursiveCheckpointAdjoint, Rodas5P, SaveAt, Tsit5,
  type AbstractSolver,
} from "../../src/index.js";
import { createLoopWorkspace, runLoop, validate } from "../../src/integrate.js";
import { ROW_AFTER_EVENT, ROW_BEFORE_EVENTS, ROW_EVENT, ROW_EVENT_BEFORE_AFFECT, ROW_STATE } from "../../src/integrate/output.js";

type Decay = { k: number; d: number };
const decay = (_t: number, y: Float64Array, a: Decay, dy: Float64Array): void => { dy[0] = -a.k * y[0]!; };
const doses = new Event({ times: [0, 1], affect: (_t, y, a: Decay) => { y[0] = y[0]! + a.d; } });
const decayArgs: Decay = { k: 0.7, d: 0.5 };
const Y0 = 1.3;
/** x' = 1, y' = −k y: the event y = c ends the solve at t* = ln(y0/c)/k, and its affect triples x. */
const clock = (_t: number, y: Float64Array, a: { k: number }, dy: Float64Array): void => {
  dy[0] = 1;
  dy[1] = -a.k * y[1]!;
};

test("the output plan marks the t0 row before doses at t0, and the step hook the steps events end", () => {
  const v = validate({
    terms: new ODETerm(decay), solver: new Tsit5(), t0: 0, t1: 2, y0: [Y0], args: decayArgs, event: doses,
    stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-10 }), saveat: new SaveAt({ t0: true, ts: [0, 1.5], t1: true }),
  });
  const ws = createLoopWorkspace(v, decayArgs, { plan: true });
  const marked: number[] = [];
  let accepted = 0;
  let endOfMarked = NaN;
  ws.stepHook = {
    times: new Float64Array(3),
    accepted() { accepted++; },
    eventHandled(step: number) {
      marked.push(step);
      if (step >= 0) endOfMarked = this.times[1]!;
    },
  };
  runLoop(v, v.y0, decayArgs, ws);
  assert.deepEqual(marked.map((s) => s < 0 ? -1 : 0), [-1, 0]); // at t0, then at the end of a step
  assert.ok(marked[1]! >= 0 && marked[1]! < accepted);
  assert.equal(endOfMarked, 1);
  const kinds = Array.from(ws.rows.rowKind!.subarray(0, ws.rows.count));
  assert.equal(kinds[0], ROW_BEFORE_EVENTS); // y0, before the dose at t0
  assert.equal(ws.rows.ys[0], Y0);
  assert.equal(kinds[1], ROW_STATE); // SaveAt ts = 0: after the dose
  assert.equal(ws.rows.ys[1], Y0 + decayArgs.d);
});

test("a terminating event's rows hold the state after its affect (ROW_EVENT); with SaveAt steps, the row before it is marked", () => {
  const ev = new Event({ cond: (_t, y) => y[1]! - 0.5, direction: "down", terminal: true, affect: (_t, y) => { y[0] = 3 * y[0]!; } });
  const options = {
    terms: new ODETerm(clock), solver: new Tsit5(), t0: 0, t1: 10, y0: [0, 2], args: { k: 0.9 }, event: ev,
    stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-10 }),
  };
  const v = validate(options);
  const ws = createLoopWorkspace(v, { k: 0.9 }, { plan: true });
  runLoop(v, v.y0, { k: 0.9 }, ws);
  const last = ws.rows.count - 1;
  assert.equal(ws.rows.rowKind![last], ROW_EVENT);
  const tStar = Math.log(2 / 0.5) / 0.9;
  assert.ok(Math.abs(ws.rows.ys[2 * last]! - 3 * tStar) < 1e-7);
  // SaveAt steps: the event's step saves the state before the affect, then the state after it.
  const vs = validate({ ...options, saveat: new SaveAt({ steps: true }) });
  const wss = createLoopWorkspace(vs, { k: 0.9 }, { plan: true });
  runLoop(vs, vs.y0, { k: 0.9 }, wss);
  const kinds = Array.from(wss.rows.rowKind!.subarray(0, wss.rows.count));
  const at = kinds.indexOf(ROW_EVENT_BEFORE_AFFECT);
  assert.ok(at > 0, kinds.join(" "));
  assert.ok(Math.abs(wss.rows.ys[2 * at]! - tStar) < 1e-7);
  assert.equal(kinds[at + 1], ROW_AFTER_EVENT);
  assert.ok(Math.abs(wss.rows.ys[2 * (at + 1)]! - 3 * tStar) < 1e-7);
});

/** y(2) after doses d at t = 0 and 1, in closed form, and its gradient in (y0, k, d). */
function dosed(y0: number, k: number, d: number): { y: number; g: [number, number, number] } {
  const e1 = Math.exp(-k);
  const e2 = Math.exp(-2 * k);
  return { y: (y0 + d) * e2 + d * e1, g: [e2, -2 * (y0 + d) * e2 - d * e1, e2 + e1] };
}

// Against closed forms: the discrete gradient differs from the exact one by the discretisation error.
const solvers: [string, () => AbstractSolver<never>, number][] = [
  ["Tsit5", () => new Tsit5() as never, 1e-7],
  ["Rodas5P", () => new Rodas5P() as never, 1e-6],
  ["Kvaerno5", () => new Kvaerno5() as never, 1e-5], // its Hermite interpolant locates t*
  ["BDF", () => new BDF() as never, 1e-7],
  ["RadauIIA5", () => new RadauIIA5() as never, 1e-6],
];

for (const [name, make, tol] of solvers) {
  test(`${name}: the discrete adjoint through doses at t0 and inside the solve, with the row before the t0 dose, matches the closed form`, () => {
    for (const adjoint of [new RecursiveCheckpointAdjoint(), new RecursiveCheckpointAdjoint({ checkpoints: 2 })]) {
      const { solution, pullback } = diffeqsolveVjp({
        terms: new ODETerm(decay), solver: make(), t0: 0, t1: 2, y0: [Y0], args: decayArgs, event: doses, adjoint,
        stepsizeController: new PIDController({ rtol: 1e-10, atol: 1e-12 }), saveat: new SaveAt({ t0: true, t1: true }),
      });
      const ref = dosed(Y0, decayArgs.k, decayArgs.d);
      assert.ok(Math.abs(solution.ys[1]![0]! - ref.y) < 1e-7, `${solution.ys[1]![0]} vs ${ref.y}`);
      // L = y(0⁻) + y(2): the row at t0 is y0 itself, before the dose.
      const g = pullback([[1], [1]]);
      const got = [(g.y0 as number[])[0]!, (g.args as Decay).k, (g.args as Decay).d];
      const want = [1 + ref.g[0], ref.g[1], ref.g[2]];
      got.forEach((x, i) => assert.ok(Math.abs(x - want[i]!) <= tol * Math.max(1, Math.abs(want[i]!)), `${name} ${["y0", "k", "d"][i]}: ${x} vs ${want[i]}`));
    }
  });
}

for (const [name, make, tol] of solvers) {
  test(`${name}: through a terminating event whose affect changes the saved state, the gradient of 3 t* matches the closed form`, () => {
    const c = 0.5;
    const k = 0.9;
    const y0 = 2;
    const ev = new Event({ cond: (_t, y) => y[1]! - c, direction: "down", terminal: true, affect: (_t, y) => { y[0] = 3 * y[0]!; } });
    const { solution, pullback } = diffeqsolveVjp({
      terms: new ODETerm(clock), solver: make(), t0: 0, t1: 10, y0: [0, y0], args: { k }, event: ev,
      stepsizeController: new PIDController({ rtol: 1e-10, atol: 1e-12 }),
    });
    const tStar = Math.log(y0 / c) / k;
    assert.ok(Math.abs(solution.ys[0]![0]! - 3 * tStar) < 1e-7);
    const g = pullback([[1, 0]]);
    const want = [3, 3 / (k * y0), -3 * Math.log(y0 / c) / (k * k)]; // 3 (x0 + t*)
    const got = [(g.y0 as number[])[0]!, (g.y0 as number[])[1]!, (g.args as { k: number }).k];
    got.forEach((x, i) => assert.ok(Math.abs(x - want[i]!) <= tol * Math.max(1, Math.abs(want[i]!)), `${name} [${i}]: ${x} vs ${want[i]}`));
  });
}
