/**
 * Sparse LU factorisation with a fill-reducing column order and threshold partial pivoting, in the
 * manner of KLU (T. A. Davis & E. Palamadai Natarajan, "Algorithm 907: KLU, a direct sparse solver
 * for circuit simulation problems", ACM TOMS 37(3) (2010) 36).
 *
 * A (n × n, compressed sparse columns, original indices) is factored as P A Q = L U with Q from an
 * ordering of A + Aᵀ (approximate minimum degree, see amd.ts) and P chosen column by column:
 * left-looking, column k of L and U comes from one sparse triangular solve with the columns of L
 * found so far (J. R. Gilbert & T. Peierls, "Sparse partial pivoting in time proportional to
 * arithmetic operations", SIAM J. Sci. Stat. Comput. 9(5) (1988) 862–874): a depth-first search
 * from the column's non-zeros gives the rows it reaches in topological order, then the numeric
 * updates follow that order. The pivot is the diagonal entry when |a_kk| ≥ τ max_i |a_ik| over
 * the candidate rows (threshold τ, default 0.1), else the largest candidate.
 *
 * Refactorisation (same pattern, new values — the iteration matrix at a new step size or a new
 * Jacobian) reuses the pivot order and the structure of L and U: no search, only the numeric updates
 * in the stored order. Each pivot is checked against the threshold; a pivot that fails it sends
 * the caller back to a full factorisation with pivoting.
 *
 * The kernels are plain loops over typed arrays with explicit lengths and no allocation (small
 * standalone functions, easy to port); {@link SparseLU} owns the storage, grows it when a
 * factorisation with pivoting produces more fill than the symbolic estimate, and keeps the complex
 * variant (for RADAU5's complex iteration matrix) beside the real one.
 *
 * Results: 0 on success; k + 1 when column k has no usable pivot (none at all: structurally
 * singular; all candidates below n·ε times the largest entry of A's column: numerically singular,
 * the column cancelled to rounding; or NaN/Infinity entries); {@link LU_NEED_SPACE} when L or U outgrows its capacity;
 * {@link LU_NEED_PIVOTING} when a refactorisation meets a pivot that is zero, not finite or below
 * the threshold.
 */
import { amdOrder, nestedDissectionOrder, symbolicCholesky } from "./amd.js";
import { analyzeMultifrontal, multifrontalFactor, MF_NEED_PIVOTING, type MultifrontalSymbolic, multifrontalSolve } from "./multifrontal.js";
import { type SparsePattern, symmetricAdjacency } from "./sparse-pattern.js";

const EPS = 2.220446049250313e-16;

/** Default threshold τ of partial pivoting: a diagonal pivot is kept while |a_kk| ≥ τ max_i |a_ik| (UMFPACK's 0.1). */
export const DEFAULT_PIVOT_THRESHOLD = 0.1;

/** The factorisation needs more room for L or U than it was given. */
export const LU_NEED_SPACE = -1;
/** A refactorisation met a pivot below the threshold: factor again with pivoting. */
export const LU_NEED_PIVOTING = -2;

/**
 * Factors A (CSC: ap, ai, ax) with column order q and threshold partial pivoting into L (unit lower,
 * strictly-lower entries by column: lp, li, lx, row indices in pivot order on return) and U
 * (strictly-upper entries by column: up, ui, ux, pivot-order rows; diagonal in ud). pinv receives
 * the pivot position of each original row. Work arrays of length n: x (zero on entry and exit),
 * xi, stack, pstack, flag. capL/capU: room in li/lx and ui/ux.
 *
 * @returns 0, k + 1 for a singular column k, or LU_NEED_SPACE
 */
