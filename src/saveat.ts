/**
 * What a solve stores: the state at t0, t1, given times `ts`, every (k-th) accepted step, a
 * function of the state instead of the state, and the whole dense interpolant.
 */
import { suggest } from "./controllers/pid.js";
import { describeValue } from "./tree.js";

/** A function of the state saved instead of the state: returns its value, or writes `out` in place. */
export type SaveFn<A = any> = (t: number, y: Float64Array, args: A, out: Float64Array) => void | number | ArrayLike<number>;

/** Options of {@link SaveAt}. */
export interface SaveAtOptions {
  /** Save the initial state. @defaultValue false */
  t0?: boolean;
  /** Save the final state. @defaultValue true when no other option is given, else false */
  t1?: boolean;
  /** Save at these times (monotone in the direction of integration, inside [t0, t1]). */
  ts?: ArrayLike<number>;
  /** Save every accepted step (`true`) or every k-th accepted step (a number k ≥ 1). @defaultValue false */
  steps?: boolean | number;
  /** Keep the dense interpolant of every step, for `sol.evaluate(t)` and `sol.derivative(t)`. @defaultValue false */
  dense?: boolean;
  /** Save `fn(t, y, args)` instead of the state. */
  fn?: SaveFn;
}

const KEYS = ["t0", "t1", "ts", "steps", "dense", "fn"];

/**
 * What to save. Output times `ts` are filled from the dense interpolant of the step that passes
 * them, so they never shorten or split a step: asking for output does not change the solution.
 * Saved times come back in time order in `sol.ts`, states in `sol.ys`.
 *
 * @example
 * ```ts
 * new SaveAt({ ts: [0, 0.5, 1] });          // three outputs
 * new SaveAt({ t0: true, t1: true, dense: true });
 * new SaveAt({ steps: true });              // every accepted step
 * new SaveAt({ ts, fn: (t, y) => y[0] ** 2 + y[1] ** 2 }); // an energy instead of the state
 * ```
 */
export class SaveAt {
  readonly t0: boolean;
  readonly t1: boolean;
  readonly ts: Float64Array | undefined;
  /** 0: no steps; k: every k-th accepted step. */
  readonly steps: number;
  readonly dense: boolean;
  readonly fn: SaveFn | undefined;

  constructor(options: SaveAtOptions = {}) {
    if (options === null || typeof options !== "object") {
      throw new TypeError(`new SaveAt(options): \`options\` must be an object such as { ts: [0, 1] }; got ${describeValue(options)}.`);
    }
    for (const key of Object.keys(options)) {
      if (!KEYS.includes(key)) {
        throw new TypeError(`new SaveAt(options): unknown option \`${key}\`${suggest(key, KEYS)}.`);
      }
    }
    const any = options.t0 !== undefined || options.ts !== undefined || options.steps !== undefined || options.dense !== undefined;
    this.t0 = options.t0 ?? false;
    this.t1 = options.t1 ?? !any;
    if (options.ts !== undefined) {
      if (options.ts === null || typeof options.ts !== "object" || typeof options.ts.length !== "number") {
        throw new TypeError(`new SaveAt({ ts }): \`ts\` must be an array of times; got ${describeValue(options.ts)}.`);
      }
      this.ts = Float64Array.from(options.ts);
      for (let i = 0; i < this.ts.length; i++) {
        if (!Number.isFinite(this.ts[i]!)) throw new RangeError(`new SaveAt({ ts }): ts[${i}] = ${this.ts[i]} is not a finite number.`);
      }
    } else {
      this.ts = undefined;
    }
    const steps = options.steps ?? false;
    if (steps === true) this.steps = 1;
    else if (steps === false) this.steps = 0;
    else if (typeof steps === "number" && Number.isInteger(steps) && steps >= 1) this.steps = steps;
    else throw new RangeError(`new SaveAt({ steps }): \`steps\` must be true, false or a whole number k ≥ 1 (every k-th step); got ${describeValue(steps)}.`);
    this.dense = options.dense ?? false;
    if (options.fn !== undefined && typeof options.fn !== "function") {
      throw new TypeError(`new SaveAt({ fn }): \`fn\` must be a function (t, y, args) => number | number[]; got ${describeValue(options.fn)}.`);
    }
    this.fn = options.fn;
  }
}
