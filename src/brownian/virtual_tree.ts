/**
 * The virtual Brownian tree: a Brownian motion on [t0, t1] that is a pure function of (seed, t),
 * so any interval can be asked for again (a rejected step, a backward pass, a finer resolution)
 * and gives the same path, in O(log(1/tol)) memory.
 */
import { AbstractBrownianPath, type BrownianPathOptions, checkKeys } from "./path.js";
import { normalPair } from "./philox.js";
import { describeValue } from "../tree.js";

/** Options of {@link VirtualBrownianTree}. */
export interface VirtualBrownianTreeOptions extends BrownianPathOptions {
  /** Start of the interval on which the path is defined (W(t0) = 0). */
  t0: number;
  /** End of the interval (t1 > t0). */
  t1: number;
  /**
   * Resolution: bisection stops once an interval is shorter than `tol`; inside such a leaf the
   * path is the Brownian bridge's conditional mean given the leaf's W and H. Points on the dyadic
   * grid t0 + k·(t1 − t0)/2^d are exact for every d with (t1 − t0)/2^d ≥ tol.
   * @defaultValue (t1 − t0)·2⁻²⁰
   */
  tol?: number;
}

const KEYS = ["t0", "t1", "tol", "shape", "seed", "levyArea"];
const TWO32 = 4294967296;
/** Counter domain tag: tree nodes (as opposed to UnsafeBrownianPath's step counters). */
const TREE_TAG = 0x7ee0b001;
const MAX_DEPTH = 52;

/**
 * A Brownian motion on [t0, t1] that can be queried at any time, any number of times, in any
 * order, always giving the same path: the virtual Brownian tree of Kidger et al. (2021), with the
 * space–time Lévy area carried through the bisection as in Foster (2020).
 *
 * The root samples W_{t0,t1} ~ N(0, T) and H_{t0,t1} ~ N(0, T/12) (independent). Each node [s, u]
 * of length h with increment W and space–time Lévy area H is split at its midpoint by sampling its
 * halves from their exact conditional law: with Z₁, Z₂ ~ N(0, 1) keyed by the node's index,
 *   W_{s,m} = W/2 + (3/2)H + (√h/4)Z₁,   H_{s,m} = H/4 − (√h/8)Z₁ + (√(h/12)/2)Z₂,
 *   H_{m,u} = H/4 − (√h/8)Z₁ − (√(h/12)/2)Z₂,
 * which follows from W = W₁ + W₂ and H = (H₁ + H₂)/2 + (W₁ − W₂)/4. Random numbers are Philox4x32-10
 * keyed by the seed with the node's heap index as counter, so a path is fully determined by its
 * seed. Below `tol` the path is the conditional mean W_{s,s+rh} = rW + 6r(1 − r)H (a Brownian
 * bridge given W and H). The Lévy area over any interval [a, b] comes from the running integral
 * K(t) = ∫_{t0}^t W dr, which the tree tracks exactly alongside W.
 *
 * Consecutive queries reuse the part of the root-to-leaf path they share (a cache of the last
 * descent), so stepping forward costs O(1) bisections per step on average; the results are
 * bit-identical to a fresh descent. The W path does not depend on `levyArea`.
 *
 * References: P. Kidger, J. Foster, X. Li and T. Lyons, "Efficient and accurate gradients for neural
 * SDEs", NeurIPS 2021 (virtual Brownian tree); J. Foster, "Numerical approximations for stochastic
 * differential equations", DPhil thesis, Oxford 2020, and J. Foster, T. Lyons and H. Oberhauser,
 * "An optimal polynomial approximation of Brownian motion", SIAM J. Numer. Anal. 58 (2020)
 * (space–time Lévy area and its conditional bridge).
 *
 * @example
 * ```ts
 * const bm = new VirtualBrownianTree({ t0: 0, t1: 1, tol: 1e-6, shape: 1, seed: 42 });
 * const dW = new Float64Array(1);
 * bm.increment(0.25, 0.25, dW, null); // W(0.5) − W(0.25): the same numbers every time
 * ```
 */
export class VirtualBrownianTree extends AbstractBrownianPath {
  readonly revisitable = true as const;
  readonly t0: number;
  readonly t1: number;
  readonly tol: number;
  /** Deepest level of the bisection. */
  readonly maxDepth: number;
  // The cached descent: level d holds node [s_d, u_d] with heap index idx_d.
  private depth = -1;
  private readonly s: Float64Array;
  private readonly u: Float64Array;
  private readonly idx: Float64Array;
  private readonly Ws: Float64Array;
  private readonly Wu: Float64Array;
  private readonly Ks: Float64Array;
  private readonly Ku: Float64Array;
  private readonly H: Float64Array;
  private readonly z: Float64Array;
  /** √h and ½√(h/12) of a node at each level (h = (t1 − t0)/2^d), hoisted out of the descent. */
  private readonly sqrtH: Float64Array;
  private readonly sqrtH12: Float64Array;
  /** Queries up to this far outside [t0, t1] (a few ulps: t + dt rounded) are clamped. */
  private readonly slack: number;
  // The time asked for (tq[0]) and the last point evaluated (tq[1]), in a typed array so that
  // passing and keeping times never boxes a number; scratch for the start point of an increment.
  private readonly tq = new Float64Array([NaN, NaN]);
  private readonly lastW: Float64Array;
  private readonly lastK: Float64Array;
  private readonly aW: Float64Array;
  private readonly aK: Float64Array;

