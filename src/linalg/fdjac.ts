/**
 * Finite-difference Jacobians of f(t, y): dense (one evaluation per column) and coloured (one per
 * group of structurally orthogonal columns, Curtis, Powell & Reid 1974), written straight into
 * dense row-major or banded storage. Nothing here allocates except the colouring, done once.
 *
 * The increment for column j is δ_j = √ε · max(|y_j|, floor_j) (floor_j: a typical size of y_j), rounded so that (y_j + δ_j) − y_j
 * is exactly δ_j (Dennis & Schnabel, *Numerical Methods for Unconstrained Optimization*, §5.4).
 */
import type { InPlaceVectorField } from "../terms.js";
import { patternFromRows, type SparsePattern, transposePattern } from "./sparse-pattern.js";

const SQRT_EPS = Math.sqrt(2.220446049250313e-16);

/** Forward-difference increment for a component of value `yj`. */
export function fdIncrement(yj: number, floor: number): number {
  const d = SQRT_EPS * Math.max(Math.abs(yj), floor);
  const yp = yj + d;
  return yp - yj;
}

/**
 * Dense forward-difference Jacobian J_ij ≈ (f_i(y + δ_j e_j) − f_i(y)) / δ_j, row-major into `J`.
 * `fy` holds f(t, y); `y` is perturbed and restored; `floor` holds typical sizes of the components.
 * Costs n evaluations of f.
 *
 * @example
 * ```ts
 * denseFdJacobian(f, t, y, fy, args, J, n, ftmp, floor);
 * ```
 */
export function denseFdJacobian(
  f: InPlaceVectorField,
  t: number,
  y: Float64Array,
  fy: Float64Array,
  args: unknown,
  J: Float64Array,
  n: number,
  ftmp: Float64Array,
  floor: Float64Array,
): number {
  for (let j = 0; j < n; j++) {
    const yj = y[j];
    const d = fdIncrement(yj, floor[j]);
    y[j] = yj + d;
    f(t, y, args, ftmp);
    y[j] = yj;
    const inv = 1 / d;
    for (let i = 0; i < n; i++) J[i * n + j] = (ftmp[i] - fy[i]) * inv;
  }
  return n;
}

/**
 * A column colouring of a sparsity pattern with, for each column, the rows it touches and where
 * each entry goes in the Jacobian's storage (dense or banded).
 */
export interface ColouredPattern {
  /** Number of colours (= evaluations of f per Jacobian). */
  readonly numColours: number;
  /** Colour of each column. */
  readonly colour: Int32Array;
  /** Columns of each colour, grouped: columns of colour c are colCols[colPtr[c] … colPtr[c+1]). */
  readonly groupPtr: Int32Array;
  readonly groupCols: Int32Array;
  /** Compressed columns: rows of column j are rowIdx[colPtr[j] … colPtr[j+1]); dst the storage index. */
  readonly colPtr: Int32Array;
  readonly rowIdx: Int32Array;
  readonly dst: Int32Array;
}

/**
 * Greedy column colouring (Curtis–Powell–Reid) of a sparsity pattern (row lists, or CSR): columns
 * that share no row get the same colour. `index(i, j)` maps an entry to its place in the Jacobian
 * storage; entries it maps to −1 are not stored (a block-diagonal store keeps only part of J) but
 * still constrain the colouring, so the stored entries come out exact.
 */
export function colourPattern(
  sparsity: readonly (readonly number[])[] | SparsePattern,
  n: number,
  index: (i: number, j: number) => number,
): ColouredPattern {
  const rows = isPattern(sparsity) ? sparsity : patternFromRows(sparsity, n);
  const cols = transposePattern(rows);
  const colour = new Int32Array(n).fill(-1);
  // used[c] === j: colour c is taken by a column sharing a row with column j.
  const used = new Int32Array(n + 1).fill(-1);
  let numColours = 0;
  for (let j = 0; j < n; j++) {
    for (let p = cols.ptr[j]!; p < cols.ptr[j + 1]!; p++) {
      const i = cols.idx[p]!;
      for (let q = rows.ptr[i]!; q < rows.ptr[i + 1]!; q++) {
        const c = colour[rows.idx[q]!]!;
        if (c >= 0) used[c] = j;
      }
    }
    let c = 0;
    while (used[c] === j) c++;
    colour[j] = c;
    if (c + 1 > numColours) numColours = c + 1;
  }
  const groupPtr = new Int32Array(numColours + 1);
  for (let j = 0; j < n; j++) groupPtr[colour[j]! + 1]!++;
  for (let c = 0; c < numColours; c++) groupPtr[c + 1]! += groupPtr[c]!;
  const groupCols = new Int32Array(n);
  const fill = groupPtr.slice(0, numColours);
  for (let j = 0; j < n; j++) groupCols[fill[colour[j]!]!++] = j;
  const colPtr = new Int32Array(n + 1);
  let stored = 0;
  for (let j = 0; j < n; j++) {
    for (let p = cols.ptr[j]!; p < cols.ptr[j + 1]!; p++) if (index(cols.idx[p]!, j) >= 0) stored++;
    colPtr[j + 1] = stored;
  }
  const rowIdx = new Int32Array(stored);
  const dst = new Int32Array(stored);
  let q = 0;
  for (let j = 0; j < n; j++) {
    for (let p = cols.ptr[j]!; p < cols.ptr[j + 1]!; p++) {
      const i = cols.idx[p]!;
      const d = index(i, j);
      if (d < 0) continue;
      rowIdx[q] = i;
      dst[q++] = d;
    }
  }
  return { numColours, colour, groupPtr, groupCols, colPtr, rowIdx, dst };
}

function isPattern(x: readonly (readonly number[])[] | SparsePattern): x is SparsePattern {
  return !Array.isArray(x) && typeof (x as SparsePattern).n === "number";
}

/**
 * Coloured forward-difference Jacobian: one evaluation of f per colour. Entries outside the
 * pattern are left untouched (callers zero the storage once).
 */
export function colouredFdJacobian(
  f: InPlaceVectorField,
  t: number,
  y: Float64Array,
  fy: Float64Array,
  args: unknown,
  J: Float64Array,
  pattern: ColouredPattern,
  ftmp: Float64Array,
  dy: Float64Array,
  ysave: Float64Array,
  floor: Float64Array,
): number {
  const { numColours, groupPtr, groupCols, colPtr, rowIdx, dst } = pattern;
  for (let c = 0; c < numColours; c++) {
    const g0 = groupPtr[c];
    const g1 = groupPtr[c + 1];
    for (let g = g0; g < g1; g++) {
      const j = groupCols[g];
      const yj = y[j];
      const d = fdIncrement(yj, floor[j]);
      dy[j] = d;
      ysave[j] = yj;
      y[j] = yj + d;
    }
    f(t, y, args, ftmp);
    for (let g = g0; g < g1; g++) {
      const j = groupCols[g];
      y[j] = ysave[j];
      const inv = 1 / dy[j];
      for (let p = colPtr[j], e = colPtr[j + 1]; p < e; p++) {
        const i = rowIdx[p];
        J[dst[p]] = (ftmp[i] - fy[i]) * inv;
      }
    }
  }
  return numColours;
}
