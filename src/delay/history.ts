/**
 * The history of a delay equation during one solve: φ before t0, the dense output of every accepted
 * step after it, and a predictor for the step being taken (whose own interpolant is not known yet).
 *
 * A lookup y(s) (or y′(s)) falls in one of three places:
 *
 * - **s before t0**: the history function φ (φ′ by its derivative, or a central difference);
 * - **s inside an accepted step**: that step's dense output, found by binary search (with a cached
 *   index, since the stages of a step look up nearby times). At a step boundary the side matters
 *   for a jump: a stage strictly inside the current step reads the step that ends at s (the left
 *   limit), the stage at the step's start reads the step that starts there (the right limit);
 * - **s at or after the start of the current step** (a step longer than a delay: the *overlap*):
 *   the predictor. It is the current step's own trial interpolant while the method of steps iterates
 *   on the step, else the last accepted step extrapolated (θ > 1), or y + (s − t) f right after a
 *   restart (at t0, after an event), where the last step no longer continues the solution.
 *
 * Doubles cross calls in `q` (a Float64Array), not as arguments: V8 boxes a double passed to a call
 * it does not inline. Nothing here allocates per lookup; the store grows by half when full.
 *
 * Reference: A. Bellen & M. Zennaro, *Numerical Methods for Delay Differential Equations*, Oxford
 * (2003), §4.1 (continuous extensions) and §4.3 (overlapping: prediction and iteration).
 */
import type { AbstractSolver, SolverState } from "../solvers/solver.js";
import type { InPlaceVectorField } from "../terms.js";
import type { DelayTerm, History } from "./term.js";

/** Slots of {@link DelayHistory.q}. */
export const Q_T0 = 0;
/** The start of the current step (the solve's current time). */
export const Q_T_STEP = 1;
/** The size of the trial step whose interpolant the predictor uses. */
const Q_TRIAL_H = 2;
/** The time of a lookup (an argument that would be boxed). */
const Q_S = 3;
/** The time of the vector-field call in progress (for `history.at`'s check). */
const Q_CALL_T = 4;
/** The size of the step being taken. */
const Q_H_STEP = 5;
/** How far before the step's start the call in progress is (a solver's finite-difference probe in t), else 0. */
const Q_BEHIND = 6;

/** Predictors of the current step. */
const PREDICT_EXTRAPOLATE = 0;
const PREDICT_LINEAR = 1;
const PREDICT_TRIAL = 2;
const PREDICT_HERMITE = 3;

/** @internal The history of one solve; see the module documentation. */
/**
 * Makes the named properties of `target` non-writable: they are references (the term, the user's
 * args, the solver, closures), not data, and an integrator snapshot (src/integrate/snapshot.ts)
 * captures writable data properties only, so a resumed solve keeps the fresh state's references.
 */
export function pinReferences(target: object, keys: readonly string[]): void {
  for (const key of keys) Object.defineProperty(target, key, { value: (target as Record<string, unknown>)[key], writable: false, enumerable: true, configurable: false });
}

export class DelayHistory {
  readonly q = new Float64Array(7);
  readonly stride: number;
  tStart: Float64Array;
  dt: Float64Array;
  data: Float64Array;
  count = 0;
  /** The index the last store lookup found (stages look up nearby times). */
  private cached = 0;
  /** How the current step is predicted (PREDICT_*). */
  predictor = PREDICT_LINEAR;
  /** The predictor a step starts with: linear after a restart, extrapolation after an accepted step. */
  private base = PREDICT_LINEAR;
  /** 1 when a lookup of the current step fell at or after its start (the overlap). */
  overlap = 0;
  /** Whether the vector field call in progress is strictly inside the current step (left limits). */
  private left = 0;
  /** The state and f at the last restart (the linear predictor). */
  readonly yStart: Float64Array;
  readonly fStart: Float64Array;
  /** The trial step's dense data (the solver's own format), or its Hermite data [y0, y1, f0, f1]. */
  readonly trial: Float64Array;
  readonly hermite: Float64Array;
  /** The Hermite predictor in Newton form: nodes (repeated), their number, and coefficients (node-major, n each). */
  private readonly hz = new Float64Array(6);
  private hm = 0;
  private readonly hc: Float64Array;
  private readonly table = new Float64Array(36);
  /** y(t − τᵢ) and y′(t − τᵢ), handed to the vector field. */
  readonly delayed: Float64Array[];
  readonly derivatives: Float64Array[];
  /** The in-place vector field the inner solver calls. */
  readonly field: InPlaceVectorField;
  /** What the user's vector field receives. */
  readonly accessor: History;
  private readonly scratch: Float64Array;
  private readonly scratch2: Float64Array;
  private readonly y0: Float64Array;
  private readonly constant: Float64Array | null;

