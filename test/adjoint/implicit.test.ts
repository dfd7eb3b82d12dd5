import { test } from "node:test";
import assert from "node:assert/strict";
import {
  BDF, compile, ConstantStepSize, diffeqsolve, diffeqsolveVjp, Event, ImplicitEuler, KenCarp3, KenCarp4, KenCarp5, Kvaerno3, Kvaerno4, Kvaerno5,
  MultiTerm, ODETerm, PIDController, RadauIIA5, RecursiveCheckpointAdjoint, Rodas5P, Rosenbrock23, SaveAt, StepTo, type AbstractSolver,
} from "../../src/index.js";
import { validate } from "../../src/integrate.js";
import { discreteTangent } from "../../src/adjoint/discrete_tangent.js";

// Van der Pol with a forcing term (so that ∂f/∂t enters Rosenbrock steps), stiff enough for mu = 5.
type VdpArgs = { mu: number; w: number };
const vdp = compile((t: number, y: Float64Array, a: VdpArgs, dy: Float64Array) => {
  dy[0] = y[1]!;
  dy[1] = a.mu * ((1 - y[0]! * y[0]!) * y[1]! - y[0]!) + Math.sin(a.w * t);
}, { args: { mu: 0, w: 0 } });
// The same split for the IMEX methods: the oscillator and forcing explicit, the damping implicit.
const vdpE = compile((t: number, y: Float64Array, a: VdpArgs, dy: Float64Array) => { dy[0] = y[1]!; dy[1] = Math.sin(a.w * t); }, { args: { mu: 0, w: 0 } });
const vdpI = compile((_t: number, y: Float64Array, a: VdpArgs, dy: Float64Array) => { dy[0] = 0; dy[1] = a.mu * ((1 - y[0]! * y[0]!) * y[1]! - y[0]!); }, { args: { mu: 0, w: 0 } });
const VDP_ARGS: VdpArgs = { mu: 5, w: 0.5 };

// Robertson with the conservation law as an algebraic equation: M = diag(1, 1, 0).
type RoberArgs = { k1: number; k2: number; k3: number };
const roberDae = compile((_t: number, y: Float64Array, a: RoberArgs, dy: Float64Array) => {
  dy[0] = -a.k1 * y[0]! + a.k3 * y[1]! * y[2]!;
  dy[1] = a.k1 * y[0]! - a.k3 * y[1]! * y[2]! - a.k2 * y[1]! * y[1]!;
  dy[2] = y[0]! + y[1]! + y[2]! - 1;
}, { args: { k1: 0, k2: 0, k3: 0 } });
const MASS = [[1, 0, 0], [0, 1, 0], [0, 0, 0]];
const ROBER_ARGS: RoberArgs = { k1: 0.04, k2: 3e7, k3: 1e4 };

const ONE_STEP: (() => AbstractSolver<any>)[] = [
  () => new Rosenbrock23(), () => new Rodas5P(), () => new ImplicitEuler(), () => new Kvaerno3(), () => new Kvaerno4(), () => new Kvaerno5(), () => new BDF(), () => new RadauIIA5(),
];
const IMEX: (() => AbstractSolver<any>)[] = [() => new KenCarp3(), () => new KenCarp4(), () => new KenCarp5()];

function vdpProblem(solver: AbstractSolver<any>, extra: Record<string, unknown>) {
  const imex = solver.name.startsWith("KenCarp");
  return { terms: imex ? new MultiTerm(new ODETerm(vdpE), new ODETerm(vdpI)) : new ODETerm(vdp), solver, t0: 0, t1: 1, y0: [2, 0], args: VDP_ARGS, ...extra };
}

/** ⟨ȳ_N, ẏ_N⟩ from the discrete forward mode and ⟨ȳ0, ẏ0⟩ + ⟨p̄, ṗ⟩ from the pullback. */
function dotProducts(options: Record<string, unknown>, bar: number[], y0Dot: number[], pDot: number[]): [number, number] {
  const { pullback } = diffeqsolveVjp({ ...options, saveat: new SaveAt({ t1: true }) } as never);
  const g = pullback([bar]);
  const { tangents } = discreteTangent(validate({ ...options, saveat: new SaveAt({ t1: true }) } as never), options.args, y0Dot, pDot);
  const last = tangents[tangents.length - 1]!;
  const forward = bar.reduce((s, b, j) => s + b * last[j]!, 0);
  const gy = g.y0 as number[];
  const ga = Object.values(g.args as Record<string, number>);
  const reverse = y0Dot.reduce((s, d, j) => s + d * gy[j]!, 0) + pDot.reduce((s, d, k) => s + d * ga[k]!, 0);
  return [forward, reverse];
}

