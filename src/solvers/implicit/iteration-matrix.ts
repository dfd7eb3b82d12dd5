/**
 * The linear algebra every implicit solver shares: the Jacobian J = ∂f/∂y (from the user's or the
 * compiler's Jacobian, else finite differences, coloured when a sparsity pattern is known or was
 * detected), the iteration matrix W = α M − J (M the mass matrix, identity by default) and solves
 * with it, through one of the linear solvers of linear-solver.ts (dense, banded, sparse or GMRES).
 *
 * Choosing the linear solver (`linearSolver: "auto"`, the default):
 * - a user preconditioner given → `"gmres"`;
 * - n < 16, or no pattern and n < 100 → `"dense"`;
 * - otherwise the Jacobian's pattern is taken from `jacSparsity` or `bandwidth`, or detected from f
 *   at the initial point (NaN propagation, sparsity-detection.ts); then the cheapest of dense,
 *   banded (when 4 (2 ml + mu + 1) ≤ n) and, for n ≥ 100, sparse LU by estimated factorisation work
 *   (sparse work counted 3× per operation, its kernels being indirect), among those that fit the
 *   memory budget; `"gmres"` with ILU(0) when none fits. With no usable pattern: dense if it fits,
 *   else unpreconditioned GMRES.
 * Memory is estimated before anything is allocated: a choice the user made that exceeds `maxMemory`
 * (default 1 GiB) stops with a {@link MemoryBudgetError} that gives the size and the alternative.
 *
 * Reuse policy lives in the solvers (as in CVODE and RADAU5): they decide when J is stale and when
 * W must be set up again; the linear solver decides whether a setup refactors (linear-solver.ts).
 * Everything is allocated in the constructor, or at `start` when the pattern must first be
 * detected; `evalJacobian`, `factor` and `solve` allocate nothing.
 */
import { type ColouredPattern, colourPattern, colouredFdJacobian, denseFdJacobian } from "../../linalg/fdjac.js";
import { analyzeSparseLu, DEFAULT_PIVOT_THRESHOLD, type SparseLuSymbolic } from "../../linalg/sparse-lu.js";
import {
  bandPattern, bandwidthOf, patternFromRows, patternOfDense, type SparsePattern, transposePattern, unionPatterns,
} from "../../linalg/sparse-pattern.js";
import { detectSparsity } from "../../linalg/sparsity-detection.js";
import { checkKeys } from "../../util/options.js";
import { ContractError } from "../../results.js";
import { describeValue } from "../../tree.js";
import type { AbstractTerm, InPlaceVectorField, VectorFieldObject } from "../../terms.js";
import { ODETerm } from "../../terms.js";
import { checkMemoryBudget, formatBytes, MemoryBudgetError } from "../../util/memory.js";
import { BandedSolver, bandedBytes, DenseSolver, denseBytes, SparseSolver, sparseBytes } from "./direct-solvers.js";
import { GmresSolver, gmresBytes, type LinearizationPoint } from "./krylov-solver.js";
import {
  type FactorCopy, type KrylovOptions, type LinearSolver, type LinearSolverCounters, type LinearSolverName, massLayout, type PreconditionerName,
  STATUS_SINGULAR, type UserPreconditioner,
} from "./linear-solver.js";

export { STATUS_LINEAR_FAILED, STATUS_NEWTON_FAILED, STATUS_SINGULAR } from "./linear-solver.js";
export type { FactorCopy, KrylovOptions, LinearSolverName, PreconditionerName, UserPreconditioner } from "./linear-solver.js";

const CBRT_EPS = Math.cbrt(2.220446049250313e-16);
const SQRT_EPS = Math.sqrt(2.220446049250313e-16);
/** Below this order "auto" uses dense LU without looking for a pattern. */
const AUTO_DETECT_MIN_N = 100;
/** Below this order "auto" does not consider sparse LU. */
const AUTO_SPARSE_MIN_N = 100;
/** Weight of a sparse LU operation against a dense or band one in the "auto" comparison. */
const SPARSE_WORK_FACTOR = 3;

/**
 * The increment δ of the central difference (f(t + δ, y) − f(t − δ, y)) / 2δ that approximates
 * ∂f/∂t for Rosenbrock methods on a step of size dt (0 if unknown): δ = ε^{1/3}·min(max(|t|, 1), |dt|),
 * at least 64 ulps of t (see {@link IterationMatrix.timeDerivative}). The discrete adjoints
 * differentiate this same difference.
 */
export function timeIncrement(t: number, dt: number): number {
  const scale = dt !== 0 ? Math.min(Math.max(Math.abs(t), 1), Math.abs(dt)) : Math.max(Math.abs(t), 1);
  return Math.max(CBRT_EPS * scale, 64 * Number.EPSILON * Math.abs(t));
}

