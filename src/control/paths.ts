/**
 * Data as a path of time: interpolation of sampled values, to drive a solve as a forcing term
 * (read `path.evaluate(t, out)` inside the vector field) or as the control of a controlled
 * differential equation (`CDETerm`: dy = f(t, y) dX(t)).
 *
 * Given knots t₀ < t₁ < … < t_N and values x₀, …, x_N (each m channels), on [tᵢ, tᵢ₊₁] with
 * h = tᵢ₊₁ − tᵢ and s = (t − tᵢ)/h:
 *
 * - {@link LinearInterpolation}: X(t) = (1 − s) xᵢ + s xᵢ₊₁; X′ = (xᵢ₊₁ − xᵢ)/h, piecewise constant.
 *   Second order in h for smooth data.
 * - {@link CubicInterpolation}: the cubic Hermite interpolant
 *   X(t) = h₀₀(s) xᵢ + h₁₀(s) h dᴸᵢ + h₀₁(s) xᵢ₊₁ + h₁₁(s) h dᴿᵢ, with h₀₀ = 2s³ − 3s² + 1,
 *   h₁₀ = s³ − 2s² + s, h₀₁ = −2s³ + 3s², h₁₁ = s³ − s², where dᴸᵢ and dᴿᵢ are the slopes at the
 *   interval's ends. With the derivatives given (`dxs`), dᴸᵢ = ẋᵢ, dᴿᵢ = ẋᵢ₊₁ (fourth order).
 *   Without, the *backward Hermite* coefficients of Kidger, Morrill, Foster & Lyons, "Neural
 *   controlled differential equations for irregular time series", NeurIPS 2020 (diffrax's
 *   `backward_hermite_coefficients`): dᴸᵢ = (xᵢ − xᵢ₋₁)/(tᵢ − tᵢ₋₁) (the first interval's own slope
 *   for i = 0) and dᴿᵢ = (xᵢ₊₁ − xᵢ)/h. X is then C¹ (the slope at tᵢ₊₁ is the same from both
 *   sides) and causal: on [tᵢ, tᵢ₊₁] it depends on the data up to tᵢ₊₁ only. Second order.
 *
 * - `CubicInterpolation` with `kind: "natural"` or `"notAKnot"`: the C² cubic spline, the same
 *   Hermite form with the knot slopes from a tridiagonal system (see `splineSlopes`); fourth order.
 * - {@link RectilinearInterpolation}: X(t) = xᵢ on [tᵢ, tᵢ₊₁) (zero-order hold), X′ = 0.
 *
 * Missing values are marked NaN in `xs` and filled before anything else, per channel: forward fill
 * for the rectilinear path, the straight line in t between the nearest observed values for the
 * others; leading NaNs take the first observed value and trailing NaNs the last.
 *
 * X′ of the linear interpolation jumps at the knots, and X″ of the cubic ones: give the knots to
 * the step-size controller as `jumpTs` (steps then stop just before each knot and restart after
 * it). At a knot, `derivative` is the right-hand one (the next interval's). Evaluating outside
 * [t₀, t_N] throws a RangeError (inside a solve: `RESULTS.callbackError` with the message).
 * `evaluate` and `derivative` allocate nothing when given `out`.
 */
import { describeValue } from "../tree.js";

/** Values at the knots: one number per knot (one channel), or one array of m numbers per knot. */
export type PathValues = ArrayLike<number> | ArrayLike<ArrayLike<number>>;

/** Options of {@link LinearInterpolation}. */
export interface LinearInterpolationOptions {
  /** The knots, strictly increasing, at least 2. */
  ts: ArrayLike<number>;
  /** The values at the knots. */
  xs: PathValues;
}

/** How {@link CubicInterpolation} chooses the slopes at the knots. */
export type CubicKind = "hermite" | "backwardHermite" | "natural" | "notAKnot";

