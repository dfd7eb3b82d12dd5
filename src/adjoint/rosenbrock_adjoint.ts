/**
 * The discrete adjoint of Rosenbrock steps: Rodas5P (any `RodasMethod`) and Rosenbrock23.
 *
 * A Rosenbrock step is linearly implicit: no Newton iteration, so the step is replayed by the
 * solver's own `step` from the state, bit for bit as in the forward solve, and differentiated as
 * computed. In the transformed form (Hairer & Wanner, *Solving ODEs II*, §IV.7) with
 * W = α M − J, α = 1/(γ h), J = ∂f/∂y(t, y0) and the central difference
 * ṫ = (f(t + δ, y0) − f(t − δ, y0)) / 2δ for ∂f/∂t,
 *
 *   W U_i = f(t + c_i h, Y_i) + d_i h ṫ + M Σ_{j<i} (C_ij / h) U_j,   Y_i = y0 + Σ_{j<i} a_ij U_j,
 *   y1 = y0 + Σ b_i U_i,
 *
 * the reverse sweep, for i = s−1 … 0, takes r_i = W⁻ᵀ Ū_i (one transposed solve with the step's
 * own factors), then Ȳ_i = f_yᵀ r_i, p̄ += f_pᵀ r_i at (t_i, Y_i), Ū_j += a_ij Ȳ_i + (C_ij / h) Mᵀ r_i,
 * ṫ̄ += d_i h r_i. Because the step uses J itself, J̄ = Σ_i r_i U_iᵀ also flows back, through the
 * second derivatives: ȳ0 += ∂/∂y (r_iᵀ J U_i), p̄ += ∂/∂p (r_iᵀ J U_i) (the vector field's `hvp`,
 * which `compile` generates; differences of its VJP otherwise), and ṫ̄ through the two VJPs of the
 * time difference. Rosenbrock23 (Shampine & Reichelt's ode23s) is the same with its own stages.
 *
 * Exact for the discrete map with the exact Jacobian (what `compile`'s `jac` gives the solver);
 * with a finite-difference Jacobian in the forward solve the J̄ term is that of the exact one.
 */
import { type IterationMatrix, timeIncrement } from "../solvers/implicit/iteration-matrix.js";
import { R23_D, type RodasMethod, type Rosenbrock23, type RosenbrockState } from "../solvers/implicit/rosenbrock.js";
import type { InPlaceVectorField } from "../terms.js";
import { VectorFieldDerivatives } from "./derivatives.js";
import { massMulTransposed } from "./implicit_stage.js";
import { odeVectorField, type StepAdjoint, type StepAdjointContext, type StepLog } from "./step_adjoint.js";

/** What the Rosenbrock step adjoints share: the replay through the solver and the ∂f/∂t and J terms. */
abstract class RosenbrockStepAdjointBase implements StepAdjoint {
  readonly stateSize: number;
  readonly keptPerStep = 0;
  numFnEvals = 0;
  numVjpEvals = 0;
  protected readonly n: number;
  protected readonly deriv: VectorFieldDerivatives;
  /** The solver's workspace the steps are replayed in. */
  protected readonly state: RosenbrockState;
  protected readonly im: IterationMatrix;
  protected readonly autonomous: boolean;
  protected readonly steps: StepLog;
  protected readonly f: InPlaceVectorField;
  protected readonly args: unknown;
  protected t = 0;
  protected h = 0;
  protected readonly y0: Float64Array;
  protected readonly y1: Float64Array;
  private readonly times = new Float64Array(2);
  private readonly yErr: Float64Array;
  /** Accumulated cotangents: y0 (direct), ∂f/∂t. */
  protected readonly y0bar: Float64Array;
  protected readonly dTbar: Float64Array;
  protected readonly v1: Float64Array;
  protected readonly v2: Float64Array;

  constructor(
    private readonly solver: RodasMethod | Rosenbrock23,
    ctx: StepAdjointContext,
  ) {
    const vf = odeVectorField(ctx.v.terms, solver.name, ctx.who);
    const n = ctx.v.y0.length;
    this.n = n;
    this.stateSize = n;
    this.steps = ctx.steps;
    this.f = ctx.v.f;
    this.args = ctx.args;
    this.deriv = new VectorFieldDerivatives(vf, n, ctx.layout, ctx.v.f);
    this.state = solver.init(ctx.v.f, n, ctx.args, ctx.v.terms);
    this.im = this.state.im;
    this.autonomous = solver.options.autonomous === true;
    const vec = (): Float64Array => new Float64Array(n);
    this.y0 = vec();
    this.y1 = vec();
    this.yErr = vec();
    this.y0bar = vec();
    this.dTbar = vec();
    this.v1 = vec();
    this.v2 = vec();
  }

