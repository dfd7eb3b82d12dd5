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

/**
 * The Kepler problem H = |p|²/2 − 1/|q| with eccentricity e, started at the pericentre:
 * q(0) = (1 − e, 0), p(0) = (0, √((1 + e)/(1 − e))); energy −1/2, period 2π. The exact solution
 * comes from Kepler's equation E − e sin E = t (Hairer, Lubich & Wanner, Geometric Numerical
 * Integration, §I.2.3).
 */
export function kepler(e: number) {
  return {
    name: `Kepler problem, e = ${e}`,
    y0: [1 - e, 0, 0, Math.sqrt((1 + e) / (1 - e))],
    period: 2 * Math.PI,
    /** q′ = ∂H/∂p = p. */
    first(t: number, p: Float64Array, _args: unknown, dq: Float64Array): void {
      dq[0] = p[0]!;
      dq[1] = p[1]!;
    },
    /** p′ = −∂H/∂q = −q/|q|³. */
    second(t: number, q: Float64Array, _args: unknown, dp: Float64Array): void {
      const r2 = q[0]! * q[0]! + q[1]! * q[1]!;
      const r3 = r2 * Math.sqrt(r2);
      dp[0] = -q[0]! / r3;
      dp[1] = -q[1]! / r3;
    },
    energy(y: ArrayLike<number>): number {
      return 0.5 * (y[2]! * y[2]! + y[3]! * y[3]!) - 1 / Math.hypot(y[0]!, y[1]!);
    },
    /** (q, p) at time t, by Newton's method on Kepler's equation. */
    exact(t: number): number[] {
      let E = t;
      for (let k = 0; k < 60; k++) E -= (E - e * Math.sin(E) - t) / (1 - e * Math.cos(E));
      const dE = 1 / (1 - e * Math.cos(E));
      const b = Math.sqrt(1 - e * e);
      return [Math.cos(E) - e, b * Math.sin(E), -Math.sin(E) * dE, b * Math.cos(E) * dE];
    },
  };
}

/**
 * The outer solar system: the Sun (with the inner planets' mass), Jupiter, Saturn, Uranus,
 * Neptune and Pluto as point masses, H = ½ Σ |pᵢ|²/mᵢ − G Σ_{i<j} mᵢmⱼ/|qᵢ − qⱼ|. Masses relative to
 * the Sun, distances in astronomical units, time in days, G = 2.95912208286·10⁻⁴; the data of
 * Hairer, Lubich & Wanner, Geometric Numerical Integration, 2nd ed., §I.2.4 (the table of the
 * outer solar system). The state is (q, p): 18 positions, then 18 momenta pᵢ = mᵢvᵢ.
 */
export const outerSolarSystem = {
  name: "Outer solar system",
  G: 2.95912208286e-4,
  bodies: ["Sun", "Jupiter", "Saturn", "Uranus", "Neptune", "Pluto"],
  masses: [1.00000597682, 0.000954786104043, 0.000285583733151, 0.0000437273164546, 0.0000517759138449, 1 / 1.3e8],
  positions: [
    [0, 0, 0],
    [-3.5023653, -3.8169847, -1.5507963],
    [9.0755314, -3.0458353, -1.6483708],
    [8.310142, -16.2901086, -7.2521278],
    [11.4707666, -25.7294829, -10.8169456],
    [-15.5387357, -25.2225594, -3.1902382],
  ],
  velocities: [
    [0, 0, 0],
    [0.00565429, -0.0041249, -0.00190589],
    [0.00168318, 0.00483525, 0.00192462],
    [0.00354178, 0.00137102, 0.00055029],
    [0.0028893, 0.00114527, 0.00039677],
    [0.00276725, -0.00170702, -0.00136504],
  ],
  /** The initial state (q, p). */
  y0(): number[] {
    const { masses, positions, velocities } = outerSolarSystem;
    return [...positions.flat(), ...velocities.flatMap((v, i) => v.map((x) => masses[i]! * x))];
  },
  /** q′ = ∂H/∂p: qᵢ′ = pᵢ/mᵢ. */
  first(t: number, p: Float64Array, _args: unknown, dq: Float64Array): void {
    const m = outerSolarSystem.masses;
    for (let i = 0; i < 6; i++) for (let k = 0; k < 3; k++) dq[3 * i + k] = p[3 * i + k]! / m[i]!;
  },
  /** p′ = −∂H/∂q: the gravitational forces, pair by pair. */
  second(t: number, q: Float64Array, _args: unknown, dp: Float64Array): void {
    const { masses: m, G } = outerSolarSystem;
    dp.fill(0);
    for (let i = 0; i < 6; i++) {
      for (let j = i + 1; j < 6; j++) {
        const dx = q[3 * j]! - q[3 * i]!, dy = q[3 * j + 1]! - q[3 * i + 1]!, dz = q[3 * j + 2]! - q[3 * i + 2]!;
        const r2 = dx * dx + dy * dy + dz * dz;
        const c = (G * m[i]! * m[j]!) / (r2 * Math.sqrt(r2));
        dp[3 * i] += c * dx; dp[3 * i + 1] += c * dy; dp[3 * i + 2] += c * dz;
        dp[3 * j] -= c * dx; dp[3 * j + 1] -= c * dy; dp[3 * j + 2] -= c * dz;
      }
    }
  },
  energy(y: ArrayLike<number>): number {
    const { masses: m, G } = outerSolarSystem;
    let h = 0;
    for (let i = 0; i < 6; i++) {
      const px = y[18 + 3 * i]!, py = y[19 + 3 * i]!, pz = y[20 + 3 * i]!;
      h += (0.5 * (px * px + py * py + pz * pz)) / m[i]!;
      for (let j = i + 1; j < 6; j++) {
        h -= (G * m[i]! * m[j]!) / Math.hypot(y[3 * j]! - y[3 * i]!, y[3 * j + 1]! - y[3 * i + 1]!, y[3 * j + 2]! - y[3 * i + 2]!);
      }
    }
    return h;
  },
  /** The total angular momentum Σ qᵢ × pᵢ (exactly conserved by the flow, and by symplectic splitting). */
  angularMomentum(y: ArrayLike<number>): number[] {
    const L = [0, 0, 0];
    for (let i = 0; i < 6; i++) {
      const x = y[3 * i]!, yy = y[3 * i + 1]!, z = y[3 * i + 2]!;
      const px = y[18 + 3 * i]!, py = y[19 + 3 * i]!, pz = y[20 + 3 * i]!;
      L[0] += yy * pz - z * py;
      L[1] += z * px - x * pz;
      L[2] += x * py - yy * px;
    }
    return L;
  },
};
