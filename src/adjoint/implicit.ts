/**
 * ImplicitAdjoint: the gradient of a steady state by the implicit function theorem, not through
 * the steps that reached it.
 *
 * A solve ended by a `SteadyStateEvent` stops at y* with f(y*, p) ≈ 0. Where ∂f/∂y is invertible
 * the fixed point is a smooth function of p with
 *
 *     ∂f/∂y · ∂y* / ∂p + ∂f/∂p = 0,   so for a cotangent ō of y*:
 *     (∂f/∂y)ᵀ μ = ō,   p̄ = −(∂f/∂p)ᵀ μ,
 *
 * one linear solve with the transposed Jacobian at y* (exact from `jac` or a compiled vector field,
 * else by differences) and one product with ∂f/∂p, whatever the number of steps; and y* does not
 * depend on y0 (within its basin of attraction), so its y0 gradient is zero. The gradient is that
 * of the exact fixed point, accurate to the steady-state test's tolerance times the conditioning
 * of ∂f/∂y.
 *
 * Reference: S. Bai, J. Z. Kolter and V. Koltun, "Deep equilibrium models", NeurIPS 2019;
 * diffrax's `ImplicitAdjoint` with `steady_state_event`.
 */
import { createLoopWorkspace, runLoop, solutionFromWorkspace, type Validated } from "../integrate.js";
import { luFactor, luSolve } from "../linalg/lu.js";
import { RESULTS } from "../results.js";
import { SteadyStateEvent } from "../events/steady_state.js";
import { checkKeys } from "../util/options.js";
import { ArgsLayout, VectorFieldDerivatives } from "./derivatives.js";
import { checkDifferentiable, emptyStats, packCotangents, type Gradients, type VjpResult } from "./outputs.js";

/**
 * Differentiates a steady state (a solve ended by `SteadyStateEvent`) by the implicit function
 * theorem: one linear solve with the Jacobian at the steady state, nothing stored from the steps.
 * Only the rows saved at the steady state may carry cotangents.
 *
 * @example
 * ```ts
 * const { pullback } = diffeqsolveVjp({ ...options, t1: Infinity, event: new SteadyStateEvent(f), adjoint: new ImplicitAdjoint() });
 * ```
 */
export class ImplicitAdjoint {
  readonly kind = "implicit" as const;
  constructor(options: Record<string, never> = {}) {
    checkKeys(options, [], "new ImplicitAdjoint(options)");
  }
}

/** @internal The forward solve to the steady state and the implicit-function pullback. */
export function implicitVjp<Y, A>(adjoint: ImplicitAdjoint, v: Validated<Y>, args: A, throwOnFailure: boolean): VjpResult<Y, A> {
  void adjoint;
  const who = "diffeqsolveVjp (ImplicitAdjoint)";
  const vf = checkDifferentiable(v as Validated<unknown>, who);
  if (v.events === null || !v.events.some((e) => e instanceof SteadyStateEvent)) {
    throw new TypeError(`${who}: the implicit adjoint differentiates a steady state; end the solve with event: new SteadyStateEvent(f) (and a t1 far enough).`);
  }
  const n = v.y0.length;
  const layout = new ArgsLayout(args);
  const deriv = new VectorFieldDerivatives(vf, n, layout, v.f);
  const ws = createLoopWorkspace(v, args);
  runLoop(v, v.y0, args, ws);
  const solution = solutionFromWorkspace(v, ws, throwOnFailure);
  const last = solution.events[solution.events.length - 1];
  if (ws.result !== RESULTS.eventOccurred || last === undefined || !(v.events[last.index] instanceof SteadyStateEvent)) {
    throw new RangeError(
      `${who}: the solve ended at t = ${ws.tFinal} (${solution.message}) without reaching a steady state; ` +
        "raise t1 (or maxSteps), loosen the SteadyStateEvent's tolerances, or check that the system settles.",
    );
  }
  const tStar = ws.tFinal;
  const yStar = Float64Array.from(ws.y);
  // Jᵀ, factored once.
  const J = new Float64Array(n * n);
  deriv.jacY(tStar, yStar, J);
  const JT = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) JT[j * n + i] = J[i * n + j]!;
  const piv = new Int32Array(n);
  const singular = luFactor(n, JT, piv);
  const rows = solution.ts.length;

  const pullback = (ysBar: unknown): Gradients<Y, A> => {
    const bar = packCotangents(ysBar, rows, n, v.structure as never, who);
    const obar = new Float64Array(n);
    for (let r = 0; r < rows; r++) {
      const atSteady = solution.ts[r] === tStar;
      for (let j = 0; j < n; j++) {
        const b = bar[r * n + j]!;
        if (b === 0) continue;
        if (!atSteady) {
          throw new RangeError(
            `${who}: ysBar[${r}] (t = ${solution.ts[r]}) is not zero, but the implicit adjoint differentiates only the steady state ` +
              `(the rows at t = ${tStar}); give those rows alone, or use RecursiveCheckpointAdjoint to differentiate the transient.`,
          );
        }
        obar[j] += b;
      }
    }
    if (singular !== 0) {
      throw new RangeError(`${who}: the Jacobian ∂f/∂y at the steady state is singular (column ${singular - 1}): the steady state is not isolated, so it has no derivative.`);
    }
    // (∂f/∂y)ᵀ μ = ō, then p̄ = −(∂f/∂p)ᵀ μ.
    luSolve(n, JT, piv, obar);
    for (let j = 0; j < n; j++) obar[j] = -obar[j]!;
    const pbar = new Float64Array(layout.size);
    deriv.vjpPAdd(tStar, yStar, obar, pbar);
    const stats = emptyStats();
    stats.numVjpEvals = 1;
    return { y0: v.structure.unflatten(new Float64Array(n)) as never, args: layout.unflatten(pbar) as A, stats };
  };
  return { solution, pullback };
}
