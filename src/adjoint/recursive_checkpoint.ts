/**
 * RecursiveCheckpointAdjoint: the exact gradient of the discrete solution of a solve, step by step
 * through each method family's step adjoint (step_adjoint.ts; the family is chosen by the solver's
 * declared step map, registry.ts), with a bounded number of stored states.
 *
 * The forward solve runs the ordinary loop; a step hook records every accepted step's (t, h) and
 * the method's integer (BDF's order) (the step-size controller's decisions are constants of the
 * gradient, as in diffrax) and keeps some step-start states x_i (the state, or a multistep
 * method's history) as checkpoints. By default, while they fit in `keepAllBytes`, every state
 * is kept (with an explicit Runge–Kutta method's stages), so nothing is recomputed; otherwise,
 * and whenever `checkpoints` is given: revolve's positions when the number of steps is known in
 * advance (ConstantStepSize, StepTo); otherwise, with a fixed budget c, Stumm–Walther's optimal
 * online schedule up to β(c, 2) = (c + 1)(c + 2)/2 steps, then Wang–Moin–Iaccarino (with the
 * default growing budget, Wang–Moin–Iaccarino throughout). The
 * reverse sweep walks the steps backward, recomputing states from the nearest checkpoint by
 * binomial checkpointing (revolve) between kept states, recording each step just before reversing
 * it (see {@link StepAdjoint}). Events that changed the solve are jumps of the state at the end of
 * the step the loop's step hook marks (`eventHandled`), or before the first step (events at t0):
 * the recomputation applies them, and the reverse sweep their transposed linearisation (events.ts).
 */
import { createLoopWorkspace, runLoop, solutionFromWorkspace, type StepHook, type Validated } from "../integrate.js";
import { describeValue } from "../tree.js";
import { type EventJump, eventJumps, JUMP_ROOT } from "./events.js";
import type { LoopWorkspace } from "../integrate.js";
import { ArgsLayout, VectorFieldDerivatives } from "./derivatives.js";
import { checkNotReversible, checkSDEStepAdjoint, SDEStepAdjointOf } from "./sde_step_adjoint.js";
import { differentiableTerms, isSDETerms } from "./sde_terms.js";
import { DynamicCheckpoints } from "./online.js";
import { StummWaltherR2, SW_APPEND, SW_DONE, SW_SKIP } from "./online_stumm_walther.js";
import { checkSavedOutputs, emptyStats, packCotangents, rowsByStep, type AdjointStats, type Gradients, type VjpResult } from "./outputs.js";
import { stepAdjointOf } from "./registry.js";
import { optimalSplit } from "./revolve.js";
import { NEED_OUTPUTS, NEED_STEP, NEED_THETA, type StepAdjoint, type StepAdjointContext, StepRecord } from "./step_adjoint.js";

/** Options of {@link RecursiveCheckpointAdjoint}. */
export interface RecursiveCheckpointAdjointOptions {
  /**
   * Most states stored at once (the initial state included), at least 1. Fewer checkpoints cost
   * more recomputation: with s checkpoints and N steps, revolve's T(N, s) forward steps.
   * @defaultValue ⌈√(2N)⌉ for N steps (growing with the step count while it is unknown)
   */
  checkpoints?: number;
  /**
   * Without `checkpoints`: bytes that may be spent keeping every step's state (and an explicit
   * Runge–Kutta method's stages), which spares the reverse sweep all recomputation; a solve that
   * needs more falls back to ⌈√(2N)⌉ checkpoints. 0 keeps checkpoints only. Ignored with `checkpoints`.
   * @defaultValue 16 MiB
   */
  keepAllBytes?: number;
}

/** Default {@link RecursiveCheckpointAdjointOptions.keepAllBytes}: 16 MiB. */
const KEEP_ALL_BYTES = 16 * 1024 * 1024;

