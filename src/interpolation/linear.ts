/**
 * Linear dense output between a step's end points, y(θ) = y0 + θ (y1 − y0) and y′ = (y1 − y0)/dt:
 * what the SDE solvers and ReversibleHeun offer inside a step (a Brownian path has no better
 * interpolant that the solve could honour). The dense record of a step is [y0, y1] (2n numbers).
 */

/** The end points of the last step, as the solver states that use linear dense output keep them. */
export interface LinearStepEnds {
  readonly n: number;
  readonly y0Prev: Float64Array;
  readonly y1Prev: Float64Array;
  /** [t, dt] of the last step. */
  readonly last: Float64Array;
}

export function linearInterpolate(s: LinearStepEnds, theta: number, out: Float64Array): void {
  const { n, y0Prev, y1Prev } = s;
  for (let i = 0; i < n; i++) out[i] = y0Prev[i]! + theta * (y1Prev[i]! - y0Prev[i]!);
}

export function linearDerivative(s: LinearStepEnds, out: Float64Array): void {
  const { n, y0Prev, y1Prev } = s;
  const dt = s.last[1]!;
  for (let i = 0; i < n; i++) out[i] = (y1Prev[i]! - y0Prev[i]!) / dt;
}

/** Writes the step's dense record [y0, y1] at `offset`. */
export function writeLinearDense(s: LinearStepEnds, out: Float64Array, offset: number): void {
  out.set(s.y0Prev, offset);
  out.set(s.y1Prev, offset + s.n);
}

/** Evaluates a dense record written by {@link writeLinearDense}. */
export function evaluateLinearDense(data: Float64Array, offset: number, n: number, dt: number, theta: number, derivative: boolean, out: Float64Array): void {
  for (let i = 0; i < n; i++) {
    const a = data[offset + i]!;
    const b = data[offset + n + i]!;
    out[i] = derivative ? (b - a) / dt : a + theta * (b - a);
  }
}
