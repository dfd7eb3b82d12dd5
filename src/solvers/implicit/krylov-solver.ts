/**
 * The matrix-free Krylov linear solver of the protocol (linear-solver.ts): W = α M − J is applied
 * as α M v − J v, with J·v from the compiled JVP or one forward difference of f at the point where
 * the Jacobian was last "evaluated" (CVODE's difference quotient: increment σ = 1/‖v‖_WRMS, so the
 * perturbation has the size of the error tolerance), and solved by restarted FGMRES (krylov.ts)
 * with right preconditioning:
 *
 * - `"ilu0"`: ILU(0) of α_P M − J on the pattern of J (J by coloured finite differences or the
 *   compiled sparse Jacobian);
 * - `"block-jacobi"`: LU of the diagonal blocks of α_P M − J, blocks of `blockSize`;
 * - a user {@link UserPreconditioner} (CVODE's psetup/psolve, for P ≈ M − γ J, γ = 1/α; its
 *   solution is scaled by γ to approximate W⁻¹);
 * - `"none"`.
 *
 * The preconditioner is set up again when J changed or α moved outside [α_P/2, 2 α_P] (CVODE's
 * rule, widened; see linear-solver.ts); W itself is always applied with the current α. Tolerances as CVODE's: the linear
 * residual ‖D (b − W x)‖_RMS must fall below ε_lin · (Newton tolerance) · α (ε_lin = 0.05,
 * `krylov.epsLin`), so that the error the solve leaves in the Newton correction is ε_lin times
 * the Newton tolerance. A cycle of `krylov.maxIters` iterations restarts `krylov.restarts` times;
 * inside a Newton iteration a solve that only reduced the residual is accepted (the Newton test
 * judges it, as in CVODE), elsewhere (Rosenbrock stages) it is a failure.
 *
 * RADAU5's complex system ((α_r + i α_i) M − J) z = r runs as the real system of order 2n
 * [α_r M − J, −α_i M; α_i M, α_r M − J] [z_r; z_i] = [r_r; r_i], preconditioned block-diagonally by
 * the real preconditioner (set up for RADAU5's real eigenvalue): for eigenvalues λ ≤ 0 of J the
 * preconditioned spectrum ((α_r + i α_i) − λ)/(α_P − λ) stays in a small region around 1.
 */
import { fgmres, GMRES_CONVERGED, GMRES_FAILED, GMRES_REDUCED, GmresWorkspace } from "../../linalg/krylov.js";
import { blockLuFactor, blockLuSolve, ilu0Factor, ilu0Solve } from "../../linalg/preconditioners.js";
import type { SparsePattern } from "../../linalg/sparse-pattern.js";
import { BlockStore, CompressedStore } from "./jacobian-stores.js";
import {
  formIterationMatrix, keepStale, type KrylovOptions, type LinearSolver, type LinearSolverCounters, type MassLayout,
  type PreconditionerName, STATUS_LINEAR_FAILED, type UserPreconditioner,
} from "./linear-solver.js";

/** out = J v[vOff … vOff + n) at the linearisation point. */
export type JacobianVectorProduct = (v: Float64Array, vOff: number, out: Float64Array) => void;
/** out = M v[vOff … vOff + n) (a copy for the identity). */
export type MassProduct = (v: Float64Array, vOff: number, out: Float64Array) => void;

/** The point the Jacobian is taken at: t (in t[0]), y and f(t, y). */
export interface LinearizationPoint {
  readonly t: Float64Array;
  readonly y: Float64Array;
  readonly fy: Float64Array;
}

/** Everything a {@link GmresSolver} is made from. */
export interface GmresConfig {
  n: number;
  preconditioner: PreconditionerName | UserPreconditioner;
  /** CSR pattern of J ∪ diagonal ∪ M, for ILU(0). */
  pattern: SparsePattern | null;
  blockSize: number;
  krylov: Required<KrylovOptions>;
  jv: JacobianVectorProduct;
  massMul: MassProduct;
  lin: LinearizationPoint;
  args: unknown;
  mass: (store: CompressedStore | BlockStore) => MassLayout;
  complex: boolean;
  /** A Newton iteration surrounds the solves: a reduced but unconverged residual is acceptable. */
  newton: boolean;
}

/** Bytes of a GMRES solver's workspaces (without the stored J). */
export function gmresBytes(n: number, maxl: number, complex: boolean): number {
  return GmresWorkspace.bytes(complex ? 2 * n : n, maxl) + 8 * n * (complex ? 8 : 3);
}

