import { describeValue } from "../tree.js";
import { AbstractStepSizeController } from "./base.js";

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

/**
 * Adaptive step size by a PID controller on the scaled error estimate (Söderlind's digital filter
 * view, as in diffrax): with ε_n = 1 / ‖err_n‖ and k the solver's error order,
 * dt_{n+1} = dt_n · safety · ε_n^{(β_P+β_I+β_D)/k} · ε_{n−1}^{−(β_P+2β_D)/k} · ε_{n−2}^{β_D/k},
 * clipped to [factormin, factormax] (and to ≤ 1 after a rejection). The scaled error is
 * err_i / (atol_i + rtol_i · max(|y0_i|, |y1_i|)), reduced by the RMS norm unless `norm` says
 * otherwise. The defaults (β_I = 1) give the classical I controller of Hairer's codes.
 *
 * References: G. Söderlind, "Digital filters in adaptive time-stepping", ACM TOMS 29 (2003) 1–26;
 * Hairer, Nørsett & Wanner, *Solving ODEs I*, §II.4; Hairer & Wanner, *Solving ODEs II*, §IV.2.
 *
 * @example
 * ```ts
 * new PIDController({ rtol: 1e-8, atol: 1e-10, pcoeff: 0.4, icoeff: 0.3 });
 * ```
 */
export class PIDController extends AbstractStepSizeController {
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
  readonly stepTs: Float64Array | undefined;
  readonly jumpTs: Float64Array | undefined;

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
    this.forceDtmin = options.forceDtmin ?? false;
    this.factormin = positive(options.factormin ?? 0.2, "factormin");
    this.factormax = positive(options.factormax ?? 10, "factormax");
    this.safety = positive(options.safety ?? 0.9, "safety");
    if (this.factormin > 1) throw new RangeError(`new PIDController: \`factormin\` = ${this.factormin} must be at most 1 (a rejected step must shrink).`);
    if (this.factormax < 1) throw new RangeError(`new PIDController: \`factormax\` = ${this.factormax} must be at least 1.`);
    const norm = options.norm ?? "rms";
    if (norm !== "rms" && norm !== "max" && typeof norm !== "function") {
      throw new TypeError(`new PIDController: \`norm\` must be "rms", "max" or a function (scaledError) => number; got ${describeValue(norm)}.`);
    }
    this.norm = norm;
    this.stepTs = options.stepTs === undefined ? undefined : times(options.stepTs, "stepTs");
    this.jumpTs = options.jumpTs === undefined ? undefined : times(options.jumpTs, "jumpTs");
  }
}

/** " (did you mean `x`?)" for the closest key by edit distance, or "". */
export function suggest(key: string, valid: readonly string[]): string {
  let best = "";
  let bestD = Infinity;
  for (const v of valid) {
    const d = editDistance(key.toLowerCase(), v.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = v;
    }
  }
  return bestD <= Math.max(2, Math.floor(key.length / 3)) ? ` (did you mean \`${best}\`?)` : `; valid options are ${valid.map((v) => `\`${v}\``).join(", ")}`;
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) dp[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      dp[i]![j] = Math.min(dp[i - 1]![j]! + 1, dp[i]![j - 1]! + 1, dp[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return dp[a.length]![b.length]!;
}

function tolerance(value: number | ArrayLike<number>, name: string): number | Float64Array {
  if (typeof value === "number") {
    if (!(value >= 0) || !Number.isFinite(value)) {
      throw new RangeError(`new PIDController: \`${name}\` = ${value} must be a finite number ≥ 0 (for example ${name}: 1e-6).`);
    }
    return value;
  }
  if (value !== null && typeof value === "object" && typeof value.length === "number") {
    const arr = Float64Array.from(value);
    for (let i = 0; i < arr.length; i++) {
      if (!(arr[i]! >= 0) || !Number.isFinite(arr[i]!)) {
        throw new RangeError(`new PIDController: \`${name}[${i}]\` = ${arr[i]} must be a finite number ≥ 0.`);
      }
    }
    return arr;
  }
  throw new TypeError(`new PIDController: \`${name}\` must be a number or an array of numbers; got ${describeValue(value)}.`);
}

function finite(value: number, name: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) throw new RangeError(`new PIDController: \`${name}\` = ${String(value)} must be a finite number.`);
  return value;
}

function nonNegative(value: number, name: string): number {
  if (typeof value !== "number" || !(value >= 0) || !Number.isFinite(value)) throw new RangeError(`new PIDController: \`${name}\` = ${String(value)} must be a finite number ≥ 0.`);
  return value;
}

function positive(value: number, name: string): number {
  if (typeof value !== "number" || !(value > 0)) throw new RangeError(`new PIDController: \`${name}\` = ${String(value)} must be a number > 0.`);
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
