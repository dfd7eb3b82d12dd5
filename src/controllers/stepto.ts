import type { ControllerDescription, ControllerProblem } from "./base.js";
import { FixedStepController, type GridState } from "./grid.js";

/**
 * Steps exactly to the given times `ts` (first t0, last t1, strictly monotone in the direction
 * of integration). `dt0` must be omitted.
 *
 * @example
 * ```ts
 * diffeqsolve({ terms, solver: new Tsit5(), t0: 0, t1: 1, y0: [1],
 *   stepsizeController: new StepTo({ ts: [0, 0.1, 0.3, 1] }) });
 * ```
 */
export class StepTo extends FixedStepController {
  /** The step end points. */
  readonly ts: Float64Array;
  constructor(options: { ts: ArrayLike<number> }) {
    super();
    if (options === null || typeof options !== "object" || options.ts === undefined || options.ts === null || typeof options.ts.length !== "number") {
      throw new TypeError("new StepTo({ ts }): `ts` must be an array of times, for example new StepTo({ ts: [0, 0.5, 1] }).");
    }
    for (const key of Object.keys(options)) {
      if (key !== "ts") throw new TypeError(`new StepTo(options): unknown option \`${key}\`; the only option is ts.`);
    }
    this.ts = Float64Array.from(options.ts);
    if (this.ts.length < 2) throw new RangeError(`new StepTo({ ts }): \`ts\` needs at least two times (t0 and t1); got ${this.ts.length}.`);
    const dir = Math.sign(this.ts[1]! - this.ts[0]!);
    for (let i = 0; i < this.ts.length; i++) {
      const v = this.ts[i]!;
      if (!Number.isFinite(v)) throw new RangeError(`new StepTo({ ts }): ts[${i}] = ${v} is not finite.`);
      if (i > 0 && (dir === 0 || Math.sign(v - this.ts[i - 1]!) !== dir)) {
        throw new RangeError(`new StepTo({ ts }): \`ts\` must be strictly monotone; ts[${i - 1}] = ${this.ts[i - 1]} and ts[${i}] = ${v}.`);
      }
    }
  }

  override check(problem: ControllerProblem): void {
    const { t0, t1, dt0 } = problem;
    if (dt0 !== undefined) throw new TypeError("diffeqsolve: with StepTo, omit `dt0`; the steps are given by StepTo's ts.");
    const ts = this.ts;
    if (ts[0] !== t0 || ts[ts.length - 1] !== t1) {
      throw new RangeError(`diffeqsolve: StepTo's ts must start at t0 = ${t0} and end at t1 = ${t1}; got ${ts[0]} … ${ts[ts.length - 1]}.`);
    }
  }

  override knownStepCount(problem: ControllerProblem): number {
    return problem.t0 === problem.t1 ? 0 : this.ts.length - 1;
  }

  protected createState(problem: ControllerProblem, steps: number): GridState {
    return { extraFnEvals: 0, detail: "", k: 0, steps, dir: problem.dir, ts: this.ts, uniform: new Float64Array(3) };
  }

  describe(): ControllerDescription {
    return { name: "StepTo", options: { ts: this.ts } };
  }
}
