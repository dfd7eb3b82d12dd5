/**
 * The method of steps: any ODE solver with dense output, run on a delay equation.
 *
 * Within a step from t of size h, the delayed states y(t + cᵢh − τ) of the stages are known from
 * the past (the history: φ before t0, the stored dense output of the accepted steps after), so the
 * step is an ODE step of y′ = f(t, y, history) taken by the inner solver unchanged. Around it:
 *
 * - **history**: after each accepted step its dense output (`writeDense`) is stored; lookups are
 *   served by src/delay/history.ts;
 * - **overlap** (a step longer than a delay, so that a stage reads the step itself): the first try
 *   uses the last step's interpolant extrapolated; then the step is repeated with its own
 *   interpolant (fixed-point iteration, as dde23 and RADAR5 do) until y1 changes by less than a
 *   tenth of the tolerance. Explicit Runge–Kutta methods iterate on their own dense output (full
 *   order); other solvers, whose dense output is only complete once a step is accepted, on the
 *   cubic Hermite interpolant of the step's ends. A step that does not converge in
 *   `maxIterations` fails with `STEP_NEWTON_FAILED`, and the controller retries it smaller;
 * - **discontinuities** (src/delay/discontinuities.ts): the propagated jumps are handed to the clip
 *   layer through `stops`, so that steps land on them; where the vector field itself jumps (order
 *   ≤ 1: y0 ≠ φ(t0), a neutral equation, the state changed by an event), the inner solver restarts,
 *   so that its first stage reads the new side.
 *
 * The wrapper allocates per solve (the history store grows by half when full) and nothing per step.
 */
import { type AbstractSolver, type SolverState, STEP_NEWTON_FAILED, STEP_OK } from "../solvers/solver.js";
import { explicitTableau } from "../solvers/erk.js";
import { type AbstractTerm, type InPlaceVectorField, ODETerm } from "../terms.js";
import { describeValue } from "../tree.js";
import { DiscontinuityTracker } from "./discontinuities.js";
import { DelayHistory } from "./history.js";
import { DelayTerm } from "./term.js";

/** Slots of {@link MethodOfStepsState.q}. */
const Q_T = 0;
const Q_H = 1;

/** Workspace of a delay solve: the inner solver's, the history and the discontinuities. */
export class MethodOfStepsState implements SolverState {
  /** Doubles of the step: [t, h]. */
  readonly q = new Float64Array(2);
  /** 0 until the first restart (at t0). */
  started = 0;
  /** 1 when the last accepted step ended on a jump of the vector field (the inner solver restarts there). */
  jumpAtEnd = 0;
  /** Vector-field calls made here (the trial interpolant), beside the inner solver's. */
  ownEvals = 0;
  /** Fixed-point iterations on overlapping steps, and steps that did not converge. */
  numOverlapIterations = 0;
  numOverlapFailures = 0;
  /** References to the loop's buffers of the step in progress (kept until the next step). */
  y0: Float64Array;
  y1: Float64Array;
  /** y1 of the previous iterate. */
  readonly prev: Float64Array;
  /** Tolerances of the convergence test of the iteration (the controller's, or tight ones for fixed steps). */
  rtol: number | Float64Array = 1e-12;
  atol: number | Float64Array = 1e-12;
  /** The test passes at this fraction of the tolerance (a tenth for adaptive steps). */
  iterationScale = 1;

  constructor(
    readonly inner: SolverState,
    readonly history: DelayHistory,
    readonly discontinuities: DiscontinuityTracker,
    n: number,
  ) {
    this.prev = new Float64Array(n);
    this.y0 = this.prev;
    this.y1 = this.prev;
  }

  get numFnEvals(): number {
    return this.inner.numFnEvals + this.ownEvals;
  }
}

/**
 * The method of steps around an ODE solver (DelayDiffEq.jl's `MethodOfSteps`): what `diffeqsolve`
 * runs for a {@link DelayTerm}. Giving the ODE solver itself is enough (`solver: new Tsit5()`);
 * the term wraps it. Its order, error estimate and dense output are the inner solver's.
 *
 * @example
 * ```ts
 * diffeqsolve({ terms: delayTerm, solver: new MethodOfSteps(new Rodas5P()), t0: 0, t1: 10, y0: [1] });
 * ```
 */
export class MethodOfSteps implements AbstractSolver<MethodOfStepsState> {
  readonly name: string;
  readonly order: number;
  readonly errorOrder: number;
  readonly hasSecondaryError: boolean;
  readonly denseOrder?: number;
  /** The ODE solver that takes the steps. */
  readonly solver: AbstractSolver<SolverState>;
  /** Whether the inner solver's dense output of a step can be read before the step is accepted. */
  private readonly ownTrial: boolean;
  stepFactor?: (state: MethodOfStepsState, err: number, accepted: boolean) => number;

