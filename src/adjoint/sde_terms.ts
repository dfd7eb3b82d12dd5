/**
 * The terms the gradients differentiate: an ODE's vector field, or an SDE's drift and diffusion
 * (`MultiTerm(ODETerm(drift), ControlTerm(diffusion, brownian))`, solved over a path that gives
 * the same increments when asked again, such as a `VirtualBrownianTree`).
 */
import type { Validated } from "../integrate.js";
import { ControlTerm, MultiTerm, ODETerm, type VectorFieldObject } from "../terms.js";
import { ExplicitRungeKutta } from "../solvers/erk.js";
import { ReversibleHeun } from "../solvers/reversible_heun.js";
import { EulerHeun } from "../solvers/sde/euler_heun.js";
import { EulerMaruyama } from "../solvers/sde/euler_maruyama.js";
import { checkDifferentiable } from "./outputs.js";

/** The drift (the ODE's vector field) and, for an SDE, its control term. */
export interface DifferentiableTerms {
  readonly drift: VectorFieldObject;
  readonly diffusion: ControlTerm | null;
}

/** Whether the terms are an SDE's: MultiTerm(ODETerm, ControlTerm). */
export function isSDETerms(v: Validated<unknown>): boolean {
  const t = v.terms;
  return t instanceof MultiTerm && t.terms.length === 2 && t.terms[0] instanceof ODETerm && t.terms[1] instanceof ControlTerm;
}

/**
 * The terms of `v`, checked as `checkDifferentiable` checks an ODE's (SaveAt fn and steps are
 * refused); with `sde` the SDE form is accepted too.
 */
export function differentiableTerms(v: Validated<unknown>, who: string, sde: boolean): DifferentiableTerms {
  if (sde && isSDETerms(v)) {
    const [drift, diffusion] = (v.terms as MultiTerm).terms as [ODETerm, ControlTerm];
    return { drift: checkDifferentiable({ ...v, terms: drift }, who), diffusion };
  }
  return { drift: checkDifferentiable(v, who), diffusion: null };
}

/**
 * Whether stepping the tangent (variational) system alongside the state with `solver` gives the
 * exact derivative of the solver's own numbers, the steps being the state's: the explicit
 * Runge–Kutta methods and the SDE methods built from evaluations of f and g alone (their
 * formulas commute with linearisation). Milstein (which uses ∂g/∂y) and the order-1.5 additive
 * methods are not among them.
 */
export function tangentsExact(solver: unknown): boolean {
  return solver instanceof ExplicitRungeKutta || solver instanceof ReversibleHeun || solver instanceof EulerMaruyama || solver instanceof EulerHeun;
}

/** Throws for an SDE solved by a method the gradients do not differentiate, naming the ones they do. */
export function checkSDESolver(v: Validated<unknown>, who: string): void {
  if (!isSDETerms(v) || v.solver instanceof EulerMaruyama || v.solver instanceof EulerHeun || v.solver instanceof ReversibleHeun) return;
  throw new TypeError(
    `${who}: gradients through SDE solves are taken for EulerMaruyama, EulerHeun and ReversibleHeun (over a VirtualBrownianTree, which gives ` +
      `the same path again); got ${v.solver.name}.`,
  );
}
