// Forward sensitivities of delay equations against closed forms of the method of steps.
//
// y′ = −k y(t − 1), y = c before 0 (the default history y0 = c):
//   y = c (1 − k t)                        on [0, 1]
//   y = c (1 − k t + k² (t − 1)² / 2)      on [1, 2]
// so ∂y(2)/∂k = c (−2 + k) and ∂y(2)/∂c = 1 − 2k + k²/2.
// y′ = −y(t − τ), y = 1 before 0, with τ = args.tau a parameter: y = 1 − t on [0, τ] and
//   y = 1 − t + (t − τ)²/2 on [τ, 2τ], so ∂y(t)/∂τ = −(t − τ) there.
import assert from "node:assert/strict";
import { test } from "node:test";
import { DelayTerm, diffeqsolveJvp, diffeqsolveVjp, ForwardSensitivity, PIDController, SaveAt, Tsit5, Vern7 } from "../../src/index.js";

const scaled = new DelayTerm((_t, _y, a: { k: number }, dy, h) => {
  dy[0] = -a.k * h.delayed[0]![0]!;
}, { delays: [1] });
const tol = new PIDController({ rtol: 1e-10, atol: 1e-10 });

test("jvp: ∂y(t)/∂k and ∂y(t)/∂y0 of y′ = −k y(t − 1) (the history follows y0) equal the closed form", () => {
  const k = 0.7;
  const c = 1.3;
  const ts = [0.5, 1.5, 2];
  const dk = (t: number) => c * (t <= 1 ? -t : -t + k * (t - 1) ** 2);
  const dc = (t: number) => (t <= 1 ? 1 - k * t : 1 - k * t + (k * k * (t - 1) ** 2) / 2);
  for (const solver of [new Tsit5(), new Vern7()]) {
    const options = { terms: scaled, solver, t0: 0, t1: 2, y0: [c], args: { k }, saveat: new SaveAt({ ts }), stepsizeController: tol };
    const byK = diffeqsolveJvp(options, { args: { k: 1 } });
    const byC = diffeqsolveJvp(options, { y0: [1] });
    for (let i = 0; i < ts.length; i++) {
      assert.ok(Math.abs(byK.tangents[i]![0]! - dk(ts[i]!)) < 1e-6, `${solver.name} ∂y(${ts[i]})/∂k: ${byK.tangents[i]![0]} vs ${dk(ts[i]!)}`);
      assert.ok(Math.abs(byC.tangents[i]![0]! - dc(ts[i]!)) < 1e-6, `${solver.name} ∂y(${ts[i]})/∂c: ${byC.tangents[i]![0]} vs ${dc(ts[i]!)}`);
    }
  }
});

test("vjp (forward sensitivities): gradients of y(2) with respect to y0 and k", () => {
  const k = 0.7;
  const c = 1.3;
  const { solution, pullback } = diffeqsolveVjp({
    terms: scaled, solver: new Tsit5(), t0: 0, t1: 2, y0: [c], args: { k }, stepsizeController: tol, adjoint: new ForwardSensitivity(),
  });
  assert.ok(Math.abs(solution.ys[0]![0]! - c * (1 - 2 * k + (k * k) / 2)) < 1e-9);
  const g = pullback([[1]]);
  assert.ok(Math.abs((g.y0 as number[])[0]! - (1 - 2 * k + (k * k) / 2)) < 1e-6, `∂/∂c: ${g.y0}`);
  assert.ok(Math.abs((g.args as { k: number }).k - c * (-2 + k)) < 1e-6, `∂/∂k: ${(g.args as { k: number }).k}`);
  // Leaving out `adjoint` takes forward sensitivities as well.
  const plain = diffeqsolveVjp({ terms: scaled, solver: new Tsit5(), t0: 0, t1: 2, y0: [c], args: { k }, stepsizeController: tol }).pullback([[1]]);
  assert.ok(Math.abs((plain.args as { k: number }).k - c * (-2 + k)) < 1e-6);
});

test("a delay that depends on a parameter is differentiated: ∂y(t)/∂τ = −(t − τ) on [τ, 2τ]", () => {
  const term = new DelayTerm((_t, _y, _a: { tau: number }, dy, h) => {
    dy[0] = -h.delayed[0]![0]!;
  }, { delays: [(_t, _y, a) => a.tau], history: 1 });
  const tau = 1;
  const ts = [0.5, 1.5, 1.9];
  const { tangents } = diffeqsolveJvp(
    { terms: term, solver: new Vern7(), t0: 0, t1: 1.9, y0: [1], args: { tau }, saveat: new SaveAt({ ts }), stepsizeController: tol },
    { args: { tau: 1 } },
  );
  for (let i = 0; i < ts.length; i++) {
    const exact = ts[i]! <= tau ? 0 : -(ts[i]! - tau);
    assert.ok(Math.abs(tangents[i]![0]! - exact) < 1e-5, `∂y(${ts[i]})/∂τ: ${tangents[i]![0]} vs ${exact}`);
  }
});

test("sensitivities refuse what they do not differentiate, with named errors", () => {
  const options = { terms: scaled, solver: new Tsit5(), t0: 0, t1: 2, y0: [1], args: { k: 1 } };
  assert.throws(() => diffeqsolveVjp({ ...options, saveat: new SaveAt({ steps: true }) }), /SaveAt steps is not differentiated/);
  assert.throws(() => diffeqsolveVjp({ ...options, saveat: new SaveAt({ ts: [1], fn: (_t, y) => y[0]! }) }), /SaveAt fn is not differentiated/);
});
