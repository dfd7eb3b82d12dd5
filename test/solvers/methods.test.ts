/**
 * Convergence orders of every explicit Runge–Kutta method, driven through the solver protocol
 * directly (init → restart → step/accept → interpolate) with a fixed-step loop.
 *
 * Two kinds of problem, each with a closed-form solution from any starting point:
 *
 * - Smooth problems (a nonlinear 2-D system conjugate to a decaying rotation, and a 2-D linear
 *   rotation–decay): the global error at t1 and the interpolant's local error, in a range of dt
 *   where the leading error term dominates and the error sits well above round-off.
 * - The order-condition system (Butcher's tree system): one component u_τ per rooted tree τ of
 *   order ≤ p + 1, u_τ' = Π_(children σ of τ) u_σ, so u_τ(t) = t^|τ| / γ(τ). It is nonlinear and
 *   nilpotent: its Taylor series ends at degree p + 1, so error expansions stop at h^(p+1). The
 *   components of order ≤ p are integrated without truncation error; the one for τ carries the
 *   defect of the order condition Φ(τ) = 1/γ(τ). A step's error in y1 is then exactly C·h^(p+1),
 *   and every measured slope is free of the higher-order terms that bend it on smooth problems.
 *   That matters for Verner's pairs, whose principal error coefficients are tiny by design: on
 *   the smooth nonlinear problem both show global slope ≈ p + 1 until round-off, Vern7 shows its
 *   order 7 only on the linear rotation, and Vern9's order 9 is out of reach of double precision
 *   on every smooth problem tried, so it is checked here only.
 *
 * Local errors (the embedded solution y1 − yErr, the interpolant at θ = 0.3, 0.7) are measured
 * against the exact solution of the local problem that starts from the step's own y0, so global
 * error does not enter; they have order (order + 1).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ExplicitRungeKutta } from "../../src/solvers/erk.js";
import type { Tableau } from "../../src/solvers/tableau.js";
import type { InPlaceVectorField } from "../../src/terms.js";
import { EULER_TABLEAU } from "../../src/solvers/methods/euler.js";
import { HEUN_TABLEAU } from "../../src/solvers/methods/heun.js";
import { MIDPOINT_TABLEAU } from "../../src/solvers/methods/midpoint.js";
import { RALSTON_TABLEAU } from "../../src/solvers/methods/ralston.js";
import { BOSH3_TABLEAU } from "../../src/solvers/methods/bosh3.js";
import { DOPRI5_TABLEAU } from "../../src/solvers/methods/dopri5.js";
import { TSIT5_TABLEAU, Tsit5 } from "../../src/solvers/methods/tsit5.js";
import { DOPRI8_TABLEAU, Dopri8 } from "../../src/solvers/methods/dopri8.js";
import { VERN7_TABLEAU, Vern7 } from "../../src/solvers/methods/vern7.js";
import { VERN9_TABLEAU, Vern9 } from "../../src/solvers/methods/vern9.js";
import { RK4_TABLEAU } from "../../src/solvers/methods/rk4.js";
import { enableWebAssembly } from "../../src/wasm/install.js";

enableWebAssembly();

const TOL = 0.25;
/** Set ODEFLOW_REPORT_SLOPES=1 to print every measured slope with its errors. */
const REPORT = process.env.ODEFLOW_REPORT_SLOPES !== undefined;
const THETAS = [0.3, 0.7];

/** A test problem: vector field and its exact flow from any (t0, y0). */
interface Problem {
  name: string;
  n: number;
  t0: number;
  t1: number;
  y0: Float64Array;
  f: InPlaceVectorField;
  /** Exact solution at t of the problem that starts at (t0, y0), written into out. */
  flow(t0: number, y0: Float64Array, t: number, out: Float64Array): void;
  /** Error of y against the exact yExact (a norm; scaled for the tree system). */
  error(y: Float64Array, yExact: Float64Array): number;
}

const maxAbs = (y: Float64Array, z: Float64Array): number => {
  let m = 0;
  for (let j = 0; j < y.length; j++) m = Math.max(m, Math.abs(y[j]! - z[j]!));
  return m;
};

// --- Smooth problems -----------------------------------------------------------------------------

/**
 * z' = A z with A = [[−α, ω], [−ω, −α]] seen through the nonlinear change of variables
 * y = G(z): w = (z1, z2 + z1²), y = (w1 + sin(w2)/2, w2). G is invertible (two triangular maps),
 * so y' = DG(G⁻¹(y)) A G⁻¹(y) is a nonlinear autonomous system with flow G(e^(A(t−t0)) G⁻¹(y0)).
 */
