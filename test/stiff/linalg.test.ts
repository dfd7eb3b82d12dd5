import { test } from "node:test";
import assert from "node:assert/strict";
import { complexLuFactor, complexLuSolve, luFactor, luSolve, luSolveTransposed } from "../../src/linalg/lu.js";
import { bandIndex, bandLuFactor, bandLuSolve, bandLuSolveTransposed, bandWidth } from "../../src/linalg/banded.js";
import { colourPattern, colouredFdJacobian, denseFdJacobian } from "../../src/linalg/fdjac.js";

/** Deterministic pseudo-random numbers in [−1, 1) (a linear congruential generator). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

test("dense LU: solves A x = b for random matrices (x known, b = A x), including ones that need pivoting", () => {
  const r = rng(7);
  for (const n of [1, 2, 5, 17, 40]) {
    const A = new Float64Array(n * n).map(() => r());
    A[0] = 0; // forces a row interchange in column 0
    const x = new Float64Array(n).map(() => r());
    const b = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) b[i] += A[i * n + j]! * x[j]!;
    const piv = new Int32Array(n);
    if (n > 1) assert.equal(luFactor(n, A, piv), 0);
    else {
      A[0] = 3;
      b[0] = 3 * x[0]!;
      assert.equal(luFactor(n, A, piv), 0);
    }
    luSolve(n, A, piv, b);
    for (let i = 0; i < n; i++) assert.ok(Math.abs(b[i]! - x[i]!) < 1e-10 * n, `n=${n} x[${i}]`);
  }
});

test("dense LU: reports a singular matrix by the failing column, and NaN entries", () => {
  const piv = new Int32Array(3);
  assert.equal(luFactor(3, Float64Array.of(1, 2, 3, 2, 4, 6, 0, 0, 1), piv), 2);
  assert.equal(luFactor(2, Float64Array.of(NaN, 1, 1, 1), piv), 1);
});

test("banded LU agrees with the solution of a random band system (ml = 2, mu = 1) built from a known x", () => {
  const r = rng(11);
  const n = 30;
  const ml = 2;
  const mu = 1;
  const ab = new Float64Array(n * bandWidth(ml, mu));
  const dense = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = Math.max(0, i - ml); j <= Math.min(n - 1, i + mu); j++) {
      const v = i === j ? 0.1 * r() : r(); // weak diagonal: pivoting is needed
      ab[bandIndex(i, j, ml, mu)] = v;
      dense[i * n + j] = v;
    }
  }
  const x = new Float64Array(n).map(() => r());
  const b = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) b[i] += dense[i * n + j]! * x[j]!;
  const piv = new Int32Array(n);
  assert.equal(bandLuFactor(n, ml, mu, ab, piv), 0);
  assert.ok(Array.from(piv).some((p, k) => p !== k), "the test matrix should need row interchanges");
  bandLuSolve(n, ml, mu, ab, piv, b);
  for (let i = 0; i < n; i++) assert.ok(Math.abs(b[i]! - x[i]!) < 1e-9, `x[${i}]: ${b[i]} vs ${x[i]}`);
});

test("transposed LU solves (dense and banded) give x from b = Aᵀ x for random systems that need pivoting", () => {
  const r = rng(13);
  for (const n of [1, 3, 17]) {
    const A = new Float64Array(n * n).map(() => r());
    A[0] = n > 1 ? 0 : 2;
    const x = new Float64Array(n).map(() => r());
    const b = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) b[j] += A[i * n + j]! * x[i]!;
    const piv = new Int32Array(n);
    assert.equal(luFactor(n, A, piv), 0);
    luSolveTransposed(n, A, piv, b);
    for (let i = 0; i < n; i++) assert.ok(Math.abs(b[i]! - x[i]!) < 1e-10 * n, `dense n=${n} x[${i}]: ${b[i]} vs ${x[i]}`);
  }
  const n = 30;
  for (const [ml, mu] of [[2, 1], [1, 3], [0, 2]] as const) {
    const ab = new Float64Array(n * bandWidth(ml, mu));
    const dense = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = Math.max(0, i - ml); j <= Math.min(n - 1, i + mu); j++) {
        const v = i === j ? 0.1 * r() + (ml === 0 ? 1 : 0) : r();
        ab[bandIndex(i, j, ml, mu)] = v;
        dense[i * n + j] = v;
      }
    }
    const x = new Float64Array(n).map(() => r());
    const b = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) b[j] += dense[i * n + j]! * x[i]!;
    const piv = new Int32Array(n);
    assert.equal(bandLuFactor(n, ml, mu, ab, piv), 0);
    if (ml > 0) assert.ok(Array.from(piv).some((p, k) => p !== k), "the test matrix should need row interchanges");
    bandLuSolveTransposed(n, ml, mu, ab, piv, b);
    for (let i = 0; i < n; i++) assert.ok(Math.abs(b[i]! - x[i]!) < 1e-9, `banded (${ml}, ${mu}) x[${i}]: ${b[i]} vs ${x[i]}`);
  }
});

test("finite-difference Jacobians (dense and coloured) match the closed-form Jacobian of a tridiagonal field", () => {
  const n = 12;
  // f_i = y_{i−1} − 2 y_i² + sin(y_{i+1}): J has −4y_i on the diagonal, 1 below, cos(y_{i+1}) above.
  const f = (_t: number, y: Float64Array, _a: unknown, dy: Float64Array): void => {
    for (let i = 0; i < n; i++) dy[i] = (i > 0 ? y[i - 1]! : 0) - 2 * y[i]! * y[i]! + (i < n - 1 ? Math.sin(y[i + 1]!) : 0);
  };
  const y = new Float64Array(n).map((_, i) => 0.3 + 0.1 * i);
  const fy = new Float64Array(n);
  f(0, y, null, fy);
  const exact = (i: number, j: number): number => (j === i ? -4 * y[i]! : j === i - 1 ? 1 : j === i + 1 ? Math.cos(y[j]!) : 0);
  const floor = new Float64Array(n).fill(1e-5);
  const J = new Float64Array(n * n);
  assert.equal(denseFdJacobian(f, 0, y, fy, null, J, n, new Float64Array(n), floor), n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) assert.ok(Math.abs(J[i * n + j]! - exact(i, j)) < 1e-6, `dense (${i},${j})`);
  const sparsity = Array.from({ length: n }, (_, i) => [i - 1, i, i + 1].filter((j) => j >= 0 && j < n));
  const ml = 1;
  const mu = 1;
  const pattern = colourPattern(sparsity, n, (i, j) => bandIndex(i, j, ml, mu));
  assert.equal(pattern.numColours, 3, "a tridiagonal pattern needs exactly three colours");
  const Jb = new Float64Array(n * bandWidth(ml, mu));
  const y0 = Float64Array.from(y);
  const evals = colouredFdJacobian(f, 0, y, fy, null, Jb, pattern, new Float64Array(n), new Float64Array(n), new Float64Array(n), floor);
  assert.equal(evals, 3);
  assert.deepEqual(y, y0, "y is restored exactly");
  for (let i = 0; i < n; i++) {
    for (let j = Math.max(0, i - 1); j <= Math.min(n - 1, i + 1); j++) {
      assert.ok(Math.abs(Jb[bandIndex(i, j, ml, mu)]! - exact(i, j)) < 1e-6, `coloured (${i},${j})`);
    }
  }
});

test("colourPattern names the bad column in a malformed sparsity pattern", () => {
  assert.throws(() => colourPattern([[0, 5]], 1, (i, j) => i + j), /jacSparsity\[0\] contains column 5/);
});

test("complex LU: solves (A + iB) x = b for a random complex system built from a known x", () => {
  const r = rng(5);
  const n = 9;
  const re = new Float64Array(n * n).map(() => r());
  const im = new Float64Array(n * n).map(() => r());
  re[0] = 0;
  im[0] = 0; // forces a row interchange
  const xr = new Float64Array(n).map(() => r());
  const xi = new Float64Array(n).map(() => r());
  const br = new Float64Array(n);
  const bi = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      br[i] += re[i * n + j]! * xr[j]! - im[i * n + j]! * xi[j]!;
      bi[i] += re[i * n + j]! * xi[j]! + im[i * n + j]! * xr[j]!;
    }
  }
  const piv = new Int32Array(n);
  assert.equal(complexLuFactor(n, re, im, piv), 0);
  complexLuSolve(n, re, im, piv, br, bi);
  for (let i = 0; i < n; i++) assert.ok(Math.abs(br[i]! - xr[i]!) < 1e-11 && Math.abs(bi[i]! - xi[i]!) < 1e-11, `x[${i}]`);
  assert.equal(complexLuFactor(2, Float64Array.of(1, 1, 1, 1), Float64Array.of(0, 0, 0, 0), piv), 2);
});
