/**
 * `diffeqsolve`: validation, the one loop over steps, and the {@link Solution}.
 *
 * The loop takes adaptive (or fixed) steps; every output time a step passes is filled from that
 * step's dense interpolant, so output times never shorten or split a step. `init` allocates every
 * buffer; the loop allocates nothing (state buffers ping-pong, saved outputs are preallocated or
 * grown geometrically).
 */
import { AbstractStepSizeController } from "./controllers/base.js";
import { ConstantStepSize } from "./controllers/constant.js";
import { type ErrorNorm, PIDController, suggest } from "./controllers/pid.js";
import { StepTo } from "./controllers/stepto.js";
import type { ProgressMeter } from "./progress.js";
import { isOkay, type Result, RESULTS, SolveError } from "./results.js";
import { SaveAt, type SaveFn } from "./saveat.js";
import { type DenseOutput, Solution, type Stats } from "./solution.js";
import type { AbstractSolver, SolverState } from "./solvers/solver.js";
import { AbstractTerm, assertRevisitable, type InPlaceVectorField, ODETerm, type VectorFieldFn } from "./terms.js";
import { describeValue, type StateLike, Structure } from "./tree.js";
import { nextAfter } from "./util/float.js";
import { checkEventOptions, type Event } from "./events/event.js";
import { EventDetector, EventError } from "./events/detector.js";

/** Options of {@link diffeqsolve}. */
export interface DiffeqsolveOptions<Y extends StateLike = StateLike, A = any> {
  /** The terms of the equation: `new ODETerm(f)` for an ODE. */
  terms: AbstractTerm;
  /** The solver, for example `new Tsit5()`. */
  solver: AbstractSolver<any>;
  /** Start time. */
  t0: number;
  /** End time (may be less than t0: integration runs backward). */
  t1: number;
  /** Initial step size; omitted with an adaptive controller: chosen automatically. */
  dt0?: number;
  /** Initial state: a number, an array, a Float64Array, or nested plain objects/arrays of numbers. */
  y0: Y;
  /** Parameters passed to the vector field unchanged. */
  args?: A;
  /** What to save. @defaultValue `new SaveAt({ t1: true })` */
  saveat?: SaveAt;
  /**
   * Step-size controller. @defaultValue `new PIDController()` (rtol 1e-3, atol 1e-6) for solvers with an
   * error estimate, `new ConstantStepSize()` otherwise
   */
  stepsizeController?: AbstractStepSizeController;
  /** Maximum number of steps (accepted and rejected). @defaultValue 100000 */
  maxSteps?: number;
  /** Throw a {@link SolveError} on failure (`true`) or return it in `sol.result` (`false`). @defaultValue true */
  throw?: boolean;
  /** Reports progress (for example `new TextProgressMeter()`). */
  progressMeter?: ProgressMeter;
  /**
   * Events: one {@link Event} or a list (conditions located inside steps, discrete checks at step
   * ends, scheduled times). Events that fired are listed in `sol.events`.
   */
  event?: Event | readonly Event[];
  /** Most events allowed; one more ends the solve with `RESULTS.maxEventsReached`. @defaultValue 100000 */
  maxEvents?: number;
}

const OPTION_KEYS = [
  "terms", "solver", "t0", "t1", "dt0", "y0", "args", "saveat", "stepsizeController", "maxSteps", "throw", "progressMeter", "event", "maxEvents",
];

/**
 * Solves a differential equation.
 *
 * @example
 * ```ts
 * import { diffeqsolve, ODETerm, Tsit5, PIDController, SaveAt } from "odeflow";
 * const sol = diffeqsolve({
 *   terms: new ODETerm((t, y, args, dy) => { dy[0] = y[1]; dy[1] = -args.k * y[0]; }),
 *   solver: new Tsit5(),
 *   t0: 0, t1: 10, y0: [1, 0], args: { k: 4 },
 *   saveat: new SaveAt({ ts: [0, 5, 10] }),
 *   stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-10 }),
 * });
 * sol.ys[2]; // [cos 20, -2 sin 20]
 * ```
 */
export function diffeqsolve<Y extends StateLike, A = any>(options: DiffeqsolveOptions<Y, A>): Solution<Y> {
  const v = validate(options);
  return solveValidated(v, options.args, options.throw ?? true);
}

/** @internal Everything the loop needs, checked (exported for the ensemble runner). */
export interface Validated<Y> {
  f: InPlaceVectorField;
  terms: AbstractTerm;
  solver: AbstractSolver<SolverState>;
  t0: number;
  t1: number;
  dt0: number | undefined;
  y0: Float64Array;
  structure: Structure<Y>;
  saveat: SaveAt;
  controller: AbstractStepSizeController;
  maxSteps: number;
  progress: ProgressMeter | null;
  /** The events, or null when none are given (the loop then pays one branch per step). */
  events: Event[] | null;
  maxEvents: number;
}

