/**
 * Layouts a linear solver keeps the Jacobian in (see {@link JacobianStore}): dense row-major,
 * LAPACK-style band (with room for the fill-in of pivoting), compressed sparse (rows or columns,
 * on a fixed pattern) and block-diagonal. Each maps an entry (i, j) to its position once, when the
 * finite-difference colouring or the compiled Jacobian's scatter map is built; the numeric work
 * then writes straight into `values`.
 */
import { bandIndex, bandWidth } from "../../linalg/banded.js";
import { patternPosition, type SparsePattern } from "../../linalg/sparse-pattern.js";
import type { JacobianStore } from "./linear-solver.js";

/** n × n row-major. */
export class DenseStore implements JacobianStore {
  readonly values: Float64Array;
  constructor(readonly n: number) {
    this.values = new Float64Array(n * n);
  }
  position(i: number, j: number): number {
    return i * this.n + j;
  }
  normInf(): number {
    const { n, values } = this;
    let norm = 0;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += Math.abs(values[i * n + j]!);
      if (s > norm) norm = s;
    }
    return norm;
  }
}

/** Band storage with ml sub- and mu super-diagonals, rows of width 2 ml + mu + 1 ({@link bandIndex}). */
export class BandStore implements JacobianStore {
  readonly values: Float64Array;
  readonly width: number;
  constructor(readonly n: number, readonly ml: number, readonly mu: number) {
    this.width = bandWidth(ml, mu);
    this.values = new Float64Array(n * this.width);
  }
  position(i: number, j: number): number {
    return j - i > this.mu || i - j > this.ml ? -1 : bandIndex(i, j, this.ml, this.mu);
  }
  normInf(): number {
    const { n, values, width } = this;
    let norm = 0;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < width; k++) s += Math.abs(values[i * width + k]!);
      if (s > norm) norm = s;
    }
    return norm;
  }
}

/** Values on a compressed pattern: by rows (CSR) or by columns (CSC). */
export class CompressedStore implements JacobianStore {
  readonly values: Float64Array;
  constructor(readonly pattern: SparsePattern, readonly byRows: boolean) {
    this.values = new Float64Array(pattern.idx.length);
  }
  position(i: number, j: number): number {
    return this.byRows ? patternPosition(this.pattern, i, j) : patternPosition(this.pattern, j, i);
  }
  private rowSum: Float64Array | null = null;
  normInf(): number {
    const { n, ptr, idx } = this.pattern;
    const rowSum = (this.rowSum ??= new Float64Array(n));
    rowSum.fill(0);
    for (let line = 0; line < n; line++) {
      for (let k = ptr[line]!; k < ptr[line + 1]!; k++) rowSum[this.byRows ? line : idx[k]!] += Math.abs(this.values[k]!);
    }
    let norm = 0;
    for (let i = 0; i < n; i++) if (rowSum[i]! > norm) norm = rowSum[i]!;
    return norm;
  }
}

/**
 * Diagonal blocks of size bs (the last one n − k·bs), each row-major in its own slot of bs²
 * entries: the part of J a block-Jacobi preconditioner uses.
 */
export class BlockStore implements JacobianStore {
  readonly values: Float64Array;
  constructor(readonly n: number, readonly bs: number) {
    this.values = new Float64Array(Math.ceil(n / bs) * bs * bs);
  }
  position(i: number, j: number): number {
    const bs = this.bs;
    const b = Math.floor(i / bs);
    if (Math.floor(j / bs) !== b) return -1;
    const m = Math.min(bs, this.n - b * bs);
    return b * bs * bs + (i - b * bs) * m + (j - b * bs);
  }
  normInf(): number {
    const { n, bs, values } = this;
    let norm = 0;
    for (let i = 0; i < n; i++) {
      const b = Math.floor(i / bs);
      const m = Math.min(bs, n - b * bs);
      const off = b * bs * bs + (i - b * bs) * m;
      let s = 0;
      for (let j = 0; j < m; j++) s += Math.abs(values[off + j]!);
      if (s > norm) norm = s;
    }
    return norm;
  }
}
