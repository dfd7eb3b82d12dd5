/**
 * The discrete adjoint of RadauIIA5 steps.
 *
 * A step solves the three-stage collocation system for the increments Z = (Z_1, Z_2, Z_3),
 *
 *   G(Z) = (I ⊗ M) Z − h (A ⊗ I) F(Z) = 0,   F_j = f(t + c_j h, y0 + Z_j),   y1 = y0 + Z_3,
 *
 * (A the Radau IIA matrix). The forward solve's simplified Newton iteration decouples the 3n
 * unknowns into one real and one complex n × n system through the eigenvectors of A, which is
 * possible because it uses one Jacobian for all three stages. The derivative of the solved system
 * involves the exact Jacobians J_j = ∂f/∂y(t_j, y0 + Z_j), different at each stage, so
 * ∂G/∂Z = I ⊗ M − h (A ⊗ I) diag(J_1, J_2, J_3) does not decouple: the recomputation solves G = 0
 * by Newton's method with this full 3n × 3n matrix (dense LU) to rounding, and the reverse sweep
 * makes one transposed solve with its factors,
 *
 *   (∂G/∂Z)ᵀ μ = Z̄,   ν_j = h Σ_i a_ij μ_i,   ȳ0 += Σ_j J_jᵀ ν_j,   p̄ += Σ_j (∂f/∂p)ᵀ ν_j,
 *
 * three VJPs. Dense output is the collocation polynomial y0 + Σ_k Q_k θ^{k+1}, Q_k = Σ_i P_ik Z_i.
 *
 * Reference: E. Hairer and G. Wanner, *Solving ODEs II*, §IV.5 and §IV.8.
 */
import { luFactor, luSolve, luSolveTransposed } from "../linalg/lu.js";
import { IterationMatrix } from "../solvers/implicit/iteration-matrix.js";
import { RADAU_A, RADAU_C, RADAU_P, type RadauIIA5 } from "../solvers/implicit/radau.js";
import type { InPlaceVectorField } from "../terms.js";
import { VectorFieldDerivatives } from "./derivatives.js";
import { stageFailure } from "./implicit_stage.js";
import { odeVectorField, type StepAdjoint, type StepAdjointContext, type StepLog } from "./step_adjoint.js";

const MAX_ITERATIONS = 16;

/** {@link StepAdjoint} of RadauIIA5; the carried state is y. */
export class RadauStepAdjoint implements StepAdjoint {
  readonly stateSize: number;
  readonly keptPerStep = 0;
  numFnEvals = 0;
  numVjpEvals = 0;
  private readonly n: number;
  private readonly deriv: VectorFieldDerivatives;
  private readonly f: InPlaceVectorField;
  private readonly args: unknown;
  private readonly steps: StepLog;
  private readonly who: string;
  private readonly mass: Float64Array | null;
  /** ∂G/∂Z (3n × 3n, row-major), then its LU factors. */
  private readonly G: Float64Array;
  private readonly piv: Int32Array;
  private readonly J: Float64Array;
  private t = 0;
  private h = 0;
  private readonly y0: Float64Array;
  /** Z (3n) and the stage values y0 + Z_j. */
  private readonly Z: Float64Array;
  private readonly Y: Float64Array[] = [];
  private readonly F: Float64Array[] = [];
  private readonly r: Float64Array;
  private readonly y0bar: Float64Array;
  private readonly Zbar: Float64Array;
  private readonly v1: Float64Array;

  constructor(solver: RadauIIA5, ctx: StepAdjointContext) {
    const vf = odeVectorField(ctx.v.terms, solver.name, ctx.who);
    const n = ctx.v.y0.length;
    this.n = n;
    this.stateSize = n;
    this.f = ctx.v.f;
    this.args = ctx.args;
    this.steps = ctx.steps;
    this.who = ctx.who;
    this.deriv = new VectorFieldDerivatives(vf, n, ctx.layout, ctx.v.f);
    // The mass matrix as the solver reads it (validated there).
    this.mass = new IterationMatrix(solver.name, ctx.v.f, n, ctx.args, null, { ...solver.options, linearSolver: "dense" }).mass;
    this.G = new Float64Array(9 * n * n);
    this.piv = new Int32Array(3 * n);
    this.J = new Float64Array(n * n);
    this.y0 = new Float64Array(n);
    this.Z = new Float64Array(3 * n);
    for (let j = 0; j < 3; j++) {
      this.Y.push(new Float64Array(n));
      this.F.push(new Float64Array(n));
    }
    this.r = new Float64Array(3 * n);
    this.y0bar = new Float64Array(n);
    this.Zbar = new Float64Array(3 * n);
    this.v1 = new Float64Array(n);
  }

