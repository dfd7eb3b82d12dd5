/**
 * Lockstep batched ensembles: B trajectories ("lanes") advance together through one loop, with
 * their states in structure-of-arrays layout (component j of lane b at `j·B + b`, the layout a GPU
 * kernel uses), so one call of a vectorised vector field computes a stage for every lane. Each
 * lane keeps its own t, step size, controller history, saved rows and status; lanes that finish are
 * compacted out (the last active lane moves into the hole), so finished trajectories stop costing
 * work and the vector field always sees lanes 0 … m−1.
 *
 * Each lane goes through the integration loop's own phases — `nextStep` (the controller's propose,
 * the clip layer, the progress guard) and the controller's `adapt` on the lane's vectors — with
 * its own step record and controller state, so a lane takes exactly the steps `diffeqsolve`
 * takes; only the stages are computed here, for all lanes at once, with the scalar kernel's sums
 * in the same order. Results are therefore bit-identical to `diffeqsolve` when the vectorised
 * vector field computes what the scalar one does (checked at t0 for every lane). Supported:
 * explicit first-same-as-last Runge–Kutta methods (Tsit5, Dopri5, …) with any step-size
 * controller, and `SaveAt` t0/ts/t1.
 *
 * The idea follows DiffEqGPU's `EnsembleGPUKernel`: U. Utkarsh, V. Churavy, Y. Ma, T. Besard,
 * P. Srisuma, T. Gymnich, A. R. Gerlach, A. Edelman, G. Barbastathis, R. D. Braatz,
 * C. Rackauckas, "Automated translation and accelerated solving of differential equations on
 * multiple GPU platforms", Comput. Methods Appl. Mech. Eng. 419 (2024) 116591.
 */
import { ACCEPT, type ControllerState, H, PROPOSED, REC_SIZE, REJECT, T, T_END, T_NEXT } from "../controllers/base.js";
import { StepClipper } from "../controllers/clip.js";
import { nextStep } from "../integrate/loop.js";
import { type Result, RESULTS } from "../results.js";
import { explicitTableau } from "../solvers/erk.js";
import { type SolverState, STEP_OK } from "../solvers/solver.js";
import type { Tableau } from "../solvers/tableau.js";
import type { PreparedEnsemble } from "./options.js";
import type { EnsembleStorage } from "./solution.js";

/**
 * A vectorised vector field over lanes: for b < m, reads component j of lane b at `y[j·stride + b]`
 * and writes `dy[j·stride + b]`; `t[b]` is lane b's time and `args[b]` its args.
 *
 * @example
 * ```ts
 * const decay: BatchVectorField<{ k: number }> = (t, y, args, dy, m) => {
 *   for (let b = 0; b < m; b++) dy[b] = -args[b].k * y[b]; // one component: index b
 * };
 * ```
 */
export type BatchVectorField<A = any> = (t: Float64Array, y: Float64Array, args: readonly A[], dy: Float64Array, m: number, stride: number) => void;

/**
 * Options of the lockstep batched mode.
 *
 * @example
 * ```ts
 * solveEnsembleSync({ ...options, lockstep: { f: lorenzLanes, batchSize: 512 } });
 * ```
 */
export interface LockstepOptions<A = any> {
  /** The vectorised vector field; it must compute, lane by lane, what `terms`' vector field does. */
  f: BatchVectorField<A>;
  /** Lanes per batch. @defaultValue min(N, 256) */
  batchSize?: number;
  /** Use the generated lane kernel (`true`) or generic loops (`false`). @defaultValue true where `new Function` is allowed */
  generated?: boolean;
}

/** One step's stages for lanes 0 … m−1 (generated per tableau). */
type LaneKernel = (
  f: BatchVectorField,
  args: unknown[],
  n: number,
  m: number,
  B: number,
  t: Float64Array,
  h: Float64Array,
  tl: Float64Array,
  y: Float64Array,
  y1: Float64Array,
  yErr: Float64Array,
  yErr2: Float64Array,
  ks: Float64Array[],
  ytmp: Float64Array,
) => void;

let codegen: boolean | undefined;
function canGenerate(): boolean {
  if (codegen === undefined) {
    try {
      codegen = new Function("return 1")() === 1;
    } catch {
      codegen = false;
    }
  }
  return codegen;
}

