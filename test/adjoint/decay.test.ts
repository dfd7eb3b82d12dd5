import { test } from "node:test";
import assert from "node:assert/strict";
import {
  BacksolveAdjoint, ConstantStepSize, diffeqsolveJvp, diffeqsolveVjp, Dopri5, ForwardSensitivity, ODETerm, PIDController,
  RecursiveCheckpointAdjoint, SaveAt, Tsit5, type Adjoint,
} from "../../src/index.js";

// y' = −k y, y(0) = y0: y(t) = y0 e^{−kt}, ∂y/∂y0 = e^{−kt}, ∂y/∂k = −t y0 e^{−kt}.
const decay = {
  f: (_t: number, y: Float64Array, a: { k: number }, dy: Float64Array) => { dy[0] = -a.k * y[0]!; },
  vjp: (_t: number, _y: Float64Array, a: { k: number }, w: Float64Array, out: Float64Array) => { out[0] = -a.k * w[0]!; },
  jvp: (_t: number, _y: Float64Array, a: { k: number }, v: Float64Array, out: Float64Array) => { out[0] = -a.k * v[0]!; },
  vjpArgs: (_t: number, y: Float64Array, _a: unknown, w: Float64Array, out: Float64Array) => { out[0] = -y[0]! * w[0]!; },
  jvpArgs: (_t: number, y: Float64Array, _a: unknown, v: Float64Array, out: Float64Array) => { out[0] = -y[0]! * v[0]!; },
  argNames: ["k"],
  nArgs: 1,
};
const Y0 = 1.5;
const K = 2;
const TS = [0, 0.3, 0.7, 1];
const BAR = [0.5, 1, -0.25, 2];
const exactY0 = TS.reduce((s, t, i) => s + BAR[i]! * Math.exp(-K * t), 0);
const exactK = TS.reduce((s, t, i) => s - BAR[i]! * t * Y0 * Math.exp(-K * t), 0);

const adjoints: [string, () => Adjoint][] = [
  ["RecursiveCheckpointAdjoint", () => new RecursiveCheckpointAdjoint()],
  ["RecursiveCheckpointAdjoint (2 checkpoints)", () => new RecursiveCheckpointAdjoint({ checkpoints: 2 })],
  ["BacksolveAdjoint", () => new BacksolveAdjoint({ stepsizeController: new PIDController({ rtol: 1e-11, atol: 1e-13 }) })],
  ["ForwardSensitivity", () => new ForwardSensitivity()],
];

for (const [name, make] of adjoints) {
  test(`${name}: exponential decay, gradient through SaveAt ts (t0 included) against the closed form`, () => {
    const { solution, pullback } = diffeqsolveVjp({
      terms: new ODETerm(decay), solver: new Tsit5(), t0: 0, t1: 1, y0: [Y0], args: { k: K },
      stepsizeController: new PIDController({ rtol: 1e-11, atol: 1e-13 }), saveat: new SaveAt({ ts: TS }), adjoint: make(),
    });
    assert.equal(solution.ts.length, 4);
    const g = pullback(BAR.map((b) => [b]));
    const gy0 = (g.y0 as number[])[0]!;
    const gk = (g.args as { k: number }).k;
    assert.ok(Math.abs(gy0 - exactY0) <= 1e-9 * Math.abs(exactY0), `${gy0} vs ${exactY0}`);
    assert.ok(Math.abs(gk - exactK) <= 1e-9 * Math.abs(exactK), `${gk} vs ${exactK}`);
  });
}

