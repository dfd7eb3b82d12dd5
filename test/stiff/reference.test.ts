/**
 * Stiff reference problems with published values (Hairer & Wanner's test set, via
 * ../shared/reference/problems.json): ROBER at all twelve times t = 1 … 1e11 and VDPOL (ε = 1e-6)
 * at t = 1 … 11, for each stiff solver, at rtol 1e-6, 1e-8 and 1e-10 where feasible.
 *
 * The check: max over times and components of |y − ref| / (rtol |ref| + atol) ≤ bound. The bound
 * is a property of each method's global-error behaviour, stated once here: 100 for the
 * high-order methods; the order-2 Rosenbrock23 accumulates more global error per unit of
 * tolerance (its VDPOL error is ~700× the tolerance at rtol 1e-6), so it gets 1000, and only the
 * tolerances at which it is a sensible choice (likewise ImplicitEuler, order 1). The ESDIRK
 * methods' dense output is cubic Hermite (order 3), so for them steps land on the reference times
 * (PIDController's stepTs), as a user wanting full accuracy at given times would do. BDF also gets 1000: on VDPOL its error is a few
 * hundred times the tolerance, as for SciPy's BDF on the same test (268× at rtol 1e-6, 359× at
 * 1e-8, measured with scipy.integrate.solve_ivp and the same reference values).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { diffeqsolve } from "../../src/integrate.js";
import { ODETerm } from "../../src/terms.js";
import { PIDController } from "../../src/controllers/pid.js";
import { SaveAt } from "../../src/saveat.js";
import type { AbstractSolver } from "../../src/solvers/solver.js";
import { Rodas5P, Rosenbrock23 } from "../../src/solvers/implicit/rosenbrock.js";
import { BDF } from "../../src/solvers/implicit/bdf.js";
import { ImplicitEuler, Kvaerno3, Kvaerno4, Kvaerno5 } from "../../src/solvers/implicit/esdirk.js";
import { RadauIIA5 } from "../../src/solvers/implicit/radau.js";
import { errorOverTolerance, refProblem, roberJac } from "./problems.js";

interface Case {
  make: () => AbstractSolver<any>;
  name: string;
  rober: number[];
  vdpol: number[];
  bound: number;
  /** Land steps on the reference times (methods whose dense output is only cubic Hermite). */
  stepTs?: boolean;
}

const cases: Case[] = [
  { make: () => new Rodas5P(), name: "Rodas5P", rober: [1e-6, 1e-8, 1e-10], vdpol: [1e-6, 1e-8, 1e-10], bound: 100 },
  { make: () => new Rosenbrock23(), name: "Rosenbrock23", rober: [1e-6, 1e-8], vdpol: [1e-6], bound: 1000 },
  { make: () => new RadauIIA5(), name: "RadauIIA5", rober: [1e-6, 1e-8, 1e-10], vdpol: [1e-6, 1e-8, 1e-10], bound: 100 },
  { make: () => new BDF(), name: "BDF", rober: [1e-6, 1e-8, 1e-10], vdpol: [1e-6, 1e-8, 1e-10], bound: 1000 },
  { make: () => new Kvaerno3(), name: "Kvaerno3", rober: [1e-6, 1e-8, 1e-10], vdpol: [1e-6, 1e-8], bound: 100, stepTs: true },
  { make: () => new Kvaerno4(), name: "Kvaerno4", rober: [1e-6, 1e-8, 1e-10], vdpol: [1e-6, 1e-8, 1e-10], bound: 100, stepTs: true },
  { make: () => new Kvaerno5(), name: "Kvaerno5", rober: [1e-6, 1e-8, 1e-10], vdpol: [1e-6, 1e-8, 1e-10], bound: 100, stepTs: true },
  // Order 1: rtol 1e-6 needs ~10⁵ steps on ROBER and its VDPOL error is >1000× the tolerance at any rtol.
  { make: () => new ImplicitEuler(), name: "ImplicitEuler", rober: [1e-4, 1e-5], vdpol: [], bound: 1000, stepTs: true },
];

const rober = refProblem("ROBER");
const vdpol = refProblem("VDPOL");

function solveRef(p: ReturnType<typeof refProblem>, solver: AbstractSolver<any>, rtol: number, atol: number, jac?: typeof roberJac, stepTs = false) {
  const ts = p.reference.map((r) => r.t);
  return diffeqsolve({
    terms: new ODETerm(jac ? { f: p.f, jac } : p.f),
    solver,
    t0: p.t0,
    t1: ts[ts.length - 1]!,
    y0: p.y0,
    saveat: new SaveAt({ ts }),
    stepsizeController: new PIDController({ rtol, atol, stepTs: stepTs ? ts : undefined }),
    maxSteps: 1_000_000,
  });
}

for (const c of cases) {
  for (const rtol of c.rober) {
    test(`${c.name} solves ROBER at rtol ${rtol} (atol 1e-6·rtol) to the published values at t = 1 … 1e11`, () => {
      const atol = 1e-6 * rtol;
      const sol = solveRef(rober, c.make(), rtol, atol, undefined, c.stepTs);
      const e = errorOverTolerance(sol.ys, rober.reference, rtol, atol);
      assert.ok(e <= c.bound, `error/tolerance ${e}`);
      assert.ok(sol.stats.numJacobianEvals! > 0 && sol.stats.numLUDecompositions! > 0);
    });
  }
  for (const rtol of c.vdpol) {
    test(`${c.name} solves VDPOL (ε = 1e-6) at rtol = atol = ${rtol} to the published values at t = 1 … 11`, () => {
      const sol = solveRef(vdpol, c.make(), rtol, rtol, undefined, c.stepTs);
      const e = errorOverTolerance(sol.ys, vdpol.reference, rtol, rtol);
      assert.ok(e <= c.bound, `error/tolerance ${e}`);
    });
  }
}

test("an exact Jacobian (vf.jac) is used instead of finite differences: same accuracy, fewer evaluations of f", () => {
  const rtol = 1e-8;
  const fd = solveRef(rober, new Rodas5P(), rtol, 1e-6 * rtol);
  const ex = solveRef(rober, new Rodas5P(), rtol, 1e-6 * rtol, roberJac);
  assert.ok(errorOverTolerance(ex.ys, rober.reference, rtol, 1e-6 * rtol) <= 100);
  // Finite differences cost n = 3 evaluations per Jacobian; the exact one none.
  assert.ok(fd.stats.numFnEvals - ex.stats.numFnEvals >= 3 * ex.stats.numJacobianEvals! * 0.9);
});