/** Options of {@link CubicInterpolation}. */
export interface CubicInterpolationOptions extends LinearInterpolationOptions {
  /** The derivatives at the knots, shaped as `xs` (only with `kind: "hermite"`). */
  dxs?: PathValues;
  /**
   * The slopes: `"hermite"` (the given `dxs`), `"backwardHermite"` (causal, C¹), `"natural"`
   * (C² spline, X″ = 0 at both ends), `"notAKnot"` (C² spline, X‴ continuous at ts[1] and
   * ts[N−1]). Default: `"hermite"` when `dxs` is given, else `"backwardHermite"`.
   */
  kind?: CubicKind;
}

/** Options of {@link RectilinearInterpolation}. */
export type RectilinearInterpolationOptions = LinearInterpolationOptions;

/** Flattens per-knot values (numbers or arrays of m) into N·m doubles; checks shape and finiteness. */
function flatten(values: PathValues, count: number, who: string, name: string, allowNaN = false): { flat: Float64Array; m: number } {
  if (values === null || typeof values !== "object" || typeof values.length !== "number") {
    throw new TypeError(`new ${who}({ ${name} }): \`${name}\` must be an array with one value (or one array of channels) per knot; got ${describeValue(values)}.`);
  }
  if (values.length !== count) throw new RangeError(`new ${who}({ ${name} }): \`${name}\` has ${values.length} entries but ts has ${count}; give one per knot.`);
  const first = values[0];
  const m = typeof first === "number" ? 1 : first !== null && typeof first === "object" && typeof first.length === "number" ? first.length : -1;
  if (m < 1) throw new TypeError(`new ${who}({ ${name} }): \`${name}[0]\` must be a number or a non-empty array of numbers; got ${describeValue(first)}.`);
  const flat = new Float64Array(count * m);
  for (let i = 0; i < count; i++) {
    const row = values[i];
    for (let j = 0; j < m; j++) {
      const v = m === 1 && typeof row === "number" ? row : (row as ArrayLike<number> | undefined)?.[j];
      if (typeof v !== "number" || !(Number.isFinite(v) || (allowNaN && Number.isNaN(v))) || (typeof row === "number") !== (typeof first === "number") || (typeof row !== "number" && row.length !== m)) {
        const nan = allowNaN ? " or NaN (missing)" : "";
        throw new RangeError(`new ${who}({ ${name} }): \`${name}[${i}]\` must be ${m === 1 && typeof first === "number" ? `a finite number${nan}` : `an array of ${m} finite numbers${nan}`} (as ${name}[0]); got ${describeValue(row)}.`);
      }
      flat[i * m + j] = v;
    }
  }
  return { flat, m };
}

function knots(ts: ArrayLike<number>, who: string): Float64Array {
  if (ts === null || typeof ts !== "object" || typeof ts.length !== "number") throw new TypeError(`new ${who}({ ts }): \`ts\` must be an array of times; got ${describeValue(ts)}.`);
  if (ts.length < 2) throw new RangeError(`new ${who}({ ts }): at least 2 knots are needed; got ${ts.length}.`);
  const out = Float64Array.from(ts);
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(out[i]!)) throw new RangeError(`new ${who}({ ts }): ts[${i}] = ${out[i]} is not a finite number.`);
    if (i > 0 && !(out[i]! > out[i - 1]!)) throw new RangeError(`new ${who}({ ts }): the knots must increase strictly; ts[${i - 1}] = ${out[i - 1]} and ts[${i}] = ${out[i]}.`);
  }
  return out;
}

function checkKeys(options: unknown, keys: readonly string[], who: string): void {
  if (options === null || typeof options !== "object") throw new TypeError(`new ${who}(options): \`options\` must be an object such as { ts: [0, 1], xs: [0, 2] }; got ${describeValue(options)}.`);
  for (const key of Object.keys(options)) {
    if (!keys.includes(key)) throw new TypeError(`new ${who}(options): unknown option \`${key}\`; the options are ${keys.join(", ")}.`);
  }
}

/**
 * Fills NaN-marked missing values of each channel in place (diffrax's rule): `"linear"` puts the
 * straight line in t between the nearest observed values before and after; `"forward"` repeats
 * the last observed value. Either way leading NaNs take the first observed value and trailing
 * NaNs the last. A channel with no observed value at all is an error.
 */