  capture(_i: number, y0: Float64Array, _state: unknown, out: Float64Array): number {
    out.set(y0);
    return 0;
  }

  dropKept(): void {}

  start(y0: Float64Array, out: Float64Array): void {
    out.set(y0);
  }

  /** Stage values, F and (with `jacobian`) ∂G/∂Z factored at the current Z. */
  private evaluate(jacobian: boolean): boolean {
    const { n, Z, Y, F, J, G, mass } = this;
    const h = this.h;
    const N = 3 * n;
    if (jacobian) G.fill(0);
    for (let j = 0; j < 3; j++) {
      const y = Y[j]!;
      for (let k = 0; k < n; k++) y[k] = this.y0[k]! + Z[j * n + k]!;
      const tj = this.t + RADAU_C[j] * h;
      this.f(tj, y, this.args, F[j]!);
      this.numFnEvals++;
      if (!jacobian) continue;
      this.deriv.jacY(tj, y, J);
      // Column block j: −h a_ij J_j for every row block i.
      for (let i = 0; i < 3; i++) {
        const c = -h * RADAU_A[3 * i + j];
        for (let a = 0; a < n; a++) {
          const row = (i * n + a) * N + j * n;
          for (let b = 0; b < n; b++) G[row + b] = c * J[a * n + b]!;
        }
      }
    }
    if (!jacobian) return true;
    for (let i = 0; i < 3; i++) {
      for (let a = 0; a < n; a++) {
        const row = (i * n + a) * N + i * n;
        if (mass === null) G[row + a] += 1;
        else for (let b = 0; b < n; b++) G[row + b] += mass[a * n + b]!;
      }
    }
    return luFactor(N, G, this.piv) === 0;
  }

  /** The step from x0 with the collocation system solved to rounding (Z, stage values, factors). */
  private compute(i: number, x0: Float64Array): void {
    const { n, Z, F, r, mass } = this;
    this.t = this.steps.t(i);
    this.h = this.steps.h(i);
    const h = this.h;
    this.y0.set(x0);
    Z.fill(0);
    let converged = false;
    let errPrev = Infinity;
    for (let it = 0; it < MAX_ITERATIONS; it++) {
      if (!this.evaluate(true)) throw stageFailure(this.who, "RadauIIA5", this.t, h);
      // r = −G(Z) = h (A ⊗ I) F − (I ⊗ M) Z.
      for (let s = 0; s < 3; s++) {
        for (let a = 0; a < n; a++) {
          let acc = h * (RADAU_A[3 * s] * F[0]![a]! + RADAU_A[3 * s + 1] * F[1]![a]! + RADAU_A[3 * s + 2] * F[2]![a]!);
          if (mass === null) acc -= Z[s * n + a]!;
          else for (let b = 0; b < n; b++) acc -= mass[a * n + b]! * Z[s * n + b]!;
          r[s * n + a] = acc;
        }
      }
      luSolve(3 * n, this.G, this.piv, r);
      let zmax = 0;
      for (let k = 0; k < 3 * n; k++) zmax = Math.max(zmax, Math.abs(this.y0[k % n]! + Z[k]!));
      const floor = 1e-8 * zmax + 1e-300;
      let err = 0;
      for (let k = 0; k < 3 * n; k++) {
        Z[k] += r[k]!;
        const e = Math.abs(r[k]!) / (Math.abs(this.y0[k % n]! + Z[k]!) + floor);
        if (!(e <= err)) err = e;
      }
      if (err !== err) break;
      if (converged) {
        // The factors are at the previous iterate, which rounding separates from this one.
        this.evaluate(false);
        return;
      }
      if (err <= 1e-12 || (err <= 1e-6 && err > 0.25 * errPrev)) converged = true;
      errPrev = err;
    }
    throw stageFailure(this.who, "RadauIIA5", this.t, h);
  }

