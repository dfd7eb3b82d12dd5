/**
 * Where a solve's output goes: saved rows packed contiguously (times and states, grown by half
 * again when full, so a solve's rows never cost more than 1.5× their numbers), the output plan
 * (which accepted step each row came from, and where in it), and the dense interpolant of every
 * step.
 */
import { ResourceError } from "../results.js";
import { formatBytes } from "../util/memory.js";
import type { OutputSpec, SaveFn } from "../saveat.js";

/**
 * @internal One output of a solve: what it saves, its rows and the next of its output times to
 * fill. A solve has one (the SaveAt) or several (`SaveAt.subs`), saved by the same loop phase.
 */
export class Saver {
  /** Index of the next output time `spec.ts` to fill. */
  its = 0;
  constructor(readonly spec: OutputSpec, readonly rows: Rows) {}
}

/** Kind of a saved row in the output plan: the state after `rowStep` accepted steps. */
export const ROW_STATE = 0;
/** Kind of a saved row: the interpolant of accepted step `rowStep` (0-based) at θ = `rowTheta`. */
export const ROW_INTERPOLATED = 1;
/**
 * Kind of a saved row: the state a terminating event ends the solve with, the interpolant of step
 * `rowStep` at the event's θ, after the affects of the events there (if any ran).
 */
export const ROW_EVENT = 2;
/** Kind of a saved row: the state right after an event's `affect` changed it (not a function of the steps alone). */
export const ROW_AFTER_EVENT = 3;
/** Kind of a saved row: the state at t0 before events at t0 (a dose at t0) changed it. */
export const ROW_BEFORE_EVENTS = 4;
/**
 * Kind of a saved row (SaveAt steps): the state at an event inside step `rowStep` at θ, before its
 * affects (a ROW_AFTER_EVENT row follows when they changed it).
 */
export const ROW_EVENT_BEFORE_AFFECT = 5;

/** Bytes of output a solve may store before it ends with `RESULTS.outputTooLarge`. @defaultValue 2 GiB */
export const DEFAULT_OUTPUT_BUDGET = 2 * 1024 ** 3;

/**
 * @internal Growable packed output rows, with the output plan when asked for (the adjoints read
 * it to know which step and θ produced each row, instead of re-deriving the loop's save order).
 */
export class Rows {
  ts: Float64Array;
  ys: Float64Array;
  count = 0;
  /** Per row: the step index (ROW_STATE: the number of accepted steps before the state). */
  rowStep: Int32Array | null;
  /** Per row: θ inside the step (interpolated rows), else 0 or 1. */
  rowTheta: Float64Array | null;
  /** Per row: ROW_STATE, ROW_INTERPOLATED, ROW_EVENT, ROW_AFTER_EVENT, ROW_BEFORE_EVENTS or ROW_EVENT_BEFORE_AFFECT. */
  rowKind: Uint8Array | null;
  /** Rows the budget allows (0: unlimited). */
  private readonly maxRows: number;

  constructor(readonly width: number, capacity: number, plan: boolean, budgetBytes: number) {
    const cap = Math.max(1, capacity);
    const bytesPerRow = 8 * (width + 1) + (plan ? 13 : 0);
    this.maxRows = Math.floor(budgetBytes / bytesPerRow);
    if (cap > this.maxRows) throw tooLarge(cap, width, budgetBytes);
    this.ts = new Float64Array(cap);
    this.ys = new Float64Array(cap * width);
    this.rowStep = plan ? new Int32Array(cap) : null;
    this.rowTheta = plan ? new Float64Array(cap) : null;
    this.rowKind = plan ? new Uint8Array(cap) : null;
  }

  /** Whether one more row fits in the budget. */
  get full(): boolean {
    return this.count >= this.maxRows;
  }

