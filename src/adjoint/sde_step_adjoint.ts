/**
 * The discrete adjoint of one step of an SDE solver built from evaluations of the drift f and the
 * diffusion g (Euler–Maruyama, Euler–Heun), for RecursiveCheckpointAdjoint: the same protocol as
 * the Runge–Kutta step adjoint (erk_adjoint.ts), with the step's Brownian increment ΔW asked again
 * of the path (a VirtualBrownianTree gives the same increment for the same interval).
 *
 * A step is y₁ = y₀ + s(y₀), with
 *
 *   Euler–Maruyama:  s = f(t, y₀) Δt + g(t, y₀) ΔW,
 *   Euler–Heun:      s = f(t, y₀) Δt + ½ (g(t, y₀) + g(t, ȳ)) ΔW,   ȳ = y₀ + g(t, y₀) ΔW,
 *
 * and an output at θ inside it is linear, y₀ + θ s. For the cotangent λ₁ of y₁ and ō_k of the
 * outputs, the increment's cotangent is w = λ₁ + Σ θ_k ō_k (ḡ = w ⊗ ΔW in g's layout: w_i ΔW_j,
 * or w_i ΔW_i for diagonal noise), and with λ = λ₁ + Σ ō_k:
 *
 *   Euler–Maruyama:  λ₀ = λ + (∂f/∂y)ᵀ(w Δt) + (∂g/∂y)ᵀ ḡ;
 *   Euler–Heun:      ȳ̄ = (∂g/∂y(ȳ))ᵀ(½ ḡ),  ḡ₀ = ½ ḡ + ȳ̄ ⊗ ΔW,
 *                    λ₀ = λ + ȳ̄ + (∂f/∂y)ᵀ(w Δt) + (∂g/∂y(y₀))ᵀ ḡ₀,
 *
 * and p̄ collects the same products with ∂f/∂p and ∂g/∂p. The forward arithmetic is the solver's,
 * operation for operation, so a replayed step reproduces the solve's state bit for bit.
 */
import type { AbstractBrownianPath } from "../brownian/path.js";
import type { Validated } from "../integrate.js";
import { ReversibleHeun } from "../solvers/reversible_heun.js";
import { addNoise, type SDEState } from "../solvers/sde/base.js";
import { EulerMaruyama } from "../solvers/sde/euler_maruyama.js";
import type { SolverState } from "../solvers/solver.js";
import type { ControlTerm, InPlaceVectorField } from "../terms.js";
import type { ArgsLayout, VectorFieldDerivatives } from "./derivatives.js";
import { addOuterNoise, DiffusionDerivatives } from "./diffusion.js";
import { checkSDESolver } from "./sde_terms.js";
import type { StepAdjoint, StepAdjointContext } from "./step_adjoint.js";

/** Which SDE method a {@link SDEStepAdjoint} reverses. */
export type SDEStepMethod = "euler-maruyama" | "euler-heun";

/** Recorded step of an SDE solver and its reverse sweep; all buffers allocated once. */
export class SDEStepAdjoint {
  /** One "stage" (the step is recorded whole); the checkpointing driver passes it back as `count`. */
  readonly stepStages = 1;
  readonly denseStages = 1;
  numFnEvals = 0;
  numVjpEvals = 0;
  private readonly gSize: number;
  private readonly times = new Float64Array(2);
  private readonly dW: Float64Array;
  private readonly k0: Float64Array;
  private readonly g0: Float64Array;
  private readonly g1: Float64Array;
  private readonly ytmp: Float64Array;
  private readonly etmp: Float64Array;
  /** The recorded step's y₀, ȳ (Euler–Heun) and y₁. */
  private readonly y0: Float64Array;
  private readonly ybar: Float64Array;
  private readonly y1: Float64Array;
  /** Cotangent of the step's increment s (that of y₁, plus θ ō of each output). */
  private readonly w: Float64Array;
  private readonly gbar: Float64Array;
  private readonly tmp: Float64Array;
  private readonly hw: Float64Array;

  constructor(
    private readonly method: SDEStepMethod,
    private readonly f: InPlaceVectorField,
    private readonly g: (t: number, y: Float64Array, args: unknown, out: Float64Array) => void,
    private readonly bm: AbstractBrownianPath,
    private readonly args: unknown,
    private readonly deriv: VectorFieldDerivatives,
    private readonly ddiff: DiffusionDerivatives,
    readonly n: number,
    private readonly m: number,
    private readonly diagonal: boolean,
  ) {
    this.gSize = diagonal ? n : n * m;
    this.dW = new Float64Array(m);
    const vec = (): Float64Array => new Float64Array(n);
    this.k0 = vec();
    this.ytmp = vec();
    this.etmp = vec();
    this.y0 = vec();
    this.ybar = vec();
    this.y1 = vec();
    this.w = vec();
    this.tmp = vec();
    this.hw = vec();
    this.g0 = new Float64Array(this.gSize);
    this.g1 = new Float64Array(this.gSize);
    this.gbar = new Float64Array(this.gSize);
  }

