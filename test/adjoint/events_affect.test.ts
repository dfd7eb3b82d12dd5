// Gradients through events that change the state: a bouncing ball (a continuous event with an
// affect, its time moving with the inputs), repeated oral doses (scheduled events, the dose amount
// a parameter and the dose times inputs of their own) and a discrete callback. Each adjoint is
// checked against the closed form, the discrete adjoint against forward mode to 1e-10 (the same
// discretisation) and against central differences of the solve.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  BacksolveAdjoint, compile, ConstantStepSize, diffeqsolve, diffeqsolveJvp, diffeqsolveVjp, Event, ForwardSensitivity, ODETerm, PIDController,
  RecursiveCheckpointAdjoint, SaveAt, Tsit5, type Adjoint,
} from "../../src/index.js";

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.max(1e-300, Math.abs(b));
const close = (a: number, b: number, tol: number, what: string): void => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

// --- A bouncing ball: x' = v, v' = −g; at x = 0 going down, v ← −e v. -----------------------------
type Ball = { g: number; e: number };
const ball = compile((_t: number, y: Float64Array, a: Ball) => [y[1]!, -a.g], { args: { g: 0, e: 0 } });
const bounce = new Event({ cond: (_t, y) => y[0]!, direction: "down", affect: (_t, y, a: Ball) => { y[1] = -a.e * y[1]!; } });
const T = 2;
/** x(T), v(T) after one bounce, in closed form. */
function ballAt(H: number, v0: number, g: number, e: number): [number, number] {
  const t1 = (v0 + Math.sqrt(v0 * v0 + 2 * g * H)) / g;
  const up = -e * (v0 - g * t1);
  const s = T - t1;
  return [up * s - 0.5 * g * s * s, up - g * s];
}
/** d(wx x(T) + wv v(T)) by central differences of the closed form (accurate to about 1e-10). */
function ballGradient(w: [number, number], p: number[]): number[] {
  const L = (q: number[]): number => {
    const [x, v] = ballAt(q[0]!, q[1]!, q[2]!, q[3]!);
    return w[0] * x + w[1] * v;
  };
  return p.map((_, k) => {
    const h = 1e-5 * Math.max(1, Math.abs(p[k]!));
    const a = p.slice();
    const b = p.slice();
    a[k]! += h;
    b[k]! -= h;
    return (L(a) - L(b)) / (2 * h);
  });
}
const H0 = 5;
const ballArgs = { g: 9.81, e: 0.8 };
const ballOptions = (adjoint?: Adjoint) => ({
  terms: new ODETerm(ball), solver: new Tsit5(), t0: 0, t1: T, y0: [H0, 0], args: ballArgs, event: bounce,
  stepsizeController: new PIDController({ rtol: 1e-11, atol: 1e-13 }), saveat: new SaveAt({ ts: [0.5, T] }),
  ...(adjoint !== undefined ? { adjoint } : {}),
});
const ballCases: [string, () => Adjoint, number][] = [
  ["RecursiveCheckpointAdjoint", () => new RecursiveCheckpointAdjoint({ checkpoints: 3 }), 1e-8],
  ["ForwardSensitivity", () => new ForwardSensitivity(), 1e-8],
  ["BacksolveAdjoint", () => new BacksolveAdjoint({ stepsizeController: new PIDController({ rtol: 1e-11, atol: 1e-13 }) }), 1e-7],
  ["BacksolveAdjoint (interpolated state)", () => new BacksolveAdjoint({ state: "interpolate", stepsizeController: new PIDController({ rtol: 1e-11, atol: 1e-13 }) }), 1e-7],
];
for (const [name, make, tol] of ballCases) {
  test(`${name}: through a bounce (continuous event with an affect), the bounce time moving with H, v0, g and e`, () => {
    const { solution, pullback } = diffeqsolveVjp(ballOptions(make()));
    assert.equal(solution.events.length, 1);
    const [x, v] = ballAt(H0, 0, ballArgs.g, ballArgs.e);
    assert.ok(Math.abs(solution.ys[1]![0]! - x) < 1e-9 && Math.abs(solution.ys[1]![1]! - v) < 1e-9);
    for (const w of [[1, 0], [0, 1]] as [number, number][]) {
      const gr = pullback([null, w]);
      const want = ballGradient(w, [H0, 0, ballArgs.g, ballArgs.e]);
      const got = [...(gr.y0 as number[]), (gr.args as Ball).g, (gr.args as Ball).e];
      got.forEach((gk, k) => close(gk, want[k]!, tol, `${name} w = ${w}, input ${k}`));
    }
    // A row before the bounce is the free fall: x(0.5) = H − g/8, dx/dg = −1/8, no dependence on e.
    const g05 = pullback([[1, 0], null]);
    close((g05.args as Ball).g, -0.125, 1e-9, "dx(0.5)/dg");
    close((g05.args as Ball).e, 0, 1e-9, "dx(0.5)/de");
  });
}

