/**
 * The step adjoint: what the checkpoint driver (recursive_checkpoint.ts) needs from a method family
 * to differentiate a solve step by step (registry.ts picks the family's from the solver's declared
 * step map, `solver.stepMap`).
 *
 * A step is a map x_{i+1} = Φ_i(x_i, p) of the carried state x: the state y for one-step methods
 * (Runge–Kutta, Rosenbrock, ESDIRK/IMEX, Radau), the history of backward differences for BDF (its
 * first n entries are always y). The step sizes (and BDF's orders) are constants of the gradient,
 * as the step-size controller's decisions are in diffrax. A step adjoint can
 *
 * - capture x_i at the loop's step hook (from the hook's y0 and the solver's workspace),
 * - advance x_i → x_{i+1} (recomputation from a checkpoint),
 * - record a step (recompute it keeping what its reverse needs), then reverse it:
 *   λ_i = (∂Φ_i/∂x_i)ᵀ λ_{i+1} and p̄ += (∂Φ_i/∂p)ᵀ λ_{i+1}, with the cotangents of outputs
 *   interpolated inside the step added on the way,
 * - and map tangents forward, ẋ_{i+1} = ∂Φ_i/∂x ẋ_i + ∂Φ_i/∂p ṗ (the discrete forward mode the
 *   tests check the reverse sweep against).
 *
 * For implicit methods Φ_i is the step with its stage equations solved exactly: the recomputation
 * solves them by Newton's method to rounding (with the Jacobian at the iterate), so the gradient
 * does not depend on the forward solve's Newton tolerance; see docs/gradients.md.
 */
import type { Validated } from "../integrate.js";
import type { SolverState } from "../solvers/solver.js";
import { MultiTerm, ODETerm, type AbstractTerm, type VectorFieldObject } from "../terms.js";
import type { ArgsLayout } from "./derivatives.js";

/** {@link StepAdjoint.record}: only the step map is differentiated. */
export const NEED_STEP = 0;
/** {@link StepAdjoint.record}: outputs are interpolated inside the step. */
export const NEED_OUTPUTS = 1;
/** {@link StepAdjoint.record}: outputs and the interpolant's θ-derivative (a terminating event). */
export const NEED_THETA = 2;

/** The accepted steps of a solve: start time, size and the method's integer per step (BDF's order). */
export interface StepLog {
  t(i: number): number;
  h(i: number): number;
  meta(i: number): number;
  /** Steps the log holds before it grows. */
  readonly capacity: number;
}

/** The accepted steps of a solve, growable: what the step adjoints read (one array: t, h, meta per step). */
export class StepRecord implements StepLog {
  count = 0;
  private log: Float64Array;
  /** `capacity`: steps before the array first grows. */
  constructor(capacity = 64) {
    this.log = new Float64Array(3 * Math.max(capacity, 1));
  }

  get capacity(): number {
    return this.log.length / 3;
  }
  t(i: number): number {
    return this.log[3 * i]!;
  }
  h(i: number): number {
    return this.log[3 * i + 1]!;
  }
  meta(i: number): number {
    return this.log[3 * i + 2]!;
  }
  setMeta(i: number, value: number): void {
    this.log[3 * i + 2] = value;
  }

  /**
   * Appends a step from a step hook's `times` (start, end, size; read here so that no double is
   * boxed to cross the call) and returns its index; its integer is set by the caller.
   */
  push(times: Float64Array): number {
    const i = this.count;
    let log = this.log;
    if (3 * i === log.length) {
      const grown = new Float64Array(2 * log.length);
      grown.set(log);
      this.log = log = grown;
    }
    log[3 * i] = times[0]!;
    log[3 * i + 1] = times[2]!;
    this.count = i + 1;
    return i;
  }
}

