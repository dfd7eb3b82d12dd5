// DETEST class A (Hull, Enright, Fellen & Sedgwick 1972): four scalar problems on [0, 20] with
// closed forms, solved at several tolerances. Expected values are the closed forms in problems.json.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Bosh3, diffeqsolve, Dopri5, ODETerm, PIDController, SaveAt } from "../../src/index.js";
import type { AbstractSolver } from "../../src/index.js";
import { closedForm, problem, scaledError, vectorField } from "./load.js";

const DETEST = problem("DETEST_A");
const ts = Array.from({ length: 21 }, (_, i) => DETEST.t0 + ((DETEST.t1 - DETEST.t0) * i) / 20);
const RTOLS = [1e-4, 1e-6, 1e-8, 1e-10];

// The controller bounds the error committed per step; the global error is that local error carried
// and amplified over [0, 20]. For these mildly nonlinear problems it stays within a few dozen
// tolerance units (A3's solution oscillates between e^-1 and e, which the relative scale follows
// with a lag). C = 50 is that allowance; a wrong coefficient or an ignored tolerance exceeds it at
// once (the error of a first-order-wrong method grows like dt, not like rtol).
const C = 50;

const solvers: [string, () => AbstractSolver<any>][] = [
  ["Dopri5", () => new Dopri5()],
  ["Bosh3", () => new Bosh3()],
];

for (const c of DETEST.cases!) {
  test(`DETEST ${c.id}: y' = ${c.rhs[0]}; error ≤ ${C}·(atol + rtol|y|) and shrinks with rtol`, () => {
    const exact = [closedForm(c.exact)];
    // The closed form must agree with the published initial value.
    assert.ok(Math.abs(exact[0]!(DETEST.t0) - c.y0[0]!) < 1e-15);
    for (const [name, make] of solvers) {
      let prev = Infinity;
      for (const rtol of RTOLS) {
        if (name === "Bosh3" && rtol < 1e-8) continue; // 3rd order: ~10⁴ steps, slow and adds nothing
        const atol = rtol;
        const sol = diffeqsolve({
          terms: new ODETerm(vectorField(c.rhs)), solver: make(), t0: DETEST.t0, t1: DETEST.t1, y0: c.y0,
          saveat: new SaveAt({ ts }), stepsizeController: new PIDController({ rtol, atol }), maxSteps: 1_000_000,
        });
        assert.deepEqual(Array.from(sol.ts), ts);
        const { scaled, abs } = scaledError(sol.ts, sol.ys, exact, rtol, atol);
        assert.ok(scaled <= C, `${c.id} ${name} rtol ${rtol}: error ${abs.toExponential(2)} is ${scaled.toFixed(1)} tolerance units (> ${C})`);
        // Tolerance proportionality: 100× tighter rtol must give at least 10× smaller error.
        assert.ok(abs <= prev / 10, `${c.id} ${name}: error ${abs.toExponential(2)} at rtol ${rtol} is not 10× below ${prev.toExponential(2)}`);
        prev = abs;
      }
    }
  });
}
