/**
 * Event detection and handling for the integration loop: after each accepted step, finds the
 * earliest event inside it (root finding on the step's dense interpolant), fires discrete and
 * scheduled events at the step end, and applies `affect`s. The loop only calls `start`, `detect`
 * and `handle`, and reads `nextTime`, `time`, `yPre`.
 *
 * Every buffer is allocated in the constructor; a step in which no event fires and no condition
 * comes near zero evaluates each continuous condition once, at the step end, and allocates nothing.
 *
 * Looking inside the step. A sign change between the step ends misses a condition that crosses
 * zero twice inside one step (a ball that lands and rises again within a step of a high-order
 * method). So each continuous condition is also evaluated on the interpolant at N interior points
 * of the step (`interpPoints`, by default 4 to 10 with the method's order, as
 * DifferentialEquations.jl's `interp_points`), and the first sign change in the direction asked
 * for brackets the root; where three points of one sign curve back towards zero, the condition is
 * also evaluated at the vertex of the parabola through them (a dip between two samples).
 * Sampling costs N interpolations and N condition calls, so a step skips it
 * when the condition is far from zero compared with how fast it moves: with the slopes
 * s = Δg/h of this step and s' of the step before (from the values at the two step starts), no
 * sample is taken when
 * min(|g_start|, |g_end|) > K·h·(|s| + |s − s'|), K = 2. For a condition that is locally
 * quadratic (its dip below zero reaches at most g''h²/8 below the chord) this screen has a margin
 * above 8; it is a heuristic, which a condition changing much faster than its last two steps show
 * can defeat. A boolean condition has no magnitude to screen with, so it is checked at step ends
 * only, unless `interpPoints` asks for interior points (then in every step).
 *
 * Sign convention: for each continuous event, `gLo[i]` is its value at `tLo[i]`, the time from
 * which the current step is searched; 0 means "unknown", which happens when the condition is
 * exactly zero there or has just fired. An unknown sign is taken from the first point after it
 * (probes a few ulps on and 8, 64, … times as far, then the interior samples, then the step end)
 * where |g| exceeds the condition's rounding level just after its root (4·|g| at the located
 * root); after a root inside a step the probes start 1/100 of the step on. So a root at the start
 * of a step (t0, or the event just handled) never fires again, and a condition left a rounding
 * error on the wrong side of zero by its root does not hide the next crossing.
 *
 * Accumulating events (Zeno behaviour: the bouncing ball coming to rest) end the solve with
 * `RESULTS.eventsAccumulated` (see ./zeno.ts): once the state-changing events accumulate
 * geometrically at a time t* before t1, when the last event is within 1e-9·max(|t*|, span) of t*, or
 * when a condition that just fired with an `affect` turns out to remain on the side it crossed
 * into (the state violates the condition: the next crossing cannot be seen).
 */
import { H, T, T_NEXT } from "../controllers/base.js";
import { ContractError, RESULTS, type Result } from "../results.js";
import type { AbstractSolver, SolverState } from "../solvers/solver.js";
import { describeValue } from "../tree.js";
import type { EventDefinition, EventRecord } from "./types.js";
import { bisectSign, illinois, type ScalarFunctionOfTime } from "./rootfind.js";
import { AccumulationMonitor } from "./zeno.js";
import { ROW_BEFORE_EVENTS, type Rows } from "../integrate/output.js";
import type { StepHook } from "../integrate/loop.js";

/** A bad condition or affect (NaN, a non-number, a non-finite state): a broken contract, which passes through the loop. */
export class EventError extends ContractError {
  constructor(message: string) {
    super(message);
    this.name = "EventError";
  }
}

/** Shared empty buffers: a problem without a schedule, or a solve before its first event, allocates none. */
const EMPTY_F64 = new Float64Array(0);
const EMPTY_I32 = new Int32Array(0);

/** Safety factor K of the screen that skips interior samples (see the module header). */
const SCREEN = 2;
/** Fraction of a step after a root inside it before the condition's sign is taken again (see `probe`). */
const NUDGE = 0.01;
/** |g| at a located root times this is the rounding level below which the sign just after it is not trusted. */
const NOISE = 4;
/** The solve stops at accumulating events once their accumulation point is this close, relative to |t*| or the span. */
const ZENO_RESOLUTION = 1e-9;

/** Interior points per step by default: grows with the method's order (the degree of its interpolant), 4 to 10. */
export function defaultInterpPoints(order: number): number {
  return Math.min(10, Math.max(4, Math.round(order) + 1));
}

type Cond = (t: number, y: Float64Array, args: unknown) => number | boolean;
type Affect = (t: number, y: Float64Array, args: unknown) => void | ArrayLike<number>;

/**
 * @internal The event workspace of one validated problem, reusable across solves (ensembles).
 */
/** What the detector reads of the loop it serves, to record events for the gradients (see `record`). */
export interface EventLoopView {
  readonly rows: Rows;
  readonly stepHook: StepHook | null;
  readonly numAcceptedSteps: number;
}

export class EventDetector implements ScalarFunctionOfTime {
  private readonly m: number;
  private readonly n: number;
  private readonly maxEvents: number;
  private readonly conds: (Cond | undefined)[];
  /** The first four continuous conditions, each called from its own site in `detect`. */
  private readonly c0: Cond | null;
  private readonly c1: Cond | null;
  private readonly c2: Cond | null;
  private readonly c3: Cond | null;
  private readonly affects: (Affect | undefined)[];
  private readonly terminal: Uint8Array;
  /** +1: up only, −1: down only, 0: either. */
  private readonly want: Int8Array;
  private readonly tol: Float64Array;
  /** Interior points per step as asked (−1: by the method's order) and as used in this solve. */
  private readonly pointsAsked: Int32Array;
  private readonly points: Int32Array;
  private readonly cont: Int32Array;
  private readonly disc: Int32Array;
  /** The schedule as given (all events' times, with their event indices), sorted per solve. */
  private readonly schedAll: Float64Array;
  private readonly schedAllIdx: Int32Array;
  private readonly schedT: Float64Array;
  private readonly schedIdx: Int32Array;
  private schedCount = 0;
  private schedPos = 0;