  constructor(options: VirtualBrownianTreeOptions) {
    const what = "new VirtualBrownianTree(options)";
    checkKeys(options, KEYS, what);
    super(options, what);
    const { t0, t1 } = options;
    for (const [name, v] of [["t0", t0], ["t1", t1]] as const) {
      if (typeof v !== "number" || !Number.isFinite(v)) throw new TypeError(`${what}: \`${name}\` must be a finite number; got ${describeValue(v)}.`);
    }
    if (!(t1 > t0)) {
      throw new RangeError(`${what}: need t0 < t1; got t0 = ${t0}, t1 = ${t1}. For a backward solve, build the tree over [${Math.min(t0, t1)}, ${Math.max(t0, t1)}].`);
    }
    const T = t1 - t0;
    const tol = options.tol ?? T * 2 ** -20;
    if (typeof tol !== "number" || !(tol > 0) || !(tol >= T * 2 ** -MAX_DEPTH)) {
      throw new RangeError(`${what}: \`tol\` = ${String(tol)} must be a number with (t1 − t0)·2⁻⁵² ≤ tol (here ≥ ${T * 2 ** -MAX_DEPTH}); for example tol: ${T * 2 ** -20}.`);
    }
    this.t0 = t0;
    this.t1 = t1;
    this.tol = tol;
    let depth = 0;
    while (depth < MAX_DEPTH && T * 2 ** -depth > tol) depth++;
    this.maxDepth = depth;
    const m = this.size;
    const L = depth + 1;
    this.s = new Float64Array(L);
    this.u = new Float64Array(L);
    this.idx = new Float64Array(L);
    this.Ws = new Float64Array(L * m);
    this.Wu = new Float64Array(L * m);
    this.Ks = new Float64Array(L * m);
    this.Ku = new Float64Array(L * m);
    this.H = new Float64Array(L * m);
    this.z = new Float64Array(2 * m);
    this.sqrtH = new Float64Array(L);
    this.sqrtH12 = new Float64Array(L);
    for (let d = 0; d < L; d++) {
      const h = T * 2 ** -d;
      this.sqrtH[d] = Math.sqrt(h);
      this.sqrtH12[d] = 0.5 * Math.sqrt(h / 12);
    }
    this.slack = 8 * Number.EPSILON * Math.max(Math.abs(t0), Math.abs(t1));
    this.lastW = new Float64Array(m);
    this.lastK = new Float64Array(m);
    this.aW = new Float64Array(m);
    this.aK = new Float64Array(m);
    this.root();
  }

  /** The same tree (t0, t1, tol, shape, levyArea) with another seed: one path per ensemble member. */
  withSeed(seed: number): VirtualBrownianTree {
    return new VirtualBrownianTree({ t0: this.t0, t1: this.t1, tol: this.tol, shape: this.shape, seed, levyArea: this.levyArea });
  }

  /** Samples Z (2m standard normals) of the node at level d of the cached descent. */
  private sample(d: number): void {
    const index = this.idx[d]!;
    // Both words as int32 (index < 2⁵³, so index / 2³² < 2²¹ truncates exactly): small integers,
    // never boxed when passed on.
    const hi = (index / TWO32) | 0;
    const lo = (index - hi * TWO32) | 0;
    const m = this.size;
    for (let b = 0; b < m; b++) normalPair(lo, hi, b, TREE_TAG, this.k0, this.k1, this.z, 2 * b);
  }

  private root(): void {
    const m = this.size;
    const T = this.t1 - this.t0;
    // The root's (W, H) use counter 0; a node's bisection uses its heap index (the root's is 1).
    this.idx[0] = 0;
    this.sample(0);
    const z = this.z;
    const sT = Math.sqrt(T);
    const sH = Math.sqrt(T / 12);
    this.s[0] = this.t0;
    this.u[0] = this.t1;
    this.idx[0] = 1;
    for (let i = 0; i < m; i++) {
      const W = sT * z[2 * i]!;
      const H = sH * z[2 * i + 1]!;
      this.Ws[i] = 0;
      this.Ks[i] = 0;
      this.Wu[i] = W;
      this.H[i] = H;
      this.Ku[i] = T * (H + 0.5 * W);
    }
    this.depth = 0;
  }