function fillMissing(flat: Float64Array, ts: Float64Array, m: number, mode: "linear" | "forward", who: string): void {
  const n = ts.length;
  for (let j = 0; j < m; j++) {
    let prev = -1; // last observed knot
    for (let i = 0; i < n; i++) {
      if (Number.isNaN(flat[i * m + j]!)) continue;
      const v = flat[i * m + j]!;
      for (let k = prev + 1; k < i; k++) {
        if (prev < 0 || mode === "forward") flat[k * m + j] = prev < 0 ? v : flat[prev * m + j]!;
        else {
          const a = flat[prev * m + j]!;
          flat[k * m + j] = a + ((ts[k]! - ts[prev]!) / (ts[i]! - ts[prev]!)) * (v - a);
        }
      }
      prev = i;
    }
    if (prev < 0) throw new RangeError(`new ${who}({ xs }): channel ${j} is NaN (missing) at every knot; give at least one observed value per channel.`);
    for (let k = prev + 1; k < n; k++) flat[k * m + j] = flat[prev * m + j]!;
  }
}

/**
 * Knot slopes dᵢ of the C² cubic spline through (tᵢ, xᵢ), each channel, written to row i of `d`.
 * Continuity of X″ at the interior knots gives, with hᵢ = tᵢ₊₁ − tᵢ and δᵢ = (xᵢ₊₁ − xᵢ)/hᵢ,
 *   hᵢ dᵢ₋₁ + 2(hᵢ₋₁ + hᵢ) dᵢ + hᵢ₋₁ dᵢ₊₁ = 3(hᵢ δᵢ₋₁ + hᵢ₋₁ δᵢ),  i = 1 … N−1;
 * natural ends (X″ = 0): 2d₀ + d₁ = 3δ₀ and d_{N−1} + 2d_N = 3δ_{N−1}; not-a-knot ends (X‴
 * continuous at t₁ and t_{N−1}, de Boor, "A Practical Guide to Splines", ch. IV):
 *   h₁ d₀ + (h₀ + h₁) d₁ = ((h₀ + 2(h₀ + h₁)) h₁ δ₀ + h₀² δ₁)/(h₀ + h₁), mirrored at the end.
 * The system is tridiagonal: one Thomas elimination of the matrix, then O(N) per channel.
 * Not-a-knot on 3 knots is the parabola through them; on 2 knots both kinds give the line.
 */
function splineSlopes(ts: Float64Array, x: Float64Array, m: number, kind: "natural" | "notAKnot"): Float64Array {
  const n = ts.length - 1;
  const d = new Float64Array((n + 1) * m);
  const h = (i: number) => ts[i + 1]! - ts[i]!;
  const delta = (i: number, j: number) => (x[(i + 1) * m + j]! - x[i * m + j]!) / h(i);
  if (n === 1 || (kind === "notAKnot" && n === 2)) {
    for (let j = 0; j < m; j++) {
      if (n === 1) d[j] = d[m + j] = delta(0, j);
      else {
        // The parabola through three points: its slope at each knot.
        const d0 = delta(0, j), d1 = delta(1, j), c = (d1 - d0) / (h(0) + h(1));
        d[j] = d0 - c * h(0);
        d[m + j] = d0 + c * h(0);
        d[2 * m + j] = d1 + c * h(1);
      }
    }
    return d;
  }
  // Rows: sub[i] dᵢ₋₁ + diag[i] dᵢ + sup[i] dᵢ₊₁ = rhs(i).
  const sub = new Float64Array(n + 1), diag = new Float64Array(n + 1), sup = new Float64Array(n + 1);
  for (let i = 1; i < n; i++) {
    sub[i] = h(i);
    diag[i] = 2 * (h(i - 1) + h(i));
    sup[i] = h(i - 1);
  }
  const natural = kind === "natural";
  diag[0] = natural ? 2 : h(1);
  sup[0] = natural ? 1 : h(0) + h(1);
  sub[n] = natural ? 1 : h(n - 1) + h(n - 2);
  diag[n] = natural ? 2 : h(n - 2);
  const rhs = (i: number, j: number): number => {
    if (i > 0 && i < n) return 3 * (h(i) * delta(i - 1, j) + h(i - 1) * delta(i, j));
    if (natural) return 3 * delta(i === 0 ? 0 : n - 1, j);
    if (i === 0) {
      const s = h(0) + h(1);
      return ((h(0) + 2 * s) * h(1) * delta(0, j) + h(0) * h(0) * delta(1, j)) / s;
    }
    const s = h(n - 1) + h(n - 2);
    return (h(n - 1) * h(n - 1) * delta(n - 2, j) + (2 * s + h(n - 1)) * h(n - 2) * delta(n - 1, j)) / s;
  };
  // Thomas: eliminate the sub-diagonal once (the matrix is shared by all channels).
  const c = new Float64Array(n + 1), piv = new Float64Array(n + 1);
  piv[0] = diag[0]!;
  c[0] = sup[0]! / piv[0]!;
  for (let i = 1; i <= n; i++) {
    piv[i] = diag[i]! - sub[i]! * c[i - 1]!;
    c[i] = sup[i]! / piv[i]!;
  }
  for (let j = 0; j < m; j++) {
    d[j] = rhs(0, j) / piv[0]!;
    for (let i = 1; i <= n; i++) d[i * m + j] = (rhs(i, j) - sub[i]! * d[(i - 1) * m + j]!) / piv[i]!;
    for (let i = n - 1; i >= 0; i--) d[i * m + j] = d[i * m + j]! - c[i]! * d[(i + 1) * m + j]!;
  }
  return d;
}

