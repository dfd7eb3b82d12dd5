/**
 * RecursiveCheckpointAdjoint: the exact gradient of the discrete solution of an explicit
 * Runge–Kutta solve, with a bounded number of stored states.
 *
 * The forward solve runs the ordinary loop; a step hook records every accepted step's (t, h)
 * (the step-size controller's decisions are constants of the gradient, as in diffrax) and keeps
 * some step-start states as checkpoints: revolve's positions when the number of steps is known in
 * advance (ConstantStepSize, StepTo); otherwise, with a fixed budget c, Stumm–Walther's optimal
 * online schedule up to β(c, 2) = (c + 1)(c + 2)/2 steps, then Wang–Moin–Iaccarino (with the
 * default growing budget, Wang–Moin–Iaccarino throughout). The
 * reverse sweep walks the steps backward, recomputing states from the nearest checkpoint by
 * binomial checkpointing (revolve) between kept states, recording each step's stages just before
 * reversing it (see {@link RKStepAdjoint}).
 */
import { createLoopWorkspace, runLoop, solutionFromWorkspace, type StepHook, type Validated } from "../integrate.js";
import { ROW_EVENT, ROW_INTERPOLATED, ROW_STATE, type Rows } from "../integrate/output.js";
import { describeValue } from "../tree.js";
import { type EventJump, eventJumps, JUMP_ROOT } from "./events.js";
import { ExplicitRungeKutta } from "../solvers/erk.js";
import { ArgsLayout, VectorFieldDerivatives } from "./derivatives.js";
import { RKStepAdjoint } from "./erk_adjoint.js";
import { checkNotReversible, checkSDEStepAdjoint, sdeStepAdjoint } from "./sde_step_adjoint.js";
import { differentiableTerms } from "./sde_terms.js";
import { DynamicCheckpoints } from "./online.js";
import { StummWaltherR2, SW_APPEND, SW_DONE, SW_SKIP } from "./online_stumm_walther.js";
import { emptyStats, packCotangents, type AdjointStats, type Gradients, type VjpResult } from "./outputs.js";
import { optimalSplit } from "./revolve.js";

/** Options of {@link RecursiveCheckpointAdjoint}. */
export interface RecursiveCheckpointAdjointOptions {
  /**
   * Most states stored at once (the initial state included), at least 1. Fewer checkpoints cost
   * more recomputation: with s checkpoints and N steps, revolve's T(N, s) forward steps.
   * @defaultValue ⌈√(2N)⌉ for N steps (growing with the step count while it is unknown)
   */
  checkpoints?: number;
}

/**
 * The discrete adjoint with checkpointing ("discretise then optimise"): gradients exact for the
 * numbers the solver computed, for the explicit Runge–Kutta solvers (Tsit5, Dopri5, Dopri8, Vern7,
 * Vern9, Bosh3, Heun, Midpoint, Ralston, Euler and any `ExplicitRungeKutta`), with at most
 * `checkpoints` stored states.
 *
 * Which states are kept: when the number of steps N is known in advance (ConstantStepSize,
 * StepTo), revolve's binomial schedule, with the fewest recomputations T(N, c) − (N − 1). With
 * adaptive steps (N unknown until the solve ends) and a fixed `checkpoints` = c, Stumm & Walther's
 * online regime is used while it is optimal: whenever N ≤ β(c, 2) = (c + 1)(c + 2)/2 the reverse
 * sweep recomputes exactly revolve's optimum, as if N had been known; past β(c, 2) the schedule
 * hands over to Wang, Moin & Iaccarino's dynamic checkpointing (no online schedule can stay optimal
 * to β(c, 3) for c ≥ 3; see online_stumm_walther.ts). With the default budget, which grows with the
 * step count, Wang–Moin–Iaccarino is used throughout. Memory never exceeds c stored states.
 *
 * Outputs interpolated at SaveAt ts are differentiated through the solver's interpolant. Events
 * that change the state (an `affect`: a bounce, a dose, a discrete callback) or end the solve are
 * differentiated through their jump: the affect's derivatives and the event time's dependence on
 * the inputs (a root's through its condition, by the implicit function theorem on the step's
 * interpolant; a scheduled time as an input of its own, whose gradient the pullback returns in
 * `eventTimes`); see events.ts. SDE solves with Euler–Maruyama or Euler–Heun over a
 * `VirtualBrownianTree` are differentiated the same way, step by step, the Brownian increments
 * asked again of the path (sde_step_adjoint.ts). A pullback may be called again (the checkpoints
 * are then recomputed by revolve). Uses the vector field's `vjp` and `vjpArgs` where present (as
 * `compile` provides), its `jac`/`jacArgs` otherwise, else central finite differences.
 *
 * References: A. Griewank and A. Walther, "Algorithm 799: revolve", ACM TOMS 26(1), 2000;
 * P. Stumm and A. Walther, "New algorithms for optimal online checkpointing", SIAM J. Sci. Comput.
 * 32(2), 836–854, 2010; Q. Wang, P. Moin and G. Iaccarino, "Minimal repetition dynamic checkpointing algorithm for
 * unsteady adjoint calculation", SIAM J. Sci. Comput. 31(4), 2009; A. Sandu, "On the properties of
 * Runge–Kutta discrete adjoints", ICCS 2006; P. Kidger, "On Neural Differential Equations", 2021
 * (diffrax's RecursiveCheckpointAdjoint).
 *
 * @example
 * ```ts
 * const { solution, pullback } = diffeqsolveVjp({
 *   terms: new ODETerm(compile((t, y, args, dy) => { dy[0] = -args.k * y[0]; })),
 *   solver: new Tsit5(), t0: 0, t1: 1, y0: [1], args: { k: 2 },
 *   adjoint: new RecursiveCheckpointAdjoint({ checkpoints: 16 }),
 * });
 * const { y0, args } = pullback([[1]]); // d y(1)/d y0 = e^-2, d y(1)/dk = -e^-2
 * ```
 */
