// Large stiff systems: every implicit solver with the sparse and GMRES linear solvers on the 2-D
// Brusselator (N = 16, n = 512) against an independent reference; the "auto" choice; GMRES
// failures that end with a code; a user preconditioner; the memory budget.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  BDF, compile, diffeqsolve, ImplicitEuler, isOkay, KenCarp4, Kvaerno3, Kvaerno5, MemoryBudgetError, MultiTerm, ODETerm, PIDController,
  RadauIIA5, Rodas5P, Rosenbrock23, RESULTS, type AbstractSolver, type UserPreconditioner,
} from "../../src/index.js";
import { brusselator2d } from "./bruss2d.js";

// Reference: SciPy's Radau at rtol = atol = 1e-12 (bench/lib/bruss2d_scipy.py --reference 16), which
// SciPy's BDF at the same tolerances matches to `crossCheckDiff` (2e-10).
const reference = JSON.parse(readFileSync(fileURLToPath(new URL("../reference/bruss2d-n16.json", import.meta.url)), "utf8")) as { y: number[]; crossCheckDiff: number };
const bruss = brusselator2d(16);

function maxError(y: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < y.length; i++) e = Math.max(e, Math.abs(y[i]! - reference.y[i]!));
  return e;
}

// [name, solver factory, rtol, bound on max error / rtol]: bounds a few times what each method
// measures at these settings (global error over the limit cycle, against the local tolerance).
const SOLVERS: [string, (o: object) => AbstractSolver<any>, number, number][] = [
  ["BDF", (o) => new BDF(o), 1e-4, 25],
  ["Rodas5P", (o) => new Rodas5P(o), 1e-4, 5],
  ["Rosenbrock23", (o) => new Rosenbrock23(o), 1e-3, 40],
  ["ImplicitEuler", (o) => new ImplicitEuler(o), 1e-2, 40],
  ["Kvaerno3", (o) => new Kvaerno3(o), 1e-4, 12],
  ["Kvaerno5", (o) => new Kvaerno5(o), 1e-4, 70],
  ["RadauIIA5", (o) => new RadauIIA5(o), 1e-4, 1.5],
  ["KenCarp4", (o) => new KenCarp4(o), 1e-4, 50],
];

test("the N = 16 reference is tight: SciPy's Radau and BDF at 1e-12 agree to 1e-9", () => {
  assert.ok(reference.crossCheckDiff < 1e-9);
});

for (const [name, make, rtol, bound] of SOLVERS) {
  const kinds = name === "BDF" ? ["sparse", "gmres", "banded"] : ["sparse", "gmres"];
  test(`${name} on the 2-D Brusselator (n = 512, plain JavaScript f) with ${kinds.join(", ")}: error within ${bound} × rtol`, () => {
    const terms = name === "KenCarp4" ? new MultiTerm(new ODETerm(bruss.reaction), new ODETerm(bruss.diffusion)) : new ODETerm(bruss.f);
    for (const linearSolver of kinds) {
      const sol = diffeqsolve({
        terms, solver: make({ linearSolver }), t0: 0, t1: bruss.t1, y0: bruss.y0,
        stepsizeController: new PIDController({ rtol, atol: rtol }), maxSteps: 100_000,
      });
      const err = maxError(sol.ys[0]!);
      assert.ok(err <= bound * rtol, `${name}/${linearSolver}: max error ${err.toExponential(2)} > ${bound} × ${rtol}`);
      const s = sol.stats;
      assert.ok(s.numSparsityDetectionEvals! > 0 && s.numSparsityDetectionEvals! < 100, `${name}/${linearSolver}: the pattern is detected from f`);
      if (linearSolver === "gmres") assert.ok(s.numLinearIterations! > 0);
      if (linearSolver === "sparse") assert.ok(s.luNonzeros! > 0 && s.luNonzeros! < 0.2 * bruss.n * bruss.n, "sparse factors: nothing n × n");
    }
  });
}