/** Options shared by the implicit solvers (Rosenbrock, ESDIRK, BDF, Radau, KenCarp). */
export interface ImplicitOptions {
  /**
   * Constant mass matrix M of `M y' = f(t, y)`, n × n as nested arrays or row-major; may be
   * singular (index-1 DAEs: zero rows are algebraic equations). @defaultValue identity
   */
  massMatrix?: ArrayLike<ArrayLike<number>> | ArrayLike<number>;
  /**
   * Linear solver for the iteration matrix: `"dense"` LU, `"banded"` LU (band from `bandwidth`, the
   * vector field's `jacSparsity`, or detected), `"sparse"` LU with a fill-reducing ordering (pattern
   * from `jacSparsity` or detected), `"gmres"` (matrix-free Krylov, see `preconditioner`), or
   * `"auto"`: by n and the pattern (see the stiff-problems guide). @defaultValue "auto"
   */
  linearSolver?: LinearSolverName;
  /** Lower and upper bandwidth [ml, mu] of the Jacobian, when known. */
  bandwidth?: readonly [number, number];
  /**
   * The vector field does not depend on t: Rosenbrock methods then skip ∂f/∂t (two evaluations of
   * f per step). Wrong results if f does depend on t. @defaultValue false
   */
  autonomous?: boolean;
  /**
   * Preconditioner of `linearSolver: "gmres"`: `"ilu0"` (incomplete LU of the sparse iteration
   * matrix), `"block-jacobi"` (LU of its diagonal blocks of `blockSize`), `"none"`, or your own
   * `{ psetup, psolve }` as in CVODE (see {@link UserPreconditioner}). @defaultValue "ilu0"
   */
  preconditioner?: PreconditionerName | UserPreconditioner;
  /** Block size of the block-Jacobi preconditioner (e.g. the species per grid cell). */
  blockSize?: number;
  /** Krylov iteration options of `"gmres"`. */
  krylov?: KrylovOptions;
  /**
   * Sparse LU threshold τ: the diagonal pivot is kept while |a_kk| ≥ τ max_i |a_ik|. @defaultValue 0.1
   */
  pivotThreshold?: number;
  /**
   * Memory budget in bytes for the linear solver's matrices and workspaces; a choice that would
   * exceed it stops at once with a MemoryBudgetError. @defaultValue 2 ** 30 (1 GiB)
   */
  maxMemory?: number;
}

/** What the solver around an iteration matrix asks of it. */
export interface IterationMatrixRole {
  /** A stale factorisation (α within 30%, same J) may serve a new α (Newton iterations: BDF, ESDIRK, KenCarp). */
  staleOk: boolean;
  /** A Krylov solve that only reduced the residual is acceptable (a Newton iteration judges it). */
  inexactOk: boolean;
  /** The complex matrix (ar + i·ai) M − J is solved too (RadauIIA5). */
  complex: boolean;
}

const NEWTON_ROLE: IterationMatrixRole = { staleOk: true, inexactOk: true, complex: false };

/** The options every implicit solver takes (ImplicitOptions). */
const IMPLICIT_KEYS = ["massMatrix", "linearSolver", "bandwidth", "autonomous", "preconditioner", "blockSize", "krylov", "pivotThreshold", "maxMemory"];

/** Reads and checks the implicit solvers' options (once, in the solver's constructor). */
export function checkImplicitOptions(name: string, options: ImplicitOptions | undefined, extraKeys: readonly string[] = []): ImplicitOptions {
  if (options === undefined) return {};
  checkKeys(options, [...IMPLICIT_KEYS, ...extraKeys], `new ${name}(options)`);
  const mm = options.massMatrix;
  if (mm !== undefined && (mm === null || typeof mm !== "object" || typeof (mm as ArrayLike<unknown>).length !== "number")) {
    throw new TypeError(`new ${name}(options): \`massMatrix\` must be an n × n matrix (nested arrays, or n² numbers row-major); got ${describeValue(mm)}.`);
  }
  const ls = options.linearSolver;
  if (ls !== undefined && ls !== "auto" && ls !== "dense" && ls !== "banded" && ls !== "sparse" && ls !== "gmres") {
    throw new RangeError(`new ${name}(options): \`linearSolver\` must be "auto", "dense", "banded", "sparse" or "gmres"; got ${describeValue(ls)}.`);
  }
  if (options.autonomous !== undefined && typeof options.autonomous !== "boolean") {
    throw new TypeError(`new ${name}(options): \`autonomous\` must be true or false; got ${describeValue(options.autonomous)}.`);
  }
  const bw = options.bandwidth;
  if (bw !== undefined) {
    if (!Array.isArray(bw) || bw.length !== 2 || !bw.every((x) => Number.isInteger(x) && x >= 0)) {
      throw new RangeError(`new ${name}(options): \`bandwidth\` must be [ml, mu], two whole numbers ≥ 0; got ${describeValue(bw)}.`);
    }
  }
  const p = options.preconditioner;
  if (p !== undefined) {
    const named = p === "ilu0" || p === "block-jacobi" || p === "none";
    const user = typeof p === "object" && p !== null && typeof (p as UserPreconditioner).psolve === "function";
    if (!named && !user) {
      throw new TypeError(
        `new ${name}(options): \`preconditioner\` must be "ilu0", "block-jacobi", "none" or an object { psetup?, psolve } (CVODE's ` +
          `preconditioner callbacks); got ${describeValue(p)}.`,
      );
    }
    if (user && (p as UserPreconditioner).psetup !== undefined && typeof (p as UserPreconditioner).psetup !== "function") {
      throw new TypeError(`new ${name}(options): \`preconditioner.psetup\` must be a function; got ${describeValue((p as UserPreconditioner).psetup)}.`);
    }
    if (ls !== undefined && ls !== "auto" && ls !== "gmres") {
      throw new TypeError(`new ${name}(options): \`preconditioner\` is for linearSolver "gmres"; got linearSolver ${JSON.stringify(ls)}.`);
    }
    if (p === "block-jacobi" && options.blockSize === undefined) {
      throw new TypeError(`new ${name}(options): preconditioner "block-jacobi" needs \`blockSize\` (e.g. the number of species per grid cell).`);
    }
  }
  if (options.blockSize !== undefined && !(Number.isInteger(options.blockSize) && options.blockSize >= 1)) {
    throw new RangeError(`new ${name}(options): \`blockSize\` must be a whole number ≥ 1; got ${describeValue(options.blockSize)}.`);
  }
  const k = options.krylov;
  if (k !== undefined) {
    if (k === null || typeof k !== "object") throw new TypeError(`new ${name}(options): \`krylov\` must be an object such as { maxIters: 30 }; got ${describeValue(k)}.`);
    for (const key of Object.keys(k)) {
      if (key !== "maxIters" && key !== "restarts" && key !== "epsLin") {
        throw new TypeError(`new ${name}(options): unknown \`krylov\` option \`${key}\`; the options are maxIters, restarts and epsLin.`);
      }
    }
    if (k.maxIters !== undefined && !(Number.isInteger(k.maxIters) && k.maxIters >= 1)) {
      throw new RangeError(`new ${name}(options): \`krylov.maxIters\` must be a whole number ≥ 1; got ${describeValue(k.maxIters)}.`);
    }
    if (k.restarts !== undefined && !(Number.isInteger(k.restarts) && k.restarts >= 0)) {
      throw new RangeError(`new ${name}(options): \`krylov.restarts\` must be a whole number ≥ 0; got ${describeValue(k.restarts)}.`);
    }
    if (k.epsLin !== undefined && !(typeof k.epsLin === "number" && k.epsLin > 0 && k.epsLin < 1)) {
      throw new RangeError(`new ${name}(options): \`krylov.epsLin\` must be a number in (0, 1); got ${describeValue(k.epsLin)}.`);
    }
  }
  const tau = options.pivotThreshold;
  if (tau !== undefined && !(typeof tau === "number" && tau > 0 && tau <= 1)) {
    throw new RangeError(`new ${name}(options): \`pivotThreshold\` must be a number in (0, 1]; got ${describeValue(tau)}.`);
  }
  checkMemoryBudget(`new ${name}(options)`, options.maxMemory);
  return options;
}

