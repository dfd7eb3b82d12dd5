import { test } from "node:test";
import assert from "node:assert/strict";
import { diffeqsolve } from "../../src/integrate.js";
import { ODETerm } from "../../src/terms.js";
import { PIDController } from "../../src/controllers/pid.js";
import { SaveAt } from "../../src/saveat.js";
import { RESULTS } from "../../src/results.js";
import {
  ImplicitEuler, Kvaerno3, Kvaerno4, Kvaerno5, KVAERNO3_TABLEAU, KVAERNO4_TABLEAU, KVAERNO5_TABLEAU,
} from "../../src/solvers/implicit/esdirk.js";
import { constantStepSlopes, errorOverTolerance, linear, protheroRobinson, refProblem, ROBER_DAE_MASS, roberDae } from "./problems.js";

const DTS = [0.1, 0.05, 0.025, 0.0125];
const methods = [
  { make: () => new ImplicitEuler(), order: 1, dense: 1 },
  { make: () => new Kvaerno3(), order: 3, dense: 3 },
  { make: () => new Kvaerno4(), order: 4, dense: 4 },
  { make: () => new Kvaerno5(), order: 5, dense: 4 }, // cubic Hermite dense output: O(dt⁴)
];

test("ImplicitEuler and Kvaerno3/4/5 converge with their order on a linear problem (solution; dense output min(p, 4))", () => {
  for (const m of methods) {
    const s = constantStepSlopes(m.make, linear, DTS);
    assert.ok(Math.abs(s.end - m.order) <= 0.25, `${m.make().name}: slope ${s.end}`);
    assert.ok(Math.abs(s.mid - m.dense) <= 0.25, `${m.make().name}: dense slope ${s.mid}`);
  }
});

test("on stiff Prothero–Robinson (λ = −1e4) the Kvaerno methods converge with order 2 (their stage order), ImplicitEuler with 1", () => {
  for (const m of methods) {
    const s = constantStepSlopes(m.make, protheroRobinson(-1e4), DTS);
    const expected = m.order === 1 ? 1 : 2;
    assert.ok(Math.abs(s.end - expected) <= 0.25, `${m.make().name}: slope ${s.end}`);
  }
});

test("Kvaerno tableaus: rows sum to c, the last row is the solution (stiffly accurate), error weights sum to 0, c_s = 1", () => {
  for (const tab of [KVAERNO3_TABLEAU, KVAERNO4_TABLEAU, KVAERNO5_TABLEAU]) {
    const s = tab.stages;
    let sumErr = 0;
    for (let j = 0; j < s; j++) sumErr += tab.bErr[j]!;
    assert.ok(Math.abs(sumErr) < 1e-14, tab.name);
    assert.ok(Math.abs(tab.c[s - 1]! - 1) < 1e-14, tab.name);
    for (let i = 1; i < s; i++) assert.equal(tab.a[i * s + i], tab.gamma, `${tab.name} diagonal`);
    // Order conditions up to order 3 for the solution weights b = last row: Σb = 1, Σbc = 1/2, Σbc² = 1/3, Σ b a c = 1/6.
    const b = Array.from({ length: s }, (_, j) => tab.a[(s - 1) * s + j]!);
    const c = tab.c;
    const dot = (u: number[], v: ArrayLike<number>): number => u.reduce((acc, x, j) => acc + x * v[j]!, 0);
    const ac = Array.from({ length: s }, (_, i) => { let v = 0; for (let j = 0; j < s; j++) v += tab.a[i * s + j]! * c[j]!; return v; });
    assert.ok(Math.abs(dot(b, new Float64Array(s).fill(1)) - 1) < 1e-12, `${tab.name} Σb`);
    assert.ok(Math.abs(dot(b, c) - 1 / 2) < 1e-12, `${tab.name} Σbc`);
    assert.ok(Math.abs(dot(b, Array.from(c, (x) => x * x)) - 1 / 3) < 1e-10, `${tab.name} Σbc²`);
    assert.ok(Math.abs(dot(b, ac) - 1 / 6) < 1e-10, `${tab.name} Σbac`);
  }
});