  advance(i: number, x0: Float64Array, x1: Float64Array): void {
    this.compute(i, x0);
    for (let k = 0; k < this.n; k++) x1[k] = this.y0[k]! + this.Z[2 * this.n + k]!;
  }

  record(i: number, x0: Float64Array): void {
    this.compute(i, x0);
  }

  outputThetaDerivative(theta: number, out: Float64Array): void {
    const { n, Z } = this;
    for (let a = 0; a < n; a++) {
      let acc = 0;
      for (let s = 0; s < 3; s++) {
        const z = Z[s * n + a]!;
        acc += z * (RADAU_P[3 * s]! + theta * (2 * RADAU_P[3 * s + 1]! + 3 * theta * RADAU_P[3 * s + 2]!));
      }
      out[a] = acc;
    }
  }

  beginReverse(): void {
    this.y0bar.fill(0);
    this.Zbar.fill(0);
  }

  addOutputCotangent(theta: number, obar: ArrayLike<number>, offset: number): void {
    const { n, Zbar } = this;
    for (let s = 0; s < 3; s++) {
      const w = theta * (RADAU_P[3 * s]! + theta * (RADAU_P[3 * s + 1]! + theta * RADAU_P[3 * s + 2]!));
      for (let a = 0; a < n; a++) Zbar[s * n + a] += w * obar[offset + a]!;
    }
    for (let a = 0; a < n; a++) this.y0bar[a] += obar[offset + a]!;
  }

  reverse(lambda: Float64Array, pbar: Float64Array): void {
    const { n, Zbar, y0bar, Y, v1 } = this;
    const h = this.h;
    for (let a = 0; a < n; a++) {
      Zbar[2 * n + a] += lambda[a]!;
      y0bar[a] += lambda[a]!;
    }
    luSolveTransposed(3 * n, this.G, this.piv, Zbar); // μ
    const nu = this.r;
    for (let j = 0; j < 3; j++) {
      for (let a = 0; a < n; a++) nu[a] = h * (RADAU_A[j] * Zbar[a]! + RADAU_A[3 + j] * Zbar[n + a]! + RADAU_A[6 + j] * Zbar[2 * n + a]!);
      this.deriv.vjpYP(this.t + RADAU_C[j] * h, Y[j]!, nu, v1, pbar);
      this.numVjpEvals++;
      for (let a = 0; a < n; a++) y0bar[a] += v1[a]!;
    }
    lambda.set(y0bar);
  }

  tangent(i: number, x0: Float64Array, x1: Float64Array, xDot: Float64Array, pDot: Float64Array): void {
    this.compute(i, x0);
    const { n, Y, r } = this;
    const h = this.h;
    // ∂G/∂Z Ż = h (A ⊗ I) (J_j ẏ0 + f_p,j ṗ).
    const g = [new Float64Array(n), new Float64Array(n), new Float64Array(n)];
    for (let j = 0; j < 3; j++) {
      const tj = this.t + RADAU_C[j] * h;
      this.deriv.jvpY(tj, Y[j]!, xDot, g[j]!);
      this.deriv.jvpPAdd(tj, Y[j]!, pDot, g[j]!);
    }
    for (let s = 0; s < 3; s++) {
      for (let a = 0; a < n; a++) r[s * n + a] = h * (RADAU_A[3 * s] * g[0]![a]! + RADAU_A[3 * s + 1] * g[1]![a]! + RADAU_A[3 * s + 2] * g[2]![a]!);
    }
    luSolve(3 * n, this.G, this.piv, r);
    for (let a = 0; a < n; a++) {
      x1[a] = this.y0[a]! + this.Z[2 * n + a]!;
      xDot[a] += r[2 * n + a]!;
    }
  }
}