  capture(_i: number, y0: Float64Array, _state: unknown, out: Float64Array): number {
    out.set(y0);
    return 0;
  }

  dropKept(): void {}

  start(y0: Float64Array, out: Float64Array): void {
    out.set(y0);
  }

  /** Replays step i through the solver (restarted at its start, as every accepted step's J is fresh). */
  protected replay(i: number, x0: Float64Array): void {
    const t = this.steps.t(i);
    const h = this.steps.h(i);
    this.t = t;
    this.h = h;
    this.y0.set(x0);
    const st = this.state;
    const before = st.numFnEvals;
    this.solver.restart(st, t, this.y0);
    this.times[0] = t;
    this.times[1] = h;
    this.solver.step(st, this.times, this.y0, this.y1, this.yErr);
    this.numFnEvals += st.numFnEvals - before;
  }

  advance(i: number, x0: Float64Array, x1: Float64Array): void {
    this.replay(i, x0);
    x1.set(this.y1);
  }

  record(i: number, x0: Float64Array): void {
    this.replay(i, x0);
  }

  beginReverse(): void {
    this.y0bar.fill(0);
    this.dTbar.fill(0);
    this.clearStageCotangents();
  }

  protected abstract clearStageCotangents(): void;

  /** y0bar += f_yᵀ w and p̄ += f_pᵀ w at (t, y). */
  protected vjpAdd(t: number, y: Float64Array, w: Float64Array, pbar: Float64Array): void {
    this.deriv.vjpYP(t, y, w, this.v1, pbar);
    this.numVjpEvals++;
    for (let j = 0; j < this.n; j++) this.y0bar[j] += this.v1[j]!;
  }

  /** y0bar, p̄ += ∂/∂(y, p) of rᵀ J(t, y0) u: the cotangent of the Jacobian the step used. */
  protected jacobianTerm(r: Float64Array, u: Float64Array, pbar: Float64Array): void {
    this.deriv.hvpAdd(this.t, this.y0, r, u, this.y0bar, pbar);
    this.numVjpEvals++;
  }

  /**
   * The cotangent of the ∂f/∂t difference, back to y0 and p (two VJPs), with the increment the
   * step used (timeIncrement(t, h)). Where the vector field has its own `dfdt`, the step used it,
   * and this difference approximates its derivative to O(δ²).
   */
  protected timeDerivativeTerm(pbar: Float64Array): void {
    if (this.autonomous) return;
    const d = timeIncrement(this.t, this.h);
    const tp = this.t + d;
    const tm = this.t - d;
    const inv = 1 / (tp - tm);
    const n = this.n;
    const w = this.v2;
    for (let j = 0; j < n; j++) w[j] = this.dTbar[j]! * inv;
    this.vjpAdd(tp, this.y0, w, pbar);
    for (let j = 0; j < n; j++) w[j] = -w[j]!;
    this.vjpAdd(tm, this.y0, w, pbar);
  }

  /** ṫ's tangent: the two JVPs of the difference. */
  protected timeDerivativeTangent(yDot: Float64Array, pDot: Float64Array, out: Float64Array): void {
    out.fill(0);
    if (this.autonomous) return;
    const d = timeIncrement(this.t, this.h);
    const tp = this.t + d;
    const tm = this.t - d;
    const inv = 1 / (tp - tm);
    const w = this.v2;
    this.deriv.jvpY(tp, this.y0, yDot, w);
    this.deriv.jvpPAdd(tp, this.y0, pDot, w);
    for (let j = 0; j < this.n; j++) out[j] = w[j]! * inv;
    this.deriv.jvpY(tm, this.y0, yDot, w);
    this.deriv.jvpPAdd(tm, this.y0, pDot, w);
    for (let j = 0; j < this.n; j++) out[j] -= w[j]! * inv;
  }

  /** (∂f/∂y) v + (∂f/∂p) ṗ at (t, y) into `out`. */
  protected jvp(t: number, y: Float64Array, v: Float64Array, pDot: Float64Array, out: Float64Array): void {
    this.deriv.jvpY(t, y, v, out);
    this.deriv.jvpPAdd(t, y, pDot, out);
  }

  abstract outputThetaDerivative(theta: number, out: Float64Array): void;
  abstract addOutputCotangent(theta: number, obar: ArrayLike<number>, offset: number, lambda: Float64Array): void;
  abstract reverse(lambda: Float64Array, pbar: Float64Array): void;
  abstract tangent(i: number, x0: Float64Array, x1: Float64Array, xDot: Float64Array, pDot: Float64Array): void;
}