/** A path X(t) of m channels on [t0, t1], given by data: what a forcing term reads and a CDE is driven by. */
export abstract class AbstractPath {
  /** The knots. */
  readonly ts: Float64Array;
  /** The number of channels m. */
  readonly size: number;
  /** Index of the interval found last (lookups near it are O(1)). */
  private last = 0;

  protected constructor(ts: Float64Array, size: number, private readonly who: string) {
    this.ts = ts;
    this.size = size;
  }

  /** First knot. */
  get t0(): number {
    return this.ts[0]!;
  }

  /** Last knot. */
  get t1(): number {
    return this.ts[this.ts.length - 1]!;
  }

  /** X(t) into `out` (m values; a new array when omitted). */
  evaluate(t: number, out: Float64Array = new Float64Array(this.size)): Float64Array {
    const i = this.interval(t, "evaluate");
    this.value(i, t, out);
    return out;
  }

  /** X′(t) into `out` (the right-hand derivative at a knot). */
  derivative(t: number, out: Float64Array = new Float64Array(this.size)): Float64Array {
    const i = this.interval(t, "derivative");
    this.slope(i, t, out);
    return out;
  }

  /** X on interval i at t. */
  protected abstract value(i: number, t: number, out: Float64Array): void;
  /** X′ on interval i at t. */
  protected abstract slope(i: number, t: number, out: Float64Array): void;

  /** The interval [ts[i], ts[i+1]) holding t (the last one holds t1 too). */
  private interval(t: number, what: string): number {
    const ts = this.ts;
    const n = ts.length - 1;
    if (!(t >= ts[0]! && t <= ts[n]!)) {
      throw new RangeError(`${this.who}.${what}(t): t = ${t} is outside the data's range [${ts[0]}, ${ts[n]}]; extend the data or solve on a shorter interval.`);
    }
    let i = this.last;
    if (!(ts[i]! <= t && (t < ts[i + 1]! || i === n - 1))) {
      if (i + 1 < n && ts[i + 1]! <= t && (t < ts[i + 2]! || i + 1 === n - 1)) i++;
      else {
        let lo = 0;
        let hi = n - 1;
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if (ts[mid]! <= t) lo = mid;
          else hi = mid - 1;
        }
        i = lo;
      }
      this.last = i;
    }
    return i;
  }
}

