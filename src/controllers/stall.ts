/**
 * Detection of a stalled solve: accepted steps that stay flat and tiny compared with the time
 * span for so long that reaching t1 at that rate would take far more than `maxSteps` steps. An
 * explicit solver held by stability on a stiff problem (Tsit5 on ROBER: dt ≈ 1.5e-3 for a span of
 * 1e5, about 7·10⁷ steps), or an implicit one whose error estimate pins the step (a wrong ∂f/∂t),
 * would otherwise spend all of `maxSteps` (minutes) before failing with `maxStepsReached`.
 *
 * The accepted steps are taken in blocks of `window` steps. A block is flat when its largest step
 * is at most `flatness` times its smallest. The solve is stalled when the last `blocks` blocks are
 * all flat, their mean step did not grow by more than `growth` from the first of them to the last,
 * at the last block's mean step the rest of the span needs more than `factor` times the steps
 * that `maxSteps` leaves, and the flat run covers at least `minFraction` of `maxSteps` (a stiff
 * solve crawling through a transient looks flat for thousands of steps, and then speeds up).
 * Judging only at block ends keeps the per-step cost to a few comparisons; a stall is reported at
 * the earliest after max(`window`·`blocks`, `minFraction`·`maxSteps`) steps.
 *
 * All state lives in one Float64Array allocated by the constructor. {@link StallDetector.observeStep}
 * reads the step from a typed array ([t, dt], the loop's own `stepTimes`), so that no number is
 * boxed even where V8 does not inline the call.
 *
 * @example
 * ```ts
 * const stall = new StallDetector();
 * stall.reset(t0, t1, maxSteps);
 * // after each accepted step of size h from t (stepTimes = [t, h]):
 * if (stall.observeStep(stepTimes)) { result = RESULTS.stalled; detail = stall.detail(); break; }
 * ```
 */

/** Options of {@link StallDetector}. */
export interface StallOptions {
  /** Accepted steps per block. @defaultValue 500 */
  window?: number;
  /** Consecutive flat blocks needed. @defaultValue 3 */
  blocks?: number;
  /** Largest step / smallest step within a flat block, at most. @defaultValue 4 */
  flatness?: number;
  /** Growth of the mean step over the flat blocks, at most. @defaultValue 1.5 */
  growth?: number;
  /** Projected steps to t1 / steps left under maxSteps, more than. @defaultValue 10 */
  factor?: number;
  /**
   * Fraction of `maxSteps` that the flat run must cover before a solve is called stalled: a stiff
   * solve may crawl through a fast transient for thousands of steps and then speed up, which a
   * short window of past steps cannot tell from a stall, so the detector only ends solves that have
   * crawled for a tenth of their budget, and saves the other nine tenths. @defaultValue 0.1
   */
  minFraction?: number;
}

// Slots of the state array.
const T0 = 0;
const T1 = 1;
const MAX_STEPS = 2;
const STEPS = 3; // accepted steps observed
const IN_BLOCK = 4; // steps in the current block
const MIN = 5; // smallest |dt| in the current block
const MAX = 6; // largest
const SUM = 7; // sum of |dt|
const FLAT_RUN = 8; // consecutive flat blocks so far
const FIRST_MEAN = 9; // mean step of the first block of the current flat run
const LAST_MEAN = 10; // mean step of the last completed block
const T_NOW = 11; // t after the last observed step
const PROJECTED = 12; // projected steps to t1 when stalled
const SCRATCH_T = 13; // observe(t, dt) passes through these
const SCRATCH_DT = 14;
const SLOTS = 15;

/** Watches the accepted steps of one solve at a time (reset per solve) for a stall. */
export class StallDetector {
  readonly window: number;
  readonly blocks: number;
  readonly flatness: number;
  readonly growth: number;
  readonly factor: number;
  readonly minFraction: number;
  /** Flat blocks needed in this solve: `blocks`, or more to cover `minFraction` of maxSteps. */
  private needed = 1;
  private readonly s = new Float64Array(SLOTS);
  /** [t, dt] for `observe`, a view made once. */
  private readonly pair = this.s.subarray(SCRATCH_T, SCRATCH_DT + 1);

  constructor(options: StallOptions = {}) {
    this.window = wholeAtLeast(options.window ?? 500, 1, "window");
    this.blocks = wholeAtLeast(options.blocks ?? 3, 1, "blocks");
    this.flatness = atLeast(options.flatness ?? 4, 1, "flatness");
    this.growth = atLeast(options.growth ?? 1.5, 1, "growth");
    this.factor = atLeast(options.factor ?? 10, 1, "factor");
    this.minFraction = options.minFraction ?? 0.1;
    if (!(this.minFraction >= 0 && this.minFraction <= 1)) throw new RangeError(`new StallDetector({ minFraction }): \`minFraction\` = ${String(options.minFraction)} must be a number from 0 to 1.`);
    this.reset(0, 1, Infinity);
  }

