// Compiled vector fields as WebAssembly (src/wasm/vector-field.ts): bit for bit the compiled
// JavaScript f on random states, for method-of-lines stencils (re-rolled into loops), irregular
// fields (straight-line code), every kind of operation (imported Math functions, ** and %,
// comparisons, !, ?:), parameters and the time; and the plan (which outputs become loops).
import assert from "node:assert/strict";
import { test } from "node:test";
import { compile } from "../../src/index.js";
import { wasmFieldEvaluator } from "../../src/wasm/fused.js";
import { planField } from "../../src/wasm/vector-field.js";
import { enableWebAssembly } from "../../src/wasm/install.js";

enableWebAssembly();

const COMPILED_GRAPH = Symbol.for("odeflow.compiledGraph");

/** Deterministic uniform numbers in [0, 1) (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The compiled f and the WebAssembly f agree to the last bit on random states and times. */
function assertSameField(vf: ReturnType<typeof compile>, args: unknown, seed: number, trials = 60, special: number[] = []): void {
  const w = wasmFieldEvaluator(vf);
  assert.ok(w !== null, "the field compiles to WebAssembly");
  const n = vf.n;
  const r = rng(seed);
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  for (let trial = 0; trial < trials; trial++) {
    const y = Float64Array.from({ length: n }, () => (r() - 0.3) * 4);
    // Special values in some components: ±0, NaN, ±Infinity, exact halves (rounding), 0.5.
    if (trial % 3 === 0) for (let k = 0; k < special.length && k < n; k++) y[(trial + 7 * k) % n] = special[k]!;
    const t = (r() - 0.5) * 10;
    vf.f(t, y, args, a);
    w(t, y, args, b);
    for (let i = 0; i < n; i++) {
      assert.ok(Object.is(a[i], b[i]) || (Number.isNaN(a[i]!) && Number.isNaN(b[i]!)), `component ${i} at trial ${trial}: JavaScript ${a[i]}, WebAssembly ${b[i]}`);
    }
  }
}

const SPECIAL = [0, -0, NaN, Infinity, -Infinity, 0.5, -2.5, 1.5];

function planOf(vf: ReturnType<typeof compile>) {
  const info = (vf as unknown as Record<symbol, { graph: never; outputs: number[] }>)[COMPILED_GRAPH]!;
  return planField(info.graph, info.outputs)!;
}

test("a 1-D heat equation: one loop over the interior, two boundary outputs in straight-line code; same bits", () => {
  const N = 101;
  const vf = compile((t: number, u: Float64Array, a: { D: number }, du: Float64Array) => {
    const h = 1 / (N + 1);
    const c = a.D / (h * h);
    for (let i = 0; i < N; i++) du[i] = c * ((i > 0 ? u[i - 1]! : 0) - 2 * u[i]! + (i < N - 1 ? u[i + 1]! : 0));
  }, { consts: { N } });
  const plan = planOf(vf);
  assert.deepEqual(plan.runs.map((r) => [r.i0, r.m]), [[1, N - 2]]);
  assert.deepEqual(plan.straight, [0, N - 1]);
  assertSameField(vf, { D: 0.37 }, 1, 40, SPECIAL);
});

test("y' = −k⊙y with k_i = 1 + (i mod 7)/10: one loop with a table of k (−y_i where k_i = 1 joins it)", () => {
  const N = 50;
  const vf = compile((t: number, y: Float64Array, a: unknown, dy: Float64Array) => {
    for (let i = 0; i < N; i++) dy[i] = -(1 + (i % 7) / 10) * y[i]!;
  }, { consts: { N } });
  const plan = planOf(vf);
  assert.deepEqual(plan.runs.map((r) => [r.i0, r.m]), [[0, N]]);
  assertSameField(vf, undefined, 2, 20, SPECIAL);
});

test("a 2-D wave equation: one loop per grid row, the first and last column straight; same bits", () => {
  const M = 12;
  const vf = compile((t: number, y: Float64Array, a: unknown, dy: Float64Array) => {
    for (let p = 0; p < M * M; p++) dy[p] = y[M * M + p]!;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < M; j++) {
        const p = i * M + j;
        dy[M * M + p] = 169 * ((i > 0 ? y[p - M]! : 0) + (i < M - 1 ? y[p + M]! : 0) + (j > 0 ? y[p - 1]! : 0) + (j < M - 1 ? y[p + 1]! : 0) - 4 * y[p]!);
      }
    }
  }, { consts: { M } });
  const plan = planOf(vf);
  assert.equal(plan.runs.length, 1 + M, "du = v, then one run per row");
  assert.equal(plan.straight.length, 2 * M);
  assertSameField(vf, undefined, 3, 30, SPECIAL);
});