/** Flattens and checks a mass matrix for states of length n. */
function readMassMatrix(name: string, m: ImplicitOptions["massMatrix"], n: number): Float64Array | null {
  if (m === undefined) return null;
  const out = new Float64Array(n * n);
  const rows = m as ArrayLike<unknown>;
  if (rows.length === n && typeof rows[0] === "object" && rows[0] !== null) {
    for (let i = 0; i < n; i++) {
      const row = rows[i] as ArrayLike<number>;
      if (row === null || typeof row !== "object" || row.length !== n) {
        throw new RangeError(`${name}: \`massMatrix\` row ${i} must have ${n} entries (the state has ${n} components).`);
      }
      for (let j = 0; j < n; j++) out[i * n + j] = row[j]!;
    }
  } else if (rows.length === n * n) {
    for (let k = 0; k < n * n; k++) out[k] = (rows as ArrayLike<number>)[k]!;
  } else {
    throw new RangeError(
      `${name}: \`massMatrix\` must be ${n} × ${n} (nested arrays or ${n * n} numbers row-major) for a state of ${n} components; got length ${rows.length}.`,
    );
  }
  for (let k = 0; k < n * n; k++) {
    if (!Number.isFinite(out[k]!)) throw new RangeError(`${name}: \`massMatrix\` entry (${Math.floor(k / n)}, ${k % n}) is ${out[k]}; entries must be finite.`);
  }
  let identity = true;
  for (let i = 0; i < n && identity; i++) for (let j = 0; j < n; j++) if (out[i * n + j] !== (i === j ? 1 : 0)) identity = false;
  return identity ? null : out;
}

/** The vector-field object of an ODE term (or the implicit part of an IMEX split). */
export function vectorFieldObject(terms: AbstractTerm): VectorFieldObject | null {
  return terms instanceof ODETerm ? terms.vf : null;
}

/** How `evalJacobian` fills the linear solver's Jacobian store. */
const enum Fill {
  /** Matrix-free: only the linearisation point is kept. */
  None,
  /** The user's dense `jac` writes the dense store directly. */
  ExactDense,
  /** The user's dense `jac` into an n × n scratch, gathered into the store. */
  DenseScratch,
  /** A compiled field's `jacValues` (sparse, exact), scattered into the store. */
  Compiled,
  /** Coloured finite differences on the pattern. */
  FdColoured,
  /** Dense finite differences (n evaluations). */
  FdDense,
}