test("every implicit step adjoint is the transpose of the discrete forward mode of the converged stage equations (1e-10), mass-matrix DAEs included", () => {
  for (const make of [...ONE_STEP, ...IMEX]) {
    const solver = make();
    const rtol = solver.name === "ImplicitEuler" ? 1e-4 : 1e-6;
    const [fwd, rev] = dotProducts(vdpProblem(solver, { stepsizeController: new PIDController({ rtol, atol: rtol }) }), [0.7, -1.3], [0.3, -0.2], [0.5, 1.5]);
    assert.ok(Math.abs(fwd - rev) <= 1e-10 * Math.abs(fwd), `${solver.name}: ${fwd} vs ${rev}`);
  }
  for (const make of [() => new Rodas5P({ massMatrix: MASS }), () => new Kvaerno4({ massMatrix: MASS }), () => new BDF({ massMatrix: MASS }), () => new RadauIIA5({ massMatrix: MASS })]) {
    const solver = make();
    const options = { terms: new ODETerm(roberDae), solver, t0: 0, t1: 10, y0: [1, 0, 0], args: ROBER_ARGS, stepsizeController: new PIDController({ rtol: 1e-6, atol: 1e-10 }) };
    const [fwd, rev] = dotProducts(options, [0.7, -1.3, 2], [0.3, -0.2, -0.1], [0.5, 1e5, 1e2]);
    assert.ok(Math.abs(fwd - rev) <= 1e-10 * Math.abs(fwd), `${solver.name} (DAE): ${fwd} vs ${rev}`);
  }
});

/** Max relative difference of the pullback's gradient from central differences of the loss ⟨bar, ys⟩ (y0 too unless `argsOnly`). */
function fdError(options: Record<string, any>, bar: number[][], names: string[], argsOnly = false): number {
  const { pullback } = diffeqsolveVjp(options as never);
  const g = pullback(bar);
  const loss = (o: Record<string, any>) => diffeqsolve(o as never).ys.reduce((s: number, row: ArrayLike<number>, r: number) => s + bar[r]!.reduce((a, b, j) => a + b * row[j]!, 0), 0);
  const d = 1e-5;
  const ad: number[] = [];
  const fd: number[] = [];
  if (!argsOnly) options.y0.forEach((_: number, j: number) => {
    const yp = [...options.y0];
    const ym = [...options.y0];
    yp[j] += d;
    ym[j] -= d;
    fd.push((loss({ ...options, y0: yp }) - loss({ ...options, y0: ym })) / (2 * d));
    ad.push((g.y0 as number[])[j]!);
  });
  for (const k of names) {
    const h = d * Math.max(1, Math.abs(options.args[k]));
    fd.push((loss({ ...options, args: { ...options.args, [k]: options.args[k] + h } }) - loss({ ...options, args: { ...options.args, [k]: options.args[k] - h } })) / (2 * h));
    ad.push((g.args as Record<string, number>)[k]!);
  }
  const scale = Math.max(...fd.map(Math.abs));
  return Math.max(...ad.map((x, i) => Math.abs(x - fd[i]!) / Math.max(Math.abs(fd[i]!), 1e-3 * scale)));
}

