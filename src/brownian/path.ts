/**
 * The Brownian-motion protocol shared by {@link VirtualBrownianTree} and {@link UnsafeBrownianPath}:
 * increments W(t + dt) − W(t) and, for the order-1.5 solvers, the space–time Lévy area H over the
 * same interval, written into caller-owned buffers (no allocation).
 *
 * The solvers call {@link AbstractBrownianPath.incrementAt}, which reads the interval from a
 * `Float64Array` (`times[0]` = t, `times[1]` = dt) — the step's own `times`, as the solver protocol
 * passes them: V8 boxes a double passed as an argument to a call it does not inline (a 16-byte
 * heap number), so doubles cross calls in typed arrays. `increment(t, dt, w, h)` is the same with
 * plain numbers, for use outside a step loop.
 */
import { describeValue } from "../tree.js";
import { seedToKey } from "./philox.js";

/** Which iterated integral a Brownian path also provides. */
export type LevyArea = "none" | "space-time";

/** Options shared by every Brownian path. */
export interface BrownianPathOptions {
  /** Dimensions of the Brownian motion: a whole number m (m independent motions) or a shape array. @defaultValue 1 */
  shape?: number | readonly number[];
  /** The seed: the whole path is a pure function of it. A whole number 0 ≤ seed < 2⁵³. @defaultValue 0 */
  seed?: number;
  /**
   * `"space-time"` also provides H_{s,u} = (1/h)∫ₛᵘ (W_r − W_s − ((r − s)/h) W_{s,u}) dr (needed by
   * SRA1 and ShARK). @defaultValue "none"
   */
  levyArea?: LevyArea;
}

/**
 * Abstract base of Brownian paths. `incrementAt(times, w, h)` (and its convenience form
 * `increment(t, dt, w, h)`) writes W(t + dt) − W(t) into `w` (length {@link size}) and, when `h` is
 * not null and {@link levyArea} is `"space-time"`, the space–time Lévy area H over [t, t + dt] into `h`.
 *
 * @example
 * ```ts
 * const bm: AbstractBrownianPath = new VirtualBrownianTree({ t0: 0, t1: 1, shape: 2, seed: 1, levyArea: "space-time" });
 * const w = new Float64Array(bm.size), h = new Float64Array(bm.size);
 * bm.increment(0.5, 0.25, w, h); // W(0.75) − W(0.5) and the Lévy area over [0.5, 0.75]
 * ```
 */
export abstract class AbstractBrownianPath {
  /** The shape given (as an array). */
  readonly shape: readonly number[];
  /** Number of independent scalar Brownian motions (the product of the shape). */
  readonly size: number;
  /** The seed. */
  readonly seed: number;
  /** Which Lévy area is available. */
  readonly levyArea: LevyArea;
  /**
   * Whether asking for the same interval twice (or an overlapping one) gives a consistent path:
   * required by adaptive step-size control, which revisits intervals after a rejected step.
   */
  abstract readonly revisitable: boolean;
  /** Philox key words derived from the seed. */
  protected readonly k0: number;
  protected readonly k1: number;

  constructor(options: BrownianPathOptions, what: string) {
    const shape = options.shape ?? 1;
    const dims = typeof shape === "number" ? [shape] : Array.isArray(shape) ? shape.slice() : null;
    if (dims === null || dims.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new RangeError(`${what}: \`shape\` = ${describeValue(shape)} must be a whole number ≥ 1 or an array of them (for example shape: 2).`);
    }
    this.shape = dims;
    this.size = dims.reduce((a, b) => a * b, 1);
    this.seed = options.seed ?? 0;
    const [k0, k1] = seedToKey(this.seed, `${what}: \`seed\``);
    // Kept as signed 32-bit integers: passed to Philox without boxing.
    this.k0 = k0 | 0;
    this.k1 = k1 | 0;
    const levy = options.levyArea ?? "none";
    if (levy !== "none" && levy !== "space-time") {
      throw new RangeError(`${what}: \`levyArea\` = ${describeValue(levy)} must be "none" or "space-time".`);
    }
    this.levyArea = levy;
  }

  /** The interval of {@link increment}, kept in a typed array for {@link incrementAt}. */
  private readonly interval = new Float64Array(2);

  /**
   * Writes W(t + dt) − W(t) into `w` and, when `h` is given and `levyArea` is "space-time", the
   * space–time Lévy area over [t, t + dt] into `h`, where t = `times[0]` and dt = `times[1]`.
   * `dt` may be negative. Allocates nothing: the solvers' entry point (see the module documentation).
   */
  abstract incrementAt(times: Float64Array, w: Float64Array, h: Float64Array | null): void;

  /**
   * {@link incrementAt} with the interval as numbers: W(t + dt) − W(t) into `w` (and the Lévy area
   * into `h`). A convenience outside step loops; a caller that V8 does not inline it into boxes t and dt.
   */
  increment(t: number, dt: number, w: Float64Array, h: Float64Array | null): void {
    const interval = this.interval;
    interval[0] = t;
    interval[1] = dt;
    this.incrementAt(interval, w, h);
  }

  /** Called by the SDE solvers when a solve starts (from `init`); paths that track queries reset here. */
  startSolve(): void {}
}

/** Re-exported from util/options.ts, where every constructor's key check lives. */
export { checkKeys } from "../util/options.js";
