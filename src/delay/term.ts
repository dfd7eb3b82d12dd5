/**
 * Delay differential equations: the term.
 *
 *     y′(t) = f(t, y(t), y(t − τ₁), …, y(t − τₖ), args),   y(t) = φ(t) for t ≤ t0,
 *
 * with constant delays τᵢ > 0 or delays τᵢ(t, y) that depend on the time and the state, and, for a
 * neutral equation, the delayed derivatives y′(t − τᵢ) on the right as well. As in diffrax's design
 * for delays, the vector field receives a history accessor: `f(t, y, args, dy, history)`, where
 * `history.delayed[i]` holds y(t − τᵢ) (and `history.derivatives[i]` holds y′(t − τᵢ) for a neutral
 * term), and `history.at(s)` reads the solution at any earlier time.
 *
 * A `DelayTerm` is solved by the method of steps around any ODE solver with dense output (explicit or
 * implicit): `diffeqsolve` wraps the solver given in a {@link MethodOfSteps}, which keeps the dense
 * output of every accepted step as the history and lands steps on the propagated discontinuities.
 *
 * References: A. Bellen & M. Zennaro, *Numerical Methods for Delay Differential Equations*, Oxford
 * (2003), ch. 3–4 (continuous extensions, discontinuity propagation); E. Hairer, S. P. Nørsett &
 * G. Wanner, *Solving ODEs I*, §II.17 (RETARD); L. F. Shampine & S. Thompson, "Solving DDEs in
 * MATLAB", Appl. Numer. Math. 37 (2001) 441–458 (dde23).
 */
import { AbstractTerm } from "../terms.js";
import type { AbstractSolver } from "../solvers/solver.js";
import { describeValue } from "../tree.js";
import { suggest } from "../util/suggest.js";
import { MethodOfSteps } from "./method-of-steps.js";

/** A delay: a constant τ > 0, or τ(t, y, args) ≥ 0 for a time- or state-dependent delay. */
export type Delay<A = any> = number | ((t: number, y: Float64Array, args: A) => number);

/**
 * The solution before t0, φ(t): writes the n values into `out` (flat, in y0's order), or returns a
 * number (every component) or an array of n numbers.
 */
export type HistoryFunction<A = any> = (t: number, args: A, out: Float64Array) => void | number | ArrayLike<number>;

/** What a delay vector field reads of the past. */
export interface History {
  /** y(t − τᵢ) for each delay, in the order of `delays` (views, valid during the call). */
  readonly delayed: readonly Float64Array[];
  /** y′(t − τᵢ) for each delay of a neutral term (`neutral: true`); empty otherwise. */
  readonly derivatives: readonly Float64Array[];
  /**
   * y(s) for any s up to the current time: φ(s) before t0, the dense output of the solve after.
   * Writes into `out` when given (pass it to allocate nothing). Discontinuities are tracked only
   * for the term's `delays`, so a lookup at another lag is as smooth as the solution there.
   */
  at(s: number, out?: Float64Array): Float64Array;
  /** y′(s), as {@link History.at}. */
  derivativeAt(s: number, out?: Float64Array): Float64Array;
}

/** The vector field of a delay equation: writes y′(t) into `dy` in place (or returns the n values). */
export type DelayVectorField<A = any> = (t: number, y: Float64Array, args: A, dy: Float64Array, history: History) => void | ArrayLike<number>;