/** {@link StepAdjoint} of Rodas-type methods (Rodas5P). */
export class RodasStepAdjoint extends RosenbrockStepAdjointBase {
  private readonly tab: RodasMethod["tableau"];
  /** Stage inputs Y_i of the recorded step. */
  private readonly Y: Float64Array[] = [];
  private readonly Ubar: Float64Array[] = [];

  constructor(solver: RodasMethod, ctx: StepAdjointContext) {
    super(solver, ctx);
    this.tab = solver.tableau;
    for (let i = 0; i < this.tab.stages; i++) {
      this.Y.push(new Float64Array(this.n));
      this.Ubar.push(new Float64Array(this.n));
    }
  }

  override record(i: number, x0: Float64Array): void {
    this.replay(i, x0);
    // The stage inputs, as the solver forms them.
    const { n, Y, tab } = this;
    const s = tab.stages;
    const U = this.state.ks;
    for (let st = 0; st < s; st++) {
      const y = Y[st]!;
      for (let j = 0; j < n; j++) y[j] = this.y0[j]!;
      for (let l = 0; l < st; l++) {
        const a = tab.a[st * s + l]!;
        if (a !== 0) for (let j = 0; j < n; j++) y[j] += a * U[l]![j]!;
      }
    }
  }

  protected clearStageCotangents(): void {
    for (const u of this.Ubar) u.fill(0);
  }

  /** g(θ) = Σ_r θ^r K_r with K_r = Σ_l H_rl U_l, and g'(θ), into out (value or derivative). */
  private denseSum(theta: number, derivative: boolean, out: Float64Array): void {
    const { n, tab } = this;
    const s = tab.stages;
    const rows = tab.denseRows;
    const U = this.state.ks;
    out.fill(0);
    for (let l = 0; l < s; l++) {
      let g = 0;
      let dg = 0;
      for (let r = rows - 1; r >= 0; r--) {
        dg = dg * theta + g;
        g = g * theta + tab.h[r * s + l]!;
      }
      const w = derivative ? dg : g;
      if (w !== 0) for (let j = 0; j < n; j++) out[j] += w * U[l]![j]!;
    }
  }

  outputThetaDerivative(theta: number, out: Float64Array): void {
    // y(θ) = (1 − θ) y0 + θ (y1 + (1 − θ) g(θ)).
    const g = this.v1;
    const dg = this.v2;
    this.denseSum(theta, false, g);
    this.denseSum(theta, true, dg);
    for (let j = 0; j < this.n; j++) out[j] = this.y1[j]! - this.y0[j]! + (1 - 2 * theta) * g[j]! + theta * (1 - theta) * dg[j]!;
  }

  addOutputCotangent(theta: number, obar: ArrayLike<number>, offset: number, lambda: Float64Array): void {
    const { n, tab } = this;
    const s = tab.stages;
    const rows = tab.denseRows;
    for (let j = 0; j < n; j++) {
      this.y0bar[j] += (1 - theta) * obar[offset + j]!;
      lambda[j] += theta * obar[offset + j]!;
    }
    const c = theta * (1 - theta);
    for (let l = 0; l < s; l++) {
      let g = 0;
      for (let r = rows - 1; r >= 0; r--) g = g * theta + tab.h[r * s + l]!;
      const w = c * g;
      if (w === 0) continue;
      const ub = this.Ubar[l]!;
      for (let j = 0; j < n; j++) ub[j] += w * obar[offset + j]!;
    }
  }

