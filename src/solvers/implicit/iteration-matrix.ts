/**
 * The linear algebra every implicit solver shares: the Jacobian J = ∂f/∂y (from the user's or the
 * compiler's `jac`, else finite differences, coloured when a sparsity pattern is known), the
 * iteration matrix W = α M − J (M the mass matrix, identity by default), its LU factors (dense, or
 * banded when the pattern is narrow), and solves with them. Everything is allocated in the
 * constructor; `evalJacobian`, `factor` and `solve` allocate nothing.
 *
 * Reuse policy lives in the solvers (as in CVODE and RADAU5): they decide when J is stale and when
 * W must be refactored; this class counts both for the solve statistics.
 */
import { bandIndex, bandLuFactor, bandLuSolve, bandLuSolveTransposed, bandWidth } from "../../linalg/banded.js";
import { type ColouredPattern, colourPattern, colouredFdJacobian, denseFdJacobian, fdIncrement } from "../../linalg/fdjac.js";
const CBRT_EPS = Math.cbrt(2.220446049250313e-16);
import { luFactor, luSolve, luSolveTransposed } from "../../linalg/lu.js";
import { describeValue } from "../../tree.js";
import type { AbstractTerm, InPlaceVectorField, VectorFieldObject } from "../../terms.js";
import { ODETerm } from "../../terms.js";

/**
 * The increment δ of the central difference (f(t + δ, y) − f(t − δ, y)) / 2δ that approximates
 * ∂f/∂t for Rosenbrock methods: δ ∝ ε^{1/3} (a forward difference's O(δ) error would enter the
 * stages through d_i dt ∂f/∂t and degrade their dense output). The discrete adjoints differentiate
 * this same difference.
 */
export function timeIncrement(t: number): number {
  return CBRT_EPS * Math.max(Math.abs(t), 1);
}

/** Options shared by the implicit solvers (Rosenbrock, ESDIRK, BDF, Radau). */
export interface ImplicitOptions {
  /**
   * Constant mass matrix M of `M y' = f(t, y)`, n × n as nested arrays or row-major; may be
   * singular (index-1 DAEs: zero rows are algebraic equations). @defaultValue identity
   */
  massMatrix?: ArrayLike<ArrayLike<number>> | ArrayLike<number>;
  /**
   * Linear solver for the iteration matrix: `"dense"` LU, `"banded"` LU (needs `bandwidth` or the
   * vector field's `jacSparsity`), or `"auto"`: banded when the pattern is narrow compared with n.
   * @defaultValue "auto"
   */
  linearSolver?: "auto" | "dense" | "banded";
  /** Lower and upper bandwidth [ml, mu] of the Jacobian, when known. */
  bandwidth?: readonly [number, number];
  /**
   * The vector field does not depend on t: Rosenbrock methods then skip ∂f/∂t (two evaluations of
   * f per step). Wrong results if f does depend on t. @defaultValue false
   */
  autonomous?: boolean;
}

/** Status codes shared by the implicit solvers' `step` (the RESULTS codes the loop reports). */
export const STATUS_NEWTON_FAILED = 5; // RESULTS.implicitNonconvergence
export const STATUS_SINGULAR = 6; // RESULTS.singularMatrix

