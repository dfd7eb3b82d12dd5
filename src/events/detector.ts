/**
 * Event detection and handling for the integration loop: after each accepted step, finds the
 * earliest event inside it (root finding on the step's dense interpolant), fires discrete and
 * scheduled events at the step end, and applies `affect`s. The loop only calls `start`, `detect`
 * and `handle`, and reads `nextTime`, `time`, `yPre`.
 *
 * Every buffer is allocated in the constructor; a step in which no event fires evaluates each
 * continuous condition once at the step end and allocates nothing.
 *
 * Sign convention: for each continuous event, `gLo[i]` is its value at `tLo[i]`, the time from
 * which the current step is searched; 0 means "unknown", which happens when the condition is
 * exactly zero there or has just fired. An unknown sign is resolved by probing the next step's
 * interpolant a few ulps after the start (as CVODE and DifferentialEquations.jl do), so a root at
 * the start of a step (t0, or the event just handled) never fires again.
 */
import { H, T, T_NEXT } from "../controllers/base.js";
import { RESULTS, type Result } from "../results.js";
import type { AbstractSolver, SolverState } from "../solvers/solver.js";
import { describeValue } from "../tree.js";
import type { Event, EventRecord } from "./event.js";
import { bisectSign, illinois, type ScalarFunctionOfTime } from "./rootfind.js";

/** A bad condition or affect (NaN, a non-number, a non-finite state); passes through the loop unchanged. */
export class EventError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = "EventError";
  }
}

/** Shared empty buffers: a problem without a schedule, or a solve before its first event, allocates none. */
const EMPTY_F64 = new Float64Array(0);
const EMPTY_I32 = new Int32Array(0);

type Cond = (t: number, y: Float64Array, args: unknown) => number | boolean;
type Affect = (t: number, y: Float64Array, args: unknown) => void | ArrayLike<number>;