/** Jacobian, iteration matrix and the linear solver for one solve. */
export class IterationMatrix {
  readonly n: number;
  /** Mass matrix, dense row-major; null for the identity. */
  readonly mass: Float64Array | null;
  /** Number of Jacobian evaluations. */
  numJacobianEvals = 0;
  /** α of the current setup (NaN when W is not set up). */
  alpha = NaN;
  private readonly name: string;
  private readonly f: InPlaceVectorField;
  private readonly args: unknown;
  private readonly vf: VectorFieldObject | null;
  private readonly options: ImplicitOptions;
  private readonly role: IterationMatrixRole;
  private readonly requested: LinearSolverName;
  private readonly budget: number;
  private readonly massRows: number[][] | null;
  private readonly massPattern: SparsePattern | null;
  private readonly massPtr: Int32Array;
  private readonly massIdx: Int32Array;
  private readonly massVal: Float64Array;
  /** Pattern of J from `jacSparsity` or `bandwidth` (CSR), or null until detected. */
  private jPattern: SparsePattern | null;
  private ls: LinearSolver | null = null;
  /** The linear solver is matrix-free (GMRES): evalJacobian keeps the point (t, y, f(t, y)). */
  private keepsPoint = false;
  private readonly jacFn: ((t: number, y: Float64Array, args: any, J: Float64Array) => void) | null;
  /** The vector field's exact ∂f/∂t, if it has one. */
  private readonly dfdt: ((t: number, y: Float64Array, args: any, out: Float64Array) => void) | null;
  /** An algebraic row (a zero row of M) with no entry of J: W is singular for every α. */
  private structurallySingular = false;
  private fill = Fill.None;
  private colouring: ColouredPattern | null = null;
  private scratch: Float64Array = new Float64Array(0);
  private gather: Int32Array = new Int32Array(0);
  private jacChanged = true;
  private detectionEvals = 0;
  private counter: { numFnEvals: number } = { numFnEvals: 0 };
  private readonly ftmp: Float64Array;
  private readonly dy: Float64Array;
  private readonly ysave: Float64Array;
  private readonly floor: Float64Array;
  private readonly lin: LinearizationPoint;
  private readonly vtmp: Float64Array;
  /** Weights 1/(atol + rtol |y|) for Krylov solves: the owner's, or computed at each Jacobian point. */
  private weights: Float64Array;
  private ownWeights: boolean;
  private rtol: number | Float64Array = 1e-8;
  private atol: number | Float64Array = 1e-10;
  private newtonTol = 1e-3;

  constructor(
    name: string, f: InPlaceVectorField, n: number, args: unknown, vf: VectorFieldObject | null, options: ImplicitOptions,
    role: IterationMatrixRole = NEWTON_ROLE,
  ) {
    this.name = name;
    this.n = n;
    this.f = f;
    this.args = args;
    this.vf = vf;
    this.jacFn = typeof vf?.jac === "function" ? vf.jac : null;
    this.dfdt = typeof vf?.dfdt === "function" ? vf.dfdt : null;
    this.options = options;
    this.role = role;
    this.budget = checkMemoryBudget(name, options.maxMemory);
    this.mass = readMassMatrix(name, options.massMatrix, n);
    const massP = this.mass === null ? null : patternOfDense(this.mass, n);
    this.massPattern = massP;
    this.massRows = massP === null ? null : Array.from({ length: n }, (_, i) => Array.from(massP.idx.subarray(massP.ptr[i]!, massP.ptr[i + 1]!)));
    this.massPtr = massP?.ptr ?? new Int32Array(0);
    this.massIdx = massP?.idx ?? new Int32Array(0);
    this.massVal = new Float64Array(this.massIdx.length);
    if (massP !== null) for (let i = 0; i < n; i++) for (let k = massP.ptr[i]!; k < massP.ptr[i + 1]!; k++) this.massVal[k] = this.mass![i * n + massP.idx[k]!]!;
    this.ftmp = new Float64Array(n);
    this.dy = new Float64Array(n);
    this.ysave = new Float64Array(n);
    this.floor = new Float64Array(n);
    this.vtmp = new Float64Array(n);
    this.lin = { t: new Float64Array(1), y: new Float64Array(n), fy: new Float64Array(n) };
    this.weights = new Float64Array(n).fill(1);
    this.ownWeights = true;

    const bw = options.bandwidth;
    const sparsity = vf?.jacSparsity;
    this.jPattern = sparsity !== undefined && bw === undefined ? patternFromRows(sparsity, n) : bw !== undefined ? bandPattern(n, bw[0], bw[1]) : null;
    const p = options.preconditioner;
    const userPrec = typeof p === "object" && p !== null;
    let kind = options.linearSolver ?? "auto";
    if (kind === "auto" && userPrec) kind = "gmres";
    this.requested = kind;
    // Build now when nothing has to be detected first (so that budget errors surface at once).
    // A pattern is needed for banded and sparse LU and the built-in preconditioners, and (for the
    // structural check of algebraic rows) whenever a Krylov solver meets a singular mass matrix.
    let algebraicRows = false;
    for (let i = 0; i < n && massP !== null; i++) if (massP.ptr[i + 1] === massP.ptr[i]) algebraicRows = true;
    const needsPattern =
      (kind === "banded" || kind === "sparse" || (kind === "gmres" && (algebraicRows || (!userPrec && p !== "none")))) &&
      this.jPattern === null && !hasCompiledPattern(vf);
    const autoDefers = kind === "auto" && this.jPattern === null && !hasCompiledPattern(vf) && n >= AUTO_DETECT_MIN_N;
    if (!needsPattern && !autoDefers) this.build(this.jPattern ?? compiledPattern(vf, n));
  }

