// Sparse LU (AMD / nested dissection order, multifrontal and left-looking numeric paths, complex
// variant) against dense LU on random sparse matrices, including structurally and numerically
// singular ones, which must give the singular code and never NaN.
import { fuzzParams } from "../fuzz-params.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { complexLuFactor, complexLuSolve, luFactor, luSolve } from "../../src/linalg/lu.js";
import { analyzeSparseLu, SparseLU } from "../../src/linalg/sparse-lu.js";
import { amdOrder, nestedDissectionOrder, symbolicCholesky } from "../../src/linalg/amd.js";
import { patternFromRows, symmetricAdjacency, transposePattern, type SparsePattern } from "../../src/linalg/sparse-pattern.js";
import { complexBandLuFactor, complexBandLuSolve, bandIndex, bandWidth } from "../../src/linalg/banded.js";
import { brusselator2d } from "./bruss2d.js";

/** A random sparse matrix: CSC pattern and values, plus its dense row-major copy. */
interface Sparse {
  n: number;
  csc: SparsePattern;
  ax: Float64Array;
  dense: Float64Array;
}

function build(n: number, entries: [number, number, number][]): Sparse {
  const rows: number[][] = Array.from({ length: n }, () => []);
  for (const [i, j] of entries) rows[i]!.push(j);
  const csc = transposePattern(patternFromRows(rows, n));
  const dense = new Float64Array(n * n);
  for (const [i, j, v] of entries) dense[i * n + j] = v; // the last value of a repeated entry wins
  const ax = new Float64Array(csc.idx.length);
  for (let j = 0; j < n; j++) for (let p = csc.ptr[j]!; p < csc.ptr[j + 1]!; p++) ax[p] = dense[csc.idx[p]! * n + j]!;
  return { n, csc, ax, dense };
}

/** Random sparse matrices, n ≤ 40, density 5–30%, a diagonal shift that is sometimes weak (pivoting needed). */
const sparseMatrix = fc
  .record({
    n: fc.integer({ min: 1, max: 40 }),
    density: fc.double({ min: 0.05, max: 0.3, noNaN: true }),
    shift: fc.constantFrom(0, 0.01, 1, 10),
    seed: fc.integer({ min: 1, max: 2 ** 30 }),
  })
  .map(({ n, density, shift, seed }) => {
    let s = seed >>> 0;
    const r = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
    const entries: [number, number, number][] = [];
    for (let i = 0; i < n; i++) {
      entries.push([i, i, shift * (1 + Math.abs(r())) + 0.1 * r()]);
      for (let j = 0; j < n; j++) if (j !== i && Math.abs(r()) < density) entries.push([i, j, r()]);
    }
    return build(n, entries);
  });

function denseSolve(m: Sparse, b: Float64Array): { ok: boolean; x: Float64Array } {
  const a = Float64Array.from(m.dense);
  const piv = new Int32Array(m.n);
  const x = Float64Array.from(b);
  const ok = luFactor(m.n, a, piv) === 0;
  if (ok) luSolve(m.n, a, piv, x);
  return { ok, x };
}

function residual(m: Sparse, x: Float64Array, b: Float64Array): number {
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < m.n; i++) {
    let s = -b[i]!;
    for (let j = 0; j < m.n; j++) {
      s += m.dense[i * m.n + j]! * x[j]!;
      scale = Math.max(scale, Math.abs(m.dense[i * m.n + j]! * x[j]!));
    }
    worst = Math.max(worst, Math.abs(s));
  }
  return worst / Math.max(scale, Math.abs(Math.max(...b.map(Math.abs))), 1e-300);
}

test("sparse LU agrees with dense LU on random sparse matrices (real): factor, refactor, solve", () => {
  fc.assert(
    fc.property(sparseMatrix, (m) => {
      const sym = analyzeSparseLu(m.csc);
      const lu = new SparseLU(m.csc.ptr, m.csc.idx, sym, false, 0.1);
      const b = Float64Array.from({ length: m.n }, (_, i) => Math.sin(i + 1));
      const ref = denseSolve(m, b);
      // Twice: the second factorisation reuses the structure (multifrontal, or refactor).
      for (let round = 0; round < 2; round++) {
        const code = lu.factor(m.ax);
        if (!ref.ok) {
          // Dense LU met an exact zero pivot. In another pivot order rounding may leave a tiny
          // one; then the answer is huge, but never NaN.
          if (code === 0) {
            const x = Float64Array.from(b);
            lu.solve(x);
            assert.ok(x.every((v) => v === v), "no NaN");
          }
          return;
        }
        assert.equal(code, 0, "dense LU factored it, so must the sparse one");
        const x = Float64Array.from(b);
        lu.solve(x);
        assert.ok(residual(m, x, b) < 1e-10, `n = ${m.n}: residual ${residual(m, x, b)}`);
      }
    }),
    fuzzParams(14, 300),
  );
});