  /** Per continuous event: value at tLo (0: unknown sign), the time tLo, value at the step end. */
  private readonly gLo: Float64Array;
  private readonly tLo: Float64Array;
  private readonly gEnd: Float64Array;
  /** Per continuous event: its value at the start of the last step (at time dbl[7]), for the screen. */
  private readonly gPrev: Float64Array;
  /** 1 where the screen ruled out a crossing inside this step (no samples, no search); set by `search`. */
  private readonly skip: Uint8Array;
  /** Rounding level of each condition just after its last root (0 elsewhere). */
  private readonly noise: Float64Array;
  /** 1 for a condition whose sign is unknown after a root inside the step (see `probe`). */
  private readonly nudge: Uint8Array;
  /** For a condition that fired with an affect and whose sign is not yet known: the sign it crossed from. */
  private readonly crossedFrom: Int8Array;
  /** g where each condition fired: on the side it crossed into, or 0 (|g|: its rounding level there). */
  private readonly gRoot: Float64Array;
  /**
   * Whether a condition returned a boolean (its switch is then located by bisection). Set where a
   * boolean is seen; the choice only affects speed, as Illinois also converges on ±1 values.
   */
  private readonly isBool: Uint8Array;
  /** How many times each event fires at `time` (a scheduled time listed twice fires twice). */
  private readonly fired: Int32Array;
  private readonly yTmp: Float64Array;
  /**
   * Doubles passed between methods through a typed array (a double argument to a call V8 does not
   * inline is boxed: an allocation): [tNext, walk limit, sample time, sample value, t, h, root,
   * start of the last step (the time of gPrev; NaN: no history)].
   */
  private readonly dbl = new Float64Array(8);
  /** The walked point before tLo[i] (time, value; NaN time: none), for `dip`. */
  private readonly tri = new Float64Array(2);
  private readonly zeno = new AccumulationMonitor();

  /** The state just before the event that `handle` will apply (valid after `detect` returns true). */
  readonly yPre: Float64Array;
  /** Time of that event. */
  time = 0;
  /** The next scheduled time, which the stepper must land on (t1 when none is left). */
  nextTime = 0;
  /** Whether the last `handle` changed the state (an `affect` ran). */
  changed = false;
  /** Where and why `handle` stopped the solve. */
  detail = "";

  // Per solve.
  private solver: AbstractSolver<SolverState> | null = null;
  private state: SolverState | null = null;
  private args: unknown = undefined;
  private dir = 1;
  private t0 = 0;
  private t1 = 0;
  private current = 0;
  private pendingTerminal = false;
  private overflow = false;
  /** A failure found by `detect` for `handle` to return (accumulating events). */
  private stop: Result = RESULTS.successful;

  // Records of fired events, packed and grown geometrically.
  private recIndex: Int32Array;
  private recT: Float64Array;
  private recY: Float64Array;
  private recCount = 0;

  constructor(events: readonly EventDefinition[], n: number, maxEvents: number, private readonly loop: EventLoopView | null = null) {
    const m = events.length;
    this.m = m;
    this.n = n;
    this.maxEvents = maxEvents;
    this.terminal = new Uint8Array(m);
    this.want = new Int8Array(m);
    this.tol = new Float64Array(m);
    this.pointsAsked = new Int32Array(m);
    this.points = new Int32Array(m);
    this.conds = [];
    this.affects = [];
    const cont: number[] = [];
    const disc: number[] = [];
    for (let i = 0; i < m; i++) {
      const e = events[i]!;
      this.conds.push(e.cond as Cond | undefined);
      this.affects.push(e.affect as Affect | undefined);
      this.terminal[i] = e.terminal ? 1 : 0;
      this.want[i] = e.direction === "up" ? 1 : e.direction === "down" ? -1 : 0;
      this.tol[i] = e.rootTolerance;
      this.pointsAsked[i] = e.interpPoints ?? -1;
      if (e.kind === "continuous") cont.push(i);
      else if (e.kind === "discrete") disc.push(i);
    }
    this.cont = Int32Array.from(cont);
    this.c0 = cont.length > 0 ? this.conds[cont[0]!]! : null;
    this.c1 = cont.length > 1 ? this.conds[cont[1]!]! : null;
    this.c2 = cont.length > 2 ? this.conds[cont[2]!]! : null;
    this.c3 = cont.length > 3 ? this.conds[cont[3]!]! : null;
    this.disc = Int32Array.from(disc);
    // Every scheduled time with its event, sorted by time once (each solve then reads it forward
    // or backward, keeping the times inside [t0, t1]).
    const pairs: [number, number][] = [];
    for (let i = 0; i < m; i++) {
      const times = events[i]!.times;
      if (times !== undefined) for (let j = 0; j < times.length; j++) pairs.push([times[j]!, i]);
    }
    pairs.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const ns = pairs.length;
    this.schedAll = ns === 0 ? EMPTY_F64 : new Float64Array(ns);
    this.schedAllIdx = ns === 0 ? EMPTY_I32 : new Int32Array(ns);
    for (let p = 0; p < ns; p++) {
      this.schedAll[p] = pairs[p]![0];
      this.schedAllIdx[p] = pairs[p]![1];
    }
    this.schedT = ns === 0 ? EMPTY_F64 : new Float64Array(ns);
    this.schedIdx = ns === 0 ? EMPTY_I32 : new Int32Array(ns);
    this.gLo = new Float64Array(m);
    this.tLo = new Float64Array(m);
    this.gEnd = new Float64Array(m);
    this.gPrev = new Float64Array(m);
    this.skip = new Uint8Array(m);
    this.noise = new Float64Array(m);
    this.nudge = new Uint8Array(m);
    this.crossedFrom = new Int8Array(m);
    this.gRoot = new Float64Array(m);
    this.isBool = new Uint8Array(m);
    this.fired = new Int32Array(m);
    this.yTmp = new Float64Array(n);
    this.yPre = new Float64Array(n);
    this.recIndex = EMPTY_I32;
    this.recT = EMPTY_F64;
    this.recY = EMPTY_F64;
  }