/**
 * Piecewise-linear interpolation of data (diffrax's `LinearInterpolation`).
 *
 * @example
 * ```ts
 * const u = new LinearInterpolation({ ts: [0, 1, 3], xs: [0, 2, 0] });
 * u.evaluate(0.5); // [1]
 * u.derivative(2); // [-1]
 * ```
 */
export class LinearInterpolation extends AbstractPath {
  private readonly xs: Float64Array;

  constructor(options: LinearInterpolationOptions) {
    checkKeys(options, ["ts", "xs"], "LinearInterpolation");
    const ts = knots(options.ts, "LinearInterpolation");
    const { flat, m } = flatten(options.xs, ts.length, "LinearInterpolation", "xs", true);
    fillMissing(flat, ts, m, "linear", "LinearInterpolation");
    super(ts, m, "LinearInterpolation");
    this.xs = flat;
  }

  protected value(i: number, t: number, out: Float64Array): void {
    const m = this.size;
    const s = (t - this.ts[i]!) / (this.ts[i + 1]! - this.ts[i]!);
    for (let j = 0; j < m; j++) out[j] = this.xs[i * m + j]! + s * (this.xs[(i + 1) * m + j]! - this.xs[i * m + j]!);
  }

  protected slope(i: number, _t: number, out: Float64Array): void {
    const m = this.size;
    const h = this.ts[i + 1]! - this.ts[i]!;
    for (let j = 0; j < m; j++) out[j] = (this.xs[(i + 1) * m + j]! - this.xs[i * m + j]!) / h;
  }
}

/**
 * Cubic Hermite interpolation of data: with the derivatives at the knots (`dxs`), or, without,
 * the backward Hermite slopes (C¹ and causal; diffrax's `CubicInterpolation` of
 * `backward_hermite_coefficients`). See the module header for the formulas.
 *
 * @example
 * ```ts
 * const x = new CubicInterpolation({ ts: [0, 1, 2, 3], xs: [0, 1, 4, 9] }); // backward Hermite
 * const exact = new CubicInterpolation({ ts: [0, 1, 2], xs: [0, 1, 4], dxs: [0, 2, 4] }); // t² exactly
 * ```
 */
export class CubicInterpolation extends AbstractPath {
  private readonly xs: Float64Array;
  /** Per interval i: the slopes at its left (row 2i) and right (row 2i + 1) ends. */
  private readonly ends: Float64Array;
  /** How the slopes were chosen. */
  readonly kind: CubicKind;

