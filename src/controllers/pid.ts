import { ContractError, RESULTS } from "../results.js";
import { type AbstractSolver, type SolverState, STEP_OK, type VectorBackend } from "../solvers/solver.js";
import { describeValue } from "../tree.js";
import { suggest } from "../util/suggest.js";
import {
  AbstractStepSizeController, ACCEPT, AT_DTMIN, type ControllerDescription, type ControllerProblem, type ControllerStart, type ControllerState,
  ERR, H, H_REJECTED, LAST_REJECTED, PROPOSED, REACH, REJECT, T, T_NEXT,
} from "./base.js";
import { initialStepSize } from "./initial-step.js";

export { suggest };

/** How the scaled error vector is reduced to one number. */
export type ErrorNorm = "rms" | "max" | ((scaledError: Float64Array) => number);

/** Options of {@link PIDController}. */
export interface PIDControllerOptions {
  /** Relative tolerance. @defaultValue 1e-3 */
  rtol?: number | ArrayLike<number>;
  /** Absolute tolerance, scalar or per component. @defaultValue 1e-6 */
  atol?: number | ArrayLike<number>;
  /** Proportional coefficient β_P. @defaultValue 0 */
  pcoeff?: number;
  /** Integral coefficient β_I. @defaultValue 1 */
  icoeff?: number;
  /** Derivative coefficient β_D. @defaultValue 0 */
  dcoeff?: number;
  /** Smallest step size. @defaultValue 0 */
  dtmin?: number;
  /** Largest step size. @defaultValue |t1 − t0| */
  dtmax?: number;
  /** At `dtmin`, accept the step anyway instead of failing with `dtMinReached`. @defaultValue false */
  forceDtmin?: boolean;
  /** Smallest factor by which one step may shrink the next. @defaultValue 0.2 */
  factormin?: number;
  /** Largest factor by which one step may grow the next. @defaultValue 10 */
  factormax?: number;
  /** Safety factor applied to the optimal step. @defaultValue 0.9 */
  safety?: number;
  /** Error norm. @defaultValue "rms" */
  norm?: ErrorNorm;
  /** Times that steps must land on exactly (output times that need the exact solver value), in any order. */
  stepTs?: ArrayLike<number>;
  /** Discontinuities of the vector field in t, in any order: step to just before, restart just after. */
  jumpTs?: ArrayLike<number>;
}

const KEYS = [
  "rtol", "atol", "pcoeff", "icoeff", "dcoeff", "dtmin", "dtmax", "forceDtmin",
  "factormin", "factormax", "safety", "norm", "stepTs", "jumpTs",
];

/** Slots of {@link PIDState.s}. */
const DT = 0; // the step size the controller will propose next (a magnitude)
const INV_PREV1 = 1; // ε_{n−1}
const INV_PREV2 = 2; // ε_{n−2}
const DTMAX = 3; // min(dtmax, |t1 − t0|)
const BETA1 = 4;
const BETA2 = 5;
const BETA3 = 6;
const DIR = 7;

/** Per-solve state of a {@link PIDController}. */
export interface PIDState extends ControllerState {
  /** The controller's doubles (slots above), kept in a typed array so that no double is boxed. */
  readonly s: Float64Array;
  /** Consecutive rejections for NaN or Infinity in the error estimate. */
  nonFiniteStreak: number;
  /** Consecutive steps the solver could not compute (a non-zero step status). */
  failStreak: number;
  readonly solver: AbstractSolver<SolverState>;
  readonly solverState: SolverState;
  /** The solver's own step-factor hook (variable-order methods), or null. */
  readonly stepFactor: ((state: SolverState, err: number, accepted: boolean) => number) | null;
  /** Scratch of the state's length (the scaled error, for a custom norm). */
  readonly scratch: Float64Array;
  /** The error norm's result (a double returned from a call V8 does not inline is boxed). */
  readonly normResult: Float64Array;
  /** The solver's vector backend computes the norm ("rms"/"max") where the state lives, or null. */
  readonly vector: VectorBackend | null;
}

