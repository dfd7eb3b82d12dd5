/**
 * What the adjoints differentiate: the saved rows of a solve (SaveAt t0, ts and t1), their
 * cotangents as the user gives them, and the checks shared by every adjoint.
 */
import type { Validated } from "../integrate.js";
import { ROW_BEFORE_EVENTS, ROW_EVENT, ROW_INTERPOLATED, ROW_STATE, type Rows } from "../integrate/output.js";
import { ODETerm, type VectorFieldObject } from "../terms.js";
import type { Solution } from "../solution.js";
import { describeValue, Structure, type Structured } from "../tree.js";

/** Throws a TypeError naming what cannot be differentiated (SaveAt fn/steps, non-ODE terms). */
export function checkDifferentiable(v: Validated<unknown>, who: string): VectorFieldObject {
  if (!(v.terms instanceof ODETerm)) {
    const imex = v.solver.stepMap?.kind === "imex" ? ` (for ${v.solver.name}'s IMEX split, use the default adjoint: new RecursiveCheckpointAdjoint())` : "";
    throw new TypeError(`${who}: gradients are taken through ODE solves; \`terms\` must be new ODETerm(f), got a ${v.terms.constructor.name}${imex}.`);
  }
  checkSavedOutputs(v, who);
  return v.terms.vf;
}

/** Throws a TypeError naming a saved output that is not differentiated (SaveAt fn, SaveAt steps). */
export function checkSavedOutputs(v: Validated<unknown>, who: string): void {
  if (v.saveat.fn !== undefined) {
    throw new TypeError(`${who}: SaveAt fn is not differentiated; save the state (SaveAt t0, ts, t1) and apply fn to the rows in your loss.`);
  }
  if (v.saveat.subs !== undefined && v.saveat.subs.length > 1) {
    throw new TypeError(`${who}: SaveAt subs is not differentiated; save the state at fixed times with one SaveAt({ ts }).`);
  }
  if (v.saveat.steps > 0) {
    throw new TypeError(`${who}: SaveAt steps is not differentiated (the saved rows would depend on step-size decisions); save at fixed times with SaveAt({ ts }).`);
  }
}

/**
 * Cotangents of the saved rows as one packed Float64Array (rows × n). Accepted: a Float64Array
 * of rows × n numbers; or an array with one entry per saved row, each a flat array of n numbers,
 * a value shaped like y0, or null/undefined for zero.
 */
export function packCotangents(ysBar: unknown, rows: number, n: number, structure: Structure<unknown>, who: string): Float64Array {
  const out = new Float64Array(rows * n);
  if (ysBar instanceof Float64Array) {
    if (ysBar.length !== rows * n) {
      throw new RangeError(`${who}: \`ysBar\` has ${ysBar.length} numbers but the solution has ${rows} saved rows of ${n}; give ${rows * n} (row after row), or one entry per row.`);
    }
    out.set(ysBar);
    return out;
  }
  if (!Array.isArray(ysBar)) {
    throw new TypeError(`${who}: \`ysBar\` must be an array with one cotangent per saved row (${rows}), or a Float64Array of ${rows * n}; got ${describeValue(ysBar)}.`);
  }
  if (ysBar.length !== rows) {
    throw new RangeError(`${who}: \`ysBar\` has ${ysBar.length} entries but the solution has ${rows} saved rows; give one cotangent per row of sol.ys (null for zero).`);
  }
  for (let r = 0; r < rows; r++) {
    const row = ysBar[r] as unknown;
    if (row === null || row === undefined) continue;
    packState(row, n, structure, out, r * n, who, `ysBar[${r}]`);
    for (let j = 0; j < n; j++) {
      if (!Number.isFinite(out[r * n + j]!)) {
        throw new RangeError(`${who}: \`ysBar[${r}]\` component ${j} is ${out[r * n + j]}; cotangents must be finite numbers.`);
      }
    }
  }
  return out;
}

/**
 * Copies a state-shaped value (n numbers, or a value shaped like y0) into `out` at `offset`; a
 * TypeError or RangeError naming `name` when it has more or fewer components than the state.
 */
export function packState(value: unknown, n: number, structure: Structure<unknown>, out: Float64Array, offset: number, who: string, name: string): void {
  const numbers = ArrayBuffer.isView(value) || (Array.isArray(value) && (value.length === 0 || typeof value[0] === "number"));
  if (numbers && (value as ArrayLike<unknown>).length === n) {
    for (let j = 0; j < n; j++) out[offset + j] = (value as ArrayLike<number>)[j]!;
    return;
  }
  if (numbers && structure.isFlat) {
    throw new RangeError(`${who}: \`${name}\` has ${(value as ArrayLike<unknown>).length} numbers but the state has ${n} components; give ${n}.`);
  }
  // A value shaped like y0: as many components as the state, no more and no fewer.
  let size = -1;
  try {
    size = Structure.of(value, name).size;
    if (size === n) structure.flatten(value, out, offset);
  } catch {
    size = -1;
  }
  if (size !== n) {
    throw new TypeError(`${who}: \`${name}\` must be ${n} numbers or a value shaped like y0${size >= 0 ? ` (it has ${size} components, the state ${n})` : ""}; got ${describeValue(value)}.`);
  }
}

