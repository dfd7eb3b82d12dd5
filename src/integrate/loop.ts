/**
 * The integration loop: one short driver of named phases over the steps of a solve.
 *
 *     start ─▶ ┌─ propose ─▶ clip ─▶ guard ─▶ step ─▶ adapt ─┬─ accept: events, save, dense, hooks, swap
 *              │                                            ├─ reject: count, retry from the same t
 *              └────────────────────────────────────────────┴─ fail:   result code, keep the data so far
 *
 * - **propose** and **adapt** belong to the step-size controller (src/controllers/), **clip** to
 *   the clip layer (t1, stepTs, jumpTs, scheduled events), **step** to the solver; the loop only
 *   sequences them, saves output and keeps the counters.
 * - Output times are filled from the interpolant of the step that passes them, so they never
 *   shorten or split a step; with `plan`, every saved row records the step and θ it came from
 *   (the output plan the adjoints read).
 * - Nothing here allocates per step: the doubles of the step live in `rec` (a Float64Array), the
 *   state buffers ping-pong, and the saved rows grow geometrically.
 * - A function the user gave that throws ends the solve with `RESULTS.callbackError`, the data
 *   up to the last completed step and the error; a contract violation (a `ContractError`) is
 *   rethrown at once.
 *
 * An {@link Integration} is reusable: `start` resets it for a new y0 and args (the ensemble
 * runner solves thousands of trajectories with one), and it can be driven one step at a time
 * (the public `Integrator`) or run to the end (`diffeqsolve`).
 */
import { ACCEPT, AT_DTMIN, type ControllerProblem, type ControllerState, ERR, H, H_REJECTED, LAST_REJECTED, PROPOSED, REC_SIZE, REJECT, T, T_END, T_NEXT } from "../controllers/base.js";
import { StepClipper } from "../controllers/clip.js";
import { StallDetector } from "../controllers/stall.js";
import type { EventDetector } from "../events/detector.js";
import { eventSupport } from "../events/support.js";
import { subsSupport } from "../subs-support.js";
import { ContractError, ResourceError, type Result, RESULTS, SolveError } from "../results.js";
import type { SolverState } from "../solvers/solver.js";
import type { InPlaceVectorField } from "../terms.js";
import { nextAfter } from "../util/float.js";
import type { OutputSpec } from "../saveat.js";
import {
  DenseStore, ROW_AFTER_EVENT, ROW_EVENT, ROW_EVENT_BEFORE_AFFECT, ROW_INTERPOLATED, ROW_STATE, Rows, Saver, saveFnWidth, saveRow,
} from "./output.js";
import type { Validated } from "./validate.js";

/** The loop is running. */
export const RUNNING = 0;
/** The loop has ended (reached t1, a terminating event, or a failure); `result` says which. */
export const ENDED = 1;

/** Which user function the loop is calling, so that an error it throws is attributed to it. */
const IN_LOOP = 0;
const IN_STEP = 1;
const IN_EVENT_CONDITION = 2;
const IN_EVENT_AFFECT = 3;
const IN_SAVE_FN = 4;
const IN_PROGRESS = 5;
const IN_SOLVER_STEP = 6;
const IN_CONTROLLER = 7;
const CULPRIT = [
  "the loop",
  "the vector field (or the Jacobian, diffusion or Brownian path the solver called)",
  "an event condition",
  "an event affect",
  "the SaveAt fn",
  "the progress meter",
  "the vector field (or the Jacobian, diffusion or Brownian path the solver called)",
  "the step-size controller (a custom norm?)",
];

/**
 * @internal Observer of accepted steps: `accepted(y0)` is called once per accepted step, before
 * the state buffers swap, with its start state (read it, never keep the reference), after the loop
 * wrote the step's start time, its end (an event time when an event cut it short) and its size
 * into `times[0 … 2]` (a typed array, so no double is boxed for the call).
 */
export interface StepHook {
  readonly times: Float64Array;
  accepted(y0: Float64Array): void;
  /**
   * Events changed the solve (an affect ran, or a terminating event ended it) at the end of
   * accepted step `step` (after its `accepted`; the step's end in `times[1]` is the event time),
   * or at t0 before any step (`step` = −1). Called once per such event time, after the affects.
   */
  eventHandled?(step: number): void;
}