export function sparseLuFactor(
  n: number, ap: Int32Array, ai: Int32Array, ax: Float64Array, q: Int32Array, tol: number,
  lp: Int32Array, li: Int32Array, lx: Float64Array, up: Int32Array, ui: Int32Array, ux: Float64Array, ud: Float64Array,
  pinv: Int32Array, x: Float64Array, xi: Int32Array, stack: Int32Array, pstack: Int32Array, flag: Int32Array,
  capL: number, capU: number,
): number {
  for (let i = 0; i < n; i++) {
    pinv[i] = -1;
    flag[i] = -1;
  }
  let nl = 0;
  let nu = 0;
  lp[0] = 0;
  up[0] = 0;
  for (let k = 0; k < n; k++) {
    const col = q[k]!;
    // Reach of A(:, col) in the graph of L: rows in topological order in xi[top … n).
    let top = n;
    for (let p = ap[col]!; p < ap[col + 1]!; p++) {
      const r0 = ai[p]!;
      if (flag[r0] === k) continue;
      let head = 0;
      stack[0] = r0;
      while (head >= 0) {
        const r = stack[head]!;
        const jr = pinv[r]!;
        if (flag[r] !== k) {
          flag[r] = k;
          pstack[head] = jr < 0 ? 0 : lp[jr]!;
        }
        let done = true;
        if (jr >= 0) {
          const end = lp[jr + 1]!;
          for (let t = pstack[head]!; t < end; t++) {
            const c = li[t]!;
            if (flag[c] === k) continue;
            pstack[head] = t + 1;
            stack[++head] = c;
            done = false;
            break;
          }
        }
        if (done) {
          head--;
          xi[--top] = r;
        }
      }
    }
    let aMax = 0;
    for (let p = ap[col]!; p < ap[col + 1]!; p++) {
      x[ai[p]!] += ax[p]!;
      const v = Math.abs(ax[p]!);
      if (v > aMax) aMax = v;
    }
    // Numeric: x ← L⁻¹ x over the reach, in topological order.
    for (let t = top; t < n; t++) {
      const r = xi[t]!;
      const j = pinv[r]!;
      if (j < 0) continue;
      const xj = x[r]!;
      if (xj === 0) continue;
      for (let s = lp[j]!, e = lp[j + 1]!; s < e; s++) x[li[s]!] -= lx[s]! * xj;
    }
    // Pivot: the diagonal row if it passes the threshold, else the largest candidate.
    let maxAbs = 0;
    let piv = -1;
    let bad = false;
    let diagAbs = -1;
    for (let t = top; t < n; t++) {
      const r = xi[t]!;
      if (pinv[r]! >= 0) continue;
      const v = Math.abs(x[r]!);
      if (v > maxAbs) {
        maxAbs = v;
        piv = r;
      } else if (!(v <= maxAbs)) bad = true;
      if (r === col) diagAbs = v;
    }
    // No usable pivot: none, NaN, or everything cancelled to rounding level (numerically singular).
    if (bad || piv < 0 || !(maxAbs > n * EPS * aMax) || maxAbs === Infinity) {
      for (let t = top; t < n; t++) x[xi[t]!] = 0;
      return k + 1;
    }
    if (diagAbs >= tol * maxAbs) piv = col;
    if (nu + (n - top) > capU || nl + (n - top) > capL) {
      for (let t = top; t < n; t++) x[xi[t]!] = 0;
      return LU_NEED_SPACE;
    }
    const pivot = x[piv]!;
    ud[k] = pivot;
    pinv[piv] = k;
    x[piv] = 0;
    for (let t = top; t < n; t++) {
      const r = xi[t]!;
      const j = pinv[r]!;
      if (r === piv) continue;
      if (j >= 0) {
        ui[nu] = j;
        ux[nu++] = x[r]!;
      } else {
        // Divide (not multiply by 1/pivot): a row equal to the pivot row gets exactly 1 and
        // cancels exactly, so exactly dependent rows end in an exact zero pivot.
        li[nl] = r;
        lx[nl++] = x[r]! / pivot;
      }
      x[r] = 0;
    }
    lp[k + 1] = nl;
    up[k + 1] = nu;
  }
  for (let t = 0; t < nl; t++) li[t] = pinv[li[t]!]!;
  return 0;
}

/**
 * Refactors with the pivot order and structure of an earlier {@link sparseLuFactor} (same
 * pattern of A, new values). x: work of length n, zero on entry and exit.
 *
 * @returns 0, or LU_NEED_PIVOTING when a pivot is zero, not finite or below the threshold (the caller
 *   then factors with a pivot search, which also decides whether the matrix is singular)
 */
