/**
 * `SteadyStateEvent`: ends a solve once it has reached a steady state, judged by the vector field
 * being small against the tolerances: at the end of an accepted step,
 *
 *     ‖f(t, y)‖ ≤ atol + rtol ‖y‖      (root-mean-square norms),
 *
 * as diffrax's `steady_state_event`. The solve then ends with `RESULTS.eventOccurred` at that
 * state, which `ImplicitAdjoint` differentiates as a fixed point of f.
 */
import { ODETerm, type VectorField } from "../terms.js";
import { describeValue } from "../tree.js";
import { checkKeys } from "../util/options.js";
import { Event } from "./event.js";

/** Options of {@link SteadyStateEvent}. */
export interface SteadyStateEventOptions {
  /** Relative tolerance on ‖f‖ against ‖y‖. @defaultValue 1e-8 */
  rtol?: number;
  /** Absolute tolerance on ‖f‖. @defaultValue 1e-10 */
  atol?: number;
}

function tolerance(x: unknown, name: string, fallback: number): number {
  if (x === undefined) return fallback;
  if (typeof x !== "number" || !(x >= 0) || !Number.isFinite(x)) {
    throw new RangeError(`new SteadyStateEvent(f, { ${name} }): \`${name}\` = ${typeof x === "number" ? x : describeValue(x)} must be a finite number ≥ 0, for example ${name}: ${fallback}.`);
  }
  return x;
}

/**
 * A terminating event that fires at the end of the first accepted step where the solution is
 * steady: the RMS norm of the vector field `f` (the ODE's, given again here) at most
 * atol + rtol times the RMS norm of y. Pass the same vector field as the solve's `ODETerm`.
 *
 * @example
 * ```ts
 * const f = (t, y, args, dy) => { dy[0] = args.k * (args.c - y[0]); };
 * const sol = diffeqsolve({ terms: new ODETerm(f), solver: new Tsit5(), t0: 0, t1: 1e6, y0: [0], args: { k: 2, c: 3 },
 *   event: new SteadyStateEvent(f, { rtol: 1e-8, atol: 1e-10 }), stepsizeController: new PIDController({ rtol: 1e-10, atol: 1e-12 }) });
 * sol.ys[0][0]; // 3 (the steady state), sol.result === RESULTS.eventOccurred
 * ```
 */
export class SteadyStateEvent<A = any> extends Event<A> {
  /** Relative tolerance of the test. */
  readonly rtol: number;
  /** Absolute tolerance of the test. */
  readonly atol: number;

  constructor(vectorField: VectorField<A> | ODETerm<A>, options: SteadyStateEventOptions = {}) {
    const vf = vectorField instanceof ODETerm ? vectorField.vectorField : vectorField;
    const fn = typeof vf === "function" ? vf : vf !== null && typeof vf === "object" && typeof vf.f === "function" ? vf.f : null;
    if (fn === null) {
      throw new TypeError(`new SteadyStateEvent(f, options): \`f\` must be the ODE's vector field (a function (t, y, args, dy) => void, or an object with f, as compile returns); got ${describeValue(vectorField)}.`);
    }
    checkKeys(options, ["rtol", "atol"], "new SteadyStateEvent(f, options)");
    const rtol = tolerance(options.rtol, "rtol", 1e-8);
    const atol = tolerance(options.atol, "atol", 1e-10);
    let dy = new Float64Array(0);
    const steady = (t: number, y: Float64Array, args: A): boolean => {
      const n = y.length;
      if (dy.length !== n) dy = new Float64Array(n);
      const r = fn(t, y, args, dy);
      let ff = 0;
      let yy = 0;
      for (let i = 0; i < n; i++) {
        const fi = r === undefined || r === null ? dy[i]! : (r as ArrayLike<number>)[i]!;
        ff += fi * fi;
        yy += y[i]! * y[i]!;
      }
      return Math.sqrt(ff / n) <= atol + rtol * Math.sqrt(yy / n);
    };
    super({ cond: steady, discrete: true, terminal: true });
    this.rtol = rtol;
    this.atol = atol;
  }
}
