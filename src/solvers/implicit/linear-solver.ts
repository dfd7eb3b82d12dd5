/**
 * The linear-solver protocol of the implicit solvers: every method solves systems with the
 * iteration matrix W = α M − J (J = ∂f/∂y, M the mass matrix, α = 1/(γ dt)), and RADAU5 also
 * with the complex (α_r + i α_i) M − J. A {@link LinearSolver} owns what that takes, in one of four
 * ways that share this interface:
 *
 * - `"dense"`: J and W as n × n arrays, LU with partial pivoting (direct-solvers.ts);
 * - `"banded"`: band storage and band LU;
 * - `"sparse"`: J on its sparsity pattern, sparse LU with a fill-reducing order, symbolic analysis
 *   once, numeric refactorisation afterwards;
 * - `"gmres"`: matrix-free restarted FGMRES with J·v from a JVP or one difference of f, and a
 *   preconditioner (ILU(0), block-Jacobi, or the user's own psetup/psolve as in CVODE; krylov-solver.ts).
 *
 * J itself lives in the solver's {@link JacobianStore} (its layout: dense, band, compressed sparse
 * or block-diagonal); iteration-matrix.ts fills it from the user's Jacobian, a compiled one or
 * finite differences, and calls `setup` when α or J changed, `solve` in the Newton iterations.
 * Everything is allocated when the solver is made; `setup` and `solve` allocate nothing.
 *
 * Reuse of a stale factorisation: a Newton iteration converges with a W for a different α, so
 * solvers built with `staleOk` keep a sparse factorisation while 1/2 ≤ α/α_W ≤ 2 and J is
 * unchanged (CVODE's rule, with CVODE's 30% widened to a factor 2: a sparse factorisation costs
 * tens of solves), scaling each solution by 2 α_W/(α + α_W), the factor that centres the spectrum
 * of W(α_W)⁻¹ W(α) on 1 (CVODE's 2/(1 + γ_ratio)): the Newton iteration then still contracts by
 * |α − α_W|/(α + α_W) ≤ 1/3 per iteration. Dense and banded factorisations are cheap and always redone; Krylov solvers apply W(α)
 * exactly and only reuse their preconditioner (same window). Rosenbrock methods and Radau need W
 * for the current α exactly.
 * Reference: A. C. Hindmarsh et al., "SUNDIALS: Suite of nonlinear and differential/algebraic
 * equation solvers", ACM TOMS 31(3) (2005) 363–396, §2.1.
 */

import { RESULTS } from "../../results.js";

/** Status codes shared by the implicit solvers' `step` (the RESULTS codes the loop reports). */
export { STEP_NEWTON_FAILED as STATUS_NEWTON_FAILED, STEP_SINGULAR as STATUS_SINGULAR } from "../solver.js";
/** Status of a step whose Krylov linear solver did not converge. */
export const STATUS_LINEAR_FAILED = RESULTS.linearSolverFailed;

/** Largest ratio α/α_W (or α_W/α) for which a stale factorisation or preconditioner is kept. */
export const MAX_STALE_ALPHA_RATIO = 2;

/** The linear solvers one can ask for. */
export type LinearSolverName = "auto" | "dense" | "banded" | "sparse" | "gmres";

/** Built-in preconditioners of the `"gmres"` linear solver. */
export type PreconditionerName = "ilu0" | "block-jacobi" | "none";

/**
 * A user preconditioner for `linearSolver: "gmres"`, as CVODE's `psetup`/`psolve`: P approximates
 * M − γ J (the identity M for plain ODEs), with γ = 1/α the step-size-scaled coefficient. Both
 * functions receive the point (t, y) where the Jacobian was last evaluated and fy = f(t, y).
 */
export interface UserPreconditioner<A = any> {
  /**
   * Prepares P for a new γ (or a new Jacobian point). `jok` is true when only γ changed and any
   * Jacobian data saved by the last call may be reused. Optional.
   */
  psetup?(t: number, y: Float64Array, fy: Float64Array, jok: boolean, gamma: number, args: A): void;
  /**
   * Writes z ≈ P⁻¹ r. `delta` bounds the weighted RMS residual an iterative psolve should reach.
   * Return nothing (or 0) on success, a non-zero number when it failed (the step is retried smaller).
   */
  psolve(t: number, y: Float64Array, fy: Float64Array, r: Float64Array, z: Float64Array, gamma: number, delta: number, args: A): number | void;
}

/** Options of the `"gmres"` linear solver. */
export interface KrylovOptions {
  /** Krylov dimension: iterations per GMRES cycle. @defaultValue 30 */
  maxIters?: number;
  /** Restarts after the first cycle. @defaultValue 1 */
  restarts?: number;
  /** Ratio of the linear to the Newton tolerance (CVODE's eplifac). @defaultValue 0.05 */
  epsLin?: number;
}

/** Where a linear solver keeps J, and how entry (i, j) maps into it. */
export interface JacobianStore {
  /** The stored entries (layout private to the store). */
  readonly values: Float64Array;
  /** Position of entry (i, j) in `values`, or −1 when the layout does not hold it. */
  position(i: number, j: number): number;
  /** ‖J‖∞, the largest absolute row sum of the stored entries. */
  normInf(): number;
}