/** Options of an {@link Integration} beyond the validated problem. */
export interface IntegrationOptions {
  /** Record the output plan (which step and θ each saved row came from). */
  readonly plan?: boolean;
}

/** @internal One solve's loop state and buffers; see the module documentation. */
export class Integration<Y = unknown> {
  readonly n: number;
  readonly dir: number;
  /** Length of a saved row of the first output (n, or the width of `SaveAt.fn`). */
  readonly width: number;
  /** The outputs: the SaveAt's (or its first sub's) first, then its other `subs`, each with its rows. */
  readonly savers: readonly Saver[];
  /** The rows of the first output (what `sol.ts` and `sol.ys` hold). */
  readonly rows: Rows;
  /** The doubles of the step (slots in controllers/base.ts). */
  readonly rec: Float64Array;
  y: Float64Array;
  y1: Float64Array;
  yErr: Float64Array;
  yErr2: Float64Array;
  ytmp: Float64Array;
  /** The loop's own state vectors (used unless the solver keeps them in its memory: `vectorBackend`). */
  private readonly own: { readonly y: Float64Array; readonly y1: Float64Array; readonly yErr: Float64Array; readonly yErr2: Float64Array; readonly ytmp: Float64Array };
  readonly events: EventDetector | null;
  readonly clip: StepClipper;
  dense: DenseStore | null = null;
  /** Watches adaptive solves for a stall (step size flat and tiny, t1 out of reach); null for fixed steps. */
  readonly stall: StallDetector | null;
  /** Told of every accepted step (the adjoints record step times and checkpoints); null: none. */
  stepHook: StepHook | null = null;

  // Per solve.
  args: unknown = undefined;
  solverState: SolverState | null = null;
  controllerState: ControllerState | null = null;
  /** @internal RUNNING or ENDED. */
  status = ENDED;
  result: Result = RESULTS.successful;
  detail = "";
  /** What a user function threw (with `RESULTS.callbackError`). */
  error: unknown = undefined;
  numSteps = 0;
  numAcceptedSteps = 0;
  numRejectedSteps = 0;
  private phase = IN_LOOP;
  /** θ of the last event inside its step (set when an event cuts a step short). */
  eventThetaValue = 0;
  /** Set when a row did not fit the output budget; the solve then ends with `outputTooLarge`. */
  overflow = false;
  /** A one-off output time (`Integrator.advanceTo`): 1 while pending, with its time in probeT[0]. */
  probePending = 0;
  readonly probeT = new Float64Array(1);
  readonly lastH = new Float64Array(1);
  /** [t, h] of the step just accepted, for the stall detector. */
  private readonly stallTimes = new Float64Array(2);
  /** The time of the SaveAt fn call in progress (for the message if it throws). */
  readonly callT = new Float64Array(1);
  /** Where `Integrator.advanceTo` receives the state at its time. */
  readonly probeY: Float64Array;
  /** Set by {@link release}: the buffers belong to the next solve of the same size. */
  private released = false;