  /** Takes the step from (t, y₀) as the solver does, recording what the reverse sweep reads. */
  forward(t: number, h: number, y0: Float64Array, y1: Float64Array, count: number): void {
    void count;
    const { n, m, diagonal, dW, k0, g0, g1, ytmp, etmp, args } = this;
    this.times[0] = t;
    this.times[1] = h;
    this.bm.incrementAt(this.times, dW, null);
    this.y0.set(y0);
    this.f(t, y0, args, k0);
    this.g(t, y0, args, g0);
    this.numFnEvals++;
    if (this.method === "euler-maruyama") {
      if (diagonal) {
        for (let i = 0; i < n; i++) y1[i] = y0[i]! + k0[i]! * h + g0[i]! * dW[i]!;
      } else if (m === 1) {
        const w = dW[0]!;
        for (let i = 0; i < n; i++) y1[i] = y0[i]! + k0[i]! * h + g0[i]! * w;
      } else {
        for (let i = 0; i < n; i++) {
          let acc = y0[i]! + k0[i]! * h;
          const o = i * m;
          for (let j = 0; j < m; j++) acc += g0[o + j]! * dW[j]!;
          y1[i] = acc;
        }
      }
    } else {
      addNoise(ytmp, y0, g0, dW, n, m, diagonal);
      this.ybar.set(ytmp);
      this.g(t, ytmp, args, g1);
      for (let i = 0; i < this.gSize; i++) g1[i] = 0.5 * (g1[i]! - g0[i]!);
      for (let i = 0; i < n; i++) etmp[i] = 0;
      addNoise(etmp, etmp, g1, dW, n, m, diagonal);
      for (let i = 0; i < n; i++) ytmp[i] = y0[i]! + k0[i]! * h;
      addNoise(y1, ytmp, g0, dW, n, m, diagonal);
      for (let i = 0; i < n; i++) y1[i] = y1[i]! + etmp[i]!;
    }
    this.y1.set(y1);
  }

  /** As {@link forward} (the step is cheap; the reverse sweep reads its y₀ and ȳ). */
  tape(t: number, h: number, y0: Float64Array, y1: Float64Array, count: number): void {
    this.forward(t, h, y0, y1, count);
  }

  /** d/dθ of the linear output inside the recorded step: y₁ − y₀. */
  outputThetaDerivative(h: number, theta: number, out: Float64Array): void {
    void h, theta;
    for (let j = 0; j < this.n; j++) out[j] = this.y1[j]! - this.y0[j]!;
  }

  beginReverse(lambda1: Float64Array, h: number, count: number): void {
    void h, count;
    this.w.set(lambda1);
  }

  /**
   * The cotangent `obar` of the output y₀ + θ s at θ: θ ō reaches the increment s (the caller adds
   * ō to λ, the y₀ part, as for a Runge–Kutta interpolant).
   */
  addOutputCotangent(h: number, theta: number, obar: ArrayLike<number>, offset: number): void {
    void h;
    for (let j = 0; j < this.n; j++) this.w[j] += theta * obar[offset + j]!;
  }

  /** λ (λ₁ plus the outputs' cotangents on entry) → λ₀; p̄ accumulated. */
  reverse(t: number, h: number, lambda: Float64Array, pbar: Float64Array, count: number): void {
    void count;
    const { n, m, diagonal, w, dW, gbar, tmp, hw } = this;
    gbar.fill(0);
    addOuterNoise(gbar, this.method === "euler-heun" ? 0.5 : 1, w, dW, n, m, diagonal);
    if (this.method === "euler-heun") {
      // The diffusion at ȳ = y₀ + g₀ ΔW, with cotangent ½ w ⊗ ΔW; ȳ's cotangent reaches y₀ and g₀.
      this.ddiff.vjpYP(t, this.ybar, gbar, tmp, pbar);
      this.numVjpEvals++;
      for (let j = 0; j < n; j++) lambda[j] += tmp[j]!;
      addOuterNoise(gbar, 1, tmp, dW, n, m, diagonal);
    }
    for (let j = 0; j < n; j++) hw[j] = h * w[j]!;
    this.deriv.vjpYP(t, this.y0, hw, tmp, pbar);
    for (let j = 0; j < n; j++) lambda[j] += tmp[j]!;
    this.ddiff.vjpYP(t, this.y0, gbar, tmp, pbar);
    for (let j = 0; j < n; j++) lambda[j] += tmp[j]!;
    this.numVjpEvals++;
  }
}

