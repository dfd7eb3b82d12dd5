// Forward sensitivities with implicit solvers meet the tolerance: the tangents are in the error
// norm (as in CVODES), not only the state. Closed form: y' = k y, y(t) = y0 e^{kt}, and the
// tangent in the direction (ẏ0, k̇) = (1, 1) is e^{kt} + t y0 e^{kt}. Bounds are a few times what
// each solver measures at rtol 1e-9 (before the change the tangents were 2e-6 off with Rodas5P at
// interior output times, 6e-7 with Rosenbrock23 at t1).
import assert from "node:assert/strict";
import { test } from "node:test";
import { BDF, diffeqsolveJvp, ODETerm, PIDController, Rodas5P, Rosenbrock23, SaveAt, Tsit5 } from "../../src/index.js";

const k = 0.104;
const y0 = 1.99;
const ts = Array.from({ length: 20 }, (_, i) => (i + 1) / 20);

for (const [Solver, bound] of [[Rodas5P, 5e-9], [Rosenbrock23, 3e-7], [BDF, 1e-8], [Tsit5, 3e-8]] as const) {
  test(`${Solver.name}: JVP tangents within the tolerance at every output time`, () => {
    const { solution, tangents } = diffeqsolveJvp({
      terms: new ODETerm((t: number, y: Float64Array, a: { k: number }, dy: Float64Array) => { dy[0] = a.k * y[0]!; }),
      solver: new Solver(), t0: 0, t1: 1, y0: [y0], args: { k }, saveat: new SaveAt({ ts }),
      stepsizeController: new PIDController({ rtol: 1e-9, atol: 1e-11 }),
    }, { y0: [1], args: { k: 1 } });
    let worst = 0;
    ts.forEach((t, r) => {
      assert.equal(solution.ts[r], t);
      const want = Math.exp(k * t) * (1 + t * y0);
      worst = Math.max(worst, Math.abs(tangents[r]![0]! - want) / want);
    });
    assert.ok(worst < bound, `worst relative tangent error ${worst.toExponential(2)} ≥ ${bound}`);
  });
}
