/**
 * Multifrontal LU with static pivot order for matrices whose pattern is (treated as) symmetric: the
 * fast numeric path of the sparse LU (sparse-lu.ts), with all arithmetic in dense kernels.
 *
 * The columns, ordered by a fill-reducing order and then by a postorder of the elimination tree of
 * A + Aᵀ, are grouped into supernodes (runs of columns with nested structure, merged with their
 * parent when that adds few explicit zeros; the relaxed amalgamation of CHOLMOD, with its default
 * limits). Supernode s with w columns and r rows below owns a dense frontal matrix F of order
 * m = w + r: the entries of A in its columns and rows are gathered into it, the contribution blocks
 * of its children (their Schur complements) are added in ("extend-add"), the w pivots are
 * eliminated with partial pivoting restricted to the w fully summed rows, and the Schur complement
 * of the remaining r × r block goes on a stack for the parent. A pivot must pass the threshold test
 * against its whole column (all m rows); when no row of the block does, the factorisation reports
 * {@link MF_NEED_PIVOTING} and the caller uses the general sparse LU with unrestricted pivoting.
 * References: I. S. Duff & J. K. Reid, "The multifrontal solution of unsymmetric sets of linear
 * equations", SIAM J. Sci. Stat. Comput. 5(3) (1984) 633–641; J. W. H. Liu, "The multifrontal
 * method for sparse matrix solution: theory and practice", SIAM Review 34(1) (1992) 82–109;
 * Y. Chen, T. A. Davis, W. W. Hager & S. Rajamanickam, "Algorithm 887: CHOLMOD", ACM TOMS 35(3)
 * (2008) 22 (relaxed amalgamation).
 *
 * Storage of the factors, per supernode s: its w fully summed rows of F after elimination (w × m,
 * holding L₁₁ strictly below the diagonal and U₁₁, U₁₂ on and above it) and the rows below
 * (r × w, L₂₁); local pivots in `piv` (global column index → the row it was swapped with).
 */
import type { SparsePattern } from "./sparse-pattern.js";

/** A pivot failed the threshold test inside a front: factor with unrestricted pivoting instead. */
export const MF_NEED_PIVOTING = -2;

/** The symbolic structure of a multifrontal factorisation. */
export interface MultifrontalSymbolic {
  readonly n: number;
  /** Column order: q[k] = the original column eliminated k-th (postordered). */
  readonly q: Int32Array;
  /** Inverse of q: new index of original row/column i. */
  readonly pinv: Int32Array;
  readonly nsuper: number;
  /** Columns of supernode s: superStart[s] … superStart[s + 1] − 1. */
  readonly superStart: Int32Array;
  /** Rows below supernode s (new indices, ascending): rows[rowPtr[s] … rowPtr[s + 1]). */
  readonly rowPtr: Int32Array;
  readonly rows: Int32Array;
  /** Number of children of each supernode in the supernodal elimination tree. */
  readonly nChildren: Int32Array;
  /** Assembly of A: for supernode s, entries asmSrc[k] of A's values go to asmDst[k] of its front. */
  readonly asmPtr: Int32Array;
  readonly asmDst: Int32Array;
  readonly asmSrc: Int32Array;
  /** New column index of each stored entry of A (CSC order). */
  readonly colOf: Int32Array;
  /** Offsets of each supernode's U rows (w × m) and L rows (r × w) in the factor arrays. */
  readonly uOff: Float64Array;
  readonly lOff: Float64Array;
  readonly uSize: number;
  readonly lSize: number;
  /** Largest front order, and the contribution stack's size in doubles. */
  readonly maxFront: number;
  readonly stackSize: number;
  /** Entries of L and U (including explicit zeros of amalgamation). */
  readonly nnz: number;
  /** Multiply–adds of a numeric factorisation. */
  readonly flops: number;
}

/**
 * The supernodal structure for the pattern `csc` (CSC of A, original indices) under the fill-reducing
 * order `order` (order[k] = original column k-th), from the elimination tree `parent` of
 * P (A + Aᵀ) Pᵀ and its column counts (see symbolicCholesky), and the adjacency of A + Aᵀ.
 */
