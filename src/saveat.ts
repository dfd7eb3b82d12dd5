/**
 * What a solve stores: the state at t0, t1, given times `ts`, every (k-th) accepted step, a
 * function of the state instead of the state, and the whole dense interpolant.
 */
import { suggest } from "./controllers/pid.js";
import type { SubSaveAt } from "./subs.js";
import { subsSupport } from "./subs-support.js";
import { describeValue } from "./tree.js";

/** A function of the state saved instead of the state: returns its value, or writes `out` in place. */
export type SaveFn<A = any> = (t: number, y: Float64Array, args: A, out: Float64Array) => void | number | ArrayLike<number>;

/** What one output of a solve saves: {@link SubSaveAt}'s options, and {@link SaveAt}'s besides `dense` and `subs`. */
export interface SubSaveAtOptions {
  /** Save the initial state. @defaultValue false */
  t0?: boolean;
  /** Save the final state. @defaultValue true when no other option is given, else false */
  t1?: boolean;
  /** Save at these times (monotone in the direction of integration, inside [t0, t1]). */
  ts?: ArrayLike<number>;
  /** Save every accepted step (`true`) or every k-th accepted step (a number k ≥ 1). @defaultValue false */
  steps?: boolean | number;
  /** Save `fn(t, y, args)` instead of the state. */
  fn?: SaveFn;
}

/** Options of {@link SaveAt}. */
export interface SaveAtOptions extends SubSaveAtOptions {
  /** Keep the dense interpolant of every step, for `sol.evaluate(t)` and `sol.derivative(t)`. @defaultValue false */
  dense?: boolean;
  /**
   * Several outputs in one solve, each with its own times and `fn` (diffrax's `SubSaveAt`): they
   * come back as `sol.subs[i]`, in this order; the first is also `sol.ts`/`sol.ys`. Give either
   * `subs` or t0, t1, ts, steps and fn.
   */
  subs?: readonly SubSaveAt[];
}

/** @internal The options of one output. */
export const SUB_KEYS = ["t0", "t1", "ts", "steps", "fn"];
const KEYS = [...SUB_KEYS, "dense", "subs"];

/** The fields of one output, checked (shared by SaveAt and SubSaveAt; what the loop's savers read). */
export interface OutputSpec {
  readonly t0: boolean;
  readonly t1: boolean;
  readonly ts: Float64Array | undefined;
  readonly steps: number;
  readonly fn: SaveFn | undefined;
}

/** @internal Checks the options of one output; `who` names the constructor in messages. */
export function parseOutput(options: SubSaveAtOptions, who: string): OutputSpec {
  const any = options.t0 !== undefined || options.ts !== undefined || options.steps !== undefined || (options as SaveAtOptions).dense !== undefined;
  let ts: Float64Array | undefined;
  if (options.ts !== undefined) {
    if (options.ts === null || typeof options.ts !== "object" || typeof options.ts.length !== "number") {
      throw new TypeError(`new ${who}({ ts }): \`ts\` must be an array of times; got ${describeValue(options.ts)}.`);
    }
    ts = Float64Array.from(options.ts);
    for (let i = 0; i < ts.length; i++) {
      if (!Number.isFinite(ts[i]!)) throw new RangeError(`new ${who}({ ts }): ts[${i}] = ${ts[i]} is not a finite number.`);
    }
  }
  const stepsOption = options.steps ?? false;
  let steps: number;
  if (stepsOption === true) steps = 1;
  else if (stepsOption === false) steps = 0;
  else if (typeof stepsOption === "number" && Number.isInteger(stepsOption) && stepsOption >= 1) steps = stepsOption;
  else throw new RangeError(`new ${who}({ steps }): \`steps\` must be true, false or a whole number k ≥ 1 (every k-th step); got ${describeValue(stepsOption)}.`);
  if (options.fn !== undefined && typeof options.fn !== "function") {
    throw new TypeError(`new ${who}({ fn }): \`fn\` must be a function (t, y, args) => number | number[]; got ${describeValue(options.fn)}.`);
  }
  return { t0: options.t0 ?? false, t1: options.t1 ?? !any, ts, steps, fn: options.fn };
}

/** @internal Checks that `options` is an object of the known `keys`. */
export function checkOptions(options: unknown, keys: readonly string[], who: string, example: string): void {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`new ${who}(options): \`options\` must be an object such as ${example}; got ${describeValue(options)}.`);
  }
  for (const key of Object.keys(options)) {
    if (!keys.includes(key)) {
      throw new TypeError(`new ${who}(options): unknown option \`${key}\`${suggest(key, keys)}.`);
    }
  }
}

/**
 * What to save. Output times `ts` are filled from the dense interpolant of the step that passes
 * them, so they never shorten or split a step: asking for output does not change the solution.
 * Saved times come back in time order in `sol.ts`, states in `sol.ys`. With `subs`, several
 * outputs are saved in one solve, each returned in `sol.subs`.
 *
 * @example
 * ```ts
 * new SaveAt({ ts: [0, 0.5, 1] });          // three outputs
 * new SaveAt({ t0: true, t1: true, dense: true });
 * new SaveAt({ steps: true });              // every accepted step
 * new SaveAt({ ts, fn: (t, y) => y[0] ** 2 + y[1] ** 2 }); // an energy instead of the state
 * new SaveAt({ subs: [new SubSaveAt({ ts }), new SubSaveAt({ steps: true, fn: energy })] }); // both
 * ```
 */
export class SaveAt {
  /** The first output's fields (with `subs`, those of `subs[0]`). */
  readonly t0: boolean;
  readonly t1: boolean;
  readonly ts: Float64Array | undefined;
  /** 0: no steps; k: every k-th accepted step. */
  readonly steps: number;
  readonly dense: boolean;
  readonly fn: SaveFn | undefined;
  /** The outputs, when several are asked for (`subs`); undefined for one. */
  readonly subs: readonly SubSaveAt[] | undefined;

  constructor(options: SaveAtOptions = {}) {
    checkOptions(options, KEYS, "SaveAt", "{ ts: [0, 1] }");
    let spec: OutputSpec;
    if (options.subs !== undefined) {
      // Only a program that made a SubSaveAt can pass valid subs, and its module checks them.
      const subs = subsSupport()?.check(options);
      if (subs === undefined) {
        throw new TypeError(`new SaveAt({ subs }): \`subs\` must be a non-empty array of SubSaveAt, e.g. [new SubSaveAt({ ts }), new SubSaveAt({ steps: true })]; got ${describeValue(options.subs)}.`);
      }
      this.subs = subs;
      spec = subs[0]!;
    } else {
      this.subs = undefined;
      spec = parseOutput(options, "SaveAt");
    }
    this.t0 = spec.t0;
    this.t1 = spec.t1;
    this.ts = spec.ts;
    this.steps = spec.steps;
    this.fn = spec.fn;
    this.dense = options.dense ?? false;
  }
}
