/**
 * Binomial checkpointing (revolve): the closed forms of Griewank & Walther and the optimal split.
 *
 * To reverse l steps of a time-stepping map with s checkpoints (the initial state held in one of
 * them), the fewest forward steps ("advances", not counting the step recomputed with its stages
 * recorded just before it is reversed) is
 *
 *   T(l, s) = r·l − β(s + 1, r − 1),   β(s, r) = C(s + r, s),
 *
 * where the repetition number r is the least integer with β(s, r) ≥ l. An optimal schedule splits
 * [0, l) at m: advance m steps, store the state, reverse [m, l) with s − 1 checkpoints, then [0, m)
 * with s. T is convex and piecewise linear in l, so m + T(l − m, s − 1) + T(m, s) is convex in m
 * and its minimiser is found by bisection on its forward difference.
 *
 * Reference: A. Griewank and A. Walther, "Algorithm 799: revolve: an implementation of
 * checkpointing for the reverse or adjoint mode of computational differentiation", ACM TOMS 26(1),
 * 19–45, 2000 (Proposition 1 and its proof for T and the optimal splits).
 */

/** β(s, r) = C(s + r, s), saturating at 2⁵³ (past any step count). */
export function beta(s: number, r: number): number {
  if (r < 0 || s < 0) return 0;
  let b = 1;
  const k = Math.min(s, r);
  const m = s + r;
  for (let i = 1; i <= k; i++) {
    b = (b * (m - k + i)) / i;
    if (b > 9.007199254740992e15) return Infinity;
  }
  return Math.round(b);
}

/** The repetition number: least r ≥ 0 with β(s, r) ≥ l. */
export function repetitionNumber(l: number, s: number): number {
  // β(s, r) = β(s, r − 1) · (s + r) / r, exact in doubles while below 2⁵³.
  let r = 0;
  let b = 1;
  while (b < l) {
    r++;
    b = Math.round((b * (s + r)) / r);
  }
  return r;
}

/**
 * T(l, s): the fewest advances (forward steps whose stages are not recorded) that reverse `l`
 * steps with `s` ≥ 1 checkpoints, the initial state counted among them (Griewank & Walther 2000).
 * T(1, s) = 0, T(l, 1) = l(l − 1)/2, and T(l, s) = l − 1 when l ≤ s + 1.
 *
 * @example
 * ```ts
 * revolveAdvances(10, 3); // 15
 * ```
 */
export function revolveAdvances(l: number, s: number): number {
  if (l <= 1) return 0;
  if (s < 1) throw new RangeError(`revolveAdvances: s = ${s} checkpoints; at least 1 is needed.`);
  const r = repetitionNumber(l, s);
  return r * l - beta(s + 1, r - 1);
}

/**
 * An optimal split point m ∈ [1, l − 1] for reversing `l` ≥ 2 steps with `s` ≥ 2 checkpoints:
 * a minimiser of m + T(l − m, s − 1) + T(m, s).
 */
export function optimalSplit(l: number, s: number): number {
  // First m whose forward difference is ≥ 0 (the cost is convex in m).
  let lo = 1;
  let hi = l - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const d = 1 + revolveAdvances(l - mid - 1, s - 1) - revolveAdvances(l - mid, s - 1) + revolveAdvances(mid + 1, s) - revolveAdvances(mid, s);
    if (d >= 0) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