/** @internal Checks the options of `diffeqsolve` (and of each ensemble) once. */
export function validate<Y extends StateLike>(options: DiffeqsolveOptions<Y>): Validated<Y> {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`diffeqsolve(options): \`options\` must be an object with terms, solver, t0, t1 and y0; got ${describeValue(options)}.`);
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) throw new TypeError(`diffeqsolve: unknown option \`${key}\`${suggest(key, OPTION_KEYS)}.`);
  }
  const { terms, solver, t0, t1, dt0 } = options;
  if (!(terms instanceof AbstractTerm)) {
    throw new TypeError(`diffeqsolve: \`terms\` must be a term such as new ODETerm(f); got ${describeValue(terms)}.`);
  }
  if (solver === null || typeof solver !== "object" || typeof (solver as AbstractSolver).step !== "function") {
    throw new TypeError(`diffeqsolve: \`solver\` must be a solver such as new Tsit5(); got ${describeValue(solver)}.`);
  }
  if (typeof solver.checkTerms === "function") solver.checkTerms(terms);
  else if (!(terms instanceof ODETerm)) {
    throw new TypeError(`diffeqsolve: ${solver.name} solves ODEs and needs \`terms\` = new ODETerm(f); got a ${terms.constructor.name}.`);
  }
  for (const [name, value] of [["t0", t0], ["t1", t1]] as const) {
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new TypeError(`diffeqsolve: \`${name}\` must be a finite number; got ${describeValue(value)}.`);
    }
  }
  if (dt0 !== undefined) {
    if (typeof dt0 !== "number" || !Number.isFinite(dt0) || dt0 === 0) {
      throw new RangeError(`diffeqsolve: \`dt0\` = ${String(dt0)} must be a finite non-zero number, or omitted for an automatic initial step.`);
    }
    if (t1 !== t0 && Math.sign(dt0) !== Math.sign(t1 - t0)) {
      throw new RangeError(
        `diffeqsolve: \`dt0\` = ${dt0} points away from t1 (t0 = ${t0}, t1 = ${t1}); use dt0 = ${-dt0}, or omit it.`,
      );
    }
  }
  const structure = Structure.of(options.y0, "y0");
  if (structure.size === 0) throw new RangeError("diffeqsolve: `y0` is empty; give at least one state component.");
  const y0 = structure.flatten(options.y0);
  for (let i = 0; i < y0.length; i++) {
    if (!Number.isFinite(y0[i]!)) {
      throw new RangeError(`diffeqsolve: \`y0\` component ${i} is ${y0[i]}; every initial value must be a finite number.`);
    }
  }
  checkArgs(options.args, "args", 0);
  const maxSteps = options.maxSteps ?? 100_000;
  if (typeof maxSteps !== "number" || !(maxSteps >= 1) || !Number.isInteger(maxSteps)) {
    throw new RangeError(`diffeqsolve: \`maxSteps\` = ${String(maxSteps)} must be a whole number ≥ 1 (for example maxSteps: 100000).`);
  }
  const saveat = options.saveat ?? new SaveAt();
  if (!(saveat instanceof SaveAt)) throw new TypeError(`diffeqsolve: \`saveat\` must be a SaveAt, e.g. new SaveAt({ ts: [0, 1] }); got ${describeValue(saveat)}.`);
  const dir = t1 >= t0 ? 1 : -1;
  if (saveat.ts !== undefined) {
    const ts = saveat.ts;
    for (let i = 0; i < ts.length; i++) {
      if (dir * (ts[i]! - t0) < 0 || dir * (ts[i]! - t1) > 0) {
        throw new RangeError(`diffeqsolve: \`saveat.ts[${i}]\` = ${ts[i]} is outside [t0, t1] = [${t0}, ${t1}]; output times must lie in the interval solved.`);
      }
      if (i > 0 && dir * (ts[i]! - ts[i - 1]!) < 0) {
        throw new RangeError(
          `diffeqsolve: \`saveat.ts\` must be monotone in the direction of integration (${dir > 0 ? "increasing" : "decreasing"}); ` +
            `ts[${i - 1}] = ${ts[i - 1]} and ts[${i}] = ${ts[i]}. Sort them.`,
        );
      }
    }
  }
  let controller = options.stepsizeController;
  if (controller === undefined) controller = solver.errorOrder > 0 ? new PIDController() : new ConstantStepSize();
  if (!(controller instanceof AbstractStepSizeController)) {
    throw new TypeError(`diffeqsolve: \`stepsizeController\` must be PIDController, ConstantStepSize or StepTo; got ${describeValue(controller)}.`);
  }
  if (controller instanceof PIDController) {
    if (solver.errorOrder === 0) {
      throw new TypeError(
        `diffeqsolve: ${solver.name} has no error estimate, so it cannot be used with PIDController; ` +
          "use stepsizeController: new ConstantStepSize() with dt0, or a solver with an embedded pair such as Tsit5.",
      );
    }
    for (const [name, tol] of [["rtol", controller.rtol], ["atol", controller.atol]] as const) {
      if (typeof tol !== "number" && tol.length !== structure.size) {
        throw new RangeError(`diffeqsolve: the controller's \`${name}\` has ${tol.length} entries but the state has ${structure.size}.`);
      }
    }
  }
  if (controller instanceof PIDController) assertRevisitable(terms);
  if (controller instanceof ConstantStepSize && dt0 === undefined && t0 !== t1) {
    throw new TypeError("diffeqsolve: ConstantStepSize needs `dt0`, the step size (for example dt0: 0.01).");
  }
  if (controller instanceof StepTo) {
    if (dt0 !== undefined) throw new TypeError("diffeqsolve: with StepTo, omit `dt0`; the steps are given by StepTo's ts.");
    const ts = controller.ts;
    if (ts[0] !== t0 || ts[ts.length - 1] !== t1) {
      throw new RangeError(`diffeqsolve: StepTo's ts must start at t0 = ${t0} and end at t1 = ${t1}; got ${ts[0]} … ${ts[ts.length - 1]}.`);
    }
  }
  const progress = options.progressMeter ?? null;
  if (progress !== null && (typeof progress !== "object" || typeof progress.update !== "function")) {
    throw new TypeError(`diffeqsolve: \`progressMeter\` must be a TextProgressMeter or CallbackProgressMeter; got ${describeValue(progress)}.`);
  }
  const { events, maxEvents } = checkEventOptions(options.event, options.maxEvents);
  // A solver of non-ODE terms may name the ODE part the loop should treat as `f` (an SDE's drift):
  // it is probed like an ODE's and used by the automatic initial step.
  const odeTerm = terms instanceof ODETerm ? terms : (solver as { vectorFieldTerm?: (t: AbstractTerm) => ODETerm | undefined }).vectorFieldTerm?.(terms);
  const f = odeTerm !== undefined ? prepareVectorField(odeTerm.vf.f, t0, y0, options.args) : noVectorField;
  return { f, terms, solver: solver as AbstractSolver<SolverState>, t0, t1, dt0, y0, structure, saveat, controller, maxSteps, progress, events, maxEvents };
}