function conjugateRotation(alpha: number, omega: number, t1: number): Problem {
  const z = new Float64Array(2);
  const zt = new Float64Array(2);
  const toZ = (y: ArrayLike<number>, out: Float64Array): void => {
    const w2 = y[1]!;
    const w1 = y[0]! - 0.5 * Math.sin(w2);
    out[0] = w1;
    out[1] = w2 - w1 * w1;
  };
  const toY = (zz: ArrayLike<number>, out: Float64Array): void => {
    const w1 = zz[0]!;
    const w2 = zz[1]! + w1 * w1;
    out[0] = w1 + 0.5 * Math.sin(w2);
    out[1] = w2;
  };
  return {
    name: `nonlinear 2-D system conjugate to a rotation (α = ${alpha}, ω = ${omega})`,
    n: 2,
    t0: 0,
    t1,
    y0: Float64Array.from([1, 0.5]),
    f: (_t, y, _args, dy) => {
      const w2 = y[1]!;
      const w1 = y[0]! - 0.5 * Math.sin(w2);
      const z1 = w1;
      const z2 = w2 - w1 * w1;
      const dz1 = -alpha * z1 + omega * z2;
      const dz2 = -omega * z1 - alpha * z2;
      const dw2 = dz2 + 2 * z1 * dz1;
      dy[0] = dz1 + 0.5 * Math.cos(w2) * dw2;
      dy[1] = dw2;
    },
    flow(t0, y0, t, out) {
      toZ(y0, z);
      const tau = t - t0;
      const e = Math.exp(-alpha * tau);
      const c = Math.cos(omega * tau);
      const s = Math.sin(omega * tau);
      zt[0] = e * (c * z[0]! + s * z[1]!);
      zt[1] = e * (-s * z[0]! + c * z[1]!);
      toY(zt, out);
    },
    error: maxAbs,
  };
}

/** y' = A y, A = [[−α, ω], [−ω, −α]]: y(t) = e^(−α(t−t0)) R(ω(t−t0)) y0. */
function linearRotation(alpha: number, omega: number, t1: number): Problem {
  return {
    name: `2-D linear rotation–decay (α = ${alpha}, ω = ${omega})`,
    n: 2,
    t0: 0,
    t1,
    y0: Float64Array.from([1, 0]),
    f: (_t, y, _args, dy) => {
      dy[0] = -alpha * y[0]! + omega * y[1]!;
      dy[1] = -omega * y[0]! - alpha * y[1]!;
    },
    flow(t0, y0, t, out) {
      const tau = t - t0;
      const e = Math.exp(-alpha * tau);
      const c = Math.cos(omega * tau);
      const s = Math.sin(omega * tau);
      const a = y0[0]!;
      const b = y0[1]!;
      out[0] = e * (c * a + s * b);
      out[1] = e * (-s * a + c * b);
    },
    error: maxAbs,
  };
}

// --- The order-condition (tree) system -----------------------------------------------------------

interface Trees {
  /** Children (indices of earlier trees) of each tree. */
  children: number[][];
  order: number[];
  gamma: number[];
}

/** All rooted trees of order ≤ maxOrder, each once (children as non-decreasing index lists). */
function rootedTrees(maxOrder: number): Trees {
  const children: number[][] = [[]];
  const order = [1];
  const gamma = [1];
  for (let n = 2; n <= maxOrder; n++) {
    // Multisets of earlier trees whose orders sum to n − 1, as non-decreasing index sequences.
    const pick = (minIndex: number, budget: number, acc: number[]): void => {
      if (budget === 0) {
        children.push(acc.slice());
        order.push(n);
        gamma.push(n * acc.reduce((g, c) => g * gamma[c]!, 1));
        return;
      }
      // Trees of order n made in this pass are never children of each other (order[c] < n).
      for (let c = minIndex; c < children.length && order[c]! < n; c++) {
        if (order[c]! <= budget) {
          acc.push(c);
          pick(c, budget - order[c]!, acc);
          acc.pop();
        }
      }
    };
    pick(0, n - 1, []);
  }
  return { children, order, gamma };
}

/** Number of rooted trees of orders 1 … 10 (OEIS A000081). */
const TREE_COUNTS = [1, 1, 2, 4, 9, 20, 48, 115, 286, 719];