test("shapes: a nested y0 gets a nested gradient, Float64Array args a Float64Array", () => {
  const vf = { f: (_t: number, y: Float64Array, a: Float64Array, dy: Float64Array) => { dy[0] = -a[0]! * y[0]!; dy[1] = -a[1]! * y[1]!; } };
  const { pullback } = diffeqsolveVjp({
    terms: new ODETerm(vf), solver: new Tsit5(), t0: 0, t1: 1, y0: { u: 1, v: [2] }, args: Float64Array.of(1, 3),
    stepsizeController: new PIDController({ rtol: 1e-10, atol: 1e-12 }),
  });
  const g = pullback([{ u: 1, v: [1] }]);
  const y0 = g.y0 as { u: number; v: number[] };
  assert.ok(Math.abs(y0.u - Math.exp(-1)) < 1e-8);
  assert.ok(Math.abs(y0.v[0]! - Math.exp(-3)) < 1e-8);
  assert.ok(g.args instanceof Float64Array);
  // Finite-difference fallback for ∂f/∂p (no vjpArgs given): about 8 digits.
  assert.ok(Math.abs(g.args[0]! + Math.exp(-1)) < 1e-7, `${g.args[0]}`);
  assert.ok(Math.abs(g.args[1]! + 2 * Math.exp(-3)) < 1e-7, `${g.args[1]}`);
});

test("diffeqsolveJvp: tangents of decay against the closed form, with fixed steps and adaptive", () => {
  for (const controller of [new ConstantStepSize(), new PIDController({ rtol: 1e-11, atol: 1e-13 })]) {
    const { solution, tangents } = diffeqsolveJvp(
      { terms: new ODETerm(decay), solver: new Dopri5(), t0: 0, t1: 1, dt0: 0.001, y0: [Y0], args: { k: K }, stepsizeController: controller, saveat: new SaveAt({ ts: TS }) },
      { y0: [0.5], args: { k: 1 } },
    );
    assert.equal(tangents.length, solution.ts.length);
    TS.forEach((t, i) => {
      const exact = 0.5 * Math.exp(-K * t) - t * Y0 * Math.exp(-K * t);
      assert.ok(Math.abs(tangents[i]![0]! - exact) <= 1e-9, `t=${t}: ${tangents[i]![0]} vs ${exact}`);
    });
  }
});

test("backward in time (t1 < t0) and a scalar y0: every adjoint against the closed form", () => {
  // From t0 = 1 back to t1 = 0: y(0) = y0 e^{k}; ∂/∂y0 = e^{k}, ∂/∂k = y0 e^{k}.
  for (const [name, make] of adjoints) {
    const { solution, pullback } = diffeqsolveVjp({
      terms: new ODETerm(decay), solver: new Tsit5(), t0: 1, t1: 0, y0: Y0, args: { k: K },
      stepsizeController: new PIDController({ rtol: 1e-11, atol: 1e-13 }), saveat: new SaveAt({ ts: [0.5, 0] }), adjoint: make(),
    });
    assert.ok(Math.abs(solution.ys[1]![0]! - Y0 * Math.exp(K)) < 1e-8);
    const g = pullback([[0], [1]]);
    assert.equal(typeof g.y0, "number", name);
    assert.ok(Math.abs((g.y0 as number) - Math.exp(K)) <= 1e-8 * Math.exp(K), `${name}: ${g.y0}`);
    assert.ok(Math.abs((g.args as { k: number }).k - Y0 * Math.exp(K)) <= 1e-8 * Y0 * Math.exp(K), `${name}: ${(g.args as { k: number }).k}`);
  }
});

test("a fused vjpBoth is used in place of vjp and vjpArgs and gives the same gradient", () => {
  let calls = 0;
  const fused = {
    f: decay.f,
    vjpBoth: (_t: number, y: Float64Array, a: { k: number }, w: Float64Array, outY: Float64Array, outP: Float64Array) => {
      calls++;
      outY[0] = -a.k * w[0]!;
      outP[0] = -y[0]! * w[0]!;
    },
    argNames: ["k"],
    nArgs: 1,
  };
  const run = (vf: object) =>
    diffeqsolveVjp({
      terms: new ODETerm(vf as typeof decay), solver: new Tsit5(), t0: 0, t1: 1, y0: [Y0], args: { k: K },
      stepsizeController: new PIDController({ rtol: 1e-9, atol: 1e-12 }), saveat: new SaveAt({ ts: TS }),
    }).pullback(BAR.map((b) => [b]));
  const a = run(fused);
  const b = run(decay);
  assert.ok(calls > 0);
  assert.equal((a.y0 as number[])[0], (b.y0 as number[])[0]);
  assert.equal((a.args as { k: number }).k, (b.args as { k: number }).k);
});
