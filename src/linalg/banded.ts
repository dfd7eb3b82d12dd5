/**
 * Banded LU factorisation with partial pivoting, in place, for matrices with `ml` sub- and `mu`
 * super-diagonals (method-of-lines PDEs: a 1-D Brusselator has ml = mu = 2 when interleaved).
 *
 * Storage is LAPACK's `dgbtrf` layout transposed to rows: row i of the matrix keeps the entries of
 * columns i − ml … i + mu + ml (the extra ml super-diagonals absorb the fill-in of row
 * interchanges), so a band matrix of order n uses n · (2 ml + mu + 1) doubles. Entry (i, j) lives
 * at `i * w + (j − i + ml)` with w = 2 ml + mu + 1. Reference: Golub & Van Loan, *Matrix
 * Computations*, 4th ed., §4.3 (band Gaussian elimination with partial pivoting).
 */

/** Row width of the banded storage: 2 ml + mu + 1. */
export function bandWidth(ml: number, mu: number): number {
  return 2 * ml + mu + 1;
}

/** Index of entry (i, j) of a banded matrix in its storage (|j − i| within the band). */
export function bandIndex(i: number, j: number, ml: number, mu: number): number {
  return i * (2 * ml + mu + 1) + (j - i + ml);
}

/**
 * Factors a band matrix in place as P A = L U; `ab` is in the layout of {@link bandIndex} (the
 * fill-in columns i + mu + 1 … i + mu + ml must be zero on entry).
 *
 * @returns 0 on success; k + 1 when the pivot in column k is zero or not finite
 *
 * @example
 * ```ts
 * const w = bandWidth(1, 1), ab = new Float64Array(n * w), piv = new Int32Array(n);
 * // ab[bandIndex(i, j, 1, 1)] = A[i][j] for |i − j| ≤ 1
 * bandLuFactor(n, 1, 1, ab, piv); bandLuSolve(n, 1, 1, ab, piv, b);
 * ```
 */
export function bandLuFactor(n: number, ml: number, mu: number, ab: Float64Array, piv: Int32Array): number {
  const w = 2 * ml + mu + 1;
  for (let k = 0; k < n; k++) {
    const last = Math.min(n - 1, k + ml);
    let p = k;
    let maxAbs = Math.abs(ab[k * w + ml]);
    for (let i = k + 1; i <= last; i++) {
      const v = Math.abs(ab[i * w + (k - i + ml)]);
      if (v > maxAbs) {
        maxAbs = v;
        p = i;
      }
    }
    piv[k] = p;
    if (!(maxAbs > 0) || maxAbs === Infinity) return k + 1;
    // Columns that rows k…last may touch: k … min(n − 1, k + mu + ml).
    const jEnd = Math.min(n - 1, k + mu + ml);
    if (p !== k) {
      for (let j = k; j <= jEnd; j++) {
        const ik = k * w + (j - k + ml);
        const ip = p * w + (j - p + ml);
        const tmp = ab[ik];
        ab[ik] = ab[ip];
        ab[ip] = tmp;
      }
    }
    const inv = 1 / ab[k * w + ml];
    for (let i = k + 1; i <= last; i++) {
      const ri = i * w - i + ml;
      const l = ab[ri + k] * inv;
      ab[ri + k] = l;
      if (l !== 0) {
        const rk = k * w - k + ml;
        for (let j = k + 1; j <= jEnd; j++) ab[ri + j] -= l * ab[rk + j];
      }
    }
  }
  return 0;
}

/** Solves A x = b in place with the factors of {@link bandLuFactor}. */
export function bandLuSolve(n: number, ml: number, mu: number, ab: Float64Array, piv: Int32Array, b: Float64Array): void {
  const w = 2 * ml + mu + 1;
  for (let k = 0; k < n; k++) {
    const p = piv[k];
    if (p !== k) {
      const tmp = b[k];
      b[k] = b[p];
      b[p] = tmp;
    }
    const bk = b[k];
    if (bk !== 0) {
      const last = Math.min(n - 1, k + ml);
      for (let i = k + 1; i <= last; i++) b[i] -= ab[i * w + (k - i + ml)] * bk;
    }
  }
  const span = mu + ml;
  for (let i = n - 1; i >= 0; i--) {
    const ri = i * w - i + ml;
    let s = b[i];
    const jEnd = Math.min(n - 1, i + span);
    for (let j = i + 1; j <= jEnd; j++) s -= ab[ri + j] * b[j];
    b[i] = s / ab[ri + i];
  }
}