test("auto: dense for small n, banded for a narrow band, sparse LU for the 2-D grid (pattern detected), gmres for a user preconditioner", () => {
  const decay = (_t: number, y: Float64Array, _a: unknown, dy: Float64Array): void => {
    for (let i = 0; i < y.length; i++) dy[i] = -(1 + i) * y[i]! + (i > 0 ? y[i - 1]! : 0);
  };
  const opts = { t0: 0, t1: 1, stepsizeController: new PIDController({ rtol: 1e-6, atol: 1e-9 }) };
  const small = diffeqsolve({ ...opts, terms: new ODETerm(decay), solver: new BDF(), y0: new Float64Array(20).fill(1) });
  assert.equal(small.stats.numSparsityDetectionEvals, undefined, "n < 100: dense, no detection");
  assert.equal(small.stats.luNonzeros, undefined);
  const chain = diffeqsolve({ ...opts, terms: new ODETerm(decay), solver: new BDF(), y0: new Float64Array(400).fill(1) });
  assert.ok(chain.stats.numSparsityDetectionEvals! > 0);
  assert.equal(chain.stats.luNonzeros, undefined, "a bidiagonal pattern is banded");
  const grid = diffeqsolve({ ...opts, t1: 0.5, terms: new ODETerm(bruss.f), solver: new BDF(), y0: bruss.y0 });
  assert.ok(grid.stats.luNonzeros! > 0, "the 2-D grid gets sparse LU");
  const user: UserPreconditioner = { psolve: (_t, _y, _fy, r, z) => { z.set(r); } };
  const pre = diffeqsolve({ ...opts, terms: new ODETerm(decay), solver: new BDF({ preconditioner: user }), y0: new Float64Array(20).fill(1) });
  assert.ok(pre.stats.numLinearIterations! > 0, "a user preconditioner implies gmres");
});

test("a compiled field: sparse LU uses its sparse exact Jacobian (jacValues), GMRES its JVP; same answer as dense (BDF, and RadauIIA5's complex band, sparse and Krylov forms)", () => {
  const N = 40;
  const vf = compile(`(t, y, args, dy) => {
    const c = 0.02 * (N + 1) * (N + 1);
    for (let i = 0; i < N; i++) {
      const u = y[2 * i], v = y[2 * i + 1];
      const ul = i === 0 ? 1 : y[2 * i - 2], ur = i === N - 1 ? 1 : y[2 * i + 2];
      const vl = i === 0 ? 3 : y[2 * i - 1], vr = i === N - 1 ? 3 : y[2 * i + 3];
      dy[2 * i] = 1 + u * u * v - 4 * u + c * (ul - 2 * u + ur);
      dy[2 * i + 1] = 3 * u - u * u * v + c * (vl - 2 * v + vr);
    }
  }`, { consts: { N } });
  const y0 = Array.from({ length: 2 * N }, (_, k) => (k % 2 === 0 ? 1 + Math.sin((2 * Math.PI * (k / 2 + 1)) / (N + 1)) : 3));
  for (const make of [(o: object) => new BDF(o), (o: object) => new RadauIIA5(o)]) {
    const run = (linearSolver: "dense" | "banded" | "sparse" | "gmres") => diffeqsolve({
      terms: new ODETerm(vf), solver: make({ linearSolver }), t0: 0, t1: 10, y0,
      stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-8 }),
    });
    const dense = run("dense");
    for (const ls of ["banded", "sparse", "gmres"] as const) {
      const sol = run(ls);
      assert.equal(sol.stats.numSparsityDetectionEvals, undefined, `${ls}: the compiled pattern is used, nothing detected`);
      const err = Math.max(...Array.from(sol.ys[0]!, (v, i) => Math.abs(v - dense.ys[0]![i]!)));
      assert.ok(err < 1e-5, `${make({}).name}/${ls}: ${err}`);
    }
  }
});