  constructor(solver: AbstractSolver<any>) {
    if (solver === null || typeof solver !== "object" || typeof (solver as AbstractSolver).step !== "function") {
      throw new TypeError(`new MethodOfSteps(solver): \`solver\` must be an ODE solver such as new Tsit5(); got ${describeValue(solver)}.`);
    }
    if (solver instanceof MethodOfSteps) throw new TypeError("new MethodOfSteps(solver): `solver` is already a MethodOfSteps; give the ODE solver.");
    this.solver = solver as AbstractSolver<SolverState>;
    this.name = solver.name;
    this.order = solver.order;
    this.errorOrder = solver.errorOrder;
    this.hasSecondaryError = solver.hasSecondaryError;
    if (solver.denseOrder !== undefined) this.denseOrder = solver.denseOrder;
    // Explicit Runge–Kutta methods compute their whole dense output in `step`.
    this.ownTrial = explicitTableau(solver) !== undefined;
    const inner = this.solver;
    if (typeof inner.stepFactor === "function") {
      this.stepFactor = (state, err, accepted) => inner.stepFactor!(state.inner, err, accepted);
    }
  }

  /** The constructor's argument, to rebuild an equal wrapper. */
  get options(): AbstractSolver<any> {
    return this.solver;
  }

  checkTerms(terms: AbstractTerm): void {
    if (!(terms instanceof DelayTerm)) {
      throw new TypeError(`diffeqsolve: MethodOfSteps solves delay equations and needs \`terms\` = new DelayTerm(f, { delays }); got a ${terms.constructor.name}.`);
    }
    const check = this.solver.checkTerms;
    if (typeof check === "function") {
      try {
        check.call(this.solver, probeTerm(terms));
      } catch (e) {
        throw new TypeError(
          `diffeqsolve: a DelayTerm is solved by the method of steps around an ODE solver, and ${this.solver.name} does not solve ODEs ` +
            `(${e instanceof Error ? e.message : String(e)}); use an ODE solver such as Tsit5, Vern7 or Rodas5P.`,
        );
      }
    }
  }

  /**
   * The ODE the loop probes and the automatic initial step uses: the vector field with the delayed
   * states read from the history function (no step has been taken yet).
   */
  vectorFieldTerm(terms: AbstractTerm): ODETerm {
    return probeTerm(terms as DelayTerm);
  }

  init(f: InPlaceVectorField, n: number, args: unknown, terms: AbstractTerm): MethodOfStepsState {
    void f;
    const term = terms as DelayTerm;
    const history = new DelayHistory(term, n, args, this.solver);
    const inner = this.solver.init(history.field, n, args, new ODETerm(history.field, { compile: false }));
    const tracker = new DiscontinuityTracker(term, history, args, this.order);
    return new MethodOfStepsState(inner, history, tracker, n);
  }

  setTolerances(state: MethodOfStepsState, rtol: number | Float64Array, atol: number | Float64Array): void {
    state.rtol = rtol;
    state.atol = atol;
    state.iterationScale = 0.1;
    this.solver.setTolerances?.(state.inner, rtol, atol);
  }

  extraStats(state: MethodOfStepsState): Record<string, number> {
    return {
      ...(this.solver.extraStats?.(state.inner) ?? {}),
      numDiscontinuities: state.discontinuities.registered,
      numOverlapIterations: state.numOverlapIterations,
      numOverlapFailures: state.numOverlapFailures,
    };
  }

  stops(state: MethodOfStepsState): Float64Array {
    return state.discontinuities.stops;
  }

  restart(state: MethodOfStepsState, t: number, y: Float64Array): Float64Array {
    const { history, discontinuities: disc } = state;
    const first = state.started === 0;
    if (first) {
      history.begin(t, y);
      state.started = 1;
    }
    // The state at t (and, until f is known, a flat predictor) for lookups of the restart itself.
    history.restart(t, y, history.fStart.fill(0));
    const f0 = this.solver.restart(state.inner, t, y);
    history.fStart.set(f0);
    state.jumpAtEnd = 0;
    disc.clearPrediction();
    if (first) {
      const phi = history.phiAtStart(new Float64Array(y.length));
      let jump = 1;
      for (let j = 0; j < y.length; j++) if (phi[j] !== y[j]) jump = 0;
      const given = state.history.term.discontinuities;
      for (let i = 0; i < given.length; i++) {
        if (given[i]! !== t) disc.register(given[i]!, 0);
        else jump = 0;
      }
      disc.register(t, jump);
    } else {
      // After an event changed the state (or a jump of f in t): a jump of the state here.
      disc.register(t, 0);
    }
    disc.startAt(t);
    return f0;
  }

