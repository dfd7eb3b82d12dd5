/**
 * Norms used by the implicit solvers: the weighted RMS norm of Hairer's and SUNDIALS' codes,
 * ‖v‖ = sqrt(1/n Σ (v_i / (atol_i + rtol_i |y_i|))²).
 */

/**
 * Fills `w` with the reciprocal error weights 1 / (atol_i + rtol_i · |y_i|).
 *
 * @example
 * ```ts
 * errorWeights(w, y, 1e-6, 1e-9, n); const e = weightedRmsNorm(dy, w, n);
 * ```
 */
export function errorWeights(w: Float64Array, y: Float64Array, rtol: number | Float64Array, atol: number | Float64Array, n: number): Float64Array {
  if (typeof rtol === "number" && typeof atol === "number") {
    for (let i = 0; i < n; i++) w[i] = 1 / (atol + rtol * Math.abs(y[i]));
  } else {
    for (let i = 0; i < n; i++) {
      const r = typeof rtol === "number" ? rtol : rtol[i];
      const a = typeof atol === "number" ? atol : atol[i];
      w[i] = 1 / (a + r * Math.abs(y[i]));
    }
  }
  return w;
}

/** Weighted RMS norm sqrt(1/n Σ (v_i w_i)²) with reciprocal weights `w`. */
export function weightedRmsNorm(v: Float64Array, w: Float64Array, n: number): number {
  let acc = 0;
  for (let i = 0; i < n; i++) {
    const r = v[i] * w[i];
    acc += r * r;
  }
  return Math.sqrt(acc / n);
}

/** Max norm max_i |v_i| (NaN if any entry is NaN). */
export function maxNorm(v: Float64Array, n: number): number {
  let m = 0;
  for (let i = 0; i < n; i++) {
    const a = Math.abs(v[i]);
    if (!(a <= m)) m = a;
  }
  return m;
}
