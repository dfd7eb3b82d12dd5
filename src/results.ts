/**
 * Result codes of a solve, with messages that tell the user what to do.
 *
 * Codes are small integers so that ensembles can store one per trajectory in a typed array.
 * `RESULTS.successful` and `RESULTS.eventOccurred` are okay results; everything else is a failure
 * that `diffeqsolve` throws as a {@link SolveError} unless `throw: false` is given.
 *
 * @example
 * ```ts
 * const sol = diffeqsolve({ ...options, throw: false });
 * if (!isOkay(sol.result)) console.warn(resultMessage(sol.result));
 * ```
 */
export const RESULTS = Object.freeze({
  /** The solve reached `t1`. */
  successful: 0,
  /** `maxSteps` steps were taken before reaching `t1`. */
  maxStepsReached: 1,
  /** The step size fell below `dtmin` (or below the resolution of floating point at `t`). */
  dtMinReached: 2,
  /** The vector field kept producing NaN or Infinity, even with ever smaller steps. */
  nonFiniteEncountered: 3,
  /** A terminating event fired; the solve ended at the event time (an okay result). */
  eventOccurred: 4,
  /** An implicit solver's Newton iteration failed to converge even at the smallest step. */
  implicitNonconvergence: 5,
  /** The Jacobian (or iteration matrix) was singular to working precision. */
  singularMatrix: 6,
  /** More events fired than `maxEvents` allows (for example an accumulating bouncing ball). */
  maxEventsReached: 7,
  /**
   * A function you gave (the vector field, an event condition or affect, a SaveAt `fn`, a
   * diffusion, a Brownian path) threw; the solution ends at the last completed step and
   * `sol.error` holds what was thrown.
   */
  callbackError: 8,
  /** The solve was stopped by its AbortSignal (`solveAsync`); the solution ends at the last completed step. */
  aborted: 9,
  /** The saved output would exceed its memory budget (`maxOutputBytes`); the solution holds what fitted. */
  outputTooLarge: 10,
  /** State-changing events accumulate at a time before `t1` (Zeno behaviour: a bouncing ball coming to rest). */
  eventsAccumulated: 11,
  /** The step size stayed flat and tiny for so long that `t1` is out of reach (typically a stiff problem). */
  stalled: 12,
  /** An implicit solver's Krylov (GMRES) linear solver did not converge even at the smallest step. */
  linearSolverFailed: 13,
});

/** One of the values of {@link RESULTS}. */
export type Result = (typeof RESULTS)[keyof typeof RESULTS];