/**
 * Adaptive step size by a PID controller on the scaled error estimate (Söderlind's digital filter
 * view, as in diffrax): with ε_n = 1 / ‖err_n‖ and k the solver's error order,
 * dt_{n+1} = dt_n · safety · ε_n^{(β_P+β_I+β_D)/k} · ε_{n−1}^{−(β_P+2β_D)/k} · ε_{n−2}^{β_D/k},
 * clipped to [factormin, factormax] (and to ≤ 1 after a rejection). The scaled error is
 * err_i / (atol_i + rtol_i · max(|y0_i|, |y1_i|)), reduced by the RMS norm unless `norm` says
 * otherwise. The defaults (β_I = 1) give the classical I controller of Hairer's codes. A rejected
 * step is retried with dt · max(factormin, safety · err^{−1/k}); a step the solver could not
 * compute (Newton failure, singular matrix) with a quarter of it, at most 15 times in a row.
 * A solver that chooses its own steps (BDF's order selection, RADAU5's rule) replaces the PID
 * factor through its `stepFactor` hook; factormin, factormax, dtmin and dtmax always apply.
 *
 * References: G. Söderlind, "Digital filters in adaptive time-stepping", ACM TOMS 29 (2003) 1–26;
 * Hairer, Nørsett & Wanner, *Solving ODEs I*, §II.4; Hairer & Wanner, *Solving ODEs II*, §IV.2.
 *
 * @example
 * ```ts
 * new PIDController({ rtol: 1e-8, atol: 1e-10, pcoeff: 0.4, icoeff: 0.3 });
 * ```
 */
export class PIDController extends AbstractStepSizeController<PIDState> {
  readonly adaptive = true as const;
  readonly rtol: number | Float64Array;
  readonly atol: number | Float64Array;
  readonly pcoeff: number;
  readonly icoeff: number;
  readonly dcoeff: number;
  readonly dtmin: number;
  readonly dtmax: number | undefined;
  readonly forceDtmin: boolean;
  readonly factormin: number;
  readonly factormax: number;
  readonly safety: number;
  readonly norm: ErrorNorm;
  override readonly stepTs: Float64Array | undefined;
  override readonly jumpTs: Float64Array | undefined;

  constructor(options: PIDControllerOptions = {}) {
    super();
    if (options === null || typeof options !== "object") {
      throw new TypeError(`new PIDController(options): \`options\` must be an object; got ${describeValue(options)}.`);
    }
    for (const key of Object.keys(options)) {
      if (!KEYS.includes(key)) {
        throw new TypeError(`new PIDController(options): unknown option \`${key}\`${suggest(key, KEYS)}.`);
      }
    }
    this.rtol = tolerance(options.rtol ?? 1e-3, "rtol");
    this.atol = tolerance(options.atol ?? 1e-6, "atol");
    // With rtol = atol = 0 for a component its error scale is 0: no step could ever be accepted.
    const m = Math.max(typeof this.rtol === "number" ? 1 : this.rtol.length, typeof this.atol === "number" ? 1 : this.atol.length);
    for (let i = 0; i < m; i++) {
      const r = typeof this.rtol === "number" ? this.rtol : this.rtol[i];
      const a = typeof this.atol === "number" ? this.atol : this.atol[i];
      if (r === 0 && a === 0) {
        const where = m > 1 ? ` for component ${i}` : "";
        throw new RangeError(`new PIDController: \`rtol\` and \`atol\` are both 0${where}, so no error can be small enough; make at least one positive (for example atol: 1e-9).`);
      }
    }
    this.pcoeff = finite(options.pcoeff ?? 0, "pcoeff");
    this.icoeff = finite(options.icoeff ?? 1, "icoeff");
    this.dcoeff = finite(options.dcoeff ?? 0, "dcoeff");
    this.dtmin = nonNegative(options.dtmin ?? 0, "dtmin");
    this.dtmax = options.dtmax === undefined ? undefined : positive(options.dtmax, "dtmax");
    if (this.dtmax !== undefined && this.dtmin > this.dtmax) {
      throw new RangeError(`new PIDController: \`dtmin\` = ${this.dtmin} is larger than \`dtmax\` = ${this.dtmax}; no step size satisfies both. Lower dtmin or raise dtmax.`);
    }
    if (options.forceDtmin !== undefined && typeof options.forceDtmin !== "boolean") {
      throw new TypeError(`new PIDController: \`forceDtmin\` must be true or false; got ${describeValue(options.forceDtmin)}.`);
    }
    this.forceDtmin = options.forceDtmin ?? false;
    this.factormin = positive(options.factormin ?? 0.2, "factormin");
    this.factormax = positive(options.factormax ?? 10, "factormax");
    this.safety = positive(options.safety ?? 0.9, "safety");
    if (this.factormin > 1) throw new RangeError(`new PIDController: \`factormin\` = ${this.factormin} must be at most 1 (a rejected step must shrink).`);
    if (this.factormax < 1) throw new RangeError(`new PIDController: \`factormax\` = ${this.factormax} must be at least 1.`);
    if (this.safety > 1) throw new RangeError(`new PIDController: \`safety\` = ${this.safety} must be at most 1 (it scales the optimal step down; 0.9 is usual).`);
    const norm = options.norm ?? "rms";
    if (norm !== "rms" && norm !== "max" && typeof norm !== "function") {
      throw new TypeError(`new PIDController: \`norm\` must be "rms", "max" or a function (scaledError) => number; got ${describeValue(norm)}.`);
    }
    this.norm = norm;
    this.stepTs = options.stepTs === undefined ? undefined : times(options.stepTs, "stepTs");
    this.jumpTs = options.jumpTs === undefined ? undefined : times(options.jumpTs, "jumpTs");
  }