  constructor(
    readonly term: DelayTerm,
    readonly n: number,
    readonly args: unknown,
    /** The ODE solver whose dense output is stored. */
    readonly solver: AbstractSolver<SolverState> | null,
  ) {
    this.stride = solver === null ? 0 : solver.denseSize(n);
    this.tStart = new Float64Array(solver === null ? 0 : 64);
    this.dt = new Float64Array(this.tStart.length);
    this.data = new Float64Array(this.tStart.length * this.stride);
    this.yStart = new Float64Array(n);
    this.fStart = new Float64Array(n);
    this.trial = new Float64Array(this.stride);
    this.hermite = new Float64Array(6 * n);
    this.hc = new Float64Array(6 * n);
    this.scratch = new Float64Array(n);
    this.scratch2 = new Float64Array(n);
    this.y0 = new Float64Array(n);
    const k = term.delays.length;
    this.delayed = Array.from({ length: k }, () => new Float64Array(n));
    this.derivatives = term.neutral ? Array.from({ length: k }, () => new Float64Array(n)) : [];
    const h = term.history;
    if (typeof h === "number") this.constant = new Float64Array(n).fill(h);
    else if (h instanceof Float64Array) {
      if (h.length !== n) throw historyLength(h.length, n);
      this.constant = h;
    } else if (h === undefined) this.constant = this.y0;
    else this.constant = null;
    this.field = (t, y, a, dy) => {
      this.call(t, y, a, dy);
    };
    const self = this;
    this.accessor = {
      delayed: this.delayed,
      derivatives: this.derivatives,
      at(s: number, out?: Float64Array): Float64Array {
        return self.lookupAt(s, out ?? new Float64Array(self.n), false);
      },
      derivativeAt(s: number, out?: Float64Array): Float64Array {
        return self.lookupAt(s, out ?? new Float64Array(self.n), true);
      },
    };
    pinReferences(this, ["term", "args", "solver", "field", "accessor"]);
  }

  /**
   * A history that knows only φ (the past before any step): the vector field `diffeqsolve` probes
   * at t0 and the automatic first step uses. With no history given, φ is the constant `y0`.
   */
  static probe(term: DelayTerm, n: number, args: unknown, y0: Float64Array): DelayHistory {
    const h = new DelayHistory(term, n, args, null);
    h.y0.set(y0);
    h.q[Q_T0] = Infinity;
    h.q[Q_T_STEP] = Infinity;
    return h;
  }

  /** The solve starts at t0 from y0 (the constant history when none is given); checks φ there. */
  begin(t0: number, y0: Float64Array): void {
    this.q[Q_T0] = t0;
    this.q[Q_T_STEP] = t0;
    this.y0.set(y0);
    this.count = 0;
    this.base = PREDICT_LINEAR;
    this.predictor = PREDICT_LINEAR;
    if (this.constant === null) checkHistoryFunction(this.term, t0, this.args, this.n);
  }

  /** The vector field at (t, y) into `out` (for the trial interpolant's ends): t at the step's start reads right limits. */
  callAt(t: number, y: Float64Array, args: unknown, out: Float64Array): void {
    this.call(t, y, args, out);
  }

  /** The probe's vector field: every lookup is φ. */
  probeCall(t: number, y: Float64Array, args: unknown, dy: Float64Array): void {
    this.call(t, y, args, dy);
  }

  /** The vector field of the delay equation at (t, y): the delayed states, then the user's f. */
  private call(t: number, y: Float64Array, args: unknown, dy: Float64Array): void {
    const q = this.q;
    const term = this.term;
    this.left = t > q[Q_T_STEP]! ? 1 : 0;
    const behind = q[Q_T_STEP]! - t;
    q[Q_BEHIND] = behind > 0 ? behind : 0;
    q[Q_CALL_T] = t;
    const delays = term.constantDelays;
    const k = delays.length;
    for (let i = 0; i < k; i++) {
      let tau = delays[i]!;
      if (tau !== tau) tau = this.variableDelay(i, t, y, args);
      q[Q_S] = t - tau;
      this.lookup(this.delayed[i]!, false);
      if (term.neutral) this.lookup(this.derivatives[i]!, true);
    }
    const r = term.vectorField(t, y, args, dy, this.accessor);
    if (r !== undefined) for (let j = 0; j < this.n; j++) dy[j] = (r as ArrayLike<number>)[j]!;
  }