test("implicit adjoints agree with central differences of the same fixed-step solves, outputs inside steps included (1e-6)", () => {
  const ts = [0.33, 0.71, 1];
  const bar = [[1, 0.5], [-0.3, 2], [0.7, -1.3]];
  for (const make of [...ONE_STEP, ...IMEX]) {
    const solver = make();
    const options = vdpProblem(solver, { dt0: solver.name === "BDF" ? 1 / 256 : 1 / 64, stepsizeController: new ConstantStepSize(), saveat: new SaveAt({ ts }) });
    const err = fdError(options, bar, ["mu", "w"]);
    assert.ok(err < 1e-6, `${solver.name}: ${err}`);
  }
  for (const make of [() => new Rodas5P({ massMatrix: MASS }), () => new Kvaerno3({ massMatrix: MASS }), () => new BDF({ massMatrix: MASS }), () => new RadauIIA5({ massMatrix: MASS })]) {
    const solver = make();
    // The steps an adaptive solve takes, then fixed; the initial values stay consistent.
    const base = { terms: new ODETerm(roberDae), solver, t0: 0, t1: 1, y0: [1, 0, 0], args: ROBER_ARGS };
    const grid = [0, ...diffeqsolve({ ...base, stepsizeController: new PIDController({ rtol: 1e-6, atol: 1e-10 }), saveat: new SaveAt({ steps: true }) }).ts];
    const options = { ...base, stepsizeController: new StepTo({ ts: grid }), saveat: new SaveAt({ ts: [0.4, 1] }) };
    const err = fdError(options, [[1, 1e4, 0.5], [-1, 2e4, 1]], ["k1", "k2", "k3"], true);
    assert.ok(err < 1e-6, `${solver.name} (DAE): ${err}`);
  }
});

// Robertson's kinetics as an ODE.
const rober = compile((_t: number, y: Float64Array, a: RoberArgs, dy: Float64Array) => {
  dy[0] = -a.k1 * y[0]! + a.k3 * y[1]! * y[2]!;
  dy[1] = a.k1 * y[0]! - a.k3 * y[1]! * y[2]! - a.k2 * y[1]! * y[1]!;
  dy[2] = a.k2 * y[1]! * y[1]!;
}, { args: { k1: 0, k2: 0, k3: 0 } });

/*
 * Independent reference (from the equations, not a solver): once B is in quasi-steady state and
 * C ≈ 1, y1 ≈ k3² / (k1² k2 t) and y2 ≈ k3 / (k1 k2 t), so at t = 1e11 the logarithmic
 * sensitivities of y1 are (−2, −1, +2) and those of y2 (−1, −1, +1) with respect to (k1, k2, k3).
 */
test("Robertson to t = 1e11: the discrete adjoints of Rodas5P, BDF, Kvaerno5 and RadauIIA5 give the quasi-steady-state logarithmic sensitivities", () => {
  const expected = [[-2, -1, 2], [-1, -1, 1]];
  for (const solver of [new Rodas5P(), new BDF(), new Kvaerno5(), new RadauIIA5()]) {
    const { solution, pullback } = diffeqsolveVjp({
      terms: new ODETerm(rober), solver, t0: 0, t1: 1e11, y0: [1, 0, 0], args: ROBER_ARGS,
      stepsizeController: new PIDController({ rtol: 1e-8, atol: Float64Array.of(1e-12, 1e-18, 1e-12) }),
    });
    for (let i = 0; i < 2; i++) {
      const g = pullback([[0, 1, 2].map((j) => (j === i ? 1 : 0))]).args as RoberArgs;
      const s = (["k1", "k2", "k3"] as const).map((k) => (g[k] * ROBER_ARGS[k]) / solution.ys[0]![i]!);
      s.forEach((x, p) => assert.ok(Math.abs(x - expected[i]![p]!) < 2e-3, `${solver.name}: y${i + 1} k${p + 1}: ${x}`));
    }
  }
});

test("a terminating event through implicit solvers: the landing speed's derivative in the launch height matches the closed form", () => {
  // Thrown up at v from height h under gravity g: landing at T = (v + √(v² + 2gh))/g with speed
  // u = v − gT, so du/dh = −g/√(v² + 2gh) and dT enters through the event condition.
  const g = 9.81, h = 2, v = 20;
  const fall = compile((_t: number, y: Float64Array, a: { g: number }, dy: Float64Array) => { dy[0] = y[1]!; dy[1] = -a.g; }, { args: { g: 0 } });
  const solvers = [new Rosenbrock23(), new Rodas5P(), new Kvaerno4(), new BDF(), new RadauIIA5()];
  for (const solver of solvers) {
    const { solution, pullback } = diffeqsolveVjp({
      terms: new ODETerm(fall), solver, t0: 0, t1: 100, y0: [h, v], args: { g },
      event: new Event({ cond: (_t, y) => y[0]!, direction: "down", terminal: true }),
      stepsizeController: new PIDController({ rtol: 1e-9, atol: 1e-9 }),
    });
    const grads = pullback([[0, 1]]);
    assert.ok(Math.abs(solution.tFinal - (v + Math.sqrt(v * v + 2 * g * h)) / g) < 1e-6, `${solver.name}: T = ${solution.tFinal}`);
    const dudh = -g / Math.sqrt(v * v + 2 * g * h);
    assert.ok(Math.abs((grads.y0 as number[])[0]! - dudh) < 1e-6, `${solver.name}: du/dh ${(grads.y0 as number[])[0]} vs ${dudh}`);
  }
});