/**
 * Butcher's tree system up to order maxOrder on [0, 1] from u(0) = 0, where every component
 * stays in [0, 1] (so max-norm errors sit against round-off of about 1e-16). The local flow from
 * a computed state is u_τ(t) = u_τ(t0) + g_τ(t) − g_τ(t0) with g_τ(t) = t^|τ|/γ(τ): exact whenever
 * the children of τ are exact, which holds for every component of order ≤ p + 1 since the
 * components of order ≤ p are integrated without truncation error.
 */
function treeSystem(maxOrder: number): Problem {
  const { children, order, gamma } = rootedTrees(maxOrder);
  const n = children.length;
  const exact = (t: number, tau: number): number => Math.pow(t, order[tau]!) / gamma[tau]!;
  return {
    name: `order-condition system, trees of order ≤ ${maxOrder} (${n} components)`,
    n,
    t0: 0,
    t1: 1,
    y0: new Float64Array(n),
    f: (_t, u, _args, du) => {
      for (let tau = 0; tau < n; tau++) {
        const ch = children[tau]!;
        let prod = 1;
        for (let k = 0; k < ch.length; k++) prod *= u[ch[k]!]!;
        du[tau] = prod;
      }
    },
    flow(t0, u0, t, out) {
      for (let tau = 0; tau < n; tau++) out[tau] = u0[tau]! + exact(t, tau) - exact(t0, tau);
    },
    error: maxAbs,
  };
}

// --- The fixed-step driver -----------------------------------------------------------------------

interface Run {
  dt: number;
  /** Error at t1 against the exact solution from (t0, y0). */
  global: number;
  /** Max over steps of the local error of y1. */
  local: number;
  /** Max over steps of the local error of the embedded solution y1 − yErr. */
  embedded: number;
  /** Max over steps of the local error of y1 − yErr2 (DOP853's third-order solution). */
  embedded2: number;
  /** Max over steps of the scalar error estimate: ‖yErr‖, or DOP853's combination. */
  estimate: number;
  /** Max over steps and θ ∈ {0.3, 0.7} of the interpolant's local error. */
  dense: number;
}

/**
 * Integrates `problem` with N equal steps through the solver protocol, measuring as it goes, with
 * the JavaScript kernels or the WebAssembly ones.
 */
function run(tab: Tableau, problem: Problem, N: number, backend: "js" | "wasm" = "js"): Run {
  const solver = new ExplicitRungeKutta(tab, { backend });
  const { n, t0, t1 } = problem;
  const state = solver.init(problem.f, n, undefined);
  let y0 = Float64Array.from(problem.y0);
  let y1 = new Float64Array(n);
  const yErr = new Float64Array(n);
  const yErr2 = new Float64Array(n);
  const yHat = new Float64Array(n);
  const yExact = new Float64Array(n);
  const yDense = new Float64Array(n);
  const zero = new Float64Array(n);
  const dt = (t1 - t0) / N;
  const out: Run = { dt, global: 0, local: 0, embedded: 0, embedded2: 0, estimate: 0, dense: 0 };
  solver.restart(state, t0, y0);
  let t = t0;
  for (let i = 0; i < N; i++) {
    t = t0 + i * dt;
    const tNext = i === N - 1 ? t1 : t0 + (i + 1) * dt;
    const h = tNext - t;
    assert.equal(solver.step(state, Float64Array.of(t, h), y0, y1, yErr, yErr2), 0);
    solver.accept(state);
    problem.flow(t, y0, tNext, yExact);
    out.local = Math.max(out.local, problem.error(y1, yExact));
    if (tab.bErr !== undefined) {
      for (let j = 0; j < n; j++) yHat[j] = y1[j]! - yErr[j]!;
      out.embedded = Math.max(out.embedded, problem.error(yHat, yExact));
      const e = problem.error(yErr, zero);
      if (tab.bErr2 !== undefined) {
        for (let j = 0; j < n; j++) yHat[j] = y1[j]! - yErr2[j]!;
        out.embedded2 = Math.max(out.embedded2, problem.error(yHat, yExact));
        const e3 = problem.error(yErr2, zero);
        out.estimate = Math.max(out.estimate, (e * e) / Math.sqrt(e * e + 0.01 * e3 * e3));
      } else {
        out.estimate = Math.max(out.estimate, e);
      }
    }
    for (const theta of THETAS) {
      solver.interpolate(state, theta, yDense);
      problem.flow(t, y0, t + theta * h, yExact);
      out.dense = Math.max(out.dense, problem.error(yDense, yExact));
    }
    const swap = y0;
    y0 = y1;
    y1 = swap;
  }
  problem.flow(t0, problem.y0, t1, yExact);
  out.global = problem.error(y0, yExact);
  return out;
}