  /**
   * Starts a solve at (t0, y): sorts the schedule into the direction of integration, fires the
   * scheduled events at t0 (changing y), and evaluates every continuous condition at t0.
   * Returns `RESULTS.successful`, or `eventOccurred`/`maxEventsReached` when the solve ends at t0.
   */
  start(solver: AbstractSolver<SolverState>, state: SolverState, args: unknown, t0: number, t1: number, y: Float64Array): Result {
    return this.recordForGradients(-1, this.begin(solver, state, args, t0, t1, y));
  }

  private begin(solver: AbstractSolver<SolverState>, state: SolverState, args: unknown, t0: number, t1: number, y: Float64Array): Result {
    this.solver = solver;
    this.state = state;
    this.args = args;
    const dir = t1 >= t0 ? 1 : -1;
    this.dir = dir;
    this.t0 = t0;
    this.t1 = t1;
    this.recCount = 0;
    this.changed = false;
    this.detail = "";
    this.pendingTerminal = false;
    this.overflow = false;
    this.stop = RESULTS.successful;
    this.zeno.reset();
    const auto = defaultInterpPoints(solver.order);
    for (let i = 0; i < this.m; i++) this.points[i] = this.pointsAsked[i]! >= 0 ? this.pointsAsked[i]! : auto;
    // Schedule: the times in [t0, t1], in the order the solve reaches them.
    let c = 0;
    const nAll = this.schedAll.length;
    for (let k = 0; k < nAll; k++) {
      const p = dir > 0 ? k : nAll - 1 - k;
      const ts = this.schedAll[p]!;
      if (dir * (ts - t0) >= 0 && dir * (ts - t1) <= 0) {
        this.schedT[c] = ts;
        this.schedIdx[c++] = this.schedAllIdx[p]!;
      }
    }
    this.schedCount = c;
    this.schedPos = 0;
    this.fired.fill(0);
    this.noise.fill(0);
    this.nudge.fill(0);
    this.crossedFrom.fill(0);
    const handled = this.fireScheduled(t0);
    this.nextTime = this.schedPos < c ? this.schedT[this.schedPos]! : t1;
    let code: Result = RESULTS.successful;
    if (handled >= 0) {
      this.yPre.set(y);
      this.time = t0;
      if (!this.record(t0) || handled === 1) code = this.apply(y);
      else this.fired.fill(0);
    }
    const cont = this.cont;
    for (let k = 0; k < cont.length; k++) {
      const i = cont[k]!;
      this.gLo[i] = this.evalCond(i, t0, y);
      this.tLo[i] = t0;
      // A boolean has no distance to its switch to screen steps with: interior points would be
      // checked in every step, so only where asked for.
      if (this.isBool[i] === 1 && this.pointsAsked[i]! < 0) this.points[i] = 0;
    }
    this.dbl[7] = NaN; // no history for the screen yet
    return code;
  }

  /**
   * Binds the detector to a solve without starting it (a solve resumed from a snapshot, whose
   * event state is then restored as data).
   */
  attach(solver: AbstractSolver<SolverState>, state: SolverState, args: unknown): void {
    this.solver = solver;
    this.state = state;
    this.args = args;
  }

  /**
   * Marks the scheduled events due at or before `t` (in the direction of integration) in `fired`,
   * once per listed time. Returns −1 when none is due, 0 when only events without effect are, 1
   * when one of them has an `affect` or is terminal.
   */
  private fireScheduled(t: number): number {
    let handled = -1;
    while (this.schedPos < this.schedCount && this.dir * (this.schedT[this.schedPos]! - t) <= 0) {
      const i = this.schedIdx[this.schedPos++]!;
      this.fired[i]!++;
      handled = Math.max(handled, this.affects[i] !== undefined || this.terminal[i] === 1 ? 1 : 0);
    }
    return handled;
  }

  /** Value of the current condition on the last accepted step's interpolant at time t. */
  value(t: number): number {
    this.solver!.interpolate(this.state!, (t - this.dbl[4]!) / this.dbl[5]!, this.yTmp);
    return this.evalCond(this.current, t, this.yTmp);
  }

  /**
   * The condition in slot k (event cont[k]) on the interpolant at the time in dbl[2], into dbl[3]
   * (a double returned from a call that is not inlined would be boxed). The first
   * four conditions are called from call sites of their own (as in `quiet`), where V8 can inline
   * them and pass the time unboxed.
   */
  private sample(k: number): void {
    const t = this.dbl[2]!;
    const y = this.yTmp;
    const args = this.args;
    this.solver!.interpolate(this.state!, (t - this.dbl[4]!) / this.dbl[5]!, y);
    let r: number | boolean;
    if (k === 0) r = this.c0!(t, y, args);
    else if (k === 1) r = this.c1!(t, y, args);
    else if (k === 2) r = this.c2!(t, y, args);
    else if (k === 3) r = this.c3!(t, y, args);
    else r = this.conds[this.cont[k]!]!(t, y, args);
    if (typeof r === "number" && r - r === 0) this.dbl[3] = r;
    else if (typeof r === "boolean") {
      this.isBool[this.cont[k]!] = 1;
      this.dbl[3] = r ? 1 : -1;
    } else badCondition(this.cont[k]!, t, r);
  }