export function sparseLuRefactor(
  n: number, ap: Int32Array, ai: Int32Array, ax: Float64Array, q: Int32Array, pinv: Int32Array, tol: number,
  lp: Int32Array, li: Int32Array, lx: Float64Array, up: Int32Array, ui: Int32Array, ux: Float64Array, ud: Float64Array, x: Float64Array,
): number {
  for (let k = 0; k < n; k++) {
    const col = q[k]!;
    let aMax = 0;
    for (let p = ap[col]!; p < ap[col + 1]!; p++) {
      x[pinv[ai[p]!]!] += ax[p]!;
      const v = Math.abs(ax[p]!);
      if (v > aMax) aMax = v;
    }
    const u0 = up[k]!;
    const u1 = up[k + 1]!;
    for (let t = u0; t < u1; t++) {
      const j = ui[t]!;
      const xj = x[j]!;
      ux[t] = xj;
      x[j] = 0;
      if (xj === 0) continue;
      for (let s = lp[j]!, e = lp[j + 1]!; s < e; s++) x[li[s]!] -= lx[s]! * xj;
    }
    const pivot = x[k]!;
    x[k] = 0;
    const l0 = lp[k]!;
    const l1 = lp[k + 1]!;
    let maxAbs = 0;
    let bad = false;
    for (let s = l0; s < l1; s++) {
      const v = Math.abs(x[li[s]!]!);
      if (v > maxAbs) maxAbs = v;
      else if (!(v <= maxAbs)) bad = true;
    }
    const pa = Math.abs(pivot);
    if (bad || !(pa > n * EPS * aMax) || pa === Infinity || pa < tol * maxAbs) {
      for (let s = l0; s < l1; s++) x[li[s]!] = 0;
      return LU_NEED_PIVOTING;
    }
    ud[k] = pivot;
    for (let s = l0; s < l1; s++) {
      const r = li[s]!;
      lx[s] = x[r]! / pivot;
      x[r] = 0;
    }
  }
  return 0;
}

/**
 * Solves A x = b in place with the factors of {@link sparseLuFactor}: b is permuted into pivot
 * order (prow[k] = the original row of pivot k), solved with L then U, and written back through q.
 * w: work of length n.
 */
export function sparseLuSolve(
  n: number, prow: Int32Array, q: Int32Array, lp: Int32Array, li: Int32Array, lx: Float64Array,
  up: Int32Array, ui: Int32Array, ux: Float64Array, ud: Float64Array, b: Float64Array, w: Float64Array,
): void {
  for (let k = 0; k < n; k++) w[k] = b[prow[k]!]!;
  for (let k = 0; k < n; k++) {
    const wk = w[k]!;
    if (wk === 0) continue;
    for (let s = lp[k]!, e = lp[k + 1]!; s < e; s++) w[li[s]!] -= lx[s]! * wk;
  }
  for (let k = n - 1; k >= 0; k--) {
    const wk = w[k]! / ud[k]!;
    w[k] = wk;
    if (wk === 0) continue;
    for (let t = up[k]!, e = up[k + 1]!; t < e; t++) w[ui[t]!] -= ux[t]! * wk;
  }
  for (let k = 0; k < n; k++) b[q[k]!] = w[k]!;
}

/**
 * Complex {@link sparseLuFactor}: A = (axr + i·axi), pivoting on |re| + |im| (as the dense complex
 * LU). Same structure arrays; values in separate real and imaginary arrays.
 */