  constructor(readonly v: Validated<Y>, args: unknown, options: IntegrationOptions = {}) {
    const n = v.y0.length;
    this.n = n;
    this.dir = v.t1 >= v.t0 ? 1 : -1;
    const saveat = v.saveat;
    // The output plan (for the adjoints) is kept for the first output only.
    const saverOf = (spec: OutputSpec, i: number): Saver => {
      const width = spec.fn === undefined ? n : saveFnWidth(spec.fn, v.t0, v.y0, args);
      const nts = spec.ts === undefined ? 0 : spec.ts.length;
      const rows = (spec.t0 ? 1 : 0) + nts + (spec.t1 ? 1 : 0) + (spec.steps > 0 ? 64 : 0);
      return new Saver(spec, new Rows(width, rows, i === 0 && options.plan === true, v.maxOutputBytes));
    };
    const subs = saveat.subs;
    this.savers = subs === undefined ? [saverOf(saveat, 0)] : subs.map(saverOf);
    this.rows = this.savers[0]!.rows;
    this.width = this.rows.width;
    const b = spare !== null && spare.n === n ? spare : null;
    spare = null;
    this.rec = b?.rec ?? new Float64Array(REC_SIZE);
    this.probeY = b?.probeY ?? new Float64Array(n);
    this.own = b?.own ?? { y: new Float64Array(n), y1: new Float64Array(n), yErr: new Float64Array(n), yErr2: new Float64Array(n), ytmp: new Float64Array(n) };
    ({ y: this.y, y1: this.y1, yErr: this.yErr, yErr2: this.yErr2, ytmp: this.ytmp } = this.own);
    this.events = v.events === null ? null : eventSupport()!.createDetector(v.events, n, v.maxEvents, this);
    this.stall = v.controller.adaptive ? (b?.stall ?? new StallDetector()) : null;
    // A solver whose interpolant is less accurate than its steps lands on the output times instead.
    const solver = v.solver;
    const landOnOutputs = (subs !== undefined || saveat.ts !== undefined) && solver.denseOrder !== undefined && solver.denseOrder < solver.order;
    const outputTimes = !landOnOutputs ? undefined : subs === undefined ? saveat.ts!.slice().sort() : subsSupport()!.outputTimes(subs);
    this.clip = new StepClipper(v.controller, v.t1, this.dir, this.events, outputTimes?.length ? outputTimes : undefined);
  }

