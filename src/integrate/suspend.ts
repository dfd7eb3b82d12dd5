/**
 * The loop's part of an integrator snapshot: its state as plain data, and its restoration into a
 * fresh {@link Integration} of the same problem (used by `Integrator.saveState` and `resume`).
 */
import { type ControllerProblem, T } from "../controllers/base.js";
import { type Result, RESULTS } from "../results.js";
import { ENDED, type Integration, RUNNING } from "./loop.js";
import { DenseStore } from "./output.js";
import { type Captured, captureData, restoreData } from "./snapshot.js";

/** @internal The loop's part of an integrator snapshot: plain data only. */
export interface LoopSnapshot {
  readonly rec: Float64Array;
  readonly y: Float64Array;
  readonly status: number;
  readonly result: number;
  readonly detail: string;
  readonly numSteps: number;
  readonly numAcceptedSteps: number;
  readonly numRejectedSteps: number;
  readonly its: number;
  readonly overflow: boolean;
  readonly eventTheta: number;
  readonly lastH: number;
  readonly rows: {
    readonly count: number;
    readonly ts: Float64Array;
    readonly ys: Float64Array;
    readonly step: Int32Array | null;
    readonly theta: Float64Array | null;
    readonly kind: Uint8Array | null;
  };
  readonly dense: { readonly count: number; readonly tStart: Float64Array; readonly dt: Float64Array; readonly data: Float64Array } | null;
  /** The rows of the outputs after the first (`SaveAt.subs`), and the next of each one's output times. */
  readonly subs?: readonly { readonly its: number; readonly count: number; readonly ts: Float64Array; readonly ys: Float64Array }[];
  readonly solver: Captured;
  readonly controller: Captured;
  readonly clip: Captured;
  readonly events: Captured | null;
  readonly stall: Captured | null;
}

/** The loop's state as plain data (see src/integrate/snapshot.ts); the caller adds the fingerprint. */
export function snapshotOf<Y>(self: Integration<Y>): LoopSnapshot {
  const rows = self.rows;
  const dense = self.dense;
  const skip = notData(self);
  return {
    rec: self.rec.slice(),
    y: self.y.slice(),
    status: self.status,
    result: self.result,
    detail: self.detail,
    numSteps: self.numSteps,
    numAcceptedSteps: self.numAcceptedSteps,
    numRejectedSteps: self.numRejectedSteps,
    its: self.savers[0]!.its,
    overflow: self.overflow,
    eventTheta: self.eventThetaValue,
    lastH: self.lastH[0]!,
    rows: {
      count: rows.count,
      ts: rows.ts.slice(0, rows.count),
      ys: rows.ys.slice(0, rows.count * rows.width),
      step: rows.rowStep === null ? null : rows.rowStep.slice(0, rows.count),
      theta: rows.rowTheta === null ? null : rows.rowTheta.slice(0, rows.count),
      kind: rows.rowKind === null ? null : rows.rowKind.slice(0, rows.count),
    },
    dense: dense === null ? null : { count: dense.count, tStart: dense.tStart.slice(0, dense.count), dt: dense.dt.slice(0, dense.count), data: dense.data.slice(0, dense.count * dense.stride) },
    subs: self.savers.slice(1).map((s) => ({ its: s.its, count: s.rows.count, ts: s.rows.ts.slice(0, s.rows.count), ys: s.rows.ys.slice(0, s.rows.count * s.rows.width) })),
    solver: captureData(self.solverState, skip),
    controller: captureData(self.controllerState, skip),
    clip: captureData(self.clip, skip),
    events: self.events === null ? null : captureData(self.events, skip),
    stall: self.stall === null ? null : captureData(self.stall, skip),
  };
}

/**
 * Continues a solve from a snapshot of the same problem (checked by the caller): allocates as
 * `start` does, without calling any user function, then writes the snapshot's state back.
 */