export function analyzeMultifrontal(
  csc: SparsePattern, adj: SparsePattern, order: Int32Array, parent0: Int32Array, counts0: Int32Array,
): MultifrontalSymbolic {
  const n = csc.n;
  const { q, pinv, parent, counts } = postordered(n, order, parent0, counts0);
  const { superStart, superParent, nChildren } = supernodes(n, parent, counts);
  const ns = superStart.length - 1;
  const { rowPtr, rows } = rowStructure(adj, q, pinv, superStart, superParent);
  const { uOff, lOff, maxFront, stackSize, nnz, flops } = storage(superStart, rowPtr, superParent);
  const { asmPtr, asmDst, asmSrc, colOf } = assemblyMap(csc, pinv, superStart, rowPtr, rows);
  return {
    n, q, pinv, nsuper: ns, superStart, rowPtr, rows, nChildren, asmPtr, asmDst, asmSrc, colOf, uOff, lOff,
    uSize: uOff[ns]!, lSize: lOff[ns]!, maxFront, stackSize, nnz, flops,
  };
}

/** Relabels the elimination tree in postorder (each subtree a contiguous range ending at its root). */
function postordered(n: number, order: Int32Array, parent0: Int32Array, counts0: Int32Array) {
  const head = new Int32Array(n).fill(-1);
  const next = new Int32Array(n).fill(-1);
  for (let j = n - 1; j >= 0; j--) {
    const p = parent0[j]!;
    if (p >= 0) {
      next[j] = head[p]!;
      head[p] = j;
    }
  }
  const post = new Int32Array(n);
  const stack = new Int32Array(n);
  let k = 0;
  for (let root = 0; root < n; root++) {
    if (parent0[root] !== -1) continue;
    let top = 0;
    stack[0] = root;
    while (top >= 0) {
      const v = stack[top]!;
      const c = head[v]!;
      if (c === -1) {
        post[k++] = v;
        top--;
      } else {
        head[v] = next[c]!;
        stack[++top] = c;
      }
    }
  }
  const label = new Int32Array(n);
  for (let i = 0; i < n; i++) label[post[i]!] = i;
  const q = new Int32Array(n);
  const parent = new Int32Array(n);
  const counts = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    q[i] = order[post[i]!]!;
    const p = parent0[post[i]!]!;
    parent[i] = p < 0 ? -1 : label[p]!;
    counts[i] = counts0[post[i]!]!;
  }
  const pinv = new Int32Array(n);
  for (let i = 0; i < n; i++) pinv[q[i]!] = i;
  return { q, pinv, parent, counts };
}

/**
 * Fundamental supernodes (a column joins the previous one when it is its only child and their
 * structures nest), then relaxed amalgamation of a supernode into its parent when the parent is
 * the next one (a last child) and the merge adds few explicit zeros (CHOLMOD's default limits:
 * at most 4 columns, or 16 with < 80% zeros, or 48 with < 10%, or any size with < 5%).
 */