/** Σ_l coef_l k_l[q] as source, exactly as the scalar kernel writes it (zero terms dropped, 1 · k as k). */
function laneCombination(coefs: ArrayLike<number>, off: number, count: number): string {
  const terms: string[] = [];
  for (let l = 0; l < count; l++) {
    const x = coefs[off + l]!;
    if (x !== 0) terms.push(x === 1 ? `k${l}[q]` : `${x < 0 ? `(${String(x)})` : String(x)} * k${l}[q]`);
  }
  return terms.join(" + ");
}

/**
 * Generates the lane kernel of a first-same-as-last tableau: per stage one pass over the lanes,
 * with the scalar kernel's expression for each element (same terms, same order, so the same
 * rounding), then the vectorised vector field on all lanes.
 */
export function generateLaneSource(tab: Tableau, n?: number): string {
  const s = tab.stages;
  const L: string[] = [`const ${Array.from({ length: s }, (_, i) => `k${i} = ks[${i}]`).join(", ")};`];
  // For small known n, one pass over the lanes per stage with the components unrolled (h[b] read
  // once); otherwise a pass per component. The element expressions are the same either way.
  const unrolled = n !== undefined && n <= MAX_UNROLL;
  const loop = (body: string): string =>
    unrolled
      ? `for (let b = 0; b < m; b++) { const hb = h[b]; ${Array.from({ length: n! }, (_, j) => `{ const q = ${j === 0 ? "b" : `${j} * B + b`}; ${body} }`).join(" ")} }`
      : `for (let j = 0; j < n; j++) { const o = j * B; for (let b = 0; b < m; b++) { const q = o + b; const hb = h[b]; ${body} } }`;
  for (let i = 1; i < s - 1; i++) {
    const comb = laneCombination(tab.a, i * s, i);
    L.push(loop(`ytmp[q] = y[q]${comb ? ` + hb * (${comb})` : ""};`));
    const c = tab.c[i]!;
    L.push(`for (let b = 0; b < m; b++) tl[b] = ${c === 1 ? "t[b] + h[b]" : c === 0 ? "t[b]" : `t[b] + ${c < 0 ? `(${String(c)})` : String(c)} * h[b]`};`);
    L.push(`f(tl, ytmp, args, k${i}, m, B);`);
  }
  L.push(loop(`y1[q] = y[q] + hb * (${laneCombination(tab.b, 0, s)});`));
  L.push("for (let b = 0; b < m; b++) tl[b] = t[b] + h[b];");
  L.push(`f(tl, y1, args, k${s - 1}, m, B);`);
  const err: string[] = [];
  if (tab.bErr) err.push(`yErr[q] = hb * (${laneCombination(tab.bErr, 0, s) || "0"});`);
  if (tab.bErr2) err.push(`yErr2[q] = hb * (${laneCombination(tab.bErr2, 0, s) || "0"});`);
  if (err.length > 0) L.push(loop(err.join(" ")));
  return L.join("\n");
}

/** Largest state length whose components the lane kernel unrolls. */
const MAX_UNROLL = 8;

const laneKernels = new WeakMap<Tableau, Map<number, LaneKernel>>();
function laneKernel(tab: Tableau, n: number): LaneKernel {
  let byN = laneKernels.get(tab);
  if (byN === undefined) {
    byN = new Map();
    laneKernels.set(tab, byN);
  }
  const key = n <= MAX_UNROLL ? n : 0;
  let k = byN.get(key);
  if (k === undefined) {
    const src = generateLaneSource(tab, key === 0 ? undefined : n);
    k = new Function("f", "args", "n", "m", "B", "t", "h", "tl", "y", "y1", "yErr", "yErr2", "ks", "ytmp", `"use strict";\n${src}\n//# sourceURL=odeflow-lanes-${tab.name}-${key}.js`) as LaneKernel;
    byN.set(key, k);
  }
  return k;
}

function unsupported(what: string): never {
  throw new TypeError(`solveEnsemble: lockstep mode ${what}; run without \`lockstep\` (serial or threads) for this problem.`);
}