const MESSAGES: readonly string[] = [
  "The solve was successful.",
  "The maximum number of steps was reached before t1. Increase `maxSteps` or loosen `rtol`/`atol`; " +
    "but if the steps were tiny compared with the span, or many were rejected, the problem is " +
    "probably stiff for this solver: with an explicit solver use Rodas5P (small systems), BDF (large " +
    "ones), RadauIIA5 (tight tolerances) or Kvaerno5, or AutoSwitch to switch automatically; with a " +
    "stiff solver, give an exact Jacobian (`jac`, or `compile`).",
  "The step size fell below `dtmin` or below floating-point resolution at t. The solution may have " +
    "a singularity (blow-up in finite time) or a discontinuity here: check the model, pass the " +
    "discontinuity in `jumpTs`, loosen the tolerances, or lower `dtmin` (or set `forceDtmin: true`). " +
    "If instead the problem is stiff for this solver (an explicit solver forced to ever smaller " +
    "steps), use Rodas5P, BDF, RadauIIA5 or Kvaerno5, or AutoSwitch.",
  "The vector field produced NaN or Infinity and smaller steps did not help. Check the model for " +
    "division by zero, log/sqrt of negative numbers or blow-up in finite time near this t.",
  "A terminating event occurred; the solve ended at the event time.",
  "The implicit solver's Newton iteration did not converge even with small steps. Provide an exact " +
    "Jacobian (`jac`, or use `compile`), tighten the Newton tolerance, or try another stiff solver.",
  "The iteration matrix was singular to working precision. Check the Jacobian, or the mass matrix " +
    "of a DAE (its algebraic part must be index 1).",
  "The maximum number of events was reached. Events may be accumulating (a Zeno point, as in a " +
    "bouncing ball); raise `maxEvents` or add a terminating event that stops the cascade.",
  "A function you gave threw an error. The solution ends at the last completed step; the original " +
    "error is in `sol.error` (and in the SolveError's `cause`).",
  "The solve was aborted. The solution ends at the last completed step; resume it with a new solve from there.",
  "The saved output reached its memory budget. Save fewer rows (SaveAt ts, or steps: k for every " +
    "k-th step), save a function of the state (SaveAt fn), or raise `maxOutputBytes`.",
  "Events accumulate: each state-changing event follows the last one sooner, by a nearly constant " +
    "ratio, so infinitely many would fire before the accumulation point t* (the detail gives its " +
    "estimate; Zeno behaviour, as a bouncing ball coming to rest), and the solve cannot pass t*. The solution is " +
    "returned up to the last event. Say what happens at t* in the model: a terminating event, or an " +
    "affect that sets the state to rest once the rebound is below a threshold (see docs/events.md).",
  "The solve stalled: the step size stayed flat and tiny compared with the time span for many " +
    "steps, so reaching t1 at that rate would take far more than `maxSteps` steps (the detail gives " +
    "the figures). Most often the problem is stiff for this solver: an explicit solver should give way to " +
    "Rodas5P, BDF, RadauIIA5 or Kvaerno5 (or AutoSwitch); a Rosenbrock solver (Rodas5P, Rosenbrock23) " +
    "to RadauIIA5, BDF or Kvaerno5, whose Newton iterations cope with strong nonlinearity, or to an " +
    "exact Jacobian and ∂f/∂t (`compile`). If the problem needs that many steps, raise `maxSteps`.",
  "The GMRES linear solver did not reduce the residual of the iteration matrix's system even with " +
    "small steps: the matrix may be singular or the preconditioner wrong. Check the Jacobian (or the " +
    "mass matrix of a DAE), use a better `preconditioner`, raise `krylov.maxIters`, or use linearSolver " +
    "\"sparse\" or \"dense\".",
];

/** The human-readable message of a result code. */
export function resultMessage(result: Result | number): string {
  return MESSAGES[result] ?? `Unknown result code ${String(result)}.`;
}

/** Name of a result code, as in {@link RESULTS} (for example `"maxStepsReached"`). */
export function resultName(result: Result | number): string {
  for (const key of Object.keys(RESULTS) as (keyof typeof RESULTS)[]) {
    if (RESULTS[key] === result) return key;
  }
  return `unknown(${String(result)})`;
}

/**
 * Whether a result is okay: the solve succeeded, or ended at a terminating event.
 *
 * @example
 * ```ts
 * isOkay(RESULTS.eventOccurred); // true
 * ```
 */
export function isOkay(result: Result | number): boolean {
  return result === RESULTS.successful || result === RESULTS.eventOccurred;
}

/**
 * Thrown by `diffeqsolve` when a solve fails and `throw` is not `false`.
 * `.result` holds the code and `.solution` what was computed up to the failure.
 *
 * @example
 * ```ts
 * try { diffeqsolve(options); } catch (e) {
 *   if (e instanceof SolveError && e.result === RESULTS.maxStepsReached) { ... }
 * }
 * ```
 */
export class SolveError extends Error {
  /** The failure code. */
  readonly result: Result;
  /** The partial solution computed up to the failure (typed as `unknown` to avoid a cycle). */
  readonly solution: unknown;
  constructor(result: Result, detail: string, solution?: unknown, cause?: unknown) {
    super(`${resultName(result)} at ${detail}: ${resultMessage(result)}`);
    this.name = "SolveError";
    this.result = result;
    this.solution = solution;
    if (cause !== undefined) (this as { cause?: unknown }).cause = cause;
  }
}

/**
 * Thrown when a function you gave breaks its contract in the middle of a solve (a custom error
 * norm returning a negative number, an event condition returning a non-number): a mistake in the
 * program, reported at once rather than turned into a result code.
 */
export class ContractError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = "ContractError";
  }
}

/**
 * Thrown before anything is allocated when a solve would need more memory than its budget (a
 * dense n×n matrix for a large n, an output of too many rows): the message gives the size and the
 * alternative.
 */
export class ResourceError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = "ResourceError";
  }
}