/** One method family's discrete step map, its reverse sweep and its forward mode. */
export interface StepAdjoint {
  /** Length of the carried state x (n for one-step methods); its first n entries are y. */
  readonly stateSize: number;
  /** Doubles per step that {@link capture} keeps when asked (0: the method keeps nothing). */
  readonly keptPerStep: number;
  /** Vector-field evaluations of recomputations and recordings, and derivative products. */
  readonly numFnEvals: number;
  readonly numVjpEvals: number;
  /**
   * At the loop's step hook for accepted step i (in order, once each): writes x_i into `out` from
   * the hook's y0 and the solver's workspace, and returns the step's integer for {@link StepLog.meta}.
   * With `keep`, also keeps what reversing step i needs from the workspace (see keptPerStep).
   */
  capture(i: number, y0: Float64Array, solverState: SolverState, out: Float64Array, keep: boolean): number;
  /** Frees what capture kept. */
  dropKept(): void;
  /** x_0 of a solve from y0. */
  start(y0: Float64Array, out: Float64Array): void;
  /** x_{i+1} from x_i (no recording). */
  advance(i: number, x0: Float64Array, x1: Float64Array): void;
  /**
   * Recomputes step i from x_i, keeping what its reverse needs (`need`: NEED_STEP, NEED_OUTPUTS or
   * NEED_THETA). Uses what capture kept when it can.
   */
  record(i: number, x0: Float64Array, need: number): void;
  /** d/dθ of the output at θ inside the recorded step (after record with NEED_THETA). */
  outputThetaDerivative(theta: number, out: Float64Array): void;
  /** Starts the reverse of the recorded step; `lambda` holds λ_{i+1}. */
  beginReverse(lambda: Float64Array): void;
  /** Adds the cotangent `obar[offset …]` of an output at θ inside the recorded step. */
  addOutputCotangent(theta: number, obar: ArrayLike<number>, offset: number, lambda: Float64Array): void;
  /** λ_{i+1} → λ_i in `lambda`; p̄ accumulated into `pbar`. */
  reverse(lambda: Float64Array, pbar: Float64Array): void;
  /**
   * x_{i+1} and its tangent: `xDot` holds ẋ_i on entry and ẋ_{i+1} on exit; `pDot` the parameters'
   * tangent. The discrete forward mode, which the tests pin each reverse step against; a family
   * without it (the SDE steps, whose forward mode is `ForwardSensitivity`'s) leaves it out.
   */
  tangent?(i: number, x0: Float64Array, x1: Float64Array, xDot: Float64Array, pDot: Float64Array): void;
}

/** What a family's step adjoint is built from. */
export interface StepAdjointContext {
  readonly v: Validated<unknown>;
  readonly args: unknown;
  readonly layout: ArgsLayout;
  readonly steps: StepLog;
  /** Who asks, for error messages ("diffeqsolveVjp (RecursiveCheckpointAdjoint)"). */
  readonly who: string;
}

/** The vector field of a single ODE term, or a TypeError naming the solver and the term. */
export function odeVectorField(terms: AbstractTerm, solverName: string, who: string): VectorFieldObject {
  if (!(terms instanceof ODETerm)) {
    throw new TypeError(`${who}: gradients through ${solverName} are taken for \`terms\` = new ODETerm(f); got a ${terms.constructor.name}.`);
  }
  return terms.vf;
}

/** The explicit and implicit vector fields of an IMEX split `new MultiTerm(new ODETerm(fE), new ODETerm(fI))`. */
export function imexVectorFields(terms: AbstractTerm, solverName: string, who: string): [VectorFieldObject, VectorFieldObject] {
  if (!(terms instanceof MultiTerm) || terms.terms.length !== 2 || !(terms.terms[0] instanceof ODETerm) || !(terms.terms[1] instanceof ODETerm)) {
    throw new TypeError(`${who}: ${solverName} is differentiated for \`terms\` = new MultiTerm(new ODETerm(explicitPart), new ODETerm(implicitPart)).`);
  }
  return [terms.terms[0].vf, terms.terms[1].vf];
}
