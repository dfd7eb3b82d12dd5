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
  /** An implicit solver's Krylov (GMRES) linear solver did not converge even at the smallest step. */
  linearSolverFailed: 8,
});

/** One of the values of {@link RESULTS}. */
export type Result = (typeof RESULTS)[keyof typeof RESULTS];

const MESSAGES: readonly string[] = [
  "The solve was successful.",
  "The maximum number of steps was reached before t1. Increase `maxSteps`, loosen `rtol`/`atol`, " +
    "or, if the problem is stiff (many rejected or tiny steps), use an implicit solver.",
  "The step size fell below `dtmin` or below floating-point resolution at t. The solution may have " +
    "a singularity or a discontinuity here: check the model, pass the discontinuity in `jumpTs`, " +
    "loosen the tolerances, or lower `dtmin` (or set `forceDtmin: true`).",
  "The vector field produced NaN or Infinity and smaller steps did not help. Check the model for " +
    "division by zero, log/sqrt of negative numbers or blow-up in finite time near this t.",
  "A terminating event occurred; the solve ended at the event time.",
  "The implicit solver's Newton iteration did not converge even with small steps. Provide an exact " +
    "Jacobian (`jac`, or use `compile`), tighten the Newton tolerance, or try another stiff solver.",
  "The iteration matrix was singular to working precision. Check the Jacobian, or the mass matrix " +
    "of a DAE (its algebraic part must be index 1).",
  "The maximum number of events was reached. Events may be accumulating (a Zeno point, as in a " +
    "bouncing ball); raise `maxEvents` or add a terminating event that stops the cascade.",
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
  constructor(result: Result, detail: string, solution?: unknown) {
    super(`${resultName(result)} at ${detail}: ${resultMessage(result)}`);
    this.name = "SolveError";
    this.result = result;
    this.solution = solution;
  }
}