  /** Starts watching a solve from t0 to t1 that may take at most `maxSteps` steps. */
  reset(t0: number, t1: number, maxSteps: number): void {
    const s = this.s;
    s.fill(0);
    s[T0] = t0;
    s[T1] = t1;
    s[MAX_STEPS] = maxSteps;
    s[T_NOW] = t0;
    this.needed = Number.isFinite(maxSteps) ? Math.max(this.blocks, Math.ceil((this.minFraction * maxSteps) / this.window)) : this.blocks;
    this.startBlock();
  }

  /** {@link observeStep} for a step of size dt from t (may box t and dt where not inlined). */
  observe(t: number, dt: number): boolean {
    const s = this.s;
    s[SCRATCH_T] = t;
    s[SCRATCH_DT] = dt;
    return this.observeStep(this.pair);
  }

  /**
   * Records one accepted step, times = [t, dt] (the step went from t to t + dt), and returns
   * whether the solve is stalled (then {@link detail} describes it).
   */
  observeStep(times: Float64Array): boolean {
    const s = this.s;
    const h = Math.abs(times[1]!);
    s[T_NOW] = times[0]! + times[1]!;
    s[STEPS]++;
    if (h < s[MIN]!) s[MIN] = h;
    if (h > s[MAX]!) s[MAX] = h;
    s[SUM] += h;
    if (++s[IN_BLOCK] < this.window) return false;
    return this.endBlock();
  }

  /** Judges the block just completed; starts the next. */
  private endBlock(): boolean {
    const s = this.s;
    const mean = s[SUM]! / s[IN_BLOCK]!;
    const flat = s[MAX]! <= this.flatness * s[MIN]! && mean > 0;
    this.startBlock();
    s[LAST_MEAN] = mean;
    if (!flat) {
      s[FLAT_RUN] = 0;
      return false;
    }
    if (s[FLAT_RUN] === 0) s[FIRST_MEAN] = mean;
    s[FLAT_RUN]++;
    if (s[FLAT_RUN]! < this.needed) return false;
    if (mean > this.growth * s[FIRST_MEAN]!) {
      // Still speeding up: restart the run from this block.
      s[FLAT_RUN] = 1;
      s[FIRST_MEAN] = mean;
      return false;
    }
    const projected = Math.abs(s[T1]! - s[T_NOW]!) / mean;
    s[PROJECTED] = projected;
    return projected > this.factor * (s[MAX_STEPS]! - s[STEPS]!);
  }

  private startBlock(): void {
    const s = this.s;
    s[IN_BLOCK] = 0;
    s[MIN] = Infinity;
    s[MAX] = 0;
    s[SUM] = 0;
  }

  /** Accepted steps observed since the last reset. */
  get steps(): number {
    return this.s[STEPS]!;
  }

  /** Steps still needed to reach t1 at the current rate, as projected when the stall was found. */
  get projectedSteps(): number {
    return this.s[PROJECTED]!;
  }

  /** Where and why the solve stalled: the `detail` of a `RESULTS.stalled` result. */
  detail(): string {
    const s = this.s;
    const span = Math.abs(s[T1]! - s[T0]!);
    const n = this.window * this.needed;
    return (
      `t = ${s[T_NOW]}: the last ${n} steps averaged ${s[LAST_MEAN]!.toPrecision(3)} (${(s[LAST_MEAN]! / span).toExponential(1)} of the span), ` +
      `never varying by more than ${this.flatness}× within ${this.window} steps; at that rate reaching t1 = ${s[T1]} needs ` +
      `~${s[PROJECTED]!.toExponential(1)} more steps, and maxSteps = ${s[MAX_STEPS]} leaves ${s[MAX_STEPS]! - s[STEPS]!}`
    );
  }
}

function atLeast(v: number, min: number, name: string): number {
  if (typeof v !== "number" || !(v >= min) || !Number.isFinite(v)) {
    throw new RangeError(`new StallDetector({ ${name} }): \`${name}\` = ${String(v)} must be a finite number ≥ ${min}.`);
  }
  return v;
}

function wholeAtLeast(v: number, min: number, name: string): number {
  atLeast(v, min, name);
  if (!Number.isInteger(v)) throw new RangeError(`new StallDetector({ ${name} }): \`${name}\` = ${v} must be a whole number.`);
  return v;
}
