/** Bit-level helpers for IEEE-754 doubles (used to step just past discontinuities). */

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/** The next representable double after `x` towards +Infinity. */
export function nextUp(x: number): number {
  if (Number.isNaN(x) || x === Infinity) return x;
  if (x === 0) return Number.MIN_VALUE;
  f64[0] = x;
  u64[0] = x > 0 ? u64[0]! + 1n : u64[0]! - 1n;
  return f64[0]!;
}

/** The next representable double after `x` towards -Infinity. */
export function nextDown(x: number): number {
  return -nextUp(-x);
}

/** The next double after `x` in the direction `dir` (+1 or -1). */
export function nextAfter(x: number, dir: number): number {
  return dir >= 0 ? nextUp(x) : nextDown(x);
}