  /** Evaluates condition i, mapping booleans to ±1 and rejecting anything but finite numbers. */
  private evalCond(i: number, t: number, y: Float64Array): number {
    const r = this.conds[i]!(t, y, this.args);
    if (typeof r === "number" && r - r === 0) {
      this.isBool[i] = 0;
      return r;
    }
    if (typeof r === "boolean") {
      this.isBool[i] = 1;
      return r ? 1 : -1;
    }
    return badCondition(i, t, r);
  }

  /**
   * Searches the accepted step from (t, y0) to (tNext, y1) (y1 given) for events, with t, the
   * step h and tNext in `rec` (the loop's step record). Records every event that fired. Returns
   * true when one must be handled (it has an `affect` or is terminal, or `maxEvents` is exceeded,
   * or events accumulate): then `time` is its time and `yPre` the state there, and the loop must
   * call `handle`. Events without `affect` that do not terminate are only recorded.
   */
  detect(rec: Float64Array, y1: Float64Array): boolean {
    // Small, so that V8 inlines it into the loop; the doubles stay in typed arrays, as a double
    // argument to a call that is not inlined would be boxed (an allocation per step).
    const dbl = this.dbl;
    dbl[0] = rec[T_NEXT]!;
    dbl[4] = rec[T]!;
    dbl[5] = rec[H]!;
    return this.quiet(y1) ? false : this.search(y1);
  }

  /**
   * The common case: evaluates the conditions at the step end and, when none changed sign, none
   * can have crossed twice inside the step (the screen), and no event can fire at the step end,
   * makes the step end the next start and returns true.
   */
  private quiet(y1: Float64Array): boolean {
    const tNext = this.dbl[0]!;
    const cont = this.cont;
    const nc = cont.length;
    const gEnd = this.gEnd;
    const args = this.args;
    let change = this.schedPos < this.schedCount || this.disc.length > 0;
    // The first four conditions are called from call sites of their own, which V8 can inline
    // (one shared call site would see every condition and stay megamorphic).
    if (nc > 0) {
      const i = cont[0]!;
      let r = this.c0!(tNext, y1, args);
      if (typeof r !== "number" || r - r !== 0) r = this.convert(i, r);
      gEnd[i] = r;
    }
    if (nc > 1) {
      const i = cont[1]!;
      let r = this.c1!(tNext, y1, args);
      if (typeof r !== "number" || r - r !== 0) r = this.convert(i, r);
      gEnd[i] = r;
    }
    if (nc > 2) {
      const i = cont[2]!;
      let r = this.c2!(tNext, y1, args);
      if (typeof r !== "number" || r - r !== 0) r = this.convert(i, r);
      gEnd[i] = r;
    }
    if (nc > 3) {
      const i = cont[3]!;
      let r = this.c3!(tNext, y1, args);
      if (typeof r !== "number" || r - r !== 0) r = this.convert(i, r);
      gEnd[i] = r;
    }
    for (let k = 4; k < nc; k++) {
      const i = cont[k]!;
      gEnd[i] = this.evalCond(i, tNext, y1);
    }
    // The slope of the last step, scaled to this one, for the screen: one ratio for all conditions
    // (every condition's last value was taken at this step's start t). NaN without history.
    const ratio = (tNext - this.dbl[4]!) / (this.dbl[4]! - this.dbl[7]!);
    for (let k = 0; k < nc; k++) if (this.mayCross(cont[k]!, ratio)) change = true;
    if (change) return false;
    // The step end becomes the next step's start, and the start the screen's earlier point.
    // (Copied: rotating the buffers through mutable fields made the whole check about twice as slow.)
    const gLo = this.gLo;
    const tLo = this.tLo;
    const gPrev = this.gPrev;
    for (let k = 0; k < nc; k++) {
      const i = cont[k]!;
      gPrev[i] = gLo[i]!;
      gLo[i] = gEnd[i]!;
      tLo[i] = tNext;
    }
    this.dbl[7] = this.dbl[4]!;
    return true;
  }

  /**
   * Whether condition i, with its step-end value in gEnd, may have crossed zero in this step: a
   * sign change or an unknown sign, or same signs that the screen cannot vouch for (see the module
   * header; `ratio` = this step / the last). Pure: `search` calls it again to set `skip`.
   */
  private mayCross(i: number, ratio: number): boolean {
    const gl = this.gLo[i]!;
    const ge = this.gEnd[i]!;
    // (gl·ge ≤ 0: a sign change, a zero, or an unknown sign, gl = 0.)
    if (!(gl * ge > 0)) return true;
    // This step's change and the last step's slope times this step (NaN without history, which
    // fails the test below).
    const d2 = ge - gl;
    const reach = SCREEN * (Math.abs(d2) + Math.abs(d2 - (gl - this.gPrev[i]!) * ratio));
    // Far from zero: no interior check, except for a boolean (no magnitude to screen with) that asks for them.
    if (Math.min(Math.abs(gl), Math.abs(ge)) > reach) return this.isBool[i] === 1 && this.points[i] !== 0;
    return this.points[i] !== 0;
  }

  /** A condition's value at the step end that is not a finite number: ±1 for a boolean, an error otherwise. */
  private convert(i: number, r: unknown): number {
    if (typeof r === "boolean") {
      this.isBool[i] = 1;
      return r ? 1 : -1;
    }
    return badCondition(i, this.dbl[0]!, r);
  }

