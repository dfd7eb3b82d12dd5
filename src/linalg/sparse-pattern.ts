/**
 * Sparsity patterns in compressed form: `ptr` (length n + 1) and `idx`, the indices of line k
 * (a row in CSR, a column in CSC) being idx[ptr[k] … ptr[k+1]), ascending and without repeats.
 * The same structure serves as compressed sparse rows or columns; {@link transposePattern} turns
 * one into the other. Built once per solve; nothing here runs in a step.
 */

/** A square n × n pattern, compressed by lines (rows or columns). */
export interface SparsePattern {
  readonly n: number;
  readonly ptr: Int32Array;
  readonly idx: Int32Array;
}

/**
 * The pattern of row lists (`rows[i]` = the columns of row i, in any order, repeats allowed) as
 * CSR, checked: every column a whole number in [0, n).
 *
 * @example
 * ```ts
 * patternFromRows([[0, 1], [1], [0, 2]], 3); // ptr [0, 2, 3, 5], idx [0, 1, 1, 0, 2]
 * ```
 */
export function patternFromRows(rows: readonly (readonly number[])[], n: number, what = "jacSparsity"): SparsePattern {
  if (rows.length !== n) {
    throw new RangeError(`\`${what}\` has ${rows.length} rows; it must have one per state component (${n}).`);
  }
  const mark = new Int32Array(n).fill(-1);
  let nnz = 0;
  for (let i = 0; i < n; i++) {
    const row = rows[i];
    if (row === null || typeof row !== "object" || typeof row.length !== "number") {
      throw new TypeError(`\`${what}[${i}]\` must be an array of column indices; got ${row === null ? "null" : typeof row}.`);
    }
    for (let k = 0; k < row.length; k++) {
      const j = row[k]!;
      if (!Number.isInteger(j) || j < 0 || j >= n) {
        throw new RangeError(`${what}[${i}] contains column ${String(j)}; columns must be whole numbers in [0, ${n - 1}].`);
      }
      if (mark[j] !== i) {
        mark[j] = i;
        nnz++;
      }
    }
  }
  const ptr = new Int32Array(n + 1);
  const idx = new Int32Array(nnz);
  mark.fill(-1);
  let p = 0;
  for (let i = 0; i < n; i++) {
    const row = rows[i]!;
    const start = p;
    for (let k = 0; k < row.length; k++) {
      const j = row[k]!;
      if (mark[j] !== i) {
        mark[j] = i;
        idx[p++] = j;
      }
    }
    idx.subarray(start, p).sort();
    ptr[i + 1] = p;
  }
  return { n, ptr, idx };
}

/** The row lists of a CSR pattern (for APIs that take `jacSparsity`-style arrays). */
export function patternToRows(p: SparsePattern): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i < p.n; i++) rows.push(Array.from(p.idx.subarray(p.ptr[i]!, p.ptr[i + 1]!)));
  return rows;
}

/** The transpose (CSR ↔ CSC), indices ascending. */
export function transposePattern(p: SparsePattern): SparsePattern {
  const { n, ptr, idx } = p;
  const cnt = new Int32Array(n + 1);
  for (let k = 0; k < idx.length; k++) cnt[idx[k]! + 1]!++;
  for (let j = 0; j < n; j++) cnt[j + 1]! += cnt[j]!;
  const out = new Int32Array(idx.length);
  const fill = cnt.slice(0, n);
  for (let i = 0; i < n; i++) for (let k = ptr[i]!; k < ptr[i + 1]!; k++) out[fill[idx[k]!]!++] = i;
  return { n, ptr: cnt, idx: out };
}

