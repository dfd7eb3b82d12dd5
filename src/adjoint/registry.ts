/**
 * The registry of step adjoints: the solver's declared step map (src/solvers/step-map.ts) picks the
 * method family's implementation of {@link StepAdjoint}.
 */
import type { StepMap } from "../solvers/step-map.js";
import { ODETerm } from "../terms.js";
import { BDFStepAdjoint } from "./bdf_adjoint.js";
import { ERKStepAdjoint } from "./erk_adjoint.js";
import { DIRKStepAdjoint } from "./esdirk_adjoint.js";
import { RadauStepAdjoint } from "./radau_adjoint.js";
import { RodasStepAdjoint, Rosenbrock23StepAdjoint } from "./rosenbrock_adjoint.js";
import type { StepAdjoint, StepAdjointContext } from "./step_adjoint.js";

/** The step adjoint of the solver's family (the registry, keyed by the declared step map). */
export function stepAdjointFor(map: StepMap, ctx: StepAdjointContext): StepAdjoint {
  switch (map.kind) {
    case "erk":
      return new ERKStepAdjoint(map.solver, ctx);
    case "rosenbrock23":
      return new Rosenbrock23StepAdjoint(map.solver, ctx);
    case "rodas":
      return new RodasStepAdjoint(map.solver, ctx);
    case "esdirk":
      return DIRKStepAdjoint.esdirk(map.solver, ctx);
    case "imex":
      return DIRKStepAdjoint.imex(map.solver, ctx);
    case "bdf":
      return new BDFStepAdjoint(map.solver, ctx);
    case "radauIIA5":
      return new RadauStepAdjoint(map.solver, ctx);
    default: {
      const never: never = map;
      throw new TypeError(`unknown step map ${(never as StepMap).kind}`);
    }
  }
}

/**
 * The step adjoint for a validated problem, or a TypeError naming the solver and the alternatives
 * when its steps cannot be differentiated one by one.
 */
export function stepAdjointOf(ctx: StepAdjointContext): StepAdjoint {
  const solver = ctx.v.solver;
  const map = solver.stepMap;
  if (map === undefined && !(ctx.v.terms instanceof ODETerm)) {
    throw new TypeError(
      `${ctx.who}: ${solver.name} on a ${ctx.v.terms.constructor.name} (not an ODE) has no discrete adjoint, and the other adjoints need \`terms\` = new ODETerm(f); ` +
        "gradients are taken through ODE solves and the IMEX splits of KenCarp3/4/5.",
    );
  }
  if (map === undefined) {
    throw new TypeError(
      `${ctx.who}: the discrete adjoint differentiates solvers step by step, and ${solver.name} declares no step map ` +
        "(explicit Runge–Kutta, Rosenbrock23, Rodas5P, ImplicitEuler, Kvaerno3/4/5, KenCarp3/4/5, BDF and RadauIIA5 do); " +
        "use adjoint: new BacksolveAdjoint() or new ForwardSensitivity() with it.",
    );
  }
  return stepAdjointFor(map, ctx);
}