  /** `detect` when some condition may have crossed zero, or events may fire at the step end. */
  private search(y1: Float64Array): boolean {
    const tNext = this.dbl[0]!;
    const t = this.dbl[4]!;
    const h = this.dbl[5]!;
    const nc = this.cont.length;
    let atEnd = false; // continuous events to handle at tNext, together with the step-end events
    if (nc > 0) {
      // Which conditions need a look inside (see `quiet`); then the values at the step start
      // become the screen's history for the next step.
      const cont = this.cont;
      const ratio = (tNext - t) / (t - this.dbl[7]!);
      for (let k = 0; k < nc; k++) {
        const i = cont[k]!;
        this.skip[i] = this.mayCross(i, ratio) ? 0 : 1;
        this.gPrev[i] = this.gLo[i]!;
      }
      this.dbl[7] = t;
      // Each pass finds the earliest root after the last one; passes after the first happen only
      // when events without affect fired (recorded, the step goes on).
      for (;;) {
        const any = this.earliestRoot();
        if (this.stop !== RESULTS.successful) return true;
        if (!any) break; // no root in the rest of the step
        const best = this.dbl[6]!;
        const handled = this.fireAt(best, t, h, tNext, y1);
        this.time = best;
        if (handled && best === tNext) {
          atEnd = true;
          break;
        }
        if (!this.record(best) || handled) return true;
        this.restartAt(best);
      }
      this.endStep();
      if (this.stop !== RESULTS.successful) return true;
    }
    return this.stepEnd(y1, atEnd);
  }

  /**
   * The earliest root of any continuous condition in the rest of the step (after each one's tLo,
   * up to tNext), located on the interpolant, into dbl[6]; returns false when there is none. Each condition brackets
   * its first crossing in its direction on the interior samples (`bracket`), and only a root
   * before the best so far is located.
   */
  private earliestRoot(): boolean {
    const tNext = this.dbl[0]!;
    const dir = this.dir;
    const cont = this.cont;
    let best = NaN;
    for (let k = 0; k < cont.length; k++) {
      const i = cont[k]!;
      if (this.skip[i] === 1) continue;
      const limit = best === best ? best : tNext;
      if (best === best && dir * (this.tLo[i]! - best) >= 0) continue; // its root lies after `best`
      this.dbl[1] = limit;
      if (!this.bracket(k)) {
        if (this.stop !== RESULTS.successful) return false;
        continue;
      }
      const tb = this.dbl[2]!;
      const gb = this.dbl[3]!;
      this.current = i;
      const ta = this.tLo[i]!;
      const ga = this.gLo[i]!;
      best = this.isBool[i] === 1 ? bisectSign(this, ta, ga, tb, this.tol[i]!) : illinois(this, ta, ga, tb, gb, this.tol[i]!);
    }
    this.dbl[6] = best;
    return best === best;
  }

  /**
   * Walks condition i = cont[k] from tLo[i] over the step's interior samples to the limit in
   * dbl[1] (the step end, or the best root so far), resolving an unknown sign on the way. Returns
   * true when it crosses zero in its direction: then [tLo[i], dbl[2]] brackets the first such
   * crossing, with values gLo[i] and dbl[3]. gLo[i], tLo[i] advance to the last point before it.
   */
  private bracket(k: number): boolean {
    const i = this.cont[k]!;
    const limit = this.dbl[1]!;
    const dir = this.dir;
    const t = this.dbl[4]!;
    const h = this.dbl[5]!;
    const np = this.points[i]!;
    if (this.gLo[i] === 0) this.probe(i, limit);
    if (this.stop !== RESULTS.successful) return false;
    this.tri[0] = NaN; // no point before tLo[i] yet
    for (let j = 1; j <= np + 1; j++) {
      let tj: number;
      let g: number;
      if (j <= np) {
        tj = t + (h * j) / (np + 1);
        if (dir * (tj - this.tLo[i]!) <= 0) continue;
        if (dir * (tj - limit) >= 0) {
          j = np; // on to the limit
          continue;
        }
        this.dbl[2] = tj;
        this.sample(k);
        g = this.dbl[3]!;
      } else {
        tj = limit;
        if (dir * (tj - this.tLo[i]!) <= 0) return false;
        if (limit === this.dbl[0]) {
          g = this.gEnd[i]!;
        } else {
          this.current = i;
          g = this.value(limit);
        }
      }
      this.dbl[2] = tj;
      this.dbl[3] = g;
      if (this.walkTo(k)) return true;
      if (this.stop !== RESULTS.successful) return false;
    }
    return false;
  }

  /**
   * Moves the walk of condition i = cont[k] to the point (dbl[2], dbl[3]): returns true when it
   * crosses (or touches) zero from gLo[i] in the direction asked for, between the points or in a
   * dip between them (`dip`); otherwise advances gLo[i], tLo[i] (taking the sign there when it was
   * unknown and |g| is above the rounding level).
   */
  private walkTo(k: number): boolean {
    const i = this.cont[k]!;
    const tj = this.dbl[2]!;
    const g = this.dbl[3]!;
    const gl = this.gLo[i]!;
    const tri = this.tri;
    if (gl === 0) {
      if (Math.abs(g) > this.noise[i]!) this.settle(i, tj, g);
      return false;
    }
    if (gl > 0 ? g > 0 : g < 0) {
      // Same sign: three points that curve back towards zero may hide a dip across it.
      if (tri[0] === tri[0] && this.dip(k)) return true;
      tri[0] = this.tLo[i]!;
      tri[1] = gl;
      this.gLo[i] = g;
      this.tLo[i] = tj;
      return false;
    }
    if (this.want[i] !== (gl > 0 ? 1 : -1)) return true; // crossed, or reached zero, in its direction
    // Crossed against its direction: the walk goes on from there (a zero there stays behind).
    if (g !== 0) {
      tri[0] = NaN;
      this.gLo[i] = g;
      this.tLo[i] = tj;
    }
    return false;
  }