test("a user preconditioner (CVODE's psetup/psolve): exact tridiagonal solve of M − γJ makes GMRES converge in about one iteration", () => {
  // Heat equation u_t = u_xx, u = 0 at both ends; exact solution exp(λt) sin(πx), λ = −(4/h²) sin²(πh/2).
  const N = 300;
  const h = 1 / (N + 1);
  const c = 1 / (h * h);
  const f = (_t: number, u: Float64Array, _a: unknown, du: Float64Array): void => {
    for (let i = 0; i < N; i++) du[i] = c * ((i > 0 ? u[i - 1]! : 0) - 2 * u[i]! + (i < N - 1 ? u[i + 1]! : 0));
  };
  const calls: boolean[] = [];
  let g = NaN;
  const cp = new Float64Array(N);
  const user: UserPreconditioner = {
    psetup: (_t, _y, _fy, jok, gamma) => {
      calls.push(jok);
      g = gamma;
    },
    // Thomas algorithm for (I − γJ) z = r: diagonal 1 + 2γc, off-diagonals −γc.
    psolve: (_t, _y, _fy, r, z, gamma) => {
      assert.equal(gamma, g === g ? gamma : gamma);
      const a = -gamma * c;
      const b = 1 + 2 * gamma * c;
      cp[0] = a / b;
      z[0] = r[0]! / b;
      for (let i = 1; i < N; i++) {
        const m = b - a * cp[i - 1]!;
        cp[i] = a / m;
        z[i] = (r[i]! - a * z[i - 1]!) / m;
      }
      for (let i = N - 2; i >= 0; i--) z[i] -= cp[i]! * z[i + 1]!;
    },
  };
  const x = Array.from({ length: N }, (_, i) => (i + 1) * h);
  const sol = diffeqsolve({
    terms: new ODETerm(f), solver: new BDF({ linearSolver: "gmres", preconditioner: user }), t0: 0, t1: 0.1,
    y0: x.map((xi) => Math.sin(Math.PI * xi)), stepsizeController: new PIDController({ rtol: 1e-7, atol: 1e-10 }),
  });
  const decay = Math.exp((-4 / (h * h)) * Math.sin((Math.PI * h) / 2) ** 2 * 0.1);
  const err = Math.max(...x.map((xi, i) => Math.abs(sol.ys[0]![i]! - decay * Math.sin(Math.PI * xi))));
  assert.ok(err < 1e-5, `max error ${err}`);
  const s = sol.stats;
  assert.ok(s.numLinearIterations! <= 1.5 * s.numNewtonIterations!, `${s.numLinearIterations} linear iterations for ${s.numNewtonIterations} Newton iterations`);
  assert.equal(calls[0], false, "the first setup has no Jacobian data to reuse");
  assert.ok(calls.includes(true), "later setups for a new γ only may reuse it (jok)");
});

test("GMRES on an iteration matrix it cannot handle ends with a failure code (dense LU solves it); a singular DAE gives singularMatrix", () => {
  // All-algebraic DAE, M = 0: 0 = g(t) − P y with P the cyclic shift, so W = −J = P for every α:
  // ILU(0) meets a zero diagonal, and unpreconditioned GMRES(30) cannot leave the Krylov space of P
  // (dimension n = 80) for most right-hand sides.
  const n = 80;
  const f = (t: number, y: Float64Array, _a: unknown, dy: Float64Array): void => {
    for (let i = 0; i < n; i++) dy[i] = (i === 0 ? 2 + Math.sin(t) : 0) - y[(i + n - 1) % n]!;
  };
  const y0 = Array.from({ length: n }, (_, i) => (i === n - 1 ? 2 : 0)); // consistent: P y0 = g(0)
  const mass = new Float64Array(n * n);
  const opts = { terms: new ODETerm(f), t0: 0, t1: 1, y0, throw: false, maxSteps: 300, stepsizeController: new PIDController({ rtol: 1e-6, atol: 1e-8 }) };
  const start = Date.now();
  const ilu = diffeqsolve({ ...opts, solver: new BDF({ massMatrix: mass, linearSolver: "gmres" }) });
  assert.equal(ilu.result, RESULTS.linearSolverFailed, ilu.message);
  assert.match(ilu.message!, /GMRES linear solver did not reduce the residual.*preconditioner/);
  const none = diffeqsolve({ ...opts, solver: new BDF({ massMatrix: mass, linearSolver: "gmres", preconditioner: "none" }) });
  assert.ok(!isOkay(none.result), `unpreconditioned: ${none.message}`);
  assert.ok(Date.now() - start < 30_000, "no hang");
  const dn = diffeqsolve({ ...opts, solver: new BDF({ massMatrix: mass, linearSolver: "dense" }) });
  assert.equal(dn.result, RESULTS.successful);
  assert.ok(Math.abs(dn.ys[0]![n - 1]! - (Math.sin(1) + 2)) < 1e-6);
  // 0 = 1 in the second equation: no solution, W singular for every α. Every linear solver reports
  // it (a Krylov solver could not see it by itself: the algebraic row has no entry of J).
  const bad = new ODETerm((_t: number, y: Float64Array, _a: unknown, dy: Float64Array) => {
    dy[0] = -y[0]!;
    dy[1] = 1;
  });
  for (const [linearSolver, preconditioner] of [["gmres", "ilu0"], ["gmres", "none"], ["sparse", undefined], ["dense", undefined]] as const) {
    const sol = diffeqsolve({ terms: bad, solver: new BDF({ massMatrix: [[1, 0], [0, 0]], linearSolver, preconditioner }), t0: 0, t1: 1, y0: [1, 0], throw: false });
    assert.equal(sol.result, RESULTS.singularMatrix, `${linearSolver}/${preconditioner}: ${sol.message}`);
  }
});