export function sparseLuFactorComplex(
  n: number, ap: Int32Array, ai: Int32Array, axr: Float64Array, axi: Float64Array, q: Int32Array, tol: number,
  lp: Int32Array, li: Int32Array, lxr: Float64Array, lxi: Float64Array, up: Int32Array, ui: Int32Array, uxr: Float64Array, uxi: Float64Array,
  udr: Float64Array, udi: Float64Array, pinv: Int32Array, xr: Float64Array, xim: Float64Array, xi: Int32Array, stack: Int32Array,
  pstack: Int32Array, flag: Int32Array, capL: number, capU: number,
): number {
  for (let i = 0; i < n; i++) {
    pinv[i] = -1;
    flag[i] = -1;
  }
  let nl = 0;
  let nu = 0;
  lp[0] = 0;
  up[0] = 0;
  for (let k = 0; k < n; k++) {
    const col = q[k]!;
    let top = n;
    for (let p = ap[col]!; p < ap[col + 1]!; p++) {
      const r0 = ai[p]!;
      if (flag[r0] === k) continue;
      let head = 0;
      stack[0] = r0;
      while (head >= 0) {
        const r = stack[head]!;
        const jr = pinv[r]!;
        if (flag[r] !== k) {
          flag[r] = k;
          pstack[head] = jr < 0 ? 0 : lp[jr]!;
        }
        let done = true;
        if (jr >= 0) {
          const end = lp[jr + 1]!;
          for (let t = pstack[head]!; t < end; t++) {
            const c = li[t]!;
            if (flag[c] === k) continue;
            pstack[head] = t + 1;
            stack[++head] = c;
            done = false;
            break;
          }
        }
        if (done) {
          head--;
          xi[--top] = r;
        }
      }
    }
    let aMax = 0;
    for (let p = ap[col]!; p < ap[col + 1]!; p++) {
      xr[ai[p]!] += axr[p]!;
      xim[ai[p]!] += axi[p]!;
      const v = Math.abs(axr[p]!) + Math.abs(axi[p]!);
      if (v > aMax) aMax = v;
    }
    for (let t = top; t < n; t++) {
      const r = xi[t]!;
      const j = pinv[r]!;
      if (j < 0) continue;
      const ar = xr[r]!;
      const aim = xim[r]!;
      if (ar === 0 && aim === 0) continue;
      for (let s = lp[j]!, e = lp[j + 1]!; s < e; s++) {
        const c = li[s]!;
        const lr = lxr[s]!;
        const lim = lxi[s]!;
        xr[c] -= lr * ar - lim * aim;
        xim[c] -= lr * aim + lim * ar;
      }
    }
    let maxAbs = 0;
    let piv = -1;
    let bad = false;
    let diagAbs = -1;
    for (let t = top; t < n; t++) {
      const r = xi[t]!;
      if (pinv[r]! >= 0) continue;
      const v = Math.abs(xr[r]!) + Math.abs(xim[r]!);
      if (v > maxAbs) {
        maxAbs = v;
        piv = r;
      } else if (!(v <= maxAbs)) bad = true;
      if (r === col) diagAbs = v;
    }
    if (bad || piv < 0 || !(maxAbs > n * EPS * aMax) || maxAbs === Infinity) {
      for (let t = top; t < n; t++) {
        xr[xi[t]!] = 0;
        xim[xi[t]!] = 0;
      }
      return k + 1;
    }
    if (diagAbs >= tol * maxAbs) piv = col;
    if (nu + (n - top) > capU || nl + (n - top) > capL) {
      for (let t = top; t < n; t++) {
        xr[xi[t]!] = 0;
        xim[xi[t]!] = 0;
      }
      return LU_NEED_SPACE;
    }
    const pr = xr[piv]!;
    const pim = xim[piv]!;
    udr[k] = pr;
    udi[k] = pim;
    pinv[piv] = k;
    xr[piv] = 0;
    xim[piv] = 0;
    const den = pr * pr + pim * pim;
    for (let t = top; t < n; t++) {
      const r = xi[t]!;
      const j = pinv[r]!;
      if (r === piv) continue;
      const vr = xr[r]!;
      const vi = xim[r]!;
      if (j >= 0) {
        ui[nu] = j;
        uxr[nu] = vr;
        uxi[nu++] = vi;
      } else {
        // v / pivot with one division per part (exactly 1 for v = pivot, as in the real case).
        li[nl] = r;
        lxr[nl] = (vr * pr + vi * pim) / den;
        lxi[nl++] = (vi * pr - vr * pim) / den;
      }
      xr[r] = 0;
      xim[r] = 0;
    }
    lp[k + 1] = nl;
    up[k + 1] = nu;
  }
  for (let t = 0; t < nl; t++) li[t] = pinv[li[t]!]!;
  return 0;
}

