/**
 * The step-size controller protocol: a controller owns the choice of every step.
 *
 * The integration loop (src/integrate/loop.ts) drives a solve through four phases per attempted
 * step, and a controller owns two of them:
 *
 * 1. **propose** — from the current time `rec[T]`, the controller writes the end of the next step
 *    `rec[T_NEXT]` and how far the clip layer may stretch it onto a stop, `rec[REACH]`;
 * 2. **clip** — the loop's clip layer (src/controllers/clip.ts) lands the step exactly on t1, on
 *    the controller's `stepTs`, just before its `jumpTs` and on scheduled event times, stretching
 *    a step by at most `rec[REACH]` rather than leave a sliver (Hairer's codes stretch by 1%);
 * 3. **step** — the solver takes the step from `rec[T]` of size `rec[H]`;
 * 4. **adapt** — the controller judges the step from the solver's status and error estimate and
 *    returns {@link ACCEPT}, {@link REJECT} or a failure code of `RESULTS`, setting its next step
 *    size in its own state.
 *
 * Doubles travel in `rec`, a `Float64Array` the loop owns, never as arguments or return values:
 * V8 boxes a double that crosses a call it does not inline (16 bytes), and the loop allocates
 * nothing. A controller keeps its per-solve state in the object `init` returns (small typed
 * arrays, allocated once).
 *
 * Modelled on diffrax's `AbstractStepSizeController` (`init`, `adapt_step_size`) and
 * `ClipStepSizeController`.
 */
import { RESULTS } from "../results.js";
import type { AbstractSolver, SolverState } from "../solvers/solver.js";
import type { InPlaceVectorField } from "../terms.js";

/** Slot of `rec`: the start of the step (the current time of the solve). */
export const T = 0;
/** Slot of `rec`: the step taken, `rec[T_NEXT] − rec[T]` (signed). The solver reads [T, H]. */
export const H = 1;
/** Slot of `rec`: the end of the step proposed and then clipped. */
export const T_NEXT = 2;
/** Slot of `rec`: how far past its proposal the clip layer may stretch a step onto a stop (a length ≥ 0). */
export const REACH = 3;
/** Slot of `rec`: the end of the last accepted step (earlier than T_NEXT when an event cut it short). */
export const T_END = 4;
/** Slot of `rec`: the scaled error norm of the last step (adaptive controllers; 0 otherwise). */
export const ERR = 5;
/**
 * Slot of `rec`: 1 after a rejected step until a step is accepted on its error (a step forced
 * through at dtmin keeps it), else 0. Written by adaptive controllers; the loop's progress guard reads it.
 */
export const LAST_REJECTED = 6;
/** Slot of `rec`: the size of the last rejected step (signed), written with LAST_REJECTED. */
export const H_REJECTED = 7;
/**
 * Slot of `rec`: 1 when the controller raised its proposal to its smallest step size (dtmin); a
 * step that repeats the rejected one exactly is then deliberate (forced through), not a stall.
 */
export const AT_DTMIN = 8;
/** Number of slots of the step record. */
export const REC_SIZE = 9;

/** Decision of {@link AbstractStepSizeController.adapt}: take the step. */
export const ACCEPT = -1;
/** Decision of {@link AbstractStepSizeController.adapt}: retry from the same time with a new step size. */
export const REJECT = -2;
/** Status of {@link AbstractStepSizeController.propose}: a step was proposed. */
export const PROPOSED = -1;

/**
 * The slots of the step record `rec`, for controllers written outside the package
 * (`rec[StepRecord.T]`); see the constants of the same names.
 */
export const StepRecord = Object.freeze({ T, H, T_NEXT, REACH, T_END, ERR, LAST_REJECTED, H_REJECTED, AT_DTMIN, SIZE: REC_SIZE });

/** What `propose` and `adapt` return besides a failure code of `RESULTS`. */
export const StepDecision = Object.freeze({ ACCEPT, REJECT, PROPOSED });

/** What a controller learns about the solve when it starts. */
export interface ControllerProblem {
  readonly t0: number;
  readonly t1: number;
  /** +1 forward, −1 backward. */
  readonly dir: number;
  /** The `dt0` option (signed), or undefined. */
  readonly dt0: number | undefined;
  /** Length of the state. */
  readonly n: number;
  readonly solver: AbstractSolver<SolverState>;
  /** The ODE vector field the loop probed (for the automatic initial step). */
  readonly f: InPlaceVectorField;
  readonly args: unknown;
}

