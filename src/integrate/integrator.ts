/**
 * The integrator API: a solve driven one step at a time (OrdinaryDiffEq.jl's `init`/`step!`,
 * SUNDIALS' one-step mode), saved as plain data and resumed elsewhere.
 *
 * `init(options)` validates the options exactly as `diffeqsolve` does and returns an
 * {@link Integrator}; stepping it to the end takes the same steps and gives the same `Solution`,
 * bit for bit (both drive the same loop). `integrator.saveState()` is a structured-cloneable
 * snapshot; `resume(snapshot, options)` continues it — in another process or worker — with the
 * same steps and output as if it had never stopped.
 */
import { RESULTS, type Result, SolveError } from "../results.js";
import type { Solution, Stats } from "../solution.js";
import type { StateLike } from "../tree.js";
import { describeValue } from "../tree.js";
import { solutionOf } from "./solution-of.js";
import { Integration } from "./loop.js";
import { type LoopSnapshot, reopen, restoreInto, snapshotOf } from "./suspend.js";
import { fingerprintOf } from "./snapshot.js";
import { type DiffeqsolveOptions, validate, type Validated } from "./validate.js";

/** Marks an integrator snapshot. */
const FORMAT = "odeflow-integrator";
/** Version of the snapshot format: a snapshot of another version is refused. */
const VERSION = 1;

/**
 * A solve in progress as plain data: `structuredClone`, `postMessage` and `worker_threads` carry
 * it unchanged. Resume it with {@link resume} and the options of the same problem.
 */
export interface IntegratorSnapshot {
  readonly format: typeof FORMAT;
  readonly version: number;
  /** What identifies the problem (state size, interval, solver, controller, output, events, vector field). */
  readonly problem: string;
  readonly loop: LoopSnapshot;
}

/**
 * A solve that you drive: `step()` takes one accepted step, `advanceTo(t)` steps until the
 * solution passes t and returns the state there (from the step's interpolant, so output never
 * changes the steps), `solution()` gives the `Solution` so far.
 *
 * @example
 * ```ts
 * const integrator = init({ terms, solver: new Tsit5(), t0: 0, t1: 10, y0: [1, 0] });
 * while (integrator.step()) console.log(integrator.t, integrator.y[0]);
 * const sol = integrator.solution(); // the same as diffeqsolve with these options
 * ```
 */
export class Integrator<Y = unknown> {
  private readonly yOut: Float64Array;

  /** @internal Made by {@link init} and {@link resume}. */
  constructor(
    private readonly core: Integration<Y>,
    private readonly throwOnFailure: boolean,
    private readonly fingerprint: string,
  ) {
    this.yOut = new Float64Array(core.n);
  }

  /** The time the solve has reached. */
  get t(): number {
    return this.core.t;
  }

  /** The state at {@link t}: a copy (changing it does not change the solve). */
  get y(): Float64Array {
    this.yOut.set(this.core.y);
    return this.yOut;
  }

  /** The size of the last accepted step (signed); 0 before the first. */
  get dt(): number {
    return this.core.lastStepSize;
  }

  /** Whether the solve has ended (reached t1, a terminating event, or a failure: see {@link result}). */
  get done(): boolean {
    return !this.core.running;
  }

  /** The result code so far (`RESULTS.successful` while running). */
  get result(): Result {
    return this.core.result;
  }

  /** Counters so far. */
  get stats(): Stats {
    return this.solution().stats;
  }

  /**
   * Takes one accepted step (and the rejected attempts before it). Returns whether the solve can
   * go on. A failure throws a `SolveError` (with the solution so far) unless the options said
   * `throw: false`; then `result` tells.
   */
  step(): boolean {
    this.checkRunning("step()");
    this.core.run(1);
    this.throwIfFailed();
    return this.core.running;
  }

  /**
   * Steps until the solution passes `t` and returns the state at `t` (a new array), from the
   * interpolant of the step that passed it. If the solve ends before `t` (a terminating event),
   * returns the state where it ended: compare {@link t} with the target.
   */
  advanceTo(t: number): Float64Array {
    const core = this.core;
    const { t0, t1 } = core.v;
    if (typeof t !== "number" || !Number.isFinite(t)) throw new TypeError(`integrator.advanceTo(t): t must be a finite number; got ${describeValue(t)}.`);
    const dir = core.dir;
    if (dir * (t - core.t) < 0) {
      throw new RangeError(`integrator.advanceTo(t): t = ${t} is behind the integrator (at t = ${core.t}); it only moves towards t1 = ${t1}. Use a dense solution to look back.`);
    }
    if (dir * (t - t1) > 0 || dir * (t - t0) < 0) {
      throw new RangeError(`integrator.advanceTo(t): t = ${t} is outside the interval [${t0}, ${t1}] of the solve.`);
    }
    if (t === core.t) return Float64Array.from(core.y);
    this.checkRunning("advanceTo(t)");
    core.setProbe(t);
    while (core.running && !core.probeDone) core.run(1);
    this.throwIfFailed();
    return Float64Array.from(core.probeDone ? core.probeY : core.y);
  }

