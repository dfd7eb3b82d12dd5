/**
 * The solver protocol: one step and its error estimate, with a workspace allocated once.
 *
 * `init` allocates every buffer a solve needs; `step` allocates nothing. The integration loop
 * (`integrate.ts`) owns the state vectors and ping-pongs them; a solver keeps references only.
 */
import type { AbstractTerm, InPlaceVectorField } from "../terms.js";

/** Workspace of one solve. Solvers extend it with their own buffers. */
export interface SolverState {
  /** Number of vector-field evaluations so far. */
  numFnEvals: number;
}

/** Status returned by {@link AbstractSolver.step}: 0 means the step was computed. */
export const STEP_OK = 0;

/**
 * What every ODE solver provides to the integration loop.
 *
 * Dense output of the last accepted step is available through `interpolate`; `writeDense`
 * copies what `evaluateDense` needs so that a {@link Solution} can evaluate any past step.
 */
export interface AbstractSolver<S extends SolverState = SolverState> {
  /** Name, as in the literature. */
  readonly name: string;
  /** Order of the propagated solution. */
  readonly order: number;
  /** Exponent denominator for step-size control, min(p, p̂) + 1; 0 when there is no error estimate. */
  readonly errorOrder: number;
  /** Whether `step` writes a second error estimate (DOP853's). */
  readonly hasSecondaryError: boolean;
  /**
   * Checks that the solver can solve these terms; throws a TypeError naming what it needs
   * otherwise. Omitted: the solver takes an `ODETerm`.
   */
  checkTerms?(terms: AbstractTerm): void;
  /**
   * Allocates the workspace for states of length `n`. `f` is the ODE vector field in place
   * (for an `ODETerm`; a no-op for other terms), `terms` the terms as given (for Jacobians,
   * IMEX splits, control terms).
   */
  init(f: InPlaceVectorField, n: number, args: unknown, terms: AbstractTerm): S;
  /** Extra counters merged into `sol.stats` (e.g. numJacobianEvals). */
  extraStats?(state: S): Record<string, number>;
  /** Starts (or restarts, after a jump or an event) at (t, y); returns f(t, y). */
  restart(state: S, t: number, y: Float64Array): Float64Array;
  /**
   * Takes a step of size dt from (t, y0), writing y1 and the error estimate(s). `times[0]` is t
   * and `times[1]` is dt: the loop owns the array and writes both before each call, because a
   * double passed to a call V8 does not inline is boxed (16 B each), and the loop must not allocate.
   */
  step(state: S, times: Float64Array, y0: Float64Array, y1: Float64Array, yErr: Float64Array, yErr2: Float64Array): number;
  /** Records that the last step was accepted (first-same-as-last bookkeeping). */
  accept(state: S): void;
  /** y(t + θ dt) inside the last accepted step, θ ∈ [0, 1]. */
  interpolate(state: S, theta: number, out: Float64Array): void;
  /** dy/dt at t + θ dt inside the last accepted step. */
  interpolateDerivative(state: S, theta: number, out: Float64Array): void;
  /** Number of doubles `writeDense` writes for states of length n. */
  denseSize(n: number): number;
  /** Copies the last accepted step's interpolation data into `out` at `offset`. */
  writeDense(state: S, out: Float64Array, offset: number): void;
  /** Evaluates stored dense data (from `writeDense`) of a step starting at y0 with size dt. */
  evaluateDense(data: Float64Array, offset: number, n: number, dt: number, theta: number, derivative: boolean, out: Float64Array): void;
}
