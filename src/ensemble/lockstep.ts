/**
 * Lockstep batched ensembles: B trajectories ("lanes") advance together through one loop, with
 * their states in structure-of-arrays layout (component j of lane b at `j·B + b`, the layout a GPU
 * kernel uses), so one call of a vectorised vector field computes a stage for every lane. Each
 * lane keeps its own t, step size, controller history, saved rows and status; lanes that finish are
 * compacted out (the last active lane moves into the hole), so finished trajectories stop costing
 * work and the vector field always sees lanes 0 … m−1.
 *
 * The arithmetic is that of the serial loop and of the generated explicit Runge–Kutta kernel,
 * operation for operation (same sums in the same order, same controller formulas), so results are
 * bit-identical to `diffeqsolve` when the vectorised vector field computes what the scalar one
 * does. The automatic initial step calls the loop's own `initialStepSize` per lane (with the
 * scalar vector field of `terms`); the step proposal and PID update mirror `runLoop` line for line,
 * and the lockstep tests compare every bit with the serial runner, so a change to one that is not
 * made to the other fails them. Supported: explicit first-same-as-last Runge–Kutta methods (Tsit5, Dopri5, …) with
 * `PIDController` ("rms" or "max" norm) or `ConstantStepSize`, and `SaveAt` t0/ts/t1.
 *
 * The idea follows DiffEqGPU's `EnsembleGPUKernel`: U. Utkarsh, V. Churavy, Y. Ma, T. Besard,
 * P. Srisuma, T. Gymnich, A. R. Gerlach, A. Edelman, G. Barbastathis, R. D. Braatz,
 * C. Rackauckas, "Automated translation and accelerated solving of differential equations on
 * multiple GPU platforms", Comput. Methods Appl. Mech. Eng. 419 (2024) 116591.
 */
import { ConstantStepSize } from "../controllers/constant.js";
import { PIDController } from "../controllers/pid.js";
import { type Result, RESULTS } from "../results.js";
import { initialStepSize } from "../integrate.js";
import { ExplicitRungeKutta } from "../solvers/erk.js";
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
  const { v, N, n } = p;
  if (opts === null || typeof opts !== "object" || typeof opts.f !== "function") {
    throw new TypeError("solveEnsemble: `lockstep` must be { f, batchSize? } with f(t, y, args, dy, m, stride) the vectorised vector field.");
  }
  const B = Math.min(N, opts.batchSize ?? 256);
  if (!Number.isInteger(B) || B < 1) throw new RangeError(`solveEnsemble: \`lockstep.batchSize\` = ${String(opts.batchSize)} must be a whole number ≥ 1.`);
  const solver = v.solver as unknown;
  if (!(solver instanceof ExplicitRungeKutta)) unsupported(`takes explicit Runge–Kutta solvers (Tsit5, Dopri5, …), not ${v.solver.name}`);
  const tab = solver.tableau;
  if (!tab.fsal || tab.dense.extraC.length > 0) unsupported(`takes first-same-as-last methods without extra dense stages (Tsit5, Dopri5), not ${tab.name}`);
  const ctrl = v.controller;
  const pid = ctrl instanceof PIDController ? ctrl : null;
  if (pid === null && !(ctrl instanceof ConstantStepSize)) unsupported("takes PIDController or ConstantStepSize");
  if (pid !== null && typeof pid.norm === "function") unsupported("takes the \"rms\" or \"max\" error norm");
  if (pid !== null && (pid.stepTs !== undefined || pid.jumpTs !== undefined)) unsupported("does not take stepTs or jumpTs");
  if (v.saveat.fn !== undefined) unsupported("does not take SaveAt fn");
  if (p.variableRows) unsupported("does not take SaveAt steps");
  if ((v as { events?: unknown }).events) unsupported("does not take events");
  if (p.output !== null && !p.keepSaved && p.rowsPerTrajectory === 0) unsupported("needs saved rows for the output hook");
  const lane = new Lanes(p, opts.f, tab, pid, B, store, details, opts.generated ?? canGenerate());
  for (let start = 0; start < N; start += B) lane.runBatch(start, Math.min(N, start + B));
}