test("memory is estimated before allocating: dense LU for n = 60 000 stops at once with the size and the alternatives; auto solves it", () => {
  const n = 60_000;
  const decay = (_t: number, y: Float64Array, _a: unknown, dy: Float64Array): void => {
    for (let i = 0; i < n; i++) dy[i] = -(1 + (i % 10)) * y[i]!;
  };
  const y0 = new Float64Array(n).fill(1);
  const start = Date.now();
  assert.throws(
    () => diffeqsolve({ terms: new ODETerm(decay), solver: new BDF({ linearSolver: "dense" }), t0: 0, t1: 1, y0 }),
    (e: unknown) => {
      assert.ok(e instanceof MemoryBudgetError);
      assert.match(e.message, /dense linear solver \(2 matrices of 60000 × 60000, 26\.8 GiB each\) would need 53\.6 GiB, above the memory budget of 1\.00 GiB/);
      assert.match(e.message, /linearSolver "sparse" or "gmres"/);
      return true;
    },
  );
  assert.ok(Date.now() - start < 1000, "stops at once");
  assert.throws(() => new BDF({ maxMemory: -1 }), /`maxMemory` must be a positive number of bytes/);
  const sol = diffeqsolve({ terms: new ODETerm(decay), solver: new BDF(), t0: 0, t1: 1, y0, stepsizeController: new PIDController({ rtol: 1e-5, atol: 1e-8 }) });
  assert.ok(Math.abs(sol.ys[0]![9]! - Math.exp(-10)) < 1e-4);
  assert.ok(Math.abs(sol.ys[0]![n - 1]! - Math.exp(-10)) < 1e-4);
});

test("bad large-system options name the argument, the value and the fix", () => {
  assert.throws(() => new BDF({ preconditioner: "jacobi" as never }), /`preconditioner` must be "ilu0", "block-jacobi", "none" or an object \{ psetup\?, psolve \}/);
  assert.throws(() => new BDF({ linearSolver: "sparse", preconditioner: "ilu0" }), /`preconditioner` is for linearSolver "gmres"/);
  assert.throws(() => new BDF({ linearSolver: "gmres", preconditioner: "block-jacobi" }), /needs `blockSize`/);
  assert.throws(() => new BDF({ krylov: { maxIter: 5 } as never }), /unknown `krylov` option `maxIter`/);
  assert.throws(() => new BDF({ krylov: { epsLin: 2 } }), /`krylov.epsLin` must be a number in \(0, 1\)/);
  assert.throws(() => new Rodas5P({ pivotThreshold: 0 }), /`pivotThreshold` must be a number in \(0, 1\]/);
  // Block-Jacobi with the species of a cell as the block: works.
  const sol = diffeqsolve({
    terms: new ODETerm(bruss.f), solver: new BDF({ linearSolver: "gmres", preconditioner: "block-jacobi", blockSize: 2 }),
    t0: 0, t1: 0.5, y0: bruss.y0, stepsizeController: new PIDController({ rtol: 1e-4, atol: 1e-4 }),
  });
  assert.equal(sol.result, RESULTS.successful);
});
