// The Arenstorf orbit (Hairer, Nørsett & Wanner, Solving ODEs I, p. 129): a periodic orbit of the
// restricted three-body problem, so the solution at t1 (one period) equals y0.
import assert from "node:assert/strict";
import { test } from "node:test";
import { diffeqsolve, Dopri5, Dopri8, ODETerm, PIDController, Tsit5, Vern7, Vern9 } from "../../src/index.js";
import type { AbstractSolver } from "../../src/index.js";
import { problem, vectorField } from "./load.js";

const P = problem("ARENSTORF");
const term = new ODETerm(vectorField(P.rhs));
const yT = P.reference![0]!.y;

function closingError(solver: AbstractSolver<any>, rtol: number, atol: number): number {
  const sol = diffeqsolve({
    terms: term, solver, t0: P.t0, t1: P.t1, y0: P.y0,
    stepsizeController: new PIDController({ rtol, atol }), maxSteps: 1_000_000,
  });
  assert.equal(sol.ts[0], P.t1);
  let e = 0;
  for (let j = 0; j < 4; j++) e = Math.max(e, Math.abs(sol.ys[0]![j]! - yT[j]!));
  return e;
}

test("Arenstorf orbit closes: |y(T) − y0| ≤ 1e-7 at rtol 1e-10 with Vern9", () => {
  assert.deepEqual(yT, P.y0, "the published end point is the start point (one period)");
  // atol 1e-12: the components pass through zero, where rtol alone gives no control.
  const e = closingError(new Vern9(), 1e-10, 1e-12);
  assert.ok(e <= 1e-7, `Vern9: closing error ${e.toExponential(2)}`);
});

test("Arenstorf orbit: every adaptive solver closes to ≤ 1e-7 at rtol 1e-12, ≥ 100× better than at rtol 1e-8", () => {
  // The orbit passes close to the moon, where errors are amplified by ~10³–10⁴, so a loose rtol
  // cannot close it; what we demand is that tightening rtol by 10⁴ buys at least 10² in closing error.
  const solvers: [string, () => AbstractSolver<any>][] = [
    ["Dopri5", () => new Dopri5()],
    ["Tsit5", () => new Tsit5()],
    ["Vern7", () => new Vern7()],
    ["Vern9", () => new Vern9()],
    ["Dopri8", () => new Dopri8()],
  ];
  for (const [name, make] of solvers) {
    const loose = closingError(make(), 1e-8, 1e-8);
    const tight = closingError(make(), 1e-12, 1e-12);
    assert.ok(tight <= 1e-7, `${name}: closing error ${tight.toExponential(2)} at rtol 1e-12`);
    assert.ok(tight <= loose / 100, `${name}: ${tight.toExponential(2)} at rtol 1e-12 vs ${loose.toExponential(2)} at 1e-8`);
  }
});
