/**
 * The reversible Heun method (Kidger, Foster, Li & Lyons 2021): an algebraically reversible
 * method for ODEs and Stratonovich SDEs. It carries a second state ŷ beside y and the vector
 * field's value at ŷ, and a step of size Δt (with Brownian increment ΔW for an SDE,
 * dy = f dt + g ∘ dW) is
 *
 *     a₀ = f(t, ŷ₀) Δt + g(t, ŷ₀) ΔW              (kept from the step before)
 *     ŷ₁ = 2 y₀ − ŷ₀ + a₀
 *     a₁ = f(t + Δt, ŷ₁) Δt + g(t + Δt, ŷ₁) ΔW     (one evaluation of f and g per step)
 *     y₁ = y₀ + ½ (a₀ + a₁),
 *
 * with the embedded error estimate ½ (a₁ − a₀) (Euler against Heun). Solved for the earlier
 * state, the same formulas run backwards:
 *
 *     ŷ₀ = 2 y₁ − ŷ₁ − a₁,   a₀ from ŷ₀,   y₀ = y₁ − ½ (a₀ + a₁),
 *
 * so a solve can be retraced from its end alone, which `ReversibleAdjoint` uses to take exact
 * gradients without storing the trajectory. Order 2 for ODEs; for SDEs it converges to the
 * Stratonovich solution, with strong order 0.5 in general. A solve starts (and restarts after an
 * event) with ŷ = y. Dense output is linear between the step's ends.
 *
 * Reference: P. Kidger, J. Foster, X. Li and T. Lyons, "Efficient and accurate gradients for
 * neural SDEs", NeurIPS 2021 (Algorithms 1 and 2); diffrax's `ReversibleHeun`.
 */
import { evaluateLinearDense, linearDerivative, linearInterpolate, writeLinearDense } from "../interpolation/linear.js";
import { type AbstractTerm, ControlTerm, type InPlaceVectorField, MultiTerm, ODETerm } from "../terms.js";
import { AbstractSDESolver, addNoise, type SDEState } from "./sde/base.js";
import { type AbstractSolver, type SolverState, STEP_OK } from "./solver.js";

/** Workspace of a {@link ReversibleHeun} solve (allocated in `init`). */
export interface ReversibleHeunState extends SolverState {
  readonly f: InPlaceVectorField;
  readonly args: unknown;
  readonly n: number;
  /** The SDE's diffusion, path and buffers; null for an ODE. */
  readonly sde: SDEState | null;
  /** ŷ and the vector field's value there (drift; diffusion for an SDE), at the current step's start. */
  yhat: Float64Array;
  fhat: Float64Array;
  ghat: Float64Array;
  /** The same at the end of the step just taken, swapped in by `accept`. */
  yhatNext: Float64Array;
  fhatNext: Float64Array;
  ghatNext: Float64Array;
  /** a₀ and a₁ of the step. */
  readonly a0: Float64Array;
  readonly a1: Float64Array;
  /** Start time and size of the last step, and its end states (for dense output). */
  readonly last: Float64Array;
  y0Prev: Float64Array;
  y1Prev: Float64Array;
}

/** The SDE machinery shared with the other SDE solvers (term checks, paths, the diffusion probe). */
class SDEParts extends AbstractSDESolver {
  readonly name = "ReversibleHeun";
  readonly order = 0.5;
  readonly errorOrder = 2;
  readonly interpretation = "stratonovich" as const;
  step(): number {
    throw new Error("SDEParts.step is not used");
  }
}

/**
 * The reversible Heun method for ODEs (`ODETerm`) and Stratonovich SDEs
 * (`MultiTerm(ODETerm, ControlTerm)` over a Brownian path): order 2 on ODEs, strong order 0.5 on
 * SDEs, one evaluation of the vector field (and of the diffusion) per step, an embedded error
 * estimate for adaptive steps (over a `VirtualBrownianTree` for SDEs). Algebraically reversible:
 * with `ReversibleAdjoint` its gradients are exact to rounding at a memory cost independent of the
 * number of steps.
 *
 * @example
 * ```ts
 * diffeqsolve({ terms: new ODETerm((t, y, args, dy) => { dy[0] = -y[0]; }), solver: new ReversibleHeun(),
 *   t0: 0, t1: 1, dt0: 0.01, y0: [1], stepsizeController: new ConstantStepSize() });
 * ```
 */
export class ReversibleHeun implements AbstractSolver<ReversibleHeunState> {
  readonly name = "ReversibleHeun";
  readonly order = 2;
  readonly errorOrder = 2;
  readonly hasSecondaryError = false;
  readonly interpretation = "stratonovich" as const;
  private readonly sdeParts = new SDEParts();