/** Counters of a gradient computation. */
export interface AdjointStats {
  /** Forward steps recomputed from checkpoints during the reverse sweep (not counting the step recorded just before it is reversed). */
  numRecomputedSteps: number;
  /** Largest number of states held in checkpoints at once (the initial state included). */
  peakCheckpoints: number;
  /** The checkpoint budget used. */
  checkpoints: number;
  /** Vector-field evaluations of the reverse sweep (recomputation and recording). */
  numFnEvals: number;
  /** Products with (∂f/∂y)ᵀ and (∂f/∂p)ᵀ (one of each per stage reversed), or Jacobian products for the other adjoints. */
  numVjpEvals: number;
  /** Steps of the backward solve (BacksolveAdjoint), or 0. */
  numBackwardSteps: number;
}

/** Stats with every counter zero. */
export function emptyStats(): AdjointStats {
  return { numRecomputedSteps: 0, peakCheckpoints: 0, checkpoints: 0, numFnEvals: 0, numVjpEvals: 0, numBackwardSteps: 0 };
}

/**
 * The pullback of a forward-mode solve: `tangents` holds, for every saved row r and direction d
 * (the n unit directions of y0, then one per parameter), the row's tangent at offset (r·m + d)·n;
 * the gradient in direction d is Σ_r ⟨ysBar[r], tangent(r, d)⟩.
 */
export function tangentPullback<Y, A>(
  solution: Solution<Y>, tangents: Float64Array, m: number, structure: Structure<unknown>,
  layout: { unflatten(flat: ArrayLike<number>): unknown }, who: string,
): (ysBar: unknown) => Gradients<Y, A> {
  const n = structure.size;
  const rows = solution.ts.length;
  return (ysBar) => {
    const bar = packCotangents(ysBar, rows, n, structure, who);
    const g = new Float64Array(m);
    for (let r = 0; r < rows; r++) {
      for (let d = 0; d < m; d++) {
        let acc = 0;
        const off = (r * m + d) * n;
        for (let j = 0; j < n; j++) acc += bar[r * n + j]! * tangents[off + j]!;
        g[d] += acc;
      }
    }
    const stats = emptyStats();
    stats.numFnEvals = solution.stats.numFnEvals; // of the augmented solve, which the gradient needed
    return { y0: structure.unflatten(g.subarray(0, n)) as never, args: layout.unflatten(g.subarray(n)) as A, stats };
  };
}

/** Gradients returned by a pullback. */
export interface Gradients<Y = unknown, A = unknown> {
  /** Gradient with respect to y0, shaped like y0. */
  y0: Structured<Y>;
  /** Gradient with respect to args, shaped like args (numbers and arrays as Float64Array); undefined without args. */
  args: A;
  /**
   * Gradient with respect to the time of each event in `solution.events` (same order): the times
   * of scheduled events (doses) are inputs; one gradient per firing time, on the first scheduled
   * record there (events firing together move together), 0 for the others and for continuous and
   * discrete events, whose times are not inputs. Given by RecursiveCheckpointAdjoint and
   * BacksolveAdjoint; undefined for the others.
   */
  eventTimes?: Float64Array;
  /** Counters of this gradient computation. */
  stats: AdjointStats;
}

/** What `diffeqsolveVjp` returns. */
export interface VjpResult<Y = unknown, A = unknown> {
  /** The forward solution (as `diffeqsolve` would return it). */
  solution: Solution<Y>;
  /**
   * Gradients of ⟨ysBar, ys⟩ with respect to y0 and args, for cotangents `ysBar` of the saved rows
   * (one per row of `solution.ys`; shaped as `solution.ys` or its flat rows). May be called more than once.
   */
  pullback(ysBar: unknown): Gradients<Y, A>;
}

/**
 * The saved rows grouped by where they come from, as the loop's output plan records it: a state
 * (the start of step k, or the end N), or a point inside step k at θ (an output time, or a
 * terminating event, its state after the affects there: `interpEvent` 1), each as a
 * compressed row list per state and per step; and the rows of the state at t0 before events at
 * t0 changed it (`beforeEvents`).
 */
export function rowsByStep(plan: Rows, N: number) {
  const rows = plan.count;
  const kindOf = plan.rowKind!;
  const stepOf = plan.rowStep!;
  const thetaOf = plan.rowTheta!;
  const isEvent = (q: number): boolean => kindOf[q] === ROW_EVENT;
  // A terminating event at t0 (no step taken) leaves the initial state.
  const isState = (q: number): boolean => kindOf[q] === ROW_STATE || (isEvent(q) && stepOf[q]! < 0);
  const isInterp = (q: number): boolean => kindOf[q] === ROW_INTERPOLATED || (isEvent(q) && stepOf[q]! >= 0);
  const stateStart = new Int32Array(N + 2);
  const interpStart = new Int32Array(N + 1);
  const before: number[] = [];
  for (let q = 0; q < rows; q++) {
    if (isState(q)) stateStart[Math.max(0, stepOf[q]!) + 1]++;
    else if (isInterp(q)) interpStart[stepOf[q]! + 1]++;
    else if (kindOf[q] === ROW_BEFORE_EVENTS) before.push(q);
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
    else if (isInterp(q)) {
      const at = fillI[stepOf[q]!]!++;
      interpRows[at] = q;
      interpTheta[at] = thetaOf[q]!;
      interpEvent[at] = kindOf[q] === ROW_EVENT ? 1 : 0;
    }
  }
  return { stateStart, stateRows, interpStart, interpRows, interpTheta, interpEvent, beforeEvents: Int32Array.from(before) };
}