function supernodes(n: number, parent: Int32Array, counts: Int32Array) {
  const childCount = new Int32Array(n);
  for (let i = 0; i < n; i++) if (parent[i]! >= 0) childCount[parent[i]!]!++;
  const firstCol: number[] = [0];
  for (let j = 1; j < n; j++) {
    if (!(parent[j - 1] === j && counts[j - 1] === counts[j]! + 1 && childCount[j] === 1)) firstCol.push(j);
  }
  firstCol.push(n);
  const ns0 = firstCol.length - 1;
  const snodeOf = new Int32Array(n);
  for (let s = 0; s < ns0; s++) for (let j = firstCol[s]!; j < firstCol[s + 1]!; j++) snodeOf[j] = s;
  const sParent = new Int32Array(ns0);
  const sCols = new Float64Array(ns0);
  const sRows = new Float64Array(ns0);
  const sZeros = new Float64Array(ns0);
  for (let s = 0; s < ns0; s++) {
    const last = firstCol[s + 1]! - 1;
    sParent[s] = parent[last]! < 0 ? -1 : snodeOf[parent[last]!]!;
    sCols[s] = firstCol[s + 1]! - firstCol[s]!;
    sRows[s] = counts[last]!; // rows below the supernode: those of its last column
  }
  const merged = new Uint8Array(ns0);
  const entries = (w: number, r: number): number => (w * (w + 1)) / 2 + w * r;
  for (let s = 0; s + 1 < ns0; s++) {
    if (sParent[s] !== s + 1) continue;
    const p = s + 1;
    const w = sCols[s]! + sCols[p]!;
    const total = entries(w, sRows[p]!);
    const zeros = total - (entries(sCols[s]!, sRows[s]!) - sZeros[s]!) - (entries(sCols[p]!, sRows[p]!) - sZeros[p]!);
    const z = zeros / total;
    if (w <= 4 || (w <= 16 && z < 0.8) || (w <= 48 && z < 0.1) || z < 0.05) {
      merged[s] = 1;
      sCols[p] = w;
      sZeros[p] = zeros;
    }
  }
  const starts: number[] = [];
  let start = 0;
  for (let s = 0; s < ns0; s++) {
    if (merged[s]) continue;
    starts.push(start);
    start = firstCol[s + 1]!;
  }
  starts.push(n);
  const superStart = Int32Array.from(starts);
  const ns = superStart.length - 1;
  for (let s = 0; s < ns; s++) for (let j = superStart[s]!; j < superStart[s + 1]!; j++) snodeOf[j] = s;
  const superParent = new Int32Array(ns);
  const nChildren = new Int32Array(ns);
  for (let s = 0; s < ns; s++) {
    const last = superStart[s + 1]! - 1;
    superParent[s] = parent[last]! < 0 ? -1 : snodeOf[parent[last]!]!;
    if (superParent[s]! >= 0) nChildren[superParent[s]!]!++;
  }
  return { superStart, superParent, nChildren };
}

/** Children of each supernode as linked lists (head[s], next[c]). */
function childLists(superParent: Int32Array) {
  const ns = superParent.length;
  const head = new Int32Array(ns).fill(-1);
  const next = new Int32Array(ns).fill(-1);
  for (let s = ns - 1; s >= 0; s--) {
    const p = superParent[s]!;
    if (p >= 0) {
      next[s] = head[p]!;
      head[p] = s;
    }
  }
  return { head, next };
}

/** Rows below each supernode: its columns' entries of A + Aᵀ below it, and its children's rows. */
function rowStructure(adj: SparsePattern, q: Int32Array, pinv: Int32Array, superStart: Int32Array, superParent: Int32Array) {
  const n = adj.n;
  const ns = superStart.length - 1;
  const rowPtr = new Int32Array(ns + 1);
  const rowLists: Int32Array[] = new Array(ns);
  const mark = new Int32Array(n).fill(-1);
  const { head, next } = childLists(superParent);
  const buf: number[] = [];
  const add = (i: number, s: number, l: number): void => {
    if (i > l && mark[i] !== s) {
      mark[i] = s;
      buf.push(i);
    }
  };
  for (let s = 0; s < ns; s++) {
    const l = superStart[s + 1]! - 1;
    buf.length = 0;
    for (let j = superStart[s]!; j <= l; j++) {
      const c = q[j]!;
      for (let t = adj.ptr[c]!; t < adj.ptr[c + 1]!; t++) add(pinv[adj.idx[t]!]!, s, l);
    }
    for (let c = head[s]!; c !== -1; c = next[c]!) {
      const list = rowLists[c]!;
      for (let t = 0; t < list.length; t++) add(list[t]!, s, l);
    }
    const list = Int32Array.from(buf).sort();
    rowLists[s] = list;
    rowPtr[s + 1] = rowPtr[s]! + list.length;
  }
  const rows = new Int32Array(rowPtr[ns]!);
  for (let s = 0; s < ns; s++) rows.set(rowLists[s]!, rowPtr[s]!);
  return { rowPtr, rows };
}

