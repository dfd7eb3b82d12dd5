/**
 * `diffeqsolveVjp` and `diffeqsolveJvp`: gradients of the saved outputs of a solve with respect to
 * y0 and args, by the adjoint chosen in `options.adjoint`.
 */
import { validate, type DiffeqsolveOptions, type Validated } from "../integrate.js";
import { AbstractTerm, checkStateSize, checkTermArgs } from "../terms.js";
import type { Solution } from "../solution.js";
import { describeValue, type StateLike, Structure } from "../tree.js";
import { BacksolveAdjoint, backsolveVjp } from "./backsolve.js";
import { ForwardSensitivity, forwardSensitivityVjp, tangentSolve } from "./forward_sensitivity.js";
import type { VjpResult } from "./outputs.js";
import { checkpointVjp, RecursiveCheckpointAdjoint } from "./recursive_checkpoint.js";
import { delaySensitivityVjp, delayTangentSolve } from "../delay/sensitivity.js";
import { ReversibleAdjoint, reversibleVjp } from "./reversible.js";
import { ImplicitAdjoint, implicitVjp } from "./implicit.js";

/** Any of the adjoints. */
export type Adjoint = RecursiveCheckpointAdjoint | BacksolveAdjoint | ForwardSensitivity | ReversibleAdjoint | ImplicitAdjoint;

/** Options of {@link diffeqsolveVjp}: those of `diffeqsolve` and the adjoint. */
export interface DiffeqsolveVjpOptions<Y extends StateLike = StateLike, A = any> extends DiffeqsolveOptions<Y, A> {
  /** How the gradient is computed. @defaultValue `new RecursiveCheckpointAdjoint()` */
  adjoint?: Adjoint;
}

function splitAdjoint<Y extends StateLike, A>(options: DiffeqsolveVjpOptions<Y, A>, who: string): { adjoint: Adjoint | undefined; rest: DiffeqsolveOptions<Y, A> } {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`${who}(options): \`options\` must be an object with terms, solver, t0, t1 and y0; got ${describeValue(options)}.`);
  }
  const { adjoint, ...rest } = options;
  if (adjoint !== undefined && !(adjoint instanceof RecursiveCheckpointAdjoint || adjoint instanceof BacksolveAdjoint || adjoint instanceof ForwardSensitivity || adjoint instanceof ReversibleAdjoint || adjoint instanceof ImplicitAdjoint)) {
    throw new TypeError(`${who}: \`adjoint\` must be new RecursiveCheckpointAdjoint(), new BacksolveAdjoint(), new ForwardSensitivity(), new ReversibleAdjoint() or new ImplicitAdjoint(); got ${describeValue(adjoint)}.`);
  }
  return { adjoint, rest };
}

/**
 * `diffeqsolve`'s validation, with the checks of a compiled vector field's size and parameters
 * first, and every message naming `who` (the function the user called).
 */
function validateFor<Y extends StateLike, A>(options: DiffeqsolveOptions<Y, A>, who: string): Validated<Y> {
  try {
    if (options.terms instanceof AbstractTerm) {
      let size: number | undefined;
      try {
        size = Structure.of(options.y0, "y0", who).size;
      } catch {
        // validate() names a malformed y0 below.
      }
      if (size !== undefined) checkStateSize(options.terms, size, who);
      checkTermArgs(options.terms, options.args, who);
    }
    return validate(options);
  } catch (e) {
    if (e instanceof Error && e.message.startsWith("diffeqsolve: ")) e.message = `${who}: ${e.message.slice(13)}`;
    throw e;
  }
}

/**
 * Solves, and returns the solution with a pullback: for cotangents `ysBar` of the saved rows
 * (SaveAt t0, ts, t1), `pullback(ysBar)` gives the gradients of Σ ⟨ysBar[r], ys[r]⟩ with respect
 * to `y0` (shaped like y0) and `args` (shaped like args: its numbers and number arrays).
 *
 * The step-size controller's decisions are constants (as in diffrax): the gradient is that of the
 * solution computed with the accepted steps held fixed.
 *
 * @example
 * ```ts
 * const vf = compile((t, y, args, dy) => { dy[0] = -args.k * y[0]; });
 * const { solution, pullback } = diffeqsolveVjp({
 *   terms: new ODETerm(vf), solver: new Tsit5(), t0: 0, t1: 1, y0: [1], args: { k: 2 },
 *   stepsizeController: new PIDController({ rtol: 1e-10, atol: 1e-12 }),
 * });
 * const { y0, args } = pullback([[1]]);   // y0[0] ≈ e^-2, args.k ≈ -e^-2
 * ```
 */
