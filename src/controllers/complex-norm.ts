/**
 * Step-size control of complex-valued states on |z| (a wrapper around any controller): for the
 * interleaved layout z_k = (y[2k], y[2k+1]) (src/complex.ts), the wrapped controller sees, in both
 * slots of z_k, |z_k| for the states and |e_k| for the error estimate. Its scaled error is then
 * |e_k| / (atol + rtol·max(|z₀,k|, |z₁,k|)), and its RMS over the 2K slots is exactly the RMS over
 * the K complex components (its max norm, the max over them): phases no longer matter, so a
 * component whose real part crosses zero keeps its relative tolerance.
 */
import { STEP_OK } from "../solvers/solver.js";
import { describeValue } from "../tree.js";
import {
  AbstractStepSizeController, type ControllerDescription, type ControllerProblem, type ControllerStart, type ControllerState,
} from "./base.js";

/** Per-solve state of a {@link ComplexNorm}: the wrapped controller's, and the modulus buffers. */
export interface ComplexNormState extends ControllerState {
  readonly inner: ControllerState;
  readonly y0: Float64Array;
  readonly y1: Float64Array;
  readonly e: Float64Array;
  readonly e2: Float64Array;
  /** Whether the solver writes a second error estimate (DOP853's). */
  readonly secondary: boolean;
}

/** |v_k| into both slots of k, for the K = n/2 interleaved components of v. */
function modulus(v: Float64Array, out: Float64Array): void {
  for (let i = 0; i < out.length; i += 2) {
    const a = v[i]!;
    const b = v[i + 1]!;
    const m = Math.sqrt(a * a + b * b);
    out[i] = m;
    out[i + 1] = m;
  }
}

/**
 * Measures errors of a complex-valued state on |z| (see the module documentation): wrap the
 * step-size controller, usually a `PIDController`. Its per-component tolerances, if any, have one
 * entry per real slot (give z_k's value twice).
 *
 * @example
 * ```ts
 * diffeqsolve({ terms, solver: new Tsit5(), t0: 0, t1: 1, y0: complexState(psi0),
 *   stepsizeController: new ComplexNorm(new PIDController({ rtol: 1e-8, atol: 1e-10 })) });
 * ```
 */
export class ComplexNorm<S extends ControllerState = ControllerState> extends AbstractStepSizeController<ComplexNormState> {
  readonly adaptive: boolean;
  override readonly stepTs: Float64Array | undefined;
  override readonly jumpTs: Float64Array | undefined;

  constructor(readonly controller: AbstractStepSizeController<S>) {
    super();
    if (!(controller instanceof AbstractStepSizeController)) {
      throw new TypeError(`new ComplexNorm(controller): \`controller\` must be a step-size controller such as new PIDController({ rtol, atol }); got ${describeValue(controller)}.`);
    }
    this.adaptive = controller.adaptive;
    this.stepTs = controller.stepTs;
    this.jumpTs = controller.jumpTs;
  }

  override check(problem: ControllerProblem): void {
    if (problem.n % 2 !== 0) {
      throw new RangeError(`diffeqsolve: ComplexNorm needs an interleaved complex state [Re z₀, Im z₀, …] of even length; the state has ${problem.n} components.`);
    }
    this.controller.check(problem);
  }

  override knownStepCount(problem: ControllerProblem): number {
    return this.controller.knownStepCount(problem);
  }

  init(problem: ControllerProblem, start: ControllerStart): ComplexNormState {
    const inner = this.controller.init(problem, start);
    const n = problem.n;
    return {
      inner,
      get extraFnEvals() {
        return inner.extraFnEvals;
      },
      get detail() {
        return inner.detail;
      },
      set detail(value: string) {
        inner.detail = value;
      },
      y0: new Float64Array(n),
      y1: new Float64Array(n),
      e: new Float64Array(n),
      e2: new Float64Array(n),
      secondary: problem.solver.hasSecondaryError,
    };
  }

  propose(state: ComplexNormState, rec: Float64Array): number {
    return this.controller.propose(state.inner as S, rec);
  }

  adapt(state: ComplexNormState, rec: Float64Array, y0: Float64Array, y1: Float64Array, yErr: Float64Array, yErr2: Float64Array, status: number): number {
    if (status !== STEP_OK || !this.adaptive) return this.controller.adapt(state.inner as S, rec, y0, y1, yErr, yErr2, status);
    modulus(y0, state.y0);
    modulus(y1, state.y1);
    modulus(yErr, state.e);
    if (state.secondary) modulus(yErr2, state.e2);
    return this.controller.adapt(state.inner as S, rec, state.y0, state.y1, state.e, state.e2, status);
  }

  override stuck(state: ComplexNormState, rec: Float64Array): number {
    return this.controller.stuck(state.inner as S, rec);
  }

  override restart(state: ComplexNormState): void {
    this.controller.restart(state.inner as S);
  }

  describe(): ControllerDescription {
    return { name: "ComplexNorm", options: { controller: this.controller.describe() } };
  }
}