  /** Reserves one row (growing by half when full) and returns its offset into `ys`. */
  push(t: number, step: number, theta: number, kind: number): number {
    if (this.count === this.ts.length) this.grow();
    const i = this.count;
    this.ts[i] = t;
    if (this.rowStep !== null) {
      this.rowStep[i] = step;
      this.rowTheta![i] = theta;
      this.rowKind![i] = kind;
    }
    this.count = i + 1;
    return i * this.width;
  }

  private grow(): void {
    const cap = Math.min(this.maxRows, Math.max(this.ts.length + 1, Math.floor(this.ts.length * 1.5)));
    this.ts = resize(this.ts, cap);
    this.ys = resize(this.ys, cap * this.width);
    if (this.rowStep !== null) {
      this.rowStep = resize(this.rowStep, cap);
      this.rowTheta = resize(this.rowTheta!, cap);
      this.rowKind = resize(this.rowKind!, cap);
    }
  }
}

function resize<T extends Float64Array | Int32Array | Uint8Array>(a: T, length: number): T {
  const b = new (a.constructor as new (n: number) => T)(length);
  b.set(a.subarray(0, Math.min(a.length, length)));
  return b;
}

/** The error for output that does not fit the budget, with its size and what to do instead. */
export function tooLarge(rows: number, width: number, budgetBytes: number): ResourceError {
  const bytes = rows * 8 * (width + 1);
  return new ResourceError(
    `diffeqsolve: saving ${rows} rows of ${width} values needs ${formatBytes(bytes)}, more than the output budget of ${formatBytes(budgetBytes)}; ` +
      "save fewer rows (SaveAt ts, or steps: k for every k-th step), save a function of the state (SaveAt fn), " +
      "or raise the budget with the diffeqsolve option `maxOutputBytes`.",
  );
}


/** @internal Growable dense-output storage: per step its start, size and the solver's data. */
export class DenseStore {
  tStart: Float64Array;
  dt: Float64Array;
  data: Float64Array;
  count = 0;
  constructor(readonly stride: number) {
    this.tStart = new Float64Array(64);
    this.dt = new Float64Array(64);
    this.data = new Float64Array(64 * stride);
  }
  push(t: number, dt: number): number {
    if (this.count === this.tStart.length) {
      const cap = Math.floor(this.count * 1.5);
      this.tStart = resize(this.tStart, cap);
      this.dt = resize(this.dt, cap);
      this.data = resize(this.data, cap * this.stride);
    }
    this.tStart[this.count] = t;
    this.dt[this.count] = dt;
    return this.count++ * this.stride;
  }
}

/** Saves the state (or `fn` of it) into a new row. */
export function saveRow(rows: Rows, t: number, y: Float64Array, fn: SaveFn | undefined, args: unknown, step: number, theta: number, kind: number): void {
  const off = rows.push(t, step, theta, kind);
  const out = rows.ys;
  if (fn === undefined) {
    for (let i = 0; i < y.length; i++) out[off + i] = y[i]!;
    return;
  }
  const row = out.subarray(off, off + rows.width);
  try {
    const r = fn(t, y, args, row);
    if (typeof r === "number") row[0] = r;
    else if (r !== undefined) for (let i = 0; i < rows.width; i++) row[i] = r[i]!;
  } catch (e) {
    rows.count--; // the row was not made
    throw e;
  }
}

/** The width of `SaveAt.fn`'s value, from one call at (t0, y0). */
export function saveFnWidth(fn: SaveFn, t0: number, y0: Float64Array, args: unknown): number {
  const scratch = new Float64Array(1024).fill(NaN);
  const r = fn(t0, Float64Array.from(y0), args, scratch);
  if (typeof r === "number") return 1;
  if (r !== undefined && r !== null && typeof r === "object" && typeof r.length === "number") return r.length;
  if (r === undefined) {
    let w = 0;
    while (w < scratch.length && !Number.isNaN(scratch[w]!)) w++;
    if (w > 0) return w;
  }
  throw new TypeError("new SaveAt({ fn }): `fn` must return a number or an array of numbers, or write its values into `out`.");
}