/** The batch's buffers (structure of arrays) and per-lane loop state. */
class Lanes {
  private readonly n: number;
  private readonly B: number;
  private readonly s: number;
  private readonly y: Float64Array;
  private readonly y1: Float64Array;
  private readonly yErr: Float64Array;
  private readonly yErr2: Float64Array;
  private readonly ytmp: Float64Array;
  private readonly ks: Float64Array[];
  private readonly tl: Float64Array;
  private readonly t: Float64Array;
  private readonly h: Float64Array;
  private readonly dt: Float64Array;
  private readonly tNext: Float64Array;
  private readonly invPrev1: Float64Array;
  private readonly invPrev2: Float64Array;
  private readonly hRejected: Float64Array;
  private readonly lastRejected: Uint8Array;
  private readonly atDtmin: Uint8Array;
  private readonly nonFinite: Int32Array;
  private readonly numSteps: Int32Array;
  private readonly numAcc: Int32Array;
  private readonly numRej: Int32Array;
  private readonly numFn: Int32Array;
  private readonly its: Int32Array;
  private readonly kFixed: Int32Array;
  private readonly traj: Int32Array;
  private readonly done: Uint8Array;
  private readonly args: unknown[];
  private readonly w: Float64Array;
  private readonly rowsTs: Float64Array;
  private readonly rowsYs: Float64Array;
  private readonly rowCount: Int32Array;
  /** One lane's state, f0 and scratch as contiguous vectors (for the initial step size). */
  private readonly laneY: Float64Array;
  private readonly laneF0: Float64Array;
  private readonly laneScratch: Float64Array[];
  private readonly K: number;
  private batchStart = 0;
  /** The per-lane arrays that move with a lane when the lanes are compacted. */
  private readonly laneF64: Float64Array[];
  private readonly laneI32: Int32Array[];
  /** The generated lane kernel, or null where code generation is not allowed (then the generic loops). */
  private readonly kernel: LaneKernel | null;

