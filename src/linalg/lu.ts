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

/**
 * Solves Aᵀ x = b in place (b becomes x), given the factors of A from {@link luFactor}: with
 * P A = L U, Aᵀ = Uᵀ Lᵀ P, so Uᵀ z = b (forward), Lᵀ w = z (backward, unit) and x = Pᵀ w (the
 * interchanges undone in reverse order). LAPACK's `dgetrs` with 'T'.
 *
 * @example
 * ```ts
 * luFactor(n, a, piv); luSolveTransposed(n, a, piv, b); // b = A⁻ᵀ b
 * ```
 */
export function luSolveTransposed(n: number, lu: Float64Array, piv: Int32Array, b: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let j = 0; j < i; j++) s -= lu[j * n + i] * b[j];
    b[i] = s / lu[i * n + i];
  }
  for (let i = n - 2; i >= 0; i--) {
    let s = b[i];
    for (let j = i + 1; j < n; j++) s -= lu[j * n + i] * b[j];
    b[i] = s;
  }
  for (let k = n - 1; k >= 0; k--) {
    const p = piv[k];
    if (p !== k) {
      const tmp = b[k];
      b[k] = b[p];
      b[p] = tmp;
    }
  }
}

/**
 * Factors the complex n × n matrix (re + i·im) in place as P A = L U, with partial pivoting on the
 * modulus (for RADAU5's complex iteration matrix). Same conventions as {@link luFactor}.
 *
 * @returns 0 on success; k + 1 when the pivot in column k is zero or not finite
 *
 * @example
 * ```ts
 * complexLuFactor(n, re, im, piv); complexLuSolve(n, re, im, piv, bre, bim);
 * ```
 */
export function complexLuFactor(n: number, re: Float64Array, im: Float64Array, piv: Int32Array): number {
  for (let k = 0; k < n; k++) {
    let p = k;
    let maxAbs = Math.abs(re[k * n + k]) + Math.abs(im[k * n + k]);
    for (let i = k + 1; i < n; i++) {
      const v = Math.abs(re[i * n + k]) + Math.abs(im[i * n + k]);
      if (v > maxAbs) {
        maxAbs = v;
        p = i;
      }
    }
    piv[k] = p;
    if (!(maxAbs > 0) || maxAbs === Infinity) return k + 1;
    const rk = k * n;
    if (p !== k) {
      const rp = p * n;
      for (let j = 0; j < n; j++) {
        let tmp = re[rk + j];
        re[rk + j] = re[rp + j];
        re[rp + j] = tmp;
        tmp = im[rk + j];
        im[rk + j] = im[rp + j];
        im[rp + j] = tmp;
      }
    }
    // 1 / pivot
    const pr = re[rk + k];
    const pi = im[rk + k];
    const den = pr * pr + pi * pi;
    const ir = pr / den;
    const ii = -pi / den;
    for (let i = k + 1; i < n; i++) {
      const ri = i * n;
      const ar = re[ri + k];
      const ai = im[ri + k];
      const lr = ar * ir - ai * ii;
      const li = ar * ii + ai * ir;
      re[ri + k] = lr;
      im[ri + k] = li;
      if (lr !== 0 || li !== 0) {
        for (let j = k + 1; j < n; j++) {
          const ur = re[rk + j];
          const ui = im[rk + j];
          re[ri + j] -= lr * ur - li * ui;
          im[ri + j] -= lr * ui + li * ur;
        }
      }
    }
  }
  return 0;
}

/** Solves (re + i·im) x = b in place (b = bre + i·bim) with the factors of {@link complexLuFactor}. */
export function complexLuSolve(n: number, re: Float64Array, im: Float64Array, piv: Int32Array, bre: Float64Array, bim: Float64Array): void {
  for (let k = 0; k < n; k++) {
    const p = piv[k];
    if (p !== k) {
      let tmp = bre[k];
      bre[k] = bre[p];
      bre[p] = tmp;
      tmp = bim[k];
      bim[k] = bim[p];
      bim[p] = tmp;
    }
  }
  for (let i = 1; i < n; i++) {
    const ri = i * n;
    let sr = bre[i];
    let si = bim[i];
    for (let j = 0; j < i; j++) {
      const lr = re[ri + j];
      const li = im[ri + j];
      sr -= lr * bre[j] - li * bim[j];
      si -= lr * bim[j] + li * bre[j];
    }
    bre[i] = sr;
    bim[i] = si;
  }
  for (let i = n - 1; i >= 0; i--) {
    const ri = i * n;
    let sr = bre[i];
    let si = bim[i];
    for (let j = i + 1; j < n; j++) {
      const ur = re[ri + j];
      const ui = im[ri + j];
      sr -= ur * bre[j] - ui * bim[j];
      si -= ur * bim[j] + ui * bre[j];
    }
    const dr = re[ri + i];
    const di = im[ri + i];
    const den = dr * dr + di * di;
    bre[i] = (sr * dr + si * di) / den;
    bim[i] = (si * dr - sr * di) / den;
  }
}