/** Complex {@link sparseLuRefactor}. */
export function sparseLuRefactorComplex(
  n: number, ap: Int32Array, ai: Int32Array, axr: Float64Array, axi: Float64Array, q: Int32Array, pinv: Int32Array, tol: number,
  lp: Int32Array, li: Int32Array, lxr: Float64Array, lxi: Float64Array, up: Int32Array, ui: Int32Array, uxr: Float64Array, uxi: Float64Array,
  udr: Float64Array, udi: Float64Array, xr: Float64Array, xim: Float64Array,
): number {
  for (let k = 0; k < n; k++) {
    const col = q[k]!;
    let aMax = 0;
    for (let p = ap[col]!; p < ap[col + 1]!; p++) {
      const r = pinv[ai[p]!]!;
      xr[r] += axr[p]!;
      xim[r] += axi[p]!;
      const v = Math.abs(axr[p]!) + Math.abs(axi[p]!);
      if (v > aMax) aMax = v;
    }
    for (let t = up[k]!, u1 = up[k + 1]!; t < u1; t++) {
      const j = ui[t]!;
      const ar = xr[j]!;
      const aim = xim[j]!;
      uxr[t] = ar;
      uxi[t] = aim;
      xr[j] = 0;
      xim[j] = 0;
      if (ar === 0 && aim === 0) continue;
      for (let s = lp[j]!, e = lp[j + 1]!; s < e; s++) {
        const c = li[s]!;
        const lr = lxr[s]!;
        const lim = lxi[s]!;
        xr[c] -= lr * ar - lim * aim;
        xim[c] -= lr * aim + lim * ar;
      }
    }
    const pr = xr[k]!;
    const pim = xim[k]!;
    xr[k] = 0;
    xim[k] = 0;
    const l0 = lp[k]!;
    const l1 = lp[k + 1]!;
    let maxAbs = 0;
    let bad = false;
    for (let s = l0; s < l1; s++) {
      const r = li[s]!;
      const v = Math.abs(xr[r]!) + Math.abs(xim[r]!);
      if (v > maxAbs) maxAbs = v;
      else if (!(v <= maxAbs)) bad = true;
    }
    const pa = Math.abs(pr) + Math.abs(pim);
    if (bad || !(pa > n * EPS * aMax) || pa === Infinity || pa < tol * maxAbs) {
      for (let s = l0; s < l1; s++) {
        xr[li[s]!] = 0;
        xim[li[s]!] = 0;
      }
      return LU_NEED_PIVOTING;
    }
    udr[k] = pr;
    udi[k] = pim;
    const den = pr * pr + pim * pim;
    for (let s = l0; s < l1; s++) {
      const r = li[s]!;
      const vr = xr[r]!;
      const vi = xim[r]!;
      lxr[s] = (vr * pr + vi * pim) / den;
      lxi[s] = (vi * pr - vr * pim) / den;
      xr[r] = 0;
      xim[r] = 0;
    }
  }
  return 0;
}