/** The union of patterns of the same order (each compressed the same way), with the diagonal if asked. */
export function unionPatterns(parts: readonly SparsePattern[], n: number, diagonal: boolean): SparsePattern {
  const mark = new Int32Array(n).fill(-1);
  const ptr = new Int32Array(n + 1);
  let nnz = 0;
  for (let i = 0; i < n; i++) {
    if (diagonal) {
      mark[i] = i;
      nnz++;
    }
    for (const p of parts) {
      for (let k = p.ptr[i]!; k < p.ptr[i + 1]!; k++) {
        const j = p.idx[k]!;
        if (mark[j] !== i) {
          mark[j] = i;
          nnz++;
        }
      }
    }
    ptr[i + 1] = nnz;
  }
  const idx = new Int32Array(nnz);
  mark.fill(-1);
  let q = 0;
  for (let i = 0; i < n; i++) {
    const start = q;
    if (diagonal) {
      mark[i] = i;
      idx[q++] = i;
    }
    for (const p of parts) {
      for (let k = p.ptr[i]!; k < p.ptr[i + 1]!; k++) {
        const j = p.idx[k]!;
        if (mark[j] !== i) {
          mark[j] = i;
          idx[q++] = j;
        }
      }
    }
    idx.subarray(start, q).sort();
  }
  return { n, ptr, idx };
}

/** The dense pattern of a row-major n × n matrix's non-zero entries (CSR). */
export function patternOfDense(a: Float64Array, n: number): SparsePattern {
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row: number[] = [];
    for (let j = 0; j < n; j++) if (a[i * n + j] !== 0) row.push(j);
    rows.push(row);
  }
  return patternFromRows(rows, n, "massMatrix");
}

/** The banded pattern with ml sub- and mu super-diagonals (CSR). */
export function bandPattern(n: number, ml: number, mu: number): SparsePattern {
  const ptr = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) ptr[i + 1] = ptr[i]! + Math.min(n - 1, i + mu) - Math.max(0, i - ml) + 1;
  const idx = new Int32Array(ptr[n]!);
  let q = 0;
  for (let i = 0; i < n; i++) for (let j = Math.max(0, i - ml), e = Math.min(n - 1, i + mu); j <= e; j++) idx[q++] = j;
  return { n, ptr, idx };
}

/** Lower and upper bandwidth [ml, mu] of a CSR pattern. */
export function bandwidthOf(p: SparsePattern): [number, number] {
  let ml = 0;
  let mu = 0;
  for (let i = 0; i < p.n; i++) {
    for (let k = p.ptr[i]!; k < p.ptr[i + 1]!; k++) {
      const d = p.idx[k]! - i;
      if (-d > ml) ml = -d;
      if (d > mu) mu = d;
    }
  }
  return [ml, mu];
}

/**
 * The adjacency of the symmetric pattern A + Aᵀ without the diagonal (the graph that fill-reducing
 * orderings of LU with diagonal pivots work on), compressed.
 */
export function symmetricAdjacency(p: SparsePattern): SparsePattern {
  const t = transposePattern(p);
  const both = unionPatterns([p, t], p.n, false);
  // Drop the diagonal.
  const { n, ptr, idx } = both;
  const optr = new Int32Array(n + 1);
  const oidx = new Int32Array(idx.length);
  let q = 0;
  for (let i = 0; i < n; i++) {
    for (let k = ptr[i]!; k < ptr[i + 1]!; k++) if (idx[k] !== i) oidx[q++] = idx[k]!;
    optr[i + 1] = q;
  }
  return { n, ptr: optr, idx: oidx.slice(0, q) };
}

/** Position of entry (i, j) in a compressed pattern (line i, index j), or −1 (binary search). */
export function patternPosition(p: SparsePattern, i: number, j: number): number {
  let lo = p.ptr[i]!;
  let hi = p.ptr[i + 1]! - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = p.idx[mid]!;
    if (v === j) return mid;
    if (v < j) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Whether two patterns are identical. */
export function samePattern(a: SparsePattern, b: SparsePattern): boolean {
  if (a.n !== b.n || a.idx.length !== b.idx.length) return false;
  for (let k = 0; k <= a.n; k++) if (a.ptr[k] !== b.ptr[k]) return false;
  for (let k = 0; k < a.idx.length; k++) if (a.idx[k] !== b.idx[k]) return false;
  return true;
}
