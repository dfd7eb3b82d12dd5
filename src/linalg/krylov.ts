/**
 * Restarted flexible GMRES (FGMRES) for A x = b with right preconditioning and diagonal scaling,
 * the Krylov method of CVODE's SPGMR/SPFGMR in SUNDIALS (A. C. Hindmarsh et al., "SUNDIALS: Suite
 * of nonlinear and differential/algebraic equation solvers", ACM TOMS 31(3) (2005) 363–396, §3).
 *
 * With D = diag(w) (the error weights 1/(atol + rtol |y_i|)) and a preconditioner P ≈ A, GMRES
 * runs on the scaled, right-preconditioned system (D A P⁻¹ D⁻¹) u = D b, x = P⁻¹ D⁻¹ u, so that the
 * residual it minimises is the weighted one and the stopping test ‖D (b − A x)‖₂ / √n ≤ tol is in
 * the solver's own norm. The flexible form stores z_j = P⁻¹ D⁻¹ v_j (Y. Saad, "A flexible
 * inner-outer preconditioned GMRES algorithm", SIAM J. Sci. Comput. 14(2) (1993) 461–469), which
 * allows a preconditioner that changes between iterations (an iterative user `psolve`) and
 * spares one preconditioner solve at the end. Orthogonalisation: modified Gram–Schmidt; the
 * Hessenberg least-squares problem is updated with Givens rotations (Saad, *Iterative Methods for
 * Sparse Linear Systems*, 2nd ed., SIAM (2003), Algorithms 6.9 and 9.6).
 *
 * Status: {@link GMRES_CONVERGED}; {@link GMRES_REDUCED} when the iteration limit was reached with
 * the residual reduced but not below tol; {@link GMRES_FAILED} when it was not reduced at all, the
 * preconditioner failed or a value was not finite. Nothing allocates after the workspace.
 */

export const GMRES_CONVERGED = 0;
export const GMRES_REDUCED = 1;
export const GMRES_FAILED = 2;

/** Workspace of {@link fgmres} for systems of order up to n with up to maxl iterations per cycle. */
export class GmresWorkspace {
  readonly n: number;
  readonly maxl: number;
  /** Krylov basis V (maxl + 1 vectors) and preconditioned directions Z (maxl vectors), row-major. */
  readonly V: Float64Array;
  readonly Z: Float64Array;
  /** Hessenberg matrix, (maxl + 1) × maxl row-major; Givens cosines, sines; right-hand side g. */
  readonly H: Float64Array;
  readonly cs: Float64Array;
  readonly sn: Float64Array;
  readonly g: Float64Array;
  readonly yv: Float64Array;
  /** Scratch vectors of length n. */
  readonly t1: Float64Array;
  readonly t2: Float64Array;
  /** After a call: [iterations, final weighted RMS residual, initial weighted RMS residual]. */
  readonly info = new Float64Array(3);
  constructor(n: number, maxl: number) {
    this.n = n;
    this.maxl = maxl;
    this.V = new Float64Array((maxl + 1) * n);
    this.Z = new Float64Array(maxl * n);
    this.H = new Float64Array((maxl + 1) * maxl);
    this.cs = new Float64Array(maxl);
    this.sn = new Float64Array(maxl);
    this.g = new Float64Array(maxl + 1);
    this.yv = new Float64Array(maxl);
    this.t1 = new Float64Array(n);
    this.t2 = new Float64Array(n);
  }
  /** Bytes of a workspace. */
  static bytes(n: number, maxl: number): number {
    return 8 * ((2 * maxl + 3) * n + (maxl + 1) * maxl + 4 * maxl + 4);
  }
}

/** y = A x, x read from x[xOff … xOff + n) (y of length n, not aliasing x). */
export type LinearOperator = (x: Float64Array, xOff: number, y: Float64Array) => void;
/** z[zOff … zOff + n) = P⁻¹ r; returns 0, or non-zero when the preconditioner failed. */
export type Preconditioner = (r: Float64Array, z: Float64Array, zOff: number) => number;

/**
 * Solves A x = b by restarted FGMRES(maxl) with at most `restarts` restarts; x is overwritten
 * (initial guess 0). `w`: weights of the residual norm; `tol`: bound on ‖w ∘ (b − A x)‖₂ / √n.
 * Operates on the first `n` entries of the workspace's vectors (n ≤ ws.n).
 *
 * @returns GMRES_CONVERGED, GMRES_REDUCED or GMRES_FAILED; ws.info holds iterations and residuals
 */