/** Matrix-free FGMRES with a preconditioner; see the module comment. */
export class GmresSolver implements LinearSolver {
  readonly kind = "gmres";
  readonly jac: CompressedStore | BlockStore | null;
  readonly bytes: number;
  /** Weights of the residual norm (1/(atol + rtol |y|)), set by the owner before solves. */
  weights: Float64Array;
  /** Newton tolerance the linear tolerance is tied to (set by the owner). */
  newtonTol = 1e-3;
  private readonly n: number;
  private readonly cfg: GmresConfig;
  private readonly ws: GmresWorkspace;
  private readonly x: Float64Array;
  private readonly rhs2: Float64Array;
  private readonly w2: Float64Array;
  private readonly tA: Float64Array;
  private readonly tB: Float64Array;
  private readonly mA: Float64Array;
  private readonly mB: Float64Array;
  private readonly Wx: Float64Array;
  private readonly piv: Int32Array;
  private readonly iw: Int32Array;
  private readonly diagPos: Int32Array;
  private readonly massLayout: MassLayout | null;
  private readonly zViews: Float64Array[];
  private readonly zViews2: Float64Array[];
  private readonly rView0: Float64Array;
  private readonly rView1: Float64Array;
  private readonly applyReal: (x: Float64Array, xOff: number, y: Float64Array) => void;
  private readonly applyComplex: (x: Float64Array, xOff: number, y: Float64Array) => void;
  private readonly precReal: ((r: Float64Array, z: Float64Array, zOff: number) => number) | null;
  private readonly precComplex: ((r: Float64Array, z: Float64Array, zOff: number) => number) | null;
  private alpha = NaN;
  private alphaP = NaN;
  private ar = 0;
  private ai = 0;
  private numPrecSetups = 0;
  private numPrecSolves = 0;
  private numLinearIterations = 0;
  private numLinearConvFailures = 0;
  private numJacVecProducts = 0;
  private numPrecBreakdowns = 0;

  constructor(cfg: GmresConfig) {
    const n = cfg.n;
    this.n = n;
    this.cfg = cfg;
    const N = cfg.complex ? 2 * n : n;
    const maxl = cfg.krylov.maxIters;
    this.ws = new GmresWorkspace(N, maxl);
    this.x = new Float64Array(N);
    this.rhs2 = new Float64Array(cfg.complex ? N : 0);
    this.w2 = new Float64Array(cfg.complex ? N : 0);
    this.weights = new Float64Array(n).fill(1);
    this.tA = new Float64Array(n);
    this.tB = new Float64Array(n);
    this.mA = new Float64Array(n);
    this.mB = new Float64Array(n);
    const p = cfg.preconditioner;
    let jac: CompressedStore | BlockStore | null = null;
    if (p === "ilu0") jac = new CompressedStore(cfg.pattern!, true);
    else if (p === "block-jacobi") jac = new BlockStore(n, cfg.blockSize);
    this.jac = jac;
    this.Wx = new Float64Array(jac === null ? 0 : jac.values.length);
    this.piv = new Int32Array(p === "block-jacobi" ? n : 0);
    this.iw = new Int32Array(p === "ilu0" ? n : 0).fill(-1);
    this.diagPos = new Int32Array(p === "ilu0" ? n : 0);
    if (p === "ilu0") for (let i = 0; i < n; i++) this.diagPos[i] = (jac as CompressedStore).position(i, i);
    this.massLayout = jac === null ? null : cfg.mass(jac);
    this.zViews = [];
    this.zViews2 = [];
    for (let j = 0; j < maxl; j++) {
      this.zViews.push(this.ws.Z.subarray(j * n, j * n + n));
      if (cfg.complex) {
        this.zViews2.push(this.ws.Z.subarray(j * N, j * N + n), this.ws.Z.subarray(j * N + n, j * N + N));
      }
    }
    this.rView0 = this.ws.t1.subarray(0, n);
    this.rView1 = this.ws.t1.subarray(n, N);
    this.bytes = gmresBytes(n, maxl, cfg.complex) + (jac === null ? 0 : 16 * jac.values.length);

    const { jv, massMul } = cfg;
    this.applyReal = (x, xOff, y) => {
      this.numJacVecProducts++;
      jv(x, xOff, y);
      massMul(x, xOff, this.mA);
      const a = this.alpha;
      const mA = this.mA;
      for (let i = 0; i < n; i++) y[i] = a * mA[i]! - y[i]!;
    };
    this.applyComplex = (x, xOff, y) => {
      this.numJacVecProducts += 2;
      const { tA, tB, mA, mB, ar, ai } = this;
      jv(x, xOff, tA);
      jv(x, xOff + n, tB);
      massMul(x, xOff, mA);
      massMul(x, xOff + n, mB);
      for (let i = 0; i < n; i++) {
        y[i] = ar * mA[i]! - ai * mB[i]! - tA[i]!;
        y[n + i] = ai * mA[i]! + ar * mB[i]! - tB[i]!;
      }
    };
    this.precReal = p === "none" ? null : (r, z, zOff) => this.precondition(r, r, 0, z, zOff, this.zViews[zOff / n]!);
    this.precComplex = p === "none" ? null : (r, z, zOff) => {
      const j = zOff / N;
      const s0 = this.precondition(this.rView0, r, 0, z, zOff, this.zViews2[2 * j]!);
      return s0 !== 0 ? s0 : this.precondition(this.rView1, r, n, z, zOff + n, this.zViews2[2 * j + 1]!);
    };
  }

