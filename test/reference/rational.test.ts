// The rational problem of SciPy's solve_ivp tests: y = (t/(t+10), 10t/(t+10)²), integrated
// forward from 5 to 9 and backward from 9 to 5 starting at the closed-form value y(9).
import assert from "node:assert/strict";
import { test } from "node:test";
import { Bosh3, diffeqsolve, Dopri5, Dopri8, ODETerm, PIDController, SaveAt, Tsit5, Vern7, Vern9 } from "../../src/index.js";
import type { AbstractSolver } from "../../src/index.js";
import { checkProportional, closedForm, problem, scaledError, vectorField } from "./load.js";

const P = problem("RATIONAL");
const exact = P.exact!.map(closedForm);
const RTOLS = [1e-6, 1e-8, 1e-10];
// A smooth, well-conditioned problem: the global error stays within a few tolerance units.
// C = 10 allows for accumulation over the handful of steps taken.
const C = 10;
const solvers: [string, () => AbstractSolver<any>][] = [
  ["Dopri5", () => new Dopri5()],
  ["Bosh3", () => new Bosh3()],
  ["Tsit5", () => new Tsit5()],
  ["Vern7", () => new Vern7()],
  ["Vern9", () => new Vern9()],
  ["Dopri8", () => new Dopri8()],
];

for (const backward of [false, true]) {
  const t0 = backward ? P.t1 : P.t0;
  const t1 = backward ? P.t0 : P.t1;
  test(`rational problem ${t0} → ${t1}: closed form to ${C}·tolerance, error shrinks with rtol`, () => {
    const y0 = backward ? exact.map((f) => f(t0)) : P.y0;
    for (let j = 0; j < 2; j++) assert.ok(Math.abs(exact[j]!(P.t0) - P.y0[j]!) < 1e-15, "closed form matches y0");
    const ts = Array.from({ length: 9 }, (_, i) => t0 + ((t1 - t0) * i) / 8);
    for (const [name, make] of solvers) {
      const errors: number[] = [];
      for (const rtol of RTOLS) {
        const atol = rtol;
        const sol = diffeqsolve({
          terms: new ODETerm(vectorField(P.rhs)), solver: make(), t0, t1, y0,
          saveat: new SaveAt({ ts }), stepsizeController: new PIDController({ rtol, atol }), maxSteps: 100_000,
        });
        assert.deepEqual(Array.from(sol.ts), ts);
        const { scaled, abs } = scaledError(sol.ts, sol.ys, exact, rtol, atol);
        assert.ok(scaled <= C, `${name} rtol ${rtol}: ${scaled.toFixed(2)} tolerance units`);
        errors.push(abs);
      }
      checkProportional(errors, RTOLS, name);
    }
  });
}