test("checkpointing implicit solves: a fixed budget (BDF's whole history in each checkpoint) gives the keep-every-step gradient, within its memory bound", () => {
  const adaptive = { stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-8 }), saveat: new SaveAt({ ts: [0.5, 1] }) };
  // Fixed steps: the step count is known, and revolve places the checkpoints.
  const fixed = { dt0: 1 / 256, stepsizeController: new ConstantStepSize(), saveat: new SaveAt({ ts: [0.5, 1] }) };
  // Jumps restart BDF's history (D_1 = h f(t, y) again): recomputation must restart it too.
  const jumps = { stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-8, jumpTs: [0.3, 0.7] }), saveat: new SaveAt({ ts: [0.5, 1] }) };
  for (const [solver, extra] of [[new BDF(), adaptive], [new BDF(), fixed], [new BDF(), jumps], [new RadauIIA5(), adaptive], [new Rodas5P(), adaptive]] as const) {
    const options = vdpProblem(solver, extra);
    const bar = [[1, -1], [0.5, 2]];
    const all = diffeqsolveVjp(options as never).pullback(bar);
    for (const c of [1, 3]) {
      const { pullback } = diffeqsolveVjp({ ...options, adjoint: new RecursiveCheckpointAdjoint({ checkpoints: c }) } as never);
      for (const call of [1, 2]) {
        const g = pullback(bar);
        assert.ok(g.stats.peakCheckpoints <= c && g.stats.numRecomputedSteps > 0, `${solver.name} c=${c}: ${JSON.stringify(g.stats)}`);
        // Recomputed states solve the stage equations exactly; the forward solve's to its Newton tolerance.
        const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
        (g.y0 as number[]).forEach((x, j) => assert.ok(rel(x, (all.y0 as number[])[j]!) < 1e-8, `${solver.name} c=${c} call ${call}: y0[${j}]`));
        const ga = g.args as VdpArgs, aa = all.args as VdpArgs;
        assert.ok(rel(ga.mu, aa.mu) < 1e-8 && rel(ga.w, aa.w) < 1e-8, `${solver.name} c=${c} call ${call}: args`);
      }
    }
  }
});

test("without derivatives from compile, the implicit adjoints fall back to finite differences (VJPs, Jacobians, Rosenbrock's second derivatives) and agree to 1e-5", () => {
  const plain = (t: number, y: Float64Array, a: VdpArgs, dy: Float64Array) => {
    dy[0] = y[1]!;
    dy[1] = a.mu * ((1 - y[0]! * y[0]!) * y[1]! - y[0]!) + Math.sin(a.w * t);
  };
  for (const make of [() => new Rosenbrock23(), () => new Rodas5P(), () => new Kvaerno5(), () => new BDF(), () => new RadauIIA5()]) {
    const grad = (vf: unknown) => {
      const { pullback } = diffeqsolveVjp({
        terms: new ODETerm(vf as never), solver: make(), t0: 0, t1: 1, y0: [2, 0], args: VDP_ARGS,
        stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-8 }),
      });
      const g = pullback([[1, 0.3]]);
      return [...(g.y0 as number[]), (g.args as VdpArgs).mu, (g.args as VdpArgs).w];
    };
    const exact = grad(vdp);
    const approx = grad(plain);
    exact.forEach((x, i) => assert.ok(Math.abs(approx[i]! - x) <= 1e-5 * Math.abs(x), `${make().name}[${i}]: ${approx[i]} vs ${x}`));
  }
});