  /** Completes the setup at the initial point (t, y): detects the pattern if needed and builds the linear solver. */
  start(t: number, y: Float64Array): void {
    if (this.ls !== null) return;
    const n = this.n;
    const explicit = this.requested !== "auto";
    const before = this.counter.numFnEvals;
    const detected = detectSparsity(this.f, t, y, this.args, this.counter, explicit ? 8 * n + 64 : Math.max(64, n));
    this.detectionEvals += this.counter.numFnEvals - before;
    const p = this.options.preconditioner;
    const patternOptional = this.requested === "gmres" && (p === undefined || p === "none" || (typeof p === "object" && p !== null));
    if (detected === null && explicit && !patternOptional) {
      // Raised during the solve's start, but a mistake in the set-up: passes through the loop.
      throw new ContractError(
        `${this.name}: linearSolver ${JSON.stringify(this.requested)} needs the Jacobian's sparsity pattern, and it could not be detected from f at ` +
          `t = ${t} (f gives NaN at the initial state, throws when given NaN, or depends on nearly every component). ` +
          "Pass it with the vector field, new ODETerm({ f, jacSparsity }) (or `bandwidth: [ml, mu]`), or use linearSolver \"dense\".",
      );
    }
    this.build(detected);
  }

  /** The linear solver in use (after `start`). */
  get linearSolver(): LinearSolver {
    if (this.ls === null) throw new Error(`${this.name}: the iteration matrix is used before start(t, y).`);
    return this.ls;
  }

  /**
   * The linear algebra is that of a large system (sparse LU or GMRES): a setup or a solve costs
   * far more than an evaluation of f, and Newton iterations economise on them (see
   * `newtonTolerance` in stage-newton.ts).
   */
  get largeSystem(): boolean {
    const k = this.ls?.kind;
    return k === "sparse" || k === "gmres";
  }

  /** Which linear solver is in use ("pending" before it is chosen). */
  get kind(): string {
    return this.ls === null ? "pending" : this.ls.kind;
  }

  /** Whether `evalJacobian` differences f (no exact Jacobian): it then needs f(t, y) exactly. */
  get needsFunctionValue(): boolean {
    if (this.fill === Fill.FdColoured || this.fill === Fill.FdDense) return true;
    return this.ls?.kind === "gmres" && typeof this.vf?.jvp !== "function";
  }

  /** Counts the evaluations of f made here (pattern detection, J·v differences) into the solver's state. */
  countEvalsIn(counter: { numFnEvals: number }): void {
    counter.numFnEvals += this.counter.numFnEvals;
    this.counter = counter;
  }

  /**
   * Krylov solves measure residuals with these weights (1/(atol + rtol |y|), the owner's Newton
   * norm, refreshed by the owner each step). Without it, weights are computed at each Jacobian point.
   */
  useWeights(w: Float64Array): void {
    this.weights = w;
    this.ownWeights = false;
    if (this.ls?.kind === "gmres") (this.ls as GmresSolver).weights = w;
  }

  /** The tolerances of the solve and the Newton tolerance the Krylov tolerance is tied to. */
  setTolerances(rtol: number | Float64Array, atol: number | Float64Array, newtonTol: number): void {
    this.rtol = rtol;
    this.atol = atol;
    this.newtonTol = newtonTol;
    if (this.ls?.kind === "gmres") (this.ls as GmresSolver).newtonTol = newtonTol;
  }

  /** Adds the Jacobian and linear-solver counters to `out` (the solver's extra statistics). */
  stats(out: Record<string, number>): Record<string, number> {
    const c: LinearSolverCounters = { numLUDecompositions: 0 };
    this.ls?.counters(c);
    out.numJacobianEvals = this.numJacobianEvals;
    Object.assign(out, c);
    if (this.detectionEvals > 0) out.numSparsityDetectionEvals = this.detectionEvals;
    return out;
  }

  /** ‖J‖∞ of the stored Jacobian, or Infinity when it is not stored (matrix-free). */
  jacobianNormInf(): number {
    const jac = this.ls?.jac ?? null;
    return jac === null || this.numJacobianEvals === 0 ? Infinity : jac.normInf();
  }

  /**
   * Evaluates J at (t, y); `fy` = f(t, y); `dt` the step size about to be taken (0 if unknown),
   * which sets the scale of finite-difference increments. Returns the number of f evaluations
   * spent (0 with an exact Jacobian).
   */
  evalJacobian(t: number, y: Float64Array, fy: Float64Array, dt: number): number {
    const ls = this.ls!;
    this.numJacobianEvals++;
    this.alpha = NaN;
    this.jacChanged = true;
    const n = this.n;
    if (this.keepsPoint) {
      this.lin.t[0] = t;
      this.lin.y.set(y);
      this.lin.fy.set(fy);
      if (this.ownWeights) this.computeWeights(y);
    }
    const fill = this.fill;
    if (fill === Fill.None) return 0;
    const J = ls.jac!.values;
    const jacFn = this.jacFn;
    if (fill === Fill.ExactDense) {
      jacFn!(t, y, this.args, J);
      return 0;
    }
    if (fill === Fill.DenseScratch || fill === Fill.Compiled) {
      const s = this.scratch;
      if (fill === Fill.DenseScratch) jacFn!(t, y, this.args, s);
      else this.vf!.jacValues!(t, y, this.args, s);
      const g = this.gather;
      for (let k = 0; k < g.length; k++) {
        const d = g[k]!;
        if (d >= 0) J[d] = s[k]!;
      }
      return 0;
    }
    // Increment floor per component: δ_j = √ε · max(|y_j|, |dt f_j|, 1e-5). A component crossing
    // zero would otherwise get an increment so small that rounding spoils its column (and an
    // inexact Jacobian costs a Rosenbrock method its order); |dt f_j| is how much y_j moves in a step.
    const floor = this.floor;
    const adt = Math.abs(dt);
    for (let i = 0; i < n; i++) floor[i] = Math.max(1e-5, adt * Math.abs(fy[i]));
    if (fill === Fill.FdColoured) {
      return colouredFdJacobian(this.f, t, y, fy, this.args, J, this.colouring!, this.ftmp, this.dy, this.ysave, floor);
    }
    return denseFdJacobian(this.f, t, y, fy, this.args, J, n, this.ftmp, floor);
  }

