/**
 * Discontinuity tracking for the method of steps.
 *
 * The solution of a delay equation is not smooth where its history is not: a jump of order k (the
 * k-th derivative jumps; order 0, the state itself) at ξ makes y(t − τ) jump at the t with
 * t − τ(t, y(t)) = ξ, where the vector field's (k)-th derivative and so the solution's (k + 1)-th
 * jump: a jump of order k + 1. At t0 the derivative jumps (order 1: φ′(t0) ≠ f at t0) unless the
 * history is consistent to higher order, and the state itself if y0 ≠ φ(t0) (order 0). A method of
 * order p loses accuracy when a step spans a jump of order ≤ p, so the steps land on every
 * propagated point up to order p (`trackOrder`):
 *
 * - **constant delays**: the successors ξ + τᵢ are known times, kept in a sorted list and handed
 *   to the clip layer as the solver's next stop (`solver.stops`);
 * - **delays that depend on t or y**: the successor of ξ through τᵢ is the root of
 *   g(t) = t − τᵢ(t, y(t)) − ξ. After each accepted step g is checked at the step's end; a sign
 *   change there is located by the Illinois method on the step's interpolant (or, when the step
 *   ended at the predicted root, taken as the step's end). After each step the next root is also
 *   predicted on the extrapolated interpolant, and the solver stops there, so that steps land on it.
 * - **neutral equations** (y′(t − τ) on the right): a jump does not smooth out (order k stays k),
 *   so every propagated point of order ≤ 1 is a jump of the vector field; `maxDiscontinuities`
 *   bounds the list.
 *
 * References: A. Bellen & M. Zennaro, *Numerical Methods for Delay Differential Equations* (2003),
 * §4.1.1 (propagation of discontinuities) and §4.4 (tracking for state-dependent delays); K. W.
 * Neves & A. Feldstein, "Characterization of jump discontinuities for state dependent delay
 * differential equations", J. Math. Anal. Appl. 56 (1976) 689–707.
 */
import { illinois, type ScalarFunctionOfTime } from "../events/rootfind.js";
import { type DelayHistory, pinReferences } from "./history.js";
import type { DelayTerm } from "./term.js";

/** Slots of {@link DiscontinuityTracker.q}. */
const Q_PREDICTED = 0;
/** The pair (source, delay) being evaluated by `value`: the source's time. */
const Q_XI = 1;
/** The time the solve has reached (`pass` and `updateStop` read it: a double argument would be boxed). */
const Q_NOW = 2;

/** @internal The discontinuities of one solve; see the module documentation. */
export class DiscontinuityTracker implements ScalarFunctionOfTime {
  /** stops[0]: the next time the steps must land on (+Infinity when none); read by the clip layer. */
  readonly stops = new Float64Array(1).fill(Infinity);
  readonly q = new Float64Array(3);
  /** The last accepted step: [t, h] (read by `afterAccept`). */
  /** Pending points of the constant delays, ascending: times and orders. */
  private pt: Float64Array = new Float64Array(16);
  private pl: Int32Array = new Int32Array(16);
  private pcount = 0;
  /** Sources for the variable delays: ξ, the order of their successors, and g per delay at the last step's end (NaN: unknown; Infinity: crossed). */
  private st: Float64Array = new Float64Array(8);
  private sl: Int32Array = new Int32Array(8);
  private sg: Float64Array;
  private scount = 0;
  /** Discontinuities registered so far (stats). */
  registered = 0;
  /** The delay index `value` evaluates (a variable delay). */
  private delay = 0;
  private readonly nVar: number;
  private readonly maxLevel: number;
  private readonly eps: number;
  private readonly y: Float64Array;

  constructor(
    private readonly term: DelayTerm,
    private readonly history: DelayHistory,
    private readonly args: unknown,
    order: number,
  ) {
    this.nVar = term.variableDelays.length;
    this.sg = new Float64Array(8 * Math.max(1, this.nVar));
    this.maxLevel = term.trackOrder ?? Math.max(1, order);
    let scale = 1;
    for (const tau of term.constantDelays) if (tau === tau) scale = Math.max(scale, tau);
    this.eps = 1e-12 * scale;
    this.y = new Float64Array(history.n);
    pinReferences(this, ["term", "history", "args"]);
  }