/** Options of {@link DelayTerm}. */
export interface DelayTermOptions<A = any> {
  /** The delays τᵢ: numbers > 0 (constant), or functions `(t, y, args) => τ` ≥ 0. At least one. */
  delays: readonly Delay<A>[];
  /**
   * The solution before t0: a number (every component), an array of n numbers, or a function of
   * t. @defaultValue y0 (a constant history equal to the initial state)
   */
  history?: number | ArrayLike<number> | HistoryFunction<A>;
  /**
   * φ′(t), for a neutral term whose history is a function; omitted: a central difference of φ
   * (a constant history has φ′ = 0).
   */
  historyDerivative?: HistoryFunction<A>;
  /**
   * A neutral equation: the vector field reads y′(t − τᵢ) (`history.derivatives`). Jumps of y′ then
   * do not smooth out: every propagated point is a discontinuity of the vector field, and the
   * solver restarts there. @defaultValue false
   */
  neutral?: boolean;
  /**
   * Times (before or after t0) where φ or one of its derivatives jumps; they propagate like the
   * jump at t0. @defaultValue none
   */
  discontinuities?: ArrayLike<number>;
  /**
   * Track discontinuities up to this order (a jump in the k-th derivative has order k): the default
   * is the solver's order, beyond which a jump no longer lowers its accuracy.
   */
  trackOrder?: number;
  /** Most discontinuities tracked in one solve (a neutral equation propagates them without end). @defaultValue 1000 */
  maxDiscontinuities?: number;
  /**
   * Most fixed-point iterations of a step longer than a delay (whose history lies partly in the
   * step itself); a step that does not converge is retried smaller. @defaultValue 10
   */
  maxIterations?: number;
}

const KEYS = ["delays", "history", "historyDerivative", "neutral", "discontinuities", "trackOrder", "maxDiscontinuities", "maxIterations"];

/**
 * The term of a delay differential equation y′(t) = f(t, y(t), y(t − τ₁), …, args), with the history
 * φ(t) for t ≤ t0. Give it to `diffeqsolve` with any ODE solver: the solver is run by the method of
 * steps ({@link MethodOfSteps}), and the steps land on the discontinuities that the jump at t0
 * propagates to t0 + τ, t0 + 2τ, … (found by root finding for state-dependent delays).
 *
 * @example y′(t) = −y(t − 1), y = 1 for t ≤ 0.
 * ```ts
 * const term = new DelayTerm((t, y, args, dy, h) => { dy[0] = -h.delayed[0][0]; }, { delays: [1], history: 1 });
 * const sol = diffeqsolve({ terms: term, solver: new Tsit5(), t0: 0, t1: 5, y0: [1] });
 * ```
 */
export class DelayTerm<A = any> extends AbstractTerm {
  readonly kind = "delay" as const;
  readonly vectorField: DelayVectorField<A>;
  /** The delays as given. */
  readonly delays: readonly Delay<A>[];
  /** The constant delays (NaN where the delay is a function). */
  readonly constantDelays: Float64Array;
  /** Indices of the delays that are functions. */
  readonly variableDelays: Int32Array;
  readonly history: number | Float64Array | HistoryFunction<A> | undefined;
  readonly historyDerivative: HistoryFunction<A> | undefined;
  readonly neutral: boolean;
  readonly discontinuities: Float64Array;
  readonly trackOrder: number | undefined;
  readonly maxDiscontinuities: number;
  readonly maxIterations: number;

