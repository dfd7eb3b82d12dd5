/**
 * `Event`: a condition on the solution (or a schedule of times) and what happens when it fires.
 *
 * Three kinds, one class (as DifferentialEquations.jl's ContinuousCallback, DiscreteCallback and
 * PresetTimeCallback):
 * - continuous (`cond` returns a number or a boolean): fires where `cond` changes sign inside a step,
 *   located by root finding on that step's dense interpolant;
 * - discrete (`cond` with `discrete: true`): `cond` is checked at the end of every accepted step and
 *   fires there when it returns `true`;
 * - scheduled (`times`): fires at the given times, which the stepper lands on exactly.
 */
import { suggest } from "../util/suggest.js";
import type { EventDefinition, EventDirection, EventKind } from "./types.js";
import { EventDetector } from "./detector.js";
import { installEventSupport } from "./support.js";

export type { EventDirection, EventKind, EventRecord } from "./types.js";
import { describeValue } from "../tree.js";

/** Options of {@link Event}. */
export interface EventOptions<A = any> {
  /**
   * The condition. Continuous events: a number whose sign change (or a boolean whose switch)
   * marks the event. Discrete events: a boolean checked at the end of each step.
   * `y` is the flat state; do not modify it here.
   */
  cond?: (t: number, y: Float64Array, args: A) => number | boolean;
  /**
   * Which crossings fire, measured along the solve (for backward solves, along decreasing t):
   * `"up"` (negative to positive, false to true), `"down"` (positive to negative, true to false)
   * or `"either"`. Continuous events only. @defaultValue "either"
   */
  direction?: EventDirection;
  /** End the solve at the event, with `RESULTS.eventOccurred`. @defaultValue false */
  terminal?: boolean;
  /**
   * Changes the state at the event, in place (`y[1] = -0.9 * y[1]`), or returns the new state.
   * The solver then restarts from the new state. Also runs for terminal events, before the solve ends.
   */
  affect?: (t: number, y: Float64Array, args: A) => void | ArrayLike<number>;
  /**
   * Absolute tolerance on the event time. @defaultValue 0: located to a few ulps of t
   */
  rootTolerance?: number;
  /** `cond` is checked at the end of each accepted step instead of located inside it. @defaultValue false */
  discrete?: boolean;
  /**
   * Fire at these times (scheduled callbacks, such as doses); the stepper lands on each exactly.
   * Any order; times outside [t0, t1] are ignored; a time equal to t0 fires before the first step.
   */
  times?: ArrayLike<number>;
  /**
   * Continuous events: at how many interior points of a step the condition is also checked on the
   * interpolant, so that a condition crossing zero twice inside one step is seen. A step skips the
   * check when the condition is far from zero compared with how fast it moves (see the `Event`
   * documentation). 0 checks step ends only.
   * @defaultValue by the solver's order: 4 (order ≤ 3) to 10 (order ≥ 9)
   */
  interpPoints?: number;
}



const KEYS = ["cond", "direction", "terminal", "affect", "rootTolerance", "discrete", "times", "interpPoints"];

/**
 * An event for the `event` option of `diffeqsolve`: a condition located exactly on the step's
 * dense interpolant (continuous), checked at step ends (discrete), or a schedule of times.
 *
 * Continuous events fire where `cond` crosses zero (numbers, located by the Illinois variant of
 * regula falsi; Dowell & Jarratt, BIT 11 (1971) 168–174) or switches (booleans, located by
 * bisection), to a few ulps of t or to `rootTolerance`. A condition that is zero (or just fired)
 * at the start of a step takes its sign just after that time, so an event true at t0 does not fire
 * in the first step, and an event does not fire twice at the same root. Only accepted steps are
 * searched. The earliest event in a step wins; events located at the same time all fire (their
 * `affect`s run in index order). After an `affect` the solver restarts: first-same-as-last stages
 * are recomputed and the step-size controller's history is reset. A condition whose sign is
 * changed by an `affect` (a jump, not a crossing) does not fire. After a root inside a step that
 * was only recorded (no `affect`), the same condition cannot fire again within 1/100 of that step.
 * A scheduled time listed twice fires twice (two doses). `maxEvents` bounds the number of events
 * of a solve; one more ends it with `RESULTS.maxEventsReached`.
 *
 * Saving: output times before an event come from the pre-event solution; output times at or
 * after it from the post-event solution. `SaveAt({ steps: true })` records the states before and
 * after a state-changing event at the event time. `sol.events` lists every event that fired.
 *
 * A condition that crosses zero twice inside one step (a ball rising above a height and falling
 * back within a step of a high-order method) shows no sign change between the step ends, so the
 * condition is also checked at `interpPoints` interior points of the step (4 to 10 by the method's
 * order, as DifferentialEquations.jl's `interp_points`), and where the values curve back towards
 * zero between points, at the vertex of the parabola through them. Steps in which the condition
 * stays far from zero compared with how fast it moves skip these checks, so an event that never
 * fires costs one evaluation per step. Boolean conditions are checked at step ends only, unless
 * `interpPoints` is given. A condition that fired with an affect whose state then stays on the side
 * it crossed into, while events accumulate, ends the solve with `RESULTS.eventsAccumulated`; so
 * does a cascade of events accumulating at a time before t1 (a bouncing ball coming to rest).
 *
 * References: L. F. Shampine, I. Gladwell & R. W. Brankin, "Reliable solution of special event
 * location problems for ODEs", ACM TOMS 17 (1991) 11–25; A. C. Hindmarsh et al., SUNDIALS CVODE
 * root finding (2005); C. Rackauckas & Q. Nie, DifferentialEquations.jl callbacks (2017).
 *
 * @example
 * ```ts
 * // A ball bouncing with restitution 0.9: y = [height, velocity].
 * const bounce = new Event({
 *   cond: (t, y) => y[0],
 *   direction: "down",
 *   affect: (t, y) => { y[1] = -0.9 * y[1]; },
 * });
 * const dose = new Event({ times: [12, 24, 36], affect: (t, y) => { y[0] += 100; } });
 * const stop = new Event({ cond: (t, y) => y[0] < 0.01, terminal: true });
 * diffeqsolve({ ...options, event: [bounce, dose, stop], maxEvents: 1000 });
 * ```
 */