test("ROBER as an index-1 DAE (M = diag(1, 1, 0)) with Kvaerno4 matches the published ROBER values", () => {
  const rober = refProblem("ROBER");
  const ts = rober.reference.map((r) => r.t);
  const rtol = 1e-6;
  const atol = 1e-6 * rtol;
  const sol = diffeqsolve({
    terms: new ODETerm(roberDae), solver: new Kvaerno4({ massMatrix: ROBER_DAE_MASS }), t0: 0, t1: 1e11, y0: [1, 0, 0],
    saveat: new SaveAt({ ts }), stepsizeController: new PIDController({ rtol, atol, stepTs: ts }),
  });
  assert.ok(errorOverTolerance(sol.ys, rober.reference, rtol, atol) <= 100);
});

test("ESDIRK: a Newton iteration that can never converge ends with RESULTS.implicitNonconvergence, quickly", () => {
  // f is finite only at the initial state: every Newton iterate away from it gives NaN, so no stage
  // equation can be solved at any step size.
  const terms = new ODETerm({
    f: (_t: number, y: Float64Array, _a: unknown, dy: Float64Array) => { dy[0] = y[0] === 0 ? 1 : NaN; },
    jac: (_t: number, _y: Float64Array, _a: unknown, J: Float64Array) => { J[0] = 0; },
  });
  for (const solver of [new ImplicitEuler(), new Kvaerno3(), new Kvaerno5()]) {
    const start = Date.now();
    const sol = diffeqsolve({ terms, solver, t0: 0, t1: 1, y0: [0], throw: false });
    assert.equal(sol.result, RESULTS.implicitNonconvergence, solver.name);
    assert.ok(Date.now() - start < 2000);
  }
});

test("ESDIRK: a singular iteration matrix ends with RESULTS.singularMatrix", () => {
  const terms = new ODETerm((_t: number, _y: Float64Array, _a: unknown, dy: Float64Array) => { dy[0] = 1; });
  const sol = diffeqsolve({ terms, solver: new Kvaerno3({ massMatrix: [[0]] }), t0: 0, t1: 1, y0: [0], throw: false });
  assert.equal(sol.result, RESULTS.singularMatrix);
});

test("ESDIRK with finite-difference Jacobians differences the true f(t, y0), not the FSAL stage value (Brusselator, rtol 1e-4)", () => {
  // Regression: differencing against k_1 recovered from the previous stage equation (which differs
  // from f(t, y0) by the Newton residual) gave Jacobians wrong by ~residual/δ; Newton then stalled
  // and the solve crawled (20 000 steps) instead of finishing in a few dozen.
  const N = 50;
  const c = (N + 1) * (N + 1) / 50;
  const f = (_t: number, y: Float64Array, _a: unknown, d: Float64Array): void => {
    for (let i = 0; i < N; i++) {
      const u = y[2 * i]!;
      const v = y[2 * i + 1]!;
      const ul = i === 0 ? 1 : y[2 * i - 2]!;
      const ur = i === N - 1 ? 1 : y[2 * i + 2]!;
      const vl = i === 0 ? 3 : y[2 * i - 1]!;
      const vr = i === N - 1 ? 3 : y[2 * i + 3]!;
      d[2 * i] = 1 + u * u * v - 4 * u + c * (ul - 2 * u + ur);
      d[2 * i + 1] = 3 * u - u * u * v + c * (vl - 2 * v + vr);
    }
  };
  const y0 = Array.from({ length: 2 * N }, (_, k) => (k % 2 === 0 ? 1 + Math.sin((2 * Math.PI * (k / 2 + 1)) / (N + 1)) : 3));
  for (const solver of [new Kvaerno4(), new Kvaerno5()]) {
    const sol = diffeqsolve({ terms: new ODETerm(f), solver, t0: 0, t1: 10, y0, stepsizeController: new PIDController({ rtol: 1e-4, atol: 1e-4 }), maxSteps: 2000 });
    assert.ok(sol.stats.numSteps < 200, `${solver.name}: ${JSON.stringify(sol.stats)}`);
  }
});
