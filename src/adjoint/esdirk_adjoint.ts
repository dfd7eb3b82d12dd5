/**
 * The discrete adjoint of diagonally implicit steps: the ESDIRK methods (ImplicitEuler,
 * Kvaerno3/4/5, with a constant mass matrix) and the IMEX additive pairs (KenCarp3/4/5).
 *
 * One step from (t, y0) with size h, stages i = 1 … s−1 (k at stage 0 is f(t, y0)):
 *
 *   S_i = h Σ_{j<i} (aI_ij kI_j + aE_ij kE_j),
 *   M w_i = S_i + γ h fI(t_i, y0 + w_i)       (solved exactly; Z_i = y0 + w_i),
 *   kI_i = (M w_i − S_i)/(γ h) = fI(t_i, Z_i),   kE_i = fE(t_i, Z_i),
 *   y1 = y0 + w_{s−1} (ESDIRK, stiffly accurate)   or   y1 = y0 + h Σ b_j (kE_j + kI_j) (IMEX),
 *
 * with fE = 0 for ESDIRK. The implicit function theorem on each stage equation (implicit_stage.ts)
 * gives the reverse sweep: for i = s−1 … 1, with w̄_i the stage's cotangent,
 *
 *   w̄_i += fE_yᵀ kĒ_i + α Mᵀ kĪ_i,   ν = (α M − J_i)⁻ᵀ w̄_i,   S̄_i = α (ν − kĪ_i),
 *   ȳ0 += fE_yᵀ kĒ_i + J_iᵀ ν,   p̄ += fE_pᵀ kĒ_i + fI_pᵀ ν,   k̄_j += h a_ij S̄_i  (j < i),
 *
 * one transposed solve per stage. Dense output is the solvers' cubic Hermite interpolant between
 * (y0, f(t, y0)) and (y1, f(t + h, y1)) (for ESDIRK the end slope is kI_{s−1}, which equals it).
 *
 * References: A. Kværnø, BIT 44 (2004) 489–502; C. A. Kennedy and M. H. Carpenter, Appl. Numer.
 * Math. 44 (2003) 139–181; for discrete adjoints of implicit Runge–Kutta methods, A. Sandu,
 * "On the properties of Runge–Kutta discrete adjoints", ICCS 2006.
 */
import type { ESDIRKMethod } from "../solvers/implicit/esdirk.js";
import type { IterationMatrix } from "../solvers/implicit/iteration-matrix.js";
import type { AdditiveRungeKutta } from "../solvers/implicit/kencarp.js";
import type { SolverState } from "../solvers/solver.js";
import type { InPlaceVectorField, VectorFieldObject } from "../terms.js";
import { VectorFieldDerivatives } from "./derivatives.js";
import { adjointIterationMatrix, massMulTransposed, solveStageExactly, StageFactors, stageFailure, stageScratch, type StageScratch } from "./implicit_stage.js";
import { imexVectorFields, odeVectorField, type StepAdjoint, type StepAdjointContext, type StepLog } from "./step_adjoint.js";

/** One diagonally implicit method as the adjoint sees it. */
interface DIRKSpec {
  readonly name: string;
  readonly stages: number;
  readonly gamma: number;
  /** Implicit table (with the diagonal), s × s row-major. */
  readonly aI: Float64Array;
  /** Explicit table, or null (ESDIRK). */
  readonly aE: Float64Array | null;
  readonly c: Float64Array;
  /** Weights of y1 = y0 + h Σ b_j (kE_j + kI_j), or null for y1 = Z_{s−1} (stiffly accurate ESDIRK). */
  readonly b: Float64Array | null;
  /** Stage predictors (ESDIRK: w = h Σ p_ij k_j), or null (explicit Euler over c_i h). Only a starting guess. */
  readonly predictor: Float64Array | null;
}

/** The implicit and (IMEX) explicit vector fields with their derivatives. */
interface Field {
  readonly f: InPlaceVectorField;
  readonly deriv: VectorFieldDerivatives;
}

/** Wraps a vector field that may return its result into the in-place form. */
function inPlace(vf: VectorFieldObject, n: number): InPlaceVectorField {
  const fn = vf.f;
  return (t, y, args, dy) => {
    const r = fn(t, y, args, dy);
    if (r !== undefined) for (let i = 0; i < n; i++) dy[i] = r[i]!;
  };
}

