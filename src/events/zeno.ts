/**
 * Detection of accumulating events (Zeno behaviour), such as a bouncing ball coming to rest.
 *
 * A ball dropped with restitution e bounces at times t_k whose intervals d_k = t_{k+1} − t_k
 * shrink geometrically, d_{k+1} = e·d_k, so the impacts accumulate at the finite time
 * t* = t_k + d_k·e/(1 − e) (the sum of the remaining intervals). A solve cannot pass t*: every
 * step ends at the next event, the intervals shrink below the resolution of t, and the event
 * location then fails (the ball falls through the floor while the solve reports success).
 *
 * The monitor keeps the last seven times at which a continuous event changed the state and
 * compares sums of two consecutive intervals, P_k = d_k + d_{k−1}, two apart: q = P_k / P_{k−2}.
 * Pairs make the test cover two alternating events too (a ball between two walls, a two-tank
 * system), whose intervals shrink by alternating ratios r₁, r₂ but whose pair sums shrink by
 * r₁r₂. When the last three such ratios are below 1 and agree (within {@link RATIO_SPREAD}), the
 * events accumulate at the sum of the geometric tail, t* = t + P·q/(1 − q) (Aitken's
 * extrapolation of the event times).
 *
 * Reference: K. H. Johansson, M. Egerstedt, J. Lygeros & S. Sastry, "On the regularization of
 * Zeno hybrid automata", Systems & Control Letters 38 (1999) 141–150 (the bouncing ball and the
 * two-tank system as Zeno executions, and their accumulation times).
 */

/** How many event times the monitor keeps: six intervals give three pair ratios. */
const KEPT = 7;

/** Most spread allowed between the three pair ratios (largest / smallest) for a confirmed accumulation. */
const RATIO_SPREAD = 2;

/** @internal Watches the times of state-changing events for geometric accumulation. Allocates only in its constructor. */
export class AccumulationMonitor {
  /** The last event times, a ring buffer; `count` of them are valid. */
  private readonly times = new Float64Array(KEPT);
  private head = 0;
  private count = 0;
  /** Events observed since the last reset. */
  events = 0;
  /** Whether the last observed times accumulate (then `tStar` and `ratio` are set). */
  accumulating = false;
  /** Estimated accumulation time. */
  tStar = NaN;
  /** Estimated ratio of consecutive intervals, √q (for one event bouncing, its restitution). */
  ratio = NaN;

  reset(): void {
    this.head = 0;
    this.count = 0;
    this.events = 0;
    this.accumulating = false;
    this.tStar = NaN;
    this.ratio = NaN;
  }

  /** Adds the time of a state-changing event (times must be monotone in the direction of integration). */
  observe(t: number): void {
    this.times[this.head] = t;
    this.head = (this.head + 1) % KEPT;
    if (this.count < KEPT) this.count++;
    this.events++;
    this.accumulating = false;
    if (this.count < KEPT) return;
    // d[j], j = 0 … 5: intervals from the oldest to the newest.
    const d0 = this.interval(0);
    const d1 = this.interval(1);
    const d2 = this.interval(2);
    const d3 = this.interval(3);
    const d4 = this.interval(4);
    const d5 = this.interval(5);
    const q1 = (d5 + d4) / (d3 + d2);
    const q2 = (d4 + d3) / (d2 + d1);
    const q3 = (d3 + d2) / (d1 + d0);
    const lo = Math.min(q1, q2, q3);
    const hi = Math.max(q1, q2, q3);
    // (NaN from zero intervals fails every comparison: not an accumulation.)
    if (!(lo > 0 && hi < 1 && hi <= RATIO_SPREAD * lo)) return;
    const dir = t >= this.at(0) ? 1 : -1;
    this.accumulating = true;
    this.tStar = t + (dir * (d5 + d4) * q1) / (1 - q1);
    this.ratio = Math.sqrt(q1);
  }

  /** The k-th kept time, oldest first (valid once the buffer is full). */
  private at(k: number): number {
    return this.times[(this.head + k) % KEPT]!;
  }

  /** |t_{k+1} − t_k| over the kept times, oldest first. */
  private interval(k: number): number {
    return Math.abs(this.at(k + 1) - this.at(k));
  }
}
