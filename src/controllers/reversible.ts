/**
 * Explicit, time-reversible adaptive steps (Hairer & Söderlind 2005): the step follows a
 * step-size function s(t, y) through a step density ρ ≈ 1/s that is integrated alongside the
 * solution by a leapfrog in a fictive time τ (dt = dτ/ρ, fictive step ε):
 *
 *     ρ_{n+1/2} = ρ_{n−1/2} + ε G(t_n, y_n),   h_n = ε / ρ_{n+1/2},   y_{n+1} = Φ_{h_n}(y_n),
 *
 * with G = −(d/dt) log s along the solution (so that ρ tracks 1/s). Given (y_{n+1}, ρ_{n+1/2}) the
 * step is undone by y_n = Φ_{−h_n}(y_{n+1}), ρ_{n−1/2} = ρ_{n+1/2} − ε G(y_n): with a symmetric
 * method Φ (VelocityVerlet, Yoshida4, Yoshida6, KahanLi8, LeapfrogMidpoint) the whole map
 * (y, ρ) ↦ (y′, ρ′) is time-reversible, and for reversible problems (a Hamiltonian with
 * H(q, −p) = H(q, p)) the energy error then stays bounded without drift over long times, as with
 * fixed steps — which adaptive steps from an error estimate destroy. The map is not symplectic.
 *
 * No error estimate is used and no step is rejected. The solve starts with ρ_{1/2} = 1/s(y₀) +
 * (ε/2)G(y₀) (and restarts so after an event changes the state); only the last step is shortened,
 * to land on t1.
 *
 * Reference: E. Hairer and G. Söderlind, "Explicit, time reversible, adaptive step size control",
 * SIAM J. Sci. Comput. 26 (2005) 1838–1851; Hairer, Lubich & Wanner, *Geometric Numerical
 * Integration*, §VIII.3.
 */
import { RESULTS } from "../results.js";
import { STEP_OK } from "../solvers/solver.js";
import type { InPlaceVectorField } from "../terms.js";
import { describeValue } from "../tree.js";
import {
  AbstractStepSizeController, ACCEPT, type ControllerDescription, type ControllerProblem, type ControllerStart, type ControllerState, PROPOSED, REACH, T,
  T_NEXT,
} from "./base.js";

/** Options of {@link ReversibleStepSize}. */
export interface ReversibleStepSizeOptions<A = any> {
  /** The fictive step ε: steps are h ≈ ε·s(t, y). */
  epsilon: number;
  /**
   * The step-size function s(t, y, args) > 0, the step wanted per unit of ε: small where the
   * solution moves fast. For close encounters of gravitating bodies, s = r^{3/2} (r the distance).
   */
  stepFunction: (t: number, y: Float64Array, args: A) => number;
  /**
   * (d/dt) log s along the solution, from (t, y) (for s = r^{3/2} in the Kepler problem, 1.5 (q·p)/|q|²).
   * Omitted: a central difference of log s along the vector field, which costs one more evaluation
   * of the vector field per step.
   */
  rate?: (t: number, y: Float64Array, args: A) => number;
}

const KEYS = ["epsilon", "stepFunction", "rate"];

/** Slots of {@link ReversibleState.s}. */
export const RHO = 0; // ρ_{n+1/2}, the density of the next step
const EPS = 1;
const DIR = 2;

/** Per-solve state of a {@link ReversibleStepSize}. */
export interface ReversibleState extends ControllerState {
  /** [ρ, ε, direction]: ρ (slot {@link RHO}) is the step density the next step will use. */
  readonly s: Float64Array;
  readonly f: InPlaceVectorField;
  readonly args: unknown;
  /** The last accepted state (the loop's buffer: an event's affect changes it in place). */
  y: Float64Array;
  /** 1 after a restart: ρ starts afresh from the state at the next proposal. */
  restartPending: number;
  /** Scratch for the central difference of log s. */
  readonly fy: Float64Array;
  readonly yp: Float64Array;
}

/**
 * Time-reversible adaptive step sizes for symmetric methods (Hairer & Söderlind's explicit
 * control; see the module documentation): the steps follow a step-size function `s(t, y)` with
 * h ≈ ε s, chosen by a leapfrog on the step density that can be run backwards exactly. With
 * `VelocityVerlet` this is "adaptive Verlet": on an eccentric orbit it spends its steps near the
 * pericentre and keeps the energy error bounded without drift, which an error-based controller
 * cannot do.
 *
 * @example The Kepler problem with s = r^{3/2}.
 * ```ts
 * const controller = new ReversibleStepSize({
 *   epsilon: 0.01,
 *   stepFunction: (t, y) => Math.hypot(y[0], y[1]) ** 1.5,
 *   rate: (t, y) => (1.5 * (y[0] * y[2] + y[1] * y[3])) / (y[0] * y[0] + y[1] * y[1]),
 * });
 * diffeqsolve({ terms: kepler, solver: new VelocityVerlet(), t0: 0, t1: 100, y0, stepsizeController: controller });
 * ```
 */
export class ReversibleStepSize<A = any> extends AbstractStepSizeController<ReversibleState> {
  readonly adaptive = false as const;
  readonly epsilon: number;
  readonly stepFunction: (t: number, y: Float64Array, args: A) => number;
  readonly rate: ((t: number, y: Float64Array, args: A) => number) | undefined;

