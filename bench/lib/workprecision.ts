/**
 * Work-precision: run a solver over a list of tolerances, measure the achieved error against a
 * reference solution and the time of each solve; then compare solvers at matched achieved error
 * (not at matched tolerance, which means different things to different codes) by interpolating
 * log(time) against log(error) along each curve.
 */
import { consume, timeIt, type TimingOptions } from "./timing.js";

/** One solve of a sweep. */
export interface WPPoint {
  rtol: number;
  atol: number;
  /** Achieved error: max_i |y_i(t1) − y_ref,i|. */
  error: number;
  /** Seconds per solve, fastest batch. */
  time: number;
  /** Seconds per solve, median batch. */
  timeMedian: number;
  /** CPU seconds per solve, fastest batch (undefined where the peer did not report it). */
  cpu?: number;
  steps?: number;
  fevals?: number;
}

/** One solver's sweep. */
export interface WPCurve {
  solver: string;
  points: WPPoint[];
  /** Why tolerances were skipped or solves failed. */
  notes: string[];
}

/** What a solve hands back: the final state and what the solver reports about its work. */
export interface SolveOutcome {
  y: ArrayLike<number>;
  steps?: number;
  fevals?: number;
}

/** The benchmark's error measure: max-norm of the difference at t1. */
export function maxError(y: ArrayLike<number>, ref: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(y[i]! - ref[i]!);
    e = d > e || d !== d ? d : e;
  }
  return e;
}

/** Default tolerance ladder: rtol = 1e-4 … 1e-12, every decade. */
export function rtolLadder(quick: boolean): number[] {
  return quick ? [1e-4, 1e-7, 1e-10] : [1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12];
}

export interface SweepOptions extends TimingOptions {
  /** Absolute tolerance for a relative one. */
  atolOf: (rtol: number) => number;
  /**
   * Stop the sweep (tighter tolerances cost more) once one solve takes longer than this many
   * seconds, so a slow peer cannot eat the benchmark's time budget. @defaultValue 2
   */
  maxSolveSeconds?: number;
}

/** Runs `solve` at each tolerance (loosest first), measures error and time. */
export function sweep(
  solver: string,
  rtols: readonly number[],
  solve: (rtol: number, atol: number) => SolveOutcome,
  reference: ArrayLike<number>,
  options: SweepOptions,
): WPCurve {
  const maxSolve = options.maxSolveSeconds ?? 2;
  const curve: WPCurve = { solver, points: [], notes: [] };
  for (const rtol of rtols) {
    const atol = options.atolOf(rtol);
    let out: SolveOutcome;
    const a = performance.now();
    try {
      out = solve(rtol, atol);
    } catch (e) {
      curve.notes.push(`rtol ${rtol}: failed (${(e as Error).message.split("\n")[0]!.slice(0, 160)})`);
      continue;
    }
    const first = (performance.now() - a) / 1e3;
    const error = maxError(out.y, reference);
    if (!Number.isFinite(error)) {
      curve.notes.push(`rtol ${rtol}: non-finite result`);
      continue;
    }
    const timing = timeIt(() => consume(solve(rtol, atol)), options);
    const p: WPPoint = { rtol, atol, error, time: timing.min, timeMedian: timing.median, cpu: timing.cpu };
    if (out.steps !== undefined) p.steps = out.steps;
    if (out.fevals !== undefined) p.fevals = out.fevals;
    curve.points.push(p);
    if (Math.max(first, timing.min) > maxSolve) {
      const rest = rtols.filter((r) => r < rtol);
      if (rest.length > 0) curve.notes.push(`rtol ≤ ${rest[0]} skipped: one solve at rtol ${rtol} took ${Math.max(first, timing.min).toFixed(2)} s (budget ${maxSolve} s)`);
      break;
    }
  }
  return curve;
}

/** The same curve with CPU time as its time (points without a CPU time are dropped). */
export function cpuCurve(c: WPCurve): WPCurve {
  return { solver: c.solver, notes: c.notes, points: c.points.filter((p) => p.cpu !== undefined).map((p) => ({ ...p, time: p.cpu! })) };
}

/**
 * Points with a usable error, sorted by error: positive, finite, and at least `minError` (errors
 * near the reference's own uncertainty say nothing about the solver).
 */
function usable(c: WPCurve, minError = 0): WPPoint[] {
  return c.points.filter((p) => p.error > 0 && p.error >= minError && Number.isFinite(p.error) && p.time > 0).sort((x, y) => x.error - y.error);
}

/** [smallest, largest] achieved error of a curve, or null. */
export function errorRange(c: WPCurve, minError = 0): [number, number] | null {
  const ps = usable(c, minError);
  return ps.length === 0 ? null : [ps[0]!.error, ps[ps.length - 1]!.error];
}

