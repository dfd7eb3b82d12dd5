/**
 * What a solver's step is as a map of the state, for the discrete adjoints: each solver family
 * that can be differentiated step by step declares its kind (and itself, for its coefficients and
 * options) through {@link AbstractSolver.stepMap}; src/adjoint/step_adjoint.ts builds the matching
 * step adjoint from it. Type-only: the solvers do not import the adjoints.
 */
import type { ExplicitRungeKutta } from "./erk.js";
import type { BDF } from "./implicit/bdf.js";
import type { ESDIRKMethod } from "./implicit/esdirk.js";
import type { AdditiveRungeKutta } from "./implicit/kencarp.js";
import type { RadauIIA5 } from "./implicit/radau.js";
import type { RodasMethod, Rosenbrock23 } from "./implicit/rosenbrock.js";

/** A solver's step map: its family and the solver (tableau, options). */
export type StepMap =
  | { readonly kind: "erk"; readonly solver: ExplicitRungeKutta }
  | { readonly kind: "rosenbrock23"; readonly solver: Rosenbrock23 }
  | { readonly kind: "rodas"; readonly solver: RodasMethod }
  | { readonly kind: "esdirk"; readonly solver: ESDIRKMethod }
  | { readonly kind: "imex"; readonly solver: AdditiveRungeKutta }
  | { readonly kind: "bdf"; readonly solver: BDF }
  | { readonly kind: "radauIIA5"; readonly solver: RadauIIA5 };

/** The families of {@link StepMap}. */
export type StepMapKind = StepMap["kind"];
