import { test } from "node:test";
import assert from "node:assert/strict";
import { diffeqsolve } from "../../src/integrate.js";
import { ODETerm } from "../../src/terms.js";
import { PIDController } from "../../src/controllers/pid.js";
import { SaveAt } from "../../src/saveat.js";
import { RESULTS } from "../../src/results.js";
import {
  RadauIIA5, RADAU_C, RADAU_MU_COMPLEX_IM, RADAU_MU_COMPLEX_RE, RADAU_MU_REAL, RADAU_T, RADAU_TI,
} from "../../src/solvers/implicit/radau.js";
import { constantStepSlopes, errorOverTolerance, linear, protheroRobinson, refProblem, ROBER_DAE_MASS, roberDae } from "./problems.js";

const DTS = [0.1, 0.05, 0.025, 0.0125];

test("RadauIIA5 converges with order 5 on a linear problem and non-stiff Prothero–Robinson; its collocation dense output with order 4", () => {
  for (const p of [linear, protheroRobinson(-10)]) {
    const s = constantStepSlopes(() => new RadauIIA5(), p, DTS);
    assert.ok(Math.abs(s.end - 5) <= 0.25, `slope ${s.end}`);
    assert.ok(Math.abs(s.mid - 4) <= 0.25, `dense slope ${s.mid}`);
  }
});

test("RadauIIA5 on stiff Prothero–Robinson (λ = −1e4) converges with its stage order 3", () => {
  const s = constantStepSlopes(() => new RadauIIA5(), protheroRobinson(-1e4), DTS);
  assert.ok(Math.abs(s.end - 3) <= 0.25, `slope ${s.end}`);
});

test("Radau IIA transformation: T⁻¹ A⁻¹ T = diag(μ, [[α, −β], [β, α]]) for the closed-form Radau IIA matrix A", () => {
  const r6 = Math.sqrt(6);
  // Radau IIA (s = 3) coefficients in closed form (Hairer & Wanner II, Table IV.5.6).
  const A = [
    [(88 - 7 * r6) / 360, (296 - 169 * r6) / 1800, (-2 + 3 * r6) / 225],
    [(296 + 169 * r6) / 1800, (88 + 7 * r6) / 360, (-2 - 3 * r6) / 225],
    [(16 - r6) / 36, (16 + r6) / 36, 1 / 9],
  ];
  // Row sums are the nodes.
  A.forEach((row, i) => assert.ok(Math.abs(row[0]! + row[1]! + row[2]! - RADAU_C[i]!) < 1e-15));
  // A · (T diag T⁻¹) check via A T = T Λ⁻¹ ⇔ T⁻¹ A⁻¹ T = Λ; verify A (T Λ) = T column by column.
  const T = (i: number, j: number): number => RADAU_T[i * 3 + j]!;
  const TI = (i: number, j: number): number => RADAU_TI[i * 3 + j]!;
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
    let v = 0;
    for (let k = 0; k < 3; k++) v += T(i, k) * TI(k, j);
    assert.ok(Math.abs(v - (i === j ? 1 : 0)) < 1e-14, `T·T⁻¹ (${i},${j})`);
  }
  const L = [[RADAU_MU_REAL, 0, 0], [0, RADAU_MU_COMPLEX_RE, -RADAU_MU_COMPLEX_IM], [0, RADAU_MU_COMPLEX_IM, RADAU_MU_COMPLEX_RE]];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
    // (A T Λ)_{ij} should equal T_{ij}.
    let v = 0;
    for (let k = 0; k < 3; k++) for (let m = 0; m < 3; m++) v += A[i]![k]! * T(k, m) * L[m]![j]!;
    assert.ok(Math.abs(v - T(i, j)) < 1e-13, `A T Λ (${i},${j}): ${v} vs ${T(i, j)}`);
  }
});

test("RadauIIA5 reuses its factorisations and Jacobian across steps (fewer LUs and Jacobians than steps on ROBER)", () => {
  const rober = refProblem("ROBER");
  const sol = diffeqsolve({
    terms: new ODETerm(rober.f), solver: new RadauIIA5(), t0: 0, t1: 1e11, y0: rober.y0,
    stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-14 }),
  });
  const s = sol.stats;
  assert.ok(s.numLUDecompositions! < 0.6 * s.numSteps, JSON.stringify(s));
  assert.ok(s.numJacobianEvals! < 0.5 * s.numSteps, JSON.stringify(s));
});

test("ROBER as an index-1 DAE (M = diag(1, 1, 0)) with RadauIIA5 matches the published ROBER values", () => {
  const rober = refProblem("ROBER");
  const ts = rober.reference.map((r) => r.t);
  for (const rtol of [1e-6, 1e-8]) {
    const atol = 1e-6 * rtol;
    const sol = diffeqsolve({
      terms: new ODETerm(roberDae), solver: new RadauIIA5({ massMatrix: ROBER_DAE_MASS }), t0: 0, t1: 1e11, y0: [1, 0, 0],
      saveat: new SaveAt({ ts }), stepsizeController: new PIDController({ rtol, atol, stepTs: ts }),
    });
    assert.ok(errorOverTolerance(sol.ys, rober.reference, rtol, atol) <= 100, `rtol ${rtol}`);
  }
});

test("RadauIIA5 failures: Newton that cannot converge → implicitNonconvergence; singular matrix → singularMatrix", () => {
  const nowhere = new ODETerm({
    f: (_t: number, y: Float64Array, _a: unknown, dy: Float64Array) => { dy[0] = y[0] === 0 ? 1 : NaN; },
    jac: (_t: number, _y: Float64Array, _a: unknown, J: Float64Array) => { J[0] = 0; },
  });
  assert.equal(diffeqsolve({ terms: nowhere, solver: new RadauIIA5(), t0: 0, t1: 1, y0: [0], throw: false }).result, RESULTS.implicitNonconvergence);
  const constant = new ODETerm((_t: number, _y: Float64Array, _a: unknown, dy: Float64Array) => { dy[0] = 1; });
  assert.equal(diffeqsolve({ terms: constant, solver: new RadauIIA5({ massMatrix: [[0]] }), t0: 0, t1: 1, y0: [0], throw: false }).result, RESULTS.singularMatrix);
});
