// examples/fit-pk-doses.ts: the dose model against its closed form, the loss gradient (through five
// doses, the observation's own V1 term included) against central differences, and the fit
// recovering the parameters from seeded noisy data.
import { test } from "node:test";
import assert from "node:assert/strict";
import { closedForm, fit, FITTED, lossAndGradient, makeData, SAMPLES, solveWithGradient, START, TRUE } from "../../examples/fit-pk-doses.js";

test("the two-compartment model with repeated oral doses matches its closed form (tri-exponential per dose)", () => {
  const sol = solveWithGradient(TRUE).solution;
  assert.equal(sol.events.length, 5);
  SAMPLES.forEach((t, i) => {
    const c = sol.ys[i]![1]! / TRUE.V1;
    const exact = closedForm(t, TRUE);
    assert.ok(Math.abs(c - exact) <= 1e-8 * exact, `C(${t}) = ${c} vs ${exact}`);
  });
});

test("the PK fit's gradient (discrete adjoint through the doses) matches central differences to 1e-6", () => {
  const data = makeData(7);
  const theta = Float64Array.from(FITTED, (k) => Math.log(START[k]) * 0.5 + Math.log(TRUE[k]) * 0.5);
  const { grad } = lossAndGradient(theta, data);
  const h = 1e-5;
  FITTED.forEach((k, i) => {
    const a = theta.slice();
    const b = theta.slice();
    a[i]! += h;
    b[i]! -= h;
    const fd = (lossAndGradient(a, data).loss - lossAndGradient(b, data).loss) / (2 * h);
    assert.ok(Math.abs(grad[i]! - fd) <= 1e-6 * Math.max(1, Math.abs(fd)), `dL/dlog ${k}: ${grad[i]} vs differences ${fd}`);
  });
});

test("the PK fit recovers the parameters from 5 % noisy concentrations (within 15 %)", () => {
  const fitted = fit(makeData(7), START, 80, () => {});
  for (const k of FITTED) assert.ok(Math.abs(fitted[k] / TRUE[k] - 1) < 0.15, `${k}: fitted ${fitted[k]} vs true ${TRUE[k]}`);
});
