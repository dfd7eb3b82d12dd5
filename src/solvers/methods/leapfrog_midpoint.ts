import type { AbstractTerm, InPlaceVectorField } from "../../terms.js";
import { type AbstractSolver, type SolverState, STEP_OK } from "../solver.js";

/** Workspace of {@link LeapfrogMidpoint}. */
export interface LeapfrogMidpointState extends SolverState {
  readonly f: InPlaceVectorField;
  readonly args: unknown;
  readonly n: number;
  /** y_{n−1} and t_{n−1} (tm1[0]): the state one accepted step back. */
  readonly ym1: Float64Array;
  readonly tm1: Float64Array;
  readonly k: Float64Array;
  /** Start time and size of the last step. */
  readonly last: Float64Array;
  y0Ref: Float64Array;
  y1Ref: Float64Array;
}

/**
 * The leapfrog/midpoint method, a two-step linear multistep method of order 2:
 * y_{n+1} = y_{n−1} + (t_{n+1} − t_{n−1}) f(t_n, y_n), started (and restarted after an event) by
 * an explicit Euler step. As diffrax's `LeapfrogMidpoint` (the name Shampine uses), not to be
 * confused with the Störmer–Verlet "leapfrog" (`VelocityVerlet`) or the Runge–Kutta `Midpoint`.
 *
 * Symmetric and explicit, one evaluation of f per step; stable only for eigenvalues on the
 * imaginary axis (oscillations without damping: wave equations, Hamiltonian systems), where it
 * conserves energy well; weakly unstable for dissipative problems. Order 2 at constant steps (use
 * `ConstantStepSize`); no error estimate. Dense output is linear interpolation.
 *
 * Reference: L. F. Shampine, "Stability of the leapfrog/midpoint method", Appl. Math. Comput. 208
 * (2009) 293–298.
 *
 * @example
 * ```ts
 * diffeqsolve({ terms: new ODETerm((t, y, args, dy) => { dy[0] = y[1]; dy[1] = -y[0]; }), solver: new LeapfrogMidpoint(),
 *   t0: 0, t1: 10, dt0: 0.01, y0: [1, 0] });
 * ```
 */
export class LeapfrogMidpoint implements AbstractSolver<LeapfrogMidpointState> {
  readonly name = "LeapfrogMidpoint";
  readonly order = 2;
  readonly errorOrder = 0;
  readonly hasSecondaryError = false;

  init(f: InPlaceVectorField, n: number, args: unknown, _terms: AbstractTerm): LeapfrogMidpointState {
    const empty = new Float64Array(0);
    return {
      numFnEvals: 0, f, args, n, ym1: new Float64Array(n), tm1: new Float64Array(1), k: new Float64Array(n), last: new Float64Array(2),
      y0Ref: empty, y1Ref: empty,
    };
  }

  /** (Re)starts at (t, y): the next step is an Euler step (y_{n−1} = y_n, t_{n−1} = t_n). */
  restart(state: LeapfrogMidpointState, t: number, y: Float64Array): Float64Array {
    state.ym1.set(y);
    state.tm1[0] = t;
    state.f(t, y, state.args, state.k);
    state.numFnEvals++;
    return state.k;
  }

  step(state: LeapfrogMidpointState, times: Float64Array, y0: Float64Array, y1: Float64Array): number {
    const t = times[0]!;
    const h = times[1]!;
    const { f, args, n, ym1, k } = state;
    f(t, y0, args, k);
    state.numFnEvals++;
    const span = t + h - state.tm1[0]!;
    for (let i = 0; i < n; i++) y1[i] = ym1[i]! + span * k[i]!;
    state.last[0] = t;
    state.last[1] = h;
    state.y0Ref = y0;
    state.y1Ref = y1;
    return STEP_OK;
  }

  /** The step is taken: its start becomes y_{n−1} of the next. */
  accept(state: LeapfrogMidpointState): void {
    state.ym1.set(state.y0Ref);
    state.tm1[0] = state.last[0]!;
  }

  interpolate(state: LeapfrogMidpointState, theta: number, out: Float64Array): void {
    const { n, y0Ref, y1Ref } = state;
    for (let i = 0; i < n; i++) out[i] = y0Ref[i]! + theta * (y1Ref[i]! - y0Ref[i]!);
  }

  interpolateDerivative(state: LeapfrogMidpointState, _theta: number, out: Float64Array): void {
    const { n, y0Ref, y1Ref } = state;
    const h = state.last[1]!;
    for (let i = 0; i < n; i++) out[i] = (y1Ref[i]! - y0Ref[i]!) / h;
  }

  denseSize(n: number): number {
    return 2 * n;
  }

  writeDense(state: LeapfrogMidpointState, out: Float64Array, offset: number): void {
    out.set(state.y0Ref, offset);
    out.set(state.y1Ref, offset + state.n);
  }

  evaluateDense(data: Float64Array, offset: number, n: number, dt: number, theta: number, derivative: boolean, out: Float64Array): void {
    for (let i = 0; i < n; i++) {
      const a = data[offset + i]!;
      const b = data[offset + n + i]!;
      out[i] = derivative ? (b - a) / dt : a + theta * (b - a);
    }
  }
}