  /** Whether a point of this order is a jump of the vector field itself (the solver restarts there). */
  jumpsVectorField(level: number): boolean {
    return level <= 1;
  }

  /** A jump of order `level` at ξ: its successors through every delay are tracked. */
  register(xi: number, level: number): void {
    if (this.registered >= this.term.maxDiscontinuities) return;
    this.registered++;
    const next = this.term.neutral ? level : level + 1;
    if (next > this.maxLevel) return;
    const delays = this.term.constantDelays;
    for (let i = 0; i < delays.length; i++) {
      const tau = delays[i]!;
      if (tau === tau) this.insert(xi + tau, next);
    }
    if (this.nVar > 0) this.addSource(xi, next);
  }

  /**
   * Pops the pending points at or before t = q[Q_NOW] (registering them, so their successors are
   * tracked); returns the lowest order among those at t (Infinity when none is).
   */
  pass(): number {
    const t = this.q[Q_NOW]!;
    const eps = this.eps * (1 + Math.abs(t));
    let atT = Infinity;
    while (this.pcount > 0 && this.pt[0]! <= t + eps) {
      const xi = this.pt[0]!;
      const level = this.pl[0]!;
      this.pt.copyWithin(0, 1, this.pcount);
      this.pl.copyWithin(0, 1, this.pcount);
      this.pcount--;
      if (Math.abs(xi - t) <= eps && level < atT) atT = level;
      this.register(xi, level);
    }
    return atT;
  }

  /** Sets stops[0] to the next stop after t = q[Q_NOW]: the first pending point or the predicted root. */
  updateStop(): void {
    const t = this.q[Q_NOW]!;
    let next = Infinity;
    for (let k = 0; k < this.pcount; k++) {
      if (this.pt[k]! > t) {
        next = this.pt[k]!;
        break;
      }
    }
    const p = this.q[Q_PREDICTED]!;
    if (p > t && p < next) next = p;
    this.stops[0] = next;
  }

  /** The solve (re)starts at t: pops what lies at or before it and sets the next stop. */
  startAt(t: number): void {
    this.q[Q_NOW] = t;
    this.pass();
    this.updateStop();
  }

  /**
   * After the accepted step [t, t + h] (`step` = [t, h]; stored in the history): pops the points it
   * reached, locates the roots of the variable delays crossed in it and predicts the next, and sets
   * the next stop. Returns the lowest order of a jump at its end (Infinity when none).
   */
  afterAccept(step: Float64Array): number {
    const t = step[0]!;
    const tEnd = t + step[1]!;
    this.q[Q_NOW] = tEnd;
    let level = this.pass();
    if (this.nVar > 0) {
      const crossed = this.afterStep(t, tEnd);
      if (crossed < level) level = crossed;
    }
    this.updateStop();
    return level;
  }

  /** Forgets the predicted root (after a restart the prediction no longer holds). */
  clearPrediction(): void {
    this.q[Q_PREDICTED] = Infinity;
  }

