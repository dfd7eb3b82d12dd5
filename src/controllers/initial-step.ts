/**
 * Hairer's automatic initial step (Hairer, Nørsett & Wanner, *Solving ODEs I*, §II.4, the HINIT
 * routine; SciPy's `select_initial_step`): a step whose explicit Euler error estimate is about 1%
 * of the tolerance, refined with an estimate of the second derivative, with the exponent 1/p for a
 * method of order p (its embedded estimate is O(h^p), so this is the step whose error estimate is
 * 1% of the tolerance).
 */
import type { InPlaceVectorField } from "../terms.js";

/**
 * The first step size (a magnitude) for a method of order `order`, from (t0, y0) with f0 = f(t0, y0),
 * in direction `dir`, no larger than `dtmax`. Makes one evaluation of f; `ytmp` and `f1` are
 * scratch vectors of the state's length.
 */
export function initialStepSize(
  f: InPlaceVectorField,
  args: unknown,
  t0: number,
  y0: Float64Array,
  f0: Float64Array,
  dir: number,
  order: number,
  rtol: number | Float64Array,
  atol: number | Float64Array,
  dtmax: number,
  ytmp: Float64Array,
  f1: Float64Array,
): number {
  const n = y0.length;
  const sc = (i: number): number => (typeof atol === "number" ? atol : atol[i]!) + (typeof rtol === "number" ? rtol : rtol[i]!) * Math.abs(y0[i]!);
  let d0 = 0;
  let d1 = 0;
  for (let i = 0; i < n; i++) {
    const s = sc(i);
    d0 += (y0[i]! / s) ** 2;
    d1 += (f0[i]! / s) ** 2;
  }
  d0 = Math.sqrt(d0 / n);
  d1 = Math.sqrt(d1 / n);
  let h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : 0.01 * (d0 / d1);
  h0 = Math.min(h0, dtmax);
  for (let i = 0; i < n; i++) ytmp[i] = y0[i]! + dir * h0 * f0[i]!;
  f(t0 + dir * h0, ytmp, args, f1);
  let d2 = 0;
  for (let i = 0; i < n; i++) d2 += ((f1[i]! - f0[i]!) / sc(i)) ** 2;
  d2 = Math.sqrt(d2 / n) / h0;
  const dmax = Math.max(d1, d2);
  const h1 = !(dmax > 1e-15) ? Math.max(1e-6, h0 * 1e-3) : (0.01 / dmax) ** (1 / order);
  const h = Math.min(100 * h0, h1, dtmax);
  return Number.isFinite(h) && h > 0 ? h : Math.min(1e-6, dtmax);
}