export class Event<A = any> implements EventDefinition {
  /** The condition (undefined for scheduled events). */
  readonly cond: ((t: number, y: Float64Array, args: A) => number | boolean) | undefined;
  /** Which crossings fire. @defaultValue "either" */
  readonly direction: EventDirection;
  /** Whether the event ends the solve. @defaultValue false */
  readonly terminal: boolean;
  /** The state change, if any. */
  readonly affect: ((t: number, y: Float64Array, args: A) => void | ArrayLike<number>) | undefined;
  /** Absolute tolerance on the event time (0: a few ulps). @defaultValue 0 */
  readonly rootTolerance: number;
  /** Continuous, discrete or scheduled. */
  readonly kind: EventKind;
  /** The scheduled times (scheduled events only), as given. */
  readonly times: Float64Array | undefined;
  /** Interior points checked per step (continuous events); undefined: chosen by the solver's order. */
  readonly interpPoints: number | undefined;

  constructor(options: EventOptions<A>) {
    if (options === null || typeof options !== "object") {
      throw new TypeError(`new Event(options): \`options\` must be an object such as { cond: (t, y) => y[0] }; got ${describeValue(options)}.`);
    }
    for (const key of Object.keys(options)) {
      if (!KEYS.includes(key)) throw new TypeError(`new Event(options): unknown option \`${key}\`${suggest(key, KEYS)}.`);
    }
    const { cond, affect, times } = options;
    if (cond !== undefined && typeof cond !== "function") {
      throw new TypeError(`new Event({ cond }): \`cond\` must be a function (t, y, args) => number | boolean; got ${describeValue(cond)}.`);
    }
    if (affect !== undefined && typeof affect !== "function") {
      throw new TypeError(`new Event({ affect }): \`affect\` must be a function (t, y, args) => void that changes y in place; got ${describeValue(affect)}.`);
    }
    const discrete = options.discrete ?? false;
    if (typeof discrete !== "boolean") throw new TypeError(`new Event({ discrete }): \`discrete\` must be true or false; got ${describeValue(discrete)}.`);
    const terminal = options.terminal ?? false;
    if (typeof terminal !== "boolean") throw new TypeError(`new Event({ terminal }): \`terminal\` must be true or false; got ${describeValue(terminal)}.`);
    const direction = options.direction ?? "either";
    if (direction !== "up" && direction !== "down" && direction !== "either") {
      throw new TypeError(`new Event({ direction }): \`direction\` must be "up", "down" or "either"; got ${describeValue(direction)}.`);
    }
    const tol = options.rootTolerance ?? 0;
    if (typeof tol !== "number" || !(tol >= 0) || !Number.isFinite(tol)) {
      throw new RangeError(`new Event({ rootTolerance }): \`rootTolerance\` = ${String(tol)} must be a finite number ≥ 0 (0: a few ulps of t).`);
    }
    if (times !== undefined) {
      if (cond !== undefined) {
        throw new TypeError("new Event(options): give either `times` (a schedule) or `cond` (a condition), not both.");
      }
      if (times === null || typeof times !== "object" || typeof times.length !== "number") {
        throw new TypeError(`new Event({ times }): \`times\` must be an array of times; got ${describeValue(times)}.`);
      }
      const arr = Float64Array.from(times);
      for (let i = 0; i < arr.length; i++) {
        if (!Number.isFinite(arr[i]!)) throw new RangeError(`new Event({ times }): times[${i}] = ${arr[i]} is not a finite number.`);
      }
      this.times = arr;
      this.kind = "scheduled";
    } else {
      if (cond === undefined) {
        throw new TypeError("new Event(options): give `cond` (a condition such as (t, y) => y[0]) or `times` (a schedule such as [1, 2, 3]).");
      }
      this.times = undefined;
      this.kind = discrete ? "discrete" : "continuous";
    }
    if (options.direction !== undefined && this.kind !== "continuous") {
      throw new TypeError("new Event({ direction }): `direction` applies only to continuous events (a `cond` without `discrete: true`).");
    }
    const points = options.interpPoints;
    if (points !== undefined) {
      if (typeof points !== "number" || !Number.isInteger(points) || points < 0 || points > 1000) {
        throw new RangeError(`new Event({ interpPoints }): \`interpPoints\` = ${describeValue(points)} must be a whole number from 0 to 1000 (0: check step ends only).`);
      }
      if (this.kind !== "continuous") {
        throw new TypeError("new Event({ interpPoints }): `interpPoints` applies only to continuous events (a `cond` without `discrete: true`).");
      }
    }
    this.interpPoints = points;
    this.cond = cond;
    this.affect = affect;
    this.terminal = terminal;
    this.direction = direction;
    this.rootTolerance = tol;
  }
}

installEventSupport({
  isEvent: (x: unknown): x is Event => x instanceof Event,
  createDetector: (events, n, maxEvents, loop) => new EventDetector(events, n, maxEvents, loop),
});
