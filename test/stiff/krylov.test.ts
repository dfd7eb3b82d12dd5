// FGMRES on systems with known solutions, its preconditioners, and its failures (stagnation,
// NaN), which end with a status after a bounded number of iterations.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fgmres, GMRES_CONVERGED, GMRES_FAILED, GmresWorkspace, type LinearOperator, type Preconditioner } from "../../src/linalg/krylov.js";
import { blockLuFactor, blockLuSolve, ilu0Factor, ilu0Solve } from "../../src/linalg/preconditioners.js";

/** Tridiagonal a_i x_{i−1} + b_i x_i + c_i x_{i+1} as an operator, and its CSR form. */
function tridiagonal(n: number, lower: number, diag: number, upper: number): { op: LinearOperator; rp: Int32Array; ci: Int32Array; vals: Float64Array; diagPos: Int32Array } {
  const op: LinearOperator = (x, off, y) => {
    for (let i = 0; i < n; i++) {
      y[i] = diag * x[off + i]! + (i > 0 ? lower * x[off + i - 1]! : 0) + (i < n - 1 ? upper * x[off + i + 1]! : 0);
    }
  };
  const rp = new Int32Array(n + 1);
  const ci: number[] = [];
  const vals: number[] = [];
  const diagPos = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (i > 0) {
      ci.push(i - 1);
      vals.push(lower);
    }
    diagPos[i] = ci.length;
    ci.push(i);
    vals.push(diag);
    if (i < n - 1) {
      ci.push(i + 1);
      vals.push(upper);
    }
    rp[i + 1] = ci.length;
  }
  return { op, rp, ci: Int32Array.from(ci), vals: Float64Array.from(vals), diagPos };
}

function rhsOf(op: LinearOperator, x: Float64Array): Float64Array {
  const b = new Float64Array(x.length);
  op(x, 0, b);
  return b;
}

test("GMRES solves the 1-D Poisson matrix and a non-symmetric convection–diffusion matrix to the tolerance", () => {
  const n = 60;
  const exact = Float64Array.from({ length: n }, (_, i) => Math.sin((i + 1) / 7) + 0.1 * i);
  const w = new Float64Array(n).fill(1);
  for (const [name, lo, d, up] of [["Poisson", -1, 2.5, -1], ["convection–diffusion", -1.6, 2.5, -0.4]] as const) {
    const { op } = tridiagonal(n, lo, d, up);
    const b = rhsOf(op, exact);
    const x = new Float64Array(n);
    const ws = new GmresWorkspace(n, 30);
    assert.equal(fgmres(n, op, null, b, x, w, 1e-12, 5, ws), GMRES_CONVERGED, name);
    for (let i = 0; i < n; i++) assert.ok(Math.abs(x[i]! - exact[i]!) < 1e-9, `${name}: x[${i}]`);
    assert.ok(ws.info[1]! <= 1e-12, `${name}: final residual ${ws.info[1]}`);
  }
});

test("ILU(0) is exact for a tridiagonal matrix: preconditioned GMRES converges in one iteration", () => {
  const n = 50;
  const { op, rp, ci, vals, diagPos } = tridiagonal(n, -1.3, 3, -0.7);
  const lu = Float64Array.from(vals);
  assert.equal(ilu0Factor(n, rp, ci, diagPos, lu, new Int32Array(n).fill(-1)), 0);
  const P: Preconditioner = (r, z, off) => {
    for (let i = 0; i < n; i++) z[off + i] = r[i]!;
    ilu0Solve(n, rp, ci, diagPos, lu, z, off);
    return 0;
  };
  const exact = Float64Array.from({ length: n }, (_, i) => (i % 5) - 2);
  const b = rhsOf(op, exact);
  const x = new Float64Array(n);
  const ws = new GmresWorkspace(n, 10);
  assert.equal(fgmres(n, op, P, b, x, new Float64Array(n).fill(1), 1e-10, 0, ws), GMRES_CONVERGED);
  assert.equal(ws.info[0], 1, "one iteration");
  for (let i = 0; i < n; i++) assert.ok(Math.abs(x[i]! - exact[i]!) < 1e-10);
});

test("block-Jacobi factors and solves the diagonal blocks (last block shorter)", () => {
  const n = 7;
  const bs = 3;
  // Blocks [[4,1,0],[1,4,1],[0,1,4]] × 2 and [[5]]; stored block by block, row-major, in slots of bs².
  const a = new Float64Array(Math.ceil(n / bs) * bs * bs);
  const dense = new Float64Array(n * n);
  for (let b0 = 0; b0 < n; b0 += bs) {
    const m = Math.min(bs, n - b0);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        const v = i === j ? 4 + b0 : Math.abs(i - j) === 1 ? (i > j ? 1 : -2) : 0;
        a[(b0 / bs) * bs * bs + i * m + j] = v;
        dense[(b0 + i) * n + b0 + j] = v;
      }
    }
  }
  const piv = new Int32Array(n);
  assert.equal(blockLuFactor(n, bs, a, piv), 0);
  const x = Float64Array.from({ length: n }, (_, i) => i + 1);
  const b = new Float64Array(n + 2);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) b[2 + i] += dense[i * n + j]! * x[j]!;
  blockLuSolve(n, bs, a, piv, b, 2);
  for (let i = 0; i < n; i++) assert.ok(Math.abs(b[2 + i]! - x[i]!) < 1e-12, `x[${i}]`);
});

test("GMRES stagnation (a cyclic permutation) and a NaN operator end with GMRES_FAILED after a bounded number of iterations", () => {
  const n = 40;
  // P e_i = e_{i+1}: the Krylov space of e_0 never contains P⁻¹ e_0 = e_{n−1} before n iterations.
  const cyclic: LinearOperator = (x, off, y) => {
    for (let i = 0; i < n; i++) y[(i + 1) % n] = x[off + i]!;
  };
  const b = new Float64Array(n);
  b[0] = 1;
  const x = new Float64Array(n);
  const ws = new GmresWorkspace(n, 10);
  assert.equal(fgmres(n, cyclic, null, b, x, new Float64Array(n).fill(1), 1e-8, 2, ws), GMRES_FAILED);
  assert.equal(ws.info[0], 30, "maxl × (restarts + 1) iterations, then stop");
  assert.ok(x.every((v) => v === 0), "a failed solve leaves no half-made answer");
  const nanOp: LinearOperator = (_x, _off, y) => y.fill(NaN);
  assert.equal(fgmres(n, nanOp, null, b, x, new Float64Array(n).fill(1), 1e-8, 2, ws), GMRES_FAILED);
});
