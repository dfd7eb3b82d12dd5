/**
 * Events in gradients: where the events that changed a solve fired, and the linearisation of the
 * state's jump there (the saltation of the state at an event), shared by every adjoint.
 *
 * At an event time t* the state jumps from y⁻ (the solution reaching t*) to y⁺ = A(t*, y⁻, p),
 * the event's `affect` (the affects of all events firing at t*, in the order they ran; the
 * identity for a terminating event without one). How t* moves with the inputs depends on what
 * fixed it:
 *
 * - a root of a continuous condition g(t, y, p) = 0 (a ball reaching the floor): by the implicit
 *   function theorem on g(t*, y⁻(t*), p) = 0,
 *     δt* = −(g_y·δu + g_p·δp) / (g_t + g_y·ẏ⁻),
 *   where δu is the variation of the solution at fixed time and ẏ⁻ its time derivative there
 *   (the discrete adjoint and forward mode use the step's interpolant, whose root the solve
 *   located; the continuous adjoint uses f(t*, y⁻));
 * - a scheduled time τ (a dose): t* = τ, an input of its own (δt* = δτ), with ẏ⁻ = f(τ, y⁻);
 * - a step end (a discrete callback): a decision of the step-size controller, held constant as
 *   every step is (δt* = 0).
 *
 * The pre-event state at the moved time varies by δy⁻ = δu + ẏ⁻ δt*, the affect's output by
 * δy⁺ = A_y δy⁻ + A_t δt* + A_p δp, and the state after the event at the fixed time t* (which the
 * rest of the solve starts from, its later steps held at their times) by δy⁺ − f(t*, y⁺) δt*. So
 *
 *   δy⁺_fixed = A_y δu + A_p δp + (A_y ẏ⁻ + A_t − f⁺) δt*,
 *
 * the saltation matrix of hybrid systems (Aizerman & Gantmacher 1958; the callback sensitivities
 * of SciMLSensitivity.jl) when δt* is a root's. A terminating event's saved state is the state *at*
 * the event time, which moves with it: there the −f⁺ δt* term is absent. Forward mode applies
 * {@link EventJump.forward}; the adjoints its transpose {@link EventJump.reverse}.
 *
 * The derivatives of conditions and affects (g_t, g_y, g_p, A_t, A_y, A_p) are taken by central
 * differences with steps of about ε^⅓ of each input's scale (a power of two, so that x ± h is
 * exact): an affine affect such as a dose y[0] += args.dose is differentiated to rounding. They are
 * computed once per event time and kept (n·(n + P + 1) doubles per affect). Conditions and affects
 * must be pure functions of (t, y, args): they are called again at the recorded states.
 *
 * Reference: C. Rackauckas et al., "Universal differential equations for scientific machine
 * learning" (2020) and SciMLSensitivity.jl's callback adjoints; M. A. Aizerman and F. R.
 * Gantmacher, "Determination of stability by linear approximation of a periodic solution of a
 * system of differential equations with discontinuous right-hand sides", Q. J. Mech. Appl. Math.
 * 11 (1958) 385–398.
 */
import type { Validated } from "../integrate.js";
import type { EventDefinition, EventRecord } from "../events/types.js";
import type { ArgsLayout } from "./derivatives.js";

/** The event time is a root of a continuous condition: it moves with y and p. */
export const JUMP_ROOT = 0;
/** The event time is a scheduled time: an input of its own (a dose time). */
export const JUMP_SCHEDULED = 1;
/** The event time is a step end (a discrete callback): held constant, as the steps are. */
export const JUMP_FIXED = 2;

/** The events that fired together at one time and changed the solve (an affect ran, or it ended). */
export interface EventGroup {
  /** The event time. */
  readonly t: number;
  /** JUMP_ROOT, JUMP_SCHEDULED or JUMP_FIXED: what fixed the time. */
  readonly kind: number;
  /** The event whose condition's root the time is (JUMP_ROOT), else −1. */
  readonly trigger: number;
  /** Indices of the events whose affects ran, in the order they ran (an event listed twice, twice). */
  readonly affects: readonly number[];
  /** Whether the solve ended here. */
  readonly terminal: boolean;
  /** Index in `sol.events` of the group's first record, and the number of its records. */
  readonly first: number;
  readonly count: number;
  /** Index in `sol.events` of the record that carries the time's gradient (the first scheduled one), or −1. */
  readonly timeRecord: number;
  /** The state just before the event. */
  readonly yPre: Float64Array;
}