/** Runs the ensemble in lockstep batches into `store`. */
export function runLockstep(p: PreparedEnsemble, opts: LockstepOptions, store: EnsembleStorage, details: Map<number, string>): void {
  const { v, N } = p;
  if (opts === null || typeof opts !== "object" || typeof opts.f !== "function") {
    throw new TypeError("solveEnsemble: `lockstep` must be { f, batchSize? } with f(t, y, args, dy, m, stride) the vectorised vector field.");
  }
  const B = Math.min(N, opts.batchSize ?? 256);
  if (!Number.isInteger(B) || B < 1) throw new RangeError(`solveEnsemble: \`lockstep.batchSize\` = ${String(opts.batchSize)} must be a whole number ≥ 1.`);
  const tab = explicitTableau(v.solver);
  if (tab === undefined) unsupported(`takes explicit Runge–Kutta solvers (Tsit5, Dopri5, …), not ${v.solver.name}`);
  if (!tab.fsal || tab.dense.extraC.length > 0) unsupported(`takes first-same-as-last methods without extra dense stages (Tsit5, Dopri5), not ${tab.name}`);
  if (v.saveat.fn !== undefined) unsupported("does not take SaveAt fn");
  if (p.variableRows) unsupported("does not take SaveAt steps");
  if (v.events !== null) unsupported("does not take events");
  if (p.output !== null && !p.keepSaved && p.rowsPerTrajectory === 0) unsupported("needs saved rows for the output hook");
  const lane = new Lanes(p, opts.f, tab, B, store, details, opts.generated ?? canGenerate());
  for (let start = 0; start < N; start += B) lane.runBatch(start, Math.min(N, start + B));
}

/**
 * The batch's buffers (structure of arrays) and per-lane loop state. Each lane has the loop's own
 * step record, controller state and clip layer, and goes through the loop's own phases
 * (`nextStep`: propose → clip → guard; the controller's `adapt`), so a lane takes exactly the
 * steps `diffeqsolve` takes; only the stages are computed for all lanes at once.
 */
class Lanes {
  private readonly n: number;
  private readonly B: number;
  private readonly s: number;
  private readonly dir: number;
  private readonly y: Float64Array;
  private readonly y1: Float64Array;
  private readonly yErr: Float64Array;
  private readonly yErr2: Float64Array;
  private readonly ytmp: Float64Array;
  private readonly ks: Float64Array[];
  /** Stage times, step starts and step sizes of the lanes (the kernel's inputs). */
  private readonly tl: Float64Array;
  private readonly t: Float64Array;
  private readonly h: Float64Array;
  /** Per lane: the loop's step record (a view of one buffer), controller state and clip layer. */
  private readonly recs: Float64Array[];
  private readonly cs: ControllerState[];
  private readonly clips: StepClipper[];
  private readonly numSteps: Int32Array;
  private readonly numAcc: Int32Array;
  private readonly numRej: Int32Array;
  private readonly numFn: Int32Array;
  private readonly its: Int32Array;
  private readonly traj: Int32Array;
  private readonly done: Uint8Array;
  private readonly args: unknown[];
  private readonly w: Float64Array;
  private readonly rowsTs: Float64Array;
  private readonly rowsYs: Float64Array;
  private readonly rowCount: Int32Array;
  /** One lane's vectors, contiguous, for the controller (y0, y1, error estimates, f0). */
  private readonly laneY0: Float64Array;
  private readonly laneY1: Float64Array;
  private readonly laneErr: Float64Array;
  private readonly laneErr2: Float64Array;
  private readonly laneF0: Float64Array;
  /** The controller's view of the solver state (an explicit method has no hooks that read it). */
  private readonly solverState: SolverState = { numFnEvals: 0 };
  private readonly K: number;
  private batchStart = 0;
  /** The per-lane integer arrays that move with a lane when the lanes are compacted. */
  private readonly laneI32: Int32Array[];
  /** The generated lane kernel, or null where code generation is not allowed (then the generic loops). */
  private readonly kernel: LaneKernel | null;