  reverse(lambda: Float64Array, pbar: Float64Array): void {
    const { n, tab, Ubar, Y, im, y0bar, dTbar } = this;
    const s = tab.stages;
    const { a, C, c, d, b } = tab;
    const h = this.h;
    const t = this.t;
    const U = this.state.ks;
    const mass = im.mass;
    const mr = this.v2;
    for (let j = 0; j < n; j++) y0bar[j] += lambda[j]!;
    for (let l = 0; l < s; l++) {
      const bl = b[l]!;
      if (bl !== 0) for (let j = 0; j < n; j++) Ubar[l]![j] += bl * lambda[j]!;
    }
    const r = lambda; // λ is free until the end: the stage's rhs cotangent
    for (let st = s - 1; st >= 0; st--) {
      r.set(Ubar[st]!);
      im.solveTransposed(r);
      this.jacobianTerm(r, U[st]!, pbar);
      const dd = d[st]! * h;
      if (dd !== 0) for (let j = 0; j < n; j++) dTbar[j] += dd * r[j]!;
      // f(t + c_i h, Y_i), Y_i = y0 + Σ a_il U_l (the VJP's y part lands in y0bar; spread it to the U's).
      const before = this.v1;
      this.deriv.vjpYP(st === 0 ? t : t + c[st]! * h, Y[st]!, r, before, pbar);
      this.numVjpEvals++;
      for (let j = 0; j < n; j++) y0bar[j] += before[j]!;
      for (let l = 0; l < st; l++) {
        const al = a[st * s + l]!;
        if (al !== 0) for (let j = 0; j < n; j++) Ubar[l]![j] += al * before[j]!;
      }
      if (st > 0) {
        massMulTransposed(mass, n, r, mr);
        for (let l = 0; l < st; l++) {
          const cl = C[st * s + l]! / h;
          if (cl !== 0) for (let j = 0; j < n; j++) Ubar[l]![j] += cl * mr[j]!;
        }
      }
    }
    this.timeDerivativeTerm(pbar);
    lambda.set(y0bar);
  }

  tangent(i: number, x0: Float64Array, x1: Float64Array, xDot: Float64Array, pDot: Float64Array): void {
    this.record(i, x0);
    x1.set(this.y1);
    const { n, tab, Y, im } = this;
    const s = tab.stages;
    const { a, C, c, d, b } = tab;
    const h = this.h;
    const t = this.t;
    const U = this.state.ks;
    const Ud = this.Ubar; // free during a tangent step
    const dTd = this.dTbar;
    this.timeDerivativeTangent(xDot, pDot, dTd);
    const Yd = this.y0bar;
    const rhs = this.v1;
    const acc = new Float64Array(n);
    const mv = new Float64Array(n);
    for (let st = 0; st < s; st++) {
      for (let j = 0; j < n; j++) {
        let v = xDot[j]!;
        for (let l = 0; l < st; l++) v += a[st * s + l]! * Ud[l]![j]!;
        Yd[j] = v;
      }
      this.jvp(st === 0 ? t : t + c[st]! * h, Y[st]!, Yd, pDot, rhs);
      for (let j = 0; j < n; j++) rhs[j] += d[st]! * h * dTd[j]!;
      acc.fill(0);
      for (let l = 0; l < st; l++) {
        const cl = C[st * s + l]! / h;
        for (let j = 0; j < n; j++) acc[j] += cl * Ud[l]![j]!;
      }
      im.massMul(acc, mv);
      for (let j = 0; j < n; j++) rhs[j] += mv[j]!;
      // The Jacobian's own tangent: (d/dε J) U_i.
      this.deriv.jacTangent(t, this.y0, xDot, pDot, U[st]!, mv);
      for (let j = 0; j < n; j++) rhs[j] += mv[j]!;
      im.solve(rhs);
      Ud[st]!.set(rhs);
    }
    for (let j = 0; j < n; j++) {
      let v = xDot[j]!;
      for (let l = 0; l < s; l++) v += b[l]! * Ud[l]![j]!;
      xDot[j] = v;
    }
  }
}

/** {@link StepAdjoint} of Rosenbrock23 (ode23s): stages k1, k2 with W = α M − J, α = 1/(d h). */
export class Rosenbrock23StepAdjoint extends RosenbrockStepAdjointBase {
  private readonly Y2: Float64Array;
  private readonly k1bar: Float64Array;
  private readonly k2bar: Float64Array;
  private readonly u: Float64Array;

  constructor(solver: Rosenbrock23, ctx: StepAdjointContext) {
    super(solver, ctx);
    this.Y2 = new Float64Array(this.n);
    this.k1bar = new Float64Array(this.n);
    this.k2bar = new Float64Array(this.n);
    this.u = new Float64Array(this.n);
  }

  override record(i: number, x0: Float64Array): void {
    this.replay(i, x0);
    const k1 = this.state.ks[0]!;
    for (let j = 0; j < this.n; j++) this.Y2[j] = this.y0[j]! + 0.5 * this.h * k1[j]!;
  }

  protected clearStageCotangents(): void {
    this.k1bar.fill(0);
    this.k2bar.fill(0);
  }

  outputThetaDerivative(theta: number, out: Float64Array): void {
    // y(θ) = y0 + h (θ(1 − θ) k1 + θ(θ − 2d) k2) / (1 − 2d).
    const sc = this.h / (1 - 2 * R23_D);
    const w1 = (1 - 2 * theta) * sc;
    const w2 = (2 * theta - 2 * R23_D) * sc;
    const [k1, k2] = this.state.ks;
    for (let j = 0; j < this.n; j++) out[j] = w1 * k1![j]! + w2 * k2![j]!;
  }

