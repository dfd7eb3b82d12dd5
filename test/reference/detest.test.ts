// DETEST class A (Hull, Enright, Fellen & Sedgwick 1972): four scalar problems on [0, 20] with
// closed forms, solved at several tolerances. Expected values are the closed forms in problems.json.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Bosh3, diffeqsolve, Dopri5, Dopri8, ODETerm, PIDController, SaveAt, Tsit5, Vern7, Vern9 } from "../../src/index.js";
import type { AbstractSolver } from "../../src/index.js";
import { checkProportional, closedForm, problem, scaledError, vectorField } from "./load.js";

const DETEST = problem("DETEST_A");
const ts = Array.from({ length: 21 }, (_, i) => DETEST.t0 + ((DETEST.t1 - DETEST.t0) * i) / 20);
const RTOLS = [1e-4, 1e-6, 1e-8, 1e-10];

// The controller bounds the error committed per step; the global error is that local error carried
// and amplified over [0, 20]. For these mildly nonlinear problems it stays within a few dozen
// tolerance units (A3's solution oscillates between e^-1 and e, which the relative scale follows
// with a lag). C = 50 is that allowance; a wrong coefficient or an ignored tolerance exceeds it at
// once (the error of a first-order-wrong method grows like dt, not like rtol).
const C = 50;
// DOP853's error estimate (its 5th-order estimate damped by the 3rd-order one, err5²/√(err5² + 0.01·err3²))
// can underestimate a step's error badly: on A3 at rtol 1e-8 one step near t = 12 commits ~300× the
// tolerance, and the error reaches ~10³ units. SciPy's DOP853 (the same method and controller) gives
// the same figure there; with the output times made step points (stepTs) the error is 1.2 units, so
// the interpolant is not at fault. Dopri8 on A3 gets C = 2000.
const C_DOPRI8_A3 = 2000;

const solvers: [string, () => AbstractSolver<any>][] = [
  ["Dopri5", () => new Dopri5()],
  ["Bosh3", () => new Bosh3()],
  ["Tsit5", () => new Tsit5()],
  ["Vern7", () => new Vern7()],
  ["Vern9", () => new Vern9()],
  ["Dopri8", () => new Dopri8()],
];

for (const c of DETEST.cases!) {
  test(`DETEST ${c.id}: y' = ${c.rhs[0]}; error ≤ ${C}·(atol + rtol|y|) and shrinks with rtol`, () => {
    const exact = [closedForm(c.exact)];
    // The closed form must agree with the published initial value.
    assert.ok(Math.abs(exact[0]!(DETEST.t0) - c.y0[0]!) < 1e-15);
    for (const [name, make] of solvers) {
      const errors: number[] = [];
      const rtols: number[] = [];
      for (const rtol of RTOLS) {
        if (name === "Bosh3" && rtol < 1e-8) continue; // 3rd order: ~10⁴ steps, slow and adds nothing
        const atol = rtol;
        const sol = diffeqsolve({
          terms: new ODETerm(vectorField(c.rhs)), solver: make(), t0: DETEST.t0, t1: DETEST.t1, y0: c.y0,
          saveat: new SaveAt({ ts }), stepsizeController: new PIDController({ rtol, atol }), maxSteps: 1_000_000,
        });
        assert.deepEqual(Array.from(sol.ts), ts);
        const { scaled, abs } = scaledError(sol.ts, sol.ys, exact, rtol, atol);
        const bound = name === "Dopri8" && c.id === "A3" ? C_DOPRI8_A3 : C;
        assert.ok(scaled <= bound, `${c.id} ${name} rtol ${rtol}: error ${abs.toExponential(2)} is ${scaled.toFixed(1)} tolerance units (> ${bound})`);
        errors.push(abs);
        rtols.push(rtol);
      }
      checkProportional(errors, rtols, `${c.id} ${name}`);
    }
  });
}