  /**
   * @internal The caller is done with this Integration (it has read the solution): its buffers go
   * to the next solve of the same size, and it must not be used again. Only an owner that never
   * hands the Integration out calls this (`diffeqsolve`).
   */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.status = ENDED;
    spare = { n: this.n, rec: this.rec, probeY: this.probeY, own: this.own, stall: this.stall };
  }

  /** The time the solve has reached. */
  get t(): number {
    return this.rec[T]!;
  }

  /** The size of the last accepted step (signed); 0 before the first. */
  get lastStepSize(): number {
    return this.lastH[0]!;
  }

  /** The time the solve reached (t1 unless it failed or an event ended it). */
  get tFinal(): number {
    return this.rec[T]!;
  }

  /** Whether the loop can take another step. */
  get running(): boolean {
    return this.status === RUNNING;
  }

  /** Vector-field evaluations so far (the solver's and the controller's). */
  get numFnEvals(): number {
    return (this.solverState?.numFnEvals ?? 0) + (this.controllerState?.extraFnEvals ?? 0);
  }

  /** Starts a solve from `y0` with `args`: resets the outputs, initialises solver, controller and events. */
  start(y0: Float64Array, args: unknown): void {
    const { v, rec } = this;
    const { solver, t0, t1, saveat } = v;
    this.args = args;
    for (const saver of this.savers) {
      saver.rows.count = 0;
      saver.its = 0;
    }
    this.dense = saveat.dense ? new DenseStore(solver.denseSize(this.n)) : null;
    rec.fill(0);
    rec[T] = t0;
    rec[T_END] = t0;
    this.numSteps = this.numAcceptedSteps = this.numRejectedSteps = 0;
    this.result = RESULTS.successful;
    this.detail = "";
    this.error = undefined;
    this.overflow = false;
    this.probePending = 0;
    this.eventThetaValue = 0;
    this.lastH[0] = 0;
    this.status = RUNNING;
    this.controllerState = null;
    this.clip.reset(t0);
    this.stall?.reset(t0, t1, v.maxSteps);
    this.guarded(() => {
      this.phase = IN_LOOP; // errors of init are the solver's own (bad options), not a user function's
      this.solverState = solver.init(v.f, this.n, args, v.terms);
      this.clip.solverStops = solver.stops === undefined ? null : solver.stops(this.solverState);
      this.bindBuffers();
      this.y.set(y0);
      if (v.progress !== null) {
        this.phase = IN_PROGRESS;
        v.progress.start(t0, t1);
      }
      for (const saver of this.savers) if (saver.spec.t0) this.save(saver, t0, this.y, 0, 0, ROW_STATE);
      const ev = this.events;
      if (ev !== null) {
        // Conditions at t0; scheduled events at t0 fire now (a dose at t0), their state saved after.
        this.phase = IN_EVENT_AFFECT;
        const code = ev.start(solver, this.solverState, args, t0, t1, this.y);
        if (ev.changed) this.saveAfterEvent(t0, 0);
        if (code !== RESULTS.successful) this.end(code, ev.detail || `t = ${t0}`);
      }
      this.saveOutputTimesAt(t0, this.y);
      if (t0 === t1 || this.status !== RUNNING) return;
      this.phase = IN_STEP;
      const f0 = solver.restart(this.solverState, t0, this.y);
      const problem: ControllerProblem = { t0, t1, dir: this.dir, dt0: v.dt0, n: this.n, solver, f: v.f, args };
      this.controllerState = v.controller.init(problem, { solverState: this.solverState, y0: this.y, f0 });
    });
    if (this.status === RUNNING && (t0 === t1 || this.rec[T] === t1)) this.end(RESULTS.successful, "");
  }

  /**
   * @internal The state vectors of this solve: the solver's own memory when it has a vector
   * backend (the WebAssembly path: no copies per step), else the loop's. Called after `init`.
   */
  bindBuffers(): void {
    const vb = this.v.solver.vectorBackend?.(this.solverState!) ?? null;
    const b = vb === null ? this.own : vb.stateBuffers();
    this.y = b.y;
    this.y1 = b.y1;
    this.yErr = b.yErr;
    this.yErr2 = b.yErr2;
    this.ytmp = b.ytmp;
  }

  /**
   * Runs the loop until it ends, or until `accepted` more steps are accepted (the integrator's
   * `step()`: 1), or until the clock (`performance.now()`, looked at every 32 attempted steps)
   * passes `deadline` (a slice of `solveAsync`).
   */
  run(accepted = Infinity, deadline = Infinity): void {
    const until = this.numAcceptedSteps + accepted;
    this.guarded(() => {
      let k = 0;
      while (this.status === RUNNING && this.numAcceptedSteps < until) {
        this.attempt();
        if ((++k & 31) === 0 && deadline < Infinity && performance.now() >= deadline) return;
      }
    });
  }

  /**
   * Asks for the state at `t` from the interpolant of the step that passes it (see
   * `Integrator.advanceTo`); `probeDone` tells when it was filled into `probeY`.
   */
  setProbe(t: number): void {
    this.probeT[0] = t;
    this.probePending = 1;
  }

  get probeDone(): boolean {
    return this.probePending === 0;
  }

  /** Ends the solve now with `code` (for example `RESULTS.aborted`), keeping everything so far. */
  stop(code: Result, detail: string): void {
    if (this.status === RUNNING) this.end(code, detail);
  }

  /** One attempted step: propose → clip → guard → step → adapt → accept | reject | fail. */
  private attempt(): void {
    const { v, rec } = this;
    if (this.numSteps >= v.maxSteps) return this.end(RESULTS.maxStepsReached, `t = ${rec[T]} after ${this.numSteps} steps`);
    const cs = this.controllerState!;
    this.phase = IN_CONTROLLER;
    const code = nextStep(v.controller, cs, this.clip, rec, this.dir);
    if (code !== PROPOSED) return this.end(code as Result, cs.detail);
    this.phase = IN_SOLVER_STEP;
    const status = v.solver.step(this.solverState!, rec, this.y, this.y1, this.yErr, this.yErr2);
    this.numSteps++;
    this.phase = IN_CONTROLLER;
    const decision = v.controller.adapt(cs, rec, this.y, this.y1, this.yErr, this.yErr2, status);
    if (decision === ACCEPT) this.accept();
    else if (decision === REJECT) this.reject();
    else {
      this.numRejectedSteps++;
      this.end(decision as Result, cs.detail);
    }
  }

  private reject(): void {
    this.numRejectedSteps++;
  }

  /** The accepted step: events, hooks, output, dense output, swap, and restarts after events and jumps. */
  private accept(): void {
    const { v, rec } = this;
    const { solver, t1 } = v;
    const state = this.solverState!;
    solver.accept(state);
    this.numAcceptedSteps++;
    const t = rec[T]!;
    const h = rec[H]!;
    const tNext = rec[T_NEXT]!;
    const ev = this.events;
    this.phase = IN_EVENT_CONDITION;
    // An event to handle ends the step early, at ev.time (see src/events/detector.ts).
    const fired = ev !== null && ev.detect(rec, this.y1);
    const tEnd = fired ? ev!.time : tNext;
    rec[T_END] = tEnd;
    this.lastH[0] = h;
    if (fired) this.eventThetaValue = (tEnd - t) / h;
    const hook = this.stepHook;
    if (hook !== null) {
      this.phase = IN_LOOP;
      const times = hook.times;
      times[0] = t;
      times[1] = tEnd;
      times[2] = h;
      hook.accepted(this.y);
    }
    this.saveOutputTimesIn(fired);
    const step = this.numAcceptedSteps - 1;
    const savers = this.savers;
    for (let k = 0; k < savers.length; k++) {
      const saver = savers[k]!;
      const every = saver.spec.steps;
      if (every > 0 && (fired || this.numAcceptedSteps % every === 0 || tNext === t1)) {
        if (fired) this.save(saver, tEnd, ev!.yPre, step, this.eventThetaValue, ROW_EVENT_BEFORE_AFFECT);
        else this.save(saver, tEnd, this.y1, step + 1, 0, ROW_STATE);
      }
    }
    if (this.dense !== null) {
      this.phase = IN_STEP;
      const offset = this.dense.push(t, h); // may grow dense.data, so read it after
      solver.writeDense(state, this.dense.data, offset);
    }
    const swap = this.y;
    this.y = this.y1;
    this.y1 = swap;
    rec[T] = tNext;
    if (fired) {
      // The state at the event, changed by the affects; the solver restarts from it.
      rec[T] = tEnd;
      this.phase = IN_EVENT_AFFECT;
      const code = ev!.handle(this.y);
      if (ev!.changed) this.saveAfterEvent(tEnd, step + 1);
      if (code !== RESULTS.successful) return this.end(code, ev!.detail);
      if (ev!.changed && tEnd !== t1) this.restart();
    }
    if (this.clip.hitJump === 1 && tEnd === tNext) {
      // Restart just after the discontinuity: the next first stage sees the new vector field.
      this.clip.passJump(rec);
      this.restart();
    }
    if (v.progress !== null && (this.numAcceptedSteps & 63) === 0) {
      this.phase = IN_PROGRESS;
      v.progress.update(rec[T]!);
    }
    if (this.overflow) return this.end(RESULTS.outputTooLarge, `t = ${rec[T]} after ${this.rows.count} saved rows`);
    if (rec[T] === t1) return this.end(RESULTS.successful, "");
    if (this.stall !== null) {
      const st = this.stallTimes;
      st[0] = t;
      st[1] = h;
      if (this.stall.observeStep(st)) this.end(RESULTS.stalled, this.stall.detail());
    }
  }

  /** The solver and the controller start afresh from (rec[T], y) (after an affect or a jump). */
  private restart(): void {
    this.phase = IN_STEP;
    this.v.solver.restart(this.solverState!, this.rec[T]!, this.y);
    this.v.controller.restart(this.controllerState!);
  }

  /** Fills the output times this accepted step passed (up to an event: before it) from its interpolant. */
  private saveOutputTimesIn(fired: boolean): void {
    const savers = this.savers;
    for (let k = 0; k < savers.length; k++) this.saveTimesOf(savers[k]!, fired);
    const { v, rec } = this;
    if (this.probePending === 1 && this.dir * (this.probeT[0]! - rec[T_END]!) <= 0) {
      const tp = this.probeT[0]!;
      if (tp === rec[T_NEXT]! && !fired) this.probeY.set(this.y1);
      else {
        this.phase = IN_STEP;
        v.solver.interpolate(this.solverState!, (tp - rec[T]!) / rec[H]!, this.probeY);
      }
      this.probePending = 0;
    }
  }

  /** One output's times passed by the accepted step. */
  private saveTimesOf(saver: Saver, fired: boolean): void {
    const ts = saver.spec.ts;
    if (ts === undefined) return;
    const { v, rec } = this;
    const t = rec[T]!;
    const h = rec[H]!;
    const tEnd = rec[T_END]!;
    const dir = this.dir;
    const step = this.numAcceptedSteps - 1;
    const nts = ts.length;
    while (saver.its < nts && dir * (ts[saver.its]! - tEnd) <= 0) {
      const ti = ts[saver.its]!;
      if (ti === tEnd) {
        if (fired) break; // saved from the post-event state
        this.save(saver, ti, this.y1, step + 1, 0, ROW_STATE);
      } else {
        this.phase = IN_STEP;
        v.solver.interpolate(this.solverState!, (ti - t) / h, this.ytmp);
        this.save(saver, ti, this.ytmp, step, (ti - t) / h, ROW_INTERPOLATED);
      }
      saver.its++;
    }
  }

  /** The state right after an event's affect changed it, for the outputs that save every step. */
  private saveAfterEvent(t: number, step: number): void {
    const savers = this.savers;
    for (let k = 0; k < savers.length; k++) {
      const saver = savers[k]!;
      if (saver.spec.steps > 0) this.save(saver, t, this.y, step, 0, ROW_AFTER_EVENT);
    }
  }

  /** Output times equal to `t` (the state there is `y`, after the steps and events up to t). */
  private saveOutputTimesAt(t: number, y: Float64Array): void {
    const kind = this.result === RESULTS.eventOccurred ? ROW_EVENT : ROW_STATE;
    const step = kind === ROW_EVENT ? this.numAcceptedSteps - 1 : this.numAcceptedSteps;
    const theta = kind === ROW_EVENT ? this.eventTheta() : 0;
    const savers = this.savers;
    for (let k = 0; k < savers.length; k++) {
      const saver = savers[k]!;
      const ts = saver.spec.ts;
      if (ts === undefined) continue;
      while (saver.its < ts.length && ts[saver.its] === t) {
        this.save(saver, t, y, step, theta, kind);
        saver.its++;
      }
    }
  }

  /** θ of a terminating event inside the last accepted step (0 at t0, before any step). */
  private eventTheta(): number {
    return this.numAcceptedSteps > 0 ? this.eventThetaValue : 0;
  }

  /** Saves a row of one output, unless the output budget is spent (the solve then ends with `outputTooLarge`). */
  private save(saver: Saver, t: number, y: Float64Array, step: number, theta: number, kind: number): void {
    const rows = saver.rows;
    if (rows.full) {
      this.overflow = true;
      return;
    }
    const fn = saver.spec.fn;
    if (fn !== undefined) {
      this.phase = IN_SAVE_FN;
      this.callT[0] = t;
    }
    saveRow(rows, t, y, fn, this.args, step, theta, kind);
  }

  /** Ends the solve with `code`: the final rows at t1 or at a terminating event, then the progress meter. */
  private end(code: Result, detail: string): void {
    this.status = ENDED;
    const { v, rec } = this;
    const t = rec[T]!;
    if (code === RESULTS.successful && t === v.t1) {
      // Output times equal to t1 that remain (t0 === t1, or rounding) and the final state.
      for (const saver of this.savers) {
        const ts = saver.spec.ts;
        if (ts !== undefined) while (saver.its < ts.length) this.save(saver, ts[saver.its++]!, this.y, this.numAcceptedSteps, 0, ROW_STATE);
        if (saver.spec.t1) this.save(saver, t, this.y, this.numAcceptedSteps, 0, ROW_STATE);
      }
    } else if (code === RESULTS.eventOccurred) {
      // A terminating event: output times at the event time, and the final state, at the event.
      this.saveOutputTimesAt(t, this.y);
      for (const saver of this.savers) if (saver.spec.t1) this.save(saver, t, this.y, this.numAcceptedSteps - 1, this.eventTheta(), ROW_EVENT);
    }
    if (this.overflow && (code === RESULTS.successful || code === RESULTS.eventOccurred)) {
      code = RESULTS.outputTooLarge;
      detail = `t = ${t}: the final rows did not fit after ${this.rows.count} saved rows`;
    }
    this.result = code;
    this.detail = detail;
    if (v.progress !== null) {
      this.phase = IN_PROGRESS;
      v.progress.finish(t);
    }
  }

  /**
   * Where the user function that just threw was called: the time of the call when it is known
   * (an output time, an event, the step's start), else the step. For the vector field inside a
   * step, the step is replayed with a fresh solver state and a vector field that records its
   * time, which finds the stage whose call threw (for a deterministic vector field).
   */
  private whereThrown(): string {
    const rec = this.rec;
    const t = rec[T]!;
    switch (this.phase) {
      case IN_SOLVER_STEP: {
        const at = this.replayThrow();
        return at === undefined ? `t = ${t}, in the step to t = ${rec[T_NEXT]}` : `t = ${at}, in the step from t = ${t} to t = ${rec[T_NEXT]}`;
      }
      case IN_EVENT_CONDITION:
        return `t = ${t}, in the step to t = ${rec[T_NEXT]}, while checking it for events`;
      case IN_SAVE_FN:
        return `t = ${this.callT[0]}`;
      default:
        return `t = ${t}`;
    }
  }

  /** The time of the vector-field call that throws when the current step is taken again (see whereThrown). */
  private replayThrow(): number | undefined {
    const { v, rec, n } = this;
    const f = v.f;
    const at = new Float64Array(1).fill(NaN);
    const recording: InPlaceVectorField = (t, y, a, dy) => {
      at[0] = t;
      f(t, y, a, dy);
    };
    try {
      const state = v.solver.init(recording, n, this.args, v.terms);
      v.solver.restart(state, rec[T]!, Float64Array.from(this.y));
      v.solver.step(state, Float64Array.from(rec), Float64Array.from(this.y), new Float64Array(n), new Float64Array(n), new Float64Array(n));
    } catch {
      return Number.isNaN(at[0]!) ? undefined : at[0]!;
    }
    return undefined;
  }

  /**
   * Runs `body`, turning an error thrown by a user function into `RESULTS.callbackError` with
   * the data so far (contract violations and odeflow's own errors pass through).
   */
  private guarded(body: () => void): void {
    try {
      body();
    } catch (e) {
      if (this.phase === IN_LOOP || e instanceof ContractError || e instanceof ResourceError || e instanceof SolveError) throw e;
      const culprit = CULPRIT[this.phase]!;
      const where = this.whereThrown();
      // The rows saved so far stay; nothing is saved for the step that failed.
      this.error = e;
      this.status = ENDED;
      this.result = RESULTS.callbackError;
      this.detail = `${where}: ${culprit} threw ${describeError(e)}`;
    } finally {
      this.phase = IN_LOOP;
    }
  }
}