/** Whether an event changes the solve when it fires: its affect runs, or it ends the solve. */
export function changesSolve(e: EventDefinition): boolean {
  return e.affect !== undefined || e.terminal;
}

/**
 * The event records `records[from …]` grouped by time, keeping the groups that changed the solve
 * (records of events that only fired, without affect, leave the solution unchanged and are skipped).
 */
export function groupEvents(events: readonly EventDefinition[], records: readonly EventRecord[], from = 0): EventGroup[] {
  const groups: EventGroup[] = [];
  let a = from;
  while (a < records.length) {
    const t = records[a]!.t;
    let b = a + 1;
    while (b < records.length && records[b]!.t === t) b++;
    let changed = false;
    let terminal = false;
    let trigger = -1;
    let scheduled = -1;
    const affects: number[] = [];
    for (let r = a; r < b; r++) {
      const i = records[r]!.index;
      const e = events[i]!;
      if (!changesSolve(e)) continue;
      changed = true;
      if (e.terminal) terminal = true;
      if (e.affect !== undefined) affects.push(i);
      if (e.kind === "scheduled" && scheduled < 0) scheduled = r;
      if (e.kind === "continuous" && trigger < 0) trigger = i;
    }
    if (changed) {
      // A scheduled time decides the time even where a root falls on it exactly.
      const kind = scheduled >= 0 ? JUMP_SCHEDULED : trigger >= 0 ? JUMP_ROOT : JUMP_FIXED;
      groups.push({
        t, kind, trigger: kind === JUMP_ROOT ? trigger : -1, affects, terminal, first: a, count: b - a, timeRecord: scheduled,
        yPre: records[a]!.y,
      });
    }
    a = b;
  }
  return groups;
}

/** Runs `affect` on y in place at t (an affect may also return the new state). */
function runAffect(affect: NonNullable<EventDefinition["affect"]>, t: number, y: Float64Array, args: unknown): void {
  const r = affect(t, y, args);
  if (r !== undefined && r !== null) for (let j = 0; j < y.length; j++) y[j] = (r as ArrayLike<number>)[j]!;
}

/** A central-difference step of about ε^⅓ times the scale of x, a power of two (so that x ± h is exact). */
function fdStep(x: number): number {
  return 2 ** Math.round(Math.log2(6e-6 * Math.max(1, Math.abs(x))));
}

/** A continuous condition's value, refusing a boolean (its switch has no derivative). */
function conditionValue(cond: NonNullable<EventDefinition["cond"]>, t: number, y: Float64Array, args: unknown, index: number, who: string): number {
  const r = cond(t, y, args);
  if (typeof r !== "number") {
    throw new TypeError(
      `${who}: event ${index} changes the solve (an affect, or terminal) and its \`cond\` returns a boolean, whose switch has no derivative ` +
        "for the event time; return a number whose sign change is the event (y[0] - 1 rather than y[0] > 1).",
    );
  }
  return r;
}

/**
 * The linearisation of one event group's jump (see the module documentation): the post-event
 * state, the condition's and affects' derivatives, and their products forward and transposed.
 * Built once per event time after the forward solve; every buffer is allocated here.
 */
export class EventJump {
  readonly n: number;
  readonly nP: number;
  /** The state after the affects. */
  readonly yPost: Float64Array;
  /** f(t*, y⁻): ẏ⁻ for scheduled times (and for the continuous adjoint). */
  readonly fPre: Float64Array;
  /** f(t*, y⁺) (zero for a terminating event, whose state is taken at the moving time). */
  private readonly fPost: Float64Array;
  /** g_t, g_y, g_p of the triggering condition (JUMP_ROOT). */
  private gt = 0;
  private readonly gy: Float64Array;
  private readonly gp: Float64Array;
  /** Per affect: its input state, A_y (n × n row-major), A_t (n), A_p (n × P row-major). */
  private readonly ins: Float64Array[] = [];
  private readonly Ay: Float64Array[] = [];
  private readonly At: Float64Array[] = [];
  private readonly Ap: Float64Array[] = [];
  private readonly s: Float64Array;
  private readonly w: Float64Array;