/** Complex {@link sparseLuSolve}: (br + i·bi) ← A⁻¹ (br + i·bi). wr, wi: work of length n. */
export function sparseLuSolveComplex(
  n: number, prow: Int32Array, q: Int32Array, lp: Int32Array, li: Int32Array, lxr: Float64Array, lxi: Float64Array,
  up: Int32Array, ui: Int32Array, uxr: Float64Array, uxi: Float64Array, udr: Float64Array, udi: Float64Array,
  br: Float64Array, bi: Float64Array, wr: Float64Array, wi: Float64Array,
): void {
  for (let k = 0; k < n; k++) {
    wr[k] = br[prow[k]!]!;
    wi[k] = bi[prow[k]!]!;
  }
  for (let k = 0; k < n; k++) {
    const ar = wr[k]!;
    const aim = wi[k]!;
    if (ar === 0 && aim === 0) continue;
    for (let s = lp[k]!, e = lp[k + 1]!; s < e; s++) {
      const c = li[s]!;
      const lr = lxr[s]!;
      const lim = lxi[s]!;
      wr[c] -= lr * ar - lim * aim;
      wi[c] -= lr * aim + lim * ar;
    }
  }
  for (let k = n - 1; k >= 0; k--) {
    const dr = udr[k]!;
    const di = udi[k]!;
    const den = dr * dr + di * di;
    const sr = wr[k]!;
    const si = wi[k]!;
    const ar = (sr * dr + si * di) / den;
    const aim = (si * dr - sr * di) / den;
    wr[k] = ar;
    wi[k] = aim;
    if (ar === 0 && aim === 0) continue;
    for (let t = up[k]!, e = up[k + 1]!; t < e; t++) {
      const c = ui[t]!;
      const ur = uxr[t]!;
      const uim = uxi[t]!;
      wr[c] -= ur * ar - uim * aim;
      wi[c] -= ur * aim + uim * ar;
    }
  }
  for (let k = 0; k < n; k++) {
    br[q[k]!] = wr[k]!;
    bi[q[k]!] = wi[k]!;
  }
}

/** The symbolic analysis shared by the real and complex factors of one pattern. */
export interface SparseLuSymbolic {
  readonly n: number;
  /** Column order (fill-reducing, postordered): q[k] = the original column factored k-th. */
  readonly q: Int32Array;
  /** Supernodal structure for the multifrontal numeric factorisation (diagonal pivots). */
  readonly mf: MultifrontalSymbolic;
  /** Estimated strictly-lower (= strictly-upper) entries with diagonal pivots. */
  readonly offDiagonal: number;
  /** Estimated multiply–adds of a factorisation with diagonal pivots. */
  readonly flops: number;
}

/** Above this order, nested dissection is tried beside minimum degree (the cheaper one is kept). */
const ND_MIN_N = 4096;

/**
 * Orders a square pattern (CSC of A) by approximate minimum degree on A + Aᵀ (for n ≥ 4096 also
 * by nested dissection, keeping the order whose factorisation takes fewer operations) and builds
 * the supernodal structure (exact when the pivots stay in their supernode's diagonal block).
 *
 * @example
 * ```ts
 * const sym = analyzeSparseLu(csc); const lu = new SparseLU(csc.ptr, csc.idx, sym, false);
 * ```
 */
export function analyzeSparseLu(csc: SparsePattern): SparseLuSymbolic {
  const adj = symmetricAdjacency(csc);
  let order = amdOrder(adj);
  let chol = symbolicCholesky(adj, order);
  if (csc.n >= ND_MIN_N) {
    const nd = nestedDissectionOrder(adj);
    const ndChol = symbolicCholesky(adj, nd);
    if (ndChol.flops < chol.flops) {
      order = nd;
      chol = ndChol;
    }
  }
  const mf = analyzeMultifrontal(csc, adj, order, chol.parent, chol.counts);
  return { n: csc.n, q: mf.q, mf, offDiagonal: chol.nnzL - csc.n, flops: mf.flops };
}

/** Bytes of a sparse LU's storage for a symbolic analysis (pivoting growth excluded). */
export function sparseLuBytes(sym: SparseLuSymbolic, complex: boolean): number {
  const cap = capacityFor(sym.offDiagonal, sym.n);
  const vals = complex ? 16 : 8;
  const gp = 2 * cap * (4 + vals) + sym.n * (4 * 9 + vals * 3);
  const mf = sym.mf;
  return gp + (complex ? 0 : 8 * (mf.uSize + mf.lSize + mf.maxFront * mf.maxFront + mf.stackSize) + 8 * sym.n);
}

function capacityFor(offDiagonal: number, n: number): number {
  return Math.ceil(offDiagonal * 1.2) + n;
}

/**
 * A sparse LU factorisation of matrices with one fixed pattern (CSC `ap`, `ai`): owns the factors
 * and workspaces. Real matrices go through the multifrontal path (dense fronts, pivots restricted
 * to each supernode's diagonal block) and fall back to the general left-looking factorisation with
 * unrestricted pivoting when a pivot fails the threshold there; complex matrices (and that
 * fallback) use the left-looking one, which factors with a pivot search the first time and
 * refactors numerically in the same pivot order afterwards.
 */
