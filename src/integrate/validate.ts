/**
 * The checks of `diffeqsolve`'s options, once per problem (also for each ensemble, integrator and
 * resumed solve): every bad input gets a named error that says which argument, what it was and
 * what to do. The vector field is probed once at (t0, y0).
 */
import { AbstractStepSizeController } from "../controllers/base.js";
import { ConstantStepSize } from "../controllers/constant.js";
import { PIDController } from "../controllers/pid.js";
import type { Event } from "../events/event.js";
import { eventSupport } from "../events/support.js";
import type { ProgressMeter } from "../progress.js";
import { SaveAt } from "../saveat.js";
import { Float32Steps } from "../solvers/float32.js";
import type { AbstractSolver, SolverState } from "../solvers/solver.js";
import { AbstractTerm, assertRevisitable, checkStateSize, checkTermArgs, type InPlaceVectorField, ODETerm, type VectorFieldFn } from "../terms.js";
import { describeValue, type StateLike, Structure } from "../tree.js";
import { suggest } from "../util/suggest.js";
import { DEFAULT_OUTPUT_BUDGET, tooLarge } from "./output.js";

/**
 * `A` where it is not inferred from: `args` is checked against the args type of the terms (the
 * parameter type of the vector field) instead of widening it. (TypeScript 5.4's `NoInfer`, in a
 * form older compilers read.)
 */
export type ArgsOf<A> = [A][A extends any ? 0 : never];

/**
 * Options of {@link diffeqsolve}. `A` is the args type of the terms: with a vector field whose
 * parameter is typed, `(t, y, args: { k: number }, dy) => …`, or a `compile`d one with typed
 * parameters, an `args` with a misspelt or missing key fails to type-check. An untyped vector
 * field takes any args.
 */
export interface DiffeqsolveOptions<Y extends StateLike = StateLike, A = any> {
  /** The terms of the equation: `new ODETerm(f)` for an ODE. */
  terms: AbstractTerm<A>;
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
  /** Parameters passed to the vector field unchanged; of the type the terms' functions take. */
  args?: ArgsOf<A>;
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
  /**
   * Memory budget of the saved output in bytes: a solve whose rows would exceed it ends with
   * `RESULTS.outputTooLarge` (keeping what fitted), and one that asks for more rows up front
   * (a long `SaveAt.ts`) is refused before it starts. @defaultValue 2 GiB
   */
  maxOutputBytes?: number;
}

const OPTION_KEYS = [
  "terms", "solver", "t0", "t1", "dt0", "y0", "args", "saveat", "stepsizeController", "maxSteps", "throw", "progressMeter", "event", "maxEvents",
  "maxOutputBytes",
];

/** @internal Everything the loop needs, checked. */
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
  controller: AbstractStepSizeController<any>;
  maxSteps: number;
  progress: ProgressMeter | null;
  /** The events, or null when none are given (the loop then pays one branch per step). */
  events: Event[] | null;
  maxEvents: number;
  maxOutputBytes: number;
}

