/**
 * Complex-valued states as interleaved real arrays: z_k is (y[2k], y[2k+1]) = (Re z_k, Im z_k), the
 * layout of C, BLAS and FFT libraries. Every solver then integrates the real system of twice the
 * size unchanged (for a holomorphic f, implicit solvers' Jacobians are the real 2 × 2 blocks
 * [[a, −b], [b, a]] of f′ = a + ib, by finite differences or from `jac`); `ComplexNorm` makes
 * step-size control measure errors on |z| rather than on the real and imaginary parts apart.
 *
 * `y0` may also be an array of `{ re, im }` objects (flattened in that key order), and
 * `sol.ysAs(i)` then gives such objects back.
 */

/** A complex number (a type alias, so that arrays of them are valid `y0` states). */
export type Complex = { re: number; im: number };

/**
 * The interleaved state [Re z₀, Im z₀, Re z₁, …] of complex values given as `{ re, im }`,
 * `[re, im]` pairs or real numbers.
 *
 * @example
 * ```ts
 * complexState([{ re: 1, im: 0 }, [0, 1], 2]); // Float64Array [1, 0, 0, 1, 2, 0]
 * ```
 */
export function complexState(values: readonly (Complex | readonly [number, number] | number)[]): Float64Array {
  if (!Array.isArray(values)) throw new TypeError("complexState(values): `values` must be an array of { re, im }, [re, im] or numbers.");
  const out = new Float64Array(2 * values.length);
  values.forEach((v, k) => {
    let re: unknown, im: unknown;
    if (typeof v === "number") [re, im] = [v, 0];
    else if (Array.isArray(v)) [re, im] = v;
    else if (v !== null && typeof v === "object") ({ re, im } = v as Complex);
    if (typeof re !== "number" || typeof im !== "number" || !Number.isFinite(re) || !Number.isFinite(im)) {
      throw new TypeError(`complexState(values): values[${k}] must be { re, im }, [re, im] or a number, with finite parts; got ${JSON.stringify(v)}.`);
    }
    out[2 * k] = re;
    out[2 * k + 1] = im;
  });
  return out;
}

/**
 * The complex values of an interleaved row (a saved state `sol.ys[i]`, or `sol.evaluate(t)`).
 *
 * @example
 * ```ts
 * complexValues(sol.ys[0]); // [{ re, im }, …]
 * ```
 */
export function complexValues(row: ArrayLike<number>): Complex[] {
  if (row.length % 2 !== 0) throw new RangeError(`complexValues(row): the row has ${row.length} entries; an interleaved complex row has an even number.`);
  const out: Complex[] = [];
  for (let k = 0; 2 * k < row.length; k++) out.push({ re: row[2 * k]!, im: row[2 * k + 1]! });
  return out;
}
