/**
 * The solver protocol: one step and its error estimate, with a workspace allocated once.
 *
 * This interface is everything the integration loop (src/integrate/loop.ts), the step-size
 * controllers and the ensemble runners rely on; there are no private side channels.
 *
 * Allocation contract: `init` allocates every buffer a solve needs; `restart`, `step`, `accept`,
 * `interpolate` and `writeDense` allocate nothing. The loop owns the state vectors and ping-pongs
 * them between steps; a solver keeps references to them only until the next step. Doubles reach
 * `step` in a `Float64Array` the loop owns (`times[0]` = t, `times[1]` = dt), never as arguments:
 * V8 boxes a double passed to a call it does not inline (16 bytes), and the loop allocates nothing.
 */
import { RESULTS } from "../results.js";
import type { AbstractTerm, InPlaceVectorField, ODETerm } from "../terms.js";
import type { StepMap } from "./step-map.js";

/** Workspace of one solve. Solvers extend it with their own buffers. */
export interface SolverState {
  /** Number of vector-field evaluations so far. */
  numFnEvals: number;
}

/** Status of {@link AbstractSolver.step}: the step was computed (it may still be rejected for its error). */
export const STEP_OK = 0;
/** Status of {@link AbstractSolver.step}: an implicit solver's Newton iteration did not converge. */
export const STEP_NEWTON_FAILED = RESULTS.implicitNonconvergence;
/** Status of {@link AbstractSolver.step}: the iteration matrix was singular to working precision. */
export const STEP_SINGULAR = RESULTS.singularMatrix;

/** The loop's state vectors, when a solver keeps them in its own memory (see {@link VectorBackend}). */
export interface StateBuffers {
  y: Float64Array;
  y1: Float64Array;
  yErr: Float64Array;
  yErr2: Float64Array;
  /** Output of interpolation (the loop's scratch vector). */
  ytmp: Float64Array;
}

/**
 * A solver whose vector work runs outside JavaScript's heap (the WebAssembly SIMD kernels of the
 * explicit solvers) keeps the loop's state vectors in its own memory, so that no step copies
 * them, and computes the error norm there.
 */
export interface VectorBackend {
  /** The loop's y, y1, yErr, yErr2 and interpolation output: views valid for the whole solve. */
  stateBuffers(): StateBuffers;
  /** The norm to compute ("rms" or "max") and the tolerances (scalars or vectors of length n). */
  setTolerances(norm: "rms" | "max", rtol: number | Float64Array, atol: number | Float64Array): void;
  /** The scaled norm of the last step's error estimate (0: yErr, 1: yErr2) into result[0]. */
  errorNorm(which: 0 | 1, result: Float64Array): void;
}

/**
 * What every solver provides to the integration loop.
 *
 * Dense output of the last accepted step is available through `interpolate`; `writeDense`
 * copies what `evaluateDense` needs so that a `Solution` can evaluate any past step.
 */
export interface AbstractSolver<S extends SolverState = SolverState> {
  /** Name, as in the literature. */
  readonly name: string;
  /** Order of the propagated solution. */
  readonly order: number;
  /** Exponent denominator for step-size control, min(p, p̂) + 1; 0 when there is no error estimate. */
  readonly errorOrder: number;
  /** Whether `step` writes a second error estimate into `yErr2` (DOP853's). */
  readonly hasSecondaryError: boolean;
  /**
   * Order of the dense interpolant, when it is lower than {@link order} (a cubic Hermite
   * interpolant on a fifth-order method). The loop then lands steps on `SaveAt.ts`, so that saved
   * outputs meet the tolerance the steps meet. Omitted: the interpolant is as accurate as the steps.
   */
  readonly denseOrder?: number;
  /**
   * The constructor options that rebuild an equal solver (`new Class(options)`), for worker
   * threads and resumed solves; omitted when the constructor takes none.
   */
  readonly options?: unknown;
  /**
   * Checks that the solver can solve these terms; throws a TypeError naming what it needs
   * otherwise. Omitted: the solver takes an `ODETerm`.
   */
  checkTerms?(terms: AbstractTerm): void;
  /**
   * For terms other than a single `ODETerm`: the ODE part the loop treats as `f` (an SDE's drift,
   * an IMEX method's explicit part), probed like an ODE's vector field and used by the automatic
   * initial step; undefined when there is none.
   */
  vectorFieldTerm?(terms: AbstractTerm): ODETerm | undefined;
  /**
   * Allocates the workspace for states of length `n`. `f` is the ODE vector field in place
   * (for an `ODETerm`; a no-op for other terms), `terms` the terms as given (for Jacobians,
   * IMEX splits, control terms).
   */
  init(f: InPlaceVectorField, n: number, args: unknown, terms: AbstractTerm): S;
  /**
   * The tolerances of the step-size controller, once after `init` (implicit solvers scale their
   * Newton convergence tests by them). Omitted: the solver needs none.
   */
  setTolerances?(state: S, rtol: number | Float64Array, atol: number | Float64Array): void;
  /**
   * A solver that chooses its own steps (a variable-order method) returns the factor for the next
   * step after an error estimate `err` (the scaled norm), in place of the controller's formula;
   * the controller's factor limits, dtmin and dtmax still apply. Omitted: the controller decides.
   */
  stepFactor?(state: S, err: number, accepted: boolean): number;
  /**
   * Times the solver finds during a solve that steps must land on exactly (a delay equation's
   * propagated discontinuities): a Float64Array of the state whose element 0 is the next such time
   * after the current one (+Infinity forward, −Infinity backward, when there is none), kept current
   * by `restart` and `accept`. The clip layer reads it before every step. Omitted: none.
   */
  stops?(state: S): Float64Array;
  /**
   * The solver's own memory for the loop's state vectors and its error norm, or null (the loop's
   * own buffers and the controller's norm). Asked once after `init`. Omitted: null.
   */
  vectorBackend?(state: S): VectorBackend | null;
  /**
   * The solver's step as a map of the state, for the discrete adjoint (RecursiveCheckpointAdjoint):
   * its family and itself. Omitted: no discrete adjoint (the other adjoints still apply).
   */
  readonly stepMap?: StepMap;
  /** Extra counters merged into `sol.stats` (e.g. numJacobianEvals). */
  extraStats?(state: S): Record<string, number>;
  /** Starts (or restarts, after a jump or an event) at (t, y); returns f(t, y). */
  restart(state: S, t: number, y: Float64Array): Float64Array;
  /**
   * Takes a step of size dt from (t, y0), writing y1 and the error estimate(s). `times[0]` is t
   * and `times[1]` is dt. Returns {@link STEP_OK}, or a status ({@link STEP_NEWTON_FAILED},
   * {@link STEP_SINGULAR}) when the step could not be computed.
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