export class SparseLU {
  readonly n: number;
  readonly sym: SparseLuSymbolic;
  readonly complex: boolean;
  /** Factorisations by the multifrontal path, with pivot search, and left-looking refactorisations. */
  numMultifrontal = 0;
  numPivotingFactorizations = 0;
  numRefactorizations = 0;
  private readonly ap: Int32Array;
  private readonly ai: Int32Array;
  private readonly tol: number;
  private capL: number;
  private capU: number;
  private lp: Int32Array;
  private li: Int32Array;
  private lxr: Float64Array;
  private lxi: Float64Array;
  private up: Int32Array;
  private ui: Int32Array;
  private uxr: Float64Array;
  private uxi: Float64Array;
  private readonly udr: Float64Array;
  private readonly udi: Float64Array;
  private readonly pinv: Int32Array;
  private readonly prow: Int32Array;
  private readonly xr: Float64Array;
  private readonly xim: Float64Array;
  private readonly wr: Float64Array;
  private readonly wi: Float64Array;
  private readonly xi: Int32Array;
  private readonly stack: Int32Array;
  private readonly pstack: Int32Array;
  private readonly flag: Int32Array;
  private readonly mfU: Float64Array;
  private readonly mfL: Float64Array;
  private readonly mfPiv: Int32Array;
  private readonly mfFront: Float64Array;
  private readonly mfStack: Float64Array;
  private readonly mfLocal: Int32Array;
  private readonly mfMap: Int32Array;
  private readonly mfGather: Float64Array;
  /** The stored pivot order and structure are valid for left-looking refactorisation. */
  private haveStructure = false;
  /** The current factors are the multifrontal ones. */
  private multifrontal = false;

  constructor(ap: Int32Array, ai: Int32Array, sym: SparseLuSymbolic, complex: boolean, tol = DEFAULT_PIVOT_THRESHOLD) {
    const n = sym.n;
    this.n = n;
    this.ap = ap;
    this.ai = ai;
    this.sym = sym;
    this.complex = complex;
    this.tol = tol;
    this.capL = this.capU = capacityFor(sym.offDiagonal, n);
    this.lp = new Int32Array(n + 1);
    this.up = new Int32Array(n + 1);
    this.li = new Int32Array(this.capL);
    this.ui = new Int32Array(this.capU);
    this.lxr = new Float64Array(this.capL);
    this.uxr = new Float64Array(this.capU);
    const empty = new Float64Array(0);
    this.lxi = complex ? new Float64Array(this.capL) : empty;
    this.uxi = complex ? new Float64Array(this.capU) : empty;
    this.udr = new Float64Array(n);
    this.udi = complex ? new Float64Array(n) : empty;
    this.pinv = new Int32Array(n);
    this.prow = new Int32Array(n);
    this.xr = new Float64Array(n);
    this.xim = complex ? new Float64Array(n) : empty;
    this.wr = new Float64Array(n);
    this.wi = complex ? new Float64Array(n) : empty;
    this.xi = new Int32Array(n);
    this.stack = new Int32Array(n);
    this.pstack = new Int32Array(n);
    this.flag = new Int32Array(n);
    const mf = sym.mf;
    this.mfU = complex ? empty : new Float64Array(mf.uSize);
    this.mfL = complex ? empty : new Float64Array(mf.lSize);
    this.mfPiv = new Int32Array(complex ? 0 : n);
    this.mfFront = complex ? empty : new Float64Array(mf.maxFront * mf.maxFront);
    this.mfStack = complex ? empty : new Float64Array(mf.stackSize);
    this.mfLocal = new Int32Array(complex ? 0 : n);
    this.mfMap = new Int32Array(complex ? 0 : mf.maxFront);
    this.mfGather = complex ? empty : new Float64Array(n);
  }

  /** Entries of L and U (including the diagonal) of the current factors. */
  get nnz(): number {
    return this.multifrontal ? this.sym.mf.nnz : this.lp[this.n]! + this.up[this.n]! + this.n;
  }