test("through a bounce: the discrete adjoint equals forward mode to 1e-10, and diffeqsolveJvp agrees", () => {
  const bar = [[0.3, -1], [1, 0.5]];
  const a = diffeqsolveVjp(ballOptions(new RecursiveCheckpointAdjoint())).pullback(bar);
  const f = diffeqsolveVjp(ballOptions(new ForwardSensitivity())).pullback(bar);
  const ga = [...(a.y0 as number[]), (a.args as Ball).g, (a.args as Ball).e];
  const gf = [...(f.y0 as number[]), (f.args as Ball).g, (f.args as Ball).e];
  ga.forEach((x, k) => assert.ok(rel(x, gf[k]!) < 1e-10, `input ${k}: ${x} vs ${gf[k]}`));
  const { tangents } = diffeqsolveJvp(ballOptions(), { args: { g: 0, e: 1 } });
  const dedT = tangents[0]![0]! * bar[0]![0]! + tangents[0]![1]! * bar[0]![1]! + tangents[1]![0]! * bar[1]![0]! + tangents[1]![1]! * bar[1]![1]!;
  assert.ok(rel(dedT, ga[3]!) < 1e-10, `jvp ${dedT} vs vjp ${ga[3]}`);
});

// --- Repeated oral doses: gut A' = −ka A, central C' = ka A − ke C, A += D at each dose time. ----------
type PK = { ka: number; ke: number; D: number };
const pk = compile((_t: number, y: Float64Array, a: PK) => [-a.ka * y[0]!, a.ka * y[0]! - a.ke * y[1]!], { args: { ka: 0, ke: 0, D: 0 } });
const DOSES = [0, 4, 8, 12];
const dose = (times: number[] = DOSES) => new Event({ times, affect: (_t, y, a: PK) => { y[0] = y[0]! + a.D; } });
const pkArgs = { ka: 1.2, ke: 0.25, D: 100 };
// t = 12 is a dose time: its row is the state after the dose (the concentration itself is continuous).
const OBS = [1, 3, 4.5, 6, 10, 12, 16];
/** The central amount at t in closed form: Σ over past doses of D ka/(ka − ke) (e^{−ke s} − e^{−ka s}). */
function central(t: number, ka: number, ke: number, D: number, times: number[]): number {
  let c = 0;
  for (const tau of times) {
    const s = t - tau;
    if (s > 0) c += ((D * ka) / (ka - ke)) * (Math.exp(-ke * s) - Math.exp(-ka * s));
  }
  return c;
}
const pkLoss = (q: number[]): number => OBS.reduce((acc, t, i) => acc + (i + 1) * central(t, q[0]!, q[1]!, q[2]!, q.slice(3)), 0);
const pkOptions = (adjoint?: Adjoint, times?: number[]) => ({
  terms: new ODETerm(pk), solver: new Tsit5(), t0: 0, t1: 16, y0: [0, 0], args: pkArgs, event: dose(times),
  stepsizeController: new PIDController({ rtol: 1e-11, atol: 1e-11 }), saveat: new SaveAt({ t0: true, ts: OBS }),
  ...(adjoint !== undefined ? { adjoint } : {}),
});
const pkBar = [[1, 0], ...OBS.map((_, i) => [0, i + 1])];