  /** Sets lastW = W(t) and lastK = K(t) = ∫_{t0}^t W dr, for t = tq[0]. */
  private point(): void {
    const tq = this.tq;
    let t = tq[0]!;
    if (t === tq[1]) return;
    // A step's end t + dt may round a few ulps past t1 (or t0 when solving backward).
    if (t > this.t1 && t - this.t1 <= this.slack) t = this.t1;
    else if (t < this.t0 && this.t0 - t <= this.slack) t = this.t0;
    if (!(t >= this.t0 && t <= this.t1)) {
      throw new RangeError(
        `VirtualBrownianTree: time t = ${t} is outside [t0, t1] = [${this.t0}, ${this.t1}]; build the tree over the whole interval solved.`,
      );
    }
    const m = this.size;
    const wOut = this.lastW;
    const kOut = this.lastK;
    const { s, u, idx, Ws, Wu, Ks, Ku, H, z } = this;
    let d = this.depth;
    while (d > 0 && !(s[d]! <= t && t <= u[d]!)) d--;
    for (;;) {
      const o = d * m;
      const sd = s[d]!;
      const ud = u[d]!;
      const h = ud - sd;
      if (t === sd || t === ud) {
        const src = t === sd ? Ws : Wu;
        const srcK = t === sd ? Ks : Ku;
        for (let i = 0; i < m; i++) {
          wOut[i] = src[o + i]!;
          kOut[i] = srcK[o + i]!;
        }
        break;
      }
      if (d === this.maxDepth) {
        // Leaf: the conditional mean of the bridge given W_{s,u} and H_{s,u}.
        const r = (t - sd) / h;
        const cW = 6 * r * (1 - r);
        const cK = h * r * r * (3 - 2 * r);
        for (let i = 0; i < m; i++) {
          const ws = Ws[o + i]!;
          const W = Wu[o + i]! - ws;
          const Hh = H[o + i]!;
          wOut[i] = ws + r * W + cW * Hh;
          kOut[i] = Ks[o + i]! + h * r * ws + 0.5 * h * r * r * W + cK * Hh;
        }
        break;
      }
      // Bisect: sample the halves of node d from their conditional law, keep the half holding t.
      const mid = 0.5 * (sd + ud);
      this.sample(d);
      const right = t > mid;
      const c = o + m;
      const q = this.sqrtH[d]!;
      const q12 = this.sqrtH12[d]!;
      for (let i = 0; i < m; i++) {
        const ws = Ws[o + i]!;
        const W = Wu[o + i]! - ws;
        const Hh = H[o + i]!;
        const z1 = z[2 * i]!;
        const z2 = z[2 * i + 1]!;
        const W1 = 0.5 * W + 1.5 * Hh + 0.25 * q * z1;
        const Hm = 0.25 * Hh - 0.125 * q * z1;
        const H1 = Hm + q12 * z2;
        const wMid = ws + W1;
        const kMid = Ks[o + i]! + 0.5 * h * (H1 + 0.5 * W1 + ws);
        if (right) {
          Ws[c + i] = wMid;
          Ks[c + i] = kMid;
          Wu[c + i] = Wu[o + i]!;
          Ku[c + i] = Ku[o + i]!;
          H[c + i] = Hm - q12 * z2;
        } else {
          Ws[c + i] = ws;
          Ks[c + i] = Ks[o + i]!;
          Wu[c + i] = wMid;
          Ku[c + i] = kMid;
          H[c + i] = H1;
        }
      }
      s[d + 1] = right ? mid : sd;
      u[d + 1] = right ? ud : mid;
      idx[d + 1] = 2 * idx[d]! + (right ? 1 : 0);
      d++;
    }
    this.depth = d;
    tq[1] = t;
  }

  /**
   * W(t) − W(t0), into `out` (allocated when omitted).
   *
   * @example
   * ```ts
   * bm.evaluate(0.5); // Float64Array of length bm.size
   * ```
   */
  evaluate(t: number, out: Float64Array = new Float64Array(this.size)): Float64Array {
    this.tq[0] = t;
    this.point();
    out.set(this.lastW);
    return out;
  }

  incrementAt(times: Float64Array, w: Float64Array, h: Float64Array | null): void {
    const m = this.size;
    const aW = this.aW;
    const aK = this.aK;
    const dt = times[1]!;
    // t + dt is usually the next step's t, so evaluate t first and t + dt last (it stays cached).
    this.tq[0] = times[0]!;
    this.point();
    const bW = this.lastW;
    const bK = this.lastK;
    for (let i = 0; i < m; i++) {
      aW[i] = bW[i]!;
      aK[i] = bK[i]!;
    }
    this.tq[0] = times[0]! + dt;
    this.point();
    if (h !== null && this.levyArea === "space-time") {
      for (let i = 0; i < m; i++) {
        const dW = bW[i]! - aW[i]!;
        // h·H_{a,b} = ∫ₐᵇ (W_r − W_a) dr − (h/2) W_{a,b}.
        h[i] = (bK[i]! - aK[i]!) / dt - aW[i]! - 0.5 * dW;
        w[i] = dW;
      }
    } else {
      for (let i = 0; i < m; i++) w[i] = bW[i]! - aW[i]!;
    }
  }
}
