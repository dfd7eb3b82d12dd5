/**
 * Optimal online checkpointing for repetition number r ≤ 2 (Stumm & Walther's "online_r2"
 * regime): which step-start states to keep while the number of steps is still unknown, such that
 * whenever the forward solve stops after l ≤ β(c, 2) = (c + 2)(c + 1)/2 steps, reversing it with
 * the kept states costs exactly revolve's optimum T(l, c) − (l − 1) recomputed steps.
 *
 * Why it is optimal. Let the kept states be 0 = p₀ < p₁ < … < p_{c−1} ≤ l − 2 (the state l − 1
 * is the solver's current one and is reversed directly). The reverse sweep reverses the segment
 * [p_j, p_{j+1}) (the last one ends at l − 1) with s = c − j checkpoints for T(g, s) recomputed
 * steps, g its length. T(·, s) is convex with slope 1 on [1, s + 1] (revolve.ts), so
 * T(g, s) ≥ g − 1 with equality exactly for 1 ≤ g ≤ β(s, 1) = s + 1, and the tangents add up to
 * Σ (g − 1) = l − 1 − c = T(l, c) − (l − 1) for c + 1 < l ≤ β(c, 2). So for such l the kept set is
 * optimal if and only if every checkpoint is used and the segment with s checkpoints has length
 * 1 … s + 1 (for l ≤ c + 1: every state 0 … l − 2 kept). At l = β(c, 2) this forces the single
 * configuration of segment lengths c + 1, c, …, 2, the one revolve places.
 *
 * The schedule reaches it online, the state at step p being decided once step p + 1 has been
 * accepted (so the solve is known to have at least p + 2 steps and the new segment is never empty):
 *  1. p = 0 … c − 1: keep every state (r = 1).
 *  2. Phases s = c, c − 1, …, 2: the segment with s checkpoints, starting at the checkpoint of
 *     sorted index c − s, grows from length 1 to s + 1 while the s − 1 checkpoints after it form a
 *     run of consecutive states that slides forward: each new state is kept and the first of the
 *     run (sorted index c − s + 1) is dropped, s times. Every segment stays within 1 … s + 1.
 *  3. Phase 1: the last segment grows from 1 to 2 with nothing kept, ending at l = β(c, 2).
 * Beyond β(c, 2) the caller hands over to Wang–Moin–Iaccarino (online.ts). Stumm & Walther's
 * online_r3 continues to β(c, 3); under this cost model no online schedule can stay optimal
 * that far for c ≥ 3: past β(c, 2) the segment with s checkpoints must have length s + 1 … β(s, 2),
 * so a new checkpoint, which starts a last segment of length ≤ 2 and turns the old last one into
 * the segment with 2 checkpoints (length ≤ 2 < 3), can only replace the last checkpoint: only
 * the last two segments can ever grow (the one with 2 checkpoints from 3 to β(2, 2) = 6, the last
 * from 2 to 3), four steps in all. An exhaustive search (test/adjoint/online.test.ts) confirms that
 * optimal online sequences end at l = β(c, 2) + 4 (c = 3 … 7 searched, c = 3 … 5 in the test;
 * β(c, 3) = 20, 35, 56, …), so the
 * r = 3 regime is left to Wang–Moin–Iaccarino.
 *
 * The states kept differ from those of Stumm & Walther's published online_r2 (which skips some
 * states, so writes fewer); the optimality claimed for theirs in this regime is the one proved
 * above for this schedule, which is derived independently from that characterisation.
 *
 * References: P. Stumm and A. Walther, "New algorithms for optimal online checkpointing",
 * SIAM J. Sci. Comput. 32(2), 836–854, 2010; A. Griewank and A. Walther, "Algorithm 799: revolve",
 * ACM TOMS 26(1), 19–45, 2000.
 */

/** {@link StummWaltherR2.next}: keep the state in a free slot. */
export const SW_APPEND = -1;
/** {@link StummWaltherR2.next}: do not keep the state. */
export const SW_SKIP = -2;
/** {@link StummWaltherR2.next}: the optimal regime is over; use another online schedule. */
export const SW_DONE = -3;

/**
 * The r ≤ 2 online schedule for `c` checkpoints: call {@link StummWaltherR2.next} for the states
 * at steps p = 1, 2, 3, … in order (the initial state, p = 0, is always kept and not asked about),
 * each once the solve is known to have at least p + 2 steps.
 *
 * @example
 * ```ts
 * const sw = new StummWaltherR2(3); // optimal for every step count up to β(3, 2) = 10
 * sw.next(1); // SW_APPEND
 * sw.next(3); // 1: overwrite the checkpoint of sorted index 1 (state 1), keep state 3 last
 * ```
 */
export class StummWaltherR2 {
  /** β(c, 2) = (c + 2)(c + 1)/2: every step count up to this is reversed optimally. */
  readonly optimalUpTo: number;
  /** The current phase s (the number of checkpoints of the segment now growing). */
  private phase: number;
  /** States kept so far in this phase. */
  private kept = 0;

  /** @param c the number of checkpoints (the initial state's included), at least 1 */
  constructor(readonly c: number) {
    if (!Number.isInteger(c) || c < 1) throw new RangeError(`StummWaltherR2: c = ${c} must be a whole number ≥ 1.`);
    this.optimalUpTo = ((c + 2) * (c + 1)) / 2;
    this.phase = c;
  }

  /**
   * What to do with the state at step `p` (p = 1, 2, … in order): {@link SW_APPEND} (a free slot),
   * {@link SW_SKIP}, {@link SW_DONE} (from p = β(c, 2) − 1 on), or the sorted index (≥ 1) of the
   * checkpoint to drop, the new state being kept after all others.
   */
  next(p: number): number {
    const c = this.c;
    if (p < c) return SW_APPEND;
    if (p >= this.optimalUpTo - 1) return SW_DONE;
    const s = this.phase;
    if (s < 2) return SW_SKIP;
    if (++this.kept === s) {
      this.phase = s - 1;
      this.kept = 0;
    }
    return c - s + 1;
  }
}
