/**
 * What the step adjoints of the implicit methods share: the implicit stage equation solved to
 * rounding, and the factored matrices of a recorded step's stages kept for its reverse sweep.
 *
 * Every Newton-based method here (ESDIRK, IMEX, BDF) solves stage equations of one form,
 *
 *   G(u) = f(t_i, base + u) + α (S − M u) = 0,                                        (1)
 *
 * with α = 1/(γ h) and S the explicit part (ESDIRK: u = Z_i − y0, S = h Σ_{j<i} a_ij k_j; BDF:
 * base = the predictor, u = its correction, S = −M ψ, α = α_k / h). The forward solve stops
 * Newton's iteration at a tolerance; the step map the adjoints differentiate is the one with (1)
 * solved exactly. Its derivative follows from the implicit function theorem,
 *
 *   (α M − J_i) du = J_i d(base) + ∂f/∂p dp + α dS,   J_i = ∂f/∂y(t_i, base + u),
 *
 * so a tangent costs one solve with W_i = α M − J_i and a cotangent ū one transposed solve,
 * ν = W_i⁻ᵀ ū, giving base̅ += J_iᵀ ν, p̄ += (∂f/∂p)ᵀ ν, S̄ += α ν. Recomputing a step solves (1) by
 * Newton's method with the Jacobian at every iterate until the correction stalls at rounding,
 * then once more, so W_i is the matrix at the solution (to rounding) that the forward solve's
 * possibly stale Jacobian only approximated.
 */
import { type FactorCopy, type ImplicitOptions, IterationMatrix } from "../solvers/implicit/iteration-matrix.js";
import type { InPlaceVectorField, VectorFieldObject } from "../terms.js";
import type { VectorFieldDerivatives } from "./derivatives.js";

/** Most Newton iterations of an exact stage solve. */
const MAX_ITERATIONS = 16;

/**
 * The iteration matrix the adjoint factors: the solver's mass matrix and memory budget, with a
 * direct linear solver (its reverse sweep solves with Wᵀ): banded LU when the solver was given a
 * `bandwidth`, dense LU otherwise. The exact Jacobian comes from the vector
 * field's `jac` or, failing that, its `jvp` column by column (finite differences, coloured when a
 * pattern is known, only when it has neither).
 */
export function adjointIterationMatrix(
  name: string, f: InPlaceVectorField, n: number, args: unknown, vf: VectorFieldObject, deriv: VectorFieldDerivatives, options: ImplicitOptions,
): IterationMatrix {
  const exact: VectorFieldObject | null = vf.jac !== undefined || vf.jvp === undefined
    ? vf
    : { f: vf.f, jac: (t: number, y: Float64Array, _a: unknown, J: Float64Array) => deriv.jacY(t, y, J), ...(vf.jacSparsity !== undefined ? { jacSparsity: vf.jacSparsity } : {}) };
  const { preconditioner: _p, krylov: _k, linearSolver: _l, ...rest } = options;
  const direct = options.bandwidth !== undefined ? "banded" : "dense";
  return new IterationMatrix(name, f, n, args, exact, { ...rest, linearSolver: direct });
}

/** Scratch of {@link solveStageExactly} (length n each). */
export interface StageScratch {
  readonly z: Float64Array;
  readonly fz: Float64Array;
  readonly rhs: Float64Array;
  readonly mtmp: Float64Array;
}

/** Allocates {@link StageScratch} for states of length n. */
export function stageScratch(n: number): StageScratch {
  return { z: new Float64Array(n), fz: new Float64Array(n), rhs: new Float64Array(n), mtmp: new Float64Array(n) };
}

/**
 * Solves (1) for u to rounding (u holds the predictor on entry), leaving `im` factored at the
 * solution and `scratch.z` = base + u. Returns the number of f evaluations, or −1 when Newton's
 * iteration does not converge (the caller names the step).
 */
export function solveStageExactly(
  im: IterationMatrix, f: InPlaceVectorField, args: unknown, ti: number, h: number, alpha: number,
  base: Float64Array, S: Float64Array, u: Float64Array, scratch: StageScratch,
): number {
  const n = im.n;
  const { z, fz, rhs, mtmp } = scratch;
  const mass = im.mass !== null;
  let evals = 0;
  let converged = false;
  let errPrev = Infinity;
  for (let it = 0; it < MAX_ITERATIONS; it++) {
    for (let j = 0; j < n; j++) z[j] = base[j]! + u[j]!;
    f(ti, z, args, fz);
    evals++;
    if (it === 0) im.start(ti, z);
    evals += im.evalJacobian(ti, z, fz, h);
    if (im.factor(alpha) !== 0) return -1;
    if (mass) {
      im.massMul(u, mtmp);
      for (let j = 0; j < n; j++) rhs[j] = fz[j]! + alpha * (S[j]! - mtmp[j]!);
    } else {
      for (let j = 0; j < n; j++) rhs[j] = fz[j]! + alpha * (S[j]! - u[j]!);
    }
    im.solve(rhs);
    let zmax = 0;
    for (let j = 0; j < n; j++) zmax = Math.max(zmax, Math.abs(z[j]!));
    const floor = 1e-8 * zmax + 1e-300;
    let err = 0;
    for (let j = 0; j < n; j++) {
      u[j] += rhs[j]!;
      const e = Math.abs(rhs[j]!) / (Math.abs(z[j]!) + floor);
      if (!(e <= err)) err = e; // NaN propagates
    }
    if (err !== err) return -1;
    // One more iteration once the correction is at 1e-12, or stalls (a small component fixed by
    // cancellation against large ones reaches rounding at a larger relative size): Newton's
    // quadratic convergence then leaves rounding, and that iteration's matrix is the one at the solution.
    if (converged) {
      for (let j = 0; j < n; j++) z[j] = base[j]! + u[j]!;
      return evals;
    }
    if (err <= 1e-12 || (err <= 1e-6 && err > 0.25 * errPrev)) converged = true;
    errPrev = err;
  }
  return -1;
}

/** Copies of the factored iteration matrices of a recorded step's stages, for its reverse sweep. */
export class StageFactors {
  private readonly copies: FactorCopy[] = [];
  constructor(im: IterationMatrix, count: number) {
    for (let k = 0; k < count; k++) this.copies.push(im.factorCopy());
  }

  /** Keeps the matrix the iteration matrix is factored for now as stage k's. */
  keep(k: number): void {
    this.copies[k]!.keep();
  }

  /** b ← W_k⁻¹ b. */
  solve(k: number, b: Float64Array): void {
    this.copies[k]!.solve(b);
  }

  /** b ← W_k⁻ᵀ b. */
  solveTransposed(k: number, b: Float64Array): void {
    this.copies[k]!.solveTransposed(b);
  }
}

/** out = Mᵀ v (out = v without a mass matrix); out must not alias v. */
export function massMulTransposed(mass: Float64Array | null, n: number, v: Float64Array, out: Float64Array): void {
  if (mass === null) {
    for (let i = 0; i < n; i++) out[i] = v[i]!;
    return;
  }
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += mass[i * n + j]! * v[i]!;
    out[j] = s;
  }
}

/** The error a step adjoint throws when the reverse sweep cannot re-solve a step's stage equations. */
export function stageFailure(who: string, solver: string, t: number, h: number): Error {
  return new Error(
    `${who}: recomputing the ${solver} step at t = ${t} (h = ${h}) for the reverse sweep, Newton's iteration on its stage equations did not converge to rounding; ` +
      "solve with a tighter tolerance (smaller steps), or use adjoint: new BacksolveAdjoint({ state: \"interpolate\" }).",
  );
}