export function restoreInto<Y>(self: Integration<Y>, snap: LoopSnapshot, args: unknown): void {
  const { v } = self;
  const { solver, t0, t1, saveat } = v;
  self.args = args;
  const solverState = solver.init(v.f, self.n, args, v.terms);
  self.solverState = solverState;
  self.bindBuffers();
  const problem: ControllerProblem = { t0, t1, dir: self.dir, dt0: v.dt0 ?? t1 - t0, n: self.n, solver, f: v.f, args };
  self.controllerState = t0 === t1 ? null : v.controller.init(problem, { solverState, y0: self.y, f0: self.ytmp });
  self.events?.attach(solver, solverState, args);
  restoreData(solverState, snap.solver);
  if (self.controllerState !== null) restoreData(self.controllerState, snap.controller);
  restoreData(self.clip, snap.clip);
  self.clip.solverStops = solver.stops === undefined ? null : solver.stops(solverState);
  if (self.events !== null && snap.events !== null) restoreData(self.events, snap.events);
  if (self.stall !== null && snap.stall !== null) restoreData(self.stall, snap.stall);
  self.rec.set(snap.rec);
  self.y.set(snap.y);
  self.status = snap.status;
  self.result = snap.result as Result;
  self.detail = snap.detail;
  self.error = undefined;
  self.numSteps = snap.numSteps;
  self.numAcceptedSteps = snap.numAcceptedSteps;
  self.numRejectedSteps = snap.numRejectedSteps;
  self.savers[0]!.its = snap.its;
  self.overflow = snap.overflow;
  self.eventThetaValue = snap.eventTheta;
  self.lastH[0] = snap.lastH;
  self.probePending = 0;
  const rows = self.rows;
  rows.count = 0;
  for (let i = 0; i < snap.rows.count; i++) {
    const off = rows.push(snap.rows.ts[i]!, snap.rows.step?.[i] ?? 0, snap.rows.theta?.[i] ?? 0, snap.rows.kind?.[i] ?? 0);
    rows.ys.set(snap.rows.ys.subarray(i * rows.width, (i + 1) * rows.width), off);
  }
  const subs = snap.subs ?? [];
  for (let k = 0; k < subs.length; k++) {
    const saver = self.savers[k + 1]!;
    const sub = subs[k]!;
    saver.its = sub.its;
    saver.rows.count = 0;
    for (let i = 0; i < sub.count; i++) saver.rows.ys.set(sub.ys.subarray(i * saver.rows.width, (i + 1) * saver.rows.width), saver.rows.push(sub.ts[i]!, 0, 0, 0));
  }
  self.dense = null;
  if (saveat.dense) {
    const d = new DenseStore(solver.denseSize(self.n));
    const sd = snap.dense!;
    for (let i = 0; i < sd.count; i++) {
      const off = d.push(sd.tStart[i]!, sd.dt[i]!);
      d.data.set(sd.data.subarray(i * d.stride, (i + 1) * d.stride), off);
    }
    self.dense = d;
  }
  if (v.progress !== null && self.status === RUNNING) {
    v.progress.start(t0, t1);
    v.progress.update(self.rec[T]!);
  }
}

/** Lets a solve that ended at maxSteps or by an abort go on (a resumed snapshot with a larger maxSteps). */
export function reopen<Y>(self: Integration<Y>): void {
  if (self.status === ENDED && (self.result === RESULTS.maxStepsReached || self.result === RESULTS.aborted)) {
    self.status = RUNNING;
    self.result = RESULTS.successful;
    self.detail = "";
  }
}

/** What a snapshot leaves out: the user's objects, the loop's own buffers, the solver and the event machinery's references. */
function notData<Y>(self: Integration<Y>): Set<unknown> {
  const v = self.v;
  const skip = new Set<unknown>([
    self.args, v.solver, v.f, v.controller, self.solverState, self.events, self.y, self.y1, self.yErr, self.yErr2,
    self.ytmp, self.probeY, self.probeT, self.rec, self.lastH, self.callT,
  ]);
  // The terms and what hangs from them (vector-field objects, Brownian paths) are the user's.
  const addTerm = (term: unknown): void => {
    if (term === null || typeof term !== "object" || skip.has(term)) return;
    skip.add(term);
    // An ODETerm's vector-field object (a getter, resolved when the solve started).
    if ("vf" in (term as object)) skip.add((term as { vf: unknown }).vf);
    for (const value of Object.values(term as object)) {
      if (Array.isArray(value)) value.forEach(addTerm);
      else if (value !== null && typeof value === "object") skip.add(value);
    }
  };
  addTerm(v.terms);
  return skip;
}