/**
 * @internal The event workspace of one validated problem, reusable across solves (ensembles).
 */
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
  private gLo: Float64Array;
  private readonly tLo: Float64Array;
  private gEnd: Float64Array;
  /**
   * Whether a condition returned a boolean (its switch is then located by bisection). Set where a
   * boolean is seen; the choice only affects speed, as Illinois also converges on ±1 values.
   */
  private readonly isBool: Uint8Array;
  private readonly fired: Uint8Array;
  private readonly yTmp: Float64Array;

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
  private t1 = 0;
  private stepT = 0;
  private stepH = 1;
  private current = 0;
  private pendingTerminal = false;
  private overflow = false;

  // Records of fired events, packed and grown geometrically.
  private recIndex: Int32Array;
  private recT: Float64Array;
  private recY: Float64Array;
  private recCount = 0;

  constructor(events: readonly Event[], n: number, maxEvents: number) {
    const m = events.length;
    this.m = m;
    this.n = n;
    this.maxEvents = maxEvents;
    this.terminal = new Uint8Array(m);
    this.want = new Int8Array(m);
    this.tol = new Float64Array(m);
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
    this.isBool = new Uint8Array(m);
    this.fired = new Uint8Array(m);
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
    this.solver = solver;
    this.state = state;
    this.args = args;
    const dir = t1 >= t0 ? 1 : -1;
    this.dir = dir;
    this.t1 = t1;
    this.recCount = 0;
    this.changed = false;
    this.detail = "";
    this.pendingTerminal = false;
    this.overflow = false;
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
    let fire = false;
    let handled = false;
    while (this.schedPos < c && this.schedT[this.schedPos] === t0) {
      const i = this.schedIdx[this.schedPos++]!;
      this.fired[i] = 1;
      fire = true;
      if (this.affects[i] !== undefined || this.terminal[i] === 1) handled = true;
    }
    this.nextTime = this.schedPos < c ? this.schedT[this.schedPos]! : t1;
    let code: Result = RESULTS.successful;
    if (fire) {
      this.yPre.set(y);
      this.time = t0;
      if (!this.record(t0) || handled) code = this.handle(y);
      else this.fired.fill(0);
    }
    const cont = this.cont;
    for (let k = 0; k < cont.length; k++) {
      const i = cont[k]!;
      this.gLo[i] = this.evalCond(i, t0, y);
      this.tLo[i] = t0;
    }
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

  /** Value of the current condition on the last accepted step's interpolant at time t. */
  value(t: number): number {
    this.solver!.interpolate(this.state!, (t - this.stepT) / this.stepH, this.yTmp);
    return this.evalCond(this.current, t, this.yTmp);
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
   * step h and tNext in `rec` (the loop's step record: a double passed to a call V8 does not
   * inline would be boxed, an allocation per step). Records every event that fired. Returns true
   * when one must be handled (it has an `affect` or is terminal, or `maxEvents` is exceeded): then
   * `time` is its time and `yPre` the state there, and the loop must call `handle`. Events
   * without `affect` that do not terminate are only recorded.
   */
  detect(rec: Float64Array, y1: Float64Array): boolean {
    return this.quiet(rec, y1) ? false : this.search(rec[T]!, rec[H]!, rec[T_NEXT]!, y1);
  }

  /**
   * The common case: evaluates the conditions at the step end and, when none changed sign (and
   * no event can fire at the step end), makes the step end the next start and returns true.
   */
  private quiet(rec: Float64Array, y1: Float64Array): boolean {
    const tNext = rec[T_NEXT]!;
    const cont = this.cont;
    const nc = cont.length;
    const gLo = this.gLo;
    const gEnd = this.gEnd;
    const args = this.args;
    let change = this.schedPos < this.schedCount || this.disc.length > 0;
    // The first four conditions are called from call sites of their own, which V8 can inline
    // (one shared call site would see every condition and stay megamorphic).
    if (nc > 0) {
      const i = cont[0]!;
      let r = this.c0!(tNext, y1, args);
      if (typeof r !== "number" || r - r !== 0) r = this.convert(i, r, tNext);
      gEnd[i] = r;
      if (!(gLo[i]! * r > 0)) change = true;
    }
    if (nc > 1) {
      const i = cont[1]!;
      let r = this.c1!(tNext, y1, args);
      if (typeof r !== "number" || r - r !== 0) r = this.convert(i, r, tNext);
      gEnd[i] = r;
      if (!(gLo[i]! * r > 0)) change = true;
    }
    if (nc > 2) {
      const i = cont[2]!;
      let r = this.c2!(tNext, y1, args);
      if (typeof r !== "number" || r - r !== 0) r = this.convert(i, r, tNext);
      gEnd[i] = r;
      if (!(gLo[i]! * r > 0)) change = true;
    }
    if (nc > 3) {
      const i = cont[3]!;
      let r = this.c3!(tNext, y1, args);
      if (typeof r !== "number" || r - r !== 0) r = this.convert(i, r, tNext);
      gEnd[i] = r;
      if (!(gLo[i]! * r > 0)) change = true;
    }
    for (let k = 4; k < nc; k++) {
      const i = cont[k]!;
      const g = this.evalCond(i, tNext, y1);
      gEnd[i] = g;
      if (!(gLo[i]! * g > 0)) change = true;
    }
    // (gLo·g ≤ 0: a sign change, a zero, or an unknown sign, gLo = 0.)
    if (change) return false;
    // The step end becomes the next step's start: swap the value buffers instead of copying.
    this.gLo = gEnd;
    this.gEnd = gLo;
    const tLo = this.tLo;
    for (let k = 0; k < nc; k++) tLo[cont[k]!] = tNext;
    return true;
  }

  /** A condition's value that is not a finite number: ±1 for a boolean, an error otherwise. */
  private convert(i: number, r: unknown, t: number): number {
    if (typeof r === "boolean") {
      this.isBool[i] = 1;
      return r ? 1 : -1;
    }
    return badCondition(i, t, r);
  }

  /** `detect` when some condition changed sign (or is unknown), or events may fire at the step end. */
  private search(t: number, h: number, tNext: number, y1: Float64Array): boolean {
    this.stepT = t;
    this.stepH = h;
    const dir = this.dir;
    const cont = this.cont;
    const nc = cont.length;
    const gLo = this.gLo;
    const tLo = this.tLo;
    const gEnd = this.gEnd;
    const fired = this.fired;
    let atEnd = false; // continuous events to handle at tNext, together with the step-end events
    if (nc > 0) {
      // Each pass finds the earliest root after the last one; passes after the first happen only
      // when events without affect fired (recorded, the step goes on).
      for (;;) {
        let found = false;
        let best = tNext;
        for (let k = 0; k < nc; k++) {
          const i = cont[k]!;
          if (gLo[i] === 0) this.probe(i, tNext);
          const gl = gLo[i]!;
          if (gl === 0) continue;
          const ge = gEnd[i]!;
          if (gl > 0 ? ge > 0 : ge < 0) continue; // no sign change in this step
          if (this.want[i] === (gl > 0 ? 1 : -1)) continue; // a crossing in the other direction
          let tb = tNext;
          let gb = ge;
          if (found && dir * (tLo[i]! - best) >= 0) continue; // its root lies after `best`
          if (found && best !== tNext) {
            // Only a root before the best so far matters: has it crossed already at `best`?
            this.current = i;
            gb = this.value(best);
            if (gb !== 0 && gb > 0 === gl > 0) continue;
            tb = best;
          }
          this.current = i;
          best = this.isBool[i] === 1 ? bisectSign(this, tLo[i]!, gl, tb, this.tol[i]!) : illinois(this, tLo[i]!, gl, tb, gb, this.tol[i]!);
          found = true;
        }
        if (!found) break;
        // Every event that has crossed (in its direction) at `best` fires there.
        const yPre = this.yPre;
        if (best === tNext) yPre.set(y1);
        else this.solver!.interpolate(this.state!, (best - t) / h, yPre);
        let handled = false;
        for (let k = 0; k < nc; k++) {
          const i = cont[k]!;
          const gl = gLo[i]!;
          if (gl === 0 || dir * (tLo[i]! - best) >= 0) continue;
          const g = this.evalCond(i, best, yPre);
          if ((gl > 0 ? g > 0 : g < 0) || this.want[i] === (gl > 0 ? 1 : -1)) continue;
          fired[i] = 1;
          if (this.affects[i] !== undefined || this.terminal[i] === 1) handled = true;
        }
        this.time = best;
        if (handled && best === tNext) {
          atEnd = true;
          break;
        }
        if (!this.record(best) || handled) return true;
        // Only recorded: search the rest of the step from `best`, with signs taken there.
        for (let k = 0; k < nc; k++) {
          const i = cont[k]!;
          gLo[i] = fired[i] === 1 ? 0 : this.evalCond(i, best, yPre);
          tLo[i] = best;
          fired[i] = 0;
        }
      }
      for (let k = 0; k < nc; k++) {
        const i = cont[k]!;
        gLo[i] = gEnd[i]!;
        tLo[i] = tNext;
      }
    }
    // Events at the step end: scheduled times (the step landed on them) and discrete conditions.
    if (!atEnd && this.schedPos === this.schedCount && this.disc.length === 0) return false;
    let fire = atEnd;
    let handled = atEnd;
    while (this.schedPos < this.schedCount && dir * (this.schedT[this.schedPos]! - tNext) <= 0) {
      const i = this.schedIdx[this.schedPos++]!;
      fired[i] = 1;
      fire = true;
      if (this.affects[i] !== undefined || this.terminal[i] === 1) handled = true;
    }
    this.nextTime = this.schedPos < this.schedCount ? this.schedT[this.schedPos]! : this.t1;
    const disc = this.disc;
    for (let k = 0; k < disc.length; k++) {
      const i = disc[k]!;
      const r = this.conds[i]!(tNext, y1, this.args);
      if (r === true) {
        fired[i] = 1;
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
    fired.fill(0);
    return false;
  }

  /**
   * Resolves an unknown sign of continuous event i: its value a little after tLo on this step's
   * interpolant (beyond where the last root was located), or, if the step is too short for that,
   * unknown until the step end.
   */
  private probe(i: number, tNext: number): void {
    const t = this.tLo[i]!;
    const delta = Math.max(4 * this.tol[i]!, 64 * Number.EPSILON * Math.max(Math.abs(t), Math.abs(this.stepH)));
    const tp = t + this.dir * delta;
    if (this.dir * (tp - tNext) >= 0) return;
    this.current = i;
    this.gLo[i] = this.value(tp);
    this.tLo[i] = tp;
  }

  /**
   * Records the events marked in `fired` at time t with state `yPre`, unless that would exceed
   * `maxEvents`; returns false (and records nothing) then.
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
      if (fired[i] === 0) continue;
      if (this.recCount === this.recT.length) this.grow();
      const r = this.recCount++;
      this.recIndex[r] = i;
      this.recT[r] = t;
      this.recY.set(this.yPre, r * n);
      if (this.terminal[i] === 1) this.pendingTerminal = true;
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
   * the `affect`s of the events that fired (in index order), and takes the conditions' signs at the
   * new state. Returns `RESULTS.successful` to go on (the loop restarts the solver from y),
   * `eventOccurred` for a terminating event, or `maxEventsReached` (y then holds the state before
   * the event that would have exceeded the limit).
   */
  handle(y: Float64Array): Result {
    const t = this.time;
    y.set(this.yPre);
    this.changed = false;
    const fired = this.fired;
    if (this.overflow) {
      this.detail = `t = ${t}: ${this.recCount} events fired and another one would exceed maxEvents = ${this.maxEvents}`;
      return RESULTS.maxEventsReached;
    }
    const n = this.n;
    for (let i = 0; i < this.m; i++) {
      if (fired[i] === 0) continue;
      const affect = this.affects[i];
      if (affect === undefined) continue;
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
    }
    // Signs after the event: a condition that fired (or is zero) takes its sign just after t.
    const cont = this.cont;
    for (let k = 0; k < cont.length; k++) {
      const i = cont[k]!;
      const g = this.evalCond(i, t, y);
      this.gLo[i] = fired[i] === 1 ? 0 : g;
      this.tLo[i] = t;
    }
    fired.fill(0);
    if (this.pendingTerminal) return RESULTS.eventOccurred;
    return RESULTS.successful;
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