/**
 * Complex {@link bandLuFactor}: (re + i·im) in the band layout, pivoting on |re| + |im| (as the
 * dense complex LU), for RADAU5's complex iteration matrix.
 *
 * @returns 0 on success; k + 1 when the pivot in column k is zero or not finite
 */
export function complexBandLuFactor(n: number, ml: number, mu: number, re: Float64Array, im: Float64Array, piv: Int32Array): number {
  const w = 2 * ml + mu + 1;
  for (let k = 0; k < n; k++) {
    const last = Math.min(n - 1, k + ml);
    let p = k;
    let maxAbs = Math.abs(re[k * w + ml]) + Math.abs(im[k * w + ml]);
    for (let i = k + 1; i <= last; i++) {
      const q = i * w + (k - i + ml);
      const v = Math.abs(re[q]) + Math.abs(im[q]);
      if (v > maxAbs) {
        maxAbs = v;
        p = i;
      }
    }
    piv[k] = p;
    if (!(maxAbs > 0) || maxAbs === Infinity) return k + 1;
    const jEnd = Math.min(n - 1, k + mu + ml);
    if (p !== k) {
      for (let j = k; j <= jEnd; j++) {
        const ik = k * w + (j - k + ml);
        const ip = p * w + (j - p + ml);
        let tmp = re[ik];
        re[ik] = re[ip];
        re[ip] = tmp;
        tmp = im[ik];
        im[ik] = im[ip];
        im[ip] = tmp;
      }
    }
    const pr = re[k * w + ml];
    const pi = im[k * w + ml];
    const den = pr * pr + pi * pi;
    const ir = pr / den;
    const ii = -pi / den;
    const rk = k * w - k + ml;
    for (let i = k + 1; i <= last; i++) {
      const ri = i * w - i + ml;
      const ar = re[ri + k];
      const ai = im[ri + k];
      const lr = ar * ir - ai * ii;
      const li = ar * ii + ai * ir;
      re[ri + k] = lr;
      im[ri + k] = li;
      if (lr !== 0 || li !== 0) {
        for (let j = k + 1; j <= jEnd; j++) {
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

/** Solves (re + i·im) x = b in place (b = bre + i·bim) with the factors of {@link complexBandLuFactor}. */
export function complexBandLuSolve(
  n: number, ml: number, mu: number, re: Float64Array, im: Float64Array, piv: Int32Array, bre: Float64Array, bim: Float64Array,
): void {
  const w = 2 * ml + mu + 1;
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
    const br = bre[k];
    const bi = bim[k];
    if (br !== 0 || bi !== 0) {
      const last = Math.min(n - 1, k + ml);
      for (let i = k + 1; i <= last; i++) {
        const q = i * w + (k - i + ml);
        const lr = re[q];
        const li = im[q];
        bre[i] -= lr * br - li * bi;
        bim[i] -= lr * bi + li * br;
      }
    }
  }
  const span = mu + ml;
  for (let i = n - 1; i >= 0; i--) {
    const ri = i * w - i + ml;
    let sr = bre[i];
    let si = bim[i];
    const jEnd = Math.min(n - 1, i + span);
    for (let j = i + 1; j <= jEnd; j++) {
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

/**
 * Solves Aᵀ x = b in place with the factors of {@link bandLuFactor} (LAPACK's `dgbtrs` with 'T'):
 * Uᵀ z = b, then the eliminations and interchanges of each column transposed, last column first.
 */
export function bandLuSolveTransposed(n: number, ml: number, mu: number, ab: Float64Array, piv: Int32Array, b: Float64Array): void {
  const w = 2 * ml + mu + 1;
  const span = mu + ml;
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let j = Math.max(0, i - span); j < i; j++) s -= ab[j * w - j + ml + i] * b[j];
    b[i] = s / ab[i * w + ml];
  }
  for (let k = n - 1; k >= 0; k--) {
    const last = Math.min(n - 1, k + ml);
    let s = b[k];
    for (let i = k + 1; i <= last; i++) s -= ab[i * w + (k - i + ml)] * b[i];
    b[k] = s;
    const p = piv[k];
    if (p !== k) {
      const tmp = b[k];
      b[k] = b[p];
      b[p] = tmp;
    }
  }
}