  /**
   * τᵢ(t, y): a finite number; a negative value is taken as 0. (Near a delay that vanishes, the
   * stages' approximate states can make it slightly negative; it then reads y(t), as τ = 0 does.)
   */
  variableDelay(i: number, t: number, y: Float64Array, args: unknown): number {
    const tau = (this.term.delays[i] as (t: number, y: Float64Array, args: unknown) => number)(t, y, args);
    if (tau >= 0 && tau !== Infinity) return tau;
    if (tau < 0 && tau !== -Infinity) return 0;
    throw new RangeError(`DelayTerm: delays[${i}](t, y) = ${String(tau)} at t = ${t}; a delay must be a finite number ≥ 0 (the equation reads the past).`);
  }

  /** `history.at(s)`: a lookup from the user's vector field, after checking that s is not in the future. */
  private lookupAt(s: number, out: Float64Array, derivative: boolean): Float64Array {
    if (typeof s !== "number" || s !== s) throw new TypeError(`history.at(s): \`s\` must be a number; got ${String(s)}.`);
    if (s > this.q[Q_CALL_T]!) {
      throw new RangeError(`history.${derivative ? "derivativeAt" : "at"}(s): s = ${s} is after the current time t = ${this.q[Q_CALL_T]}; a delay equation reads only the past.`);
    }
    if (out.length < this.n) throw new RangeError(`history.at(s, out): out has length ${out.length}, needs ${this.n}.`);
    this.q[Q_S] = s;
    this.lookup(out, derivative);
    return out;
  }

  /** y(s) (or y′(s)) for s = q[Q_S], into `out`; see the module documentation. */
  lookup(out: Float64Array, derivative: boolean): void {
    const q = this.q;
    const s = q[Q_S]!;
    const t0 = q[Q_T0]!;
    const left = this.left === 1;
    // A call before the step's start (a solver's finite difference in t) reads the pieces the step
    // starts on, extended backward, so that the difference does not straddle a jump of the history.
    const behind = q[Q_BEHIND]!;
    const branch = behind > 0 ? s + behind : s;
    // At t0 the left limit is φ; so is the right one before any step or restart value exists.
    if (branch < t0 || (branch === t0 && (left || this.count === 0))) {
      this.phi(s, out, derivative);
      return;
    }
    const tStep = q[Q_T_STEP]!;
    if (this.count > 0 && (branch < tStep || (branch === tStep && left))) {
      this.evalStored(this.find(branch, left), derivative, out);
      return;
    }
    this.predict(s, out, derivative);
  }

  /** The current step's predictor at s ≥ its start (marks the overlap). */
  private predict(s: number, out: Float64Array, derivative: boolean): void {
    const q = this.q;
    const tStep = q[Q_T_STEP]!;
    const n = this.n;
    if (s > tStep || this.left === 1) this.overlap = 1;
    switch (this.predictor) {
      case PREDICT_TRIAL: {
        const h = q[Q_TRIAL_H]!;
        this.solver!.evaluateDense(this.trial, 0, n, h, (s - tStep) / h, derivative, out);
        return;
      }
      case PREDICT_HERMITE:
        newtonEval(this.hz, this.hm, this.hc, n, s, derivative, out);
        return;
      case PREDICT_EXTRAPOLATE: {
        if (this.count > 0) {
          this.evalStored(this.count - 1, derivative, out);
          return;
        }
        break;
      }
    }
    const d = s - tStep;
    const y = this.yStart;
    const f = this.fStart;
    if (derivative) for (let j = 0; j < n; j++) out[j] = f[j]!;
    else for (let j = 0; j < n; j++) out[j] = y[j]! + d * f[j]!;
  }

  /**
   * Stored step k at s = q[Q_S]. Kept small, so that V8 inlines the solver's `evaluateDense` here
   * and the doubles it takes are not boxed.
   */
  private evalStored(k: number, derivative: boolean, out: Float64Array): void {
    const h = this.dt[k]!;
    this.solver!.evaluateDense(this.data, k * this.stride, this.n, h, (this.q[Q_S]! - this.tStart[k]!) / h, derivative, out);
  }