/** {@link StepAdjoint} of the ESDIRK and IMEX methods; the carried state is y. */
export class DIRKStepAdjoint implements StepAdjoint {
  readonly stateSize: number;
  readonly keptPerStep = 0;
  numFnEvals = 0;
  numVjpEvals = 0;
  private readonly n: number;
  private readonly im: IterationMatrix;
  private readonly factors: StageFactors;
  private readonly mass: Float64Array | null;
  private readonly scratch: StageScratch;
  // The recorded step.
  private t = 0;
  private h = 0;
  private readonly y0: Float64Array;
  private readonly y1: Float64Array;
  private readonly Z: Float64Array[] = [];
  private readonly kI: Float64Array[] = [];
  private readonly kE: Float64Array[] = [];
  /** f(t + h, y1) (IMEX dense output), valid after record with outputs. */
  private readonly fEnd: Float64Array;
  // Reverse-sweep accumulators.
  private readonly kIbar: Float64Array[] = [];
  private readonly kEbar: Float64Array[] = [];
  private readonly y0bar: Float64Array;
  private readonly fEndBar: Float64Array;
  private readonly S: Float64Array;
  private readonly u: Float64Array;
  private readonly v1: Float64Array;
  private readonly v2: Float64Array;

  /** ImplicitEuler, Kvaerno3/4/5 and any ESDIRKMethod. */
  static esdirk(solver: ESDIRKMethod, ctx: StepAdjointContext): DIRKStepAdjoint {
    const vf = odeVectorField(ctx.v.terms, solver.name, ctx.who);
    const n = ctx.v.y0.length;
    const tab = solver.tableau;
    const implicit: Field = { f: ctx.v.f, deriv: new VectorFieldDerivatives(vf, n, ctx.layout, ctx.v.f) };
    const im = adjointIterationMatrix(solver.name, ctx.v.f, n, ctx.args, vf, implicit.deriv, solver.options);
    const spec: DIRKSpec = { name: tab.name, stages: tab.stages, gamma: tab.gamma, aI: tab.a, aE: null, c: tab.c, b: null, predictor: tab.predictor };
    return new DIRKStepAdjoint(spec, implicit, null, im, ctx);
  }

  /** KenCarp3/4/5 and any AdditiveRungeKutta, on `new MultiTerm(new ODETerm(fE), new ODETerm(fI))`. */
  static imex(solver: AdditiveRungeKutta, ctx: StepAdjointContext): DIRKStepAdjoint {
    const [vfE, vfI] = imexVectorFields(ctx.v.terms, solver.name, ctx.who);
    const n = ctx.v.y0.length;
    const tab = solver.tableau;
    const fI = inPlace(vfI, n);
    const fE = inPlace(vfE, n);
    const implicit: Field = { f: fI, deriv: new VectorFieldDerivatives(vfI, n, ctx.layout, fI) };
    const explicit: Field = { f: fE, deriv: new VectorFieldDerivatives(vfE, n, ctx.layout, fE) };
    const im = adjointIterationMatrix(solver.name, fI, n, ctx.args, vfI, implicit.deriv, solver.options);
    const spec: DIRKSpec = { name: tab.name, stages: tab.stages, gamma: tab.gamma, aI: tab.aI, aE: tab.aE, c: tab.c, b: tab.b, predictor: null };
    return new DIRKStepAdjoint(spec, implicit, explicit, im, ctx);
  }

  private readonly steps: StepLog;
  private readonly args: unknown;
  private readonly who: string;

  private constructor(
    private readonly spec: DIRKSpec,
    private readonly fI: Field,
    private readonly fE: Field | null,
    im: IterationMatrix,
    ctx: StepAdjointContext,
  ) {
    const n = ctx.v.y0.length;
    this.n = n;
    this.stateSize = n;
    this.steps = ctx.steps;
    this.args = ctx.args;
    this.who = ctx.who;
    this.im = im;
    this.mass = im.mass;
    const s = spec.stages;
    this.factors = new StageFactors(im, s);
    this.scratch = stageScratch(n);
    const vec = (): Float64Array => new Float64Array(n);
    for (let i = 0; i < s; i++) {
      this.Z.push(vec());
      this.kI.push(vec());
      this.kE.push(vec());
      this.kIbar.push(vec());
      this.kEbar.push(vec());
    }
    this.y0 = vec();
    this.y1 = vec();
    this.fEnd = vec();
    this.y0bar = vec();
    this.fEndBar = vec();
    this.S = vec();
    this.u = vec();
    this.v1 = vec();
    this.v2 = vec();
  }