  override check(problem: ControllerProblem): void {
    const { solver, n } = problem;
    if (solver.errorOrder === 0) {
      throw new TypeError(
        `diffeqsolve: ${solver.name} has no error estimate, so it cannot be used with PIDController; ` +
          "use stepsizeController: new ConstantStepSize() with dt0, or a solver with an embedded pair such as Tsit5.",
      );
    }
    for (const [name, tol] of [["rtol", this.rtol], ["atol", this.atol]] as const) {
      if (typeof tol !== "number" && tol.length !== n) {
        throw new RangeError(`diffeqsolve: the controller's \`${name}\` has ${tol.length} entries but the state has ${n}.`);
      }
    }
  }

  init(problem: ControllerProblem, start: ControllerStart): PIDState {
    const { t0, t1, dir, n, solver, f, args } = problem;
    const hooks = solver as SolverHooks;
    if (typeof hooks.setTolerances === "function") hooks.setTolerances(start.solverState, this.rtol, this.atol);
    const s = new Float64Array(8);
    let dtmax = Math.abs(t1 - t0);
    if (this.dtmax !== undefined) dtmax = Math.min(dtmax, this.dtmax);
    const k = solver.errorOrder;
    s[DTMAX] = dtmax;
    s[BETA1] = (this.pcoeff + this.icoeff + this.dcoeff) / k;
    s[BETA2] = -(this.pcoeff + 2 * this.dcoeff) / k;
    s[BETA3] = this.dcoeff / k;
    s[INV_PREV1] = 1;
    s[INV_PREV2] = 1;
    s[DIR] = dir;
    let extraFnEvals = 0;
    if (problem.dt0 !== undefined) s[DT] = Math.abs(problem.dt0);
    else if (t0 !== t1) {
      s[DT] = initialStepSize(f, args, t0, start.y0, start.f0, dir, solver.order, this.rtol, this.atol, dtmax, new Float64Array(n), new Float64Array(n));
      extraFnEvals = 1;
    }
    let vector = solver.vectorBackend?.(start.solverState) ?? null;
    if (vector !== null && (this.norm === "rms" || this.norm === "max")) vector.setTolerances(this.norm, this.rtol, this.atol);
    else vector = null;
    return {
      extraFnEvals,
      detail: "",
      vector,
      s,
      nonFiniteStreak: 0,
      failStreak: 0,
      solver,
      solverState: start.solverState,
      stepFactor: typeof hooks.stepFactor === "function" ? hooks.stepFactor : null,
      scratch: new Float64Array(n),
      normResult: new Float64Array(1),
    };
  }