/** @internal Checks the options of `diffeqsolve` (and of each ensemble) once. */
export function validate<Y extends StateLike>(options: DiffeqsolveOptions<Y>): Validated<Y> {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`diffeqsolve(options): \`options\` must be an object with terms, solver, t0, t1 and y0; got ${describeValue(options)}.`);
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) throw new TypeError(`diffeqsolve: unknown option \`${key}\`${suggest(key, OPTION_KEYS)}.`);
  }
  const { terms, t0, t1, dt0 } = options;
  if (!(terms instanceof AbstractTerm)) {
    throw new TypeError(`diffeqsolve: \`terms\` must be a term such as new ODETerm(f); got ${describeValue(terms)}.`);
  }
  if (options.solver === null || typeof options.solver !== "object" || typeof (options.solver as AbstractSolver).step !== "function") {
    throw new TypeError(`diffeqsolve: \`solver\` must be a solver such as new Tsit5(); got ${describeValue(options.solver)}.`);
  }
  for (const [name, value] of [["t0", t0], ["t1", t1]] as const) {
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new TypeError(`diffeqsolve: \`${name}\` must be a finite number; got ${describeValue(value)}${numericHint(value)}.`);
    }
  }
  // A term may adapt the solver to itself (a DelayTerm: the method of steps around it).
  const solver = terms.adaptSolver === undefined ? options.solver : terms.adaptSolver(options.solver, t0, t1);
  if (typeof solver.checkTerms === "function") solver.checkTerms(terms);
  else if (!(terms instanceof ODETerm)) {
    throw new TypeError(`diffeqsolve: ${solver.name} solves ODEs and needs \`terms\` = new ODETerm(f); got a ${terms.constructor.name}.`);
  }
  if (dt0 !== undefined) {
    if (typeof dt0 !== "number") {
      throw new TypeError(`diffeqsolve: \`dt0\` must be a number, or omitted for an automatic initial step; got ${describeValue(dt0)}${numericHint(dt0)}.`);
    }
    if (!Number.isFinite(dt0) || dt0 === 0) {
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
  checkStateSize(terms, y0.length);
  checkTermArgs(terms, options.args);
  if (options.throw !== undefined && typeof options.throw !== "boolean") {
    throw new TypeError(`diffeqsolve: \`throw\` must be true (failures throw a SolveError) or false (they come back in sol.result); got ${describeValue(options.throw)}.`);
  }
  const maxSteps = options.maxSteps ?? 100_000;
  if (typeof maxSteps !== "number" || !(maxSteps >= 1) || !Number.isInteger(maxSteps)) {
    throw new RangeError(`diffeqsolve: \`maxSteps\` = ${describeValue(maxSteps)} must be a whole number ≥ 1 (for example maxSteps: 100000).`);
  }
  const maxOutputBytes = options.maxOutputBytes ?? DEFAULT_OUTPUT_BUDGET;
  if (typeof maxOutputBytes !== "number" || !(maxOutputBytes > 0)) {
    throw new RangeError(`diffeqsolve: \`maxOutputBytes\` = ${describeValue(maxOutputBytes)} must be a number of bytes > 0 (the default is ${DEFAULT_OUTPUT_BUDGET}).`);
  }
  const saveat = options.saveat ?? new SaveAt();
  if (!(saveat instanceof SaveAt)) throw new TypeError(`diffeqsolve: \`saveat\` must be a SaveAt, e.g. new SaveAt({ ts: [0, 1] }); got ${describeValue(saveat)}.`);
  const dir = t1 >= t0 ? 1 : -1;
  const outputs = saveat.subs ?? [saveat];
  for (let k = 0; k < outputs.length; k++) {
    const ts = outputs[k]!.ts;
    if (ts === undefined) continue;
    const name = saveat.subs === undefined ? "saveat.ts" : `saveat.subs[${k}].ts`;
    for (let i = 0; i < ts.length; i++) {
      if (dir * (ts[i]! - t0) < 0 || dir * (ts[i]! - t1) > 0) {
        throw new RangeError(`diffeqsolve: \`${name}[${i}]\` = ${ts[i]} is outside [t0, t1] = [${t0}, ${t1}]; output times must lie in the interval solved.`);
      }
      if (i > 0 && dir * (ts[i]! - ts[i - 1]!) < 0) {
        throw new RangeError(
          `diffeqsolve: \`${name}\` must be monotone in the direction of integration (${dir > 0 ? "increasing" : "decreasing"}); ` +
            `ts[${i - 1}] = ${ts[i - 1]} and ts[${i}] = ${ts[i]}. Sort them.`,
        );
      }
    }
  }
  let controller = options.stepsizeController;
  if (controller === undefined) controller = solver.errorOrder > 0 ? new PIDController() : new ConstantStepSize();
  if (!(controller instanceof AbstractStepSizeController)) {
    throw new TypeError(
      `diffeqsolve: \`stepsizeController\` must be a step-size controller (PIDController, ConstantStepSize, StepTo, or a subclass of AbstractStepSizeController); got ${describeValue(controller)}.`,
    );
  }
  const odeTerm = terms instanceof ODETerm ? terms : solver.vectorFieldTerm?.(terms);
  const f = odeTerm !== undefined ? prepareVectorField(odeTerm.vf.f, t0, y0, options.args) : noVectorField;
  // A Float32Array state is kept in float32 at every step (src/solvers/float32.ts).
  const stepper = (structure.float32 ? new Float32Steps(solver, controller) : solver) as AbstractSolver<SolverState>;
  controller.check({ t0, t1, dir, dt0, n: structure.size, solver: stepper, f, args: options.args });
  if (controller.adaptive) assertRevisitable(terms);
  const progress = options.progressMeter ?? null;
  if (progress !== null && (typeof progress !== "object" || typeof progress.update !== "function")) {
    throw new TypeError(`diffeqsolve: \`progressMeter\` must be a TextProgressMeter or CallbackProgressMeter; got ${describeValue(progress)}.`);
  }
  const { events, maxEvents } = checkEventOptions(options.event, options.maxEvents);
  let rows = 0;
  for (const o of outputs) rows += (o.t0 ? 1 : 0) + (o.ts === undefined ? 0 : o.ts.length) + (o.t1 ? 1 : 0);
  if (rows * 8 * (structure.size + 1) > maxOutputBytes) throw tooLarge(rows, structure.size, maxOutputBytes);
  return {
    f, terms, solver: stepper, t0, t1, dt0, y0, structure, saveat, controller, maxSteps, progress, events, maxEvents,
    maxOutputBytes,
  };
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
    for (let i = 0; i < n; i++) {
      if (typeof arr[i] !== "number" || Number.isNaN(arr[i]!)) {
        throw new RangeError(
          `diffeqsolve: the vector field returned ${describeValue(arr[i])} for component ${i} at t0 = ${t0}; every derivative must be a number` +
            ` (a NaN at t0 often means a parameter missing from \`args\`).`,
        );
      }
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
        `diffeqsolve: the vector field did not write dy[${i}] (or wrote NaN) at t0 = ${t0}; it must write all ${n} components of dy${argsHint(args)}.`,
      );
    }
  }
  // A finite sentinel past the end: any write there (NaN included) changes it.
  const sentinel = -1.2345678901234567e-300;
  const wide = new Float64Array(n + 1).fill(NaN);
  wide[n] = sentinel;
  try {
    // Writing past the end of a Float64Array is silently dropped, so probe with a wider one.
    fn(t0, Float64Array.from(y0), args, wide);
  } catch (e) {
    throw vectorFieldError(e, t0);
  }
  if (!Object.is(wide[n], sentinel)) {
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

/** Why a vector field may give NaN at t0: a parameter it reads that `args` lacks. */
function argsHint(args: unknown): string {
  if (args === undefined || args === null) return ` (it was called with args = ${String(args)}: if it reads parameters such as args.k, pass \`args\`)`;
  if (typeof args === "object" && !ArrayBuffer.isView(args)) {
    const keys = Object.keys(args);
    return ` (a NaN often means a parameter it reads is missing from \`args\`, which has ${keys.length === 0 ? "no keys" : `the keys ${keys.slice(0, 8).join(", ")}${keys.length > 8 ? ", …" : ""}`})`;
  }
  return "";
}

/** " (write 0.1, not \"0.1\")" for a string that holds a number. */
function numericHint(value: unknown): string {
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) return ` (a string; write ${Number(value)} without quotes)`;
  return "";
}

/** Checks the `event` and `maxEvents` options; the events as a list, or null when none are given. */
function checkEventOptions(event: unknown, maxEvents: unknown): { events: Event[] | null; maxEvents: number } {
  const max = maxEvents ?? 100_000;
  if (typeof max !== "number" || !(max >= 0) || !Number.isInteger(max)) {
    throw new RangeError(`diffeqsolve: \`maxEvents\` = ${describeValue(max)} must be a whole number ≥ 0 (for example maxEvents: 1000).`);
  }
  if (event === undefined || event === null) return { events: null, maxEvents: max };
  const list: unknown[] = Array.isArray(event) ? event : [event];
  const support = eventSupport();
  for (let i = 0; i < list.length; i++) {
    if (support === null || !support.isEvent(list[i])) {
      const where = Array.isArray(event) ? `\`event[${i}]\`` : "`event`";
      throw new TypeError(
        `diffeqsolve: ${where} must be an Event, e.g. new Event({ cond: (t, y) => y[0], terminal: true }); got ${describeValue(list[i])}.`,
      );
    }
  }
  return { events: list.length === 0 ? null : (list as Event[]), maxEvents: max };
}