/** Least-squares slope of log(err) against log(dt). */
function slope(runs: Run[], key: keyof Omit<Run, "dt">): number {
  const xs = runs.map((r) => Math.log(r.dt));
  const ys = runs.map((r) => Math.log(r[key]));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  return sxy / sxx;
}

/**
 * Asserts the fitted slope, and that every error lies in [floor, 1e-1]: above round-off, below
 * the pre-asymptotic range.
 */
function assertSlope(runs: Run[], key: keyof Omit<Run, "dt">, expected: number, what: string, floor = 1e-13): number {
  const errs = runs.map((r) => r[key]);
  const s = slope(runs, key);
  const list = errs.map((e) => e.toExponential(2)).join(", ");
  const detail = `${what}: slope ${s.toFixed(3)}, expected ${expected} ± ${TOL}; errors ${list}`;
  if (REPORT) console.log(detail);
  for (const e of errs) {
    assert.ok(e > floor && e < 1e-1, `${detail} (an error outside [${floor}, 1e-1]: round-off or pre-asymptotic)`);
  }
  assert.ok(Math.abs(s - expected) <= TOL, detail);
  return s;
}

// --- Per-method configuration --------------------------------------------------------------------

interface SmoothCheck {
  problem: Problem;
  /** Step counts where the measured error is asymptotic and above round-off. */
  Ns: number[];
  checks: ("global" | "dense")[];
}

interface MethodCase {
  tab: Tableau;
  /** Checks on smooth problems (see the notes on Vern7 and Vern9 below). */
  smooth: SmoothCheck[];
  /** Step counts on the order-condition system over [0, 1], per measured quantity. */
  tree: { Ns: number[]; denseNs?: number[]; embeddedNs?: number[] };
  /** Order of the solution y1 − yErr (the embedded solution), if any. */
  embeddedSolutionOrder?: number;
}

const nonlinear = conjugateRotation(0.1, 1, 4);
const linear = linearRotation(0.05, 1, 20);
const on = (problem: Problem, Ns: number[], checks: SmoothCheck["checks"] = ["global", "dense"]): SmoothCheck => ({
  problem,
  Ns,
  checks,
});

const CASES: MethodCase[] = [
  { tab: EULER_TABLEAU, smooth: [on(nonlinear, [400, 800, 1600, 3200])], tree: { Ns: [32, 64, 128, 256] } },
  { tab: HEUN_TABLEAU, smooth: [on(nonlinear, [100, 200, 400, 800])], tree: { Ns: [16, 32, 64, 128] }, embeddedSolutionOrder: 1 },
  { tab: MIDPOINT_TABLEAU, smooth: [on(nonlinear, [100, 200, 400, 800])], tree: { Ns: [16, 32, 64, 128] }, embeddedSolutionOrder: 1 },
  { tab: RALSTON_TABLEAU, smooth: [on(nonlinear, [100, 200, 400, 800])], tree: { Ns: [16, 32, 64, 128] }, embeddedSolutionOrder: 1 },
  { tab: RK4_TABLEAU, smooth: [on(nonlinear, [50, 100, 200, 400])], tree: { Ns: [8, 16, 32, 64] } },
  { tab: BOSH3_TABLEAU, smooth: [on(nonlinear, [50, 100, 200, 400])], tree: { Ns: [8, 16, 32, 64] }, embeddedSolutionOrder: 2 },
  { tab: DOPRI5_TABLEAU, smooth: [on(nonlinear, [32, 64, 128, 256])], tree: { Ns: [4, 8, 16, 32] }, embeddedSolutionOrder: 4 },
  { tab: TSIT5_TABLEAU, smooth: [on(nonlinear, [32, 64, 128, 256])], tree: { Ns: [4, 8, 16, 32] }, embeddedSolutionOrder: 4 },
  {
    tab: DOPRI8_TABLEAU,
    smooth: [
      on(nonlinear, [12, 16, 24, 32], ["global"]),
      on(nonlinear, [16, 24, 32, 48], ["dense"]),
    ],
    tree: { Ns: [2, 3, 4, 6, 8], denseNs: [4, 6, 8, 12], embeddedNs: [12, 16, 24, 32] },
    // DOP853: y1 − yErr is the fifth-order solution, y1 − yErr2 the third-order one.
    embeddedSolutionOrder: 5,
  },
  {
    tab: VERN7_TABLEAU,
    // Vern7's principal error coefficients are tiny: on the nonlinear problem its global error
    // falls with slope ≈ 8 until round-off. On the linear rotation (whose error is governed by
    // the stability function, principal coefficient ≈ 1.5e-2/8!) order 7 shows.
    smooth: [
      on(linear, [80, 112, 160, 224], ["global"]),
      on(nonlinear, [16, 24, 32, 48], ["dense"]),
    ],
    tree: { Ns: [2, 3, 4, 6, 8], embeddedNs: [6, 8, 12, 16, 24] },
    embeddedSolutionOrder: 6,
  },
  {
    tab: VERN9_TABLEAU,
    // Vern9: on every smooth problem tried (the nonlinear one, linear rotations over long times)
    // the h^10 term dominates the h^9 one until the error meets round-off (slopes 9.2 … 10), so
    // its orders are checked on the order-condition system only.
    smooth: [],
    tree: { Ns: [2, 3, 4, 5], embeddedNs: [3, 4, 6, 8] },
    embeddedSolutionOrder: 8,
  },
];