  /**
   * Looks for a dip across zero between three walked points of the same sign (a: tri, b: tLo[i],
   * c: dbl[2]), such as a ball that rises above a height and falls back between two samples: where
   * the parabola through the points has its vertex between a and c and crosses zero there, it
   * evaluates the condition at the vertex, and repeats with the three points around the vertex
   * while |g| shrinks (at most three times). Returns true with a bracket as `bracket` does when the
   * vertex is across zero and one of the two crossings goes in the direction asked for. The fit
   * costs a few flops per sample; evaluations happen only where it predicts a crossing.
   */
  private dip(k: number): boolean {
    const i = this.cont[k]!;
    const dir = this.dir;
    const d = this.dbl;
    let ta = this.tri[0]!;
    let ga = this.tri[1]!;
    let tb = this.tLo[i]!;
    let gb = this.gLo[i]!;
    let tc = d[2]!;
    let gc = d[3]!;
    const s = gb > 0 ? 1 : -1;
    for (let iter = 0; iter < 3; iter++) {
      const p = (tb - ta) * (gb - gc);
      const q = (tb - tc) * (gb - ga);
      const tv = tb - (0.5 * ((tb - ta) * p - (tb - tc) * q)) / (p - q);
      if (!(dir * (tv - ta) > 0 && dir * (tc - tv) > 0) || tv === tb) return false; // (NaN: a straight line)
      const gvFit = (ga * (tv - tb) * (tv - tc)) / ((ta - tb) * (ta - tc)) + (gb * (tv - ta) * (tv - tc)) / ((tb - ta) * (tb - tc)) + (gc * (tv - ta) * (tv - tb)) / ((tc - ta) * (tc - tb));
      if (s * gvFit > 0) return false; // the parabola stays on this side
      d[2] = tv;
      this.sample(k);
      const gv = d[3]!;
      const after = dir * (tv - tb) > 0; // the vertex lies between b and c (else between a and b)
      if (s * gv <= 0) {
        if (this.want[i] !== s) {
          // The first crossing, from the side s, goes the way asked for: between the point before tv and tv.
          this.gLo[i] = after ? gb : ga;
          this.tLo[i] = after ? tb : ta;
          return true;
        }
        if (gv === 0) return false;
        // The crossing back (towards s) is the one asked for: between tv and the point after it.
        this.gLo[i] = gv;
        this.tLo[i] = tv;
        d[2] = after ? tc : tb;
        d[3] = after ? gc : gb;
        return true;
      }
      if (!(Math.abs(gv) < Math.abs(gb))) return false;
      if (after) {
        ta = tb;
        ga = gb;
      } else {
        tc = tb;
        gc = gb;
      }
      tb = tv;
      gb = gv;
    }
    return false;
  }

  /**
   * Takes the sign of condition i at (tj, g), after it was unknown. A condition that fired with an
   * affect and is found on the side it crossed into, while events accumulate before t1, means the
   * state violates it (the ball is below the floor): the solve stops at the event.
   */
  private settle(i: number, tj: number, g: number): void {
    const from = this.crossedFrom[i]!;
    this.crossedFrom[i] = 0;
    this.noise[i] = 0;
    this.nudge[i] = 0;
    if (from !== 0 && (g > 0 ? 1 : -1) !== from && this.accumulatesBeforeEnd()) {
      // The step started at the event: stop there, with the state after its affect.
      this.time = this.dbl[4]!;
      this.solver!.interpolate(this.state!, 0, this.yPre);
      this.stop = RESULTS.eventsAccumulated;
      this.detail = this.accumulationDetail(this.dbl[4]!, `the state right after it violates the condition of event ${i} (it stays on the side it crossed into)`);
      return;
    }
    this.gLo[i] = g;
    this.tLo[i] = tj;
  }

  /**
   * Resolves an unknown sign of continuous event i from its values on this step's interpolant a
   * little after tLo: a few ulps on, then 8, 64, … times as far, up to `limit`, the first whose
   * |g| is above the condition's rounding level (otherwise the interior samples and the step end
   * decide). At the start of a step (t0, or the restart after an affect) the interpolant's own
   * rounding is that of y0, far below the condition's. Inside a step, after a root that was only
   * recorded, the interpolant's rounding can exceed the condition's value at the root and carry
   * either sign a few ulps away; there the probes start 1/100 of the step on (as
   * DifferentialEquations.jl's `repeat_nudge`), and the condition cannot fire again before that.
   */
  private probe(i: number, limit: number): void {
    const t = this.tLo[i]!;
    const dir = this.dir;
    const span = dir * (limit - t);
    const h = Math.abs(this.dbl[5]!);
    let delta = Math.max(4 * this.tol[i]!, 64 * Number.EPSILON * Math.max(Math.abs(t), h));
    if (this.nudge[i] === 1) delta = Math.max(delta, NUDGE * h);
    this.current = i;
    for (; delta < span; delta *= 8) {
      const tp = t + dir * delta;
      const g = this.value(tp);
      if (Math.abs(g) > this.noise[i]!) {
        this.settle(i, tp, g);
        return;
      }
    }
  }

  /**
   * Marks every continuous event that has crossed (in its direction) at `best` in `fired`, with
   * the state there in yPre. Returns whether one of them has an affect or is terminal.
   */
  private fireAt(best: number, t: number, h: number, tNext: number, y1: Float64Array): boolean {
    const dir = this.dir;
    const cont = this.cont;
    const yPre = this.yPre;
    if (best === tNext) yPre.set(y1);
    else this.solver!.interpolate(this.state!, (best - t) / h, yPre);
    let handled = false;
    for (let k = 0; k < cont.length; k++) {
      const i = cont[k]!;
      const gl = this.gLo[i]!;
      if (this.skip[i] === 1 || gl === 0 || dir * (this.tLo[i]! - best) >= 0) continue;
      const g = this.evalCond(i, best, yPre);
      if ((gl > 0 ? g > 0 : g < 0) || this.want[i] === (gl > 0 ? 1 : -1)) continue;
      this.fired[i] = 1;
      this.gRoot[i] = g;
      this.crossedFrom[i] = gl > 0 ? 1 : -1;
      if (this.affects[i] !== undefined || this.terminal[i] === 1) handled = true;
    }
    return handled;
  }