  constructor(
    private readonly p: PreparedEnsemble,
    private readonly f: BatchVectorField,
    private readonly tab: Tableau,
    B: number,
    private readonly store: EnsembleStorage,
    private readonly details: Map<number, string>,
    generated: boolean,
  ) {
    const n = p.n;
    const v = p.v;
    this.n = n;
    this.B = B;
    this.s = tab.stages;
    this.dir = v.t1 >= v.t0 ? 1 : -1;
    const nb = n * B;
    this.y = new Float64Array(nb);
    this.y1 = new Float64Array(nb);
    this.yErr = new Float64Array(nb);
    this.yErr2 = new Float64Array(nb);
    this.ytmp = new Float64Array(nb);
    this.ks = [];
    for (let i = 0; i < tab.dense.stages; i++) this.ks.push(new Float64Array(nb));
    const i32 = (): Int32Array => new Int32Array(B);
    this.tl = new Float64Array(B);
    this.t = new Float64Array(B);
    this.h = new Float64Array(B);
    const recBuffer = new Float64Array(B * REC_SIZE);
    this.recs = [];
    this.clips = [];
    for (let b = 0; b < B; b++) {
      this.recs.push(recBuffer.subarray(b * REC_SIZE, (b + 1) * REC_SIZE));
      this.clips.push(new StepClipper(v.controller, v.t1, this.dir, null));
    }
    this.cs = new Array(B);
    this.numSteps = i32();
    this.numAcc = i32();
    this.numRej = i32();
    this.numFn = i32();
    this.its = i32();
    this.traj = i32();
    this.done = new Uint8Array(B);
    this.args = new Array(B);
    this.w = new Float64Array(tab.dense.stages);
    this.K = p.rowsPerTrajectory;
    this.rowsTs = new Float64Array(B * this.K);
    this.rowsYs = new Float64Array(B * this.K * n);
    this.rowCount = new Int32Array(B);
    this.laneY0 = new Float64Array(n);
    this.laneY1 = new Float64Array(n);
    this.laneErr = new Float64Array(n);
    this.laneErr2 = new Float64Array(n);
    this.laneF0 = new Float64Array(n);
    this.kernel = generated ? laneKernel(tab, n) : null;
    this.laneI32 = [this.numSteps, this.numAcc, this.numRej, this.numFn, this.its, this.traj];
  }

  /** Saves a row for the lane's trajectory from column b of `src` (stride B). */
  private save(b: number, t: number, src: Float64Array): void {
    const slot = this.traj[b]! - this.batchStart;
    const r = slot * this.K + this.rowCount[slot]!++;
    this.rowsTs[r] = t;
    const n = this.n;
    const B = this.B;
    for (let j = 0; j < n; j++) this.rowsYs[r * n + j] = src[j * B + b]!;
  }

  /** Marks lane b finished with `result`, and writes its trajectory's outcome. */
  private finishLane(b: number, result: Result, detail: string): void {
    const i = this.traj[b]!;
    const { store, p } = this;
    const v = p.v;
    const slot = i - this.batchStart;
    if (result === RESULTS.successful) {
      const ts = v.saveat.ts;
      const nts = ts === undefined ? 0 : ts.length;
      while (this.its[b]! < nts) this.save(b, ts![this.its[b]!++]!, this.y);
      if (v.saveat.t1) this.save(b, v.t1, this.y);
    } else {
      this.details.set(i, detail);
    }
    const count = this.rowCount[slot]!;
    store.counts[i] = count;
    store.results[i] = result;
    store.tFinal[i] = this.recs[b]![T]!;
    store.numSteps[i] = this.numSteps[b]!;
    store.numAcceptedSteps[i] = this.numAcc[b]!;
    store.numRejectedSteps[i] = this.numRej[b]!;
    store.numFnEvals[i] = this.numFn[b]!;
    const K = this.K;
    const n = this.n;
    const rowsTs = this.rowsTs.subarray(slot * K, slot * K + count);
    const rowsYs = this.rowsYs.subarray(slot * K * n, (slot * K + count) * n);
    if (p.keepSaved) {
      store.ts.set(rowsTs, i * K);
      store.ys.set(rowsYs, i * K * n);
    }
    if (p.output !== null) {
      const w = p.output.width;
      p.output.fn(store.outputs.subarray(i * w, (i + 1) * w), rowsTs, rowsYs, i, result, p.args[i]);
    }
    this.done[b] = 1;
  }

