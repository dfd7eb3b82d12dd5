/**
 * Underdamped Langevin dynamics with BAOAB over a VirtualBrownianTree: the stationary distribution
 * on a harmonic potential (exact moments, within standard errors), strong convergence on the path,
 * and the terms' errors.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  BAOAB, ConstantStepSize, diffeqsolve, EulerMaruyama, MultiTerm, ODETerm, ShARK, solveEnsembleSync, UnderdampedLangevinDiffusionTerm, UnderdampedLangevinDriftTerm,
  VirtualBrownianTree,
} from "../../src/index.js";

test("BAOAB samples the exact stationary law of a harmonic potential: moments of 2000 trajectories within 4 standard errors", () => {
  // f = ω²x²/2, so the stationary density ∝ exp(−ω²x²/2 − v²/(2u)): Var x = 1/ω², Var v = u, x ⟂ v.
  const omega = 1.5, gamma = 1, u = 2, h = 0.2, T = 20, N = 2000;
  const tree = new VirtualBrownianTree({ t0: 0, t1: T, tol: h / 2, shape: 1 });
  const terms = new MultiTerm(
    new UnderdampedLangevinDriftTerm(gamma, u, (x, a, g) => { g[0] = omega * omega * x[0]!; }),
    new UnderdampedLangevinDiffusionTerm(gamma, u, (args: { seed: number }) => tree.withSeed(args.seed)),
  );
  // Started at rest: the slowest mode decays like e^{−γt/2}, so by T = 20 the start is forgotten to e^{−10}.
  const sol = solveEnsembleSync({ terms, solver: new BAOAB(), t0: 0, t1: T, dt0: h, stepsizeController: new ConstantStepSize(), trajectories: N, y0: () => [0, 0], args: (i) => ({ seed: i }) });
  const x = new Float64Array(N), v = new Float64Array(N);
  for (let i = 0; i < N; i++) { const y = sol.final(i); x[i] = y[0]!; v[i] = y[1]!; }
  const moment = (f: (i: number) => number) => { let s = 0, s2 = 0; for (let i = 0; i < N; i++) { const z = f(i); s += z; s2 += z * z; } const m = s / N; return { m, se: Math.sqrt((s2 / N - m * m) / N) }; };
  const mx = moment((i) => x[i]!), mv = moment((i) => v[i]!);
  const xx = moment((i) => x[i]! ** 2), vv = moment((i) => v[i]! ** 2), xv = moment((i) => x[i]! * v[i]!);
  // BAOAB's own stationary covariance (the fixed point of Σ = MΣMᵀ + bbᵀ for its linear step z′ = Mz + bξ):
  // Var x is exactly 1/ω² for any stable h (Leimkuhler–Matthews), Var v = u + O(h²).
  const c1 = Math.exp(-gamma * h), k = u * omega * omega, half = h / 2;
  const mul = (A: number[][], B: number[][]) => A.map((r) => B[0]!.map((_, j) => r.reduce((s, a, l) => s + a * B[l]![j]!, 0)));
  const kick = [[1, 0], [-half * k, 1]], drift = [[1, half], [0, 1]];
  const M = mul(kick, mul(drift, mul([[1, 0], [0, c1]], mul(drift, kick))));
  const b = mul(kick, mul(drift, [[0], [Math.sqrt(u * (1 - c1 * c1))]]));
  let S = [[0, 0], [0, 0]];
  for (let it = 0; it < 5000; it++) S = mul(M, mul(S, [[M[0]![0]!, M[1]![0]!], [M[0]![1]!, M[1]![1]!]])).map((r, i) => r.map((s, j) => s + b[i]![0]! * b[j]![0]!));
  assert.ok(Math.abs(S[0]![0]! - 1 / omega ** 2) < 1e-12, `BAOAB's stationary Var x = ${S[0]![0]}`);
  assert.ok(Math.abs(S[1]![1]! / u - 1) < 0.05 && Math.abs(S[0]![1]!) < 1e-12);
  for (const [name, got, want] of [["E x", mx, 0], ["E v", mv, 0], ["E x²", xx, 1 / omega ** 2], ["E v²", vv, S[1]![1]!], ["E xv", xv, 0]] as const) {
    assert.ok(Math.abs(got.m - want) < 4 * got.se, `${name} = ${got.m} ± ${got.se}, expected ${want}`);
  }
  // And the continuous law's E v² = u, whose O(h²) difference (4.5% here) 2000 samples can resolve only to about 2 standard errors.
  assert.ok(Math.abs(vv.m - u) < 4 * vv.se + Math.abs(S[1]![1]! - u), `E v² = ${vv.m}`);
});

test("BAOAB converges strongly (order 1) to the solution on the path, the one ShARK converges to (order 2 here)", () => {
  const ks = [3, 4, 5, 6, 7, 8];
  const P = 100;
  const diffs = ks.slice(1).map(() => 0);
  let gap = 0;
  for (let s = 0; s < P; s++) {
    const bm = new VirtualBrownianTree({ t0: 0, t1: 1, tol: 2 ** -10, shape: 1, seed: 100 + s, levyArea: "space-time" });
    const terms = new MultiTerm(new UnderdampedLangevinDriftTerm(1, 1, (x, a, g) => { g[0] = Math.sin(x[0]!) + x[0]!; }), new UnderdampedLangevinDiffusionTerm(1, 1, bm));
    const ys = ks.map((k) => diffeqsolve({ terms, solver: new BAOAB(), t0: 0, t1: 1, dt0: 2 ** -k, y0: [0.5, 0], stepsizeController: new ConstantStepSize() }).ys[0]!);
    for (let j = 0; j < diffs.length; j++) diffs[j]! += Math.max(Math.abs(ys[j]![0]! - ys[j + 1]![0]!), Math.abs(ys[j]![1]! - ys[j + 1]![1]!)) / P;
    const shark = diffeqsolve({ terms, solver: new ShARK(), t0: 0, t1: 1, dt0: 2 ** -9, y0: [0.5, 0], stepsizeController: new ConstantStepSize() }).ys[0]!;
    gap += Math.max(Math.abs(ys[ks.length - 1]![0]! - shark[0]!), Math.abs(ys[ks.length - 1]![1]! - shark[1]!)) / P;
  }
  const xs = ks.slice(0, -1).map((k) => k * Math.LN2), ys = diffs.map((d) => -Math.log(d));
  const mx = xs.reduce((a, c) => a + c) / xs.length, my = ys.reduce((a, c) => a + c) / ys.length;
  let num = 0, den = 0;
  for (let i = 0; i < xs.length; i++) { num += (xs[i]! - mx) * (ys[i]! - my); den += (xs[i]! - mx) ** 2; }
  const p = num / den;
  assert.ok(Math.abs(p - 1) <= 0.25, `slope ${p.toFixed(2)}, differences ${diffs.map((d) => d.toExponential(2)).join(", ")}`);
  // BAOAB at h = 2⁻⁸ sits about one step-size error (≈ its last successive difference) from ShARK's answer.
  assert.ok(gap < 1.5 * diffs[diffs.length - 1]!, `mean distance to ShARK ${gap.toExponential(2)}`);
});

test("the Langevin terms are an ordinary additive-noise SDE for other solvers: EulerMaruyama and ShARK agree with BAOAB", () => {
  const bm = new VirtualBrownianTree({ t0: 0, t1: 2, tol: 2 ** -12, shape: 2, seed: 5, levyArea: "space-time" });
  const terms = new MultiTerm(
    new UnderdampedLangevinDriftTerm([1, 2], 0.5, (x, a, g) => { g[0] = x[0]! - 0.5 * x[1]!; g[1] = x[1]! - 0.5 * x[0]!; }),
    new UnderdampedLangevinDiffusionTerm([1, 2], 0.5, bm),
  );
  const solve = (solver: BAOAB | ShARK | EulerMaruyama, dt0: number) => diffeqsolve({ terms, solver, t0: 0, t1: 2, dt0, y0: [1, -1, 0, 0], stepsizeController: new ConstantStepSize() }).ys[0]!;
  const ref = solve(new ShARK(), 2 ** -10);
  for (const [solver, dt0, tol] of [[new BAOAB(), 2 ** -10, 5e-3], [new EulerMaruyama(), 2 ** -11, 5e-3]] as const) {
    const y = solve(solver, dt0);
    assert.ok(Math.max(...y.map((v, i) => Math.abs(v - ref[i]!))) < tol, `${solver.name}: ${Array.from(y)} vs ${Array.from(ref)}`);
  }
});

test("errors: BAOAB needs the Langevin pair with equal gamma and u; bad coefficients; the Brownian shape", () => {
  const bm = new VirtualBrownianTree({ t0: 0, t1: 1, shape: 1, seed: 1 });
  const grad = (x: Float64Array, a: unknown, g: Float64Array) => { g[0] = x[0]!; };
  const base = { solver: new BAOAB(), t0: 0, t1: 1, dt0: 0.1, y0: [0, 0], stepsizeController: new ConstantStepSize() };
  assert.throws(() => diffeqsolve({ ...base, terms: new MultiTerm(new ODETerm((t, y, a, dy) => { dy[0] = y[1]!; dy[1] = 0; }), new UnderdampedLangevinDiffusionTerm(1, 1, bm)) }),
    /BAOAB splits underdamped Langevin dynamics and needs terms = new MultiTerm\(new UnderdampedLangevinDriftTerm.*got MultiTerm\(ODETerm, UnderdampedLangevinDiffusionTerm\)/);
  assert.throws(() => diffeqsolve({ ...base, terms: new MultiTerm(new UnderdampedLangevinDriftTerm(1, 2, grad), new UnderdampedLangevinDiffusionTerm(1, 1, bm)) }),
    /the drift term has gamma = 1, u = 2 in dimension 0 but the diffusion term has gamma = 1, u = 1/);
  assert.throws(() => new UnderdampedLangevinDriftTerm(0, 1, grad), /`gamma` must be a number > 0 or an array of them/);
  assert.throws(() => diffeqsolve({ ...base, y0: [0, 0, 0, 0], terms: new MultiTerm(new UnderdampedLangevinDriftTerm(1, 1, (x, a, g) => { g[0] = x[0]!; g[1] = x[1]!; }), new UnderdampedLangevinDiffusionTerm(1, 1, bm)) }),
    /BAOAB: the Brownian motion has size 1 but the position has 2 dimensions; give it shape 2/);
  assert.throws(() => diffeqsolve({ ...base, y0: [0, 0, 0], terms: new MultiTerm(new UnderdampedLangevinDriftTerm(1, 1, grad), new UnderdampedLangevinDiffusionTerm(1, 1, bm)) }),
    /the state has 3 components; it must hold the positions x followed by as many velocities v/);
});
