/**
 * Preconditioner kernels for the Krylov solver: incomplete LU without fill (ILU(0)) of a matrix in
 * compressed sparse rows, and block-Jacobi (dense LU of the diagonal blocks).
 *
 * ILU(0) computes L U ≈ A with L and U restricted to A's own pattern (IKJ order: row i is
 * eliminated with the rows k < i it has entries in, dropping every update that falls outside
 * the pattern); Saad, *Iterative Methods for Sparse Linear Systems*, 2nd ed., SIAM (2003),
 * Algorithm 10.4. Block-Jacobi factors each diagonal block of size b with partial pivoting
 * (the last block may be smaller) and ignores the coupling between blocks.
 *
 * Plain loops over typed arrays, in place, allocation-free.
 */

/**
 * ILU(0) in place on CSR values `a` (row pointers rp, column indices ci ascending, `diag[i]` the
 * position of (i, i), which must be in the pattern). iw: Int32 work of length n, all −1 on entry
 * (left so on exit).
 *
 * @returns 0, or i + 1 when the pivot of row i is zero or not finite
 */
export function ilu0Factor(n: number, rp: Int32Array, ci: Int32Array, diag: Int32Array, a: Float64Array, iw: Int32Array): number {
  for (let i = 0; i < n; i++) {
    const r0 = rp[i]!;
    const r1 = rp[i + 1]!;
    for (let p = r0; p < r1; p++) iw[ci[p]!] = p;
    for (let p = r0; p < diag[i]!; p++) {
      const k = ci[p]!;
      const lik = a[p]! / a[diag[k]!]!;
      a[p] = lik;
      if (lik === 0) continue;
      for (let q = diag[k]! + 1, e = rp[k + 1]!; q < e; q++) {
        const pos = iw[ci[q]!]!;
        if (pos >= 0) a[pos] -= lik * a[q]!;
      }
    }
    for (let p = r0; p < r1; p++) iw[ci[p]!] = -1;
    const d = a[diag[i]!]!;
    if (!(d !== 0 && d - d === 0)) return i + 1;
  }
  return 0;
}

/** Solves (L U) x = b in place with the factors of {@link ilu0Factor}; b read and written at b[off … off + n). */
export function ilu0Solve(n: number, rp: Int32Array, ci: Int32Array, diag: Int32Array, a: Float64Array, b: Float64Array, off: number): void {
  for (let i = 0; i < n; i++) {
    let s = b[off + i]!;
    for (let p = rp[i]!, e = diag[i]!; p < e; p++) s -= a[p]! * b[off + ci[p]!]!;
    b[off + i] = s;
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[off + i]!;
    const d = diag[i]!;
    for (let p = d + 1, e = rp[i + 1]!; p < e; p++) s -= a[p]! * b[off + ci[p]!]!;
    b[off + i] = s / a[d]!;
  }
}

/**
 * Factors the diagonal blocks of size bs (row-major, block k at offset k·bs², the last block of
 * size n − k·bs stored in the same slot) with partial pivoting; piv (length n) gets the pivots.
 *
 * @returns 0, or i + 1 when the pivot of row i is zero or not finite
 */
export function blockLuFactor(n: number, bs: number, a: Float64Array, piv: Int32Array): number {
  for (let b0 = 0; b0 < n; b0 += bs) {
    const m = Math.min(bs, n - b0);
    const off = (b0 / bs) * bs * bs;
    for (let k = 0; k < m; k++) {
      let p = k;
      let maxAbs = Math.abs(a[off + k * m + k]!);
      for (let i = k + 1; i < m; i++) {
        const v = Math.abs(a[off + i * m + k]!);
        if (v > maxAbs) {
          maxAbs = v;
          p = i;
        }
      }
      piv[b0 + k] = p;
      if (!(maxAbs > 0) || maxAbs === Infinity) return b0 + k + 1;
      if (p !== k) {
        for (let j = 0; j < m; j++) {
          const t = a[off + k * m + j]!;
          a[off + k * m + j] = a[off + p * m + j]!;
          a[off + p * m + j] = t;
        }
      }
      const inv = 1 / a[off + k * m + k]!;
      for (let i = k + 1; i < m; i++) {
        const l = a[off + i * m + k]! * inv;
        a[off + i * m + k] = l;
        if (l !== 0) for (let j = k + 1; j < m; j++) a[off + i * m + j] -= l * a[off + k * m + j]!;
      }
    }
  }
  return 0;
}

/** Solves with the block factors of {@link blockLuFactor}, in place on b[off … off + n). */
export function blockLuSolve(n: number, bs: number, a: Float64Array, piv: Int32Array, b: Float64Array, off: number): void {
  for (let b0 = 0; b0 < n; b0 += bs) {
    const m = Math.min(bs, n - b0);
    const ao = (b0 / bs) * bs * bs;
    const o = off + b0;
    for (let k = 0; k < m; k++) {
      const p = piv[b0 + k]!;
      if (p !== k) {
        const t = b[o + k]!;
        b[o + k] = b[o + p]!;
        b[o + p] = t;
      }
    }
    for (let i = 1; i < m; i++) {
      let s = b[o + i]!;
      for (let j = 0; j < i; j++) s -= a[ao + i * m + j]! * b[o + j]!;
      b[o + i] = s;
    }
    for (let i = m - 1; i >= 0; i--) {
      let s = b[o + i]!;
      for (let j = i + 1; j < m; j++) s -= a[ao + i * m + j]! * b[o + j]!;
      b[o + i] = s / a[ao + i * m + i]!;
    }
  }
}
