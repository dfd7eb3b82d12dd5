// examples/infusion-covariates.ts: with a constant weight the amount matches the closed form of a
// piecewise-constant infusion; with the weight table, steps end on the infusion knots and the
// result matches an independent classical RK4 written here (step 1/64 h, which lands on every knot
// of both tables, so RK4 keeps its fourth order across the jumps).
import assert from "node:assert/strict";
import { test } from "node:test";
import { closedFormAmount, INFUSION, PARAMS, solveInfusion, WEIGHTS } from "../../examples/infusion-covariates.js";
import { SaveAt } from "../../src/index.js";

const TS = [1, 2, 5, 8, 12, 20, 24, 26, 36, 48];

test("infusion example, constant weight: amounts match the closed form per constant-rate interval", () => {
  for (const wt of [70, 55]) {
    const { amounts } = solveInfusion(TS, { ts: [0, 48], xs: [wt, wt] });
    TS.forEach((t, i) => {
      const exact = closedFormAmount(t, wt);
      assert.ok(Math.abs(amounts[i]! - exact) <= 1e-8 * exact, `WT ${wt}, A(${t}) = ${amounts[i]} vs ${exact}`);
    });
  }
});

test("infusion example, weight table (one NaN, filled linearly): steps land on the knots; matches RK4", () => {
  const steps = solveInfusion(new SaveAt({ steps: true })).solution;
  // A step ends on each knot (the clip layer stops one rounding unit before a jump time).
  for (const knot of INFUSION.ts.slice(1)) {
    assert.ok(steps.ts.some((t) => t <= knot && knot - t <= 2 * Number.EPSILON * knot), `no step ends on the knot ${knot}`);
  }
  // Independent reference: the weight table filled by hand (24 h: halfway between 71.5 and 72).
  const wts = [70, 71.5, 71.75, 72, 70.5];
  const piece = (t: number, ts: number[], xs: number[], linear: boolean) => {
    let i = 0;
    while (i + 2 < ts.length && t >= ts[i + 1]!) i++;
    return linear ? xs[i]! + ((t - ts[i]!) / (ts[i + 1]! - ts[i]!)) * (xs[i + 1]! - xs[i]!) : xs[i]!;
  };
  const f = (t: number, a: number, rateT: number) => {
    const wt = piece(t, WEIGHTS.ts, wts, true);
    return piece(rateT, INFUSION.ts, INFUSION.xs, false) - ((PARAMS.CL70 * Math.pow(wt / 70, 0.75)) / (PARAMS.Vkg * wt)) * a;
  };
  const h = 1 / 64;
  const ref = new Map<number, number>();
  let a = 0;
  for (let n = 0; n < 48 * 64; n++) {
    const t = n * h;
    const rt = t + h / 2; // the rate on this step (constant on it): read it inside the step
    const k1 = f(t, a, rt), k2 = f(t + h / 2, a + (h / 2) * k1, rt), k3 = f(t + h / 2, a + (h / 2) * k2, rt), k4 = f(t + h, a + h * k3, rt);
    a += (h / 6) * (k1 + 2 * k2 + 2 * k3 + k4);
    ref.set((n + 1) * h, a);
  }
  const { amounts, concentrations } = solveInfusion(TS);
  TS.forEach((t, i) => {
    const exact = ref.get(t)!;
    assert.ok(Math.abs(amounts[i]! - exact) <= 1e-8 * exact, `A(${t}) = ${amounts[i]} vs RK4 ${exact}`);
    assert.ok(Math.abs(concentrations[i]! - exact / (PARAMS.Vkg * piece(t, WEIGHTS.ts, wts, true))) <= 1e-8 * concentrations[i]!);
  });
});
