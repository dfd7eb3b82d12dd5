// SteadyStateEvent ends a solve at a steady state; ImplicitAdjoint differentiates the fixed point
// by the implicit function theorem. Checked against the analytic sensitivity of a linear system's
// steady state, y' = A(k) y + b: y* = −A⁻¹ b, ∂y*/∂b = −A⁻¹, ∂y*/∂k = −A⁻¹ (∂A/∂k) y*.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  compile, diffeqsolve, diffeqsolveVjp, ImplicitAdjoint, ODETerm, PIDController, RecursiveCheckpointAdjoint, RESULTS, SaveAt, SteadyStateEvent, Tsit5,
} from "../../src/index.js";

type P = { k: number; b1: number; b2: number };
const linear = compile((_t: number, y: Float64Array, p: P) => [-p.k * y[0]! + y[1]! + p.b1, 0.5 * y[0]! - 3 * y[1]! + p.b2], { args: { k: 0, b1: 0, b2: 0 } });
const args = { k: 2, b1: 1, b2: -0.5 };
/** A = [[−k, 1], [0.5, −3]]; its inverse and the steady state, in closed form. */
function analytic(p: P): { ys: [number, number]; inv: number[][] } {
  const det = 3 * p.k - 0.5;
  const inv = [[-3 / det, -1 / det], [-0.5 / det, -p.k / det]];
  const ys: [number, number] = [-(inv[0]![0]! * p.b1 + inv[0]![1]! * p.b2), -(inv[1]![0]! * p.b1 + inv[1]![1]! * p.b2)];
  return { ys, inv };
}
const options = (extra: object = {}) => ({
  terms: new ODETerm(linear), solver: new Tsit5(), t0: 0, t1: 1000, y0: [0, 0], args,
  stepsizeController: new PIDController({ rtol: 1e-12, atol: 1e-14 }), event: new SteadyStateEvent(linear, { rtol: 1e-9, atol: 1e-10 }), ...extra,
});

test("SteadyStateEvent ends the solve once ‖f‖ is small against the tolerances, at the steady state", () => {
  const sol = diffeqsolve(options());
  assert.equal(sol.result, RESULTS.eventOccurred);
  const { ys } = analytic(args);
  // ‖f‖ ≤ 1e-10 + 1e-9 ‖y‖ puts y within about ‖A⁻¹‖ times that of y*.
  assert.ok(Math.abs(sol.ys[0]![0]! - ys[0]) < 1e-9 && Math.abs(sol.ys[0]![1]! - ys[1]) < 1e-9, `${Array.from(sol.ys[0]!)} vs ${ys}`);
  assert.ok(sol.tFinal < 1000);
});

test("ImplicitAdjoint at a linear system's steady state equals the analytic sensitivity", () => {
  const { solution, pullback } = diffeqsolveVjp({ ...options(), adjoint: new ImplicitAdjoint() });
  const { ys, inv } = analytic(args);
  for (const w of [[1, 0], [0, 1], [0.3, -2]]) {
    const g = pullback([w]);
    const a = g.args as P;
    // ∂(w·y*)/∂b = −A⁻ᵀ w; ∂(w·y*)/∂k = w · (−A⁻¹ (∂A/∂k) y*) with ∂A/∂k = −e₁e₁ᵀ, so = w · A⁻¹ e₁ y*₁.
    const db1 = -(w[0]! * inv[0]![0]! + w[1]! * inv[1]![0]!);
    const db2 = -(w[0]! * inv[0]![1]! + w[1]! * inv[1]![1]!);
    const dk = (w[0]! * inv[0]![0]! + w[1]! * inv[1]![0]!) * ys[0];
    for (const [got, want, name] of [[a.b1, db1, "b1"], [a.b2, db2, "b2"], [a.k, dk, "k"]] as const) {
      assert.ok(Math.abs(got - want) < 1e-8 * Math.max(1, Math.abs(want)), `${name}: ${got} vs ${want}`);
    }
    assert.deepEqual(Array.from(g.y0 as number[]), [0, 0]);
  }
  // Through the steps, the discrete adjoint tends to the same (the transient's memory of y0 has decayed).
  const through = diffeqsolveVjp({ ...options(), adjoint: new RecursiveCheckpointAdjoint() }).pullback([[1, 0]]).args as P;
  const implicit = pullback([[1, 0]]).args as P;
  assert.ok(Math.abs(through.k - implicit.k) < 1e-7, `${through.k} vs ${implicit.k}`);
  assert.equal(solution.result, RESULTS.eventOccurred);
});

test("ImplicitAdjoint refuses a solve without a steady state, and cotangents on the transient", () => {
  assert.throws(() => diffeqsolveVjp({ ...options(), event: undefined, adjoint: new ImplicitAdjoint() }), /end the solve with event: new SteadyStateEvent\(f\)/);
  assert.throws(() => diffeqsolveVjp({ ...options({ t1: 0.5 }), adjoint: new ImplicitAdjoint() }), /without reaching a steady state; raise t1/);
  const { pullback } = diffeqsolveVjp({ ...options({ saveat: new SaveAt({ ts: [0.5], t1: true }) }), adjoint: new ImplicitAdjoint() });
  assert.throws(() => pullback([[1, 0], [0, 1]]), /ysBar\[0\] \(t = 0.5\) is not zero, but the implicit adjoint differentiates only the steady state/);
  assert.ok(Number.isFinite((pullback([null, [0, 1]]).args as P).k));
  assert.throws(() => new SteadyStateEvent(linear, { rtol: -1 }), /`rtol` = -1 must be a finite number ≥ 0/);
});