  /** The last stored step whose start is before s (left limit) or at or before it (right limit). */
  private find(s: number, left: boolean): number {
    const ts = this.tStart;
    const last = this.count - 1;
    let k = this.cached;
    if (k > last) k = last;
    // The cached step, or the next one, most of the time.
    if (before(ts[k]!, s, left) && (k === last || !before(ts[k + 1]!, s, left))) return k;
    if (k < last && before(ts[k + 1]!, s, left) && (k + 1 === last || !before(ts[k + 2]!, s, left))) {
      this.cached = k + 1;
      return k + 1;
    }
    let a = 0;
    let b = last;
    while (a < b) {
      const mid = (a + b + 1) >> 1;
      if (before(ts[mid]!, s, left)) a = mid;
      else b = mid - 1;
    }
    this.cached = a;
    return a;
  }

  /** φ(s) or φ′(s) into `out`. */
  private phi(s: number, out: Float64Array, derivative: boolean): void {
    const n = this.n;
    const term = this.term;
    if (derivative && term.historyDerivative !== undefined) {
      callHistory(term.historyDerivative, s, this.args, out, n);
      return;
    }
    const c = this.constant;
    if (c !== null) {
      if (derivative) out.fill(0);
      else for (let j = 0; j < n; j++) out[j] = c[j]!;
      return;
    }
    if (!derivative) {
      callHistory(term.history as HistoryFunction, s, this.args, out, n);
      return;
    }
    // A one-sided second-order difference, on the past side (φ may not be defined after t0).
    const d = 1e-5 * Math.max(1, Math.abs(s));
    const a = this.scratch;
    const b = this.scratch2;
    const fn = term.history as HistoryFunction;
    callHistory(fn, s - d, this.args, a, n);
    callHistory(fn, s - 2 * d, this.args, b, n);
    callHistory(fn, s, this.args, out, n);
    for (let j = 0; j < n; j++) out[j] = (3 * out[j]! - 4 * a[j]! + b[j]!) / (2 * d);
  }

  /** φ(t0), the value the history gives at the start (compared with y0 for a jump there). */
  phiAtStart(out: Float64Array): Float64Array {
    this.phi(this.q[Q_T0]!, out, false);
    return out;
  }

  // ── The loop's side ──────────────────────────────────────────────────────────────────────────

  /** A restart at t with state y and f(t, y) = f: the linear predictor until a step is stored. */
  restart(t: number, y: Float64Array, f: Float64Array): void {
    this.q[Q_T_STEP] = t;
    this.yStart.set(y);
    this.fStart.set(f);
    this.base = PREDICT_LINEAR;
    this.predictor = PREDICT_LINEAR;
  }

  /** A step from `times[0]` of size `times[1]` begins (the overlap flag and the trial are reset). */
  beginStep(times: Float64Array): void {
    this.q[Q_T_STEP] = times[0]!;
    this.q[Q_H_STEP] = times[1]!;
    this.overlap = 0;
    this.predictor = this.base;
  }

  /** The trial step's dense data was written into `trial` (size h): the predictor uses it. */
  useTrial(h: number): void {
    this.q[Q_TRIAL_H] = h;
    this.predictor = PREDICT_TRIAL;
  }

  /**
   * The trial step's ends [y0, y1, f0, f1] were written into `hermite` (step from t of size h): the
   * predictor becomes the Hermite interpolant of the step's ends and, when the last accepted step
   * continues the solution, of that step's start too (quintic, O(h⁶), rather than cubic).
   */
  useHermite(t: number, h: number): void {
    const n = this.n;
    const d = this.hermite;
    const z = this.hz;
    let m = 0;
    if (this.base === PREDICT_EXTRAPOLATE && this.count > 0) {
      const k = this.count - 1;
      const hp = this.dt[k]!;
      const off = k * this.stride;
      this.solver!.evaluateDense(this.data, off, n, hp, 0, false, d.subarray(4 * n, 5 * n));
      this.solver!.evaluateDense(this.data, off, n, hp, 0, true, d.subarray(5 * n, 6 * n));
      z[0] = z[1] = this.tStart[k]!;
      m = 2;
    }
    z[m] = z[m + 1] = t;
    z[m + 2] = z[m + 3] = t + h;
    m += 4;
    this.hm = m;
    const table = this.table;
    const c = this.hc;
    for (let j = 0; j < n; j++) {
      // Node values and derivatives: [previous start,] t, t + h.
      let r = 0;
      if (m === 6) {
        table[0] = table[6] = d[4 * n + j]!;
        table[7] = d[5 * n + j]!;
        r = 2;
      }
      table[6 * r] = table[6 * (r + 1)] = d[j]!;
      table[6 * (r + 1) + 1] = d[2 * n + j]!;
      table[6 * (r + 2)] = table[6 * (r + 3)] = d[n + j]!;
      table[6 * (r + 3) + 1] = d[3 * n + j]!;
      // Divided differences with repeated nodes: Q[i][k] = (Q[i][k−1] − Q[i−1][k−1]) / (z_i − z_{i−k}).
      for (let i = 1; i < m; i++) {
        if (z[i] !== z[i - 1]) table[6 * i + 1] = (table[6 * i]! - table[6 * (i - 1)]!) / (z[i]! - z[i - 1]!);
        for (let k = 2; k <= i; k++) table[6 * i + k] = (table[6 * i + k - 1]! - table[6 * (i - 1) + k - 1]!) / (z[i]! - z[i - k]!);
      }
      for (let k = 0; k < m; k++) c[k * n + j] = table[6 * k + k]!;
    }
    this.predictor = PREDICT_HERMITE;
  }