  constructor(vectorField: DelayVectorField<A>, options: DelayTermOptions<A>) {
    super();
    const what = "new DelayTerm(vectorField, options)";
    if (typeof vectorField !== "function") {
      throw new TypeError(`${what}: \`vectorField\` must be a function (t, y, args, dy, history) => void; got ${describeValue(vectorField)}.`);
    }
    if (options === null || typeof options !== "object" || Array.isArray(options)) {
      throw new TypeError(`${what}: \`options\` must be an object such as { delays: [1], history: 1 }; got ${describeValue(options)}.`);
    }
    for (const key of Object.keys(options)) {
      if (!KEYS.includes(key)) throw new TypeError(`${what}: unknown option \`${key}\`${suggest(key, KEYS)}.`);
    }
    const delays = options.delays;
    if (!Array.isArray(delays) || delays.length === 0) {
      throw new TypeError(`${what}: \`delays\` must be a non-empty array of numbers > 0 or functions (t, y, args) => τ; got ${Array.isArray(delays) ? "an empty array" : describeValue(delays)}.`);
    }
    const constant = new Float64Array(delays.length);
    const variable: number[] = [];
    for (let i = 0; i < delays.length; i++) {
      const d = delays[i];
      if (typeof d === "function") {
        constant[i] = NaN;
        variable.push(i);
      } else if (typeof d === "number" && Number.isFinite(d) && d > 0) {
        constant[i] = d;
      } else {
        throw new RangeError(
          `${what}: \`delays[${i}]\` = ${typeof d === "number" ? String(d) : describeValue(d)} must be a finite number > 0 or a function (t, y, args) => τ; ` +
            "a zero delay is no delay (read y itself).",
        );
      }
    }
    this.vectorField = vectorField;
    this.delays = delays.slice();
    this.constantDelays = constant;
    this.variableDelays = Int32Array.from(variable);
    const history = options.history;
    if (history === undefined || typeof history === "function") this.history = history;
    else if (typeof history === "number") {
      if (!Number.isFinite(history)) throw new RangeError(`${what}: \`history\` = ${history} must be a finite number.`);
      this.history = history;
    } else if (history !== null && typeof history === "object" && typeof (history as ArrayLike<number>).length === "number") {
      const h = Float64Array.from(history as ArrayLike<number>);
      for (let i = 0; i < h.length; i++) {
        if (!Number.isFinite(h[i]!)) throw new RangeError(`${what}: \`history[${i}]\` = ${describeValue((history as ArrayLike<unknown>)[i])} must be a finite number.`);
      }
      this.history = h;
    } else {
      throw new TypeError(`${what}: \`history\` must be a number, an array of numbers or a function (t, args, out) => …; got ${describeValue(history)}.`);
    }
    if (options.historyDerivative !== undefined && typeof options.historyDerivative !== "function") {
      throw new TypeError(`${what}: \`historyDerivative\` must be a function (t, args, out) => …; got ${describeValue(options.historyDerivative)}.`);
    }
    this.historyDerivative = options.historyDerivative;
    if (options.neutral !== undefined && typeof options.neutral !== "boolean") {
      throw new TypeError(`${what}: \`neutral\` must be true or false; got ${describeValue(options.neutral)}.`);
    }
    this.neutral = options.neutral ?? false;
    const disc = options.discontinuities ?? [];
    if (disc === null || typeof disc !== "object" || typeof (disc as ArrayLike<number>).length !== "number") {
      throw new TypeError(`${what}: \`discontinuities\` must be an array of times; got ${describeValue(disc)}.`);
    }
    this.discontinuities = Float64Array.from(disc as ArrayLike<number>).sort();
    for (let i = 0; i < this.discontinuities.length; i++) {
      if (!Number.isFinite(this.discontinuities[i]!)) throw new RangeError(`${what}: \`discontinuities\` holds ${this.discontinuities[i]}; give finite times.`);
    }
    this.trackOrder = wholeNumber(options.trackOrder, "trackOrder", 0, what);
    this.maxDiscontinuities = wholeNumber(options.maxDiscontinuities, "maxDiscontinuities", 0, what) ?? 1000;
    this.maxIterations = wholeNumber(options.maxIterations, "maxIterations", 1, what) ?? 10;
  }

  /** The method of steps around `solver` (refusing a backward solve: a delay reads the past). */
  override adaptSolver(solver: AbstractSolver<any>, t0: number, t1: number): AbstractSolver<any> {
    if (t1 < t0) {
      throw new RangeError(`diffeqsolve: a delay equation is solved forward in time, but t1 = ${t1} < t0 = ${t0}; give t1 > t0.`);
    }
    return solver instanceof MethodOfSteps ? solver : new MethodOfSteps(solver);
  }
}

function wholeNumber(value: unknown, name: string, min: number, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw new RangeError(`${what}: \`${name}\` = ${describeValue(value)} must be a whole number ≥ ${min}.`);
  }
  return value;
}