/** Stands in for `f` when the terms are not a single ODETerm (the solver reads them itself). */
const noVectorField: InPlaceVectorField = () => {
  throw new Error("diffeqsolve: internal error: this solver was given no ODE vector field; it must read its terms.");
};

/** @internal Throws a RangeError naming `path` if `args` holds a non-finite number. */
export function checkArgs(value: unknown, path: string, depth: number): void {
  if (depth > 20 || value === null || value === undefined) return;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) {
      throw new RangeError(`diffeqsolve: \`${path}\` is ${value}; parameters must be finite numbers.`);
    }
    return;
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const arr = value as unknown as ArrayLike<number>;
    for (let i = 0; i < arr.length; i++) {
      if (typeof arr[i] === "number" && !Number.isFinite(arr[i]!)) {
        throw new RangeError(`diffeqsolve: \`${path}[${i}]\` is ${arr[i]}; parameters must be finite numbers.`);
      }
    }
    return;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) checkArgs(value[i], `${path}[${i}]`, depth + 1);
    return;
  }
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    for (const key of Object.keys(value)) checkArgs((value as Record<string, unknown>)[key], `${path}.${key}`, depth + 1);
  }
}

/**
 * Probes the vector field once at (t0, y0): checks that it writes exactly n finite values (or
 * returns an array of length n), and wraps a returning function into the in-place form.
 */
function prepareVectorField(fn: VectorFieldFn, t0: number, y0: Float64Array, args: unknown): InPlaceVectorField {
  const n = y0.length;
  const probe = new Float64Array(n + 1).fill(NaN);
  const dy = probe.subarray(0, n);
  let returned: unknown;
  try {
    returned = fn(t0, Float64Array.from(y0), args, dy);
  } catch (e) {
    throw vectorFieldError(e, t0);
  }
  if (returned !== undefined) {
    if (returned === null || typeof returned !== "object" || typeof (returned as ArrayLike<number>).length !== "number") {
      throw new TypeError(
        `diffeqsolve: the vector field returned ${describeValue(returned)}; it must write dy in place ((t, y, args, dy) => { dy[0] = … }) ` +
          "or return an array of numbers.",
      );
    }
    const arr = returned as ArrayLike<number>;
    if (arr.length !== n) {
      throw new RangeError(`diffeqsolve: the vector field returned ${arr.length} values but y0 has ${n} components.`);
    }
    // Slower path, documented: the returned array is copied into dy.
    return (t, y, a, out) => {
      const r = fn(t, y, a, out) as ArrayLike<number>;
      for (let i = 0; i < n; i++) out[i] = r[i]!;
    };
  }
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(dy[i]!)) {
      throw new RangeError(
        `diffeqsolve: the vector field did not write dy[${i}] (or wrote NaN) at t0 = ${t0}; it must write all ${n} components of dy.`,
      );
    }
  }
  const wide = new Float64Array(n + 1).fill(NaN);
  try {
    // Writing past the end of a Float64Array is silently dropped, so probe with a wider one.
    fn(t0, Float64Array.from(y0), args, wide);
  } catch (e) {
    throw vectorFieldError(e, t0);
  }
  if (!Number.isNaN(wide[n]!)) {
    throw new RangeError(`diffeqsolve: the vector field writes dy[${n}] but y0 has only ${n} components; check the length of y0.`);
  }
  return fn as InPlaceVectorField;
}

function vectorFieldError(e: unknown, t: number, where = ""): Error {
  const msg = e instanceof Error ? e.message : String(e);
  const err = new Error(`diffeqsolve: ${where ? "an error was thrown" : "the vector field threw an error"} at t = ${t}${where}: ${msg}`);
  (err as { cause?: unknown }).cause = e;
  return err;
}

/** @internal Growable packed output rows. */
export class Rows {
  ts: Float64Array;
  ys: Float64Array;
  count = 0;
  constructor(readonly width: number, capacity: number) {
    this.ts = new Float64Array(Math.max(1, capacity));
    this.ys = new Float64Array(Math.max(1, capacity) * width);
  }
  /** Reserves one row (growing geometrically) and returns its offset into `ys`. */
  push(t: number): number {
    if (this.count === this.ts.length) {
      const cap = this.ts.length * 2;
      const ts = new Float64Array(cap);
      ts.set(this.ts);
      const ys = new Float64Array(cap * this.width);
      ys.set(this.ys);
      this.ts = ts;
      this.ys = ys;
    }
    this.ts[this.count] = t;
    return this.count++ * this.width;
  }
}