/** Throws for ReversibleHeun, whose gradients ReversibleAdjoint takes (its steps carry a second state). */
export function checkNotReversible(v: Validated<unknown>, who: string): void {
  if (v.solver instanceof ReversibleHeun) {
    throw new TypeError(`${who}: ReversibleHeun's gradients are taken by running it backwards: use adjoint: new ReversibleAdjoint() (no stored states).`);
  }
}

/** Throws unless the SDE's solver has a step adjoint here (Euler–Maruyama, Euler–Heun) and no events are given. */
export function checkSDEStepAdjoint(v: Validated<unknown>, who: string): void {
  checkNotReversible(v, who);
  checkSDESolver(v, who);
  if (v.events !== null) {
    throw new TypeError(`${who}: gradients through SDE solves with events are not supported; solve without events, or differentiate the ODE part.`);
  }
}

/** The step adjoint of the SDE solve just made (its solver state holds the Brownian path it used). */
export function sdeStepAdjoint(v: Validated<unknown>, state: SolverState, term: ControlTerm, args: unknown, deriv: VectorFieldDerivatives, layout: ArgsLayout): SDEStepAdjoint {
  const s = state as SDEState;
  const method: SDEStepMethod = v.solver instanceof EulerMaruyama ? "euler-maruyama" : "euler-heun";
  const ddiff = new DiffusionDerivatives(term, s.n, s.gSize, layout);
  return new SDEStepAdjoint(method, v.f, s.g, s.bm, args, deriv, ddiff, s.n, s.m, s.diagonal);
}

/**
 * {@link SDEStepAdjoint} as a {@link StepAdjoint} for the checkpoint driver: the carried state is
 * y, nothing is kept per step (a step is recomputed from its start, its Brownian increment asked
 * again of the path). The step adjoint itself is made at the first step hook, from the solver's
 * workspace (which holds the path and the diffusion's layout).
 */
export class SDEStepAdjointOf implements StepAdjoint {
  readonly stateSize: number;
  readonly keptPerStep = 0;
  private inner: SDEStepAdjoint | null = null;
  private t = 0;
  private h = 0;
  private readonly y1: Float64Array;

  constructor(private readonly ctx: StepAdjointContext, private readonly term: ControlTerm, private readonly deriv: VectorFieldDerivatives) {
    this.stateSize = ctx.v.y0.length;
    this.y1 = new Float64Array(this.stateSize);
  }

  get numFnEvals(): number {
    return this.inner === null ? 0 : this.inner.numFnEvals;
  }
  get numVjpEvals(): number {
    return this.inner === null ? 0 : this.inner.numVjpEvals;
  }

  private get step(): SDEStepAdjoint {
    if (this.inner === null) throw new Error(`${this.ctx.who}: internal error: the SDE step adjoint is used before the solve's first step.`);
    return this.inner;
  }

  capture(_i: number, y0: Float64Array, state: SolverState, out: Float64Array): number {
    this.inner ??= sdeStepAdjoint(this.ctx.v, state, this.term, this.ctx.args, this.deriv, this.ctx.layout);
    out.set(y0);
    return 0;
  }
  dropKept(): void {}
  start(y0: Float64Array, out: Float64Array): void {
    out.set(y0);
  }
  advance(i: number, x0: Float64Array, x1: Float64Array): void {
    this.step.forward(this.ctx.steps.t(i), this.ctx.steps.h(i), x0, x1, 1);
  }
  record(i: number, x0: Float64Array): void {
    this.t = this.ctx.steps.t(i);
    this.h = this.ctx.steps.h(i);
    this.step.forward(this.t, this.h, x0, this.y1, 1);
  }
  outputThetaDerivative(theta: number, out: Float64Array): void {
    this.step.outputThetaDerivative(this.h, theta, out);
  }
  beginReverse(lambda: Float64Array): void {
    this.step.beginReverse(lambda, this.h, 1);
  }
  addOutputCotangent(theta: number, obar: ArrayLike<number>, offset: number, lambda: Float64Array): void {
    this.step.addOutputCotangent(this.h, theta, obar, offset);
    // The output is y₀ + θ s: its y₀ part passes straight to λ₀.
    for (let j = 0; j < this.stateSize; j++) lambda[j] += obar[offset + j]!;
  }
  reverse(lambda: Float64Array, pbar: Float64Array): void {
    this.step.reverse(this.t, this.h, lambda, pbar, 1);
  }
}