  /** Moves the last active lane into every finished lane's slot; returns the new active count. */
  private compact(m: number): number {
    const { n, B } = this;
    let b = 0;
    while (b < m) {
      if (this.done[b] === 0) {
        b++;
        continue;
      }
      const last = m - 1;
      if (b !== last) {
        for (const a of this.laneI32) a[b] = a[last]!;
        swap(this.recs, b, last);
        swap(this.cs, b, last);
        swap(this.clips, b, last);
        this.done[b] = this.done[last]!;
        this.args[b] = this.args[last];
        const k0 = this.ks[0]!;
        for (let j = 0; j < n; j++) {
          this.y[j * B + b] = this.y[j * B + last]!;
          k0[j * B + b] = k0[j * B + last]!;
        }
      }
      m--;
    }
    return m;
  }

  /** Starts lanes 0 … m−1 on trajectories start … start+m−1: y0, t0 rows, f(t0, y0), controllers. */
  private startBatch(start: number, m: number): void {
    const { p, n, B, y, ks } = this;
    const v = p.v;
    const { t0, t1, saveat } = v;
    const ts = saveat.ts;
    const nts = ts === undefined ? 0 : ts.length;
    this.batchStart = start;
    this.rowCount.fill(0);
    for (let b = 0; b < m; b++) {
      const i = start + b;
      this.traj[b] = i;
      this.args[b] = p.args[i];
      for (let j = 0; j < n; j++) y[j * B + b] = p.y0s[i * n + j]!;
      const rec = this.recs[b]!;
      rec.fill(0);
      rec[T] = t0;
      this.clips[b]!.reset(t0);
      this.its[b] = 0;
      this.numSteps[b] = 0;
      this.numAcc[b] = 0;
      this.numRej[b] = 0;
      this.numFn[b] = 0;
      this.done[b] = 0;
      if (saveat.t0) this.save(b, t0, y);
      while (this.its[b]! < nts && ts![this.its[b]!] === t0) this.save(b, t0, y), this.its[b]!++;
    }
    if (t0 === t1) return;
    // restart: k0 = f(t0, y0) for every lane, checked against the scalar vector field.
    this.tl.fill(t0, 0, m);
    ks[0]!.fill(NaN);
    this.f(this.tl, y, this.args, ks[0]!, m, B);
    const problem = { t0, t1, dir: this.dir, dt0: v.dt0, n, solver: v.solver, f: v.f, args: undefined as unknown };
    for (let b = 0; b < m; b++) {
      this.numFn[b] = 1;
      this.gather(b, y, this.laneY0);
      this.gather(b, ks[0]!, this.laneF0);
      this.checkLane(b);
      const cs = v.controller.init({ ...problem, args: this.args[b] }, { solverState: this.solverState, y0: this.laneY0, f0: this.laneF0 });
      this.numFn[b]! += cs.extraFnEvals;
      this.cs[b] = cs;
    }
  }

  /**
   * The vectorised field must compute, lane by lane, what the scalar one does: at t0 each lane's
   * f(t0, y0) is compared with the scalar field's, so a batch field that writes only lane 0, uses
   * the wrong stride or writes nothing is refused at once instead of giving wrong answers.
   */
  private checkLane(b: number): void {
    const { n, laneY0, laneF0, laneY1 } = this;
    const v = this.p.v;
    v.f(v.t0, laneY0, this.args[b], laneY1);
    for (let j = 0; j < n; j++) {
      const a = laneF0[j]!;
      const e = laneY1[j]!;
      if (!(Math.abs(a - e) <= 1e-9 * Math.max(1, Math.abs(e)))) {
        throw new TypeError(
          `solveEnsemble: lockstep.f does not compute what the vector field of \`terms\` does: for trajectory ${this.traj[b]} at t0, ` +
            `component ${j} is ${a} from lockstep.f and ${e} from the scalar field. lockstep.f must write dy[j·stride + b] for every lane b < m ` +
            "and component j, with stride = its last argument.",
        );
      }
    }
  }

