/**
 * Test problems used by the showcase and benchmarks, each with its source. Right-hand sides are
 * written in place, the fast path.
 */

/** μ of the Arenstorf orbit (Earth–Moon mass ratio). */
const MU = 0.012277471;

/**
 * The Arenstorf orbit: the restricted three-body problem with a periodic solution.
 * Hairer, Nørsett & Wanner, Solving ODEs I, 2nd ed., p. 129-130.
 */
export const arenstorf = {
  name: "Arenstorf orbit",
  t0: 0,
  /** One period. */
  t1: 17.0652165601579625588917206249,
  y0: [0.994, 0, 0, -2.00158510637908252240537862224],
  f(t: number, y: Float64Array, _args: unknown, dy: Float64Array): void {
    const y1 = y[0]!, y2 = y[1]!, v1 = y[2]!, v2 = y[3]!;
    const muP = 1 - MU;
    const d1 = Math.pow((y1 + MU) * (y1 + MU) + y2 * y2, 1.5);
    const d2 = Math.pow((y1 - muP) * (y1 - muP) + y2 * y2, 1.5);
    dy[0] = v1;
    dy[1] = v2;
    dy[2] = y1 + 2 * v2 - (muP * (y1 + MU)) / d1 - (MU * (y1 - muP)) / d2;
    dy[3] = y2 - 2 * v1 - (muP * y2) / d1 - (MU * y2) / d2;
  },
  /** The orbit is periodic: the exact solution at t1 is y0. */
  exact(_t: number): number[] {
    return [0.994, 0, 0, -2.00158510637908252240537862224];
  },
};

/** The Lorenz system with σ = 10, ρ = 28, β = 8/3 (E. N. Lorenz, J. Atmos. Sci. 20, 1963). */
export const lorenz = {
  name: "Lorenz attractor",
  t0: 0,
  t1: 10,
  y0: [1, 0, 0],
  args: { sigma: 10, rho: 28, beta: 8 / 3 },
  f(t: number, y: Float64Array, a: { sigma: number; rho: number; beta: number }, dy: Float64Array): void {
    dy[0] = a.sigma * (y[1]! - y[0]!);
    dy[1] = y[0]! * (a.rho - y[2]!) - y[1]!;
    dy[2] = y[0]! * y[1]! - a.beta * y[2]!;
  },
};

/**
 * Kulikov's problem I: a non-linear 4-dimensional system with a closed form
 * (G. Yu. Kulikov, J. Comput. Appl. Math. 2013; as in Constantinescu, arXiv:1503.05166).
 */
export const kulikov = {
  name: "Kulikov 2013 (closed form)",
  t0: 0,
  t1: 5,
  y0: [1, 1, 1, 1],
  f(t: number, y: Float64Array, _args: unknown, dy: Float64Array): void {
    dy[0] = 2 * t * Math.pow(y[1]!, 0.2) * y[3]!;
    dy[1] = 10 * t * Math.exp(5 * (y[2]! - 1)) * y[3]!;
    dy[2] = 2 * t * y[3]!;
    dy[3] = -2 * t * Math.log(y[0]!);
  },
  exact(t: number): number[] {
    const s = Math.sin(t * t);
    return [Math.exp(s), Math.exp(5 * s), s + 1, Math.cos(t * t)];
  },
};
