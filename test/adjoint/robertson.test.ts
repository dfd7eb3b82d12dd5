import { test } from "node:test";
import assert from "node:assert/strict";
import { BacksolveAdjoint, compile, diffeqsolveVjp, ForwardSensitivity, ODETerm, PIDController, Rodas5P, SaveAt } from "../../src/index.js";

// Robertson's chemical kinetics (ROBER): A → B (k1), B + C → A + C (k3), 2B → B + C (k2).
const rober = compile(
  (_t: number, y: Float64Array, a: { k1: number; k2: number; k3: number }, dy: Float64Array) => {
    dy[0] = -a.k1 * y[0]! + a.k3 * y[1]! * y[2]!;
    dy[1] = a.k1 * y[0]! - a.k3 * y[1]! * y[2]! - a.k2 * y[1]! * y[1]!;
    dy[2] = a.k2 * y[1]! * y[1]!;
  },
  { args: { k1: 0, k2: 0, k3: 0 } },
);
const ARGS = { k1: 0.04, k2: 3e7, k3: 1e4 };
const TS = [1e2, 1e9, 1e11];

function sensitivities(adjoint: ForwardSensitivity | BacksolveAdjoint) {
  const { solution, pullback } = diffeqsolveVjp({
    terms: new ODETerm(rober), solver: new Rodas5P(), t0: 0, t1: 1e11, y0: [1, 0, 0], args: ARGS,
    stepsizeController: new PIDController({ rtol: 1e-8, atol: Float64Array.of(1e-12, 1e-18, 1e-12) }), saveat: new SaveAt({ ts: TS }),
    adjoint,
  });
  /** S[r][i][p] = ∂y_i(t_r)/∂k_p · k_p / y_i (logarithmic sensitivities). */
  const S: number[][][] = [];
  for (let r = 0; r < TS.length; r++) {
    S.push([]);
    for (let i = 0; i < 3; i++) {
      const bar = TS.map((_, q) => (q === r ? [0, 1, 2].map((j) => (j === i ? 1 : 0)) : null));
      const g = pullback(bar).args as Record<string, number>;
      S[r]!.push(["k1", "k2", "k3"].map((k) => (g[k]! * ARGS[k as keyof typeof ARGS]) / solution.ys[r]![i]!));
    }
  }
  return { S, solution };
}

/*
 * Independent check at late times (from the equations, not from any solver): once B is in
 * quasi-steady state and C ≈ 1, y1 ≈ k3² / (k1² k2 t) and y2 ≈ k3 / (k1 k2 t) (these reproduce the
 * published ROBER values at t = 1e11: 2.0833e-8 and 8.3334e-14). Hence the logarithmic sensitivities
 * of y1 are (−2, −1, +2) and those of y2 are (−1, −1, +1) with respect to (k1, k2, k3).
 */
test("Robertson forward sensitivities (Rodas5P): signs and late-time magnitudes from the quasi-steady-state asymptotics", () => {
  const { S, solution } = sensitivities(new ForwardSensitivity());
  // The primal values are the published ones.
  assert.ok(Math.abs(solution.ys[2]![0]! / 0.2083340149701284e-7 - 1) < 1e-4);
  for (const r of [1, 2]) {
    const expected = [[-2, -1, 2], [-1, -1, 1]];
    for (let i = 0; i < 2; i++) {
      for (let p = 0; p < 3; p++) {
        assert.ok(Math.abs(S[r]![i]![p]! - expected[i]![p]!) < 2e-3, `t=${TS[r]} y${i + 1} k${p + 1}: ${S[r]![i]![p]} vs ${expected[i]![p]}`);
      }
    }
  }
  // Early (t = 100): faster A → B (k1) depletes A and makes more C; faster B + C → A + C (k3) keeps more A.
  assert.ok(S[0]![0]![0]! < 0 && S[0]![2]![0]! > 0 && S[0]![0]![2]! > 0 && S[0]![2]![2]! < 0, JSON.stringify(S[0]));
  // Mass is conserved: Σ_i ∂y_i/∂k = 0.
  for (let r = 0; r < 3; r++) {
    for (let p = 0; p < 3; p++) {
      const sum = [0, 1, 2].reduce((s, i) => s + S[r]![i]![p]! * solution.ys[r]![i]!, 0);
      assert.ok(Math.abs(sum) < 1e-7, `t=${TS[r]} k${p + 1}: Σ = ${sum}`);
    }
  }
});

test("Robertson: BacksolveAdjoint (state from the forward interpolant) with Rodas5P agrees with the forward sensitivities at t = 100", () => {
  const fwd = sensitivities(new ForwardSensitivity()).S[0]!;
  const { pullback, solution } = diffeqsolveVjp({
    terms: new ODETerm(rober), solver: new Rodas5P(), t0: 0, t1: 100, y0: [1, 0, 0], args: ARGS,
    stepsizeController: new PIDController({ rtol: 1e-8, atol: Float64Array.of(1e-12, 1e-18, 1e-12) }),
    adjoint: new BacksolveAdjoint({ state: "interpolate", stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-12 }) }),
  });
  for (const i of [0, 2]) {
    const g = pullback([[0, 1, 2].map((j) => (j === i ? 1 : 0))]).args as Record<string, number>;
    const s = ["k1", "k2", "k3"].map((k) => (g[k]! * ARGS[k as keyof typeof ARGS]) / solution.ys[0]![i]!);
    s.forEach((x, p) => assert.ok(Math.abs(x - fwd[i]![p]!) <= 1e-4 * Math.max(Math.abs(fwd[i]![p]!), 1e-3), `y${i + 1} k${p + 1}: ${x} vs ${fwd[i]![p]}`));
  }
});