  /**
   * Lane b landed just before a jump of the vector field: it restarts just after it, as the loop
   * does (k0 = f(t, y) from the scalar field, which the batch field equals, and a fresh controller
   * history).
   */
  private passJump(b: number): void {
    const { n, B, laneY0, laneF0 } = this;
    const v = this.p.v;
    const rec = this.recs[b]!;
    this.clips[b]!.passJump(rec);
    this.gather(b, this.y, laneY0);
    v.f(rec[T]!, laneY0, this.args[b], laneF0);
    const k0 = this.ks[0]!;
    for (let j = 0; j < n; j++) k0[j * B + b] = laneF0[j]!;
    this.numFn[b]!++;
    v.controller.restart(this.cs[b]!);
  }

  /** out = column b of src (stride B). */
  private gather(b: number, src: Float64Array, out: Float64Array): void {
    const { n, B } = this;
    for (let j = 0; j < n; j++) out[j] = src[j * B + b]!;
  }

  runBatch(start: number, end: number): void {
    const { p, n, B, ks, y, y1, recs, dir } = this;
    const v = p.v;
    const { t0, t1, saveat, maxSteps, controller } = v;
    const ts = saveat.ts;
    const nts = ts === undefined ? 0 : ts.length;
    let m = end - start;
    this.startBatch(start, m);
    if (t0 === t1) {
      for (let b = 0; b < m; b++) this.finishLane(b, RESULTS.successful, "");
      return;
    }
    const { t: laneT, h: hs, numSteps: nSteps, numAcc: nAcc, numRej: nRej, numFn: nFn, its: itsArr } = this;
    while (m > 0) {
      // Per lane: the step to take (propose → clip → guard), or why it cannot be taken.
      for (let b = 0; b < m; b++) {
        const rec = recs[b]!;
        if (nSteps[b]! >= maxSteps) {
          this.finishLane(b, RESULTS.maxStepsReached, `t = ${rec[T]} after ${nSteps[b]} steps`);
          continue;
        }
        const code = nextStep(controller, this.cs[b]!, this.clips[b]!, rec, dir);
        if (code !== PROPOSED) {
          this.finishLane(b, code as Result, this.cs[b]!.detail);
          continue;
        }
        laneT[b] = rec[T]!;
        hs[b] = rec[H]!;
      }
      m = this.compact(m);
      if (m === 0) break;
      for (let b = 0; b < m; b++) {
        laneT[b] = recs[b]![T]!;
        hs[b] = recs[b]![H]!;
      }
      this.stages(m);

      // Per lane: the controller judges the step; accept (save, advance) or reject.
      for (let b = 0; b < m; b++) {
        const rec = recs[b]!;
        nSteps[b]!++;
        nFn[b]! += this.s - 1;
        this.gather(b, y, this.laneY0);
        this.gather(b, y1, this.laneY1);
        this.gather(b, this.yErr, this.laneErr);
        this.gather(b, this.yErr2, this.laneErr2);
        const decision = controller.adapt(this.cs[b]!, rec, this.laneY0, this.laneY1, this.laneErr, this.laneErr2, STEP_OK);
        if (decision === REJECT) {
          nRej[b]!++;
          continue;
        }
        if (decision !== ACCEPT) {
          nRej[b]!++;
          this.finishLane(b, decision as Result, this.cs[b]!.detail);
          continue;
        }
        nAcc[b]!++;
        const t = rec[T]!;
        const h = rec[H]!;
        const tNext = rec[T_NEXT]!;
        while (itsArr[b]! < nts && dir * (ts![itsArr[b]!]! - tNext) <= 0) {
          const ti = ts![itsArr[b]!]!;
          if (ti === tNext) this.save(b, ti, y1);
          else {
            this.interpolate(b, (ti - t) / h);
            this.save(b, ti, this.ytmp);
          }
          itsArr[b]!++;
        }
        const k0 = ks[0]!;
        const kl = ks[this.s - 1]!;
        for (let j = 0; j < n; j++) {
          const q = j * B + b;
          y[q] = y1[q]!;
          k0[q] = kl[q]!;
        }
        rec[T] = tNext;
        rec[T_END] = tNext;
        if (this.clips[b]!.hitJump === 1) this.passJump(b);
        if (rec[T] === t1) this.finishLane(b, RESULTS.successful, "");
      }
      m = this.compact(m);
    }
  }

