/**
 * The non-stiff benchmark problems, written once for every JavaScript solver: an in-place vector
 * field for odeflow and an array-returning one for the npm peers (odex, numeric, mathjs). The same
 * formulas are compiled into bench/c/dopri5.c and written in bench/lib/scipy_sweep.py; keep the
 * four in step (same operations, so that the C and odeflow Dopri5 take the same steps).
 *
 * The JavaScript functions are written as a user would write them: constants inside the function,
 * distances cubed as `Math.pow(r², 1.5)`. odeflow compiles them automatically (new ODETerm(f)),
 * which reduces the power to `r² * Math.sqrt(r²)`, the operations the C code writes, so the steps
 * are the same bit for bit; the peers call the functions as written.
 */
import { readReferenceProblems, referenceProblemsPath } from "../../test/reference/path.js";

/** A benchmark problem. `key` names it in the C and Python peers. */
export interface BenchProblem {
  key: "arenstorf" | "pleiades" | "lorenz";
  title: string;
  source: string;
  n: number;
  t0: number;
  t1: number;
  y0: number[];
  /** In place: writes dy. */
  f: (t: number, y: Float64Array, args: unknown, dy: Float64Array) => void;
  /** Returns a fresh array (the form odex, numeric and mathjs take). */
  fr: (t: number, y: ArrayLike<number>) => number[];
  /** Published reference at t1, if any (otherwise the bench computes one). */
  reference?: number[];
}

/** Arenstorf orbit (restricted three-body problem), Hairer, Nørsett & Wanner I, p. 129. */
export function arenstorf(): BenchProblem {
  const all = readReferenceProblems() as { problems: { name: string; y0: number[]; t0: number; t1: number; reference: { t: number; y: number[] }[]; source: string }[] };
  const p = all.problems.find((q) => q.name === "ARENSTORF");
  if (p === undefined) throw new Error(`bench: ARENSTORF missing from ${referenceProblemsPath()}`);
  // The JSON keeps 30 digits; JSON.parse rounds them to the nearest doubles, as C's strtod does.
  const f = (_t: number, y: Float64Array, _a: unknown, dy: Float64Array): void => {
    const mu = 0.012277471, mu1 = 1 - mu;
    const y0 = y[0]!, y1 = y[1]!, y2 = y[2]!, y3 = y[3]!;
    const a = y0 + mu, b = y0 - mu1;
    const d1 = Math.pow(a * a + y1 * y1, 1.5), d2 = Math.pow(b * b + y1 * y1, 1.5);
    dy[0] = y2;
    dy[1] = y3;
    dy[2] = y0 + 2 * y3 - mu1 * a / d1 - mu * b / d2;
    dy[3] = y1 - 2 * y2 - mu1 * y1 / d1 - mu * y1 / d2;
  };
  const fr = (_t: number, y: ArrayLike<number>): number[] => {
    const mu = 0.012277471, mu1 = 1 - mu;
    const y0 = y[0]!, y1 = y[1]!, y2 = y[2]!, y3 = y[3]!;
    const a = y0 + mu, b = y0 - mu1;
    const d1 = Math.pow(a * a + y1 * y1, 1.5), d2 = Math.pow(b * b + y1 * y1, 1.5);
    return [y2, y3, y0 + 2 * y3 - mu1 * a / d1 - mu * b / d2, y1 - 2 * y2 - mu1 * y1 / d1 - mu * y1 / d2];
  };
  return {
    key: "arenstorf",
    title: "Arenstorf orbit (n = 4, one period)",
    source: p.source,
    n: 4,
    t0: p.t0,
    t1: p.t1,
    y0: p.y0.slice(),
    f,
    fr,
    reference: p.reference[0]!.y.slice(),
  };
}

/**
 * Pleiades: seven bodies in the plane, masses m_i = i, G = 1 (Hairer, Nørsett & Wanner, Solving
 * ODEs I, §II.10). State [x_1..x_7, y_1..y_7, x'_1..x'_7, y'_1..y'_7], t ∈ [0, 3].
 */
export function pleiades(): BenchProblem {
  const f = (_t: number, y: Float64Array, _a: unknown, dy: Float64Array): void => {
    for (let i = 0; i < 14; i++) dy[i] = y[i + 14]!;
    for (let i = 0; i < 7; i++) {
      dy[14 + i] = 0;
      dy[21 + i] = 0;
    }
    for (let i = 0; i < 7; i++) {
      const xi = y[i]!, yi = y[7 + i]!;
      for (let j = i + 1; j < 7; j++) {
        const dx = y[j]! - xi, dyy = y[7 + j]! - yi;
        const r3 = Math.pow(dx * dx + dyy * dyy, 1.5);
        const fx = dx / r3, fy = dyy / r3;
        // m_j = j + 1 pulls body i towards j; m_i = i + 1 pulls j towards i.
        dy[14 + i] += (j + 1) * fx;
        dy[21 + i] += (j + 1) * fy;
        dy[14 + j] -= (i + 1) * fx;
        dy[21 + j] -= (i + 1) * fy;
      }
    }
  };
  const scratch = new Float64Array(28);
  const yv = new Float64Array(28);
  const fr = (t: number, y: ArrayLike<number>): number[] => {
    for (let i = 0; i < 28; i++) yv[i] = y[i]!;
    f(t, yv, undefined, scratch);
    return Array.from(scratch);
  };
  return {
    key: "pleiades",
    title: "Pleiades, 7 bodies in the plane (n = 28)",
    source: "Hairer, Nørsett & Wanner, Solving ODEs I, §II.10 (PLEI).",
    n: 28,
    t0: 0,
    t1: 3,
    y0: [
      3, 3, -1, -3, 2, -2, 2, // x
      3, -3, 2, 0, 0, -4, 4, // y
      0, 0, 0, 0, 0, 1.75, -1.5, // x'
      0, 0, 0, -1.25, 1, 0, 0, // y'
    ],
    f,
    fr,
  };
}

/** Lorenz (σ = 10, ρ = 28, β = 8/3) from [1, 0, 0] on a short span where a reference is still meaningful. */
export function lorenz(t1 = 2): BenchProblem {
  return {
    key: "lorenz",
    title: `Lorenz (n = 3, t ∈ [0, ${t1}])`,
    source: "E. N. Lorenz, J. Atmos. Sci. 20 (1963) 130–141; σ = 10, ρ = 28, β = 8/3, y0 = [1, 0, 0].",
    n: 3,
    t0: 0,
    t1,
    y0: [1, 0, 0],
    f: (_t, y, _a, dy) => {
      const sigma = 10, rho = 28, beta = 8 / 3;
      const x = y[0]!, u = y[1]!, z = y[2]!;
      dy[0] = sigma * (u - x);
      dy[1] = x * (rho - z) - u;
      dy[2] = x * u - beta * z;
    },
    fr: (_t, y) => {
      const sigma = 10, rho = 28, beta = 8 / 3;
      const x = y[0]!, u = y[1]!, z = y[2]!;
      return [sigma * (u - x), x * (rho - z) - u, x * u - beta * z];
    },
  };
}
