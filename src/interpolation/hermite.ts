/**
 * Cubic Hermite interpolation written as Runge–Kutta dense-output weights.
 *
 * With B = Σ b_i k_i (so y1 = y0 + dt B), f0 = k_0 and f1 = f(t1, y1), the cubic Hermite
 * interpolant is y(θ) = y0 + dt [(3θ² − 2θ³) B + (θ − 2θ² + θ³) f0 + (θ³ − θ²) f1]: third order,
 * matching y and y' at both ends (Hairer, Nørsett & Wanner, Solving ODEs I, II.6).
 */

/**
 * Dense weights b_i(θ) (coefficients of θ, θ², θ³) of the cubic Hermite interpolant for a method
 * with weights `b`, whose f1 = f(t1, y1) is stage `f1Index`.
 *
 * @example
 * ```ts
 * hermiteDense([1], 1).bTheta; // Euler: [[1, 1, -1], [0, -1, 1]]
 * ```
 */
export function hermiteDense(b: readonly number[], f1Index: number): { order: number; bTheta: number[][] } {
  const stages = Math.max(b.length, f1Index + 1);
  const bTheta: number[][] = [];
  for (let i = 0; i < stages; i++) {
    const bi = i < b.length ? b[i]! : 0;
    const row = [0, 3 * bi, -2 * bi];
    if (i === 0) {
      row[0]! += 1;
      row[1]! -= 2;
      row[2]! += 1;
    }
    if (i === f1Index) {
      row[1]! -= 1;
      row[2]! += 1;
    }
    bTheta.push(row);
  }
  return { order: 3, bTheta };
}

/**
 * Evaluates the cubic Hermite interpolant of one step stored as `[y0, y1, f0, f1]` (four blocks
 * of n) at `data[offset …]`: y(t0 + θh) into `out`, or dy/dt there when `derivative`. Third order;
 * for solvers whose own dense output would need more stages than the step has (splitting methods).
 *
 * @example
 * ```ts
 * hermiteCubic(Float64Array.of(0, 1, 1, 1), 0, 1, 1, 0.5, false, out); // y = t: out[0] = 0.5
 * ```
 */
export function hermiteCubic(data: Float64Array, offset: number, n: number, h: number, theta: number, derivative: boolean, out: Float64Array): void {
  const o1 = offset + n;
  const o2 = offset + 2 * n;
  const o3 = offset + 3 * n;
  const t2 = theta * theta;
  if (derivative) {
    const cd = (6 * theta - 6 * t2) / h;
    const c0 = 1 - 4 * theta + 3 * t2;
    const c1 = 3 * t2 - 2 * theta;
    for (let i = 0; i < n; i++) out[i] = cd * (data[o1 + i]! - data[offset + i]!) + c0 * data[o2 + i]! + c1 * data[o3 + i]!;
    return;
  }
  const t3 = t2 * theta;
  const cd = 3 * t2 - 2 * t3;
  const c0 = h * (theta - 2 * t2 + t3);
  const c1 = h * (t3 - t2);
  for (let i = 0; i < n; i++) {
    const y0 = data[offset + i]!;
    out[i] = y0 + cd * (data[o1 + i]! - y0) + c0 * data[o2 + i]! + c1 * data[o3 + i]!;
  }
}