for (const c of CASES) {
  const { tab } = c;
  const p = tab.order;
  const denseOrder = Math.min(tab.dense.order, p);

  for (const { problem, Ns, checks } of c.smooth) {
    const what = checks.map((k) => (k === "global" ? `global order ${p}` : `dense local order ${denseOrder + 1}`)).join(", ");
    test(`${tab.name}: ${what} on the ${problem.name}`, () => {
      const runs = Ns.map((N) => run(tab, problem, N));
      if (checks.includes("global")) assertSlope(runs, "global", p, `${tab.name} global error at t1`);
      if (checks.includes("dense")) assertSlope(runs, "dense", denseOrder + 1, `${tab.name} interpolant local error`);
    });
  }

  for (const backend of ["js", "wasm"] as const) {
    const on = backend === "js" ? "" : " (WebAssembly kernels)";
    test(`${tab.name}: orders on the order-condition system (global ${p}, y1 local ${p + 1}, dense local ${denseOrder + 1})${on}`, () => {
      const problem = treeSystem(p + 1);
      const runs = c.tree.Ns.map((N) => run(tab, problem, N, backend));
      assertSlope(runs, "global", p, `${tab.name} global error at t1${on}`);
      assertSlope(runs, "local", p + 1, `${tab.name} local error of y1${on}`);
      const denseRuns = c.tree.denseNs ? c.tree.denseNs.map((N) => run(tab, problem, N, backend)) : runs;
      assertSlope(denseRuns, "dense", denseOrder + 1, `${tab.name} interpolant local error${on}`);
      if (tab.bErr !== undefined && backend === "wasm") {
        const q = c.embeddedSolutionOrder!;
        const eruns = (c.tree.embeddedNs ?? c.tree.Ns).map((N) => run(tab, problem, N, backend));
        assertSlope(eruns, "embedded", q + 1, `${tab.name} local error of y1 − yErr${on}`);
        assertSlope(eruns, "estimate", tab.errorOrder, `${tab.name} error estimate${on}`, 0);
      }
    });
  }

  if (tab.bErr !== undefined) {
    const q = c.embeddedSolutionOrder!;
    test(`${tab.name}: embedded solution y1 − yErr has local order ${q + 1}, error estimate order ${tab.errorOrder}`, () => {
      const problem = treeSystem(p + 1);
      // The embedded solution's error runs from h^(q+1) up to h^(p+1): steps small enough that
      // the leading term dominates, large enough that the error stays above round-off.
      const runs = (c.tree.embeddedNs ?? c.tree.Ns).map((N) => run(tab, problem, N));
      assertSlope(runs, "embedded", q + 1, `${tab.name} local error of y1 − yErr`);
      // The estimate: ‖yErr‖ ~ h^(p̂+1), or DOP853's ‖e5‖²/√(‖e5‖² + 0.01‖e3‖²) ~ h^6·h^6/h^4 = h^8.
      // It is computed from yErr and yErr2 alone, not as a difference from the exact solution, so
      // round-off does not floor it at 1e-13: DOP853's quadratic ratio is accurate far below.
      assertSlope(runs, "estimate", tab.errorOrder, `${tab.name} error estimate`, 0);
      if (tab.bErr2 !== undefined) {
        assertSlope(runs, "embedded2", 4, `${tab.name} local error of y1 − yErr2`);
      }
    });
  }

  test(`${tab.name}: generated and generic kernels agree to the last bit`, () => {
    for (const problem of [nonlinear, treeSystem(Math.min(p + 1, 6))]) {
      const gen = new ExplicitRungeKutta(tab, { generated: true });
      const loop = new ExplicitRungeKutta(tab, { generated: false });
      const n = problem.n;
      const sg = gen.init(problem.f, n, undefined);
      const sl = loop.init(problem.f, n, undefined);
      const bufs = () => ({ y0: Float64Array.from(problem.y0), y1: new Float64Array(n), e: new Float64Array(n), e2: new Float64Array(n) });
      let g = bufs();
      let l = bufs();
      // Start away from 0 so that every stage coefficient matters.
      for (let j = 0; j < n; j++) g.y0[j] = l.y0[j] = problem.y0[j]! + 0.1 * (j + 1);
      gen.restart(sg, 0.3, g.y0);
      loop.restart(sl, 0.3, l.y0);
      let t = 0.3;
      for (let i = 0; i < 3; i++) {
        const dt = 0.17 + 0.01 * i;
        gen.step(sg, Float64Array.of(t, dt), g.y0, g.y1, g.e, g.e2);
        loop.step(sl, Float64Array.of(t, dt), l.y0, l.y1, l.e, l.e2);
        for (const [key, a, b] of [["y1", g.y1, l.y1], ["yErr", g.e, l.e], ["yErr2", g.e2, l.e2]] as const) {
          for (let j = 0; j < n; j++) {
            assert.ok(Object.is(a[j], b[j]), `${tab.name} step ${i}: ${key}[${j}] ${a[j]} (generated) vs ${b[j]} (generic)`);
          }
        }
        gen.accept(sg);
        loop.accept(sl);
        g = { y0: g.y1, y1: g.y0, e: g.e, e2: g.e2 };
        l = { y0: l.y1, y1: l.y0, e: l.e, e2: l.e2 };
        t += dt;
      }
    }
  });
}