test("sparse LU: structurally and numerically singular matrices give the singular code, never NaN", () => {
  fc.assert(
    fc.property(sparseMatrix, fc.nat(), fc.constantFrom("empty column", "empty row", "copied row", "two rows in one column"), (m0, pick, kind) => {
      if (m0.n < 2) return;
      const n = m0.n;
      const a = pick % n;
      const c = (pick + 1 + (pick >> 5)) % n === a ? (a + 1) % n : (pick + 1 + (pick >> 5)) % n;
      const entries: [number, number, number][] = [];
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (m0.dense[i * n + j] !== 0) entries.push([i, j, m0.dense[i * n + j]!]);
      let e = entries;
      if (kind === "empty column") e = entries.filter(([, j]) => j !== a);
      if (kind === "empty row") e = entries.filter(([i]) => i !== a);
      // Row a = row c: both get the same updates, and the multiplier v / v = 1 cancels them exactly.
      if (kind === "copied row") e = [...entries.filter(([i]) => i !== a), ...entries.filter(([i]) => i === c).map(([, j, v]) => [a, j, v] as [number, number, number])];
      // Rows a and c with entries in column a only: structurally rank-deficient whatever the values.
      if (kind === "two rows in one column") e = [...entries.filter(([i]) => i !== a && i !== c), [a, a, 1.5], [c, a, -0.25]];
      const m = build(n, e);
      const lu = new SparseLU(m.csc.ptr, m.csc.idx, analyzeSparseLu(m.csc), false, 0.1);
      assert.ok(lu.factor(m.ax) > 0, `${kind}: singular code expected`);
      const luc = new SparseLU(m.csc.ptr, m.csc.idx, analyzeSparseLu(m.csc), true, 0.1);
      assert.ok(luc.factor(m.ax, new Float64Array(m.ax.length)) > 0, `${kind} (complex): singular code expected`);
    }),
    fuzzParams(1414, 200),
  );
  // NaN in the matrix: the singular code, not a NaN solution.
  const m = build(3, [[0, 0, 1], [1, 1, NaN], [2, 2, 1], [0, 2, 0.5]]);
  assert.ok(new SparseLU(m.csc.ptr, m.csc.idx, analyzeSparseLu(m.csc), false).factor(m.ax) > 0);
});

test("complex sparse LU agrees with dense complex LU (RADAU5's (α + iβ) M − J)", () => {
  fc.assert(
    fc.property(sparseMatrix, fc.double({ min: -3, max: 3, noNaN: true }), (m, beta) => {
      const n = m.n;
      const imag = new Float64Array(m.ax.length);
      const dimag = new Float64Array(n * n);
      for (let j = 0; j < n; j++) {
        for (let p = m.csc.ptr[j]!; p < m.csc.ptr[j + 1]!; p++) {
          if (m.csc.idx[p] === j) {
            imag[p] = beta;
            dimag[j * n + j] = beta;
          }
        }
      }
      const re = Float64Array.from(m.dense);
      const im = Float64Array.from(dimag);
      const piv = new Int32Array(n);
      if (complexLuFactor(n, re, im, piv) !== 0) return;
      const br = Float64Array.from({ length: n }, (_, i) => Math.cos(i));
      const bi = Float64Array.from({ length: n }, (_, i) => Math.sin(2 * i));
      const xr = Float64Array.from(br);
      const xi = Float64Array.from(bi);
      complexLuSolve(n, re, im, piv, xr, xi);
      const lu = new SparseLU(m.csc.ptr, m.csc.idx, analyzeSparseLu(m.csc), true, 0.1);
      for (let round = 0; round < 2; round++) {
        assert.equal(lu.factor(m.ax, imag), 0);
        const yr = Float64Array.from(br);
        const yi = Float64Array.from(bi);
        lu.solveComplex(yr, yi);
        const scale = Math.max(1, ...xr.map(Math.abs), ...xi.map(Math.abs));
        for (let i = 0; i < n; i++) {
          assert.ok(Math.abs(yr[i]! - xr[i]!) < 1e-8 * scale && Math.abs(yi[i]! - xi[i]!) < 1e-8 * scale, `n = ${n}, x[${i}]`);
        }
      }
    }),
    fuzzParams(1415, 150),
  );
});

