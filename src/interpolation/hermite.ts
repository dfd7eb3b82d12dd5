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