test("the tree generator counts rooted trees correctly (A000081)", () => {
  const { order } = rootedTrees(10);
  for (let k = 1; k <= 10; k++) assert.equal(order.filter((o) => o === k).length, TREE_COUNTS[k - 1], `trees of order ${k}`);
});

test("Dopri8's expanded dense weights keep CONTD8's end conditions: y0, y1, k0 and f1", () => {
  // Hairer's r1, r2, r3 make the interpolant match y and y' at both ends whatever r4 … r7 are;
  // a slip in expanding the nest would break one of these four. (Summing the monomial weights,
  // which reach ~10³, costs a few 1e-14 against the nested form: hence the 1e-12 tolerance.)
  const problem = nonlinear;
  const solver = new Dopri8();
  const state = solver.init(problem.f, 2, undefined);
  const y0 = Float64Array.from(problem.y0);
  const y1 = new Float64Array(2);
  const e = new Float64Array(2);
  const e2 = new Float64Array(2);
  const out = new Float64Array(2);
  const f0 = new Float64Array(2);
  const f1 = new Float64Array(2);
  const h = 0.4;
  solver.restart(state, 0, y0);
  solver.step(state, Float64Array.of(0, h), y0, y1, e, e2);
  solver.accept(state);
  problem.f(0, y0, undefined, f0);
  problem.f(h, y1, undefined, f1);
  const close = (a: number, b: number, what: string): void =>
    assert.ok(Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
  for (let j = 0; j < 2; j++) {
    solver.interpolate(state, 0, out);
    close(out[j]!, y0[j]!, `y(0)[${j}]`);
    solver.interpolate(state, 1, out);
    close(out[j]!, y1[j]!, `y(1)[${j}]`);
    solver.interpolateDerivative(state, 0, out);
    close(out[j]!, f0[j]!, `y'(0)[${j}]`);
    solver.interpolateDerivative(state, 1, out);
    close(out[j]!, f1[j]!, `y'(1)[${j}]`);
  }
});

test("the methods are subclasses with their tableaus", () => {
  assert.equal(new Tsit5().tableau, TSIT5_TABLEAU);
  assert.equal(new Dopri8().tableau, DOPRI8_TABLEAU);
  assert.equal(new Vern7().tableau, VERN7_TABLEAU);
  assert.equal(new Vern9().tableau, VERN9_TABLEAU);
  assert.equal(new Dopri8().hasSecondaryError, true);
  assert.equal(new Dopri8().errorOrder, 8);
  assert.equal(new Vern9().errorOrder, 9);
});