  /**
   * After events that were only recorded at `best`: searches the rest of the step from there. The
   * sign of a condition that fired is taken 1/100 of the step further on (see `probe`).
   */
  private restartAt(best: number): void {
    const cont = this.cont;
    for (let k = 0; k < cont.length; k++) {
      const i = cont[k]!;
      const fired = this.fired[i] === 1;
      this.gLo[i] = fired ? 0 : this.evalCond(i, best, this.yPre);
      this.tLo[i] = best;
      this.noise[i] = fired && this.isBool[i] === 0 ? NOISE * Math.abs(this.gRoot[i]!) : 0;
      this.nudge[i] = fired ? 1 : 0;
      this.crossedFrom[i] = 0; // no affect ran: the state cannot violate the condition
      this.fired[i] = 0;
    }
  }

  /**
   * Ends the search of a step without a handled event: the step end becomes the next start. A
   * sign still within rounding at the step end stays unknown.
   */
  private endStep(): void {
    const tNext = this.dbl[0]!;
    const cont = this.cont;
    for (let k = 0; k < cont.length; k++) {
      const i = cont[k]!;
      const gl = this.gLo[i]!;
      const ge = this.gEnd[i]!;
      if (gl === 0 && !(Math.abs(ge) > this.noise[i]!)) {
        this.tLo[i] = tNext;
        continue;
      }
      if (gl === 0) this.settle(i, tNext, ge);
      this.gLo[i] = ge;
      this.tLo[i] = tNext;
    }
  }

  /**
   * Events at the step end: scheduled times (the step landed on them) and discrete conditions,
   * with the continuous events found at the step end (`atEnd`). Returns whether the loop must
   * call `handle`.
   */
  private stepEnd(y1: Float64Array, atEnd: boolean): boolean {
    const tNext = this.dbl[0]!;
    if (!atEnd && this.schedPos === this.schedCount && this.disc.length === 0) return false;
    let fire = atEnd;
    let handled = atEnd;
    const sched = this.fireScheduled(tNext);
    if (sched >= 0) fire = true;
    if (sched === 1) handled = true;
    this.nextTime = this.schedPos < this.schedCount ? this.schedT[this.schedPos]! : this.t1;
    const disc = this.disc;
    for (let k = 0; k < disc.length; k++) {
      const i = disc[k]!;
      const r = this.conds[i]!(tNext, y1, this.args);
      if (r === true) {
        this.fired[i]!++;
        fire = true;
        if (this.affects[i] !== undefined || this.terminal[i] === 1) handled = true;
      } else if (r !== false) {
        throw new EventError(
          `diffeqsolve: the \`cond\` of discrete event ${i} returned ${describeValue(r)} at t = ${tNext}; ` +
            "a discrete condition must return true (fire) or false.",
        );
      }
    }
    if (!fire) return false;
    this.time = tNext;
    this.yPre.set(y1);
    if (!this.record(tNext) || handled) return true;
    this.fired.fill(0);
    return false;
  }

  /**
   * Records the events marked in `fired` at time t with state `yPre` (an event marked k times,
   * k records), unless that would exceed `maxEvents`; returns false (and records nothing) then.
   */
  private record(t: number): boolean {
    const fired = this.fired;
    let count = 0;
    for (let i = 0; i < this.m; i++) count += fired[i]!;
    if (this.recCount + count > this.maxEvents) {
      this.overflow = true;
      return false;
    }
    const n = this.n;
    for (let i = 0; i < this.m; i++) {
      for (let c = 0; c < fired[i]!; c++) {
        if (this.recCount === this.recT.length) this.grow();
        const r = this.recCount++;
        this.recIndex[r] = i;
        this.recT[r] = t;
        this.recY.set(this.yPre, r * n);
        if (this.terminal[i] === 1) this.pendingTerminal = true;
      }
    }
    return true;
  }

  private grow(): void {
    const cap = Math.max(16, this.recT.length * 2);
    const idx = new Int32Array(cap);
    idx.set(this.recIndex);
    const ts = new Float64Array(cap);
    ts.set(this.recT);
    const ys = new Float64Array(cap * this.n);
    ys.set(this.recY);
    this.recIndex = idx;
    this.recT = ts;
    this.recY = ys;
  }

  /**
   * Applies the events found by `detect` (or at t0): writes the state at the event into y, runs
   * the `affect`s of the events that fired (in index order; an event marked twice, twice), and
   * takes the conditions' signs at the new state. Returns `RESULTS.successful` to go on (the loop
   * restarts the solver from y), `eventOccurred` for a terminating event, `maxEventsReached` (y
   * then holds the state before the event that would have exceeded the limit), or
   * `eventsAccumulated` (events accumulate before t1; y holds the state after the last event).
   */
  /**
   * After `start` (`step` = −1) or `handle` (`step` = the accepted step the event time ends) gave
   * `code`: when the events changed the solve (an affect ran, or a terminating event ended it),
   * records it for the gradients: the loop's step hook is told (`eventHandled`), and the row at
   * t0 saved before affects at t0 is marked ROW_BEFORE_EVENTS in the output plan. Here rather than
   * in the loop, so that solves without events do not carry it. Returns `code`.
   */
  private recordForGradients(step: number, code: Result): Result {
    const loop = this.loop;
    if (loop === null || (!this.changed && code !== RESULTS.eventOccurred)) return code;
    const kinds = loop.rows.rowKind;
    // Before the affects at t0 ran, a row can only be SaveAt t0's (the first row).
    if (step < 0 && this.changed && kinds !== null && loop.rows.count > 0) kinds[0] = ROW_BEFORE_EVENTS;
    loop.stepHook?.eventHandled?.(step);
    return code;
  }

