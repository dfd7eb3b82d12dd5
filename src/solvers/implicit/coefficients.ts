/**
 * Coefficient matrices of the implicit methods' tableaus (ESDIRK, KenCarp, Rosenbrock), written
 * as the literature prints them: one row per stage, rows as long as the stage's nonzero part.
 */

/**
 * An s × s row-major matrix from ragged rows; entries the rows leave out are 0 (the strictly upper
 * part of a lower-triangular table).
 *
 * @example
 * ```ts
 * rowMajor([[0], [0.5, 0.5]], 2); // Float64Array [0, 0, 0.5, 0.5]
 * ```
 */
export function rowMajor(rows: readonly (readonly number[])[], s: number): Float64Array {
  const out = new Float64Array(s * s);
  rows.forEach((row, i) => row.forEach((v, j) => (out[i * s + j] = v)));
  return out;
}
