// Reverse mode through SDE solves over a VirtualBrownianTree (the same path reconstructed on the
// backward pass): RecursiveCheckpointAdjoint with Euler–Maruyama and Euler–Heun, fixed and
// adaptive steps, diagonal and general noise, against forward mode on the same path and against
// central differences of the solve (fixed steps, where a perturbed solve takes the same steps).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  BacksolveAdjoint, compile, ConstantStepSize, ControlTerm, diffeqsolve, diffeqsolveJvp, diffeqsolveVjp, EulerHeun, EulerMaruyama, ForwardSensitivity, Milstein, MultiTerm,
  ODETerm, PIDController, RecursiveCheckpointAdjoint, SaveAt, VirtualBrownianTree, type AbstractSDESolver, type AbstractStepSizeController,
} from "../../src/index.js";

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.max(1e-300, Math.abs(b));
type P = { a: number; b: number; s: number };
const drift = compile((_t: number, y: Float64Array, p: P) => [y[1]!, -p.a * Math.sin(y[0]!) - p.b * y[1]!], { args: { a: 0, b: 0, s: 0 } });
const diagonal = compile((_t: number, y: Float64Array, p: P) => [p.s * y[0]!, 0.2 * Math.cos(y[1]!)], { args: { a: 0, b: 0, s: 0 } });
/** General noise with three Brownian dimensions (n × m = 2 × 3, row-major); differentiated by central differences. */
const general = (_t: number, y: Float64Array, p: P, out: Float64Array): void => {
  out[0] = p.s * y[0]!; out[1] = 0.1; out[2] = 0;
  out[3] = 0.2 * Math.cos(y[1]!); out[4] = 0.1 * y[0]!; out[5] = p.s;
};
const args = { a: 2, b: 0.3, s: 0.4 };
const bar = [[1, 0], [0.5, 1]];
const flat = (g: { y0: unknown; args: unknown }): number[] => [...(g.y0 as number[]), (g.args as P).a, (g.args as P).b, (g.args as P).s];

const cases: [string, () => AbstractSDESolver, () => AbstractStepSizeController, "diagonal" | "general", number][] = [
  ["EulerMaruyama, fixed steps, diagonal noise", () => new EulerMaruyama(), () => new ConstantStepSize(), "diagonal", 1e-10],
  ["EulerHeun, fixed steps, diagonal noise", () => new EulerHeun(), () => new ConstantStepSize(), "diagonal", 1e-10],
  ["EulerHeun, fixed steps, general noise (finite-difference diffusion derivatives)", () => new EulerHeun(), () => new ConstantStepSize(), "general", 1e-7],
  ["EulerHeun, adaptive steps, diagonal noise", () => new EulerHeun({ errorEstimate: true }), () => new PIDController({ rtol: 1e-3, atol: 1e-4 }), "diagonal", 1e-10],
];
for (const [label, makeSolver, makeController, noise, tol] of cases) {
  test(`RecursiveCheckpointAdjoint through an SDE (${label}) equals forward mode on the same path`, () => {
    const bm = new VirtualBrownianTree({ t0: 0, t1: 1, tol: 1e-8, shape: noise === "diagonal" ? 2 : 3, seed: 5 });
    const opts = (a: P, y0: number[]) => ({
      terms: new MultiTerm(new ODETerm(drift), new ControlTerm(noise === "diagonal" ? diagonal : general, bm, { noise })),
      solver: makeSolver(), t0: 0, t1: 1, dt0: 0.01, y0, args: a, stepsizeController: makeController(), saveat: new SaveAt({ ts: [0.33, 1] }),
    });
    const { solution, pullback } = diffeqsolveVjp({ ...opts(args, [1, 0]), adjoint: new RecursiveCheckpointAdjoint({ checkpoints: 3 }) });
    const r = flat(pullback(bar));
    const f = flat(diffeqsolveVjp({ ...opts(args, [1, 0]), adjoint: new ForwardSensitivity() }).pullback(bar));
    r.forEach((x, i) => assert.ok(rel(x, f[i]!) < tol, `input ${i}: ${x} vs forward ${f[i]}`));
    // diffeqsolveJvp on the same path, in the direction of s.
    const { tangents } = diffeqsolveJvp(opts(args, [1, 0]), { args: { a: 0, b: 0, s: 1 } });
    const ds = tangents[0]![0]! * bar[0]![0]! + tangents[0]![1]! * bar[0]![1]! + tangents[1]![0]! * bar[1]![0]! + tangents[1]![1]! * bar[1]![1]!;
    assert.ok(rel(ds, r[4]!) < tol, `jvp ${ds} vs vjp ${r[4]}`);
    if (!(makeController() instanceof ConstantStepSize)) {
      assert.ok(solution.stats.numRejectedSteps + solution.stats.numAcceptedSteps > 10);
      return;
    }
    const L = (a: P, y0: number[]): number => diffeqsolve(opts(a, y0)).ys.reduce((acc, row, k) => acc + row[0]! * bar[k]![0]! + row[1]! * bar[k]![1]!, 0);
    const h = 1e-6;
    const fd = [
      (L(args, [1 + h, 0]) - L(args, [1 - h, 0])) / (2 * h),
      (L({ ...args, s: args.s + h }, [1, 0]) - L({ ...args, s: args.s - h }, [1, 0])) / (2 * h),
    ];
    assert.ok(rel(r[0]!, fd[0]!) < 1e-6, `dy0: ${r[0]} vs differences ${fd[0]}`);
    assert.ok(rel(r[4]!, fd[1]!) < 1e-6, `ds: ${r[4]} vs differences ${fd[1]}`);
  });
}

test("gradients through an SDE solved by a method they do not differentiate are refused, naming the ones they do", () => {
  const bm = new VirtualBrownianTree({ t0: 0, t1: 1, tol: 1e-6, shape: 2, seed: 1 });
  const terms = new MultiTerm(new ODETerm(drift), new ControlTerm(diagonal, bm, { noise: "diagonal" }));
  assert.throws(
    () => diffeqsolveVjp({ terms, solver: new Milstein(), t0: 0, t1: 1, dt0: 0.1, y0: [1, 0], args, stepsizeController: new ConstantStepSize() }),
    /EulerMaruyama, EulerHeun and ReversibleHeun .*got Milstein/,
  );
  assert.throws(
    () => diffeqsolveVjp({ terms, solver: new EulerHeun(), t0: 0, t1: 1, dt0: 0.1, y0: [1, 0], args, stepsizeController: new ConstantStepSize(), adjoint: new BacksolveAdjoint() }),
    /the continuous adjoint is solved for ODEs; for SDEs use adjoint: new RecursiveCheckpointAdjoint\(\)/,
  );
});