export class RecursiveCheckpointAdjoint {
  readonly kind = "recursiveCheckpoint" as const;
  /** The checkpoint budget, or undefined for the default ⌈√(2N)⌉. */
  readonly checkpoints: number | undefined;
  constructor(options: RecursiveCheckpointAdjointOptions = {}) {
    if (options === null || typeof options !== "object") {
      throw new TypeError("new RecursiveCheckpointAdjoint(options): `options` must be an object such as { checkpoints: 32 }.");
    }
    for (const key of Object.keys(options)) {
      if (key !== "checkpoints") throw new TypeError(`new RecursiveCheckpointAdjoint(options): unknown option \`${key}\`; the only option is checkpoints.`);
    }
    const c = options.checkpoints;
    if (c !== undefined && (typeof c !== "number" || !Number.isInteger(c) || c < 1)) {
      throw new RangeError(`new RecursiveCheckpointAdjoint: \`checkpoints\` = ${typeof c === "number" ? c : describeValue(c)} must be a whole number ≥ 1 (the initial state takes one), for example checkpoints: 32.`);
    }
    this.checkpoints = c;
  }
}

/** Default budget for N steps: ⌈√(2N)⌉ (at least 2). */
function defaultCheckpoints(steps: number): number {
  return Math.max(2, Math.ceil(Math.sqrt(2 * steps)));
}

/** The number of steps when the controller knows it before the solve (fixed grids), or −1. */
function knownStepCount(v: Validated<unknown>): number {
  const dir = v.t1 >= v.t0 ? 1 : -1;
  return v.controller.knownStepCount({ t0: v.t0, t1: v.t1, dir, dt0: v.dt0, n: v.y0.length, solver: v.solver, f: v.f, args: undefined });
}

/**
 * Revolve's first-sweep positions for `steps` steps and `s` checkpoints: 0 and the successive
 * optimal splits of the remaining right part, each with one checkpoint fewer.
 */
export function revolvePositions(steps: number, s: number): number[] {
  const positions = [0];
  let a = 0;
  let slots = s;
  while (steps - a > 1 && slots > 1) {
    a += optimalSplit(steps - a, slots);
    positions.push(a);
    slots--;
  }
  return positions;
}

/** Pool of n-vectors; counts the live ones. */
class SlotPool {
  private readonly store: Float64Array[] = [];
  private readonly free: number[] = [];
  live = 0;
  peak = 0;
  constructor(private readonly n: number) {}
  acquire(): number {
    this.live++;
    if (this.live > this.peak) this.peak = this.live;
    const k = this.free.pop();
    if (k !== undefined) return k;
    this.store.push(new Float64Array(this.n));
    return this.store.length - 1;
  }
  release(k: number): void {
    this.live--;
    this.free.push(k);
  }
  get(k: number): Float64Array {
    return this.store[k]!;
  }
}

/** dst ← src (n entries); a loop beats TypedArray.prototype.set for the short vectors of ODEs. */
function copy(n: number, src: Float64Array, dst: Float64Array): void {
  for (let j = 0; j < n; j++) dst[j] = src[j]!;
}