  propose(state: PIDState, rec: Float64Array): number {
    const s = state.s;
    let dt = s[DT]!;
    const dtmax = s[DTMAX]!;
    if (dt > dtmax) dt = dtmax;
    rec[AT_DTMIN] = 0;
    if (dt <= this.dtmin) {
      dt = this.dtmin;
      rec[AT_DTMIN] = 1;
    }
    s[DT] = dt;
    rec[T_NEXT] = rec[T]! + s[DIR]! * dt;
    // The clip layer may stretch a step by 1% onto a stop, never past dtmax.
    rec[REACH] = Math.min(1.01 * dt, dtmax);
    return PROPOSED;
  }

  adapt(state: PIDState, rec: Float64Array, y0: Float64Array, y1: Float64Array, yErr: Float64Array, yErr2: Float64Array, status: number): number {
    const s = state.s;
    const h = rec[H]!;
    const dtmin = this.dtmin;
    if (status !== STEP_OK) {
      // The solver could not compute this step: retry with a quarter of it, and give up with the
      // solver's code once the step cannot usefully shrink further.
      state.failStreak++;
      if (state.failStreak > 15 || Math.abs(h) <= dtmin || rec[T]! + 0.25 * h === rec[T]!) {
        const k = state.failStreak;
        state.detail = `t = ${rec[T]} with step size ${Math.abs(h)} after ${k} failed attempt${k === 1 ? "" : "s"}`;
        return status;
      }
      s[DT] = Math.abs(h) * 0.25;
      return reject(rec);
    }
    const vector = state.vector;
    if (vector !== null) vector.errorNorm(0, state.normResult);
    else this.errorNorm(state, y0, y1, yErr);
    let err = state.normResult[0]!;
    if (state.solver.hasSecondaryError) {
      // DOP853's two estimates combined (Hairer's ERR = err5² / sqrt(err5² + 0.01 err3²)).
      if (vector !== null) vector.errorNorm(1, state.normResult);
      else this.errorNorm(state, y0, y1, yErr2);
      const err2 = state.normResult[0]!;
      const deno = err * err + 0.01 * err2 * err2;
      err = deno > 0 ? (err * err) / Math.sqrt(deno) : 0;
    }
    rec[ERR] = err;
    let factor: number;
    if (err <= 1) {
      // err ≥ +0, so ε = 1/err is +Infinity for an exact step. (Written as one division, not
      // `err === 0 ? Infinity : 1 / err`: V8 boxes the result of that select, 16 B a step.)
      const inv = 1 / err;
      // x^β as exp(β log x): V8's Math.pow costs ~45 ns against ~15 ns; the factor is a heuristic,
      // so the last-ulp difference is immaterial. Factors whose exponent is zero are skipped.
      factor = this.safety * Math.exp(s[BETA1]! * Math.log(inv));
      if (s[BETA2] !== 0) factor *= Math.exp(s[BETA2]! * Math.log(s[INV_PREV1]!));
      if (s[BETA3] !== 0) factor *= Math.exp(s[BETA3]! * Math.log(s[INV_PREV2]!));
      if (state.stepFactor !== null) factor = state.stepFactor.call(state.solver, state.solverState, err, true);
      if (!(factor <= this.factormax)) factor = this.factormax;
      if (factor < this.factormin) factor = this.factormin;
      // After a rejection the step may not grow at once (Hairer's "last step rejected" rule).
      if (rec[LAST_REJECTED] === 1 && factor > 1) factor = 1;
      rec[LAST_REJECTED] = 0;
      // The history keeps ε ≤ 10⁴ (Hairer's facold = max(err, 1e-4)): after an exact step (err = 0,
      // ε = ∞) the proportional and derivative terms would otherwise cut the next step to factormin.
      s[INV_PREV2] = s[INV_PREV1]!;
      s[INV_PREV1] = inv > 1e4 ? 1e4 : inv;
      state.nonFiniteStreak = 0;
      state.failStreak = 0;
      s[DT] = Math.abs(h) * factor;
      return ACCEPT;
    }
    if (err === err && err !== Infinity) {
      factor = Math.max(this.factormin, Math.min(1, this.safety * Math.exp(Math.log(err) / -state.solver.errorOrder)));
      if (state.stepFactor !== null) factor = Math.max(this.factormin, Math.min(1, state.stepFactor.call(state.solver, state.solverState, err, false)));
      state.nonFiniteStreak = 0;
    } else {
      // NaN or Infinity from the vector field: shrink hard, and remember why.
      factor = 0.25;
      state.nonFiniteStreak++;
    }
    s[DT] = Math.abs(h) * factor;
    if (rec[AT_DTMIN] === 1 || Math.abs(h) <= dtmin) {
      if (this.forceDtmin && state.nonFiniteStreak === 0) {
        // Forced through: the error was too large, so the step still may not grow next time.
        state.failStreak = 0;
        return ACCEPT;
      }
      state.detail = `t = ${rec[T]} with step size ${Math.abs(h)}`;
      return state.nonFiniteStreak > 0 ? RESULTS.nonFiniteEncountered : RESULTS.dtMinReached;
    }
    return reject(rec);
  }