export function diffeqsolveVjp<Y extends StateLike, A = any>(options: DiffeqsolveVjpOptions<Y, A>): VjpResult<Y, A> {
  const { adjoint, rest } = splitAdjoint(options, "diffeqsolveVjp");
  const v = validateFor(rest, "diffeqsolveVjp");
  const args = rest.args as A;
  const throwOnFailure = rest.throw ?? true;
  // A delay equation is differentiated by forward sensitivities of its own (src/delay/sensitivity.ts).
  if (v.terms.kind === "delay") {
    if (adjoint !== undefined && !(adjoint instanceof ForwardSensitivity)) {
      throw new TypeError("diffeqsolveVjp: gradients of a delay equation are taken by forward sensitivities; pass adjoint: new ForwardSensitivity() (or leave it out).");
    }
    return delaySensitivityVjp(v, args, throwOnFailure);
  }
  const adj = adjoint ?? new RecursiveCheckpointAdjoint();
  if (adj instanceof RecursiveCheckpointAdjoint) return checkpointVjp(adj, v, args, throwOnFailure);
  if (adj instanceof BacksolveAdjoint) return backsolveVjp(adj, v, args, throwOnFailure);
  if (adj instanceof ReversibleAdjoint) return reversibleVjp(adj, v, args, throwOnFailure);
  if (adj instanceof ImplicitAdjoint) return implicitVjp(adj, v, args, throwOnFailure);
  return forwardSensitivityVjp(adj, v, args, throwOnFailure);
}

/** Tangents of the inputs for {@link diffeqsolveJvp}. */
export interface JvpTangents {
  /** Tangent of y0 (shaped like y0, or n numbers); omitted: zero. */
  y0?: unknown;
  /** Tangent of args (shaped like args); omitted: zero. */
  args?: unknown;
}

/** What {@link diffeqsolveJvp} returns. */
export interface JvpResult<Y = unknown> {
  /** The solution of the primal problem (no dense output). */
  solution: Solution<Y>;
  /** One tangent row per saved row: d ys[r] in the direction of the input tangents. */
  tangents: Float64Array[];
}

/**
 * Forward-mode derivative of the saved outputs in the direction `tangents` = { y0, args }. With an
 * explicit Runge–Kutta solver this is the exact forward-mode derivative of the discrete solution
 * (the tangent equations are stepped with the same stages and the same accepted steps); with other
 * solvers, the forward sensitivity equations solved alongside, the step sizes controlled on the
 * state alone.
 *
 * @example
 * ```ts
 * const { solution, tangents } = diffeqsolveJvp(
 *   { terms: new ODETerm(vf), solver: new Tsit5(), t0: 0, t1: 1, y0: [1], args: { k: 2 } },
 *   { args: { k: 1 } },
 * );
 * tangents[0][0]; // d y(1)/dk ≈ -e^-2
 * ```
 */
export function diffeqsolveJvp<Y extends StateLike, A = any>(options: DiffeqsolveOptions<Y, A>, tangents: JvpTangents): JvpResult<Y> {
  const { adjoint, rest } = splitAdjoint(options as DiffeqsolveVjpOptions<Y, A>, "diffeqsolveJvp");
  if (adjoint !== undefined) throw new TypeError("diffeqsolveJvp: `adjoint` is not an option of diffeqsolveJvp (it always uses forward mode); remove it.");
  if (tangents === null || typeof tangents !== "object") {
    throw new TypeError(`diffeqsolveJvp(options, tangents): \`tangents\` must be an object { y0?, args? }; got ${describeValue(tangents)}.`);
  }
  for (const key of Object.keys(tangents)) {
    if (key !== "y0" && key !== "args") throw new TypeError(`diffeqsolveJvp: unknown tangent \`${key}\`; the tangents are y0 and args.`);
  }
  const v = validateFor(rest, "diffeqsolveJvp");
  if (v.terms.kind === "delay") return delayTangentSolve(v, rest.args, rest.throw ?? true, tangents.y0, tangents.args);
  return tangentSolve(v, rest.args, rest.throw ?? true, tangents.y0, tangents.args);
}
