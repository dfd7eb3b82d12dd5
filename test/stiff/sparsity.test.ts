// Automatic sparsity detection (NaN propagation over groups of columns) against the compiled
// `jacSparsity` of the same vector field, and against a known 2-D pattern; what it cannot see.
import { test } from "node:test";
import assert from "node:assert/strict";
import { compile } from "../../src/compile/compile.js";
import { detectSparsity } from "../../src/linalg/sparsity-detection.js";
import { patternFromRows, patternToRows, samePattern } from "../../src/linalg/sparse-pattern.js";
import { brusselator2d } from "./bruss2d.js";

test("detected pattern equals the compiled jacSparsity (1-D Brusselator, a ring with long-range coupling, chemistry)", () => {
  const cases: [string, string, Record<string, unknown>, number][] = [
    // Hairer & Wanner's 1-D Brusselator (interleaved u, v; fixed boundary values).
    ["brusselator 1-D", `(t, y, args, dy) => {
      const c = 0.02 * (N + 1) * (N + 1);
      for (let i = 0; i < N; i++) {
        const u = y[2 * i], v = y[2 * i + 1];
        const ul = i === 0 ? 1 : y[2 * i - 2], ur = i === N - 1 ? 1 : y[2 * i + 2];
        const vl = i === 0 ? 3 : y[2 * i - 1], vr = i === N - 1 ? 3 : y[2 * i + 3];
        dy[2 * i] = 1 + u * u * v - 4 * u + c * (ul - 2 * u + ur);
        dy[2 * i + 1] = 3 * u - u * u * v + c * (vl - 2 * v + vr);
      }
    }`, { N: 40 }, 80],
    // A ring whose every 7th component also feeds component i + M/2 (non-local, non-banded).
    ["ring", `(t, y, args, dy) => {
      for (let i = 0; i < M; i++) {
        const far = i % 7 === 0 ? y[(i + M / 2) % M] : 0;
        dy[i] = Math.sin(y[i]) * y[(i + 1) % M] - y[(i + M - 1) % M] ** 2 + 0.1 * far;
      }
    }`, { M: 90 }, 90],
    // ROBER, three components.
    ["ROBER", `(t, [a, b, c]) => [-0.04 * a + 1e4 * b * c, 0.04 * a - 1e4 * b * c - 3e7 * b * b, 3e7 * b * b]`, {}, 3],
  ];
  for (const [name, src, consts, n] of cases) {
    const vf = compile(src, { consts, n });
    const y0 = Float64Array.from({ length: n }, (_, i) => 0.5 + 0.01 * i);
    const counter = { numFnEvals: 0 };
    const detected = detectSparsity(vf.f, 0, y0, null, counter, 100_000);
    assert.ok(detected !== null, name);
    assert.ok(samePattern(detected, patternFromRows(vf.jacSparsity, n)), `${name}: detected ${JSON.stringify(patternToRows(detected).slice(0, 4))}…`);
    assert.ok(counter.numFnEvals < Math.max(40, n), `${name}: ${counter.numFnEvals} evaluations`);
  }
});

test("detection on the 2-D Brusselator (plain loops, 32 768 unknowns at N = 128 is the benchmark size): exact, a few dozen evaluations", () => {
  for (const N of [8, 40]) {
    const p = brusselator2d(N);
    const counter = { numFnEvals: 0 };
    const detected = detectSparsity(p.f, 0, p.y0, null, counter, 100_000)!;
    assert.ok(samePattern(detected, patternFromRows(p.sparsity, p.n)), `N = ${N}`);
    // About 2 · colours · log2(n) evaluations (colours of the group pattern stay below ~10).
    assert.ok(counter.numFnEvals <= 20 * Math.ceil(Math.log2(p.n)), `N = ${N}: ${counter.numFnEvals} evaluations`);
  }
});

test("detection gives up (null) when it cannot work: NaN at y0, f that throws on NaN, or a budget too small for a dense pattern", () => {
  const n = 64;
  const y0 = new Float64Array(n).fill(1);
  const counter = { numFnEvals: 0 };
  const nanAtY0 = (_t: number, y: Float64Array, _a: unknown, dy: Float64Array): void => {
    for (let i = 0; i < n; i++) dy[i] = Math.log(y[i]! - 1) * 0; // log(0) · 0 = NaN
  };
  assert.equal(detectSparsity(nanAtY0, 0, y0, null, counter, 10_000), null);
  const guarded = (_t: number, y: Float64Array, _a: unknown, dy: Float64Array): void => {
    if (y.some((v) => v !== v)) throw new Error("NaN input");
    dy.set(y);
  };
  assert.equal(detectSparsity(guarded, 0, y0, null, counter, 10_000), null);
  const dense = (_t: number, y: Float64Array, _a: unknown, dy: Float64Array): void => {
    let s = 0;
    for (let i = 0; i < n; i++) s += y[i]!;
    for (let i = 0; i < n; i++) dy[i] = s * y[i]!;
  };
  const before = counter.numFnEvals;
  assert.equal(detectSparsity(dense, 0, y0, null, counter, n), null);
  assert.ok(counter.numFnEvals - before <= n, "stops within its budget");
});

test("what NaN propagation cannot see: a dependence only through a branch on the state", () => {
  // dy0 = y1 when y1 > 0, else 0: at y1 = NaN the comparison is false and the dependence is hidden.
  const f = (_t: number, y: Float64Array, _a: unknown, dy: Float64Array): void => {
    dy[0] = y[1]! > 0 ? y[1]! : 0;
    dy[1] = -y[1]!;
  };
  const detected = detectSparsity(f, 0, Float64Array.of(1, 1), null, { numFnEvals: 0 }, 100)!;
  assert.deepEqual(patternToRows(detected), [[], [1]], "the documented blind spot: pass jacSparsity for such fields");
});
