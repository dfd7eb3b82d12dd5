/**
 * Philox4x32-10: a counter-based random number generator, written here from its specification.
 *
 * A counter-based generator is a keyed bijection `(counter, key) → 128 random bits`: there is no
 * hidden state, so any random number can be recomputed from where it is used (a node of a
 * Brownian tree, a step start time, a trajectory index). Streams are split by deriving new keys.
 *
 * Reference: J. K. Salmon, M. A. Moraes, R. O. Dror and D. E. Shaw, "Parallel random numbers: as
 * easy as 1, 2, 3", Proc. SC'11 (2011), §4.2 (Philox). Known-answer vectors: the Random123
 * distribution's `kat_vectors` (tested in test/sde/philox.test.ts).
 */

/** Philox4x32 round multipliers (Salmon et al. 2011, Table 2). */
const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
/** Weyl key increments: the golden ratio and √3 − 1, in 32-bit fixed point. */
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;
const TWO32 = 4294967296;
const INV32 = 1 / TWO32;

/**
 * Philox4x32 with 10 rounds: writes the four output words of counter (c0, c1, c2, c3) under key
 * (k0, k1) into `out[0..3]` (unsigned 32-bit values). Allocates nothing.
 *
 * @example
 * ```ts
 * const out = new Uint32Array(4);
 * philox4x32(0, 0, 0, 0, 0, 0, out); // 6627e8d5 e169c58d bc57ac4c 9b00dbd8
 * ```
 */
export function philox4x32(
  c0: number, c1: number, c2: number, c3: number, k0: number, k1: number, out: Uint32Array | Float64Array,
): void {
  // Words are kept as signed 32-bit integers (V8's fast representation) and read back unsigned.
  let x0 = c0 | 0, x1 = c1 | 0, x2 = c2 | 0, x3 = c3 | 0;
  let a = k0 | 0, b = k1 | 0;
  for (let r = 0; r < 10; r++) {
    // 32×32 → 64-bit products: the low word exactly by Math.imul; the high word from the double
    // product, whose rounding error (≤ 2¹² in ≈ 2⁶⁴) vanishes when rounding to the nearest whole
    // number after subtracting the exact low word, since (m·x − lo)/2³² is an integer (ToInt32 of
    // v + 0.5 truncates and wraps, which is that rounding for 0 ≤ v < 2³²).
    const lo0 = Math.imul(M0, x0);
    const hi0 = ((M0 * (x0 >>> 0) - (lo0 >>> 0)) * INV32 + 0.5) | 0;
    const lo1 = Math.imul(M1, x2);
    const hi1 = ((M1 * (x2 >>> 0) - (lo1 >>> 0)) * INV32 + 0.5) | 0;
    x0 = hi1 ^ x1 ^ a;
    x1 = lo1;
    x2 = hi0 ^ x3 ^ b;
    x3 = lo0;
    a = (a + W0) | 0;
    b = (b + W1) | 0;
  }
  out[0] = x0 >>> 0;
  out[1] = x1 >>> 0;
  out[2] = x2 >>> 0;
  out[3] = x3 >>> 0;
}

const words = new Float64Array(4);
const TWO_PI = 2 * Math.PI;
/** 2⁻⁵³ and 2⁻²⁶: a 53-bit uniform from two words. */
const INV53 = 1 / 9007199254740992;

/**
 * Two independent standard normal samples from one Philox block, by the Box–Muller transform
 * (G. E. P. Box and M. E. Muller, Ann. Math. Statist. 29 (1958) 610–611) applied to two 53-bit
 * uniforms. Writes `out[offset]` and `out[offset + 1]`. Allocates nothing.
 *
 * @example
 * ```ts
 * const z = new Float64Array(2);
 * normalPair(7, 0, 0, 0, key0, key1, z, 0);
 * ```
 */
export function normalPair(
  c0: number, c1: number, c2: number, c3: number, k0: number, k1: number, out: Float64Array, offset: number,
): void {
  philox4x32(c0, c1, c2, c3, k0, k1, words);
  // u1 ∈ (0, 1]: never 0, so the logarithm is finite; u2 ∈ [0, 1).
  const u1 = ((words[0]! >>> 5) * 67108864 + (words[1]! >>> 6) + 0.5) * INV53;
  const u2 = ((words[2]! >>> 5) * 67108864 + (words[3]! >>> 6)) * INV53;
  const r = Math.sqrt(-2 * Math.log(u1));
  const phi = TWO_PI * u2;
  out[offset] = r * Math.cos(phi);
  out[offset + 1] = r * Math.sin(phi);
}

/**
 * A Philox key (two 32-bit words) from a seed: a whole number 0 ≤ seed < 2⁵³. Throws a RangeError
 * naming `what` otherwise.
 *
 * @example
 * ```ts
 * const [k0, k1] = seedToKey(42, "seed");
 * ```
 */
export function seedToKey(seed: number, what: string): [number, number] {
  if (typeof seed !== "number" || !Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(`${what} = ${String(seed)} must be a whole number from 0 to 2^53 − 1 (for example seed: 42).`);
  }
  const hi = Math.floor(seed / TWO32);
  return [seed - hi * TWO32, hi];
}

const splitOut = new Float64Array(4);
/** Domain tag of key derivation, so split keys never collide with sampling counters. */
const SPLIT_TAG = 0x5b11f00d;

/**
 * Splits a key: the key of sub-stream `index` (a whole number below 2⁵³), as the first two words of
 * Philox applied to (index, tag) under the parent key. Different indices give statistically
 * independent streams; the same index always gives the same key (the splittable-generator idea of
 * Salmon et al. 2011, §2, and JAX's `fold_in`).
 *
 * @example
 * ```ts
 * const child = splitKey(k0, k1, trajectoryIndex); // [k0', k1']
 * ```
 */
export function splitKey(k0: number, k1: number, index: number): [number, number] {
  const hi = Math.floor(index / TWO32);
  philox4x32(index - hi * TWO32, hi, SPLIT_TAG, 0, k0, k1, splitOut);
  return [splitOut[0]!, splitOut[1]!];
}