/** Growable record of the accepted steps and the checkpoints kept during the forward solve. */
class ForwardRecorder implements StepHook {
  count = 0;
  t: Float64Array = new Float64Array(64);
  h: Float64Array = new Float64Array(64);
  tEnd: Float64Array = new Float64Array(64);
  readonly yLast: Float64Array;
  /** Kept checkpoints (online) or revolve's positions (known count). */
  readonly online: DynamicCheckpoints;
  private nextKnown = 0;
  /** Stumm–Walther's optimal phase (a fixed budget, the count unknown), null once handed over or unused. */
  private sw: StummWaltherR2 | null;
  constructor(
    readonly pool: SlotPool,
    n: number,
    /** Fixed budget, or 0 for the growing default. */
    readonly budget: number,
    /** Revolve's positions when the step count is known, else null. */
    readonly known: number[] | null,
  ) {
    this.yLast = new Float64Array(n);
    this.online = new DynamicCheckpoints(budget > 0 ? Math.min(budget, 64) : 16);
    this.sw = budget > 0 && known === null ? new StummWaltherR2(budget) : null;
  }

  /**
   * Fixed budget, unknown count: decides on the state at step p = i − 1, still in yLast, now that
   * step i was accepted (so at least p + 2 steps). Stumm–Walther while it is optimal, then
   * Wang–Moin–Iaccarino, whose levels start at 1 for the kept states (each already spaced for one
   * repetition), so that it first spends the states it adds itself.
   */
  private placeDeferred(p: number): number {
    const sw = this.sw;
    if (sw !== null) {
      const a = sw.next(p);
      if (a === SW_APPEND) return this.online.append(p, 0, this.pool.acquire());
      if (a === SW_SKIP) return -1;
      if (a !== SW_DONE) return this.online.replace(a, p, 0);
      this.sw = null;
      this.online.setLevels(1);
    }
    return this.online.place(p, this.budget, this.freeSlot);
  }
  private readonly freeSlot = (): number => this.pool.acquire();

  readonly times = new Float64Array(3);

