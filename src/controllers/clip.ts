/**
 * The clip layer: between a controller's proposal and the solver's step, lands steps exactly on
 * t1, on the controller's `stepTs` (output times that need the solver's own value) and on
 * scheduled event times and on the times the solver asks for during the solve (`solver.stops`: a
 * delay equation's propagated discontinuities), and stops just before each of the controller's `jumpTs` (a discontinuity
 * of the vector field in t), restarting just after it once the step lands there. An adaptive
 * controller lets a step stretch by up to `rec[REACH]` onto such a stop rather than leave a sliver
 * of a step behind (Hairer's codes stretch by 1%); a fixed grid (REACH = 0) is only ever cut
 * short, and goes on to its grid point with the next step.
 *
 * One rule for every controller, in one place (diffrax's `ClipStepSizeController`).
 */
import { nextAfter } from "../util/float.js";
import { type AbstractStepSizeController, REACH, T, T_NEXT } from "./base.js";

/** What the clip layer reads of the event machinery: the next scheduled time (t1 when none is left). */
export interface Schedule {
  readonly nextTime: number;
}

/** @internal The clip layer of one solve (per trajectory; reused across solves by `reset`). */
export class StepClipper {
  private readonly stepTs: Float64Array | undefined;
  private readonly jumpTs: Float64Array | undefined;
  private stepIdx = 0;
  private jumpIdx = 0;
  /** 1 when the last clipped step ends just before a jump (the loop then restarts after it). */
  hitJump = 0;
  /** The solver's stops (`solver.stops`): element 0 is the next time to land on; null when the solver has none. */
  solverStops: Float64Array | null = null;

  constructor(
    controller: AbstractStepSizeController<any>,
    private readonly t1: number,
    private readonly dir: number,
    private readonly schedule: Schedule | null,
    /** More times to land on exactly, ascending (output times of a solver whose interpolant is less accurate than its steps). */
    extraStops?: Float64Array,
  ) {
    // The controller keeps stepTs/jumpTs ascending; walk them in the direction of integration.
    this.stepTs = inDirection(mergeAscending(controller.stepTs, extraStops), dir);
    this.jumpTs = inDirection(controller.jumpTs, dir);
  }

  /** Starts a solve at t0. */
  reset(t0: number): void {
    this.stepIdx = firstAfter(this.stepTs, t0, this.dir);
    this.jumpIdx = firstAfter(this.jumpTs, t0, this.dir);
    this.hitJump = 0;
  }

  /** Moves `rec[T_NEXT]` onto the nearest stop it reaches (within `rec[REACH]` past the proposal). */
  clip(rec: Float64Array): void {
    const dir = this.dir;
    const t = rec[T]!;
    let stop = this.t1;
    const stepTs = this.stepTs;
    if (stepTs !== undefined) {
      while (this.stepIdx < stepTs.length && dir * (stepTs[this.stepIdx]! - t) <= 0) this.stepIdx++;
      if (this.stepIdx < stepTs.length && dir * (stepTs[this.stepIdx]! - stop) < 0) stop = stepTs[this.stepIdx]!;
    }
    if (this.schedule !== null && dir * (this.schedule.nextTime - stop) < 0) stop = this.schedule.nextTime;
    const solverStops = this.solverStops;
    if (solverStops !== null) {
      const s = solverStops[0]!;
      if (dir * (s - t) > 0 && dir * (s - stop) < 0) stop = s;
    }
    let jump = 0;
    const jumpTs = this.jumpTs;
    if (jumpTs !== undefined && this.jumpIdx < jumpTs.length) {
      const before = nextAfter(jumpTs[this.jumpIdx]!, -dir);
      if (dir * (before - stop) < 0) {
        stop = before;
        jump = 1;
      }
    }
    if (dir * (t + dir * rec[REACH]! - stop) >= 0 || dir * (rec[T_NEXT]! - stop) > 0) {
      rec[T_NEXT] = stop;
      this.hitJump = jump;
    } else {
      this.hitJump = 0;
    }
  }

  /** After landing just before a jump: moves `rec[T]` just past it (never past t1). */
  passJump(rec: Float64Array): void {
    const dir = this.dir;
    let t = nextAfter(this.jumpTs![this.jumpIdx]!, dir);
    this.jumpIdx++;
    if (dir * (t - this.t1) > 0) t = this.t1;
    rec[T] = t;
    this.hitJump = 0;
  }
}

/** The union of two ascending lists (either may be absent). */
function mergeAscending(a: Float64Array | undefined, b: Float64Array | undefined): Float64Array | undefined {
  if (b === undefined || b.length === 0) return a;
  if (a === undefined) return b;
  return Float64Array.from([...a, ...b]).sort();
}

/** Ascending times as given (forward), or a reversed copy (backward); allocated once per problem. */
function inDirection(times: Float64Array | undefined, dir: number): Float64Array | undefined {
  return times === undefined || dir > 0 ? times : times.slice().reverse();
}

function firstAfter(times: Float64Array | undefined, t0: number, dir: number): number {
  if (times === undefined) return 0;
  let i = 0;
  while (i < times.length && dir * (times[i]! - t0) <= 0) i++;
  return i;
}