  /**
   * Sets up solves with W = α M − J. Returns 0, or a STATUS code (W singular to working precision).
   */
  factor(alpha: number): number {
    if (this.structurallySingular) return STATUS_SINGULAR;
    const r = this.ls!.setup(alpha, this.jacChanged);
    if (r === 0) {
      this.alpha = alpha;
      this.jacChanged = false;
    } else this.alpha = NaN;
    return r;
  }

  /** Solves W x = b in place with the current setup; 0 or a STATUS code (a Krylov solve that failed). */
  solve(b: Float64Array): number {
    return this.ls!.solve(b);
  }

  /** Sets up solves with the complex matrix (ar + i·ai) M − J (RadauIIA5); 0 or a STATUS code. */
  factorComplex(ar: number, ai: number): number {
    return this.ls!.setupComplex(ar, ai, this.jacChanged);
  }

  /** Solves with the complex matrix, b = br + i·bi in place; 0 or a STATUS code. */
  solveComplex(br: Float64Array, bi: Float64Array): number {
    return this.ls!.solveComplex(br, bi);
  }

  /**
   * Solves Wᵀ x = b in place with the current factors (for the discrete adjoints); 0 or a STATUS
   * code. Only the direct solvers (dense and banded LU) have it: any other names the fix.
   */
  solveTransposed(b: Float64Array): number {
    const ls = this.linearSolver;
    if (ls.solveTransposed === undefined) throw this.noTransposedSolve(ls.kind);
    return ls.solveTransposed(b);
  }

  /** A copy of the current real factors, kept for later solves with W and Wᵀ (the discrete adjoints). */
  factorCopy(): FactorCopy {
    const ls = this.linearSolver;
    if (ls.factorCopy === undefined) throw this.noTransposedSolve(ls.kind);
    return ls.factorCopy();
  }

  private noTransposedSolve(kind: string): ContractError {
    return new ContractError(
      `${this.name}: the discrete adjoint solves with the transposed iteration matrix, which the ${JSON.stringify(kind)} linear solver does not provide; ` +
        "solve with linearSolver \"dense\" or \"banded\" (with `bandwidth`), or use adjoint: new BacksolveAdjoint().",
    );
  }

  /** out = M v (out = v for the identity); out must not alias v. */
  massMul(v: Float64Array, out: Float64Array): void {
    if (this.mass === null) {
      for (let i = 0, n = this.n; i < n; i++) out[i] = v[i]!;
      return;
    }
    this.massMulAt(v, 0, out);
  }

