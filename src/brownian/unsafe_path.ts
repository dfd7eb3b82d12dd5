/**
 * A Brownian path for fixed steps: each increment is sampled directly, with no tree.
 */
import { AbstractBrownianPath, type BrownianPathOptions, checkKeys } from "./path.js";
import { normalPair } from "./philox.js";

/** Options of {@link UnsafeBrownianPath}. */
export type UnsafeBrownianPathOptions = BrownianPathOptions;

const KEYS = ["shape", "seed", "levyArea"];
/** Counter domain tags: increments and Lévy areas of UnsafeBrownianPath. */
export const UNSAFE_W_TAG = 0x0a5e0001;
export const UNSAFE_H_TAG = 0x0a5e0002;

const bits = new Float64Array(1);
// Signed words: small integers in V8 (an unsigned word ≥ 2³¹ would be boxed when passed on).
const bitWords = new Int32Array(bits.buffer);

/**
 * A Brownian motion whose increment over [t, t + dt] is √dt·Z, with Z ~ N(0, I) from Philox4x32-10
 * keyed by the seed and counted by the bits of t. The cheapest path: one Philox block per two
 * components and step, no memory. "Unsafe" because only a sequence of abutting, non-overlapping
 * intervals forms a Brownian path: asking for [t, t + dt'] after [t, t + dt] reuses Z instead of
 * conditioning on it. So it serves fixed steps only (ConstantStepSize, StepTo); `diffeqsolve`
 * refuses it with PIDController. Still a pure function of (seed, t, dt): the same solve gives the
 * same path, and each seed gives one trajectory of an ensemble.
 *
 * With `levyArea: "space-time"` it also gives H = √(dt/12)·Z′, independent of the
 * increment. The increments do not depend on `levyArea`.
 *
 * Reference: the counter-based design follows Salmon et al., SC'11 (2011); as in diffrax's
 * `UnsafeBrownianPath` (P. Kidger, "On Neural Differential Equations", DPhil thesis, Oxford 2021).
 *
 * @example
 * ```ts
 * const bm = new UnsafeBrownianPath({ shape: 1, seed: 7 });
 * diffeqsolve({ terms, solver: new EulerMaruyama(), t0: 0, t1: 1, dt0: 1e-3, y0: [1],
 *   stepsizeController: new ConstantStepSize() });
 * ```
 */
export class UnsafeBrownianPath extends AbstractBrownianPath {
  readonly revisitable = false as const;
  private readonly z: Float64Array;
  /** The last |dt| and its square root (fixed steps ask for the same dt again and again), and the last t and dt asked for. */
  private readonly q = new Float64Array([0, 0, NaN, NaN]);

  constructor(options: UnsafeBrownianPathOptions = {}) {
    const what = "new UnsafeBrownianPath(options)";
    checkKeys(options, KEYS, what);
    super(options, what);
    this.z = new Float64Array(2);
  }

  /** The same path settings with another seed: one path per ensemble member. */
  withSeed(seed: number): UnsafeBrownianPath {
    return new UnsafeBrownianPath({ shape: this.shape, seed, levyArea: this.levyArea });
  }

  /** A new solve may start anywhere: forget the last interval asked for. */
  override startSolve(): void {
    this.q[2] = NaN;
    this.q[3] = NaN;
  }

  incrementAt(times: Float64Array, w: Float64Array, h: Float64Array | null): void {
    const m = this.size;
    const t = times[0]!;
    const dt = times[1]!;
    bits[0] = t;
    const lo = bitWords[0]!;
    const hi = bitWords[1]!;
    const sign = dt < 0 ? -1 : 1;
    const cache = this.q;
    if (t === cache[2] && dt !== cache[3]) {
      // The same start with another step: a rejected adaptive step. Drawing the same Z again would
      // not be the Brownian motion conditioned on what was seen, so refuse.
      throw new Error(
        `UnsafeBrownianPath: asked for [${t}, ${t} + ${dt}] after [${t}, ${t} + ${cache[3]}]; an interval cannot be revisited ` +
          "(a rejected adaptive step). Use a VirtualBrownianTree ({ t0, t1, tol, shape, seed }) for adaptive steps.",
      );
    }
    cache[2] = t;
    cache[3] = dt;
    const adt = sign * dt;
    if (adt !== cache[0]) {
      cache[0] = adt;
      cache[1] = Math.sqrt(adt);
    }
    const q = cache[1]!;
    const z = this.z;
    // For dt < 0, W(t + dt) − W(t) = −(W(t) − W(t + dt)): the same law, negated.
    const qs = sign * q;
    for (let b = 0; 2 * b < m; b++) {
      normalPair(lo, hi, b, UNSAFE_W_TAG, this.k0, this.k1, z, 0);
      w[2 * b] = qs * z[0]!;
      if (2 * b + 1 < m) w[2 * b + 1] = qs * z[1]!;
    }
    if (h !== null && this.levyArea === "space-time") {
      const qh = q * Math.sqrt(1 / 12);
      for (let b = 0; 2 * b < m; b++) {
        normalPair(lo, hi, b, UNSAFE_H_TAG, this.k0, this.k1, z, 0);
        h[2 * b] = qh * z[0]!;
        if (2 * b + 1 < m) h[2 * b + 1] = qh * z[1]!;
      }
    }
  }
}