  /** Reserves the next step's slot (growing by half when full); `commit` makes it visible to lookups. */
  reserve(): number {
    if (this.count === this.tStart.length) {
      const cap = Math.floor(this.count * 1.5);
      this.tStart = grow(this.tStart, cap);
      this.dt = grow(this.dt, cap);
      this.data = grow(this.data, cap * this.stride);
    }
    return this.count * this.stride;
  }

  /** The accepted step `step` = [t, h], whose dense data is in the reserved slot: stored; it is now the past. */
  commit(step: Float64Array): void {
    const t = step[0]!;
    const h = step[1]!;
    const k = this.count;
    this.tStart[k] = t;
    this.dt[k] = h;
    this.count = k + 1;
    this.q[Q_T_STEP] = t + h;
    this.base = PREDICT_EXTRAPOLATE;
    this.predictor = PREDICT_EXTRAPOLATE;
  }

  /** y(s) from outside a vector-field call (the discontinuity tracker): q[Q_S] = s is set by the caller. */
  at(s: number, out: Float64Array): Float64Array {
    this.q[Q_S] = s;
    this.left = 1;
    this.lookup(out, false);
    return out;
  }
}

/** Whether a step starting at ts comes before s: strictly for a left limit, or at s for a right one. */
function before(ts: number, s: number, left: boolean): boolean {
  return left ? ts < s : ts <= s;
}

function grow(a: Float64Array, length: number): Float64Array {
  const b = new Float64Array(length);
  b.set(a);
  return b;
}

type HistoryFunction = (t: number, args: unknown, out: Float64Array) => void | number | ArrayLike<number>;

/** Calls φ (or φ′) at s into `out`, taking a returned number or array. */
function callHistory(fn: HistoryFunction, s: number, args: unknown, out: Float64Array, n: number): void {
  const r = fn(s, args, out);
  if (r === undefined) return;
  if (typeof r === "number") out.fill(r);
  else for (let j = 0; j < n; j++) out[j] = r[j]!;
}

/** Checks once that the history function gives n finite values at t0. */
function checkHistoryFunction(term: DelayTerm, t0: number, args: unknown, n: number): void {
  const out = new Float64Array(n).fill(NaN);
  const fn = term.history as HistoryFunction;
  const r = fn(t0, args, out);
  if (r !== undefined && typeof r !== "number") {
    if (r === null || typeof r !== "object" || typeof (r as ArrayLike<number>).length !== "number") {
      throw new TypeError(`DelayTerm: the history function returned ${String(r)} at t0 = ${t0}; return a number or ${n} numbers, or write them into out.`);
    }
    if ((r as ArrayLike<number>).length !== n) throw historyLength((r as ArrayLike<number>).length, n);
  }
  callHistory(fn, t0, args, out, n);
  for (let j = 0; j < n; j++) {
    if (!Number.isFinite(out[j]!)) {
      throw new RangeError(`DelayTerm: the history function gave ${out[j]} for component ${j} at t0 = ${t0}; it must give all ${n} components as finite numbers.`);
    }
  }
}

function historyLength(got: number, n: number): RangeError {
  return new RangeError(`DelayTerm: the history has ${got} components but y0 has ${n}; give ${n} values (or one number for all).`);
}

/** The Newton-form polynomial on nodes z[0 … m−1] with coefficients c (node-major) at s, or its derivative. */
function newtonEval(z: Float64Array, m: number, c: Float64Array, n: number, s: number, derivative: boolean, out: Float64Array): void {
  for (let j = 0; j < n; j++) {
    let p = c[(m - 1) * n + j]!;
    let dp = 0;
    for (let k = m - 2; k >= 0; k--) {
      const w = s - z[k]!;
      dp = dp * w + p;
      p = p * w + c[k * n + j]!;
    }
    out[j] = derivative ? dp : p;
  }
}