/**
 * Time the curve needs for achieved error `e`, by linear interpolation of log(time) in log(error)
 * between the two points that bracket `e` (sorted by error); undefined outside the curve's range.
 */
export function timeAtError(c: WPCurve, e: number, minError = 0): number | undefined {
  const ps = usable(c, minError);
  if (ps.length === 0 || e < ps[0]!.error || e > ps[ps.length - 1]!.error) return undefined;
  for (let i = 0; i < ps.length; i++) {
    const p = ps[i]!;
    if (p.error === e) return p.time;
    const q = ps[i + 1];
    if (q !== undefined && p.error < e && e < q.error) {
      const s = (Math.log(e) - Math.log(p.error)) / (Math.log(q.error) - Math.log(p.error));
      return Math.exp(Math.log(p.time) + s * (Math.log(q.time) - Math.log(p.time)));
    }
  }
  return undefined;
}

/** The fastest of several curves at error e (the lower envelope); undefined where none reaches e. */
export function bestTimeAtError(curves: readonly WPCurve[], e: number, minError = 0): { time: number; solver: string } | undefined {
  let best: { time: number; solver: string } | undefined;
  for (const c of curves) {
    const t = timeAtError(c, e, minError);
    if (t !== undefined && (best === undefined || t < best.time)) best = { time: t, solver: c.solver };
  }
  return best;
}

/** Comparison of a peer with ours at matched error. */
export interface MatchedComparison {
  peer: string;
  /**
   * "overlap": ratios at errors both reach. "dominates": ours never reaches an error as large as the
   * peer's smallest, i.e. ours is more accurate at every tolerance; the one ratio then compares the
   * fastest solve of each, a lower bound on the ratio at every matched error (ours would be faster
   * still at the peer's larger errors).
   * "none": no comparison possible (the peer is more accurate everywhere, or one curve is empty).
   */
  kind: "overlap" | "dominates" | "none";
  /** Peer time / our time at each matched error (ours = the fastest of our curves there). */
  ratios: { error: number; ours: number; oursSolver: string; peer: number; ratio: number }[];
  min: number;
  geomean: number;
  max: number;
}

/**
 * Compares a peer with the fastest of `ours` at matched achieved errors: every error of either
 * curve's points that both reach. Points with error below `minError` (the reference's uncertainty,
 * with a margin) are left out.
 */
export function compareAtMatchedError(ours: readonly WPCurve[], peer: WPCurve, minError = 0): MatchedComparison {
  const res: MatchedComparison = { peer: peer.solver, kind: "none", ratios: [], min: NaN, geomean: NaN, max: NaN };
  const pr = errorRange(peer, minError);
  const ranges = ours.map((c) => errorRange(c, minError)).filter((r): r is [number, number] => r !== null);
  if (pr === null || ranges.length === 0) return res;
  const errors = new Set<number>();
  for (const p of usable(peer, minError)) errors.add(p.error);
  for (const c of ours) for (const p of usable(c, minError)) errors.add(p.error);
  for (const e of [...errors].sort((a, b) => a - b)) {
    const pt = timeAtError(peer, e, minError);
    const ot = bestTimeAtError(ours, e, minError);
    if (pt !== undefined && ot !== undefined) res.ratios.push({ error: e, ours: ot.time, oursSolver: ot.solver, peer: pt, ratio: pt / ot.time });
  }
  if (res.ratios.length > 0) {
    res.kind = "overlap";
  } else {
    // No common error: is ours more accurate everywhere (its largest error below the peer's smallest)?
    const oursMax = Math.max(...ranges.map((r) => r[1]));
    if (oursMax < pr[0]) {
      // The peer's fastest point against ours at its fastest: ours would be faster still at the
      // peer's (larger) errors, so this is a lower bound on the ratio at every peer error.
      let peerBest = usable(peer, minError)[0]!;
      for (const p of usable(peer, minError)) if (p.time < peerBest.time) peerBest = p;
      let oursLoosest: { time: number; solver: string; error: number } | undefined;
      for (const c of ours) {
        for (const p of usable(c, minError)) if (oursLoosest === undefined || p.time < oursLoosest.time) oursLoosest = { time: p.time, solver: c.solver, error: p.error };
      }
      if (oursLoosest !== undefined) {
        res.kind = "dominates";
        res.ratios.push({ error: peerBest.error, ours: oursLoosest.time, oursSolver: oursLoosest.solver, peer: peerBest.time, ratio: peerBest.time / oursLoosest.time });
      }
    }
  }
  if (res.ratios.length > 0) {
    const rs = res.ratios.map((r) => r.ratio);
    res.min = Math.min(...rs);
    res.max = Math.max(...rs);
    res.geomean = Math.exp(rs.reduce((s, r) => s + Math.log(r), 0) / rs.length);
  }
  return res;
}