test("the dose model matches its closed form", () => {
  const sol = diffeqsolve(pkOptions());
  assert.deepEqual(Array.from(sol.ys[0]!), [0, 0]); // saved at t0 before the dose at t0
  OBS.forEach((t, i) => close(sol.ys[i + 1]![1]!, central(t, pkArgs.ka, pkArgs.ke, pkArgs.D, DOSES), 1e-9, `C(${t})`));
  assert.equal(sol.events.length, DOSES.length);
});

const pkCases: [string, () => Adjoint, number][] = [
  ["RecursiveCheckpointAdjoint", () => new RecursiveCheckpointAdjoint(), 1e-8],
  ["ForwardSensitivity", () => new ForwardSensitivity(), 1e-8],
  ["BacksolveAdjoint", () => new BacksolveAdjoint({ stepsizeController: new PIDController({ rtol: 1e-11, atol: 1e-11 }) }), 1e-7],
];
for (const [name, make, tol] of pkCases) {
  test(`${name}: through scheduled doses: the dose amount, the rates and (reverse modes) the dose times`, () => {
    const { pullback } = diffeqsolveVjp(pkOptions(make()));
    const gr = pullback(pkBar);
    const q = [pkArgs.ka, pkArgs.ke, pkArgs.D, ...DOSES];
    const want = q.map((_, k) => {
      const h = 1e-6 * Math.max(1, Math.abs(q[k]!));
      const a = q.slice();
      const b = q.slice();
      a[k]! += h;
      b[k]! -= h;
      return (pkLoss(a) - pkLoss(b)) / (2 * h);
    });
    const args = gr.args as PK;
    close(args.ka, want[0]!, tol, "dL/dka");
    close(args.ke, want[1]!, tol, "dL/dke");
    close(args.D, want[2]!, tol, "dL/dD");
    // y0 enters before the dose at t0: dL/dy0[0] is the row at t0 plus the response to a unit gut amount at t0.
    const y0 = gr.y0 as number[];
    const unit = OBS.reduce((acc, t, i) => acc + (i + 1) * central(t, pkArgs.ka, pkArgs.ke, 1, [0]), 0);
    close(y0[0]!, 1 + unit, tol, "dL/dy0[0]");
    if (gr.eventTimes !== undefined) {
      assert.equal(gr.eventTimes.length, DOSES.length);
      // The doses at t0 and at 12 fall on a saved row: the loss has a kink there (the row is after the dose
      // but would be before it if the dose moved later), where the saltation gives the one-sided derivative.
      for (let k = 1; k <= 2; k++) close(gr.eventTimes[k]!, want[3 + k]!, tol, `dL/dtau${k}`);
    } else assert.equal(name, "ForwardSensitivity");
  });
}

test("through doses: the discrete adjoint equals forward mode to 1e-10; the dose-time gradient matches differences of the solve", () => {
  const a = diffeqsolveVjp(pkOptions(new RecursiveCheckpointAdjoint({ checkpoints: 4 })));
  const ga = a.pullback(pkBar);
  const gf = diffeqsolveVjp(pkOptions(new ForwardSensitivity())).pullback(pkBar);
  for (const k of ["ka", "ke", "D"] as const) assert.ok(rel((ga.args as PK)[k], (gf.args as PK)[k]) < 1e-10, `${k}: ${(ga.args as PK)[k]} vs ${(gf.args as PK)[k]}`);
  (ga.y0 as number[]).forEach((x, j) => assert.ok(rel(x, (gf.y0 as number[])[j]!) < 1e-10, `y0[${j}]`));
  // A second pullback (checkpoints recomputed from y0 through the doses) gives the same numbers.
  const again = a.pullback(pkBar);
  assert.deepEqual(Array.from(again.eventTimes!), Array.from(ga.eventTimes!));
  assert.equal((again.args as PK).D, (ga.args as PK).D);
  // Moving the dose at t = 8 in the solve itself.
  const L = (tau: number): number => {
    const sol = diffeqsolve(pkOptions(undefined, [0, 4, tau, 12]));
    return sol.ys.reduce((acc, row, r) => acc + row[0]! * pkBar[r]![0]! + row[1]! * pkBar[r]![1]!, 0);
  };
  const fd = (L(8 + 1e-5) - L(8 - 1e-5)) / 2e-5;
  close(ga.eventTimes![2]!, fd, 1e-6, "dL/dtau2 vs differences of the solve");
});

