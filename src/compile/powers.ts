/**
 * Powers with a constant exponent, `Math.pow(x, c)` and `x ** c`, reduced to multiplications,
 * square roots and a cube root.
 *
 * `Math.pow` is a general routine (logarithm, exponential and the special cases of IEEE 754
 * `pow`): about 100 ns a call in V8 for `x ** 1.5`, against about 10 ns for `x * Math.sqrt(x)`.
 * With a constant exponent the compiler emits the cheap form instead:
 *
 * | exponent c | emitted for `x ** c` |
 * |---|---|
 * | integer 2 ≤ k ≤ {@link MAX_REDUCED_POWER} | binary powering: `x * x`, `(x * x) * x`, `(x * x) * (x * x)`, … |
 * | −k (integer, 1 ≤ k ≤ {@link MAX_REDUCED_POWER}) | `1 / x^k` (x^k as above) |
 * | k + ½ (0 ≤ k ≤ {@link MAX_REDUCED_POWER}) | `x^k * Math.sqrt(x)` (`Math.sqrt(x)` for ½, `x * Math.sqrt(x)` for 1.5) |
 * | −(k + ½) | `1 / (x^k * Math.sqrt(x))` (`1 / Math.sqrt(x)` for −½) |
 * | the double nearest ⅓ | `x < 0 ? NaN : Math.cbrt(x)` |
 *
 * (c = 0 and c = 1 were already `1` and `x`; other exponents keep `Math.pow`.) The rule holds
 * whatever x is: a base known at compile time is folded with the same operations, so `x ** c`
 * has one value whether x is a constant, a parameter or the state.
 *
 * **Rounding.** The reduced forms are not bit-identical to `Math.pow`, which V8 computes with
 * fdlibm's `pow` (error below 1 ulp). A chain of m multiplications and one square root, each
 * correctly rounded, has a relative error of at most about (m + 1)·u, u = 2⁻⁵³ (half an ulp);
 * binary powering to x^k needs ⌊log₂ k⌋ squarings and at most as many further products, and the
 * relative error of a squaring doubles, so x^k can be off by up to (k − 1)·u: exact for x², at most
 * 1 ulp for x³, 1.5 ulps for x⁴, 3.5 ulps for x⁸, which is why the reduction stops at
 * {@link MAX_REDUCED_POWER}. A negative power adds one correctly rounded division. Measured against
 * Math.pow (whose own error is part of the difference) on 410 values in [1e−3, 1e3]: x², √x, x·√x
 * and 1/x equal it, and no reduced power is more than 4 ulps away (test/compile/powers.test.ts
 * prints the maxima).
 * `Math.cbrt(x)` is the cube root, while `Math.pow(x, 1/3)` raises x to the double nearest ⅓,
 * which is 1.85e−17 too small; the two differ by a relative |ln x|·1.85e−17 besides rounding
 * (at most 2.6e−16, about one ulp, for 1e−6 ≤ x ≤ 1e6; 1.3e−14 at x = 1e300).
 *
 * **Special values.** Finite and positive-infinite x, NaN and +0 give Math.pow's values up to the
 * rounding above (the sign of the result included). Two inputs differ: x = −0, where a half-integer
 * power or ⅓ may give a zero or an infinity of the opposite sign (`Math.sqrt(-0)` is −0,
 * `Math.pow(-0, 0.5)` is +0), and x = −∞, where the half-integer powers and ⅓ give NaN instead of
 * Math.pow's +∞ (or +0 for negative c). Negative finite x gives NaN for non-integer c, as Math.pow
 * does. Near the ends of the double range intermediate results can over- or underflow where
 * Math.pow's do not: `1 / x^k` is 0 where Math.pow(x, −k) is a (non-zero) subnormal number, and an
 * x^k that underflows into the subnormals loses digits that Math.pow keeps.
 *
 * **Derivatives.** The expression graph keeps such a power as one node (`POWC`), whose derivative
 * is c·x^(c−1), itself a constant power and reduced the same way (x² → 2x, x^1.5 → 1.5·√x,
 * ⅓ → ∛x / (3x)). The derivative kernels are thus the exact derivatives of x^c written in the
 * reduced forms, not the derivatives of the reduced formulas (which would be 0·∞ = NaN at x = 0
 * for x·√x).
 */

/** Largest |k| reduced for integer exponents and half-integer exponents k + ½. */
export const MAX_REDUCED_POWER = 8;

/** The double nearest 1/3, as written `1 / 3` in source. */
const ONE_THIRD = 1 / 3;

/** Whether `x ** c` with this constant c is emitted in a reduced form (c = 0, 1 excluded: folded earlier). */
export function isReducedPower(c: number): boolean {
  if (c === ONE_THIRD) return true;
  const twice = 2 * c;
  if (!Number.isInteger(twice) || c === 0 || c === 1) return false;
  return Math.abs(Math.trunc(c)) <= MAX_REDUCED_POWER;
}

/** Source of x^k (integer k ≥ 1) by binary powering on the expression `x` (a local name). */
function powerSource(x: string, k: number): string {
  if (k === 1) return x;
  if (k % 2 === 0) {
    const h = powerSource(x, k / 2);
    return `(${h} * ${h})`;
  }
  return `(${powerSource(x, k - 1)} * ${x})`;
}

/** x^k (integer k ≥ 1), the same products in the same order as {@link powerSource}. */
function power(x: number, k: number): number {
  if (k === 1) return x;
  if (k % 2 === 0) {
    const h = power(x, k / 2);
    return h * h;
  }
  return power(x, k - 1) * x;
}

/** The source of `x ** c` for a reduced c (see {@link isReducedPower}); `x` is a local name or an input. */
export function reducedPowerSource(x: string, c: number): string {
  if (c === ONE_THIRD) return `(${x} < 0 ? NaN : Math.cbrt(${x}))`;
  const m = Math.abs(c);
  const k = Math.floor(m);
  const half = m !== k;
  const magnitude = half ? (k === 0 ? `Math.sqrt(${x})` : `${powerSource(x, k)} * Math.sqrt(${x})`) : powerSource(x, k);
  return c > 0 ? magnitude : `1 / (${magnitude})`;
}

/** `x ** c` for a reduced c, evaluated with exactly the operations of {@link reducedPowerSource}. */
export function reducedPower(x: number, c: number): number {
  if (c === ONE_THIRD) return x < 0 ? NaN : Math.cbrt(x);
  const m = Math.abs(c);
  const k = Math.floor(m);
  const half = m !== k;
  const magnitude = half ? (k === 0 ? Math.sqrt(x) : power(x, k) * Math.sqrt(x)) : power(x, k);
  return c > 0 ? magnitude : 1 / magnitude;
}