  addOutputCotangent(theta: number, obar: ArrayLike<number>, offset: number): void {
    const sc = this.h / (1 - 2 * R23_D);
    const w1 = theta * (1 - theta) * sc;
    const w2 = theta * (theta - 2 * R23_D) * sc;
    for (let j = 0; j < this.n; j++) {
      const o = obar[offset + j]!;
      this.y0bar[j] += o;
      this.k1bar[j] += w1 * o;
      this.k2bar[j] += w2 * o;
    }
  }

  reverse(lambda: Float64Array, pbar: Float64Array): void {
    const { n, im, y0bar, k1bar, k2bar, dTbar, u } = this;
    const h = this.h;
    const t = this.t;
    const hd = h * R23_D;
    const alpha = 1 / hd;
    const [k1, k2] = this.state.ks;
    const mass = im.mass;
    for (let j = 0; j < n; j++) {
      k2bar[j] += h * lambda[j]!;
      y0bar[j] += lambda[j]!;
    }
    // k2 = α W⁻¹ (f(t + h/2, Y2) − M k1) + k1.
    const r = lambda;
    for (let j = 0; j < n; j++) r[j] = alpha * k2bar[j]!;
    im.solveTransposed(r);
    for (let j = 0; j < n; j++) u[j] = (k2![j]! - k1![j]!) / alpha;
    this.jacobianTerm(r, u, pbar);
    massMulTransposed(mass, n, r, this.v2);
    for (let j = 0; j < n; j++) k1bar[j] += k2bar[j]! - this.v2[j]!;
    this.deriv.vjpYP(t + 0.5 * h, this.Y2, r, this.v1, pbar);
    this.numVjpEvals++;
    for (let j = 0; j < n; j++) {
      y0bar[j] += this.v1[j]!;
      k1bar[j] += 0.5 * h * this.v1[j]!;
    }
    // k1 = α W⁻¹ (f(t, y0) + d h ∂f/∂t).
    for (let j = 0; j < n; j++) r[j] = alpha * k1bar[j]!;
    im.solveTransposed(r);
    for (let j = 0; j < n; j++) u[j] = k1![j]! / alpha;
    this.jacobianTerm(r, u, pbar);
    this.vjpAdd(t, this.y0, r, pbar);
    for (let j = 0; j < n; j++) dTbar[j] += hd * r[j]!;
    this.timeDerivativeTerm(pbar);
    lambda.set(y0bar);
  }

  tangent(i: number, x0: Float64Array, x1: Float64Array, xDot: Float64Array, pDot: Float64Array): void {
    this.record(i, x0);
    x1.set(this.y1);
    const { n, im } = this;
    const h = this.h;
    const t = this.t;
    const hd = h * R23_D;
    const alpha = 1 / hd;
    const [k1, k2] = this.state.ks;
    const dTd = this.dTbar;
    this.timeDerivativeTangent(xDot, pDot, dTd);
    const rhs = this.v1;
    const tmp = new Float64Array(n);
    const k1d = new Float64Array(n);
    const u = this.u;
    this.jvp(t, this.y0, xDot, pDot, rhs);
    for (let j = 0; j < n; j++) {
      rhs[j] += hd * dTd[j]!;
      u[j] = k1![j]! / alpha;
    }
    this.deriv.jacTangent(t, this.y0, xDot, pDot, u, tmp);
    for (let j = 0; j < n; j++) rhs[j] += tmp[j]!;
    im.solve(rhs);
    for (let j = 0; j < n; j++) k1d[j] = alpha * rhs[j]!;
    const Y2d = new Float64Array(n);
    for (let j = 0; j < n; j++) Y2d[j] = xDot[j]! + 0.5 * h * k1d[j]!;
    this.jvp(t + 0.5 * h, this.Y2, Y2d, pDot, rhs);
    im.massMul(k1d, tmp);
    for (let j = 0; j < n; j++) {
      rhs[j] -= tmp[j]!;
      u[j] = (k2![j]! - k1![j]!) / alpha;
    }
    this.deriv.jacTangent(t, this.y0, xDot, pDot, u, tmp);
    for (let j = 0; j < n; j++) rhs[j] += tmp[j]!;
    im.solve(rhs);
    for (let j = 0; j < n; j++) xDot[j] += h * (alpha * rhs[j]! + k1d[j]!);
  }
}