  constructor(
    private readonly p: PreparedEnsemble,
    private readonly f: BatchVectorField,
    private readonly tab: Tableau,
    private readonly pid: PIDController | null,
    B: number,
    private readonly store: EnsembleStorage,
    private readonly details: Map<number, string>,
    generated: boolean,
  ) {
    const n = p.n;
    this.n = n;
    this.B = B;
    this.s = tab.stages;
    const nb = n * B;
    this.y = new Float64Array(nb);
    this.y1 = new Float64Array(nb);
    this.yErr = new Float64Array(nb);
    this.yErr2 = new Float64Array(nb);
    this.ytmp = new Float64Array(nb);
    this.ks = [];
    for (let i = 0; i < tab.dense.stages; i++) this.ks.push(new Float64Array(nb));
    const f64 = (): Float64Array => new Float64Array(B);
    const i32 = (): Int32Array => new Int32Array(B);
    this.tl = f64();
    this.t = f64();
    this.h = f64();
    this.dt = f64();
    this.tNext = f64();
    this.invPrev1 = f64();
    this.invPrev2 = f64();
    this.hRejected = f64();
    this.lastRejected = new Uint8Array(B);
    this.atDtmin = new Uint8Array(B);
    this.nonFinite = i32();
    this.numSteps = i32();
    this.numAcc = i32();
    this.numRej = i32();
    this.numFn = i32();
    this.its = i32();
    this.kFixed = i32();
    this.traj = i32();
    this.done = new Uint8Array(B);
    this.args = new Array(B);
    this.w = new Float64Array(tab.dense.stages);
    this.K = p.rowsPerTrajectory;
    this.rowsTs = new Float64Array(B * this.K);
    this.rowsYs = new Float64Array(B * this.K * n);
    this.rowCount = new Int32Array(B);
    this.laneY = new Float64Array(n);
    this.laneF0 = new Float64Array(n);
    this.laneScratch = [new Float64Array(n), new Float64Array(n)];
    this.kernel = generated ? laneKernel(tab, n) : null;
    this.laneF64 = [this.t, this.h, this.dt, this.tNext, this.invPrev1, this.invPrev2, this.hRejected];
    this.laneI32 = [this.nonFinite, this.numSteps, this.numAcc, this.numRej, this.numFn, this.its, this.kFixed, this.traj];
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
    store.tFinal[i] = this.t[b]!;
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
        for (const a of this.laneF64) a[b] = a[last]!;
        for (const a of this.laneI32) a[b] = a[last]!;
        this.lastRejected[b] = this.lastRejected[last]!;
        this.atDtmin[b] = this.atDtmin[last]!;
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

  runBatch(start: number, end: number): void {
    const { p, n, B, f, tab, pid, ks } = this;
    const v = p.v;
    const { t0, t1, saveat, maxSteps } = v;
    const dir = t1 >= t0 ? 1 : -1;
    const ts = saveat.ts;
    const nts = ts === undefined ? 0 : ts.length;
    const y = this.y;
    const y1 = this.y1;
    const yErr = this.yErr;
    const yErr2 = this.yErr2;
    const ytmp = this.ytmp;
    const tl = this.tl;
    const args = this.args;
    const s = this.s;
    this.batchStart = start;
    let m = end - start;
    this.rowCount.fill(0);
    for (let b = 0; b < m; b++) {
      const i = start + b;
      this.traj[b] = i;
      args[b] = p.args[i];
      for (let j = 0; j < n; j++) y[j * B + b] = p.y0s[i * n + j]!;
      this.t[b] = t0;
      this.its[b] = 0;
      this.kFixed[b] = 0;
      this.numSteps[b] = 0;
      this.numAcc[b] = 0;
      this.numRej[b] = 0;
      this.numFn[b] = 0;
      this.nonFinite[b] = 0;
      this.lastRejected[b] = 0;
      this.hRejected[b] = 0;
      this.invPrev1[b] = 1;
      this.invPrev2[b] = 1;
      this.done[b] = 0;
      if (saveat.t0) this.save(b, t0, y);
      while (this.its[b]! < nts && ts![this.its[b]!] === t0) this.save(b, t0, y), this.its[b]!++;
    }
    if (t0 === t1) {
      for (let b = 0; b < m; b++) this.finishLane(b, RESULTS.successful, "");
      return;
    }
    // restart: k0 = f(t0, y0) for every lane.
    tl.fill(t0, 0, m);
    f(tl, y, args, ks[0]!, m, B);
    for (let b = 0; b < m; b++) this.numFn[b] = 1;

    let dtmin = 0;
    let dtmax = Math.abs(t1 - t0);
    let beta1 = 0;
    let beta2 = 0;
    let beta3 = 0;
    const errorOrder = tab.errorOrder;
    if (pid !== null) {
      dtmin = pid.dtmin;
      if (pid.dtmax !== undefined) dtmax = Math.min(dtmax, pid.dtmax);
      beta1 = (pid.pcoeff + pid.icoeff + pid.dcoeff) / errorOrder;
      beta2 = -(pid.pcoeff + 2 * pid.dcoeff) / errorOrder;
      beta3 = pid.dcoeff / errorOrder;
      if (v.dt0 !== undefined) this.dt.fill(Math.abs(v.dt0), 0, m);
      else this.initialStepSizes(m, dir, dtmax);
    }
    let steps = 0;
    let hFixed = 0;
    if (pid === null) {
      steps = Math.max(1, Math.ceil(Math.abs(t1 - t0) / Math.abs(v.dt0!) - 1e-9));
      hFixed = (t1 - t0) / steps;
    }
    const fixedTime = (k: number): number => (k >= steps ? t1 : t0 + k * hFixed);

    const { a, b: bw, c, bErr, bErr2 } = tab;
    const rtol = pid === null ? 0 : pid.rtol;
    const atol = pid === null ? 0 : pid.atol;
    const norm = pid === null ? "rms" : (pid.norm as "rms" | "max");
    const secondary = bErr2 !== undefined;

    // The per-lane arrays, hoisted out of the hot loops.
    const { t: laneT, dt: laneDt, tNext: laneTNext, invPrev1: inv1, invPrev2: inv2, hRejected: hRej, lastRejected: lastRej, atDtmin: atMin } = this;
    const { nonFinite: nonFin, numSteps: nSteps, numAcc: nAcc, numRej: nRej, numFn: nFn, its: itsArr, kFixed: kFix, h: hs } = this;
    while (m > 0) {
      // Per lane: the step to take, or why it cannot be taken.
      for (let b = 0; b < m; b++) {
        const t = laneT[b]!;
        if (nSteps[b]! >= maxSteps) {
          this.finishLane(b, RESULTS.maxStepsReached, `t = ${t} after ${nSteps[b]} steps`);
          continue;
        }
        let tNext: number;
        if (pid === null) tNext = fixedTime(kFix[b]! + 1);
        else {
          let dt = laneDt[b]!;
          if (dt > dtmax) dt = dtmax;
          let atDtmin = 0;
          if (dt <= dtmin) {
            dt = dtmin;
            atDtmin = 1;
          }
          atMin[b] = atDtmin;
          laneDt[b] = dt;
          tNext = t + dir * dt;
          const reach = Math.min(1.01 * dt, dtmax); // the stretch never makes a step longer than dtmax
          if (dir * (t + dir * reach - t1) >= 0) tNext = t1;
        }
        const h = tNext - t;
        if (t + h === t || h === 0 || (lastRej[b] === 1 && h === hRej[b] && atMin[b] === 0)) {
          const nf = nonFin[b]!;
          const dt = Math.abs(laneDt[b]!);
          this.finishLane(
            b,
            nf > 0 ? RESULTS.nonFiniteEncountered : RESULTS.dtMinReached,
            nf > 0
              ? `t = ${t}: the vector field gave NaN or Infinity just after t; ${nf} ever smaller steps, down to ${dt}, did not help`
              : `t = ${t}: the step size ${dt} is below the floating-point resolution of t`,
          );
          continue;
        }
        laneTNext[b] = tNext;
        hs[b] = h;
      }
      m = this.compact(m);
      if (m === 0) break;

      // The stages, for all lanes at once: the generated kernel's sums, in its order.
      const tsl = laneT;
      if (this.kernel !== null) {
        this.kernel(f, args, n, m, B, tsl, hs, tl, y, y1, yErr, yErr2, ks, ytmp);
      } else {
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
        if (secondary) this.errorCombine(yErr2, bErr2!, m);
      }

      // Per lane: accept or reject, save, and the next step size.
      for (let b = 0; b < m; b++) {
        const t = tsl[b]!;
        const h = hs[b]!;
        const tNext = laneTNext[b]!;
        nSteps[b]!++;
        nFn[b]! += s - 1;
        let accept = true;
        let factor = 1;
        if (pid !== null) {
          let err = this.scaledNorm(norm, rtol, atol, yErr, b);
          if (secondary) {
            const err2 = this.scaledNorm(norm, rtol, atol, yErr2, b);
            const deno = err * err + 0.01 * err2 * err2;
            err = deno > 0 ? (err * err) / Math.sqrt(deno) : 0;
          }
          if (err <= 1) {
            const inv = err === 0 ? Infinity : 1 / err;
            factor = pid.safety * Math.exp(beta1 * Math.log(inv));
            if (beta2 !== 0) factor *= Math.exp(beta2 * Math.log(inv1[b]!));
            if (beta3 !== 0) factor *= Math.exp(beta3 * Math.log(inv2[b]!));
            if (!(factor <= pid.factormax)) factor = pid.factormax;
            if (factor < pid.factormin) factor = pid.factormin;
            if (lastRej[b] === 1) factor = Math.min(factor, 1);
            lastRej[b] = 0;
            inv2[b] = inv1[b]!;
            inv1[b] = inv;
            nonFin[b] = 0;
          } else {
            accept = false;
            if (err === err && err !== Infinity) {
              factor = Math.max(pid.factormin, Math.min(1, pid.safety * Math.exp(Math.log(err) / -errorOrder)));
              nonFin[b] = 0;
            } else {
              factor = 0.25;
              nonFin[b]!++;
            }
            if (atMin[b] === 1 || Math.abs(h) <= dtmin) {
              if (pid.forceDtmin && nonFin[b] === 0) {
                accept = true;
              } else {
                nRej[b]!++;
                this.finishLane(b, nonFin[b]! > 0 ? RESULTS.nonFiniteEncountered : RESULTS.dtMinReached, `t = ${t} with step size ${Math.abs(h)}`);
                continue;
              }
            }
          }
        } else {
          let bad = NaN;
          for (let j = 0; j < n; j++) {
            const x = y1[j * B + b]!;
            if (!Number.isFinite(x)) {
              accept = false;
              bad = x;
              break;
            }
          }
          if (!accept) {
            nRej[b]!++;
            this.finishLane(b, RESULTS.nonFiniteEncountered, `t = ${t}: component of y is ${bad} after a fixed step of size ${Math.abs(h)}`);
            continue;
          }
        }
        if (accept) {
          nAcc[b]!++;
          kFix[b]!++;
          while (itsArr[b]! < nts && dir * (ts![itsArr[b]!]! - tNext) <= 0) {
            const ti = ts![itsArr[b]!]!;
            if (ti === tNext) this.save(b, ti, y1);
            else {
              this.interpolate(b, (ti - t) / h);
              this.save(b, ti, ytmp);
            }
            itsArr[b]!++;
          }
          const k0 = ks[0]!;
          const kl = ks[s - 1]!;
          for (let j = 0; j < n; j++) {
            const q = j * B + b;
            y[q] = y1[q]!;
            k0[q] = kl[q]!;
          }
          tsl[b] = tNext;
          if (tNext === t1) this.finishLane(b, RESULTS.successful, "");
        } else {
          nRej[b]!++;
          lastRej[b] = 1;
          hRej[b] = h;
        }
        if (pid !== null) laneDt[b] = Math.abs(h) * factor;
      }
      m = this.compact(m);
    }
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

  /** The scaled error norm of lane b, as the serial loop's `scaledNorm`. */
  private scaledNorm(norm: "rms" | "max", rtol: number | Float64Array, atol: number | Float64Array, e: Float64Array, b: number): number {
    const { n, B, y, y1 } = this;
    if (norm === "rms" && typeof rtol === "number" && typeof atol === "number") {
      let acc = 0;
      for (let j = 0; j < n; j++) {
        const q = j * B + b;
        const a0 = Math.abs(y[q]!);
        const a1 = Math.abs(y1[q]!);
        const r = e[q]! / (atol + rtol * (a0 > a1 ? a0 : a1));
        acc += r * r;
      }
      return Math.sqrt(acc / n);
    }
    let acc = 0;
    for (let j = 0; j < n; j++) {
      const q = j * B + b;
      const sc = (typeof atol === "number" ? atol : atol[j]!) + (typeof rtol === "number" ? rtol : rtol[j]!) * Math.max(Math.abs(y[q]!), Math.abs(y1[q]!));
      const r = e[q]! / sc;
      if (norm === "rms") acc += r * r;
      else acc = Math.max(acc, Math.abs(r)) + (r - r);
    }
    return norm === "rms" ? Math.sqrt(acc / n) : acc;
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

  /**
   * The automatic initial step of every lane: the serial loop's own `initialStepSize`, lane by lane
   * with the scalar vector field (one extra evaluation per trajectory, as in the serial loop).
   */
  private initialStepSizes(m: number, dir: number, dtmax: number): void {
    const { n, B, ks, y, p, args } = this;
    const v = p.v;
    const f0 = ks[0]!;
    const y0 = this.laneY;
    const f0l = this.laneF0;
    const scratch = this.laneScratch;
    for (let b = 0; b < m; b++) {
      for (let j = 0; j < n; j++) {
        y0[j] = y[j * B + b]!;
        f0l[j] = f0[j * B + b]!;
      }
      this.dt[b] = initialStepSize(v.f, args[b], v.t0, y0, f0l, dir, this.tab.order, this.pid!.rtol, this.pid!.atol, dtmax, scratch[0]!, scratch[1]!);
      this.numFn[b]!++;
    }
  }
}

