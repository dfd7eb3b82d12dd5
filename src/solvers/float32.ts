/**
 * Float32 states: a solver wrapper that keeps the state in float32 at every step boundary.
 *
 * `diffeqsolve` wraps the solver in {@link Float32Steps} when `y0` is a `Float32Array` (or a
 * structure of them): after every step the new state is rounded to the nearest float32, and so is
 * every output (saved rows, output times filled from the interpolant, dense output), so the
 * solution is a float32 trajectory, as a GPU kernel in float32 would compute it, and
 * `sol.ysAs(i)` / `sol.evaluateAs(t)` give `Float32Array`s back. Inside a step the stages are
 * computed in float64 (JavaScript has no float32 arithmetic): the state, not the arithmetic, is
 * float32. The saved rows themselves are stored as float64 values that are all exactly float32.
 *
 * Accuracy floor: each step rounds every component by up to u = 2⁻²⁴ ≈ 6·10⁻⁸ of its size, an
 * error the solver's estimate does not see. Over N steps the rounding errors add up to about
 * u·√N relative (as a random walk; at worst u·N), and a step-size controller with
 * rtol < 10⁻⁶ (≈ 17u) would report success for answers that do not meet it, so `diffeqsolve`
 * refuses such a tolerance for a float32 state. Fixed-step solves have the same floor.
 */
import type { AbstractStepSizeController } from "../controllers/base.js";
import type { AbstractTerm, InPlaceVectorField, ODETerm } from "../terms.js";
import { type AbstractSolver, type SolverState, STEP_OK } from "./solver.js";

/** The smallest relative tolerance a step-size controller may ask of a float32 state. */
export const FLOAT32_RTOL_FLOOR = 1e-6;

function round(v: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) v[i] = Math.fround(v[i]!);
}

/** The `rtol` of a controller (unwrapping `ComplexNorm`-style wrappers that hold `controller`), if it has one. */
function relativeTolerance(controller: unknown): number | ArrayLike<number> | undefined {
  for (let c = controller, depth = 0; c !== null && typeof c === "object" && depth < 8; depth++) {
    const rtol = (c as { rtol?: unknown }).rtol;
    if (typeof rtol === "number" || (rtol !== null && typeof rtol === "object" && typeof (rtol as ArrayLike<number>).length === "number")) return rtol as number | ArrayLike<number>;
    c = (c as { controller?: unknown }).controller;
  }
  return undefined;
}

/**
 * Wraps a solver so that every state it produces is rounded to float32 (see the module
 * documentation). `diffeqsolve` applies it for `Float32Array` states; it may also be used directly.
 *
 * @example
 * ```ts
 * const sol = diffeqsolve({ terms, solver: new Tsit5(), t0: 0, t1: 1, y0: new Float32Array([1, 0]),
 *   stepsizeController: new PIDController({ rtol: 1e-5, atol: 1e-6 }) });
 * sol.ysAs(0); // a Float32Array
 * ```
 */
export class Float32Steps<S extends SolverState = SolverState> implements AbstractSolver<S> {
  readonly name: string;
  readonly order: number;
  readonly errorOrder: number;
  readonly hasSecondaryError: boolean;
  readonly checkTerms?: (terms: AbstractTerm) => void;
  readonly vectorFieldTerm?: (terms: AbstractTerm) => ODETerm | undefined;
  readonly setTolerances?: (state: S, rtol: number | Float64Array, atol: number | Float64Array) => void;
  readonly stepFactor?: (state: S, err: number, accepted: boolean) => number;
  readonly extraStats?: (state: S) => Record<string, number>;

  /**
   * @param solver the solver to wrap.
   * @param controller the step-size controller of the solve: its `rtol` (if any) must be at least
   *   {@link FLOAT32_RTOL_FLOOR}.
   */
  constructor(readonly solver: AbstractSolver<S>, controller?: AbstractStepSizeController<any>) {
    this.name = solver.name;
    this.order = solver.order;
    this.errorOrder = solver.errorOrder;
    this.hasSecondaryError = solver.hasSecondaryError;
    // The optional hooks exist exactly when the wrapped solver has them (the loop and the
    // controllers test for their presence).
    if (solver.checkTerms) this.checkTerms = (terms) => solver.checkTerms!(terms);
    if (solver.vectorFieldTerm) this.vectorFieldTerm = (terms) => solver.vectorFieldTerm!(terms);
    if (solver.setTolerances) this.setTolerances = (state, rtol, atol) => solver.setTolerances!(state, rtol, atol);
    if (solver.stepFactor) this.stepFactor = (state, err, accepted) => solver.stepFactor!(state, err, accepted);
    if (solver.extraStats) this.extraStats = (state) => solver.extraStats!(state);
    const rtol = relativeTolerance(controller);
    if (rtol !== undefined) {
      const smallest = typeof rtol === "number" ? rtol : Math.min(...Array.from(rtol));
      if (smallest < FLOAT32_RTOL_FLOOR) {
        throw new RangeError(
          `diffeqsolve: y0 is a Float32Array, so every step is rounded to float32 (relative precision 6e-8), but the controller's rtol = ${smallest} ` +
            `is below ${FLOAT32_RTOL_FLOOR}, which such rounding could not meet; use rtol ≥ ${FLOAT32_RTOL_FLOOR}, or pass y0 as a Float64Array (or an array) to solve in float64.`,
        );
      }
    }
  }

  init(f: InPlaceVectorField, n: number, args: unknown, terms: AbstractTerm): S {
    return this.solver.init(f, n, args, terms);
  }

  restart(state: S, t: number, y: Float64Array): Float64Array {
    return this.solver.restart(state, t, y);
  }

  step(state: S, times: Float64Array, y0: Float64Array, y1: Float64Array, yErr: Float64Array, yErr2: Float64Array): number {
    const status = this.solver.step(state, times, y0, y1, yErr, yErr2);
    if (status === STEP_OK) round(y1, y1.length);
    return status;
  }

  accept(state: S): void {
    this.solver.accept(state);
  }

  interpolate(state: S, theta: number, out: Float64Array): void {
    this.solver.interpolate(state, theta, out);
    round(out, out.length);
  }

  interpolateDerivative(state: S, theta: number, out: Float64Array): void {
    this.solver.interpolateDerivative(state, theta, out);
    round(out, out.length);
  }

  denseSize(n: number): number {
    return this.solver.denseSize(n);
  }

  writeDense(state: S, out: Float64Array, offset: number): void {
    this.solver.writeDense(state, out, offset);
  }

  evaluateDense(data: Float64Array, offset: number, n: number, dt: number, theta: number, derivative: boolean, out: Float64Array): void {
    this.solver.evaluateDense(data, offset, n, dt, theta, derivative, out);
    round(out, n);
  }
}
