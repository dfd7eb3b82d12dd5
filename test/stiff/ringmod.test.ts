// The ring modulator (RINGMOD, Bari test set; problem in ./ringmod.ts): Rosenbrock methods put
// d_i·dt·∂f/∂t into every stage, and a finite-difference ∂f/∂t with an increment of 6e-6 (right for
// time scales of order 1) was wrong by a factor ~6000 on this circuit, whose diodes follow a 10 kHz
// carrier through e^{17.7 U}: Rodas5P and Rosenbrock23 then took steps of ~1e-11 for ever. The
// reference values at t1 = 1e-3 are the test set's.
import assert from "node:assert/strict";
import { test } from "node:test";
import { diffeqsolve } from "../../src/integrate.js";
import { ODETerm } from "../../src/terms.js";
import { PIDController } from "../../src/controllers/pid.js";
import { RESULTS } from "../../src/results.js";
import type { AbstractSolver } from "../../src/solvers/solver.js";
import { Rodas5P, Rosenbrock23 } from "../../src/solvers/implicit/rosenbrock.js";
import { IterationMatrix } from "../../src/solvers/implicit/iteration-matrix.js";
import { RINGMOD, ringmodDfdt } from "./ringmod.js";

const RTOL = 1e-3;
const MARGIN = 4;

/** max_i |y_i − ref_i| / (rtol |ref_i| + atol) at t1, with atol = rtol. */
function errorAtEnd(y: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < 15; i++) worst = Math.max(worst, Math.abs(y[i]! - RINGMOD.reference[i]!) / (RTOL * Math.abs(RINGMOD.reference[i]!) + RTOL));
  return worst;
}

test("RINGMOD: Rodas5P and Rosenbrock23 reach t1 = 1e-3 (they crawled at dt ≈ 1e-11), with a differenced or an exact ∂f/∂t", () => {
  // Measured when the test was written (steps, and error at t1 in tolerance units; RadauIIA5 and
  // Kvaerno5 measure 52 units at this tolerance too: the problem amplifies errors strongly).
  const cases: [string, () => AbstractSolver<any>, boolean, number, number][] = [
    ["Rodas5P", () => new Rodas5P(), false, 4586, 55.6],
    ["Rodas5P with dfdt", () => new Rodas5P(), true, 4913, 55.0],
    ["Rosenbrock23", () => new Rosenbrock23(), false, 9589, 51.7],
  ];
  for (const [name, make, exact, steps, error] of cases) {
    const sol = diffeqsolve({
      terms: new ODETerm(exact ? { f: RINGMOD.f, jac: RINGMOD.jac, dfdt: ringmodDfdt } : RINGMOD.f), solver: make(),
      t0: RINGMOD.t0, t1: RINGMOD.t1, y0: RINGMOD.y0, stepsizeController: new PIDController({ rtol: RTOL, atol: RTOL }), maxSteps: 100_000,
    });
    assert.equal(sol.result, RESULTS.successful, name);
    assert.ok(sol.stats.numAcceptedSteps <= MARGIN * steps, `${name}: ${sol.stats.numAcceptedSteps} steps (${steps} measured)`);
    const e = errorAtEnd(sol.ys[0]!);
    assert.ok(e <= MARGIN * error, `${name}: error ${e} tolerance units at t1 (${error} measured)`);
  }
});

test("∂f/∂t for Rosenbrock stages: the vector field's exact dfdt when it has one; otherwise a difference over a fraction of the step", () => {
  // f = sin(ω t) with ω = 1e7 at t = 1e-6, for a step of 1e-9: an increment of 6e-6 (60 radians)
  // differences noise; one scaled to the step recovers ω cos(ω t) to ~1e-9.
  const omega = 1e7;
  let calls = 0;
  const f = (t: number, _y: Float64Array, _a: unknown, dy: Float64Array): void => {
    calls++;
    dy[0] = Math.sin(omega * t);
  };
  const t = 1e-6;
  const exact = omega * Math.cos(omega * t);
  const out = new Float64Array(1);
  const scratch = new Float64Array(1);
  const y = new Float64Array(1);
  const fd = new IterationMatrix("test", f, 1, undefined, null, {});
  assert.equal(fd.timeDerivative(t, y, y, out, scratch, 1e-9), 2);
  assert.ok(Math.abs(out[0]! - exact) <= 1e-8 * omega, `${out[0]} vs ${exact}`);
  // With dt unknown (0) the increment falls back to ε^{1/3}·max(|t|, 1).
  fd.timeDerivative(t, y, y, out, scratch, 0);
  assert.ok(Math.abs(out[0]! - exact) > 0.1 * omega);
  // An exact dfdt is used as given, without evaluating f.
  calls = 0;
  const withDfdt = new IterationMatrix("test", f, 1, undefined, { f, dfdt: (tt, _y, _a, o) => { o[0] = omega * Math.cos(omega * tt); } }, {});
  assert.equal(withDfdt.timeDerivative(t, y, y, out, scratch, 1e-9), 0);
  assert.equal(calls, 0);
  assert.equal(out[0], exact);
});

test("Rodas5P calls a vector field's dfdt once per Jacobian, and evaluates f two times fewer per step than with a differenced ∂f/∂t", () => {
  let dfdtCalls = 0;
  const f = (t: number, y: Float64Array, _a: unknown, dy: Float64Array): void => {
    dy[0] = -1e4 * (y[0]! - Math.sin(t)) + Math.cos(t);
  };
  const jac = (_t: number, _y: Float64Array, _a: unknown, J: Float64Array): void => {
    J[0] = -1e4;
  };
  const dfdt = (t: number, _y: Float64Array, _a: unknown, out: Float64Array): void => {
    dfdtCalls++;
    out[0] = 1e4 * Math.cos(t) - Math.sin(t);
  };
  const opts = { solver: new Rodas5P(), t0: 0, t1: 2, y0: [0], stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-10 }) };
  const exact = diffeqsolve({ ...opts, terms: new ODETerm({ f, jac, dfdt }) });
  const differenced = diffeqsolve({ ...opts, solver: new Rodas5P(), terms: new ODETerm({ f, jac }) });
  assert.equal(dfdtCalls, exact.stats.numJacobianEvals);
  assert.ok(Math.abs(exact.ys[0]![0]! - Math.sin(2)) < 1e-8);
  assert.ok(Math.abs(differenced.ys[0]![0]! - Math.sin(2)) < 1e-8);
  const perStep = (s: typeof exact): number => s.stats.numFnEvals / s.stats.numJacobianEvals!;
  assert.ok(perStep(differenced) - perStep(exact) > 1.9 && perStep(differenced) - perStep(exact) < 2.1, `${perStep(differenced)} vs ${perStep(exact)} evaluations per Jacobian`);
});