  capture(_i: number, y0: Float64Array, _state: SolverState, out: Float64Array): number {
    out.set(y0);
    return 0;
  }

  dropKept(): void {}

  start(y0: Float64Array, out: Float64Array): void {
    out.set(y0);
  }

  /**
   * The step from x0 with its stage equations solved exactly: stages, stage values and (with
   * `keep`) each stage's factored matrix; y1 into this.y1.
   */
  private compute(i: number, x0: Float64Array, keep: boolean): void {
    const { n, spec, im, kI, kE, Z, S, u, args } = this;
    const s = spec.stages;
    const t = this.steps.t(i);
    const h = this.steps.h(i);
    this.t = t;
    this.h = h;
    this.y0.set(x0);
    const y0 = this.y0;
    const fE = this.fE;
    const alpha = 1 / (spec.gamma * h);
    this.fI.f(t, y0, args, kI[0]!);
    this.numFnEvals++;
    if (fE !== null) {
      fE.f(t, y0, args, kE[0]!);
      this.numFnEvals++;
    }
    Z[0]!.set(y0);
    const { aI, aE, c, predictor } = spec;
    for (let st = 1; st < s; st++) {
      const row = st * s;
      const ti = t + c[st]! * h;
      for (let j = 0; j < n; j++) {
        let acc = 0;
        let pr = 0;
        for (let l = 0; l < st; l++) {
          acc += aI[row + l]! * kI[l]![j]!;
          if (aE !== null) acc += aE[row + l]! * kE[l]![j]!;
          if (predictor !== null) pr += predictor[row + l]! * kI[l]![j]!;
        }
        S[j] = h * acc;
        u[j] = predictor !== null ? h * pr : c[st]! * h * (kE[0]![j]! + kI[0]![j]!);
      }
      const evals = solveStageExactly(im, this.fI.f, args, ti, h, alpha, y0, S, u, this.scratch);
      if (evals < 0) throw stageFailure(this.who, spec.name, t, h);
      this.numFnEvals += evals;
      if (keep) this.factors.keep(st);
      const z = Z[st]!;
      for (let j = 0; j < n; j++) z[j] = y0[j]! + u[j]!;
      // kI from the stage equation, as the solver recovers it.
      const k = kI[st]!;
      if (this.mass !== null) {
        im.massMul(u, this.v1);
        for (let j = 0; j < n; j++) k[j] = alpha * (this.v1[j]! - S[j]!);
      } else {
        for (let j = 0; j < n; j++) k[j] = alpha * (u[j]! - S[j]!);
      }
      if (fE !== null) {
        fE.f(ti, z, args, kE[st]!);
        this.numFnEvals++;
      }
    }
    const y1 = this.y1;
    const b = spec.b;
    if (b === null) {
      for (let j = 0; j < n; j++) y1[j] = Z[s - 1]![j]!;
    } else {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let l = 0; l < s; l++) acc += b[l]! * (kE[l]![j]! + kI[l]![j]!);
        y1[j] = y0[j]! + h * acc;
      }
    }
  }

  advance(i: number, x0: Float64Array, x1: Float64Array): void {
    this.compute(i, x0, false);
    x1.set(this.y1);
  }

  record(i: number, x0: Float64Array, need: number): void {
    this.compute(i, x0, true);
    if (need > 0 && this.fE !== null) {
      // The IMEX interpolant's end slope f(t + h, y1).
      const t1 = this.t + this.h;
      this.fE.f(t1, this.y1, this.args, this.fEnd);
      this.fI.f(t1, this.y1, this.args, this.v1);
      this.numFnEvals += 2;
      for (let j = 0; j < this.n; j++) this.fEnd[j] += this.v1[j]!;
    }
  }

  /** The slopes the interpolant uses at the step's ends. */
  private endSlopes(): [Float64Array, Float64Array] {
    if (this.fE === null) return [this.kI[0]!, this.kI[this.spec.stages - 1]!];
    const f0 = this.v2;
    for (let j = 0; j < this.n; j++) f0[j] = this.kE[0]![j]! + this.kI[0]![j]!;
    return [f0, this.fEnd];
  }

  outputThetaDerivative(theta: number, out: Float64Array): void {
    const [f0, f1] = this.endSlopes();
    const th = theta;
    const d00 = 6 * th * th - 6 * th;
    const d10 = (3 * th * th - 4 * th + 1) * this.h;
    const d11 = (3 * th * th - 2 * th) * this.h;
    for (let j = 0; j < this.n; j++) out[j] = d00 * (this.y0[j]! - this.y1[j]!) + d10 * f0[j]! + d11 * f1[j]!;
  }

  beginReverse(): void {
    for (let l = 0; l < this.spec.stages; l++) {
      this.kIbar[l]!.fill(0);
      this.kEbar[l]!.fill(0);
    }
    this.y0bar.fill(0);
    this.fEndBar.fill(0);
  }

  addOutputCotangent(theta: number, obar: ArrayLike<number>, offset: number, lambda: Float64Array): void {
    const th = theta;
    const th2 = th * th;
    const th3 = th2 * th;
    const h00 = 2 * th3 - 3 * th2 + 1;
    const h10 = (th3 - 2 * th2 + th) * this.h;
    const h01 = -2 * th3 + 3 * th2;
    const h11 = (th3 - th2) * this.h;
    const n = this.n;
    const last = this.spec.stages - 1;
    const imex = this.fE !== null;
    for (let j = 0; j < n; j++) {
      const o = obar[offset + j]!;
      this.y0bar[j] += h00 * o;
      lambda[j] += h01 * o;
      this.kIbar[0]![j] += h10 * o;
      if (imex) {
        this.kEbar[0]![j] += h10 * o;
        this.fEndBar[j] += h11 * o;
      } else this.kIbar[last]![j] += h11 * o;
    }
  }

  /** yOut = (∂f/∂y)ᵀ w and p̄ += (∂f/∂p)ᵀ w at (t, z), counted. */
  private vjp(field: Field, t: number, z: Float64Array, w: Float64Array, yOut: Float64Array, pbar: Float64Array): void {
    field.deriv.vjpYP(t, z, w, yOut, pbar);
    this.numVjpEvals++;
  }

  reverse(lambda: Float64Array, pbar: Float64Array): void {
    const { n, spec, kIbar, kEbar, Z, y0bar, factors, v1, v2 } = this;
    const s = spec.stages;
    const h = this.h;
    const t = this.t;
    const alpha = 1 / (spec.gamma * h);
    const fE = this.fE;
    const { aI, aE, b, c } = spec;
    if (fE !== null) {
      // The IMEX interpolant's end slope: y1's cotangent gains ∂f(t + h, y1)ᵀ f̄End.
      this.vjp(fE, t + h, this.y1, this.fEndBar, v1, pbar);
      this.vjp(this.fI, t + h, this.y1, this.fEndBar, v2, pbar);
      for (let j = 0; j < n; j++) lambda[j] += v1[j]! + v2[j]!;
    }
    // y1's cotangent λ: through y0 directly, and through the last stage or the weights.
    const wbar = this.u;
    for (let j = 0; j < n; j++) y0bar[j] += lambda[j]!;
    if (b !== null) {
      for (let l = 0; l < s; l++) {
        const hb = h * b[l]!;
        if (hb === 0) continue;
        for (let j = 0; j < n; j++) {
          kIbar[l]![j] += hb * lambda[j]!;
          kEbar[l]![j] += hb * lambda[j]!;
        }
      }
    }
    const Sbar = this.S;
    for (let st = s - 1; st >= 1; st--) {
      const ti = t + c[st]! * h;
      if (b === null && st === s - 1) wbar.set(lambda);
      else wbar.fill(0);
      if (fE !== null) {
        // kE_i = fE(t_i, Z_i), Z_i = y0 + w_i.
        this.vjp(fE, ti, Z[st]!, kEbar[st]!, v1, pbar);
        for (let j = 0; j < n; j++) {
          wbar[j] += v1[j]!;
          y0bar[j] += v1[j]!;
        }
      }
      // kI_i = α (M w_i − S_i).
      massMulTransposed(this.mass, n, kIbar[st]!, v1);
      for (let j = 0; j < n; j++) wbar[j] += alpha * v1[j]!;
      // The stage equation: ν = W_iᵀ⁻¹ w̄_i.
      factors.solveTransposed(st, wbar);
      this.vjp(this.fI, ti, Z[st]!, wbar, v1, pbar);
      for (let j = 0; j < n; j++) {
        y0bar[j] += v1[j]!;
        Sbar[j] = alpha * (wbar[j]! - kIbar[st]![j]!);
      }
      // S_i = h Σ_{j<i} (aI_ij kI_j + aE_ij kE_j).
      const row = st * s;
      for (let l = 0; l < st; l++) {
        const ai = h * aI[row + l]!;
        const ae = aE === null ? 0 : h * aE[row + l]!;
        for (let j = 0; j < n; j++) {
          kIbar[l]![j] += ai * Sbar[j]!;
          if (ae !== 0) kEbar[l]![j] += ae * Sbar[j]!;
        }
      }
    }
    // Stage 0: kI_0 = fI(t, y0), kE_0 = fE(t, y0).
    this.vjp(this.fI, t, this.y0, kIbar[0]!, v1, pbar);
    for (let j = 0; j < n; j++) y0bar[j] += v1[j]!;
    if (fE !== null) {
      this.vjp(fE, t, this.y0, kEbar[0]!, v1, pbar);
      for (let j = 0; j < n; j++) y0bar[j] += v1[j]!;
    }
    lambda.set(y0bar);
  }

  tangent(i: number, x0: Float64Array, x1: Float64Array, xDot: Float64Array, pDot: Float64Array): void {
    this.compute(i, x0, true);
    x1.set(this.y1);
    const { n, spec, Z, factors, v1 } = this;
    const s = spec.stages;
    const h = this.h;
    const t = this.t;
    const alpha = 1 / (spec.gamma * h);
    const { aI, aE, b, c } = spec;
    const fE = this.fE;
    // Tangents of the stages, in the reverse-sweep buffers (free during a tangent step).
    const kId = this.kIbar;
    const kEd = this.kEbar;
    const jvp = (field: Field, tt: number, z: Float64Array, zDot: Float64Array, out: Float64Array): void => {
      field.deriv.jvpY(tt, z, zDot, out);
      field.deriv.jvpPAdd(tt, z, pDot, out);
    };
    jvp(this.fI, t, this.y0, xDot, kId[0]!);
    if (fE !== null) jvp(fE, t, this.y0, xDot, kEd[0]!);
    const Sd = this.S;
    const wd = this.u;
    const zd = this.v2;
    for (let st = 1; st < s; st++) {
      const row = st * s;
      const ti = t + c[st]! * h;
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let l = 0; l < st; l++) {
          acc += aI[row + l]! * kId[l]![j]!;
          if (aE !== null) acc += aE[row + l]! * kEd[l]![j]!;
        }
        Sd[j] = h * acc;
      }
      // (αM − J_i) ẇ = J_i ẏ0 + fI_p ṗ + α Ṡ.
      jvp(this.fI, ti, Z[st]!, xDot, wd);
      for (let j = 0; j < n; j++) wd[j] += alpha * Sd[j]!;
      factors.solve(st, wd);
      if (this.mass !== null) this.im.massMul(wd, v1);
      else v1.set(wd);
      for (let j = 0; j < n; j++) {
        kId[st]![j] = alpha * (v1[j]! - Sd[j]!);
        zd[j] = xDot[j]! + wd[j]!;
      }
      if (fE !== null) jvp(fE, ti, Z[st]!, zd, kEd[st]!);
    }
    if (b === null) {
      for (let j = 0; j < n; j++) xDot[j] += wd[j]!;
    } else {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let l = 0; l < s; l++) acc += b[l]! * (kEd[l]![j]! + kId[l]![j]!);
        xDot[j] += h * acc;
      }
    }
  }
}