  override restart(state: PIDState): void {
    state.s[INV_PREV1] = 1;
    state.s[INV_PREV2] = 1;
  }

  /**
   * Why no step can be taken from rec[T] (the step shrank below the resolution of t): NaN or
   * Infinity if the last rejections were for that, else the floating-point limit.
   */
  override stuck(state: PIDState, rec: Float64Array): number {
    const nf = state.nonFiniteStreak;
    const dt = state.s[DT]!;
    state.detail =
      nf > 0
        ? `t = ${rec[T]}: the vector field gave NaN or Infinity just after t; ${nf} ever smaller steps, down to ${dt}, did not help`
        : `t = ${rec[T]}: the step size ${dt} is below the floating-point resolution of t`;
    return nf > 0 ? RESULTS.nonFiniteEncountered : RESULTS.dtMinReached;
  }

  describe(): ControllerDescription {
    const options: Record<string, unknown> = {
      rtol: this.rtol, atol: this.atol, pcoeff: this.pcoeff, icoeff: this.icoeff, dcoeff: this.dcoeff, dtmin: this.dtmin,
      forceDtmin: this.forceDtmin, factormin: this.factormin, factormax: this.factormax, safety: this.safety, norm: this.norm,
    };
    if (this.dtmax !== undefined) options.dtmax = this.dtmax;
    if (this.stepTs !== undefined) options.stepTs = this.stepTs;
    if (this.jumpTs !== undefined) options.jumpTs = this.jumpTs;
    return { name: "PIDController", options };
  }

  /** The scaled error norm of `e` into `state.normResult[0]`. */
  private errorNorm(state: PIDState, y0: Float64Array, y1: Float64Array, e: Float64Array): void {
    const { norm, rtol, atol } = this;
    const n = state.scratch.length;
    const result = state.normResult;
    if (norm === "rms" && typeof rtol === "number" && typeof atol === "number") {
      // The common case, kept branch-free.
      let acc = 0;
      for (let i = 0; i < n; i++) {
        const a0 = Math.abs(y0[i]!);
        const a1 = Math.abs(y1[i]!);
        const r = e[i]! / (atol + rtol * (a0 > a1 ? a0 : a1));
        acc += r * r;
      }
      result[0] = Math.sqrt(acc / n);
      return;
    }
    const scratch = state.scratch;
    const rScalar = typeof rtol === "number";
    const aScalar = typeof atol === "number";
    let acc = 0;
    for (let i = 0; i < n; i++) {
      const sc = (aScalar ? atol : atol[i]!) + (rScalar ? rtol : rtol[i]!) * Math.max(Math.abs(y0[i]!), Math.abs(y1[i]!));
      const r = e[i]! / sc;
      if (norm === "rms") acc += r * r;
      else if (norm === "max") acc = Math.max(acc, Math.abs(r)) + (r - r); // keeps NaN
      else scratch[i] = r;
    }
    if (norm === "rms") result[0] = Math.sqrt(acc / n);
    else if (norm === "max") result[0] = acc;
    else {
      const v = norm(scratch);
      if (typeof v !== "number" || v < 0) {
        throw new ContractError(
          `PIDController: the custom \`norm\` returned ${describeValue(v)}; a norm must return a number ≥ 0 (NaN is allowed for a non-finite error).`,
        );
      }
      result[0] = v + 0; // −0 becomes +0, so that 1/err is never −Infinity
    }
  }
}