/** The solver's state and the initial point, handed to {@link AbstractStepSizeController.init}. */
export interface ControllerStart {
  readonly solverState: SolverState;
  readonly y0: Float64Array;
  /** f(t0, y0), from `solver.restart`. */
  readonly f0: Float64Array;
}

/** Per-solve state of a controller: whatever it needs, allocated by `init`. */
export interface ControllerState {
  /** Vector-field evaluations the controller made itself (the automatic initial step). */
  extraFnEvals: number;
  /** Where and why the controller ended the solve (written only when it returns a failure code). */
  detail: string;
}

/** How a controller is rebuilt elsewhere (a worker thread, a resumed solve): its export name and options. */
export interface ControllerDescription {
  readonly name: string;
  readonly options: Record<string, unknown>;
}

/**
 * Common base of step-size controllers (`ConstantStepSize`, `StepTo`, `PIDController`, and your
 * own): see the module documentation for the protocol.
 *
 * @example A controller of your own: halve the step on rejection, grow it by 10% otherwise.
 * ```ts
 * class Halving extends AbstractStepSizeController<HalvingState> {
 *   readonly adaptive = true;
 *   init(p: ControllerProblem) { return { extraFnEvals: 0, detail: "", dt: new Float64Array([p.dt0 ?? 1e-3]) }; }
 *   propose(s, rec) { rec[T_NEXT] = rec[T] + Math.sign(...) * s.dt[0]; rec[REACH] = s.dt[0]; return PROPOSED; }
 *   adapt(s, rec, y0, y1, yErr) { ... return ACCEPT; }
 *   describe() { return { name: "Halving", options: {} }; }
 * }
 * ```
 */
export abstract class AbstractStepSizeController<S extends ControllerState = ControllerState> {
  /** Whether the controller adapts the step from an error estimate (the solver must provide one). */
  abstract readonly adaptive: boolean;
  /** Times that steps must land on exactly (read by the clip layer), ascending. */
  readonly stepTs: Float64Array | undefined = undefined;
  /** Discontinuities of the vector field in t (read by the clip layer), ascending. */
  readonly jumpTs: Float64Array | undefined = undefined;

  /**
   * Checks the controller against the problem before anything runs; throws a named error that
   * says what to change. Called by `diffeqsolve`'s validation.
   */
  check(problem: ControllerProblem): void {
    void problem;
  }

  /** The number of steps, when the controller knows it before the solve (fixed grids); −1 otherwise. */
  knownStepCount(problem: ControllerProblem): number {
    void problem;
    return -1;
  }

  /** Allocates the per-solve state and chooses the first step. */
  abstract init(problem: ControllerProblem, start: ControllerStart): S;

  /**
   * Proposes the next step from `rec[T]`: writes `rec[T_NEXT]` and `rec[REACH]` (0: the clip layer
   * may only shorten the step). Returns {@link PROPOSED}, or a failure code of `RESULTS` (with
   * `state.detail` set) when no step can be proposed.
   */
  abstract propose(state: S, rec: Float64Array): number;

  /**
   * Judges the step the solver just took from `rec[T]` with size `rec[H]`: `status` is the
   * solver's (0 = computed, else the `RESULTS` code of its failure), `y1` the candidate state and
   * `yErr`/`yErr2` its error estimates. Returns {@link ACCEPT}, {@link REJECT} or a failure code of
   * `RESULTS` (with `state.detail` set), and sets the size of the next step.
   */
  abstract adapt(state: S, rec: Float64Array, y0: Float64Array, y1: Float64Array, yErr: Float64Array, yErr2: Float64Array, status: number): number;

  /**
   * The step proposed from `rec[T]` cannot advance t (it is below the floating-point resolution of
   * t, or repeats a rejected step exactly): returns the failure code to end the solve with, and
   * sets `state.detail`.
   */
  stuck(state: S, rec: Float64Array): number {
    state.detail = `t = ${rec[T]}: the step size ${Math.abs(rec[T_NEXT]! - rec[T]!)} is below the floating-point resolution of t`;
    return RESULTS.dtMinReached;
  }

  /** The solve restarted at `rec[T]` (an event changed the state, or a jump): forget the error history. */
  restart(state: S): void {
    void state;
  }

  /** The class name and constructor options that rebuild this controller (worker threads, resumed solves). */
  abstract describe(): ControllerDescription;
}
