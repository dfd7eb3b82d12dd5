/**
 * Bracketing root finders for event location: the Illinois variant of regula falsi for numeric
 * conditions, bisection for boolean ones. Both work on a bracket [ta, tb] in time (ta may be
 * greater than tb, for backward solves) and allocate nothing: the function is an object with a
 * `value(t)` method, so no closure is made per call.
 */

/** A scalar function of time, evaluated without allocation. */
export interface ScalarFunctionOfTime {
  value(t: number): number;
}

/** Most iterations of either finder; the bisection safeguard needs at most ~3 × 64. */
const MAX_ITERATIONS = 400;

/** The bracket width asked for: `tol`, or a few ulps of t (2ε|t| is two to four ulps). */
function width(ta: number, tb: number, tol: number): number {
  // MIN_VALUE keeps a bracket around t = 0 finite.
  return Math.max(tol, 2 * Number.EPSILON * Math.max(Math.abs(ta), Math.abs(tb)), Number.MIN_VALUE);
}

/** Whether a bracket of ends ta, tb is as small as asked. */
function converged(ta: number, tb: number, tol: number): boolean {
  return Math.abs(tb - ta) <= width(ta, tb, tol);
}

/**
 * The Illinois method (regula falsi that halves the retained end's value when the same end is
 * kept twice in a row), safeguarded by bisection whenever two iterations fail to halve the
 * bracket, and (as in CVODE's root finder) keeping each new point at least half the asked-for
 * width away from both ends, so that once the secant has found the root the bracket collapses
 * onto it instead of creeping. Requires `ga ≠ 0` and `gb` of the opposite sign or zero. Returns the end of the final
 * bracket on `tb`'s side, so the returned time is at the root or just past it (in the direction
 * from ta to tb): the condition has already changed sign there.
 *
 * Convergence is superlinear (order ≈ 1.44) for a simple root.
 *
 * Reference: M. Dowell & P. Jarratt, "A modified regula falsi method for computing the root of an
 * equation", BIT 11 (1971) 168–174.
 *
 * @example
 * ```ts
 * illinois({ value: (t) => t * t - 2 }, 0, -2, 2, 2, 0); // ≈ √2, within a few ulps
 * ```
 */
export function illinois(g: ScalarFunctionOfTime, ta: number, ga: number, tb: number, gb: number, tol: number): number {
  const sa = ga > 0;
  let kept = 0; // +1: ta was kept by the last iteration, −1: tb was kept
  let w1 = Infinity; // bracket widths one and two iterations ago
  let w2 = Infinity;
  for (let iter = 0; iter < MAX_ITERATIONS; iter++) {
    const w = Math.abs(tb - ta);
    const wTol = width(ta, tb, tol);
    if (gb === 0 || w <= wTol) return tb;
    let tm: number;
    if (w > 0.5 * w2) {
      tm = 0.5 * (ta + tb);
    } else {
      tm = tb - (gb * (tb - ta)) / (gb - ga);
      // A secant point that rounds onto (or past) an end is pulled in below; NaN bisects.
      if (tm !== tm) tm = 0.5 * (ta + tb);
    }
    const half = 0.5 * wTol;
    const s = tb > ta ? 1 : -1;
    if (s * (tm - ta) < half) tm = ta + s * half;
    else if (s * (tb - tm) < half) tm = tb - s * half;
    w2 = w1;
    w1 = w;
    const gm = g.value(tm);
    if (gm === 0 || gm > 0 !== sa) {
      tb = tm;
      gb = gm;
      if (kept === 1) ga *= 0.5;
      kept = 1;
    } else {
      ta = tm;
      ga = gm;
      if (kept === -1) gb *= 0.5;
      kept = -1;
    }
  }
  return tb;
}

/**
 * Bisection on the sign of g: `g(ta)` has sign `sa` (±1), g(tb) the other sign (or 0). Returns the
 * end of the final bracket on `tb`'s side (where the sign has already changed). Used for boolean
 * conditions, whose switch has no slope for a secant to use.
 *
 * @example
 * ```ts
 * bisectSign({ value: (t) => (t > 0.3 ? 1 : -1) }, 0, -1, 1, 0); // ≈ 0.3, just above it
 * ```
 */
export function bisectSign(g: ScalarFunctionOfTime, ta: number, sa: number, tb: number, tol: number): number {
  for (let iter = 0; iter < MAX_ITERATIONS; iter++) {
    if (converged(ta, tb, tol)) return tb;
    const tm = 0.5 * (ta + tb);
    if (tm === ta || tm === tb) return tb;
    const gm = g.value(tm);
    if (gm === 0 || gm > 0 !== sa > 0) tb = tm;
    else ta = tm;
  }
  return tb;
}
