import { test } from "node:test";
import assert from "node:assert/strict";
import {
  BacksolveAdjoint, diffeqsolveJvp, diffeqsolveVjp, Dopri5, Event, ForwardSensitivity, ODETerm, PIDController, RecursiveCheckpointAdjoint, RESULTS, SaveAt, Tsit5,
  type Adjoint,
} from "../../src/index.js";

// A dropped ball: x' = v, v' = −g from height H at rest, stopped when x crosses the floor at c.
// t* = √(2(H − c)/g), v(t*) = −√(2g(H − c)): ∂v*/∂H = −√(g/(2(H − c))), ∂v*/∂g = −√((H − c)/(2g)),
// ∂v*/∂c = +√(g/(2(H − c))), ∂v*/∂v0 = 0; and x(t*) = c whatever H and g.
const fall = {
  f: (_t: number, y: Float64Array, a: { g: number; c: number }, dy: Float64Array) => { dy[0] = y[1]!; dy[1] = -a.g; },
  vjp: (_t: number, _y: Float64Array, _a: unknown, w: Float64Array, out: Float64Array) => { out[0] = 0; out[1] = w[0]!; },
  vjpArgs: (_t: number, _y: Float64Array, _a: unknown, w: Float64Array, out: Float64Array) => { out[0] = -w[1]!; out[1] = 0; },
  jvp: (_t: number, _y: Float64Array, _a: unknown, v: Float64Array, out: Float64Array) => { out[0] = v[1]!; out[1] = 0; },
  jvpArgs: (_t: number, _y: Float64Array, _a: unknown, v: Float64Array, out: Float64Array) => { out[0] = 0; out[1] = -v[0]!; },
  argNames: ["g", "c"],
  nArgs: 2,
};
const H = 10;
const G = 9.81;
const C = 1;

const cases: [string, () => Tsit5 | Dopri5, () => Adjoint][] = [
  ["RecursiveCheckpointAdjoint, Tsit5", () => new Tsit5(), () => new RecursiveCheckpointAdjoint()],
  ["RecursiveCheckpointAdjoint (2 checkpoints), Dopri5", () => new Dopri5(), () => new RecursiveCheckpointAdjoint({ checkpoints: 2 })],
  ["BacksolveAdjoint", () => new Tsit5(), () => new BacksolveAdjoint({ stepsizeController: new PIDController({ rtol: 1e-10, atol: 1e-12 }) })],
  ["BacksolveAdjoint (interpolated state)", () => new Tsit5(), () => new BacksolveAdjoint({ state: "interpolate", stepsizeController: new PIDController({ rtol: 1e-10, atol: 1e-12 }) })],
  ["ForwardSensitivity", () => new Tsit5(), () => new ForwardSensitivity()],
];
for (const [name, makeSolver, makeAdjoint] of cases) {
  test(`${name}: gradients flow through a terminating event (event time's dependence included) and through ts before it`, () => {
    const solver = makeSolver();
    const { solution, pullback } = diffeqsolveVjp({
      adjoint: makeAdjoint(),
      terms: new ODETerm(fall), solver, t0: 0, t1: 10, y0: [H, 0], args: { g: G, c: C },
      stepsizeController: new PIDController({ rtol: 1e-10, atol: 1e-12 }), saveat: new SaveAt({ ts: [0.5], t1: true }),
      event: new Event({ cond: (_t, y, a: { c: number }) => y[0]! - a.c, terminal: true }),
    });
    assert.equal(solution.result, RESULTS.eventOccurred);
    const tStar = Math.sqrt((2 * (H - C)) / G);
    assert.ok(Math.abs(solution.ts[1]! - tStar) < 1e-9);
    // d v(t*): velocity at the floor.
    const gv = pullback([null, [0, 1]]);
    const s = Math.sqrt(G / (2 * (H - C)));
    const y0 = gv.y0 as number[];
    const a = gv.args as { g: number; c: number };
    assert.ok(Math.abs(y0[0]! + s) < 1e-6, `dv*/dH ${y0[0]} vs ${-s}`);
    // v* = v0 − g t* with H + v0 t* − g t*²/2 = c: ∂t*/∂v0 = t*/(g t* − v0) = 1/g at v0 = 0, so ∂v*/∂v0 = 0.
    assert.ok(Math.abs(y0[1]!) < 1e-6, `dv*/dv0 ${y0[1]}`);
    assert.ok(Math.abs(a.g + Math.sqrt((H - C) / (2 * G))) < 1e-6, `dv*/dg ${a.g}`);
    assert.ok(Math.abs(a.c - s) < 1e-6, `dv*/dc ${a.c}`);
    // x(t*) = c: its gradient is zero in H and g, one in c (only the event-time term makes it so).
    const gx = pullback([null, [1, 0]]);
    const gxa = gx.args as { g: number; c: number };
    assert.ok(Math.abs((gx.y0 as number[])[0]!) < 1e-8 && Math.abs(gxa.g) < 1e-8 && Math.abs(gxa.c - 1) < 1e-8, JSON.stringify(gx));
    // The row at t = 0.5 (before the event) is an ordinary interpolated output: x = H − g t²/2.
    const g05 = pullback([[1, 0], null]);
    assert.ok(Math.abs((g05.args as { g: number }).g + 0.125) < 1e-9);
  });
}

test("diffeqsolveJvp through a terminating event: the tangent of the velocity at the floor", () => {
  const { tangents } = diffeqsolveJvp(
    { terms: new ODETerm(fall), solver: new Tsit5(), t0: 0, t1: 10, y0: [H, 0], args: { g: G, c: C },
      stepsizeController: new PIDController({ rtol: 1e-10, atol: 1e-12 }), event: new Event({ cond: (_t, y, a: { c: number }) => y[0]! - a.c, terminal: true }) },
    { y0: [1, 0] },
  );
  assert.ok(Math.abs(tangents[0]![1]! + Math.sqrt(G / (2 * (H - C)))) < 1e-6, `${tangents[0]![1]}`);
  assert.ok(Math.abs(tangents[0]![0]!) < 1e-8);
});

test("a terminating scheduled event ends the solve at its time, which the gradient holds as an input", () => {
  for (const adjoint of [new RecursiveCheckpointAdjoint(), new BacksolveAdjoint({ stepsizeController: new PIDController({ rtol: 1e-10, atol: 1e-12 }) }), new ForwardSensitivity()]) {
    const { solution, pullback } = diffeqsolveVjp({
      terms: new ODETerm(fall), solver: new Tsit5(), t0: 0, t1: 10, y0: [H, 0], args: { g: G, c: C }, adjoint,
      stepsizeController: new PIDController({ rtol: 1e-10, atol: 1e-12 }), event: new Event({ times: [1], terminal: true }),
    });
    assert.equal(solution.result, RESULTS.eventOccurred);
    assert.equal(solution.tFinal, 1);
    // x(1) = H − g/2, v(1) = −g: dx/dg = −1/2, dv/dH = 0; and dx/dτ = v(1) (the reverse adjoints give it).
    const g = pullback([[1, 0]]);
    assert.ok(Math.abs((g.args as { g: number }).g + 0.5) < 1e-8, `${adjoint.kind}`);
    if (g.eventTimes !== undefined) assert.ok(Math.abs(g.eventTimes[0]! + G) < 1e-8, `${adjoint.kind}: ${g.eventTimes[0]}`);
  }
});