/** @internal Growable dense-output storage. */
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
      const cap = this.count * 2;
      const a = new Float64Array(cap);
      a.set(this.tStart);
      this.tStart = a;
      const b = new Float64Array(cap);
      b.set(this.dt);
      this.dt = b;
      const c = new Float64Array(cap * this.stride);
      c.set(this.data);
      this.data = c;
    }
    this.tStart[this.count] = t;
    this.dt[this.count] = dt;
    return this.count++ * this.stride;
  }
}

/** Saves the state (or fn of it) into a row. */
function saveRow(rows: Rows, t: number, y: Float64Array, fn: SaveFn | undefined, args: unknown): void {
  const off = rows.push(t);
  const out = rows.ys;
  if (fn === undefined) {
    for (let i = 0; i < y.length; i++) out[off + i] = y[i]!;
    return;
  }
  const row = out.subarray(off, off + rows.width);
  const r = fn(t, y, args, row);
  if (typeof r === "number") row[0] = r;
  else if (r !== undefined) for (let i = 0; i < rows.width; i++) row[i] = r[i]!;
}

function saveFnWidth(fn: SaveFn, t0: number, y0: Float64Array, args: unknown): number {
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

/** RMS or max norm of the error scaled by atol + rtol·max(|y0|, |y1|). */
function scaledNorm(
  ctrl: PIDController,
  y0: Float64Array,
  y1: Float64Array,
  e: Float64Array,
  n: number,
  scratch: Float64Array,
  result: Float64Array,
): void {
  // The tolerances are read here, not passed in: a number the caller keeps unboxed would be boxed
  // again at every call that V8 does not inline (16 B each).
  const { norm, rtol, atol } = ctrl;
  const rScalar = typeof rtol === "number";
  const aScalar = typeof atol === "number";
  if (norm === "rms" && rScalar && aScalar) {
    // The common case, kept branch-free.
    let acc = 0;
    for (let i = 0; i < n; i++) {
      const a0 = Math.abs(y0[i]!);
      const a1 = Math.abs(y1[i]!);
      const r = e[i]! / (atol + rtol * (a0 > a1 ? a0 : a1));
      acc += r * r;
    }
    result[0] = Math.sqrt(acc / n);
    return;
  }
  let acc = 0;
  for (let i = 0; i < n; i++) {
    const sc = (aScalar ? atol : atol[i]!) + (rScalar ? rtol : rtol[i]!) * Math.max(Math.abs(y0[i]!), Math.abs(y1[i]!));
    const r = e[i]! / sc;
    if (norm === "rms") acc += r * r;
    else if (norm === "max") acc = Math.max(acc, Math.abs(r)) + (r - r); // keeps NaN
    else scratch[i] = r;
  }
  result[0] = norm === "rms" ? Math.sqrt(acc / n) : norm === "max" ? acc : norm(scratch);
}

/**
 * Hairer's automatic initial step (Solving ODEs I, II.4): a step whose explicit Euler error
 * estimate is about 1% of the tolerance, refined with a second derivative estimate.
 * @internal Exported for the forward-sensitivity adjoint (the same first step as the primal solve).
 */
export function initialStepSize(
  f: InPlaceVectorField,
  args: unknown,
  t0: number,
  y0: Float64Array,
  f0: Float64Array,
  dir: number,
  order: number,
  ctrl: PIDController,
  dtmax: number,
  ytmp: Float64Array,
  f1: Float64Array,
): number {
  const n = y0.length;
  const { rtol, atol } = ctrl;
  const sc = (i: number): number => (typeof atol === "number" ? atol : atol[i]!) + (typeof rtol === "number" ? rtol : rtol[i]!) * Math.abs(y0[i]!);
  let d0 = 0;
  let d1 = 0;
  for (let i = 0; i < n; i++) {
    const s = sc(i);
    d0 += (y0[i]! / s) ** 2;
    d1 += (f0[i]! / s) ** 2;
  }
  d0 = Math.sqrt(d0 / n);
  d1 = Math.sqrt(d1 / n);
  let h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : 0.01 * (d0 / d1);
  h0 = Math.min(h0, dtmax);
  for (let i = 0; i < n; i++) ytmp[i] = y0[i]! + dir * h0 * f0[i]!;
  f(t0 + dir * h0, ytmp, args, f1);
  let d2 = 0;
  for (let i = 0; i < n; i++) d2 += ((f1[i]! - f0[i]!) / sc(i)) ** 2;
  d2 = Math.sqrt(d2 / n) / h0;
  const dmax = Math.max(d1, d2);
  // Exponent 1/p, p the method's order: the embedded error estimate is O(h^p) (p̂ + 1 = p), so
  // this is the step whose error estimate is 1% of the tolerance (Hairer's HINIT with IORD = p,
  // SciPy's select_initial_step with error_estimator_order + 1).
  const h1 = !(dmax > 1e-15) ? Math.max(1e-6, h0 * 1e-3) : (0.01 / dmax) ** (1 / order);
  const h = Math.min(100 * h0, h1, dtmax);
  return Number.isFinite(h) && h > 0 ? h : Math.min(1e-6, dtmax);
}

function solveValidated<Y>(v: Validated<Y>, args: unknown, throwOnFailure: boolean): Solution<Y> {
  const ws = createLoopWorkspace(v, args);
  runLoop(v, v.y0, args, ws);
  return solutionFromWorkspace(v, ws, throwOnFailure);
}

/** @internal The {@link Solution} of the last `runLoop` into `ws` (throws a SolveError on failure if asked). */
export function solutionFromWorkspace<Y>(v: Validated<Y>, ws: LoopWorkspace, throwOnFailure: boolean): Solution<Y> {
  const { solver, t0, t1, structure } = v;
  const { rows, dense, state, result, detail, width } = ws;
  const stats: Stats = {
    numSteps: ws.numSteps,
    numAcceptedSteps: ws.numAcceptedSteps,
    numRejectedSteps: ws.numRejectedSteps,
    numFnEvals: ws.numFnEvals,
  };
  if (typeof solver.extraStats === "function") Object.assign(stats, solver.extraStats(state!));
  const denseOut: DenseOutput | null =
    dense === null
      ? null
      : { solver, n: v.y0.length, count: dense.count, tStart: dense.tStart, dt: dense.dt, data: dense.data, stride: dense.stride };
  const sol = new Solution<Y>({
    t0,
    t1,
    ts: rows.ts.slice(0, rows.count),
    ysFlat: rows.ys.slice(0, rows.count * width),
    size: width,
    result,
    detail,
    stats,
    tFinal: ws.tFinal,
    structure: v.saveat.fn === undefined ? structure : null,
    dense: denseOut,
    events: ws.events === null ? [] : ws.events.records(),
  });
  if (throwOnFailure && !isOkay(result)) {
    throw new SolveError(result, detail, sol);
  }
  return sol;
}

/**
 * @internal The loop's buffers and outcome, reusable across solves of one validated problem (the
 * ensemble runner solves thousands of trajectories with one workspace). `runLoop` resets what it
 * reads; the solver's own workspace is made afresh by `solver.init` for each solve, because the
 * solver protocol binds `args` at `init`.
 */
export interface LoopWorkspace {
  /** Length of a saved row (n, or the width of `SaveAt.fn`). */
  readonly width: number;
  /** Saved rows of the last solve (`rows.count` of them). */
  readonly rows: Rows;
  y: Float64Array;
  y1: Float64Array;
  readonly yErr: Float64Array;
  readonly yErr2: Float64Array;
  /** [t, dt] of the step being taken, handed to `solver.step` without boxing either double. */
  readonly stepTimes: Float64Array;
  readonly ytmp: Float64Array;
  readonly fscratch: Float64Array;
  readonly normScratch: Float64Array;
  /** The error norm's result: a double returned from a call V8 does not inline is boxed. */
  readonly normResult: Float64Array;
  /** Event detection workspace (null without events). */
  readonly events: EventDetector | null;
  /** Outcome of the last solve. */
  dense: DenseStore | null;
  state: SolverState | null;
  result: Result;
  detail: string;
  tFinal: number;
  numSteps: number;
  numAcceptedSteps: number;
  numRejectedSteps: number;
  numFnEvals: number;
  /** Told of every accepted step (the adjoints record step times and checkpoints); null: none. */
  stepHook: StepHook | null;
}

/**
 * @internal Observer of accepted steps: `accepted(y0)` is called once per accepted step, before
 * the state buffers swap, with its start state (read it, never keep the reference), after the loop
 * wrote the step's start time, its end (an event time when an event cut it short) and its size
 * into `times[0 … 2]` (a typed array, so no double is boxed for the call).
 */
export interface StepHook {
  readonly times: Float64Array;
  accepted(y0: Float64Array): void;
}

/** @internal Allocates every buffer the loop touches, once. */
export function createLoopWorkspace<Y>(v: Validated<Y>, args: unknown): LoopWorkspace {
  const n = v.y0.length;
  const saveat = v.saveat;
  const fn = saveat.fn;
  const width = fn === undefined ? n : saveFnWidth(fn, v.t0, v.y0, args);
  const nts = saveat.ts === undefined ? 0 : saveat.ts.length;
  return {
    width,
    rows: new Rows(width, (saveat.t0 ? 1 : 0) + nts + (saveat.t1 ? 1 : 0) + (saveat.steps > 0 ? 64 : 0)),
    y: new Float64Array(n),
    y1: new Float64Array(n),
    yErr: new Float64Array(n),
    yErr2: new Float64Array(n),
    stepTimes: new Float64Array(2),
    ytmp: new Float64Array(n),
    fscratch: new Float64Array(n),
    normScratch: new Float64Array(n),
    normResult: new Float64Array(1),
    events: v.events === null ? null : new EventDetector(v.events, n, v.maxEvents),
    dense: null,
    state: null,
    result: RESULTS.successful,
    detail: "",
    tFinal: v.t0,
    numSteps: 0,
    numAcceptedSteps: 0,
    numRejectedSteps: 0,
    numFnEvals: 0,
    stepHook: null,
  };
}

/**
 * Optional solver hooks the loop calls when present (implicit and multistep solvers):
 * `setTolerances` once after `init` with the controller's rtol and atol (for Newton convergence
 * tests); `stepFactor` after each error estimate, returning the factor for the next step in place
 * of the PID controller's (a variable-order method choosing its order and step together).
 */
interface SolverHooks {
  setTolerances?(state: SolverState, rtol: number | Float64Array, atol: number | Float64Array): void;
  stepFactor?(state: SolverState, err: number, accepted: boolean): number;
}

/**
 * @internal The one loop over steps: solves the validated problem from `y0` (length n) with
 * `args`, writing saved rows into `ws.rows` (reset first) and the outcome into `ws`. Throws only
 * for errors thrown by the vector field or a SaveAt fn; numerical failures go to `ws.result`.
 */
export function runLoop<Y>(v: Validated<Y>, y0: Float64Array, args: unknown, ws: LoopWorkspace): void {
  const { f, solver, t0, t1, saveat, controller, maxSteps, progress } = v;
  const n = v.y0.length;
  const dir = t1 >= t0 ? 1 : -1;
  const fn = saveat.fn;
  const ts = saveat.ts;
  const nts = ts === undefined ? 0 : ts.length;
  const rows = ws.rows;
  rows.count = 0;
  const dense = saveat.dense ? new DenseStore(solver.denseSize(n)) : null;

  let y = ws.y;
  y.set(y0);
  let y1 = ws.y1;
  const { yErr, yErr2, stepTimes, ytmp, fscratch, normScratch, normResult } = ws;
  const state = solver.init(f, n, args, v.terms);
  // Optional hooks of implicit and multistep solvers (src/solvers/implicit/): the tolerances for
  // their Newton convergence tests, and a variable-order method's own choice of the next step.
  const hooks = solver as SolverHooks;
  if (typeof hooks.setTolerances === "function" && controller instanceof PIDController) hooks.setTolerances(state, controller.rtol, controller.atol);
  const stepFactor = typeof hooks.stepFactor === "function" ? hooks.stepFactor : null;

  let t = t0;
  let its = 0; // next output time in ts
  let numSteps = 0;
  let numAccepted = 0;
  let numRejected = 0;
  let extraEvals = 0;
  let result: Result = RESULTS.successful;
  let detail = "";

  if (saveat.t0) saveRow(rows, t0, y, fn, args);
  const ev = ws.events;
  const hook = ws.stepHook;
  const hookTimes = hook === null ? null : hook.times;
  if (ev !== null) {
    // Conditions at t0; scheduled events at t0 fire now (a dose at t0), their state saved after.
    result = ev.start(solver, state, args, t0, t1, y);
    if (ev.changed && saveat.steps > 0) saveRow(rows, t0, y, fn, args);
    if (result !== RESULTS.successful) detail = ev.detail || `t = ${t0}`;
  }
  while (its < nts && ts![its] === t0) saveRow(rows, t0, y, fn, args), its++;

  if (progress !== null) progress.start(t0, t1);
  const adaptive = controller instanceof PIDController;
  const pid = adaptive ? (controller as PIDController) : null;
  // Fixed steps: StepTo's times, or N equal steps landing on t1 with t_k = t0 + k·(t1 − t0)/N computed
  // from k so that rounding never accumulates. Plain locals, not a closure: a double returned from a
  // call V8 does not inline is boxed, 16 bytes a step.
  const stepTo = controller instanceof StepTo ? controller.ts : null;
  const fixedN = controller instanceof ConstantStepSize && t0 !== t1 ? Math.max(1, Math.ceil(Math.abs(t1 - t0) / Math.abs(v.dt0!) - 1e-9)) : 0;
  const fixedH = fixedN > 0 ? (t1 - t0) / fixedN : 0;
  const fixed = stepTo !== null || fixedN > 0;

  try {
    if (t0 !== t1 && result === RESULTS.successful) {
      const f0 = solver.restart(state, t, y);
      // Step-size control (PID), in the notation of Söderlind: ε = 1/err, history of two.
      let dt = 0;
      let dtmin = 0;
      let dtmax = Math.abs(t1 - t0);
      let beta1 = 0;
      let beta2 = 0;
      let beta3 = 0;
      let invPrev1 = 1;
      let invPrev2 = 1;
      let stepTsIdx = 0;
      let jumpIdx = 0;
      let nonFiniteStreak = 0;
      let failStreak = 0; // consecutive steps the solver could not compute (non-zero status)
      let lastRejected = false;
      let hRejected = 0; // size of the last rejected step: retrying the same step from the same t cannot succeed
      if (pid !== null) {
        dtmin = pid.dtmin;
        if (pid.dtmax !== undefined) dtmax = Math.min(dtmax, pid.dtmax);
        const k = solver.errorOrder;
        beta1 = (pid.pcoeff + pid.icoeff + pid.dcoeff) / k;
        beta2 = -(pid.pcoeff + 2 * pid.dcoeff) / k;
        beta3 = pid.dcoeff / k;
        if (v.dt0 !== undefined) dt = Math.abs(v.dt0);
        else {
          dt = initialStepSize(f, args, t0, y, f0, dir, solver.order, pid, dtmax, ytmp, fscratch);
          extraEvals++;
        }
      }
      // The controller keeps stepTs/jumpTs sorted ascending; walk them in the direction of integration.
      const stepTs = inDirection(pid?.stepTs, dir);
      const jumpTs = inDirection(pid?.jumpTs, dir);
      stepTsIdx = firstAfter(stepTs, t0, dir);
      jumpIdx = firstAfter(jumpTs, t0, dir);
      const nStepTs = stepTs === undefined ? 0 : stepTs.length;
      const nJumps = jumpTs === undefined ? 0 : jumpTs.length;
      const secondary = solver.hasSecondaryError;
      let k = 0; // fixed-step index

      while (t !== t1) {
        if (numSteps >= maxSteps) {
          result = RESULTS.maxStepsReached;
          detail = `t = ${t} after ${numSteps} steps`;
          break;
        }
        let tNext: number;
        let hitJump = false;
        let onGrid = true; // fixed steps: this step ends on the next grid point
        let atDtmin = false; // dt was raised to dtmin (compare dt, not tNext − t, which rounding may put a hair above dtmin)
        if (fixed) {
          tNext = stepTo !== null ? stepTo[k + 1]! : k + 1 >= fixedN ? t1 : t0 + (k + 1) * fixedH;
          if (ev !== null && dir * (ev.nextTime - tNext) < 0) {
            tNext = ev.nextTime; // a scheduled event between grid points: step to it, then on to the grid
            onGrid = false;
          }
        } else {
          if (dt > dtmax) dt = dtmax;
          if (dt <= dtmin) {
            dt = dtmin;
            atDtmin = true;
          }
          tNext = t + dir * dt;
          const reach = Math.min(1.01 * dt, dtmax); // the stretch never makes a step longer than dtmax
          // Land exactly on t1, the next stepTs and just before the next jump; stretch by up to 1%
          // rather than leave a sliver of a step (as Hairer's codes do).
          let stop = t1;
          while (stepTsIdx < nStepTs && dir * (stepTs![stepTsIdx]! - t) <= 0) stepTsIdx++;
          if (stepTsIdx < nStepTs && dir * (stepTs![stepTsIdx]! - stop) < 0) stop = stepTs![stepTsIdx]!;
          if (ev !== null && dir * (ev.nextTime - stop) < 0) stop = ev.nextTime;
          if (jumpIdx < nJumps) {
            const before = nextAfter(jumpTs![jumpIdx]!, -dir);
            if (dir * (before - stop) < 0) {
              stop = before;
              if (dir * (t + dir * reach - stop) >= 0) hitJump = true;
            }
          }
          if (dir * (t + dir * reach - stop) >= 0) tNext = stop;
        }
        // A step below the resolution of t right after an accepted one (not shrunk by a rejection):
        // the controller's "no growth after a rejection" rule can leave dt at half an ulp where t
        // crosses a power of two. Take the smallest representable step instead of giving up.
        if (tNext === t && !lastRejected && !fixed) tNext = nextAfter(t, dir);
        const h = tNext - t;
        // h === hRejected: the shrunk dt rounded back to the same representable end point (a step of a few ulps).
        if (t + h === t || h === 0 || (lastRejected && h === hRejected && !atDtmin)) {
          // Shrunk to nothing: if the last rejections were for NaN/Infinity, that is the cause to report.
          result = nonFiniteStreak > 0 ? RESULTS.nonFiniteEncountered : RESULTS.dtMinReached;
          detail =
            nonFiniteStreak > 0
              ? `t = ${t}: the vector field gave NaN or Infinity just after t; ${nonFiniteStreak} ever smaller steps, down to ${Math.abs(dt)}, did not help`
              : `t = ${t}: the step size ${Math.abs(dt)} is below the floating-point resolution of t`;
          break;
        }
        stepTimes[0] = t;
        stepTimes[1] = h;
        const status = solver.step(state, stepTimes, y, y1, yErr, yErr2);
        numSteps++;

        let accept = true;
        let factor = 1;
        if (status !== 0) {
          // The solver could not compute this step (an implicit solver's Newton iteration diverged,
          // or its iteration matrix was singular): retry with a quarter of the step, and give up with
          // the solver's RESULTS code once the step cannot usefully shrink further.
          accept = false;
          factor = 0.25;
          failStreak++;
          if (pid === null || failStreak > 15 || Math.abs(h) <= dtmin || t + 0.25 * h === t) {
            result = status as Result;
            detail = `t = ${t} with step size ${Math.abs(h)} after ${failStreak} failed attempt${failStreak === 1 ? "" : "s"}`;
            numRejected++;
            break;
          }
        } else if (pid !== null) {
          scaledNorm(pid, y, y1, yErr, n, normScratch, normResult);
          let err = normResult[0]!;
          if (secondary) {
            scaledNorm(pid, y, y1, yErr2, n, normScratch, normResult);
            const err2 = normResult[0]!;
            const deno = err * err + 0.01 * err2 * err2;
            err = deno > 0 ? (err * err) / Math.sqrt(deno) : 0;
          }
          if (err <= 1) {
            const inv = err === 0 ? Infinity : 1 / err;
            // x^β as exp(β log x): V8's Math.pow costs ~45 ns against ~15 ns (it was 40% of a small fused
            // solve); the factor is a heuristic, so the last-ulp difference is immaterial. Factors whose
            // exponent is zero (the default I controller) are skipped.
            factor = pid.safety * Math.exp(beta1 * Math.log(inv));
            if (beta2 !== 0) factor *= Math.exp(beta2 * Math.log(invPrev1));
            if (beta3 !== 0) factor *= Math.exp(beta3 * Math.log(invPrev2));
            if (stepFactor !== null) factor = stepFactor.call(solver, state, err, true);
            if (!(factor <= pid.factormax)) factor = pid.factormax;
            if (factor < pid.factormin) factor = pid.factormin;
            // After a rejection the step may not grow at once (Hairer's "last step rejected" rule).
            if (lastRejected) factor = Math.min(factor, 1);
            lastRejected = false;
            invPrev2 = invPrev1;
            invPrev1 = inv;
            nonFiniteStreak = 0;
          } else {
            accept = false;
            if (err === err && err !== Infinity) {
              factor = Math.max(pid.factormin, Math.min(1, pid.safety * Math.exp(Math.log(err) / -solver.errorOrder)));
              if (stepFactor !== null) factor = Math.max(pid.factormin, Math.min(1, stepFactor.call(solver, state, err, false)));
              nonFiniteStreak = 0;
            } else {
              // NaN or Infinity from the vector field: shrink hard, and remember why.
              factor = 0.25;
              nonFiniteStreak++;
            }
            if (atDtmin || Math.abs(h) <= dtmin) {
              if (pid.forceDtmin && nonFiniteStreak === 0) {
                accept = true;
              } else {
                result = nonFiniteStreak > 0 ? RESULTS.nonFiniteEncountered : RESULTS.dtMinReached;
                detail = `t = ${t} with step size ${Math.abs(h)}`;
                numRejected++;
                break;
              }
            }
          }
        } else {
          for (let i = 0; i < n; i++) {
            if (!Number.isFinite(y1[i]!)) {
              accept = false;
              break;
            }
          }
          if (!accept) {
            result = RESULTS.nonFiniteEncountered;
            detail = `t = ${t}: component of y is ${y1.find((x) => !Number.isFinite(x))} after a fixed step of size ${Math.abs(h)}`;
            numRejected++;
            break;
          }
        }

        if (accept) {
          solver.accept(state);
          failStreak = 0;
          numAccepted++;
          // An event to handle ends the step early, at ev.time (see src/events/detector.ts).
          const fired = ev !== null && ev.detect(t, h, tNext, y1);
          const tEnd = fired ? ev!.time : tNext;
          if (hook !== null) {
            hookTimes![0] = t;
            hookTimes![1] = tEnd;
            hookTimes![2] = h;
            hook.accepted(y);
          }
          if (onGrid && tEnd === tNext) k++;
          // Fill every output time this step passed from its interpolant (up to an event: before it).
          while (its < nts && dir * (ts![its]! - tEnd) <= 0) {
            const ti = ts![its]!;
            if (ti === tEnd) {
              if (fired) break; // saved from the post-event state
              saveRow(rows, ti, y1, fn, args);
            } else {
              solver.interpolate(state, (ti - t) / h, ytmp);
              saveRow(rows, ti, ytmp, fn, args);
            }
            its++;
          }
          if (saveat.steps > 0 && (fired || numAccepted % saveat.steps === 0 || tNext === t1)) saveRow(rows, tEnd, fired ? ev!.yPre : y1, fn, args);
          if (dense !== null) {
            const offset = dense.push(t, h); // may grow dense.data, so read it after
            solver.writeDense(state, dense.data, offset);
          }
          const swap = y;
          y = y1;
          y1 = swap;
          t = tNext;
          if (fired) {
            // The state at the event, changed by the affects; the solver restarts from it.
            t = tEnd;
            const code = ev!.handle(y);
            if (ev!.changed && saveat.steps > 0) saveRow(rows, t, y, fn, args);
            if (code !== RESULTS.successful) {
              result = code;
              detail = ev!.detail;
              break;
            }
            if (ev!.changed && t !== t1) {
              solver.restart(state, t, y);
              invPrev1 = 1;
              invPrev2 = 1;
            }
          }
          if (hitJump && tEnd === tNext) {
            // Restart just after the discontinuity: the next first stage sees the new vector field.
            jumpIdx++;
            t = nextAfter(jumpTs![jumpIdx - 1]!, dir);
            if (dir * (t - t1) > 0) t = t1;
            solver.restart(state, t, y);
            invPrev1 = 1;
            invPrev2 = 1;
          }
          if (progress !== null && (numAccepted & 63) === 0) progress.update(t);
        } else {
          numRejected++;
          lastRejected = true;
          hRejected = h;
        }
        if (pid !== null) dt = Math.abs(h) * factor;
      }
    }
  } catch (e) {
    if (e instanceof SolveError || e instanceof EventError) throw e;
    throw vectorFieldError(e, t, " (from the vector field or a SaveAt fn)");
  }

  if (t === t1 && result === RESULTS.successful) {
    // Output times equal to t1 that remain (t0 === t1, or rounding) and the final state.
    while (its < nts) saveRow(rows, ts![its++]!, y, fn, args);
    if (saveat.t1) saveRow(rows, t1, y, fn, args);
  } else if (result === RESULTS.eventOccurred) {
    // A terminating event: output times at the event time, and the final state, at the event.
    while (its < nts && ts![its] === t) saveRow(rows, ts![its++]!, y, fn, args);
    if (saveat.t1) saveRow(rows, t, y, fn, args);
  }
  if (progress !== null) progress.finish(t);
  ws.y = y;
  ws.y1 = y1;
  ws.dense = dense;
  ws.state = state;
  ws.result = result;
  ws.detail = detail;
  ws.tFinal = t;
  ws.numSteps = numSteps;
  ws.numAcceptedSteps = numAccepted;
  ws.numRejectedSteps = numRejected;
  ws.numFnEvals = state.numFnEvals + extraEvals;
}

/** Ascending times as given (forward), or a reversed copy (backward); allocated once per solve. */
function inDirection(times: Float64Array | undefined, dir: number): Float64Array | undefined {
  return times === undefined || dir > 0 ? times : times.slice().reverse();
}

function firstAfter(times: Float64Array | undefined, t0: number, dir: number): number {
  if (times === undefined) return 0;
  let i = 0;
  while (i < times.length && dir * (times[i]! - t0) <= 0) i++;
  return i;
}