/** Counters a linear solver adds to the solve's statistics. */
export interface LinearSolverCounters {
  numLUDecompositions: number;
  [name: string]: number;
}

/**
 * One way of solving with W = α M − J: what iteration-matrix.ts calls. All methods return 0 or a
 * STATUS code; none allocates.
 */
export interface LinearSolver {
  readonly kind: "dense" | "banded" | "sparse" | "gmres";
  /** Where J is stored; null for a matrix-free solver that needs no stored Jacobian. */
  readonly jac: JacobianStore | null;
  /** Bytes of matrices and workspaces. */
  readonly bytes: number;
  /**
   * Prepares solves with W = α M − J: factors, refactors or sets up the preconditioner as its
   * policy says. `jacChanged`: J was re-evaluated since the last call.
   */
  setup(alpha: number, jacChanged: boolean): number;
  /** b ← W⁻¹ b (to the Krylov tolerance for `"gmres"`). */
  solve(b: Float64Array): number;
  /** Prepares solves with the complex matrix (ar + i·ai) M − J (RadauIIA5). */
  setupComplex(ar: number, ai: number, jacChanged: boolean): number;
  /** (br + i·bi) ← ((ar + i·ai) M − J)⁻¹ (br + i·bi). */
  solveComplex(br: Float64Array, bi: Float64Array): number;
  /** Adds the solver's counters to `out`. */
  counters(out: LinearSolverCounters): void;
  /** b ← W⁻ᵀ b with the current real factors (the discrete adjoints); direct solvers only. */
  solveTransposed?(b: Float64Array): number;
  /** Storage for copies of the real factors (the discrete adjoints); direct solvers only. */
  factorCopy?(): FactorCopy;
}

/**
 * A copy of a direct solver's real factors of W: `keep` copies the factors the solver holds now,
 * after which `solve` and `solveTransposed` use the copy whatever the solver factors next.
 */
export interface FactorCopy {
  keep(): void;
  /** b ← W⁻¹ b. */
  solve(b: Float64Array): void;
  /** b ← W⁻ᵀ b. */
  solveTransposed(b: Float64Array): void;
}

/** Where the mass matrix's entries (or the identity's diagonal) go in a store's layout. */
export interface MassLayout {
  /** Positions of the diagonal (identity mass matrix), or null. */
  readonly diag: Int32Array | null;
  /** Positions and values of the mass matrix's non-zero entries (when it is not the identity). */
  readonly pos: Int32Array;
  readonly val: Float64Array;
}

/** The mass matrix (null: identity) laid out for a store: positions of its entries. */
export function massLayout(store: Pick<JacobianStore, "position">, n: number, mass: Float64Array | null, massRows: readonly (readonly number[])[] | null): MassLayout {
  if (mass === null) {
    const diag = new Int32Array(n);
    for (let i = 0; i < n; i++) diag[i] = store.position(i, i);
    return { diag, pos: new Int32Array(0), val: new Float64Array(0) };
  }
  const pos: number[] = [];
  const val: number[] = [];
  for (let i = 0; i < n; i++) {
    for (const j of massRows![i]!) {
      const p = store.position(i, j);
      if (p >= 0) {
        pos.push(p);
        val.push(mass[i * n + j]!);
      }
    }
  }
  return { diag: null, pos: Int32Array.from(pos), val: Float64Array.from(val) };
}

/**
 * W = α M − J over a whole store (`len` entries; W and J in the same layout), M given by its
 * layout. A kernel: plain loops, no allocation.
 */
export function formIterationMatrix(len: number, W: Float64Array, J: Float64Array, alpha: number, m: MassLayout): void {
  for (let k = 0; k < len; k++) W[k] = -J[k]!;
  const diag = m.diag;
  if (diag !== null) {
    for (let i = 0; i < diag.length; i++) {
      const p = diag[i]!;
      if (p >= 0) W[p] += alpha;
    }
    return;
  }
  const { pos, val } = m;
  for (let k = 0; k < pos.length; k++) W[pos[k]!] += alpha * val[k]!;
}

/** Imaginary part (ai M) of the complex iteration matrix, in a store's layout. */
export function formImaginaryPart(len: number, Wi: Float64Array, ai: number, m: MassLayout): void {
  for (let k = 0; k < len; k++) Wi[k] = 0;
  const diag = m.diag;
  if (diag !== null) {
    for (let i = 0; i < diag.length; i++) {
      const p = diag[i]!;
      if (p >= 0) Wi[p] = ai;
    }
    return;
  }
  const { pos, val } = m;
  for (let k = 0; k < pos.length; k++) Wi[pos[k]!] += ai * val[k]!;
}

/** Whether a stale factorisation for αW still serves α (see the module comment). */
export function keepStale(staleOk: boolean, jacChanged: boolean, alpha: number, alphaW: number): boolean {
  if (!staleOk || jacChanged || !(alphaW === alphaW)) return false;
  const r = alpha / alphaW;
  return r <= MAX_STALE_ALPHA_RATIO && r * MAX_STALE_ALPHA_RATIO >= 1;
}
