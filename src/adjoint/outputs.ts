/**
 * What the adjoints differentiate: the saved rows of a solve (SaveAt t0, ts and t1), their
 * cotangents as the user gives them, and the checks shared by every adjoint.
 */
import type { Validated } from "../integrate.js";
import { ODETerm, type VectorFieldObject } from "../terms.js";
import type { Solution } from "../solution.js";
import { describeValue, type Structure, type Structured } from "../tree.js";

/** Throws a TypeError naming what cannot be differentiated (SaveAt fn/steps, non-ODE terms). */
export function checkDifferentiable(v: Validated<unknown>, who: string): VectorFieldObject {
  if (!(v.terms instanceof ODETerm)) {
    throw new TypeError(`${who}: gradients are taken through ODE solves; \`terms\` must be new ODETerm(f), got a ${v.terms.constructor.name}.`);
  }
  if (v.saveat.fn !== undefined) {
    throw new TypeError(`${who}: SaveAt fn is not differentiated; save the state (SaveAt t0, ts, t1) and apply fn to the rows in your loss.`);
  }
  if (v.saveat.subs !== undefined && v.saveat.subs.length > 1) {
    throw new TypeError(`${who}: SaveAt subs is not differentiated; save the state at fixed times with one SaveAt({ ts }).`);
  }
  if (v.saveat.steps > 0) {
    throw new TypeError(`${who}: SaveAt steps is not differentiated (the saved rows would depend on step-size decisions); save at fixed times with SaveAt({ ts }).`);
  }
  return v.terms.vf;
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
    if ((ArrayBuffer.isView(row) || Array.isArray(row)) && (row as ArrayLike<unknown>).length === n && typeof (row as ArrayLike<unknown>)[0] === "number") {
      for (let j = 0; j < n; j++) out[r * n + j] = (row as ArrayLike<number>)[j]!;
    } else {
      try {
        structure.flatten(row, out, r * n);
      } catch {
        throw new TypeError(`${who}: \`ysBar[${r}]\` must be ${n} numbers or a value shaped like y0; got ${describeValue(row)}.`);
      }
    }
    for (let j = 0; j < n; j++) {
      if (!Number.isFinite(out[r * n + j]!)) {
        throw new RangeError(`${who}: \`ysBar[${r}]\` component ${j} is ${out[r * n + j]}; cotangents must be finite numbers.`);
      }
    }
  }
  return out;
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

/** Gradients returned by a pullback. */
export interface Gradients<Y = unknown, A = unknown> {
  /** Gradient with respect to y0, shaped like y0. */
  y0: Structured<Y>;
  /** Gradient with respect to args, shaped like args (numbers and arrays as Float64Array); undefined without args. */
  args: A;
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