test("every operation kind, with parameters, the time, odd run lengths and special values: same bits", () => {
  const N = 23;
  const vf = compile((t: number, y: Float64Array, a: { k: number; w: number[] }, dy: Float64Array) => {
    for (let i = 0; i < N; i++) {
      const x = y[i]!;
      const r = y[(i + 1) % N]!;
      dy[i] = Math.sin(x * t) + Math.cos(r) - Math.tan(x / 4) + Math.exp(-x * x) + Math.log(1 + x * x) + Math.sqrt(Math.abs(r))
        + Math.tanh(x) + Math.sinh(x / 3) - Math.cosh(r / 3) + Math.asin(Math.tanh(x)) + Math.acos(Math.tanh(r)) + Math.atan(x)
        + Math.asinh(r) + Math.acosh(1 + x * x) + Math.atanh(Math.tanh(r) * 0.5) + Math.log1p(x * x) + Math.expm1(-x * x)
        + Math.log2(1 + r * r) + Math.log10(2 + x) + Math.cbrt(r) + Math.sign(x) + Math.floor(3 * x) + Math.ceil(3 * r)
        + Math.round(2 * x) + Math.trunc(5 * r) + x ** 3 + Math.abs(r) ** 0.5 + (x % 0.7) + Math.atan2(x, r) + Math.min(x, a.k)
        + Math.max(r, a.w[i % 3]!) + Math.hypot(x, t) + (x < r ? 1 : 0) + (x <= a.k ? 2 : 0) + (x > 0.2 ? 3 : 4) + (r >= x ? x : r)
        + (x === r ? 5 : 0) + (x !== 0.5 ? 1 : 0) + (!(x - 0.5) ? 7 : 0) + (x > 0 && r < 0 ? 1 : 0) + (x > 1 || r > 1 ? 2 : 0);
    }
  }, { consts: { N }, args: { k: 0, w: [0, 0, 0] } });
  assertSameField(vf, { k: 0.25, w: [0.1, -0.2, 0.3] }, 4, 80, SPECIAL);
});

test("an irregular field (Lorenz, Arenstorf-like couplings) compiles to straight-line code; same bits", () => {
  const lorenz = compile((t: number, [x, y, z]: number[], { sigma, rho, beta }: { sigma: number; rho: number; beta: number }) =>
    [sigma * (y - x), x * (rho - z) - y, x * y - beta * z]);
  assert.equal(planOf(lorenz).runs.length, 0);
  assertSameField(lorenz, { sigma: 10, rho: 28, beta: 8 / 3 }, 5);
  // All-pairs gravity of 6 bodies in the plane: each output depends on every position.
  const B = 6;
  const nbody = compile((t: number, y: Float64Array, a: unknown, dy: Float64Array) => {
    for (let i = 0; i < 2 * B; i++) dy[i] = y[2 * B + i]!;
    for (let i = 0; i < B; i++) {
      let fx = 0;
      let fy = 0;
      for (let j = 0; j < B; j++) {
        if (j === i) continue;
        const dx = y[j]! - y[i]!;
        const dz = y[B + j]! - y[B + i]!;
        const r2 = dx * dx + dz * dz + 0.01;
        const r3 = r2 * Math.sqrt(r2);
        fx += (j + 1) * dx / r3;
        fy += (j + 1) * dz / r3;
      }
      dy[2 * B + i] = fx;
      dy[3 * B + i] = fy;
    }
  }, { consts: { B } });
  assertSameField(nbody, undefined, 6, 40);
});

test("a constant or parameter-only output, and a field of one component", () => {
  const vf = compile((t: number, y: Float64Array, a: { c: number }, dy: Float64Array) => {
    dy[0] = 3;
    dy[1] = a.c * t;
    dy[2] = -y[2]!;
  }, { n: 3, args: { c: 0 } });
  assertSameField(vf, { c: 1.5 }, 7, 10, SPECIAL);
  const one = compile((t: number, y: Float64Array, a: unknown, dy: Float64Array) => {
    dy[0] = Math.sin(y[0]!) * t;
  }, { n: 1 });
  assertSameField(one, undefined, 8, 10, SPECIAL);
});
