/**
 * Dense LU factorisation with partial pivoting, in place on preallocated storage.
 *
 * Matrices are n × n, row-major, in a `Float64Array` of length n². `luFactor` overwrites A with
 * L (unit lower, below the diagonal) and U (on and above it) and records the row interchanges in
 * `piv`; `luSolve` then solves A x = b in place. Neither allocates. This is LAPACK's `dgetrf` /
 * `dgetrs` (right-looking, row interchanges applied to the whole row), the algorithm of
 * Golub & Van Loan, *Matrix Computations*, 4th ed., Algorithm 3.4.1.
 */

/**
 * Factors the n × n row-major matrix `a` in place as P A = L U.
 *
 * @param n - order of the matrix
 * @param a - the matrix, overwritten by its factors (length ≥ n²)
 * @param piv - receives the pivot row chosen at each column (length ≥ n)
 * @returns 0 on success; k + 1 if the pivot in column k is zero or not finite (the matrix is
 *   singular to working precision, or holds NaN/Infinity)
 *
 * @example
 * ```ts
 * const a = Float64Array.of(4, 3, 6, 3), piv = new Int32Array(2);
 * luFactor(2, a, piv); const b = Float64Array.of(10, 12); luSolve(2, a, piv, b); // b = [1, 2]
 * ```
 */
export function luFactor(n: number, a: Float64Array, piv: Int32Array): number {
  for (let k = 0; k < n; k++) {
    // Partial pivoting: the largest entry of column k on or below the diagonal.
    let p = k;
    let maxAbs = Math.abs(a[k * n + k]);
    for (let i = k + 1; i < n; i++) {
      const v = Math.abs(a[i * n + k]);
      if (v > maxAbs) {
        maxAbs = v;
        p = i;
      }
    }
    piv[k] = p;
    if (!(maxAbs > 0) || maxAbs === Infinity) return k + 1; // zero, NaN or Infinity
    if (p !== k) {
      const rk = k * n;
      const rp = p * n;
      for (let j = 0; j < n; j++) {
        const tmp = a[rk + j];
        a[rk + j] = a[rp + j];
        a[rp + j] = tmp;
      }
    }
    const rk = k * n;
    const inv = 1 / a[rk + k];
    for (let i = k + 1; i < n; i++) {
      const ri = i * n;
      const l = a[ri + k] * inv;
      a[ri + k] = l;
      if (l !== 0) for (let j = k + 1; j < n; j++) a[ri + j] -= l * a[rk + j];
    }
  }
  return 0;
}

/**
 * Solves A x = b in place (b becomes x), given the factors from {@link luFactor}.
 *
 * @example
 * ```ts
 * luSolve(n, lu, piv, rhs); // rhs now holds the solution
 * ```
 */
export function luSolve(n: number, lu: Float64Array, piv: Int32Array, b: Float64Array): void {
  // Apply the row interchanges, then forward substitution with unit L.
  for (let k = 0; k < n; k++) {
    const p = piv[k];
    if (p !== k) {
      const tmp = b[k];
      b[k] = b[p];
      b[p] = tmp;
    }
  }
  for (let i = 1; i < n; i++) {
    const ri = i * n;
    let s = b[i];
    for (let j = 0; j < i; j++) s -= lu[ri + j] * b[j];
    b[i] = s;
  }
  for (let i = n - 1; i >= 0; i--) {
    const ri = i * n;
    let s = b[i];
    for (let j = i + 1; j < n; j++) s -= lu[ri + j] * b[j];
    b[i] = s / lu[ri + i];
  }
}