/** Offsets of the factors, the largest front, the contribution stack's peak (simulated), entries, flops. */
function storage(superStart: Int32Array, rowPtr: Int32Array, superParent: Int32Array) {
  const ns = superStart.length - 1;
  const { head, next } = childLists(superParent);
  const uOff = new Float64Array(ns + 1);
  const lOff = new Float64Array(ns + 1);
  const cbSize = new Float64Array(ns);
  let maxFront = 0;
  let flops = 0;
  let nnz = 0;
  let stackTop = 0;
  let stackSize = 0;
  for (let s = 0; s < ns; s++) {
    const w = superStart[s + 1]! - superStart[s]!;
    const r = rowPtr[s + 1]! - rowPtr[s]!;
    const m = w + r;
    uOff[s + 1] = uOff[s]! + w * m;
    lOff[s + 1] = lOff[s]! + r * w;
    if (m > maxFront) maxFront = m;
    for (let c = head[s]!; c !== -1; c = next[c]!) stackTop -= cbSize[c]!;
    cbSize[s] = r > 0 ? r * r + r + 1 : 0; // values, row indices and the order (see multifrontalFactor)
    stackTop += cbSize[s]!;
    if (stackTop > stackSize) stackSize = stackTop;
    for (let i = 0; i < w; i++) flops += (m - i - 1) * (m - i - 1) + (m - i - 1);
    nnz += w * m + r * w;
  }
  return { uOff, lOff, maxFront, stackSize, nnz, flops };
}

/** Assembly map: entry (i, j) of A (new indices) goes to the front of the supernode of min(i, j). */
function assemblyMap(csc: SparsePattern, pinv: Int32Array, superStart: Int32Array, rowPtr: Int32Array, rows: Int32Array) {
  const n = csc.n;
  const ns = superStart.length - 1;
  const snodeOf = new Int32Array(n);
  for (let s = 0; s < ns; s++) for (let j = superStart[s]!; j < superStart[s + 1]!; j++) snodeOf[j] = s;
  const nzA = csc.idx.length;
  const asmPtr = new Int32Array(ns + 1);
  const owner = new Int32Array(nzA);
  const colOf = new Int32Array(nzA);
  for (let c = 0; c < n; c++) {
    const j = pinv[c]!;
    for (let t = csc.ptr[c]!; t < csc.ptr[c + 1]!; t++) {
      const i = pinv[csc.idx[t]!]!;
      const s = snodeOf[i < j ? i : j]!;
      owner[t] = s;
      colOf[t] = j;
      asmPtr[s + 1]!++;
    }
  }
  for (let s = 0; s < ns; s++) asmPtr[s + 1]! += asmPtr[s]!;
  const asmSrc = new Int32Array(nzA);
  const fillPos = asmPtr.slice(0, ns);
  for (let t = 0; t < nzA; t++) asmSrc[fillPos[owner[t]!]!++] = t;
  const local = new Int32Array(n);
  const asmDst = new Int32Array(nzA);
  for (let s = 0; s < ns; s++) {
    const f = superStart[s]!;
    const w = superStart[s + 1]! - f;
    const r0 = rowPtr[s]!;
    const r = rowPtr[s + 1]! - r0;
    const m = w + r;
    for (let j = 0; j < w; j++) local[f + j] = j;
    for (let t = 0; t < r; t++) local[rows[r0 + t]!] = w + t;
    for (let a = asmPtr[s]!; a < asmPtr[s + 1]!; a++) {
      const t = asmSrc[a]!;
      asmDst[a] = local[pinv[csc.idx[t]!]!]! * m + local[colOf[t]!]!;
    }
  }
  return { asmPtr, asmDst, asmSrc, colOf };
}

/**
 * Numeric multifrontal factorisation of A (values `ax` aligned with the CSC pattern the symbolic
 * structure was built from). Work: front (maxFront²), stack (stackSize), local (n, Int32), map
 * (maxFront, Int32), acol (n); colOf = sym.colOf.
 *
 * @returns 0, k + 1 when the pivot of column k is zero or not finite, or MF_NEED_PIVOTING
 */