  constructor(options: ReversibleStepSizeOptions<A>) {
    super();
    const what = "new ReversibleStepSize(options)";
    if (options === null || typeof options !== "object") throw new TypeError(`${what}: \`options\` must be an object { epsilon, stepFunction }; got ${describeValue(options)}.`);
    for (const key of Object.keys(options)) {
      if (!KEYS.includes(key)) throw new TypeError(`${what}: unknown option \`${key}\`; the options are ${KEYS.join(", ")}.`);
    }
    const { epsilon, stepFunction, rate } = options;
    if (typeof epsilon !== "number" || !(epsilon > 0) || !Number.isFinite(epsilon)) {
      throw new RangeError(`${what}: \`epsilon\` = ${describeValue(epsilon)} must be a finite number > 0 (steps are about epsilon·s(t, y)).`);
    }
    if (typeof stepFunction !== "function") throw new TypeError(`${what}: \`stepFunction\` must be a function (t, y, args) => s > 0; got ${describeValue(stepFunction)}.`);
    if (rate !== undefined && typeof rate !== "function") throw new TypeError(`${what}: \`rate\` must be a function (t, y, args) => d/dt log s, or omitted; got ${describeValue(rate)}.`);
    this.epsilon = epsilon;
    this.stepFunction = stepFunction;
    this.rate = rate;
  }

  override check(problem: ControllerProblem): void {
    if (problem.dt0 !== undefined) {
      throw new TypeError("diffeqsolve: ReversibleStepSize chooses every step from epsilon and the step-size function; omit `dt0`.");
    }
  }

  init(problem: ControllerProblem, start: ControllerStart): ReversibleState {
    const { n, f, args, dir, t0 } = problem;
    const s = new Float64Array(3);
    s[EPS] = this.epsilon;
    s[DIR] = dir;
    const state: ReversibleState = {
      extraFnEvals: 0, detail: "", s, f, args, y: start.y0, restartPending: 0, fy: new Float64Array(n), yp: new Float64Array(n),
    };
    this.startDensity(state, t0, start.y0);
    return state;
  }

  /** ρ_{1/2} = 1/s(y) + (ε/2) G(y): the symmetric start from (t, y). */
  private startDensity(state: ReversibleState, t: number, y: Float64Array): void {
    const s = state.s;
    s[RHO] = 1 / this.stepFunction(t, y, state.args as A) + 0.5 * s[EPS]! * this.densityRate(state, t, y);
    state.restartPending = 0;
  }

  /**
   * G = dρ/dτ = −(d/dt) log s, times the direction (in fictive time the solve runs forward either
   * way): from `rate`, or a central difference along the vector field with a time step that
   * depends on (t, y) only, so that G stays a function of the state (reversibility needs that).
   */
  private densityRate(state: ReversibleState, t: number, y: Float64Array): number {
    const dir = state.s[DIR]!;
    const rate = this.rate;
    if (rate !== undefined) return -dir * rate(t, y, state.args as A);
    const { f, fy, yp, args } = state;
    f(t, y, args, fy);
    state.extraFnEvals++;
    const sf = this.stepFunction;
    // A tenth of the step: G need only be a smooth function of (t, y), and a small difference
    // quotient would amplify round-off in y, which the backward run does not reproduce bit for bit.
    const delta = 0.1 * state.s[EPS]! * sf(t, y, args as A);
    const n = y.length;
    for (let i = 0; i < n; i++) yp[i] = y[i]! + delta * fy[i]!;
    const up = Math.log(sf(t + delta, yp, args as A));
    for (let i = 0; i < n; i++) yp[i] = y[i]! - delta * fy[i]!;
    const down = Math.log(sf(t - delta, yp, args as A));
    return (-dir * (up - down)) / (2 * delta);
  }

  propose(state: ReversibleState, rec: Float64Array): number {
    if (state.restartPending === 1) this.startDensity(state, rec[T]!, state.y);
    const s = state.s;
    const h = s[EPS]! / s[RHO]!;
    if (!(h > 0 && h < Infinity)) {
      state.detail =
        `t = ${rec[T]}: the step density ρ = ${s[RHO]} is not positive and finite (the step-size function gave ${this.stepFunction(rec[T]!, state.y, state.args as A)}); ` +
        "lower `epsilon`, or check that the step-size function is positive and smooth along the solution";
      return Number.isFinite(s[RHO]!) ? RESULTS.dtMinReached : RESULTS.nonFiniteEncountered;
    }
    rec[T_NEXT] = rec[T]! + s[DIR]! * h;
    // No stretching onto a stop: only the last step is shortened, to land on t1.
    rec[REACH] = 0;
    return PROPOSED;
  }

  adapt(state: ReversibleState, rec: Float64Array, _y0: Float64Array, y1: Float64Array, _yErr: Float64Array, _yErr2: Float64Array, status: number): number {
    if (status !== STEP_OK) {
      state.detail = `t = ${rec[T]}: the solver could not take the step (ReversibleStepSize does not retry with smaller steps)`;
      return status;
    }
    const s = state.s;
    s[RHO] = s[RHO]! + s[EPS]! * this.densityRate(state, rec[T_NEXT]!, y1);
    state.y = y1;
    return ACCEPT;
  }

  override restart(state: ReversibleState): void {
    state.restartPending = 1;
  }

  describe(): ControllerDescription {
    return { name: "ReversibleStepSize", options: { epsilon: this.epsilon, stepFunction: this.stepFunction, rate: this.rate } };
  }
}