/**
 * The buffers of the last released Integration that depend only on the state's length n (the step
 * record, probeY, the state vectors, the stall detector, which `start` resets), for the next solve
 * of the same size: allocating them is a real part of a small solve's fixed cost (a typed array of
 * more than 8 doubles costs ~0.3 µs). One set is kept, so nothing accumulates.
 */
let spare: {
  readonly n: number;
  readonly rec: Float64Array;
  readonly probeY: Float64Array;
  readonly own: Integration["own"];
  readonly stall: StallDetector | null;
} | null = null;

/** "TypeError: message" for the message of a result. */
function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

/**
 * propose → clip → guard: the next step from `rec[T]` into `rec[T_NEXT]` and `rec[H]`, or the
 * failure code when none can be taken. Shared by the loop and the lockstep ensemble lanes.
 */
export function nextStep(controller: Validated<unknown>["controller"], cs: ControllerState, clip: StepClipper, rec: Float64Array, dir: number): number {
  const code = controller.propose(cs, rec);
  if (code !== PROPOSED) return code;
  clip.clip(rec);
  const t = rec[T]!;
  let tNext = rec[T_NEXT]!;
  const lastRejected = rec[LAST_REJECTED] === 1;
  // A step below the resolution of t right after an accepted one (not shrunk by a rejection): the
  // "no growth after a rejection" rule can leave dt at half an ulp where t crosses a power of two.
  // Take the smallest representable step instead of giving up.
  if (tNext === t && !lastRejected && controller.adaptive) {
    tNext = nextAfter(t, dir);
    rec[T_NEXT] = tNext;
  }
  const h = tNext - t;
  rec[H] = h;
  rec[ERR] = 0;
  // No progress possible: the step vanishes at t, or repeats exactly the step just rejected.
  if (t + h === t || h === 0 || (lastRejected && h === rec[H_REJECTED] && rec[AT_DTMIN] === 0)) return controller.stuck(cs, rec);
  return PROPOSED;
}