  private massMulAt(v: Float64Array, off: number, out: Float64Array): void {
    const n = this.n;
    if (this.mass === null) {
      for (let i = 0; i < n; i++) out[i] = v[off + i]!;
      return;
    }
    const { massPtr, massIdx, massVal } = this;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = massPtr[i]!, e = massPtr[i + 1]!; k < e; k++) s += massVal[k]! * v[off + massIdx[k]!]!;
      out[i] = s;
    }
  }

  /**
   * ∂f/∂t at (t, y) into `out`, for a step of size dt: the vector field's own `dfdt` when it has
   * one (`compile` gives it), otherwise a central difference of two evaluations of f, using
   * `scratch`. Returns the number of evaluations of f made.
   *
   * The difference increment is δ = ε^{1/3}·min(max(|t|, 1), |dt|) (at least 64 ulps of t): the
   * central difference's O(δ²) error is then small against the variation of f over the step,
   * whatever the time scale of the problem. (An increment of ε^{1/3}·max(|t|, 1) ≈ 6e-6 alone
   * assumes time scales of order 1: on the ring modulator, whose diodes respond to a 10 kHz
   * carrier through e^{17.7 U}, it made ∂f/∂t wrong by orders of magnitude, and Rosenbrock
   * methods, which put d_i·dt·∂f/∂t into every stage, crawled at dt ≈ 1e-11.) Rounding errors
   * of f in stiff directions are divided by the stiffness in the stage solves, so the smaller
   * increment costs no accuracy there.
   */
  timeDerivative(t: number, y: Float64Array, fy: Float64Array, out: Float64Array, scratch: Float64Array, dt: number): number {
    if (this.dfdt !== null) {
      this.dfdt(t, y, this.args, out);
      return 0;
    }
    const d = timeIncrement(t, dt);
    const tp = t + d;
    const tm = t - d;
    this.f(tp, y, this.args, scratch);
    for (let i = 0, n = this.n; i < n; i++) out[i] = scratch[i];
    this.f(tm, y, this.args, scratch);
    const inv = 1 / (tp - tm);
    for (let i = 0, n = this.n; i < n; i++) out[i] = (out[i] - scratch[i]) * inv;
    return 2;
  }

  private computeWeights(y: Float64Array): void {
    const { n, rtol, atol, weights } = this;
    for (let i = 0; i < n; i++) {
      const r = typeof rtol === "number" ? rtol : rtol[i]!;
      const a = typeof atol === "number" ? atol : atol[i]!;
      weights[i] = 1 / (a + r * Math.abs(y[i]!));
    }
  }

  /** Chooses (for "auto"), checks against the budget and makes the linear solver; sets the fill. */
  private build(jPattern: SparsePattern | null): void {
    this.jPattern = jPattern;
    const n = this.n;
    const complex = this.role.complex;
    const wPattern = jPattern === null ? null : unionPatterns(this.massPattern === null ? [jPattern] : [jPattern, this.massPattern], n, true);
    if (jPattern !== null && this.massPattern !== null) {
      // A zero row of M without any entry of J: no α makes W regular (Krylov solvers would not see it).
      const mp = this.massPattern;
      for (let i = 0; i < n && !this.structurallySingular; i++) {
        if (mp.ptr[i + 1] === mp.ptr[i] && jPattern.ptr[i + 1] === jPattern.ptr[i]) this.structurallySingular = true;
      }
    }
    let kind = this.requested;
    let sym: SparseLuSymbolic | null = null;
    if (kind === "auto") ({ kind, sym } = this.chooseAuto(wPattern));
    const over = (what: string, bytes: number, fix: string): never => {
      throw new MemoryBudgetError(`${this.name}: the ${what}`, bytes, this.budget, fix);
    };
    const massFn = (store: { position(i: number, j: number): number }) => massLayout(store, n, this.mass, this.massRows);
    if (kind === "dense") {
      const bytes = denseBytes(n, complex);
      if (bytes > this.budget) {
        over(`dense linear solver (${complex ? 4 : 2} matrices of ${n} × ${n}, ${formatBytes(8 * n * n)} each)`, bytes,
          `Use linearSolver "sparse" or "gmres" (or "banded" with \`bandwidth\`); give the vector field's \`jacSparsity\` if you know it, or raise \`maxMemory\`.`);
      }
      this.ls = new DenseSolver(n, massFn, complex);
    } else if (kind === "banded") {
      const [ml, mu] = this.options.bandwidth ?? bandwidthOf(wPattern!);
      const bytes = bandedBytes(n, ml, mu, complex);
      if (bytes > this.budget) {
        over(`banded linear solver (bandwidth ml = ${ml}, mu = ${mu} for n = ${n})`, bytes, `Use linearSolver "sparse" or "gmres", or raise \`maxMemory\`.`);
      }
      this.ls = new BandedSolver(n, ml, mu, massFn, complex);
    } else if (kind === "sparse") {
      const csc = transposePattern(wPattern!);
      sym ??= analyzeSparseLu(csc);
      const bytes = sparseBytes(csc.idx.length, sym, complex);
      if (bytes > this.budget) {
        over(`sparse LU (about ${sym.offDiagonal * 2 + n} entries in L and U)`, bytes, `Use linearSolver "gmres" (with preconditioner "ilu0"), or raise \`maxMemory\`.`);
      }
      this.ls = new SparseSolver(n, csc, sym, massFn, complex, this.role.staleOk, this.options.pivotThreshold ?? DEFAULT_PIVOT_THRESHOLD);
    } else {
      this.ls = this.makeGmres(wPattern);
      this.keepsPoint = true;
    }
    this.chooseFill();
  }

  private makeGmres(wPattern: SparsePattern | null): GmresSolver {
    const n = this.n;
    const o = this.options;
    // The default ILU(0) needs a pattern; without one (not detectable) the solve runs unpreconditioned.
    const prec = o.preconditioner ?? (wPattern !== null ? "ilu0" : "none");
    const krylov = { maxIters: o.krylov?.maxIters ?? 30, restarts: o.krylov?.restarts ?? 1, epsLin: o.krylov?.epsLin ?? 0.05 };
    const storeBytes = prec === "ilu0" ? 16 * wPattern!.idx.length : prec === "block-jacobi" ? 16 * Math.ceil(n / o.blockSize!) * o.blockSize! ** 2 : 0;
    const bytes = gmresBytes(n, krylov.maxIters, this.role.complex) + storeBytes;
    if (bytes > this.budget) {
      throw new MemoryBudgetError(`${this.name}: the GMRES workspace (${krylov.maxIters + 1} Krylov vectors of ${n})`, bytes, this.budget,
        "Lower `krylov.maxIters`, or raise `maxMemory`.");
    }
    const jvp = this.vf?.jvp;
    const { lin, vtmp, args } = this;
    const jv = typeof jvp === "function"
      ? (v: Float64Array, off: number, out: Float64Array): void => {
        for (let i = 0; i < n; i++) vtmp[i] = v[off + i]!;
        jvp(lin.t[0]!, lin.y, args, vtmp, out);
      }
      : (v: Float64Array, off: number, out: Float64Array): void => this.differenceJv(v, off, out);
    const ls = new GmresSolver({
      n, preconditioner: prec, pattern: wPattern, blockSize: o.blockSize ?? 1, krylov, jv,
      massMul: (v, off, out) => this.massMulAt(v, off, out), lin, args,
      mass: (store) => massLayout(store, n, this.mass, this.massRows), complex: this.role.complex, newton: this.role.inexactOk,
    });
    ls.weights = this.weights;
    ls.newtonTol = this.newtonTol;
    return ls;
  }

  /**
   * J v ≈ (f(t, y + σ v) − f(t, y)) / σ at the linearisation point, σ = √ε / (rtol ‖v‖_WRMS): an
   * increment of relative size √ε in the weighted norm (CVODE's difference quotient uses 1/‖v‖;
   * the extra √ε/rtol balances truncation against rounding at any tolerance).
   */
  private differenceJv(v: Float64Array, off: number, out: Float64Array): void {
    const n = this.n;
    const { lin, weights, ftmp } = this;
    let acc = 0;
    for (let i = 0; i < n; i++) {
      const s = v[off + i]! * weights[i]!;
      acc += s * s;
    }
    const norm = Math.sqrt(acc / n);
    if (!(norm > 0)) {
      for (let i = 0; i < n; i++) out[i] = 0;
      return;
    }
    const r = typeof this.rtol === "number" ? this.rtol : minOf(this.rtol);
    const sigma = SQRT_EPS / (Math.max(r, 1e-14) * norm);
    const y = lin.y;
    for (let i = 0; i < n; i++) ftmp[i] = y[i]! + sigma * v[off + i]!;
    this.f(lin.t[0]!, ftmp, this.args, out);
    this.counter.numFnEvals++;
    const fy = lin.fy;
    const inv = 1 / sigma;
    for (let i = 0; i < n; i++) out[i] = (out[i]! - fy[i]!) * inv;
  }

  /** "auto": see the module comment. */
  private chooseAuto(wPattern: SparsePattern | null): { kind: LinearSolverName; sym: SparseLuSymbolic | null } {
    const n = this.n;
    const complex = this.role.complex;
    const fits = (bytes: number): boolean => bytes <= this.budget;
    const denseFits = fits(denseBytes(n, complex) + (this.wantsDenseScratch() ? 8 * n * n : 0));
    if (wPattern === null) return { kind: denseFits ? "dense" : "gmres", sym: null };
    const [ml, mu] = this.options.bandwidth ?? bandwidthOf(wPattern);
    const bw = 2 * ml + mu + 1;
    let kind: LinearSolverName = denseFits ? "dense" : "gmres";
    let work = denseFits ? (n * n * n) / 3 : Infinity;
    if (n >= 16 && 4 * bw <= n && fits(bandedBytes(n, ml, mu, complex))) {
      kind = "banded";
      work = 2 * n * ml * (ml + mu + 1) + n;
    } else if (n < 16) {
      return { kind: "dense", sym: null };
    }
    if (n < AUTO_SPARSE_MIN_N || work <= 100 * n) return { kind, sym: null };
    const sym = analyzeSparseLu(transposePattern(wPattern));
    if (fits(sparseBytes(wPattern.idx.length, sym, complex)) && SPARSE_WORK_FACTOR * sym.flops < work) return { kind: "sparse", sym };
    return { kind, sym: null };
  }

  /** A dense `jac` without a compiled sparse form would need an n × n scratch for a non-dense store. */
  private wantsDenseScratch(): boolean {
    return typeof this.vf?.jac === "function" && !hasCompiledPattern(this.vf);
  }

  /** How evalJacobian fills the store of the linear solver just made. */
  private chooseFill(): void {
    const ls = this.ls!;
    const n = this.n;
    const store = ls.jac;
    if (store === null) {
      this.fill = Fill.None;
      return;
    }
    const vf = this.vf;
    if (typeof vf?.jac === "function" && ls.kind === "dense") {
      this.fill = Fill.ExactDense;
      return;
    }
    if (hasCompiledPattern(vf)) {
      const rows = vf!.jacSparsity!;
      const g: number[] = [];
      for (let i = 0; i < n; i++) for (const j of rows[i]!) g.push(store.position(i, j));
      this.gather = Int32Array.from(g);
      this.scratch = new Float64Array(g.length);
      this.fill = Fill.Compiled;
      return;
    }
    if (typeof vf?.jac === "function" && 8 * n * n <= this.budget - ls.bytes) {
      const g = new Int32Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) g[i * n + j] = store.position(i, j);
      this.gather = g;
      this.scratch = new Float64Array(n * n);
      this.fill = Fill.DenseScratch;
      return;
    }
    if (this.jPattern !== null) {
      this.colouring = colourPattern(this.jPattern, n, (i, j) => store.position(i, j));
      this.fill = Fill.FdColoured;
      return;
    }
    // Only the dense store is built without a pattern (every other choice needs one first).
    if (ls.kind !== "dense") throw new Error(`${this.name}: internal error: a ${ls.kind} linear solver without a Jacobian pattern.`);
    this.fill = Fill.FdDense;
  }
}

/** A compiled field's sparse Jacobian: `jacValues` with its `jacSparsity`. */
function hasCompiledPattern(vf: VectorFieldObject | null | undefined): boolean {
  return typeof vf?.jacValues === "function" && vf.jacSparsity !== undefined;
}

function compiledPattern(vf: VectorFieldObject | null, n: number): SparsePattern | null {
  return hasCompiledPattern(vf) ? patternFromRows(vf!.jacSparsity!, n) : null;
}

function minOf(a: Float64Array): number {
  let m = Infinity;
  for (let i = 0; i < a.length; i++) if (a[i]! < m) m = a[i]!;
  return m;
}