export function fgmres(
  n: number, A: LinearOperator, P: Preconditioner | null, b: Float64Array, x: Float64Array, w: Float64Array,
  tol: number, restarts: number, ws: GmresWorkspace,
): number {
  const { V, Z, H, cs, sn, g, yv, t1, t2, info } = ws;
  const maxl = ws.maxl;
  const m1 = maxl;
  const sqrtN = Math.sqrt(n);
  for (let i = 0; i < n; i++) {
    x[i] = 0;
    V[i] = w[i]! * b[i]!;
  }
  let beta = norm2(n, V, 0);
  const beta0 = beta;
  info[0] = 0;
  info[1] = beta / sqrtN;
  info[2] = beta / sqrtN;
  if (!(beta === beta) || beta === Infinity) return GMRES_FAILED;
  if (beta / sqrtN <= tol) return GMRES_CONVERGED;
  let iters = 0;
  let status = -1;
  for (let cycle = 0; cycle <= restarts && status < 0; cycle++) {
    const inv = 1 / beta;
    for (let i = 0; i < n; i++) V[i] *= inv;
    g[0] = beta;
    for (let i = 1; i <= maxl; i++) g[i] = 0;
    let j = 0;
    let res = beta;
    let breakdown = false;
    for (; j < maxl; j++) {
      iters++;
      // z_j = P⁻¹ D⁻¹ v_j; t2 = D A z_j.
      const vj = j * n;
      for (let i = 0; i < n; i++) t1[i] = V[vj + i]! / w[i]!;
      if (P === null) {
        for (let i = 0; i < n; i++) Z[vj + i] = t1[i]!;
      } else if (P(t1, Z, vj) !== 0) {
        status = GMRES_FAILED;
        break;
      }
      A(Z, vj, t2);
      for (let i = 0; i < n; i++) t2[i] *= w[i]!;
      // Modified Gram–Schmidt against v_0 … v_j.
      for (let k = 0; k <= j; k++) {
        const vk = k * n;
        let h = 0;
        for (let i = 0; i < n; i++) h += t2[i]! * V[vk + i]!;
        H[k * m1 + j] = h;
        for (let i = 0; i < n; i++) t2[i] -= h * V[vk + i]!;
      }
      const hn = norm2(n, t2, 0);
      H[(j + 1) * m1 + j] = hn;
      if (!(hn === hn) || hn === Infinity) {
        status = GMRES_FAILED;
        break;
      }
      const vn = (j + 1) * n;
      if (hn > 0) {
        const ih = 1 / hn;
        for (let i = 0; i < n; i++) V[vn + i] = t2[i]! * ih;
      } else breakdown = true;
      // Apply the previous rotations to column j, then a new one to zero H[j+1, j].
      for (let k = 0; k < j; k++) {
        const a = H[k * m1 + j]!;
        const bb = H[(k + 1) * m1 + j]!;
        H[k * m1 + j] = cs[k]! * a + sn[k]! * bb;
        H[(k + 1) * m1 + j] = -sn[k]! * a + cs[k]! * bb;
      }
      const a = H[j * m1 + j]!;
      const r = Math.hypot(a, hn);
      if (r === 0) {
        cs[j] = 1;
        sn[j] = 0;
      } else {
        cs[j] = a / r;
        sn[j] = hn / r;
      }
      H[j * m1 + j] = r;
      H[(j + 1) * m1 + j] = 0;
      g[j + 1] = -sn[j]! * g[j]!;
      g[j] = cs[j]! * g[j]!;
      res = Math.abs(g[j + 1]!);
      if (res / sqrtN <= tol || breakdown) {
        j++;
        break;
      }
    }
    if (status >= 0) break;
    // y = H⁻¹ g (upper triangular j × j), x += Z y.
    for (let k = j - 1; k >= 0; k--) {
      let s = g[k]!;
      for (let c = k + 1; c < j; c++) s -= H[k * m1 + c]! * yv[c]!;
      const d = H[k * m1 + k]!;
      yv[k] = d === 0 ? 0 : s / d;
    }
    for (let k = 0; k < j; k++) {
      const c = yv[k]!;
      if (c === 0) continue;
      const zk = k * n;
      for (let i = 0; i < n; i++) x[i] += c * Z[zk + i]!;
    }
    info[1] = res / sqrtN;
    if (res / sqrtN <= tol) status = GMRES_CONVERGED;
    else if (cycle < restarts && !breakdown) {
      // Restart from the true residual: v_0 = D (b − A x).
      A(x, 0, t2);
      for (let i = 0; i < n; i++) V[i] = w[i]! * (b[i]! - t2[i]!);
      beta = norm2(n, V, 0);
      info[1] = beta / sqrtN;
      if (!(beta === beta) || beta === Infinity) status = GMRES_FAILED;
      else if (beta / sqrtN <= tol) status = GMRES_CONVERGED;
    }
  }
  if (status < 0) status = info[1]! * sqrtN < beta0 * (1 - 1e-12) ? GMRES_REDUCED : GMRES_FAILED;
  info[0] = iters;
  if (status === GMRES_FAILED) for (let i = 0; i < n; i++) x[i] = 0;
  return status;
}

/** ‖v[off … off + n)‖₂, scaled to avoid overflow. */
function norm2(n: number, v: Float64Array, off: number): number {
  let scale = 0;
  for (let i = 0; i < n; i++) {
    const a = Math.abs(v[off + i]!);
    if (a > scale) scale = a;
    else if (!(a <= scale)) return NaN;
  }
  if (scale === 0 || scale === Infinity) return scale;
  let s = 0;
  const inv = 1 / scale;
  for (let i = 0; i < n; i++) {
    const r = v[off + i]! * inv;
    s += r * r;
  }
  return scale * Math.sqrt(s);
}