  constructor(options: CubicInterpolationOptions) {
    checkKeys(options, ["ts", "xs", "dxs", "kind"], "CubicInterpolation");
    const kind = options.kind ?? (options.dxs !== undefined ? "hermite" : "backwardHermite");
    if (!["hermite", "backwardHermite", "natural", "notAKnot"].includes(kind)) {
      throw new RangeError(`new CubicInterpolation({ kind }): \`kind\` must be "hermite", "backwardHermite", "natural" or "notAKnot"; got ${describeValue(kind)}.`);
    }
    if ((kind === "hermite") !== (options.dxs !== undefined)) {
      throw new TypeError(`new CubicInterpolation({ kind, dxs }): ${kind === "hermite" ? 'kind "hermite" needs the derivatives `dxs`; give them or choose another kind' : `kind "${kind}" computes its own slopes; leave \`dxs\` out or use kind "hermite"`}.`);
    }
    const ts = knots(options.ts, "CubicInterpolation");
    const { flat, m } = flatten(options.xs, ts.length, "CubicInterpolation", "xs", true);
    fillMissing(flat, ts, m, "linear", "CubicInterpolation");
    super(ts, m, "CubicInterpolation");
    this.xs = flat;
    this.kind = kind;
    const n = ts.length - 1;
    const ends = new Float64Array(2 * n * m);
    if (kind === "backwardHermite") {
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < m; j++) {
          const own = (flat[(i + 1) * m + j]! - flat[i * m + j]!) / (ts[i + 1]! - ts[i]!);
          const back = i === 0 ? own : (flat[i * m + j]! - flat[(i - 1) * m + j]!) / (ts[i]! - ts[i - 1]!);
          ends[2 * i * m + j] = back;
          ends[(2 * i + 1) * m + j] = own;
        }
      }
    } else {
      let slopes: Float64Array;
      if (kind === "hermite") {
        const d = flatten(options.dxs!, ts.length, "CubicInterpolation", "dxs");
        if (d.m !== m) throw new RangeError(`new CubicInterpolation({ dxs }): \`dxs\` has ${d.m} channels but xs has ${m}; give derivatives shaped as xs.`);
        slopes = d.flat;
      } else slopes = splineSlopes(ts, flat, m, kind);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < m; j++) {
          ends[2 * i * m + j] = slopes[i * m + j]!;
          ends[(2 * i + 1) * m + j] = slopes[(i + 1) * m + j]!;
        }
      }
    }
    this.ends = ends;
  }

  protected value(i: number, t: number, out: Float64Array): void {
    const m = this.size;
    const h = this.ts[i + 1]! - this.ts[i]!;
    const s = (t - this.ts[i]!) / h;
    const s2 = s * s;
    const s3 = s2 * s;
    const h00 = 2 * s3 - 3 * s2 + 1;
    const h10 = (s3 - 2 * s2 + s) * h;
    const h01 = 3 * s2 - 2 * s3;
    const h11 = (s3 - s2) * h;
    for (let j = 0; j < m; j++) {
      out[j] = h00 * this.xs[i * m + j]! + h10 * this.ends[2 * i * m + j]! + h01 * this.xs[(i + 1) * m + j]! + h11 * this.ends[(2 * i + 1) * m + j]!;
    }
  }

  protected slope(i: number, t: number, out: Float64Array): void {
    const m = this.size;
    const h = this.ts[i + 1]! - this.ts[i]!;
    const s = (t - this.ts[i]!) / h;
    const s2 = s * s;
    const d00 = (6 * s2 - 6 * s) / h;
    const d10 = 3 * s2 - 4 * s + 1;
    const d01 = (6 * s - 6 * s2) / h;
    const d11 = 3 * s2 - 2 * s;
    for (let j = 0; j < m; j++) {
      out[j] = d00 * this.xs[i * m + j]! + d10 * this.ends[2 * i * m + j]! + d01 * this.xs[(i + 1) * m + j]! + d11 * this.ends[(2 * i + 1) * m + j]!;
    }
  }
}

/**
 * Piecewise-constant interpolation of data (a zero-order hold; diffrax's `rectilinear_interpolation`
 * seen as a function of t): X(t) = xᵢ on [tᵢ, tᵢ₊₁), X(t_N) = x_N, so X is right-continuous and
 * jumps at each knot; X′ = 0 (the jumps are not Dirac masses: as the control of a `CDETerm` the path
 * contributes nothing, as a forcing term it switches). Give the knots as `jumpTs`. NaN-marked
 * missing values are forward-filled (leading NaNs take the first observed value).
 *
 * @example
 * ```ts
 * const rate = new RectilinearInterpolation({ ts: [0, 1, 4], xs: [5, 0, 0] });
 * rate.evaluate(0.5); // [5]
 * rate.evaluate(1); // [0]
 * ```
 */
export class RectilinearInterpolation extends AbstractPath {
  private readonly xs: Float64Array;

  constructor(options: RectilinearInterpolationOptions) {
    checkKeys(options, ["ts", "xs"], "RectilinearInterpolation");
    const ts = knots(options.ts, "RectilinearInterpolation");
    const { flat, m } = flatten(options.xs, ts.length, "RectilinearInterpolation", "xs", true);
    fillMissing(flat, ts, m, "forward", "RectilinearInterpolation");
    super(ts, m, "RectilinearInterpolation");
    this.xs = flat;
  }

  protected value(i: number, t: number, out: Float64Array): void {
    const m = this.size;
    const row = t === this.ts[i + 1] ? i + 1 : i; // the last interval holds t_N, whose value is x_N
    for (let j = 0; j < m; j++) out[j] = this.xs[row * m + j]!;
  }

  protected slope(_i: number, _t: number, out: Float64Array): void {
    out.fill(0, 0, this.size);
  }
}