  step(state: MethodOfStepsState, times: Float64Array, y0: Float64Array, y1: Float64Array, yErr: Float64Array, yErr2: Float64Array): number {
    const { history, q } = state;
    const inner = this.solver;
    const t = times[0]!;
    q[Q_T] = t;
    q[Q_H] = times[1]!;
    state.y0 = y0;
    state.y1 = y1;
    if (state.jumpAtEnd === 1) {
      // The last step ended on a jump of the vector field: its first stage must read the new side.
      history.restart(t, y0, history.fStart);
      history.fStart.set(inner.restart(state.inner, t, y0));
      state.jumpAtEnd = 0;
    }
    history.beginStep(times);
    let status = inner.step(state.inner, times, y0, y1, yErr, yErr2);
    if (status !== STEP_OK || history.overlap === 0) return status;
    // The step reads itself: iterate on its own interpolant until y1 settles.
    const maxIterations = history.term.maxIterations;
    for (let it = 0; ; it++) {
      if (it === maxIterations) {
        state.numOverlapFailures++;
        return STEP_NEWTON_FAILED;
      }
      state.numOverlapIterations++;
      this.trialInterpolant(state, times, it === 0);
      state.prev.set(y1);
      status = inner.step(state.inner, times, y0, y1, yErr, yErr2);
      if (status !== STEP_OK) return status;
      if (settled(state, state.prev, y1)) return STEP_OK;
    }
  }

  /** The interpolant of the step just computed becomes the predictor of the step itself. */
  private trialInterpolant(state: MethodOfStepsState, times: Float64Array, first: boolean): void {
    const { history, q } = state;
    const t = q[Q_T]!;
    const h = q[Q_H]!;
    if (this.ownTrial) {
      // The method's own dense output; the restart then clears what its dense output cached.
      this.solver.writeDense(state.inner, history.trial, 0);
      history.useTrial(h);
      this.solver.restart(state.inner, t, state.y0);
      return;
    }
    // Hermite interpolation of the step's ends (and of the last step's start).
    const n = state.prev.length;
    const d = history.hermite;
    const args = history.args;
    if (first) {
      history.callAt(t, state.y0, args, d.subarray(2 * n, 3 * n));
      state.ownEvals++;
    }
    d.set(state.y0, 0);
    d.set(state.y1, n);
    history.callAt(t + h, state.y1, args, d.subarray(3 * n, 4 * n));
    state.ownEvals++;
    void times;
    history.useHermite(t, h);
  }

  accept(state: MethodOfStepsState): void {
    const { history, discontinuities: disc, q } = state;
    this.solver.accept(state.inner);
    const offset = history.reserve();
    this.solver.writeDense(state.inner, history.data, offset);
    history.commit(q);
    state.jumpAtEnd = disc.jumpsVectorField(disc.afterAccept(q)) ? 1 : 0;
  }

  interpolate(state: MethodOfStepsState, theta: number, out: Float64Array): void {
    this.solver.interpolate(state.inner, theta, out);
  }

  interpolateDerivative(state: MethodOfStepsState, theta: number, out: Float64Array): void {
    this.solver.interpolateDerivative(state.inner, theta, out);
  }

  denseSize(n: number): number {
    return this.solver.denseSize(n);
  }

  writeDense(state: MethodOfStepsState, out: Float64Array, offset: number): void {
    this.solver.writeDense(state.inner, out, offset);
  }

  evaluateDense(data: Float64Array, offset: number, n: number, dt: number, theta: number, derivative: boolean, out: Float64Array): void {
    this.solver.evaluateDense(data, offset, n, dt, theta, derivative, out);
  }
}

/** Whether the iterate y1 is within the tolerance (scaled) of the previous one, `prev`. */
function settled(state: MethodOfStepsState, prev: Float64Array, y1: Float64Array): boolean {
  const { rtol, atol } = state;
  const n = y1.length;
  let acc = 0;
  for (let j = 0; j < n; j++) {
    const r = typeof rtol === "number" ? rtol : rtol[j]!;
    const a = typeof atol === "number" ? atol : atol[j]!;
    const scale = a + r * Math.max(Math.abs(prev[j]!), Math.abs(y1[j]!));
    const e = (y1[j]! - prev[j]!) / scale;
    acc += e * e;
  }
  return Math.sqrt(acc / n) <= state.iterationScale;
}

/** The ODETerm of a delay term with the history function standing in for the past (validation, first step). */
function probeTerm(term: DelayTerm): ODETerm {
  return new ODETerm(probeField(term), { compile: false });
}

function probeField(term: DelayTerm): InPlaceVectorField {
  let history: DelayHistory | null = null;
  let size = -1;
  return (t, y, args, dy) => {
    if (history === null || size !== y.length || history.args !== args) {
      history = DelayHistory.probe(term, y.length, args, y);
      size = y.length;
    }
    history.probeCall(t, y, args, dy);
  };
}