export function multifrontalFactor(
  sym: MultifrontalSymbolic, ax: Float64Array, tol: number, U: Float64Array, L: Float64Array, piv: Int32Array,
  front: Float64Array, stack: Float64Array, local: Int32Array, map: Int32Array, acol: Float64Array, colOf: Int32Array,
): number {
  const { n, nsuper, superStart, rowPtr, rows, nChildren, asmPtr, asmDst, asmSrc, uOff, lOff } = sym;
  // Largest entry of each column of A (new index), for the numerical-singularity test.
  for (let j = 0; j < n; j++) acol[j] = 0;
  for (let t = 0; t < ax.length; t++) {
    const v = Math.abs(ax[t]!);
    const j = colOf[t]!;
    if (v > acol[j]!) acol[j] = v;
  }
  const tiny = n * 2.220446049250313e-16;
  let top = 0; // stack pointer (doubles)
  for (let s = 0; s < nsuper; s++) {
    const f = superStart[s]!;
    const w = superStart[s + 1]! - f;
    const r0 = rowPtr[s]!;
    const r = rowPtr[s + 1]! - r0;
    const m = w + r;
    const mm = m * m;
    for (let k = 0; k < mm; k++) front[k] = 0;
    for (let a = asmPtr[s]!, e = asmPtr[s + 1]!; a < e; a++) front[asmDst[a]!] += ax[asmSrc[a]!]!;
    // Extend-add the children's contribution blocks (the top nChildren[s] blocks of the stack).
    if (nChildren[s]! > 0) {
      for (let j = 0; j < w; j++) local[f + j] = j;
      for (let t = 0; t < r; t++) local[rows[r0 + t]!] = w + t;
      for (let c = 0; c < nChildren[s]!; c++) {
        // Each block is stored as [rows (rc entries as doubles), values rc², order rc] ending at top.
        const rc = stack[top - 1]!;
        const base = top - 1 - rc * rc - rc;
        for (let a = 0; a < rc; a++) map[a] = local[stack[base + a]!]!;
        for (let a = 0; a < rc; a++) {
          const la = map[a]! * m;
          const va = base + rc + a * rc;
          for (let b = 0; b < rc; b++) front[la + map[b]!] += stack[va + b]!;
        }
        top = base;
      }
    }
    // Eliminate the w fully summed pivots (pivot rows restricted to the block): the m × w panel
    // right-looking, then U₁₂ = L₁₁⁻¹ F₁₂ and the Schur complement F₂₂ − L₂₁ U₁₂ row by row, so
    // that each trailing row is read once (a rank-w update, not w rank-1 updates).
    for (let k = 0; k < w; k++) {
      let colMax = 0;
      for (let i = k; i < m; i++) {
        const v = Math.abs(front[i * m + k]!);
        if (v > colMax) colMax = v;
        else if (!(v <= colMax)) return f + k + 1;
      }
      let p = k;
      let best = Math.abs(front[k * m + k]!);
      if (best < tol * colMax) {
        for (let i = k + 1; i < w; i++) {
          const v = Math.abs(front[i * m + k]!);
          if (v > best) {
            best = v;
            p = i;
          }
        }
      }
      // No usable pivot (none, or the column cancelled to rounding: numerically singular).
      if (!(colMax > tiny * acol[f + k]!) || colMax === Infinity) return f + k + 1;
      if (best < tol * colMax) return MF_NEED_PIVOTING;
      piv[f + k] = f + p;
      if (p !== k) {
        const rk = k * m;
        const rp = p * m;
        for (let j = 0; j < m; j++) {
          const tmp = front[rk + j]!;
          front[rk + j] = front[rp + j]!;
          front[rp + j] = tmp;
        }
      }
      const rk = k * m;
      const pivot = front[rk + k]!;
      for (let i = k + 1; i < m; i++) {
        const ri = i * m;
        const l = front[ri + k]! / pivot; // divided, so that a copy of the pivot row cancels exactly
        front[ri + k] = l;
        if (l !== 0) for (let j = k + 1; j < w; j++) front[ri + j] -= l * front[rk + j]!;
      }
    }
    if (r > 0) {
      for (let k = 1; k < w; k++) {
        const rk = k * m;
        for (let q = 0; q < k; q++) {
          const l = front[rk + q]!;
          if (l === 0) continue;
          const rq = q * m;
          for (let j = w; j < m; j++) front[rk + j] -= l * front[rq + j]!;
        }
      }
      for (let i = w; i < m; i++) {
        const ri = i * m;
        let q = 0;
        // Four panel rows at a time: each trailing entry is loaded and stored once per four updates.
        for (; q + 3 < w; q += 4) {
          const l0 = front[ri + q]!;
          const l1 = front[ri + q + 1]!;
          const l2 = front[ri + q + 2]!;
          const l3 = front[ri + q + 3]!;
          const r0 = q * m;
          const r1 = r0 + m;
          const r2 = r1 + m;
          const r3 = r2 + m;
          for (let j = w; j < m; j++) {
            front[ri + j] -= l0 * front[r0 + j]! + l1 * front[r1 + j]! + l2 * front[r2 + j]! + l3 * front[r3 + j]!;
          }
        }
        for (; q < w; q++) {
          const l = front[ri + q]!;
          if (l === 0) continue;
          const rq = q * m;
          for (let j = w; j < m; j++) front[ri + j] -= l * front[rq + j]!;
        }
      }
    }
    // Keep the factors; push the Schur complement (rows w … m − 1) for the parent.
    const uo = uOff[s]!;
    for (let k = 0; k < w * m; k++) U[uo + k] = front[k]!;
    const lo = lOff[s]!;
    for (let i = 0; i < r; i++) for (let j = 0; j < w; j++) L[lo + i * w + j] = front[(w + i) * m + j]!;
    if (r > 0) {
      for (let a = 0; a < r; a++) stack[top + a] = rows[r0 + a]!;
      const vb = top + r;
      for (let a = 0; a < r; a++) {
        const src = (w + a) * m + w;
        const dst = vb + a * r;
        for (let b = 0; b < r; b++) stack[dst + b] = front[src + b]!;
      }
      top = vb + r * r;
      stack[top++] = r;
    }
  }
  return 0;
}