/**
 * The discrete adjoint with checkpointing ("discretise then optimise"): gradients exact for the
 * discrete solution the solver computes, for every ODE solver that declares a step map: the
 * explicit Runge–Kutta solvers (Tsit5, Dopri5, Dopri8, Vern7, Vern9, Bosh3, Heun, Midpoint,
 * Ralston, Euler, RK4 and any `ExplicitRungeKutta`), Rosenbrock23 and Rodas5P, ImplicitEuler and
 * Kvaerno3/4/5, the IMEX KenCarp3/4/5, BDF (variable order and step) and RadauIIA5, with constant
 * mass matrices. For the implicit methods, "exact" is for the step with its stage equations solved
 * exactly: the reverse sweep re-solves them to rounding, so the forward solve's Newton tolerance
 * does not enter the gradient (docs/gradients.md).
 *
 * What is kept: by default every step's state while they fit in `keepAllBytes` (16 MiB), so
 * nothing is recomputed. Otherwise, or with `checkpoints` = c: when the number of steps N is known
 * in advance (ConstantStepSize, StepTo), revolve's binomial schedule, with the fewest
 * recomputations T(N, c) − (N − 1). With adaptive steps (N unknown until the solve ends) and a
 * fixed c, Stumm & Walther's online regime is used while it is optimal: whenever
 * N ≤ β(c, 2) = (c + 1)(c + 2)/2 the reverse sweep recomputes exactly revolve's optimum, as if N
 * had been known; past β(c, 2) the schedule hands over to Wang, Moin & Iaccarino's dynamic
 * checkpointing (no online schedule can stay optimal to β(c, 3) for c ≥ 3; see
 * online_stumm_walther.ts). With the default budget ⌈√(2N)⌉, which grows with the step count,
 * Wang–Moin–Iaccarino is used throughout. Memory never exceeds c stored states; a BDF state is its
 * history of differences (8 n numbers).
 *
 * Outputs interpolated at SaveAt ts are differentiated through the solver's interpolant. Events
 * that change the state (an `affect`: a bounce, a dose, a discrete callback) or end the solve are
 * differentiated through their jump: the affect's derivatives and the event time's dependence on
 * the inputs (a root's through its condition, by the implicit function theorem on the step's
 * interpolant; a scheduled time as an input of its own, whose gradient the pullback returns in
 * `eventTimes`); see events.ts. SDE solves with Euler–Maruyama or Euler–Heun over a
 * `VirtualBrownianTree` are differentiated the same way, step by step, the Brownian increments
 * asked again of the path (sde_step_adjoint.ts). A pullback may be
 * called again (the checkpoints are then recomputed by revolve). Uses the vector field's `vjp`
 * and `vjpArgs` where present (as `compile` provides), its `jac`/`jacArgs` otherwise, else central
 * finite differences; the implicit methods also use its `jac` (or `jvp`) for the transposed
 * stage solves, and Rosenbrock methods its second derivatives (`hvp`, else differences of `vjp`).
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
  /** Bytes the default may spend keeping every step (see {@link RecursiveCheckpointAdjointOptions.keepAllBytes}). */
  readonly keepAllBytes: number;
  constructor(options: RecursiveCheckpointAdjointOptions = {}) {
    if (options === null || typeof options !== "object") {
      throw new TypeError("new RecursiveCheckpointAdjoint(options): `options` must be an object such as { checkpoints: 32 }.");
    }
    for (const key of Object.keys(options)) {
      if (key !== "checkpoints" && key !== "keepAllBytes") {
        throw new TypeError(`new RecursiveCheckpointAdjoint(options): unknown option \`${key}\`; the options are checkpoints and keepAllBytes.`);
      }
    }
    const c = options.checkpoints;
    if (c !== undefined && (typeof c !== "number" || !Number.isInteger(c) || c < 1)) {
      throw new RangeError(`new RecursiveCheckpointAdjoint: \`checkpoints\` = ${typeof c === "number" ? c : describeValue(c)} must be a whole number ≥ 1 (the initial state takes one), for example checkpoints: 32.`);
    }
    this.checkpoints = c;
    const b = options.keepAllBytes;
    if (b !== undefined && (typeof b !== "number" || !(b >= 0))) {
      throw new RangeError(`new RecursiveCheckpointAdjoint: \`keepAllBytes\` = ${String(b)} must be a number of bytes ≥ 0, for example keepAllBytes: 64 * 1024 * 1024 (0 keeps checkpoints only).`);
    }
    this.keepAllBytes = b ?? KEEP_ALL_BYTES;
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

/** The step hook of the forward solve: records the steps and keeps states as checkpoints. */
class ForwardRecorder implements StepHook {
  /** The state of the last step captured (x_{count−1}). */
  readonly xLast: Float64Array;
  /** The state the hook captures into. */
  private readonly x: Float64Array;
  /** Every step's state, row after row (the default while it fits in keepAllBytes), else null. */
  all: Float64Array | null;
  private checkpointsKept: DynamicCheckpoints | null = null;
  private nextKnown = 0;
  /** Stumm–Walther's optimal phase (a fixed budget, the count unknown), null once handed over or unused. */
  private sw: StummWaltherR2 | null;
  /** The loop's workspace, whose solver state the step adjoint reads at the hook (during the solve). */
  ws: LoopWorkspace | null = null;
  readonly size: number;
  constructor(
    readonly steps: StepRecord,
    readonly adj: StepAdjoint,
    readonly pool: SlotPool,
    /** Fixed budget, or 0 for the growing default. */
    readonly budget: number,
    /** Revolve's positions when the step count is known, else null. */
    readonly known: number[] | null,
    /** Bytes every step's state (and what the step adjoint keeps) may take; 0: checkpoints only. */
    private readonly keepAllBytes: number,
  ) {
    const size = adj.stateSize;
    this.size = size;
    this.xLast = new Float64Array(size);
    this.x = new Float64Array(size);
    this.all = keepAllBytes > 0 ? new Float64Array(steps.capacity * size) : null;

    this.sw = budget > 0 && known === null ? new StummWaltherR2(budget) : null;
  }

  get count(): number {
    return this.steps.count;
  }

  /** Kept checkpoints (online) or revolve's positions (known count), made when first needed. */
  get online(): DynamicCheckpoints {
    return (this.checkpointsKept ??= new DynamicCheckpoints(this.budget > 0 ? Math.min(this.budget, 64) : 16));
  }

  /**
   * Fixed budget, unknown count: decides on the state at step p = i − 1, still in xLast, now that
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
  /** The steps at whose end events changed the solve (−1: at t0), in order (the loop's `eventHandled`). */
  readonly eventSteps: number[] = [];

  eventHandled(step: number): void {
    this.eventSteps.push(step);
  }

  accepted(y0: Float64Array): void {
    const times = this.times;
    const i = this.steps.push(times);
    const S = this.size;
    const adj = this.adj;
    const x = this.x;
    let all = this.all;
    if (all !== null && (i + 1) * (S + adj.keptPerStep) * 8 > this.keepAllBytes) {
      // Past the budget: from here on, checkpoints only.
      this.dropAll(i);
      all = null;
    }
    this.steps.setMeta(i, adj.capture(i, y0, this.ws!.solverState!, x, all !== null));
    if (all === null) {
      this.place(i, x);
      return;
    }
    // Every state kept: no checkpoint to place.
    if (all.length < (i + 1) * S) {
      const grown = new Float64Array(2 * all.length);
      grown.set(all);
      this.all = all = grown;
    }
    copyAt(S, x, 0, all, i * S);
  }

  /** Leaves keeping every state at step i: places the checkpoints steps 0 … i − 1 would have had. */
  private dropAll(i: number): void {
    const all = this.all!;
    const x = new Float64Array(this.size);
    for (let k = 0; k < i; k++) {
      copyAt(this.size, all, k * this.size, x, 0);
      this.place(k, x);
    }
    this.all = null;
    this.adj.dropKept();
  }

  /** Decides whether the state x_i (in `x`) becomes a checkpoint, and keeps it as the last state. */
  private place(i: number, x: Float64Array): void {
    const S = this.size;
    const known = this.known;
    if (known === null && this.budget > 0) {
      // The state of step i − 1 is decided only now, when step i exists: the solve's last state
      // is reversed from xLast, so keeping it as a checkpoint would waste a slot.
      if (i === 0) copy(S, x, this.pool.get(this.online.append(0, Infinity, this.pool.acquire())));
      else if (i > 1) {
        const slot = this.placeDeferred(i - 1);
        if (slot >= 0) copy(S, this.xLast, this.pool.get(slot));
      }
      copy(S, x, this.xLast);
      return;
    }
    copy(S, x, this.xLast);
    let slot = -1;
    if (known !== null) {
      if (this.nextKnown < known.length && known[this.nextKnown] === i) {
        this.nextKnown++;
        slot = this.online.append(i, 0, this.pool.acquire());
      }
    } else {
      slot = this.online.place(i, this.budget > 0 ? this.budget : defaultCheckpoints(i + 1), this.freeSlot);
    }
    if (slot >= 0) copy(S, x, this.pool.get(slot));
  }
}

/** dst[b …] ← src[a …] (n entries). */
function copyAt(n: number, src: Float64Array, a: number, dst: Float64Array, b: number): void {
  for (let j = 0; j < n; j++) dst[b + j] = src[a + j]!;
}

/** @internal The forward solve and the reverse sweep of {@link RecursiveCheckpointAdjoint}. */
export function checkpointVjp<Y, A>(adjoint: RecursiveCheckpointAdjoint, v: Validated<Y>, args: A, throwOnFailure: boolean): VjpResult<Y, A> {
  const who = "diffeqsolveVjp (RecursiveCheckpointAdjoint)";
  checkSavedOutputs(v as Validated<unknown>, who);
  checkNotReversible(v as Validated<unknown>, who);
  const sde = isSDETerms(v as Validated<unknown>);
  if (sde) checkSDEStepAdjoint(v as Validated<unknown>, who);
  const n = v.y0.length;
  const layout = new ArgsLayout(args);
  const known = knownStepCount(v as Validated<unknown>);
  const budget = adjoint.checkpoints ?? (known >= 0 ? defaultCheckpoints(known) : 0);
  const keepAll = adjoint.checkpoints === undefined ? adjoint.keepAllBytes : 0;
  // Room for the known step count, or a few hundred steps to start with (the arrays grow).
  const steps = new StepRecord(known >= 0 ? known + 1 : 256);
  const ctx = { v: v as Validated<unknown>, args, layout, steps, who };
  const adj = sde ? sdeStepAdjointFor(ctx) : stepAdjointOf(ctx);
  const S = adj.stateSize;
  const pool = new SlotPool(S);
  const rec = new ForwardRecorder(steps, adj, pool, budget, known >= 0 ? revolvePositions(known, budget) : null, keepAll);

  const ws = createLoopWorkspace(v, args, { plan: true });
  rec.ws = ws as LoopWorkspace;
  ws.stepHook = rec;
  runLoop(v, v.y0, args, ws);
  ws.stepHook = null;
  rec.ws = null;
  const forwardPeak = pool.peak;
  const solution = solutionFromWorkspace(v, ws, throwOnFailure);

  const N = rec.count;
  const rows = solution.ts.length;
  // Events that changed the solve, each at the end of the step the loop marked (or at t0): the
  // state jumps there, and a root's time moves with the inputs (events.ts).
  const { initialJump, stepJump } = jumpsBySteps(eventJumps(v as Validated<unknown>, solution.events, layout, who), rec.eventSteps, N);
  const { stateStart, stateRows, interpStart, interpRows, interpTheta, interpEvent, beforeEvents } = rowsByStep(ws.rows, N);
  const C = budget > 0 ? budget : defaultCheckpoints(N);
  let firstPullback = true;

  const pullback = (ysBar: unknown): Gradients<Y, A> => {
    const bar = packCotangents(ysBar, rows, n, v.structure as never, who);
    const stats: AdjointStats = emptyStats();
    const fn0 = adj.numFnEvals;
    const vjp0 = adj.numVjpEvals;
    const all = rec.all;
    // Checkpoints: those of the forward solve for the first pullback, revolve's (the count now
    // known) recomputed from y0 for later ones; every state when the forward solve kept them all.
    let positions: Int32Array;
    let slots: Int32Array;
    let kept: number;
    const xLast = new Float64Array(S);
    let recomputed = 0;
    if (all !== null) {
      positions = new Int32Array(0);
      slots = new Int32Array(0);
      kept = 0;
      stats.checkpoints = N;
      pool.peak = N;
    } else if (firstPullback) {
      positions = rec.online.positions;
      slots = rec.online.slots;
      kept = rec.online.count;
      xLast.set(rec.xLast);
      stats.checkpoints = C;
      pool.peak = forwardPeak;
    } else {
      stats.checkpoints = C;
      const pos = N > 0 ? revolvePositions(N, C) : [];
      positions = Int32Array.from(pos);
      slots = new Int32Array(pos.length);
      kept = pos.length;
      pool.peak = pool.live;
      let x = new Float64Array(S);
      let x1 = new Float64Array(S);
      adj.start(v.y0, x);
      if (initialJump !== null) setState(n, S, initialJump.yPost, x);
      let next = 0;
      for (let i = 0; i < N - 1; i++) {
        if (next < kept && positions[next] === i) {
          slots[next] = pool.acquire();
          pool.get(slots[next]!).set(x);
          next++;
        }
        adj.advance(i, x, x1);
        if (stepJump[i] !== null) setState(n, S, stepJump[i]!.yPost, x1);
        const tmp = x;
        x = x1;
        x1 = tmp;
      }
      if (next < kept && N > 0 && positions[next] === N - 1) {
        slots[next] = pool.acquire();
        pool.get(slots[next]!).set(x);
      }
      if (N > 0) xLast.set(x);
    }
    firstPullback = false;

    const lambda = new Float64Array(S);
    const pbar = new Float64Array(layout.size);
    const eventTimes = new Float64Array(solution.events.length);
    let wa = new Float64Array(S);
    let wb = new Float64Array(S);
    const ydot = new Float64Array(n);
    const ubar = new Float64Array(n);
    const addStateRows = (k: number): void => {
      for (let q = stateStart[k]!; q < stateStart[k + 1]!; q++) {
        const r = stateRows[q]!;
        for (let j = 0; j < n; j++) lambda[j] += bar[r * n + j]!;
      }
    };
    /**
     * The jump at the end of recorded step i: λ holds the cotangent of the state after it (and the
     * rows at a terminating event are added to it); leaves the cotangent of the pre-event state in
     * `ubar` and returns whether that state is the interpolant at the event's θ (a root inside the
     * step) rather than the step's end.
     */
    const reverseJump = (i: number, jump: EventJump): boolean => {
      for (let q = interpStart[i]!; q < interpStart[i + 1]!; q++) {
        if (interpEvent[q] === 0) continue;
        const r = interpRows[q]!;
        for (let j = 0; j < n; j++) lambda[j] += bar[r * n + j]!;
      }
      const root = jump.group.kind === JUMP_ROOT;
      if (root) {
        const h = steps.h(i);
        adj.outputThetaDerivative((jump.group.t - steps.t(i)) / h, ydot);
        for (let j = 0; j < n; j++) ydot[j] = ydot[j]! / h;
      }
      const tau = jump.reverse(lambda, root ? ydot : null, pbar, ubar);
      if (jump.group.timeRecord >= 0) eventTimes[jump.group.timeRecord] += tau;
      return root;
    };
    /** Records step i from x0 and reverses it: λ(i+1) → λ(i), then adds the rows saved at state i. */
    const reverseStep = (i: number, x0: Float64Array): void => {
      const jump = stepJump[i] ?? null;
      const root = jump !== null && jump.group.kind === JUMP_ROOT;
      const hasInterp = interpStart[i + 1]! > interpStart[i]!;
      adj.record(i, x0, root ? NEED_THETA : hasInterp ? NEED_OUTPUTS : NEED_STEP);
      let atTheta = false;
      if (jump !== null) {
        atTheta = reverseJump(i, jump);
        // The pre-event state is the step's end, or the interpolant at θ* (then the end is unused);
        // after a jump the solver restarted, so the rest of a carried state has no cotangent.
        lambda.fill(0);
        if (!atTheta) for (let j = 0; j < n; j++) lambda[j] = ubar[j]!;
      }
      adj.beginReverse(lambda);
      if (atTheta) adj.addOutputCotangent((jump!.group.t - steps.t(i)) / steps.h(i), ubar, 0, lambda);
      for (let q = interpStart[i]!; q < interpStart[i + 1]!; q++) {
        if (interpEvent[q] !== 0) continue; // taken by the jump
        adj.addOutputCotangent(interpTheta[q]!, bar, interpRows[q]! * n, lambda);
      }
      adj.reverse(lambda, pbar);
      addStateRows(i);
    };
    /** x_target from the state x_from in `src` (into a work buffer, returned). */
    const advance = (src: Float64Array, from: number, target: number): Float64Array => {
      copy(S, src, wa);
      for (let i = from; i < target; i++) {
        adj.advance(i, wa, wb);
        if (stepJump[i] !== null) setState(n, S, stepJump[i]!.yPost, wb);
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
      copy(S, xm, pool.get(slotM));
      reverseSegment(m, b, slotM, s - 1);
      pool.release(slotM);
      reverseSegment(a, m, slotA, s);
    };

    addStateRows(N);
    if (all !== null) {
      for (let i = N - 1; i >= 0; i--) {
        copyAt(S, all, i * S, wa, 0);
        reverseStep(i, wa);
      }
    } else if (N > 0) {
      reverseStep(N - 1, xLast);
      for (let j = kept - 1; j >= 0; j--) {
        const a = positions[j]!;
        const b = j === kept - 1 ? N - 1 : positions[j + 1]!;
        reverseSegment(a, b, slots[j]!, C - j);
        pool.release(slots[j]!);
      }
    }
    if (initialJump !== null) {
      // Events at t0 (a dose): λ is the cotangent of the state after them.
      const tau = initialJump.reverse(lambda, null, pbar, ubar);
      for (let j = 0; j < n; j++) lambda[j] = ubar[j]!;
      if (initialJump.group.timeRecord >= 0) eventTimes[initialJump.group.timeRecord] += tau;
    }
    // The row at t0 saved before those events.
    for (const r of beforeEvents) for (let j = 0; j < n; j++) lambda[j] += bar[r * n + j]!;
    stats.numRecomputedSteps = recomputed;
    stats.peakCheckpoints = pool.peak;
    stats.numFnEvals = adj.numFnEvals - fn0;
    stats.numVjpEvals = adj.numVjpEvals - vjp0;
    return { y0: v.structure.unflatten(lambda.subarray(0, n)) as never, args: layout.unflatten(pbar) as A, eventTimes, stats };
  };
  return { solution, pullback };
}

/**
 * Each event jump at the step the loop marked as its end (`eventSteps`, in the same order as the
 * jumps: one per event time that changed the solve), or before the first step (−1: events at t0).
 */
function jumpsBySteps(jumps: EventJump[], eventSteps: readonly number[], N: number): { initialJump: EventJump | null; stepJump: (EventJump | null)[] } {
  if (jumps.length !== eventSteps.length) {
    throw new Error(`diffeqsolveVjp: internal error: ${jumps.length} event jumps but the loop marked ${eventSteps.length} event steps.`);
  }
  const stepJump: (EventJump | null)[] = new Array<EventJump | null>(N).fill(null);
  let initialJump: EventJump | null = null;
  jumps.forEach((jump, k) => {
    const i = eventSteps[k]!;
    if (i < 0) initialJump = jump;
    else stepJump[i] = jump;
  });
  return { initialJump, stepJump };
}

/** A carried state (S entries, y first) set to y after a jump: the solver restarted from y alone. */
function setState(n: number, S: number, y: Float64Array, x: Float64Array): void {
  for (let j = 0; j < n; j++) x[j] = y[j]!;
  for (let j = n; j < S; j++) x[j] = 0;
}

/** The SDE step adjoint (Euler–Maruyama, Euler–Heun) of a validated SDE problem. */
function sdeStepAdjointFor(ctx: StepAdjointContext): StepAdjoint {
  const { drift, diffusion } = differentiableTerms(ctx.v, ctx.who, true);
  const deriv = new VectorFieldDerivatives(drift, ctx.v.y0.length, ctx.layout, ctx.v.f);
  return new SDEStepAdjointOf(ctx, diffusion!, deriv);
}
