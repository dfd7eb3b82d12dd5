/**
 * A one-compartment pharmacokinetic model driven by data: a time-varying infusion rate (a
 * piecewise-constant path, as a pump programme is) and a body-weight covariate read from a table
 * of measurements (a linear path), both read inside the vector field.
 *
 * The model, with A the drug amount in the body (mg), R(t) the infusion rate (mg/h) and WT(t)
 * the body weight (kg):
 *
 *   A′ = R(t) − (CL(t)/V(t)) A,   CL = CL₇₀ (WT/70)^0.75,   V = V_kg · WT,   C = A / V,
 *
 * allometric clearance and weight-proportional volume (N. Holford, "A size standard for
 * pharmacokinetics", Clin. Pharmacokinet. 30 (1996) 329–332). R jumps at the programme's knots, so
 * they are given to the step-size controller as `jumpTs`: steps end on them instead of being
 * rejected across them. The vector field evaluates both paths into preallocated buffers (no
 * allocation per call).
 *
 * The closed form (used by the tests): with a constant weight, k = CL/V is constant and on each
 * interval [τ, τ′) of constant rate R, A(t) = A(τ) e^{−k(t−τ)} + (R/k)(1 − e^{−k(t−τ)}).
 * Run: `node --import tsx examples/infusion-covariates.ts`.
 */
import { pathToFileURL } from "node:url";
import { diffeqsolve, LinearInterpolation, ODETerm, PIDController, RectilinearInterpolation, SaveAt, Tsit5 } from "../src/index.js";

/** Typical values: clearance of a 70 kg adult (L/h) and volume per kg (L/kg). */
export const PARAMS = { CL70: 5, Vkg: 0.7 };
/** The pump programme: rate (mg/h) from each time (h) until the next; the last knot ends the data. */
export const INFUSION = { ts: [0, 2, 8, 12, 24, 26, 48], xs: [100, 20, 0, 50, 100, 10, 10] };
/** Body weight (kg) measured at these times (h); one reading is missing (NaN, filled linearly). */
export const WEIGHTS = { ts: [0, 12, 24, 36, 48], xs: [70, 71.5, NaN, 72, 70.5] };

/** Solves the model, saving at `save` (times or a SaveAt); `weights` replaces the weight table. */
export function solveInfusion(save: number[] | SaveAt, weights: { ts: number[]; xs: number[] } = WEIGHTS) {
  const rate = new RectilinearInterpolation(INFUSION);
  const weight = new LinearInterpolation(weights);
  const r = new Float64Array(1);
  const w = new Float64Array(1);
  const volume = (t: number) => PARAMS.Vkg * weight.evaluate(t, w)[0]!;
  const term = new ODETerm((t: number, y: Float64Array, _args: unknown, dy: Float64Array) => {
    const wt = weight.evaluate(t, w)[0]!;
    const k = (PARAMS.CL70 * Math.pow(wt / 70, 0.75)) / (PARAMS.Vkg * wt);
    dy[0] = rate.evaluate(t, r)[0]! - k * y[0]!;
  });
  const solution = diffeqsolve({
    terms: term, solver: new Tsit5(), t0: 0, t1: 48, y0: [0], saveat: Array.isArray(save) ? new SaveAt({ ts: save }) : save,
    stepsizeController: new PIDController({ rtol: 1e-10, atol: 1e-10, jumpTs: rate.ts }),
  });
  const amounts = solution.ys.map((y) => y[0]!);
  return { solution, amounts, concentrations: solution.ts.map((t, i) => amounts[i]! / volume(t)) };
}

/** The amount A(t) (mg) for a constant weight `wt`, by the closed form interval by interval. */
export function closedFormAmount(t: number, wt: number): number {
  const k = (PARAMS.CL70 * Math.pow(wt / 70, 0.75)) / (PARAMS.Vkg * wt);
  let a = 0;
  for (let i = 0; i + 1 < INFUSION.ts.length && INFUSION.ts[i]! < t; i++) {
    const s = Math.min(t, INFUSION.ts[i + 1]!) - INFUSION.ts[i]!;
    const e = Math.exp(-k * s);
    a = a * e + (INFUSION.xs[i]! / k) * (1 - e);
  }
  return a;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const ts = [1, 2, 8, 12, 24, 26, 36, 48];
  const { concentrations } = solveInfusion(ts);
  for (let i = 0; i < ts.length; i++) console.log(`t = ${String(ts[i]).padStart(2)} h   C = ${concentrations[i]!.toFixed(4)} mg/L`);
}
