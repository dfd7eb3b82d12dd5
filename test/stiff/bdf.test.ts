import { test } from "node:test";
import assert from "node:assert/strict";
import { diffeqsolve } from "../../src/integrate.js";
import { ODETerm } from "../../src/terms.js";
import { PIDController } from "../../src/controllers/pid.js";
import { SaveAt } from "../../src/saveat.js";
import { RESULTS } from "../../src/results.js";
import { BDF, primeBDFHistory } from "../../src/solvers/implicit/bdf.js";
import { errorOverTolerance, linear, type Problem, protheroRobinson, refProblem, ROBER_DAE_MASS, roberDae, slope } from "./problems.js";

/**
 * Errors of the fixed-order k formula with constant steps h, started from exact history: at t = 2,
 * and of the dense output at every step's midpoint.
 */
function fixedOrderErrors(p: Problem, k: number, h: number): { end: number; mid: number } {
  const solver = new BDF({ maxOrder: k });
  const n = p.y0.length;
  const state = solver.init(p.f, n, null, new ODETerm(p.f));
  primeBDFHistory(state, Array.from({ length: k + 1 }, (_, m) => p.exact(-m * h)), h, k);
  let y = Float64Array.from(p.exact(0));
  let y1 = new Float64Array(n);
  const e = new Float64Array(n);
  const steps = Math.round(2 / h);
  const ym = new Float64Array(n);
  let mid = 0;
  for (let i = 0; i < steps; i++) {
    assert.equal(solver.step(state, Float64Array.of(i * h, h), y, y1, e), 0);
    solver.accept(state);
    solver.interpolate(state, 0.5, ym);
    p.exact((i + 0.5) * h).forEach((v, j) => (mid = Math.max(mid, Math.abs(v - ym[j]!))));
    [y, y1] = [y1, y];
  }
  return { end: Math.max(...p.exact(2).map((v, i) => Math.abs(v - y[i]!))), mid };
}

test("BDF (NDF) of each order k = 1 … 5 converges with order k (solution and dense output) on a linear problem and on stiff and non-stiff Prothero–Robinson", () => {
  const hs = [0.1, 0.05, 0.025, 0.0125];
  for (const p of [linear, protheroRobinson(-10), protheroRobinson(-1e4)]) {
    for (let k = 1; k <= 5; k++) {
      const errs = hs.map((h) => fixedOrderErrors(p, k, h));
      const s = slope(hs, errs.map((x) => x.end));
      const sm = slope(hs, errs.map((x) => x.mid));
      assert.ok(Math.abs(s - k) <= 0.25, `order ${k}: slope ${s}`);
      // Dense output: global error O(h^k) plus interpolation error O(h^(k+1)); at these step sizes
      // the latter can dominate for k = 1, so the slope lies between k and k + 1.
      assert.ok(sm >= k - 0.25 && sm <= k + 1.25, `order ${k}: dense slope ${sm}`);
    }
  }
});

test("BDF with adaptive steps and orders: saved (interpolated) values and sol.evaluate match the closed form to the tolerance", () => {
  const ts = Array.from({ length: 19 }, (_, i) => 0.1 * (i + 1));
  for (const rtol of [1e-6, 1e-9]) {
    const sol = diffeqsolve({
      terms: new ODETerm(linear.f), solver: new BDF(), t0: 0, t1: 2, y0: linear.y0,
      saveat: new SaveAt({ ts, dense: true }), stepsizeController: new PIDController({ rtol, atol: rtol }),
    });
    let e = 0;
    ts.forEach((t, k) => {
      const yd = sol.evaluate(0.999 * t) as Float64Array;
      linear.exact(t).forEach((v, i) => (e = Math.max(e, Math.abs(v - sol.ys[k]![i]!))));
      linear.exact(0.999 * t).forEach((v, i) => (e = Math.max(e, Math.abs(v - yd[i]!))));
    });
    assert.ok(e < 100 * rtol, `rtol ${rtol}: ${e}`);
  }
});

test("BDF keeps the Jacobian across steps: far fewer Jacobians and LU factorisations than steps on ROBER", () => {
  const rober = refProblem("ROBER");
  const sol = diffeqsolve({
    terms: new ODETerm(rober.f), solver: new BDF(), t0: 0, t1: 1e11, y0: rober.y0,
    stepsizeController: new PIDController({ rtol: 1e-6, atol: 1e-12 }),
  });
  const s = sol.stats;
  assert.ok(s.numJacobianEvals! * 10 < s.numAcceptedSteps, JSON.stringify(s));
  assert.ok(s.numLUDecompositions! < s.numAcceptedSteps, JSON.stringify(s));
  assert.ok(s.numNewtonIterations! >= s.numAcceptedSteps);
});

test("ROBER as an index-1 DAE (M = diag(1, 1, 0)) with BDF matches the published ROBER values", () => {
  const rober = refProblem("ROBER");
  const ts = rober.reference.map((r) => r.t);
  for (const rtol of [1e-6, 1e-8]) {
    const atol = 1e-6 * rtol;
    const sol = diffeqsolve({
      terms: new ODETerm(roberDae), solver: new BDF({ massMatrix: ROBER_DAE_MASS }), t0: 0, t1: 1e11, y0: [1, 0, 0],
      saveat: new SaveAt({ ts }), stepsizeController: new PIDController({ rtol, atol }), maxSteps: 1_000_000,
    });
    const e = errorOverTolerance(sol.ys, rober.reference, rtol, atol);
    assert.ok(e <= 1000, `rtol ${rtol}: error/tolerance ${e}`);
  }
});

test("a Newton iteration that can never converge ends with RESULTS.implicitNonconvergence, quickly", () => {
  // f is finite only at the initial state: every Newton iterate away from it gives NaN, so the
  // implicit equation cannot be solved at any step size.
  const terms = new ODETerm({
    f: (_t: number, y: Float64Array, _a: unknown, dy: Float64Array) => { dy[0] = y[0] === 0 ? 1 : NaN; },
    jac: (_t: number, _y: Float64Array, _a: unknown, J: Float64Array) => { J[0] = 0; },
  });
  const start = Date.now();
  const sol = diffeqsolve({ terms, solver: new BDF(), t0: 0, t1: 1, y0: [0], throw: false });
  assert.equal(sol.result, RESULTS.implicitNonconvergence);
  assert.ok(Date.now() - start < 2000);
  assert.throws(() => diffeqsolve({ terms, solver: new BDF(), t0: 0, t1: 1, y0: [0] }), /implicitNonconvergence at t = .*Newton iteration did not converge/);
});

test("BDF refuses a bad maxOrder with a message naming it", () => {
  assert.throws(() => new BDF({ maxOrder: 6 }), /`maxOrder` must be a whole number from 1 to 5; got number 6/);
});