  accepted(y0: Float64Array): void {
    const times = this.times;
    const t = times[0]!;
    const tEnd = times[1]!;
    const h = times[2]!;
    const i = this.count;
    if (i === this.t.length) {
      const grow = (a: Float64Array): Float64Array => {
        const b = new Float64Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.t = grow(this.t);
      this.h = grow(this.h);
      this.tEnd = grow(this.tEnd);
    }
    this.t[i] = t;
    this.h[i] = h;
    this.tEnd[i] = tEnd;
    this.count = i + 1;
    const n = this.yLast.length;
    const known = this.known;
    if (known === null && this.budget > 0) {
      // The state of step i − 1 is decided only now, when step i exists: the solve's last state
      // is reversed from yLast, so keeping it as a checkpoint would waste a slot.
      if (i === 0) copy(n, y0, this.pool.get(this.online.append(0, Infinity, this.pool.acquire())));
      else if (i > 1) {
        const slot = this.placeDeferred(i - 1);
        if (slot >= 0) copy(n, this.yLast, this.pool.get(slot));
      }
      copy(n, y0, this.yLast);
      return;
    }
    copy(n, y0, this.yLast);
    let slot = -1;
    if (known !== null) {
      if (this.nextKnown < known.length && known[this.nextKnown] === i) {
        this.nextKnown++;
        slot = this.online.append(i, 0, this.pool.acquire());
      }
    } else {
      slot = this.online.place(i, this.budget > 0 ? this.budget : defaultCheckpoints(i + 1), this.freeSlot);
    }
    if (slot >= 0) copy(n, y0, this.pool.get(slot));
  }
}

/** @internal The forward solve and the reverse sweep of {@link RecursiveCheckpointAdjoint}. */
export function checkpointVjp<Y, A>(adjoint: RecursiveCheckpointAdjoint, v: Validated<Y>, args: A, throwOnFailure: boolean): VjpResult<Y, A> {
  const who = "diffeqsolveVjp (RecursiveCheckpointAdjoint)";
  // An ODE with an explicit Runge–Kutta solver, or an SDE with Euler–Maruyama or Euler–Heun.
  const { drift: vf, diffusion } = differentiableTerms(v as Validated<unknown>, who, true);
  checkNotReversible(v as Validated<unknown>, who);
  if (diffusion !== null) checkSDEStepAdjoint(v as Validated<unknown>, who);
  else if (!(v.solver instanceof ExplicitRungeKutta)) {
    throw new TypeError(
      `${who}: the discrete adjoint is implemented for the explicit Runge–Kutta solvers (Tsit5, Dopri5, …), not ${v.solver.name}; ` +
        "use adjoint: new BacksolveAdjoint() or new ForwardSensitivity() with implicit solvers.",
    );
  }
  const n = v.y0.length;
  const layout = new ArgsLayout(args);
  const deriv = new VectorFieldDerivatives(vf, n, layout, v.f);
  const known = knownStepCount(v as Validated<unknown>);
  const budget = adjoint.checkpoints ?? (known >= 0 ? defaultCheckpoints(known) : 0);
  const pool = new SlotPool(n);
  const recorder = new ForwardRecorder(pool, n, budget, known >= 0 ? revolvePositions(known, budget) : null);

  const ws = createLoopWorkspace(v, args, { plan: true });
  ws.stepHook = recorder;
  runLoop(v, v.y0, args, ws);
  ws.stepHook = null;
  const forwardPeak = pool.peak;
  const solution = solutionFromWorkspace(v, ws, throwOnFailure);

  const N = recorder.count;
  const rows = solution.ts.length;
  // Events that changed the solve, each at the end of the step it cut short (or before the first
  // step, at t0): the state jumps there, and a root's time moves with the inputs (events.ts).
  const { initialJump, stepJump } = jumpsBySteps(eventJumps(v as Validated<unknown>, solution.events, layout, who), recorder, N, v.t0);
  const preRow = initialJump !== null && v.saveat.t0 ? 0 : -1;
  const { stateStart, stateRows, interpStart, interpRows, interpTheta, interpEvent } = rowsByStep(ws.rows, N, preRow);
  const stepper = diffusion === null
    ? new RKStepAdjoint((v.solver as ExplicitRungeKutta).tableau, v.f, args, deriv, n)
    : sdeStepAdjoint(v as Validated<unknown>, ws.solverState!, diffusion, args, deriv, layout);
  const sb = stepper.stepStages;
  const D = stepper.denseStages;
  const C = budget > 0 ? budget : defaultCheckpoints(N);
  let firstPullback = true;

  const pullback = (ysBar: unknown): Gradients<Y, A> => {
    const bar = packCotangents(ysBar, rows, n, v.structure as never, who);
    const stats: AdjointStats = emptyStats();
    stats.checkpoints = C;
    const fn0 = stepper.numFnEvals;
    const vjp0 = stepper.numVjpEvals;
    // Checkpoints: those of the forward solve for the first pullback, revolve's (the count now
    // known) recomputed from y0 for later ones.
    let positions: Int32Array;
    let slots: Int32Array;
    let kept: number;
    const yLast = new Float64Array(n);
    let recomputed = 0;
    if (firstPullback) {
      firstPullback = false;
      positions = recorder.online.positions;
      slots = recorder.online.slots;
      kept = recorder.online.count;
      yLast.set(recorder.yLast);
      pool.peak = forwardPeak;
    } else {
      const pos = N > 0 ? revolvePositions(N, C) : [];
      positions = Int32Array.from(pos);
      slots = new Int32Array(pos.length);
      kept = pos.length;
      pool.peak = pool.live;
      let y = Float64Array.from(initialJump !== null ? initialJump.yPost : v.y0);
      let y1 = new Float64Array(n);
      let next = 0;
      for (let i = 0; i < N - 1; i++) {
        if (next < kept && positions[next] === i) {
          slots[next] = pool.acquire();
          pool.get(slots[next]!).set(y);
          next++;
        }
        stepper.forward(recorder.t[i]!, recorder.h[i]!, y, y1, sb);
        if (stepJump[i] !== null) y1.set(stepJump[i]!.yPost);
        recomputed++;
        const tmp = y;
        y = y1;
        y1 = tmp;
      }
      if (next < kept && N > 0 && positions[next] === N - 1) {
        slots[next] = pool.acquire();
        pool.get(slots[next]!).set(y);
      }
      if (N > 0) yLast.set(y);
      recomputed = 0; // the sweep replaces the forward solve; count only the reverse's recomputation
    }

    const lambda = new Float64Array(n);
    const pbar = new Float64Array(layout.size);
    const eventTimes = new Float64Array(solution.events.length);
    let wa = new Float64Array(n);
    let wb = new Float64Array(n);
    const y1scratch = new Float64Array(n);
    const ydot = new Float64Array(n);
    const ubar = new Float64Array(n);
    const addStateRows = (k: number): void => {
      for (let q = stateStart[k]!; q < stateStart[k + 1]!; q++) {
        const r = stateRows[q]!;
        for (let j = 0; j < n; j++) lambda[j] += bar[r * n + j]!;
      }
    };
    /**
     * The jump at the end of step i (stages recorded): λ holds the cotangent of the state after
     * it; leaves the cotangent of the pre-event state in `ubar` and returns whether that state is
     * the interpolant at the event's θ (a root inside the step) rather than y1.
     */
    const reverseJump = (i: number, jump: EventJump): boolean => {
      const h = recorder.h[i]!;
      // A terminating event's rows are its state at the (moving) event time.
      for (let q = interpStart[i]!; q < interpStart[i + 1]!; q++) {
        if (interpEvent[q] !== 1) continue;
        const r = interpRows[q]!;
        for (let j = 0; j < n; j++) lambda[j] += bar[r * n + j]!;
      }
      const root = jump.group.kind === JUMP_ROOT;
      if (root) {
        stepper.outputThetaDerivative(h, (jump.group.t - recorder.t[i]!) / h, ydot);
        for (let j = 0; j < n; j++) ydot[j] = ydot[j]! / h;
      }
      const tau = jump.reverse(lambda, root ? ydot : null, pbar, ubar);
      if (jump.group.timeRecord >= 0) eventTimes[jump.group.timeRecord] += tau;
      return root;
    };
    /** Records step i from y0 and reverses it: λ(i+1) → λ(i), then adds the rows saved at state i. */
    const reverseStep = (i: number, y0: Float64Array): void => {
      const t = recorder.t[i]!;
      const h = recorder.h[i]!;
      const jump = stepJump[i] ?? null;
      const hasInterp = interpStart[i + 1]! > interpStart[i]!;
      const root = jump !== null && jump.group.kind === JUMP_ROOT;
      const count = hasInterp || root ? D : sb;
      // A root's step needs every K (the interpolant's θ-derivative); others only the stage inputs.
      if (root) stepper.forward(t, h, y0, y1scratch, count);
      else stepper.tape(t, h, y0, y1scratch, count);
      let atTheta = false;
      if (jump !== null) {
        atTheta = reverseJump(i, jump);
        // The pre-event state is y1, or the interpolant at θ* (then y1 itself is unused).
        for (let j = 0; j < n; j++) lambda[j] = atTheta ? 0 : ubar[j]!;
      }
      stepper.beginReverse(lambda, h, count);
      if (atTheta) {
        stepper.addOutputCotangent(h, (jump!.group.t - t) / h, ubar, 0);
        for (let j = 0; j < n; j++) lambda[j] += ubar[j]!;
      }
      for (let q = interpStart[i]!; q < interpStart[i + 1]!; q++) {
        if (interpEvent[q] === 1) continue; // taken by the jump
        const r = interpRows[q]!;
        stepper.addOutputCotangent(h, interpTheta[q]!, bar, r * n);
        for (let j = 0; j < n; j++) lambda[j] += bar[r * n + j]!;
      }
      stepper.reverse(t, h, lambda, pbar, count);
      addStateRows(i);
    };
    /** x_target from the state x_from in `src` (into a work buffer, returned). */
    const advance = (src: Float64Array, from: number, target: number): Float64Array => {
      copy(n, src, wa);
      for (let i = from; i < target; i++) {
        stepper.forward(recorder.t[i]!, recorder.h[i]!, wa, wb, sb);
        if (stepJump[i] !== null) wb.set(stepJump[i]!.yPost);
        recomputed++;
        const tmp = wa;
        wa = wb;
        wb = tmp;
      }
      return wa;
    };
    /** Reverses steps a … b−1 given x_a in slot `slotA`, with `s` checkpoints (slotA's included). */
    const reverseSegment = (a: number, b: number, slotA: number, s: number): void => {
      const L = b - a;
      if (L <= 0) return;
      if (L === 1) {
        reverseStep(a, pool.get(slotA));
        return;
      }
      if (s <= 1) {
        for (let i = b - 1; i >= a; i--) reverseStep(i, i === a ? pool.get(slotA) : advance(pool.get(slotA), a, i));
        return;
      }
      const m = a + optimalSplit(L, s);
      const xm = advance(pool.get(slotA), a, m);
      const slotM = pool.acquire();
      copy(n, xm, pool.get(slotM));
      reverseSegment(m, b, slotM, s - 1);
      pool.release(slotM);
      reverseSegment(a, m, slotA, s);
    };

    addStateRows(N);
    if (N > 0) {
      reverseStep(N - 1, yLast);
      for (let j = kept - 1; j >= 0; j--) {
        const a = positions[j]!;
        const b = j === kept - 1 ? N - 1 : positions[j + 1]!;
        reverseSegment(a, b, slots[j]!, C - j);
        pool.release(slots[j]!);
      }
    }
    if (initialJump !== null) {
      // Events at t0 (a dose): λ is the cotangent of the state after them.
      const tau = initialJump.reverse(lambda, null, pbar, lambda);
      if (initialJump.group.timeRecord >= 0) eventTimes[initialJump.group.timeRecord] += tau;
    }
    if (preRow >= 0) for (let j = 0; j < n; j++) lambda[j] += bar[preRow * n + j]!;
    stats.numRecomputedSteps = recomputed;
    stats.peakCheckpoints = pool.peak;
    stats.numFnEvals = stepper.numFnEvals - fn0;
    stats.numVjpEvals = stepper.numVjpEvals - vjp0;
    return { y0: v.structure.unflatten(lambda) as never, args: layout.unflatten(pbar) as A, eventTimes, stats };
  };
  return { solution, pullback };
}

/**
 * Each event jump at the step whose end it is (`tEnd` of the step equals the event time), or
 * before the first step (events at t0).
 */
function jumpsBySteps(jumps: EventJump[], recorder: ForwardRecorder, N: number, t0: number): { initialJump: EventJump | null; stepJump: (EventJump | null)[] } {
  const stepJump: (EventJump | null)[] = new Array<EventJump | null>(N).fill(null);
  let initialJump: EventJump | null = null;
  let i = 0;
  for (const jump of jumps) {
    const t = jump.group.t;
    if (t === t0 && initialJump === null && i === 0) {
      initialJump = jump;
      continue;
    }
    while (i < N && recorder.tEnd[i] !== t) i++;
    if (i === N) throw new Error(`diffeqsolveVjp: internal error: no step ends at the event time ${t}.`);
    stepJump[i++] = jump;
  }
  return { initialJump, stepJump };
}

/**
 * The saved rows grouped by where they come from, as the loop's output plan records it: a state
 * (the start of step k, or the end N), or a point inside step k at θ (an output time, or a
 * terminating event), each as a compressed row list per state and per step.
 */
function rowsByStep(plan: Rows, N: number, preRow: number) {
  const rows = plan.count;
  const kindOf = plan.rowKind!;
  const stepOf = plan.rowStep!;
  const thetaOf = plan.rowTheta!;
  // A terminating event at t0 (no step taken) leaves the initial state.
  // The row before events at t0 (`preRow`) is not the state the steps start from.
  const isState = (q: number): boolean => q !== preRow && (kindOf[q] === ROW_STATE || (kindOf[q] === ROW_EVENT && stepOf[q]! < 0));
  const stateStart = new Int32Array(N + 2);
  const interpStart = new Int32Array(N + 1);
  for (let q = 0; q < rows; q++) {
    if (isState(q)) stateStart[Math.max(0, stepOf[q]!) + 1]++;
    else if (kindOf[q] === ROW_INTERPOLATED || kindOf[q] === ROW_EVENT) interpStart[stepOf[q]! + 1]++;
  }
  for (let k = 0; k <= N; k++) stateStart[k + 1] += stateStart[k]!;
  for (let k = 0; k < N; k++) interpStart[k + 1] += interpStart[k]!;
  const stateRows = new Int32Array(stateStart[N + 1]!);
  const interpRows = new Int32Array(interpStart[N]!);
  const interpTheta = new Float64Array(interpStart[N]!);
  const interpEvent = new Uint8Array(interpStart[N]!);
  const fillS = stateStart.slice();
  const fillI = interpStart.slice();
  for (let q = 0; q < rows; q++) {
    if (isState(q)) stateRows[fillS[Math.max(0, stepOf[q]!)]!++] = q;
    else if (kindOf[q] === ROW_INTERPOLATED || kindOf[q] === ROW_EVENT) {
      const at = fillI[stepOf[q]!]!++;
      interpRows[at] = q;
      interpTheta[at] = thetaOf[q]!;
      interpEvent[at] = kindOf[q] === ROW_EVENT ? 1 : 0;
    }
  }
  return { stateStart, stateRows, interpStart, interpRows, interpTheta, interpEvent };
}