  /** The `Solution` so far (a copy: the integrator can go on). */
  solution(): Solution<Y> {
    return solutionOf(this.core, false, this.core.running);
  }

  /**
   * A snapshot of the solve as plain data (structured-cloneable), to continue later or elsewhere
   * with {@link resume}.
   */
  saveState(): IntegratorSnapshot {
    return { format: FORMAT, version: VERSION, problem: this.fingerprint, loop: snapshotOf(this.core) };
  }

  /** @internal The loop (for solveAsync). */
  get integration(): Integration<Y> {
    return this.core;
  }

  private checkRunning(what: string): void {
    if (!this.core.running) {
      throw new Error(
        `integrator.${what}: the solve has ended (${this.core.result === RESULTS.successful ? `reached t1 = ${this.core.v.t1}` : this.core.detail || "result " + this.core.result}); ` +
          "read integrator.solution(), or start a new one with init(options).",
      );
    }
  }

  private throwIfFailed(): void {
    const core = this.core;
    if (this.throwOnFailure && !core.running && core.result !== RESULTS.successful && core.result !== RESULTS.eventOccurred) {
      throw new SolveError(core.result, core.detail, this.solution(), core.error);
    }
  }
}

/**
 * Starts a solve that you drive step by step; takes the options of `diffeqsolve`.
 *
 * @example
 * ```ts
 * const integrator = init({ terms: new ODETerm((t, y, a, dy) => { dy[0] = -y[0]; }), solver: new Tsit5(), t0: 0, t1: 1, y0: [1] });
 * integrator.advanceTo(0.5); // [e^-0.5]
 * ```
 */
export function init<Y extends StateLike, A = any>(options: DiffeqsolveOptions<Y, A>): Integrator<Y> {
  const v = validate(options);
  const core = new Integration(v, options.args);
  core.start(v.y0, options.args);
  return new Integrator(core, options.throw ?? true, problemFingerprint(v));
}

/**
 * Continues a snapshot from {@link Integrator.saveState} with the options of the same problem
 * (the same y0 structure, interval, solver, controller, output and events; `y0` itself is not
 * used). After `maxStepsReached` or an abort, a larger `maxSteps` lets the solve go on.
 *
 * @example
 * ```ts
 * const snapshot = integrator.saveState();          // in one worker
 * const later = resume(snapshot, options);          // in another, with the same options
 * while (later.step());
 * ```
 */
export function resume<Y extends StateLike, A = any>(snapshot: IntegratorSnapshot, options: DiffeqsolveOptions<Y, A>): Integrator<Y> {
  if (snapshot === null || typeof snapshot !== "object" || (snapshot as { format?: unknown }).format !== FORMAT) {
    throw new TypeError(`resume(snapshot, options): \`snapshot\` must come from integrator.saveState(); got ${describeValue(snapshot)}.`);
  }
  if (snapshot.version !== VERSION) {
    throw new TypeError(`resume(snapshot, options): the snapshot has format version ${String(snapshot.version)}, but this odeflow reads version ${VERSION}; resume it with the version that saved it.`);
  }
  const v = validate(options);
  const fingerprint = problemFingerprint(v);
  if (fingerprint !== snapshot.problem) {
    throw new TypeError(
      "resume(snapshot, options): the snapshot was saved from another problem (its state size, interval, solver, step-size controller, " +
        `SaveAt, events or vector field differ); pass the options the integrator was made with.\n  snapshot: ${snapshot.problem}\n  options:  ${fingerprint}`,
    );
  }
  const core = new Integration(v, options.args);
  restoreInto(core, snapshot.loop, options.args);
  reopen(core);
  return new Integrator(core, options.throw ?? true, fingerprint);
}

/** What a snapshot must match to be resumed with these options. */
function problemFingerprint(v: Validated<unknown>): string {
  const { saveat, solver, controller } = v;
  return fingerprintOf({
    n: v.y0.length,
    structure: v.structure.toJSON(),
    t0: v.t0,
    t1: v.t1,
    dt0: v.dt0,
    solver: { name: solver.name, options: solver.options },
    controller: controller.describe(),
    saveat: { t0: saveat.t0, t1: saveat.t1, ts: saveat.ts, steps: saveat.steps, dense: saveat.dense, fn: saveat.fn, subs: saveat.subs?.map((s) => ({ t0: s.t0, t1: s.t1, ts: s.ts, steps: s.steps, fn: s.fn })) },
    events: v.events === null ? 0 : v.events.length,
    f: (v.terms as { vf?: { f?: unknown } }).vf?.f ?? null,
  });
}