  constructor(
    readonly group: EventGroup,
    private readonly v: Validated<unknown>,
    private readonly layout: ArgsLayout,
    who: string,
  ) {
    const n = group.yPre.length;
    const nP = layout.size;
    this.n = n;
    this.nP = nP;
    this.s = new Float64Array(n);
    this.w = new Float64Array(n);
    const events = v.events!;
    const args = layout.args;
    const t = group.t;
    // The primal: the affects in order, each input kept for its derivatives.
    const y = Float64Array.from(group.yPre);
    for (const i of group.affects) {
      this.ins.push(Float64Array.from(y));
      runAffect(events[i]!.affect!, t, y, args);
    }
    this.yPost = y;
    this.fPre = new Float64Array(n);
    v.f(t, Float64Array.from(group.yPre), args, this.fPre);
    this.fPost = new Float64Array(n);
    if (!group.terminal) v.f(t, Float64Array.from(y), args, this.fPost);
    this.gy = new Float64Array(n);
    this.gp = new Float64Array(nP);
    if (group.kind === JUMP_ROOT) this.conditionDerivatives(events[group.trigger]!.cond!, group.trigger, who);
    group.affects.forEach((i, k) => this.affectDerivatives(events[i]!.affect!, this.ins[k]!));
  }

  /** g_t, g_y and g_p at (t*, y⁻) by central differences. */
  private conditionDerivatives(cond: NonNullable<EventDefinition["cond"]>, index: number, who: string): void {
    const { n, nP, layout, group } = this;
    const t = group.t;
    const y = Float64Array.from(group.yPre);
    const args = layout.args;
    const g = (tt: number, yy: Float64Array, a: unknown): number => conditionValue(cond, tt, yy, a, index, who);
    g(t, y, args);
    const ht = fdStep(t);
    this.gt = (g(t + ht, y, args) - g(t - ht, y, args)) / (2 * ht);
    for (let j = 0; j < n; j++) {
      const x = y[j]!;
      const h = fdStep(x);
      y[j] = x + h;
      const a = g(t, y, args);
      y[j] = x - h;
      const b = g(t, y, args);
      y[j] = x;
      this.gy[j] = (a - b) / (2 * h);
    }
    if (nP === 0) return;
    const m = layout.mutableCopy();
    for (let k = 0; k < nP; k++) {
      const x = m.get(k);
      const h = fdStep(x);
      m.set(k, x + h);
      const a = g(t, y, m.value);
      m.set(k, x - h);
      const b = g(t, y, m.value);
      m.set(k, x);
      this.gp[k] = (a - b) / (2 * h);
    }
  }

  /** A_y, A_t and A_p of one affect at its input state, by central differences. */
  private affectDerivatives(affect: NonNullable<EventDefinition["affect"]>, yIn: Float64Array): void {
    const { n, nP, layout } = this;
    const t = this.group.t;
    const args = layout.args;
    const Ay = new Float64Array(n * n);
    const At = new Float64Array(n);
    const Ap = new Float64Array(n * nP);
    const plus = new Float64Array(n);
    const minus = new Float64Array(n);
    const eval2 = (tp: number, tm: number, yp: Float64Array, ym: Float64Array, ap: unknown, am: unknown): void => {
      plus.set(yp);
      runAffect(affect, tp, plus, ap);
      minus.set(ym);
      runAffect(affect, tm, minus, am);
    };
    const ht = fdStep(t);
    eval2(t + ht, t - ht, yIn, yIn, args, args);
    for (let i = 0; i < n; i++) At[i] = (plus[i]! - minus[i]!) / (2 * ht);
    const yp = Float64Array.from(yIn);
    const ym = Float64Array.from(yIn);
    for (let j = 0; j < n; j++) {
      const x = yIn[j]!;
      const h = fdStep(x);
      yp[j] = x + h;
      ym[j] = x - h;
      eval2(t, t, yp, ym, args, args);
      yp[j] = x;
      ym[j] = x;
      for (let i = 0; i < n; i++) Ay[i * n + j] = (plus[i]! - minus[i]!) / (2 * h);
    }
    if (nP > 0) {
      const mp = layout.mutableCopy();
      const mm = layout.mutableCopy();
      for (let k = 0; k < nP; k++) {
        const x = mp.get(k);
        const h = fdStep(x);
        mp.set(k, x + h);
        mm.set(k, x - h);
        eval2(t, t, yIn, yIn, mp.value, mm.value);
        mp.set(k, x);
        mm.set(k, x);
        for (let i = 0; i < n; i++) Ap[i * nP + k] = (plus[i]! - minus[i]!) / (2 * h);
      }
    }
    this.Ay.push(Ay);
    this.At.push(At);
    this.Ap.push(Ap);
  }