  checkTerms(terms: AbstractTerm): void {
    if (terms instanceof ODETerm) return;
    if (terms instanceof MultiTerm && terms.terms.length === 2 && terms.terms[0] instanceof ODETerm && terms.terms[1] instanceof ControlTerm) {
      this.sdeParts.checkTerms(terms);
      return;
    }
    throw new TypeError(
      "diffeqsolve: ReversibleHeun solves ODEs (terms = new ODETerm(f)) and SDEs (terms = new MultiTerm(new ODETerm(drift), new ControlTerm(diffusion, brownian)));" +
        ` got ${terms.constructor.name}.`,
    );
  }

  vectorFieldTerm(terms: AbstractTerm): ODETerm {
    return terms instanceof ODETerm ? terms : this.sdeParts.vectorFieldTerm(terms);
  }

  init(f: InPlaceVectorField, n: number, args: unknown, terms: AbstractTerm): ReversibleHeunState {
    const sde = terms instanceof ODETerm ? null : this.sdeParts.init(f, n, args, terms);
    const gSize = sde === null ? 0 : sde.gSize;
    const empty = new Float64Array(0);
    return {
      numFnEvals: 0, f, args, n, sde,
      yhat: new Float64Array(n), fhat: new Float64Array(n), ghat: new Float64Array(gSize),
      yhatNext: new Float64Array(n), fhatNext: new Float64Array(n), ghatNext: new Float64Array(gSize),
      a0: new Float64Array(n), a1: new Float64Array(n), last: new Float64Array(2), y0Prev: empty, y1Prev: empty,
    };
  }

  /** Starts from (t, y) with ŷ = y. */
  restart(state: ReversibleHeunState, t: number, y: Float64Array): Float64Array {
    state.yhat.set(y);
    const sde = state.sde;
    if (sde !== null) {
      this.sdeParts.restart(sde, t, y); // probes the diffusion once
      sde.g(t, state.yhat, state.args, state.ghat);
      sde.numDiffusionEvals++;
    }
    state.f(t, state.yhat, state.args, state.fhat);
    state.numFnEvals++;
    return state.fhat;
  }

  step(state: ReversibleHeunState, times: Float64Array, y0: Float64Array, y1: Float64Array, yErr: Float64Array): number {
    const t = times[0]!;
    const dt = times[1]!;
    const { n, sde, a0, a1, yhat, fhat, ghat, yhatNext, fhatNext, ghatNext } = state;
    for (let i = 0; i < n; i++) a0[i] = fhat[i]! * dt;
    if (sde !== null) {
      sde.bm.incrementAt(times, sde.dW, null);
      addNoise(a0, a0, ghat, sde.dW, n, sde.m, sde.diagonal);
    }
    for (let i = 0; i < n; i++) yhatNext[i] = 2 * y0[i]! - yhat[i]! + a0[i]!;
    const t1 = t + dt;
    state.f(t1, yhatNext, state.args, fhatNext);
    state.numFnEvals++;
    for (let i = 0; i < n; i++) a1[i] = fhatNext[i]! * dt;
    if (sde !== null) {
      sde.g(t1, yhatNext, state.args, ghatNext);
      sde.numDiffusionEvals++;
      addNoise(a1, a1, ghatNext, sde.dW, n, sde.m, sde.diagonal);
    }
    for (let i = 0; i < n; i++) {
      y1[i] = y0[i]! + 0.5 * (a0[i]! + a1[i]!);
      yErr[i] = 0.5 * (a1[i]! - a0[i]!);
    }
    state.last[0] = t;
    state.last[1] = dt;
    state.y0Prev = y0;
    state.y1Prev = y1;
    return STEP_OK;
  }

  /** The step's ŷ₁ and its vector-field values become the next step's start. */
  accept(state: ReversibleHeunState): void {
    const y = state.yhat;
    state.yhat = state.yhatNext;
    state.yhatNext = y;
    const f = state.fhat;
    state.fhat = state.fhatNext;
    state.fhatNext = f;
    const g = state.ghat;
    state.ghat = state.ghatNext;
    state.ghatNext = g;
  }

  extraStats(state: ReversibleHeunState): Record<string, number> {
    return state.sde === null ? {} : { numDiffusionEvals: state.sde.numDiffusionEvals };
  }

  interpolate(state: ReversibleHeunState, theta: number, out: Float64Array): void {
    linearInterpolate(state, theta, out);
  }

  interpolateDerivative(state: ReversibleHeunState, _theta: number, out: Float64Array): void {
    linearDerivative(state, out);
  }

  denseSize(n: number): number {
    return 2 * n;
  }

  writeDense(state: ReversibleHeunState, out: Float64Array, offset: number): void {
    writeLinearDense(state, out, offset);
  }

  evaluateDense(data: Float64Array, offset: number, n: number, dt: number, theta: number, derivative: boolean, out: Float64Array): void {
    evaluateLinearDense(data, offset, n, dt, theta, derivative, out);
  }
}