  /**
   * After the accepted step [t, tEnd] (stored in the history): locates the roots of the variable
   * delays' g crossed in it, and predicts the next one. Returns the lowest order of a jump found at
   * tEnd (Infinity when none is).
   */
  private afterStep(t: number, tEnd: number): number {
    let atEnd = Infinity;
    if (this.nVar === 0 || this.scount === 0) {
      this.q[Q_PREDICTED] = Infinity;
      return atEnd;
    }
    const h = tEnd - t;
    const tol = 1e-7 * h + 8 * Number.EPSILON * Math.abs(tEnd);
    const predicted = this.q[Q_PREDICTED]!;
    let best = Infinity;
    const nVar = this.nVar;
    const count = this.scount; // sources registered below are checked from the next step on
    for (let k = 0; k < count; k++) {
      for (let v = 0; v < nVar; v++) {
        const slot = k * nVar + v;
        let g0 = this.sg[slot]!;
        if (g0 === Infinity) continue;
        this.select(k, v);
        if (g0 !== g0) {
          g0 = this.value(t);
          if (!(g0 < 0)) {
            // Crossed before this step (a jump of φ long before t0) or a vanishing delay: nothing ahead.
            this.sg[slot] = Infinity;
            continue;
          }
        }
        const g1 = this.value(tEnd);
        // Where the secant through the two ends meets zero.
        const slope = (g1 - g0) / h;
        const root = slope > 0 ? tEnd - g1 / slope : Infinity;
        if (g1 >= 0 || Math.abs(root - tEnd) <= tol) {
          let at = tEnd;
          if (g1 > 0 && predicted !== tEnd && tEnd - root > tol) at = illinois(this, t, g0, tEnd, g1, tol);
          this.sg[slot] = Infinity;
          this.register(at, this.sl[k]!);
          if (at === tEnd && this.sl[k]! < atEnd) atEnd = this.sl[k]!;
          continue;
        }
        this.sg[slot] = g1;
        // Predict the crossing on the extrapolated interpolant, when it looks near.
        if (root <= tEnd + 8 * h) {
          const p = this.predict(tEnd, g1, h);
          if (p < best) best = p;
        }
      }
    }
    this.q[Q_PREDICTED] = best;
    return atEnd;
  }

  /** The first root of g in (tEnd, tEnd + 4h] on the extrapolated interpolant, or Infinity. */
  private predict(tEnd: number, g1: number, h: number): number {
    const samples = 8;
    let ta = tEnd;
    let ga = g1;
    for (let j = 1; j <= samples; j++) {
      const tb = tEnd + (4 * h * j) / samples;
      const gb = this.value(tb);
      if (gb >= 0 && ga < 0) return illinois(this, ta, ga, tb, gb, 1e-10 * h);
      ta = tb;
      ga = gb;
    }
    return Infinity;
  }

  /** g(s) = s − τ(s, y(s)) − ξ for the selected pair (ScalarFunctionOfTime, for the root finder). */
  value(s: number): number {
    const y = this.history.at(s, this.y);
    const tau = this.history.variableDelay(this.delay, s, y, this.args);
    return s - tau - this.q[Q_XI]!;
  }

  private select(k: number, v: number): void {
    this.q[Q_XI] = this.st[k]!;
    this.delay = this.term.variableDelays[v]!;
  }

  private insert(t: number, level: number): void {
    const eps = this.eps * (1 + Math.abs(t));
    let k = 0;
    while (k < this.pcount && this.pt[k]! < t - eps) k++;
    if (k < this.pcount && Math.abs(this.pt[k]! - t) <= eps) {
      if (level < this.pl[k]!) this.pl[k] = level;
      return;
    }
    if (this.pcount === this.pt.length) {
      this.pt = grow(this.pt, 2 * this.pt.length);
      this.pl = grow(this.pl, 2 * this.pl.length);
    }
    this.pt.copyWithin(k + 1, k, this.pcount);
    this.pl.copyWithin(k + 1, k, this.pcount);
    this.pt[k] = t;
    this.pl[k] = level;
    this.pcount++;
  }

  private addSource(xi: number, level: number): void {
    if (this.scount === this.st.length) {
      this.st = grow(this.st, 2 * this.st.length);
      this.sl = grow(this.sl, 2 * this.sl.length);
      this.sg = grow(this.sg, 2 * this.sg.length);
    }
    const k = this.scount++;
    this.st[k] = xi;
    this.sl[k] = level;
    for (let v = 0; v < this.nVar; v++) this.sg[k * this.nVar + v] = NaN;
  }
}

function grow<T extends Float64Array | Int32Array>(a: T, length: number): T {
  const b = new (a.constructor as new (n: number) => T)(length);
  b.set(a);
  return b;
}