  handle(y: Float64Array): Result {
    return this.recordForGradients(this.loop === null ? 0 : this.loop.numAcceptedSteps - 1, this.apply(y));
  }

  private apply(y: Float64Array): Result {
    const t = this.time;
    y.set(this.yPre);
    this.changed = false;
    if (this.stop !== RESULTS.successful) return this.stop;
    if (this.overflow) {
      this.detail = `t = ${t}: ${this.recCount} events fired and another one would exceed maxEvents = ${this.maxEvents}`;
      return RESULTS.maxEventsReached;
    }
    let continuousChanged = false;
    for (let i = 0; i < this.m; i++) {
      for (let c = 0; c < this.fired[i]!; c++) {
        if (this.applyAffect(i, t, y) && this.conds[i] !== undefined && this.crossedFrom[i] !== 0) continuousChanged = true;
      }
    }
    this.signsAfter(t, y);
    this.fired.fill(0);
    if (this.pendingTerminal) return RESULTS.eventOccurred;
    if (continuousChanged) {
      this.zeno.observe(t);
      if (this.accumulatesBeforeEnd() && Math.abs(this.zeno.tStar - t) <= ZENO_RESOLUTION * Math.max(Math.abs(this.zeno.tStar), Math.abs(this.t1 - this.t0))) {
        this.detail = this.accumulationDetail(t, "the events are now closer together than the solve can resolve");
        return RESULTS.eventsAccumulated;
      }
    }
    return RESULTS.successful;
  }

  /** Runs the affect of event i (if any) on y at t; returns whether one ran. */
  private applyAffect(i: number, t: number, y: Float64Array): boolean {
    const affect = this.affects[i];
    if (affect === undefined) return false;
    const n = this.n;
    const r = affect(t, y, this.args);
    if (r !== undefined && r !== null) {
      if (typeof r !== "object" || typeof (r as ArrayLike<number>).length !== "number" || (r as ArrayLike<number>).length !== n) {
        throw new EventError(
          `diffeqsolve: the \`affect\` of event ${i} returned ${describeValue(r)}; it must change y in place and return nothing, ` +
            `or return an array of ${n} numbers.`,
        );
      }
      for (let j = 0; j < n; j++) y[j] = (r as ArrayLike<number>)[j]!;
    }
    this.changed = true;
    for (let j = 0; j < n; j++) {
      if (!Number.isFinite(y[j]!)) {
        throw new EventError(`diffeqsolve: the \`affect\` of event ${i} at t = ${t} left y[${j}] = ${y[j]}; the new state must be finite.`);
      }
    }
    return true;
  }

  /**
   * Signs after an event at t with the new state y: a condition that fired takes its sign just
   * after t (unknown now) unless the affect moved it clearly off zero; the screen's history restarts.
   */
  private signsAfter(t: number, y: Float64Array): void {
    const cont = this.cont;
    for (let k = 0; k < cont.length; k++) {
      const i = cont[k]!;
      const g = this.evalCond(i, t, y);
      const fired = this.fired[i] !== 0;
      const noise = fired && this.isBool[i] === 0 ? NOISE * Math.abs(this.gRoot[i]!) : 0;
      const unknown = fired && !(Math.abs(g) > noise);
      this.gLo[i] = unknown ? 0 : g;
      this.noise[i] = unknown ? noise : 0;
      this.nudge[i] = 0;
      // Only a condition whose sign is still to be found, after an affect ran, can show a violation.
      if (!unknown || this.affects[i] === undefined) this.crossedFrom[i] = 0;
      this.tLo[i] = t;
    }
    this.dbl[7] = NaN; // the screen's history restarts
  }

  /** Whether the state-changing events so far accumulate at a time before t1. */
  private accumulatesBeforeEnd(): boolean {
    return this.zeno.accumulating && this.dir * (this.zeno.tStar - this.t1) < 0;
  }

  /** The `detail` of an `eventsAccumulated` result at time t. */
  private accumulationDetail(t: number, why: string): string {
    const z = this.zeno;
    return (
      `t = ${t}: ${z.events} state-changing events, each interval between them about ${z.ratio.toPrecision(3)} times the one before, ` +
      `accumulate at t* ≈ ${z.tStar.toPrecision(12)} (before t1 = ${this.t1}); ${why}`
    );
  }

  /** Every event that fired in the last solve, in the order they fired. */
  records(): EventRecord[] {
    const n = this.n;
    const ys = this.recY.slice(0, this.recCount * n);
    const out: EventRecord[] = [];
    for (let r = 0; r < this.recCount; r++) {
      out.push({ index: this.recIndex[r]!, t: this.recT[r]!, y: ys.subarray(r * n, (r + 1) * n) });
    }
    return out;
  }
}

/** Throws the error for a condition that returned NaN, ±Infinity or a non-number. */
function badCondition(i: number, t: number, r: unknown): never {
  if (typeof r === "number") {
    throw new EventError(
      `diffeqsolve: the \`cond\` of event ${i} returned ${r} at t = ${t}; a condition must return a finite number ` +
        "(whose sign change is the event) or a boolean.",
    );
  }
  throw new EventError(
    `diffeqsolve: the \`cond\` of event ${i} returned ${describeValue(r)} at t = ${t}; a condition must return a finite number or a boolean.`,
  );
}