test("complex band LU agrees with dense complex LU", () => {
  const n = 25;
  const ml = 2;
  const mu = 3;
  const re = new Float64Array(n * n);
  const im = new Float64Array(n * n);
  const bre = new Float64Array(n * bandWidth(ml, mu));
  const bim = new Float64Array(n * bandWidth(ml, mu));
  for (let i = 0; i < n; i++) {
    for (let j = Math.max(0, i - ml); j <= Math.min(n - 1, i + mu); j++) {
      const a = Math.sin(3 * i + 7 * j) + (i === j ? 0.05 : 0);
      const b = Math.cos(5 * i - 2 * j);
      re[i * n + j] = a;
      im[i * n + j] = b;
      bre[bandIndex(i, j, ml, mu)] = a;
      bim[bandIndex(i, j, ml, mu)] = b;
    }
  }
  const piv = new Int32Array(n);
  const bpiv = new Int32Array(n);
  assert.equal(complexLuFactor(n, re, im, piv), 0);
  assert.equal(complexBandLuFactor(n, ml, mu, bre, bim, bpiv), 0);
  const xr = Float64Array.from({ length: n }, (_, i) => i % 3);
  const xi = Float64Array.from({ length: n }, (_, i) => 1 - (i % 2));
  const yr = Float64Array.from(xr);
  const yi = Float64Array.from(xi);
  complexLuSolve(n, re, im, piv, xr, xi);
  complexBandLuSolve(n, ml, mu, bre, bim, bpiv, yr, yi);
  for (let i = 0; i < n; i++) assert.ok(Math.abs(xr[i]! - yr[i]!) < 1e-10 && Math.abs(xi[i]! - yi[i]!) < 1e-10, `x[${i}]`);
});

test("fill-reducing orders: valid permutations, far less fill than the natural order on a 2-D grid", () => {
  const p = brusselator2d(24);
  const adj = symmetricAdjacency(patternFromRows(p.sparsity, p.n));
  const natural = symbolicCholesky(adj, Int32Array.from({ length: p.n }, (_, i) => i));
  for (const [name, order] of [["AMD", amdOrder(adj)], ["nested dissection", nestedDissectionOrder(adj, 64)]] as const) {
    assert.deepEqual(Array.from(order).sort((a, b) => a - b), Array.from({ length: p.n }, (_, i) => i), `${name} is a permutation`);
    const c = symbolicCholesky(adj, order);
    // Natural (banded) order: about n · 2N entries; minimum degree and dissection: O(n log n).
    assert.ok(c.nnzL < 0.5 * natural.nnzL, `${name}: ${c.nnzL} entries in L against ${natural.nnzL} in the natural order`);
  }
});

test("both numeric paths are exercised and agree: multifrontal (pivots in the supernode) and the pivoting fallback", () => {
  // With τ = 1 (strict partial pivoting) and weak diagonals, many columns have their largest entry
  // outside their supernode's block: the multifrontal path must hand over to the pivoting one.
  let multifrontal = 0;
  let pivoting = 0;
  fc.assert(
    fc.property(sparseMatrix, (m) => {
      const ref = denseSolve(m, Float64Array.from({ length: m.n }, (_, i) => i - 2));
      if (!ref.ok) return;
      for (const tol of [1, 0.1]) {
        const lu = new SparseLU(m.csc.ptr, m.csc.idx, analyzeSparseLu(m.csc), false, tol);
        if (lu.factor(m.ax) !== 0) continue; // rounding left a pivot below n·ε of its column: near-singular
        multifrontal += lu.numMultifrontal;
        pivoting += lu.numPivotingFactorizations;
        const b = Float64Array.from({ length: m.n }, (_, i) => i - 2);
        const x = Float64Array.from(b);
        lu.solve(x);
        assert.ok(residual(m, x, b) < 1e-10, `τ = ${tol}: residual ${residual(m, x, b)}`);
      }
    }),
    fuzzParams(1416, 200),
  );
  assert.ok(multifrontal > 50 && pivoting > 50, `multifrontal ${multifrontal}, pivoting ${pivoting}`);
});