/** Reads and checks the implicit solvers' options (once, in the solver's constructor). */
export function checkImplicitOptions(name: string, options: ImplicitOptions | undefined): ImplicitOptions {
  if (options === undefined) return {};
  if (options === null || typeof options !== "object") {
    throw new TypeError(`new ${name}(options): \`options\` must be an object; got ${describeValue(options)}.`);
  }
  const ls = options.linearSolver;
  if (ls !== undefined && ls !== "auto" && ls !== "dense" && ls !== "banded") {
    throw new RangeError(`new ${name}(options): \`linearSolver\` must be "auto", "dense" or "banded"; got ${describeValue(ls)}.`);
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

/** Jacobian, iteration matrix and its LU factors for one solve. */
export class IterationMatrix {
  readonly n: number;
  readonly banded: boolean;
  readonly ml: number;
  readonly mu: number;
  /** J, dense row-major (n²) or banded ({@link bandIndex}). */
  readonly J: Float64Array;
  /** W = α M − J, then its LU factors, in the same layout as J. */
  readonly W: Float64Array;
  readonly piv: Int32Array;
  /** Mass matrix, dense row-major; null for the identity. */
  readonly mass: Float64Array | null;
  /** Number of Jacobian evaluations and LU factorisations. */
  numJacobianEvals = 0;
  numLUDecompositions = 0;
  /** α of the last factorisation (NaN when W is not factored). */
  alpha = NaN;
  private readonly f: InPlaceVectorField;
  private readonly args: unknown;
  private readonly jac: ((t: number, y: Float64Array, args: any, J: Float64Array) => void) | null;
  private readonly jacDense: Float64Array | null;
  private readonly pattern: ColouredPattern | null;
  private readonly ftmp: Float64Array;
  private readonly dy: Float64Array;
  private readonly ysave: Float64Array;
  private readonly floor: Float64Array;

  constructor(name: string, f: InPlaceVectorField, n: number, args: unknown, vf: VectorFieldObject | null, options: ImplicitOptions) {
    this.n = n;
    this.f = f;
    this.args = args;
    this.mass = readMassMatrix(name, options.massMatrix, n);
    const sparsity = vf?.jacSparsity;
    let ml = n - 1;
    let mu = n - 1;
    if (options.bandwidth !== undefined) {
      [ml, mu] = options.bandwidth;
    } else if (sparsity !== undefined) {
      ml = 0;
      mu = 0;
      for (let i = 0; i < n; i++) {
        for (const j of sparsity[i] ?? []) {
          if (i - j > ml) ml = i - j;
          if (j - i > mu) mu = j - i;
        }
      }
    }
    if (this.mass !== null) {
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          if (this.mass[i * n + j] !== 0) {
            if (i - j > ml) ml = i - j;
            if (j - i > mu) mu = j - i;
          }
        }
      }
    }
    const ls = options.linearSolver ?? "auto";
    if (ls === "banded" && options.bandwidth === undefined && sparsity === undefined) {
      throw new TypeError(`${name}: linearSolver "banded" needs \`bandwidth: [ml, mu]\` or a vector field with \`jacSparsity\`.`);
    }
    this.banded = ls === "banded" || (ls === "auto" && n >= 16 && 4 * bandWidth(ml, mu) <= n);
    this.ml = this.banded ? ml : n - 1;
    this.mu = this.banded ? mu : n - 1;
    const size = this.banded ? n * bandWidth(ml, mu) : n * n;
    this.J = new Float64Array(size);
    this.W = new Float64Array(size);
    this.piv = new Int32Array(n);
    this.jac = typeof vf?.jac === "function" ? vf.jac : null;
    this.jacDense = this.jac !== null && this.banded ? new Float64Array(n * n) : null;
    this.ftmp = new Float64Array(n);
    this.dy = new Float64Array(n);
    this.ysave = new Float64Array(n);
    this.floor = new Float64Array(n);
    let pattern: ColouredPattern | null = null;
    if (this.jac === null && (this.banded || sparsity !== undefined)) {
      let rows = sparsity;
      if (rows === undefined || options.bandwidth !== undefined) {
        const band: number[][] = [];
        for (let i = 0; i < n; i++) {
          const row: number[] = [];
          for (let j = Math.max(0, i - ml); j <= Math.min(n - 1, i + mu); j++) row.push(j);
          band.push(row);
        }
        rows = band;
      }
      const bml = ml;
      const bmu = mu;
      pattern = colourPattern(rows, n, this.banded ? (i, j) => bandIndex(i, j, bml, bmu) : (i, j) => i * n + j);
    }
    this.pattern = pattern;
  }

  /** Whether `evalJacobian` differences f (no exact Jacobian): it then needs f(t, y) exactly. */
  get needsFunctionValue(): boolean {
    return this.jac === null;
  }

  /**
   * Evaluates J at (t, y); `fy` = f(t, y); `dt` the step size about to be taken (0 if unknown),
   * which sets the scale of finite-difference increments. Returns the number of f evaluations
   * spent (0 with an exact Jacobian).
   */
  evalJacobian(t: number, y: Float64Array, fy: Float64Array, dt: number): number {
    this.numJacobianEvals++;
    this.alpha = NaN;
    const n = this.n;
    if (this.jac !== null) {
      if (this.jacDense === null) {
        this.jac(t, y, this.args, this.J);
      } else {
        const Jd = this.jacDense;
        this.jac(t, y, this.args, Jd);
        const { ml, mu, J } = this;
        for (let i = 0; i < n; i++) {
          for (let j = Math.max(0, i - ml), e = Math.min(n - 1, i + mu); j <= e; j++) J[bandIndex(i, j, ml, mu)] = Jd[i * n + j];
        }
      }
      return 0;
    }
    // Increment floor per component: δ_j = √ε · max(|y_j|, |dt f_j|, 1e-5). A component crossing
    // zero would otherwise get an increment so small that rounding spoils its column (and an
    // inexact Jacobian costs a Rosenbrock method its order); |dt f_j| is how much y_j moves in a step.
    const floor = this.floor;
    const adt = Math.abs(dt);
    for (let i = 0; i < n; i++) floor[i] = Math.max(1e-5, adt * Math.abs(fy[i]));
    if (this.pattern !== null) {
      return colouredFdJacobian(this.f, t, y, fy, this.args, this.J, this.pattern, this.ftmp, this.dy, this.ysave, floor);
    }
    return denseFdJacobian(this.f, t, y, fy, this.args, this.J, n, this.ftmp, floor);
  }

  /**
   * Forms W = α M − J and factors it. Returns 0, or a positive value when W is singular to
   * working precision.
   */
  factor(alpha: number): number {
    this.numLUDecompositions++;
    const { n, J, W, mass } = this;
    if (this.banded) {
      const { ml, mu } = this;
      const w = bandWidth(ml, mu);
      for (let i = 0; i < n; i++) {
        const r = i * w;
        for (let k = 0; k < w; k++) W[r + k] = 0;
        for (let j = Math.max(0, i - ml), e = Math.min(n - 1, i + mu); j <= e; j++) {
          const idx = r + (j - i + ml);
          W[idx] = (mass === null ? (i === j ? alpha : 0) : alpha * mass[i * n + j]) - J[idx];
        }
      }
      const info = bandLuFactor(n, ml, mu, W, this.piv);
      this.alpha = info === 0 ? alpha : NaN;
      return info;
    }
    const nn = n * n;
    if (mass === null) {
      for (let k = 0; k < nn; k++) W[k] = -J[k];
      for (let i = 0; i < n; i++) W[i * n + i] += alpha;
    } else {
      for (let k = 0; k < nn; k++) W[k] = alpha * mass[k] - J[k];
    }
    const info = luFactor(n, W, this.piv);
    this.alpha = info === 0 ? alpha : NaN;
    return info;
  }

  /** Solves W x = b in place with the current factors. */
  solve(b: Float64Array): void {
    if (this.banded) bandLuSolve(this.n, this.ml, this.mu, this.W, this.piv, b);
    else luSolve(this.n, this.W, this.piv, b);
  }

  /** Solves Wᵀ x = b in place with the current factors (for the discrete adjoints). */
  solveTransposed(b: Float64Array): void {
    if (this.banded) bandLuSolveTransposed(this.n, this.ml, this.mu, this.W, this.piv, b);
    else luSolveTransposed(this.n, this.W, this.piv, b);
  }

  /** out = M v (out = v for the identity); out must not alias v. */
  massMul(v: Float64Array, out: Float64Array): void {
    const n = this.n;
    const m = this.mass;
    if (m === null) {
      for (let i = 0; i < n; i++) out[i] = v[i];
      return;
    }
    for (let i = 0; i < n; i++) {
      let s = 0;
      const r = i * n;
      for (let j = 0; j < n; j++) s += m[r + j] * v[j];
      out[i] = s;
    }
  }

  /**
   * Central-difference ∂f/∂t at (t, y) into `out`; two evaluations of f, using `scratch`.
   */
  timeDerivative(t: number, y: Float64Array, fy: Float64Array, out: Float64Array, scratch: Float64Array): void {
    const d = timeIncrement(t);
    const tp = t + d;
    const tm = t - d;
    this.f(tp, y, this.args, scratch);
    for (let i = 0, n = this.n; i < n; i++) out[i] = scratch[i];
    this.f(tm, y, this.args, scratch);
    const inv = 1 / (tp - tm);
    for (let i = 0, n = this.n; i < n; i++) out[i] = (out[i] - scratch[i]) * inv;
  }

}