  /** The stages of one step for lanes 0 … m−1: the generated kernel's sums, in its order. */
  private stages(m: number): void {
    const { f, args, n, B, t: tsl, h: hs, tl, y, y1, yErr, yErr2, ks, ytmp, s, tab } = this;
    if (this.kernel !== null) {
      this.kernel(f, args, n, m, B, tsl, hs, tl, y, y1, yErr, yErr2, ks, ytmp);
      return;
    }
    const { a, b: bw, c, bErr, bErr2 } = tab;
    for (let i = 1; i < s - 1; i++) {
      this.combine(ytmp, y, a, i * s, i, m);
      const ci = c[i]!;
      for (let b = 0; b < m; b++) tl[b] = ci === 1 ? tsl[b]! + hs[b]! : ci === 0 ? tsl[b]! : tsl[b]! + ci * hs[b]!;
      f(tl, ytmp, args, ks[i]!, m, B);
    }
    this.combine(y1, y, bw, 0, s, m);
    for (let b = 0; b < m; b++) tl[b] = tsl[b]! + hs[b]!;
    f(tl, y1, args, ks[s - 1]!, m, B);
    if (bErr !== undefined) this.errorCombine(yErr, bErr, m);
    if (bErr2 !== undefined) this.errorCombine(yErr2, bErr2, m);
  }

  /** out = base + h·(Σ_l coef_l k_l), over the first `count` stages, skipping zero coefficients. */
  private combine(out: Float64Array, base: Float64Array, coefs: Float64Array, off: number, count: number, m: number): void {
    const { n, B, ks, h } = this;
    let first = true;
    for (let l = 0; l < count; l++) {
      const al = coefs[off + l]!;
      if (al === 0) continue;
      const kl = ks[l]!;
      for (let j = 0; j < n; j++) {
        const o = j * B;
        if (first) for (let b = 0; b < m; b++) out[o + b] = al === 1 ? kl[o + b]! : al * kl[o + b]!;
        else for (let b = 0; b < m; b++) out[o + b] += al === 1 ? kl[o + b]! : al * kl[o + b]!;
      }
      first = false;
    }
    for (let j = 0; j < n; j++) {
      const o = j * B;
      if (first) for (let b = 0; b < m; b++) out[o + b] = base[o + b]!;
      else for (let b = 0; b < m; b++) out[o + b] = base[o + b]! + h[b]! * out[o + b]!;
    }
  }

  /** out = h·(Σ_l e_l k_l) (the error estimate), as the generated kernel computes it. */
  private errorCombine(out: Float64Array, e: Float64Array, m: number): void {
    const { n, B, ks, h, s } = this;
    let first = true;
    for (let l = 0; l < s; l++) {
      const el = e[l]!;
      if (el === 0) continue;
      const kl = ks[l]!;
      for (let j = 0; j < n; j++) {
        const o = j * B;
        if (first) for (let b = 0; b < m; b++) out[o + b] = el === 1 ? kl[o + b]! : el * kl[o + b]!;
        else for (let b = 0; b < m; b++) out[o + b] += el === 1 ? kl[o + b]! : el * kl[o + b]!;
      }
      first = false;
    }
    for (let j = 0; j < n; j++) {
      const o = j * B;
      for (let b = 0; b < m; b++) out[o + b] = h[b]! * (first ? 0 : out[o + b]!);
    }
  }

  /** ytmp column b = the dense interpolant of lane b's last step at θ (Horner, as the ERK engine). */
  private interpolate(b: number, theta: number): void {
    const { n, B, ks, w, ytmp, y, h } = this;
    const { stages, degree, bTheta } = this.tab.dense;
    for (let i = 0; i < stages; i++) {
      let acc = 0;
      const base = i * degree;
      for (let q = degree - 1; q >= 0; q--) acc = acc * theta + bTheta[base + q]!;
      acc *= theta;
      w[i] = acc;
    }
    for (let j = 0; j < n; j++) {
      const q = j * B + b;
      let acc = 0;
      for (let i = 0; i < stages; i++) acc += w[i]! * ks[i]![q]!;
      ytmp[q] = y[q]! + h[b]! * acc;
    }
  }
}

function swap<T>(a: T[], i: number, j: number): void {
  const x = a[i]!;
  a[i] = a[j]!;
  a[j] = x;
}