  /** ẏ⁻ to use: the given one for a root (the interpolant's), f(t*, y⁻) otherwise or when none is given. */
  private ydot(given: Float64Array | null): Float64Array {
    return given !== null && this.group.kind === JUMP_ROOT ? given : this.fPre;
  }

  /**
   * Forward mode: the tangent `out` of the post-event state (at the fixed event time, or at the
   * moving one for a terminating event) from the tangent `du` of the pre-event state at fixed
   * time, `dp` of the parameters and `dtau` of a scheduled time. `ydotPre` is the solution's time
   * derivative before the event (null: f(t*, y⁻)). Returns δt*. `out` may be `du`.
   */
  forward(du: Float64Array, ydotPre: Float64Array | null, dp: Float64Array | null, dtau: number, out: Float64Array): number {
    const { n, nP, group } = this;
    const yd = this.ydot(ydotPre);
    let dt = 0;
    if (group.kind === JUMP_ROOT) {
      let num = 0;
      let den = this.gt;
      for (let j = 0; j < n; j++) {
        num += this.gy[j]! * du[j]!;
        den += this.gy[j]! * yd[j]!;
      }
      if (dp !== null) for (let k = 0; k < nP; k++) num += this.gp[k]! * dp[k]!;
      dt = -num / den;
    } else if (group.kind === JUMP_SCHEDULED) dt = dtau;
    const s = this.s;
    for (let j = 0; j < n; j++) s[j] = du[j]! + yd[j]! * dt;
    const w = this.w;
    for (let k = 0; k < this.Ay.length; k++) {
      const Ay = this.Ay[k]!;
      const At = this.At[k]!;
      const Ap = this.Ap[k]!;
      for (let i = 0; i < n; i++) {
        let acc = At[i]! * dt;
        for (let j = 0; j < n; j++) acc += Ay[i * n + j]! * s[j]!;
        if (dp !== null) for (let q = 0; q < nP; q++) acc += Ap[i * nP + q]! * dp[q]!;
        w[i] = acc;
      }
      s.set(w);
    }
    for (let j = 0; j < n; j++) out[j] = s[j]! - this.fPost[j]! * dt;
    return dt;
  }

  /**
   * The transpose of {@link forward}: from the cotangent `lam` of the post-event state, writes the
   * cotangent of the pre-event state at fixed time into `ubar` (may be `lam`), adds the parameters'
   * into `pbar`, and returns the cotangent of the scheduled time (0 for other kinds).
   */
  reverse(lam: Float64Array, ydotPre: Float64Array | null, pbar: Float64Array, ubar: Float64Array): number {
    const { n, nP, group } = this;
    const yd = this.ydot(ydotPre);
    const s = this.s;
    const w = this.w;
    let tbar = 0;
    for (let j = 0; j < n; j++) {
      s[j] = lam[j]!;
      tbar -= lam[j]! * this.fPost[j]!;
    }
    for (let k = this.Ay.length - 1; k >= 0; k--) {
      const Ay = this.Ay[k]!;
      const At = this.At[k]!;
      const Ap = this.Ap[k]!;
      for (let i = 0; i < n; i++) tbar += At[i]! * s[i]!;
      for (let q = 0; q < nP; q++) {
        let acc = 0;
        for (let i = 0; i < n; i++) acc += Ap[i * nP + q]! * s[i]!;
        pbar[q] += acc;
      }
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let i = 0; i < n; i++) acc += Ay[i * n + j]! * s[i]!;
        w[j] = acc;
      }
      s.set(w);
    }
    for (let j = 0; j < n; j++) tbar += s[j]! * yd[j]!;
    for (let j = 0; j < n; j++) ubar[j] = s[j]!;
    if (group.kind === JUMP_ROOT) {
      let den = this.gt;
      for (let j = 0; j < n; j++) den += this.gy[j]! * yd[j]!;
      const c = tbar / den;
      for (let j = 0; j < n; j++) ubar[j] -= c * this.gy[j]!;
      for (let q = 0; q < nP; q++) pbar[q] -= c * this.gp[q]!;
      return 0;
    }
    return group.kind === JUMP_SCHEDULED ? tbar : 0;
  }
}

/**
 * The jumps of the groups, built after the forward solve; throws (naming the event) for a
 * condition that cannot be differentiated.
 */
export function eventJumps(v: Validated<unknown>, records: readonly EventRecord[], layout: ArgsLayout, who: string): EventJump[] {
  if (v.events === null) return [];
  return groupEvents(v.events, records).map((g) => new EventJump(g, v, layout, who));
}