  /**
   * z[zOff … zOff + n) = P⁻¹ r[rOff … rOff + n); `rView` and `zView` are those slices as arrays of
   * length n (what a user psolve receives).
   */
  private precondition(rView: Float64Array, r: Float64Array, rOff: number, z: Float64Array, zOff: number, zView: Float64Array): number {
    this.numPrecSolves++;
    const n = this.n;
    const p = this.cfg.preconditioner;
    if (p === "ilu0" || p === "block-jacobi") {
      for (let i = 0; i < n; i++) z[zOff + i] = r[rOff + i]!;
      if (p === "ilu0") {
        const pat = (this.jac as CompressedStore).pattern;
        ilu0Solve(n, pat.ptr, pat.idx, this.diagPos, this.Wx, z, zOff);
      } else blockLuSolve(n, this.cfg.blockSize, this.Wx, this.piv, z, zOff);
      return 0;
    }
    const user = p as UserPreconditioner;
    const { lin, args } = this.cfg;
    const gamma = 1 / this.alpha;
    const status = user.psolve(lin.t[0]!, lin.y, lin.fy, rView, zView, gamma, this.cfg.krylov.epsLin * this.newtonTol, args);
    if (typeof status === "number" && status !== 0) return status;
    for (let i = 0; i < n; i++) z[zOff + i] *= gamma;
    return 0;
  }

  setup(alpha: number, jacChanged: boolean): number {
    this.alpha = alpha;
    if (keepStale(true, jacChanged, alpha, this.alphaP)) return 0;
    this.alphaP = alpha;
    this.numPrecSetups++;
    const p = this.cfg.preconditioner;
    if (p === "none") return 0;
    if (p === "ilu0" || p === "block-jacobi") {
      const jac = this.jac!;
      formIterationMatrix(this.Wx.length, this.Wx, jac.values, alpha, this.massLayout!);
      const r = p === "ilu0"
        ? ilu0Factor(this.n, (jac as CompressedStore).pattern.ptr, (jac as CompressedStore).pattern.idx, this.diagPos, this.Wx, this.iw)
        : blockLuFactor(this.n, this.cfg.blockSize, this.Wx, this.piv);
      if (r !== 0) {
        // A zero pivot (W singular, or an incomplete factorisation that broke down): a smaller step
        // (larger α) may cure it; going on unpreconditioned could let GMRES wander in W's null space.
        this.alphaP = NaN;
        this.numPrecBreakdowns++;
        return STATUS_LINEAR_FAILED;
      }
      return 0;
    }
    const user = p as UserPreconditioner;
    if (typeof user.psetup === "function") {
      const { lin, args } = this.cfg;
      user.psetup(lin.t[0]!, lin.y, lin.fy, !jacChanged, 1 / alpha, args);
    }
    return 0;
  }

  solve(b: Float64Array): number {
    const n = this.n;
    const status = fgmres(n, this.applyReal, this.precReal, b, this.x, this.weights,
      this.cfg.krylov.epsLin * this.newtonTol * this.alpha, this.cfg.krylov.restarts, this.ws);
    return this.finish(status, b, n);
  }

  setupComplex(ar: number, ai: number): number {
    this.ar = ar;
    this.ai = ai;
    return 0;
  }

  solveComplex(br: Float64Array, bi: Float64Array): number {
    const n = this.n;
    const { rhs2, w2, weights } = this;
    for (let i = 0; i < n; i++) {
      rhs2[i] = br[i]!;
      rhs2[n + i] = bi[i]!;
      w2[i] = weights[i]!;
      w2[n + i] = weights[i]!;
    }
    const status = fgmres(2 * n, this.applyComplex, this.precComplex, rhs2, this.x, w2,
      this.cfg.krylov.epsLin * this.newtonTol * Math.hypot(this.ar, this.ai), this.cfg.krylov.restarts, this.ws);
    const r = this.finish(status, rhs2, 2 * n);
    for (let i = 0; i < n; i++) {
      br[i] = rhs2[i]!;
      bi[i] = rhs2[n + i]!;
    }
    return r;
  }

  private finish(status: number, b: Float64Array, len: number): number {
    this.numLinearIterations += this.ws.info[0]!;
    if (status !== GMRES_CONVERGED) this.numLinearConvFailures++;
    if (status === GMRES_FAILED || (status === GMRES_REDUCED && !this.cfg.newton)) return STATUS_LINEAR_FAILED;
    const x = this.x;
    for (let i = 0; i < len; i++) b[i] = x[i]!;
    return 0;
  }

  counters(out: LinearSolverCounters): void {
    out.numLUDecompositions += this.numPrecSetups;
    out.numLinearIterations = this.numLinearIterations;
    out.numLinearConvFailures = this.numLinearConvFailures;
    out.numJacVecProducts = this.numJacVecProducts;
    out.numPrecSolves = this.numPrecSolves;
    if (this.numPrecBreakdowns > 0) out.numPrecBreakdowns = this.numPrecBreakdowns;
  }
}