// --- A discrete callback on fixed steps: whenever y[0] < 0.5 at a step end, y[0] += c. ----------------
type Decay = { k: number; c: number };
const decay = compile((t: number, y: Float64Array, a: Decay) => [-a.k * y[0]! + 0.1 * Math.sin(t) * y[1]!, -0.3 * y[1]! + a.k * y[0]!], { args: { k: 0, c: 0 } });
const refill = new Event({ cond: (_t, y) => y[0]! < 0.5, discrete: true, affect: (_t, y, a: Decay) => { y[0] = y[0]! + a.c * y[1]!; } });
const decayOptions = (args: Decay, y0: number[], adjoint?: Adjoint) => ({
  terms: new ODETerm(decay), solver: new Tsit5(), t0: 0, t1: 6, dt0: 0.05, y0, args, event: refill,
  stepsizeController: new ConstantStepSize(), saveat: new SaveAt({ ts: [2, 4, 6] }), ...(adjoint !== undefined ? { adjoint } : {}),
});
test("through a discrete callback on fixed steps: discrete adjoint = forward mode (1e-10) = central differences (1e-6)", () => {
  const args = { k: 0.9, c: 0.7 };
  const y0 = [1, 0.4];
  const bar = [[1, 0], [0.5, 1], [-1, 2]];
  const { solution, pullback } = diffeqsolveVjp(decayOptions(args, y0, new RecursiveCheckpointAdjoint({ checkpoints: 5 })));
  assert.ok(solution.events.length >= 2, `${solution.events.length} refills`);
  const ga = pullback(bar);
  const gf = diffeqsolveVjp(decayOptions(args, y0, new ForwardSensitivity())).pullback(bar);
  const L = (a: Decay, y: number[]): number => diffeqsolve(decayOptions(a, y)).ys.reduce((acc, row, r) => acc + row[0]! * bar[r]![0]! + row[1]! * bar[r]![1]!, 0);
  const h = 1e-6;
  const fd = [
    (L(args, [y0[0]! + h, y0[1]!]) - L(args, [y0[0]! - h, y0[1]!])) / (2 * h),
    (L(args, [y0[0]!, y0[1]! + h]) - L(args, [y0[0]!, y0[1]! - h])) / (2 * h),
    (L({ ...args, k: args.k + h }, y0) - L({ ...args, k: args.k - h }, y0)) / (2 * h),
    (L({ ...args, c: args.c + h }, y0) - L({ ...args, c: args.c - h }, y0)) / (2 * h),
  ];
  const va = [...(ga.y0 as number[]), (ga.args as Decay).k, (ga.args as Decay).c];
  const vf = [...(gf.y0 as number[]), (gf.args as Decay).k, (gf.args as Decay).c];
  va.forEach((x, i) => {
    assert.ok(rel(x, vf[i]!) < 1e-10, `input ${i}: ${x} vs forward ${vf[i]}`);
    assert.ok(rel(x, fd[i]!) < 1e-6, `input ${i}: ${x} vs differences ${fd[i]}`);
  });
});

test("a continuous event with an affect whose condition is a boolean is refused with a message naming it", () => {
  assert.throws(
    () => diffeqsolveVjp({ ...ballOptions(), event: new Event({ cond: (_t, y) => y[0]! > 1, direction: "down", affect: (_t, y) => { y[1] = -y[1]!; } }) }),
    /event 0 changes the solve \(an affect, or terminal\) and its `cond` returns a boolean/,
  );
});
