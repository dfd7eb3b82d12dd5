/**
 * The solver classes a worker rebuilds by name: every solver class odeflow exports, under its
 * export name. A solver travels to a worker (thread, process or machine) as that name plus its
 * constructor options; the calling side finds the name here by the solver's prototype (so a
 * user's subclass is never mistaken for the class it extends), the worker builds
 * `new SOLVERS[name](options)`.
 *
 * The list is pinned to the package's exports by test/ensemble/catalog.test.ts: a solver class
 * exported from src/index.ts and missing here fails that test. Imported lazily by the ensemble
 * code (only threaded and distributed ensembles need it), so an application that uses one solver
 * still bundles only that solver. Step-size controllers travel the same way (their `describe()`).
 */
import { ExplicitRungeKutta } from "../solvers/erk.js";
import { Euler } from "../solvers/methods/euler.js";
import { Heun } from "../solvers/methods/heun.js";
import { Midpoint } from "../solvers/methods/midpoint.js";
import { Ralston } from "../solvers/methods/ralston.js";
import { Bosh3 } from "../solvers/methods/bosh3.js";
import { Dopri5 } from "../solvers/methods/dopri5.js";
import { Tsit5 } from "../solvers/methods/tsit5.js";
import { Dopri8 } from "../solvers/methods/dopri8.js";
import { Vern7 } from "../solvers/methods/vern7.js";
import { Vern9 } from "../solvers/methods/vern9.js";
import { Rosenbrock23, Rodas5P, RodasMethod } from "../solvers/implicit/rosenbrock.js";
import { BDF } from "../solvers/implicit/bdf.js";
import { ImplicitEuler, Kvaerno3, Kvaerno4, Kvaerno5, ESDIRKMethod } from "../solvers/implicit/esdirk.js";
import { KenCarp3, KenCarp4, KenCarp5, AdditiveRungeKutta } from "../solvers/implicit/kencarp.js";
import { RadauIIA5 } from "../solvers/implicit/radau.js";
import { AutoSwitch } from "../solvers/implicit/autoswitch.js";
import { EulerMaruyama } from "../solvers/sde/euler_maruyama.js";
import { EulerHeun } from "../solvers/sde/euler_heun.js";
import { Milstein } from "../solvers/sde/milstein.js";
import { SRA1 } from "../solvers/sde/sra1.js";
import { ShARK } from "../solvers/sde/shark.js";
import { SRIW1 } from "../solvers/sde/sriw1.js";
import { ReversibleHeun } from "../solvers/reversible_heun.js";
import { RK4 } from "../solvers/methods/rk4.js";
import { LeapfrogMidpoint } from "../solvers/methods/leapfrog_midpoint.js";
import { SplittingMethod } from "../solvers/symplectic/splitting.js";
import { SemiImplicitEuler } from "../solvers/symplectic/semi_implicit_euler.js";
import { VelocityVerlet } from "../solvers/symplectic/velocity_verlet.js";
import { Yoshida4, Yoshida6 } from "../solvers/symplectic/yoshida.js";
import { McAte4, McAte5 } from "../solvers/symplectic/mclachlan_atela.js";
import { KahanLi8 } from "../solvers/symplectic/kahan_li.js";
import { BAOAB } from "../solvers/langevin/baoab.js";
import { Float32Steps } from "../solvers/float32.js";
import { MethodOfSteps } from "../delay/method-of-steps.js";
import type { AbstractStepSizeController, ControllerDescription } from "../controllers/base.js";
import { PIDController } from "../controllers/pid.js";
import { ConstantStepSize } from "../controllers/constant.js";
import { StepTo } from "../controllers/stepto.js";
import { ReversibleStepSize } from "../controllers/reversible.js";
import { ComplexNorm } from "../controllers/complex-norm.js";

/** A solver class as the catalog holds it: built from its options (or none). */
export type SolverClass = new (options?: any) => object;

/** Every exported solver class, by export name. */
export const SOLVERS: Readonly<Record<string, SolverClass>> = {
  ExplicitRungeKutta, Euler, Heun, Midpoint, Ralston, Bosh3, Dopri5, Tsit5, Dopri8, Vern7, Vern9,
  Rosenbrock23, Rodas5P, RodasMethod, BDF, ImplicitEuler, Kvaerno3, Kvaerno4, Kvaerno5, ESDIRKMethod,
  KenCarp3, KenCarp4, KenCarp5, AdditiveRungeKutta, RadauIIA5, AutoSwitch,
  EulerMaruyama, EulerHeun, Milstein, SRA1, ShARK, SRIW1, RK4, LeapfrogMidpoint, SplittingMethod,
  SemiImplicitEuler, VelocityVerlet, Yoshida4, Yoshida6, McAte4, McAte5, KahanLi8, BAOAB, Float32Steps, MethodOfSteps, ReversibleHeun,
};

/** The export name of the class whose instance `solver` is (its own class, not a parent), or null. */
export function solverClassName(solver: object): string | null {
  const proto = Object.getPrototypeOf(solver) as unknown;
  for (const name of Object.keys(SOLVERS)) if (SOLVERS[name]!.prototype === proto) return name;
  return null;
}

/** A step-size controller class as the catalog holds it. */
type ControllerClass = new (options?: any) => AbstractStepSizeController<any>;

/**
 * Every exported step-size controller, by export name (the name its `describe()` gives). A
 * controller travels as that description; `ComplexNorm` wraps the description of its inner one.
 */
const CONTROLLERS: Readonly<Record<string, ControllerClass>> = {
  PIDController, ConstantStepSize, StepTo, ReversibleStepSize, ComplexNorm: ComplexNorm as unknown as ControllerClass,
};

/** The export name of the class whose instance `c` is (its own class, not a parent), or null. */
export function controllerClassName(c: object): string | null {
  const proto = Object.getPrototypeOf(c) as unknown;
  for (const name of Object.keys(CONTROLLERS)) if (CONTROLLERS[name]!.prototype === proto) return name;
  return null;
}

/** The controller a `describe()` came from, built again (throws where it cannot be). */
export function rebuildController(d: ControllerDescription): AbstractStepSizeController<any> {
  if (d.name === "ComplexNorm") return new ComplexNorm(rebuildController(d.options.controller as ControllerDescription));
  const C = CONTROLLERS[d.name];
  if (C === undefined) throw new Error(`solveEnsemble worker: this odeflow has no step-size controller ${d.name}; run the same odeflow version everywhere.`);
  return new C(d.options);
}