  /**
   * Factors the matrix with values `ax` (and `axi` for the complex variant), aligned with the
   * pattern. Returns 0 or k + 1 (singular column k).
   */
  factor(ax: Float64Array, axi?: Float64Array): number {
    if (!this.complex) {
      const r = multifrontalFactor(this.sym.mf, ax, this.tol, this.mfU, this.mfL, this.mfPiv, this.mfFront, this.mfStack, this.mfLocal, this.mfMap, this.mfGather, this.sym.mf.colOf);
      if (r === 0) {
        this.numMultifrontal++;
        this.multifrontal = true;
        return 0;
      }
      this.multifrontal = false;
      if (r !== MF_NEED_PIVOTING) return r;
    }
    if (this.haveStructure && this.refactorOnce(ax, axi) === 0) {
      this.numRefactorizations++;
      return 0;
    }
    for (;;) {
      const r = this.factorOnce(ax, axi);
      if (r !== LU_NEED_SPACE) {
        this.numPivotingFactorizations++;
        this.haveStructure = r === 0;
        if (r === 0) for (let k = 0; k < this.n; k++) this.prow[this.pinv[k]!] = k;
        return r;
      }
      this.grow();
    }
  }

  /** Solves A x = b in place (real variant). */
  solve(b: Float64Array): void {
    if (this.multifrontal) {
      multifrontalSolve(this.sym.mf, this.mfU, this.mfL, this.mfPiv, b, this.wr, this.mfGather);
      return;
    }
    sparseLuSolve(this.n, this.prow, this.sym.q, this.lp, this.li, this.lxr, this.up, this.ui, this.uxr, this.udr, b, this.wr);
  }
  /** Solves A x = b in place (complex variant; b = br + i·bi). */
  solveComplex(br: Float64Array, bi: Float64Array): void {
    sparseLuSolveComplex(this.n, this.prow, this.sym.q, this.lp, this.li, this.lxr, this.lxi, this.up, this.ui, this.uxr, this.uxi,
      this.udr, this.udi, br, bi, this.wr, this.wi);
  }

  private factorOnce(ax: Float64Array, axi: Float64Array | undefined): number {
    const { n, ap, ai, tol, lp, li, up, ui, pinv, xi, stack, pstack, flag } = this;
    if (!this.complex) {
      return sparseLuFactor(n, ap, ai, ax, this.sym.q, tol, lp, li, this.lxr, up, ui, this.uxr, this.udr, pinv, this.xr, xi, stack, pstack, flag,
        this.capL, this.capU);
    }
    return sparseLuFactorComplex(n, ap, ai, ax, axi!, this.sym.q, tol, lp, li, this.lxr, this.lxi, up, ui, this.uxr, this.uxi, this.udr, this.udi,
      pinv, this.xr, this.xim, xi, stack, pstack, flag, this.capL, this.capU);
  }

  private refactorOnce(ax: Float64Array, axi: Float64Array | undefined): number {
    const { n, ap, ai, tol, lp, li, up, ui, pinv } = this;
    if (!this.complex) return sparseLuRefactor(n, ap, ai, ax, this.sym.q, pinv, tol, lp, li, this.lxr, up, ui, this.uxr, this.udr, this.xr);
    return sparseLuRefactorComplex(n, ap, ai, ax, axi!, this.sym.q, pinv, tol, lp, li, this.lxr, this.lxi, up, ui, this.uxr, this.uxi,
      this.udr, this.udi, this.xr, this.xim);
  }

  /** Doubles the room for L and U (pivoting made more fill than the symbolic estimate). */
  private grow(): void {
    const n = this.n;
    const cap = Math.min(2 * this.capL + n, n * n);
    this.capL = this.capU = cap;
    this.li = new Int32Array(cap);
    this.ui = new Int32Array(cap);
    this.lxr = new Float64Array(cap);
    this.uxr = new Float64Array(cap);
    if (this.complex) {
      this.lxi = new Float64Array(cap);
      this.uxi = new Float64Array(cap);
    }
  }
}
