import { test } from "node:test";
import assert from "node:assert/strict";
import { compile, Dopri5, Dopri8, Heun, Tsit5, Vern7, Vern9, Bosh3, type ExplicitRungeKutta } from "../../src/index.js";
import { ArgsLayout, VectorFieldDerivatives } from "../../src/adjoint/derivatives.js";
import { RKStepAdjoint } from "../../src/adjoint/erk_adjoint.js";

const vf = compile(
  (t: number, y: Float64Array, a: { p: number; q: number }, dy: Float64Array) => {
    dy[0] = a.p * y[1]! + Math.sin(t);
    dy[1] = -a.q * y[0]! * y[1]! + y[2]!;
    dy[2] = Math.cos(y[0]!) - 0.1 * y[2]!;
  },
  { args: { p: 0, q: 0 } },
);
const args = { p: 1.3, q: 0.7 };

test("a replayed step reproduces the solver's step bit for bit, and the generated and generic adjoint kernels agree bit for bit", () => {
  const solvers: ExplicitRungeKutta[] = [new Tsit5(), new Dopri5(), new Dopri8(), new Vern7(), new Vern9(), new Bosh3(), new Heun()];
  for (const solver of solvers) {
    const n = 3;
    const y0 = Float64Array.of(0.4, -0.2, 1.1);
    const t = 0.3;
    const h = 0.05;
    // The solver's own step.
    const state = solver.init(vf.f, n, args, undefined as never);
    solver.restart(state, t, y0);
    const y1s = new Float64Array(n);
    solver.step(state, Float64Array.of(t, h), y0, y1s, new Float64Array(n), new Float64Array(n));
    solver.accept(state);
    const mid = new Float64Array(n);
    solver.interpolate(state, 0.37, mid);
    const results: Float64Array[] = [];
    for (const generated of [true, false]) {
      const deriv = new VectorFieldDerivatives(vf, n, new ArgsLayout(args), vf.f);
      const adj = new RKStepAdjoint(solver.tableau, vf.f, args, deriv, n, generated);
      const y1 = new Float64Array(n);
      adj.forward(t, h, y0, y1, adj.stepStages);
      assert.deepEqual(Array.from(y1), Array.from(y1s), `${solver.name} generated=${generated}: replayed y1`);
      adj.forward(t, h, y0, y1, adj.denseStages);
      const o = new Float64Array(n);
      adj.interpolate(y0, h, 0.37, o);
      assert.deepEqual(Array.from(o), Array.from(mid), `${solver.name} generated=${generated}: interpolant`);
      const lambda = Float64Array.of(1, -2, 0.5);
      const pbar = new Float64Array(2);
      adj.beginReverse(lambda, h, adj.denseStages);
      adj.addOutputCotangent(h, 0.37, Float64Array.of(0.3, 0.1, -1), 0);
      for (let j = 0; j < n; j++) lambda[j] += [0.3, 0.1, -1][j]!;
      adj.reverse(t, h, lambda, pbar, adj.denseStages);
      results.push(Float64Array.of(...lambda, ...pbar));
    }
    assert.deepEqual(Array.from(results[0]!), Array.from(results[1]!), `${solver.name}: generated vs generic reverse`);
    // Recording only the stage inputs (the last f skipped) reverses to the same numbers.
    for (const count of ["step", "dense"] as const) {
      const deriv = new VectorFieldDerivatives(vf, n, new ArgsLayout(args), vf.f);
      const adj = new RKStepAdjoint(solver.tableau, vf.f, args, deriv, n, true);
      const c = count === "step" ? adj.stepStages : adj.denseStages;
      const out: number[][] = [];
      for (const tape of [false, true]) {
        const y1 = new Float64Array(n);
        if (tape) adj.tape(t, h, y0, y1, c);
        else adj.forward(t, h, y0, y1, c);
        const lambda = Float64Array.of(0.2, 1, -1);
        const pbar = new Float64Array(2);
        adj.beginReverse(lambda, h, c);
        adj.reverse(t, h, lambda, pbar, c);
        out.push([...lambda, ...pbar]);
      }
      assert.deepEqual(out[1], out[0], `${solver.name} ${count}: tape vs forward`);
    }
  }
});