/** Records a rejection in the step record (read by the next adapt and by the loop's progress guard). */
function reject(rec: Float64Array): number {
  rec[LAST_REJECTED] = 1;
  rec[H_REJECTED] = rec[H]!;
  return REJECT;
}

/** Optional solver hooks a PID controller uses (declared in the solver protocol). */
type SolverHooks = Pick<AbstractSolver<SolverState>, "setTolerances" | "stepFactor">;

function tolerance(value: number | ArrayLike<number>, name: string): number | Float64Array {
  if (typeof value === "number") {
    if (!(value >= 0) || !Number.isFinite(value)) {
      throw new RangeError(`new PIDController: \`${name}\` = ${value} must be a finite number ≥ 0 (for example ${name}: 1e-6).`);
    }
    checkRelative(value, name, "");
    return value;
  }
  if (value !== null && typeof value === "object" && typeof value.length === "number") {
    const arr = Float64Array.from(value);
    for (let i = 0; i < arr.length; i++) {
      if (!(arr[i]! >= 0) || !Number.isFinite(arr[i]!)) {
        throw new RangeError(`new PIDController: \`${name}[${i}]\` = ${arr[i]} must be a finite number ≥ 0.`);
      }
      checkRelative(arr[i]!, name, `[${i}]`);
    }
    return arr;
  }
  throw new TypeError(`new PIDController: \`${name}\` must be a number or an array of numbers; got ${describeValue(value)}.`);
}

/** A relative tolerance of 1 allows a 100% error: anything at or above it cannot be what was meant. */
function checkRelative(value: number, name: string, index: string): void {
  if (name === "rtol" && value >= 1) {
    throw new RangeError(
      `new PIDController: \`rtol${index}\` = ${value} is a relative error of ${value * 100}%, so any answer would pass; ` +
        "give a value below 1 (1e-3 is the default, 1e-6 to 1e-10 for accurate solves).",
    );
  }
}

function finite(value: number, name: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) throw new RangeError(`new PIDController: \`${name}\` = ${typeof value === "number" ? value : describeValue(value)} must be a finite number.`);
  return value;
}

function nonNegative(value: number, name: string): number {
  if (typeof value !== "number" || !(value >= 0) || !Number.isFinite(value)) throw new RangeError(`new PIDController: \`${name}\` = ${typeof value === "number" ? value : describeValue(value)} must be a finite number ≥ 0.`);
  return value;
}

function positive(value: number, name: string): number {
  if (typeof value !== "number" || !(value > 0)) throw new RangeError(`new PIDController: \`${name}\` = ${typeof value === "number" ? value : describeValue(value)} must be a number > 0.`);
  return value;
}

function times(value: ArrayLike<number>, name: string): Float64Array {
  if (value === null || typeof value !== "object" || typeof value.length !== "number") {
    throw new TypeError(`new PIDController: \`${name}\` must be an array of times; got ${describeValue(value)}.`);
  }
  const arr = Float64Array.from(value);
  for (let i = 0; i < arr.length; i++) {
    if (!Number.isFinite(arr[i]!)) throw new RangeError(`new PIDController: \`${name}[${i}]\` = ${arr[i]} is not finite.`);
  }
  // Sorted ascending, so that the order given does not matter (the loop walks them in its direction).
  return arr.sort();
}