/**
 * Solves A x = b in place with the factors of {@link multifrontalFactor}; x and g: work of length n.
 */
export function multifrontalSolve(
  sym: MultifrontalSymbolic, U: Float64Array, L: Float64Array, piv: Int32Array, b: Float64Array, x: Float64Array, g: Float64Array,
): void {
  const { n, q, nsuper, superStart, rowPtr, rows, uOff, lOff } = sym;
  for (let k = 0; k < n; k++) x[k] = b[q[k]!]!;
  // Forward: row swaps and unit-lower L₁₁ inside each supernode, then L₂₁ onto the rows below.
  for (let s = 0; s < nsuper; s++) {
    const f = superStart[s]!;
    const w = superStart[s + 1]! - f;
    const r0 = rowPtr[s]!;
    const r = rowPtr[s + 1]! - r0;
    const m = w + r;
    for (let k = 0; k < w; k++) {
      const p = piv[f + k]!;
      if (p !== f + k) {
        const t = x[f + k]!;
        x[f + k] = x[p]!;
        x[p] = t;
      }
    }
    const uo = uOff[s]!;
    for (let i = 1; i < w; i++) {
      let acc = x[f + i]!;
      const ri = uo + i * m;
      for (let j = 0; j < i; j++) acc -= U[ri + j]! * x[f + j]!;
      x[f + i] = acc;
    }
    const lo = lOff[s]!;
    for (let i = 0; i < r; i++) {
      let acc = 0;
      const ri = lo + i * w;
      for (let j = 0; j < w; j++) acc += L[ri + j]! * x[f + j]!;
      x[rows[r0 + i]!] -= acc;
    }
  }
  // Backward: U₁₂ from the rows below, then upper U₁₁.
  for (let s = nsuper - 1; s >= 0; s--) {
    const f = superStart[s]!;
    const w = superStart[s + 1]! - f;
    const r0 = rowPtr[s]!;
    const r = rowPtr[s + 1]! - r0;
    const m = w + r;
    const uo = uOff[s]!;
    // Gather the rows below once; each U row then meets them as a contiguous dot product.
    for (let t = 0; t < r; t++) g[t] = x[rows[r0 + t]!]!;
    for (let i = w - 1; i >= 0; i--) {
      const ri = uo + i * m;
      const rw = ri + w;
      let acc = x[f + i]!;
      for (let t = 0; t < r; t++) acc -= U[rw + t]! * g[t]!;
      for (let j = i + 1; j < w; j++) acc -= U[ri + j]! * x[f + j]!;
      x[f + i] = acc / U[ri + i]!;
    }
  }
  for (let k = 0; k < n; k++) b[q[k]!] = x[k]!;
}
