/**
 * Symplectic and partitioned integrators: convergence orders against closed forms (Kepler's
 * equation, a forced oscillator), the properties that make them worth using (bounded energy
 * error without drift, exact conservation of angular momentum, symmetry), and their errors.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ConstantStepSize, diffeqsolve, KahanLi8, LeapfrogMidpoint, McAte4, McAte5, ODETerm, PartitionedTerm, PIDController, SaveAt, SecondOrderTerm,
  SemiImplicitEuler, type SplittingMethod, Tsit5, Vern9, VelocityVerlet, Yoshida4, Yoshida6, defineSplitting, type AbstractSolver,
} from "../../src/index.js";
import { hermiteCubic } from "../../src/interpolation/hermite.js";
import { kepler, outerSolarSystem } from "../../examples/problems.js";

const K = kepler(0.6);
const keplerTerm = new PartitionedTerm(K.first, K.second);
const keplerSecondOrder = new SecondOrderTerm((t, q, v, args, a) => K.second(t, q, args, a));

/** Least-squares slope of log err against log N (the convergence order for dt ∝ 1/N). */
function slope(Ns: readonly number[], errs: readonly number[]): number {
  const xs = Ns.map(Math.log), ys = errs.map((e) => -Math.log(e));
  const mx = xs.reduce((a, b) => a + b) / xs.length, my = ys.reduce((a, b) => a + b) / ys.length;
  let num = 0, den = 0;
  for (let i = 0; i < xs.length; i++) { num += (xs[i]! - mx) * (ys[i]! - my); den += (xs[i]! - mx) ** 2; }
  return num / den;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

// A third of an orbit of Kepler's e = 0.6 orbit (through the pericentre passage, not a period,
// where errors could cancel), in ranges of N where the leading error term dominates and the error
// is well above round-off.
const T3 = K.period / 3;
const orders: [string, () => AbstractSolver, number, number[]][] = [
  ["SemiImplicitEuler", () => new SemiImplicitEuler(), 1, [200, 400, 800, 1600]],
  ["VelocityVerlet", () => new VelocityVerlet(), 2, [200, 400, 800, 1600]],
  ["LeapfrogMidpoint", () => new LeapfrogMidpoint(), 2, [200, 400, 800, 1600]],
  ["Yoshida4", () => new Yoshida4(), 4, [50, 100, 200, 400]],
  ["McAte4", () => new McAte4(), 4, [25, 50, 100, 200]],
  // McAte5's optimised leading term is small: the slope climbs to 5 only as round-off arrives (in
  // 40-digit arithmetic 4.84, 4.93, 4.96 on doubling N from 400 to 3200); this is its last clean range.
  ["McAte5", () => new McAte5(), 5, [283, 400, 566, 800]],
  ["Yoshida6", () => new Yoshida6(), 6, [40, 80, 160, 320]],
  ["KahanLi8", () => new KahanLi8(), 8, [16, 23, 32, 45, 64]],
];
for (const [name, make, order, Ns] of orders) {
  test(`${name} converges with order ${order} on the Kepler problem (e = 0.6) against Kepler's equation`, () => {
    const exact = K.exact(T3);
    const errs = Ns.map((N) => {
      const sol = diffeqsolve({ terms: keplerTerm, solver: make(), t0: 0, t1: T3, dt0: T3 / N, y0: K.y0, stepsizeController: new ConstantStepSize() });
      return maxDiff(sol.ys[0]!, exact);
    });
    const p = slope(Ns, errs);
    assert.ok(Math.abs(p - order) <= 0.25, `${name}: slope ${p.toFixed(3)}, errors ${errs.map((e) => e.toExponential(2)).join(", ")}`);
  });
}

test("a SecondOrderTerm gives the same steps as the PartitionedTerm q′ = p, p′ = a(q) (bit for bit)", () => {
  for (const solver of [new VelocityVerlet(), new Yoshida4(), new McAte4(), new McAte5()]) {
    const a = diffeqsolve({ terms: keplerTerm, solver, t0: 0, t1: 3, dt0: 0.01, y0: K.y0, stepsizeController: new ConstantStepSize() });
    const b = diffeqsolve({ terms: keplerSecondOrder, solver, t0: 0, t1: 3, dt0: 0.01, y0: K.y0, stepsizeController: new ConstantStepSize() });
    assert.deepEqual(Array.from(a.ys[0]!), Array.from(b.ys[0]!), solver.name);
  }
});

test("time-dependent force: Yoshida4 and VelocityVerlet keep their order on q″ = −q + cos 2t (kicks see the drifts' time)", () => {
  // q(0) = 1, v(0) = 0: q = (4/3) cos t − (1/3) cos 2t, v = −(4/3) sin t + (2/3) sin 2t.
  const term = new SecondOrderTerm((t, q, v, args, a) => { a[0] = -q[0]! + Math.cos(2 * t); });
  const t1 = 3;
  const exact = [(4 / 3) * Math.cos(t1) - Math.cos(2 * t1) / 3, -(4 / 3) * Math.sin(t1) + (2 / 3) * Math.sin(2 * t1)];
  for (const [solver, order, Ns] of [[new VelocityVerlet(), 2, [50, 100, 200, 400]], [new Yoshida4(), 4, [20, 40, 80, 160]]] as const) {
    const errs = Ns.map((N) => maxDiff(diffeqsolve({ terms: term, solver, t0: 0, t1, dt0: t1 / N, y0: [1, 0], stepsizeController: new ConstantStepSize() }).ys[0]!, exact));
    const p = slope(Ns, errs);
    assert.ok(Math.abs(p - order) <= 0.25, `${solver.name}: slope ${p.toFixed(3)}, errors ${errs.map((e) => e.toExponential(2)).join(", ")}`);
  }
});

test("McAte4 is order 4 only for quadratic kinetic energy (order 3 for T = p⁴/4 + p²/2, as documented); Yoshida4 stays order 4", () => {
  // No closed form: successive differences E|y_h − y_{h/2}| have the order of the error itself.
  const term = new PartitionedTerm((t, p, a, dq) => { dq[0] = p[0]! ** 3 + p[0]!; }, (t, q, a, dp) => { dp[0] = -Math.sin(q[0]!); });
  for (const [solver, order] of [[new McAte4(), 3], [new Yoshida4(), 4]] as const) {
    const Ns = [40, 80, 160, 320, 640];
    const ys = Ns.map((N) => diffeqsolve({ terms: term, solver, t0: 0, t1: 5, dt0: 5 / N, y0: [0.5, 0.8], stepsizeController: new ConstantStepSize() }).ys[0]!);
    const diffs = ys.slice(1).map((y, i) => maxDiff(y, ys[i]!));
    const p = slope(Ns.slice(0, -1), diffs);
    assert.ok(Math.abs(p - order) <= 0.25, `${solver.name}: slope ${p.toFixed(3)}`);
  }
});

test("McAte5: its coefficients are consistent (Σaᵢ = Σbᵢ = 1), order 5 on q″ = −q + cos 2t, and order 3 for T = p⁴/4 + p²/2", () => {
  const { drift, kick, stages } = new McAte5().splitting;
  assert.equal(stages, 7);
  assert.ok(Math.abs(drift.reduce((a, b) => a + b) - 1) < 1e-15 && Math.abs(kick.reduce((a, b) => a + b) - 1) < 1e-15);
  // Kick first, then drift, six times: the first drift and the last kick are zero.
  assert.equal(drift[0], 0);
  assert.equal(kick[6], 0);
  // The forced oscillator of the test above (a time-dependent force, closed form).
  const term = new SecondOrderTerm((t, q, v, args, a) => { a[0] = -q[0]! + Math.cos(2 * t); });
  const t1 = 3, Ns = [10, 20, 40, 80];
  const exact = [(4 / 3) * Math.cos(t1) - Math.cos(2 * t1) / 3, -(4 / 3) * Math.sin(t1) + (2 / 3) * Math.sin(2 * t1)];
  const errs = Ns.map((N) => maxDiff(diffeqsolve({ terms: term, solver: new McAte5(), t0: 0, t1, dt0: t1 / N, y0: [1, 0], stepsizeController: new ConstantStepSize() }).ys[0]!, exact));
  const p = slope(Ns, errs);
  assert.ok(Math.abs(p - 5) <= 0.25, `McAte5: slope ${p.toFixed(3)}, errors ${errs.map((e) => e.toExponential(2)).join(", ")}`);
  // Quartic kinetic energy: successive differences, as for McAte4 above.
  const quartic = new PartitionedTerm((t, p, a, dq) => { dq[0] = p[0]! ** 3 + p[0]!; }, (t, q, a, dp) => { dp[0] = -Math.sin(q[0]!); });
  const Nq = [160, 320, 640, 1280];
  const ys = Nq.map((N) => diffeqsolve({ terms: quartic, solver: new McAte5(), t0: 0, t1: 5, dt0: 5 / N, y0: [0.5, 0.8], stepsizeController: new ConstantStepSize() }).ys[0]!);
  const pq = slope(Nq.slice(0, -1), ys.slice(1).map((y, i) => maxDiff(y, ys[i]!)));
  assert.ok(Math.abs(pq - 3) <= 0.25, `McAte5, quartic T: slope ${pq.toFixed(3)}`);
});

test("McAte5 is more accurate than McAte4 and Yoshida6 for the same number of force evaluations (Kepler e = 0.6, a third of an orbit)", () => {
  // 1680 force evaluations each: 6, 4 and 7 per step.
  const exact = K.exact(T3);
  const err = (solver: AbstractSolver, N: number) =>
    maxDiff(diffeqsolve({ terms: keplerTerm, solver, t0: 0, t1: T3, dt0: T3 / N, y0: K.y0, stepsizeController: new ConstantStepSize() }).ys[0]!, exact);
  const e5 = err(new McAte5(), 280), e4 = err(new McAte4(), 420), e6 = err(new Yoshida6(), 240);
  assert.ok(e5 < e4 / 10 && e5 < e6 / 10, `McAte5 ${e5.toExponential(2)}, McAte4 ${e4.toExponential(2)}, Yoshida6 ${e6.toExponential(2)}`);
});

test("dense output: the cubic Hermite interpolant is exact for cubics and errs by h⁴θ²(1 − θ)² on t⁴", () => {
  const h = 0.3, out = new Float64Array(1);
  for (const theta of [0.2, 0.5, 0.9]) {
    // y = t³ − t on [1, 1 + h]: y0, y1, f0, f1; and y = t⁴ on [0, h].
    const c = (t: number) => t ** 3 - t, dc = (t: number) => 3 * t * t - 1;
    hermiteCubic(Float64Array.of(c(1), c(1 + h), dc(1), dc(1 + h)), 0, 1, h, theta, false, out);
    assert.ok(Math.abs(out[0]! - c(1 + theta * h)) < 1e-15);
    hermiteCubic(Float64Array.of(c(1), c(1 + h), dc(1), dc(1 + h)), 0, 1, h, theta, true, out);
    assert.ok(Math.abs(out[0]! - dc(1 + theta * h)) < 1e-14);
    hermiteCubic(Float64Array.of(0, h ** 4, 0, 4 * h ** 3), 0, 1, h, theta, false, out);
    assert.ok(Math.abs((theta * h) ** 4 - out[0]! - h ** 4 * theta ** 2 * (1 - theta) ** 2) < 1e-16);
  }
});

test("dense output of a solve: SaveAt ts and sol.evaluate converge with the method's order (VelocityVerlet) and at least 4 (Yoshida6)", () => {
  for (const [solver, order, Ns] of [[new VelocityVerlet(), 2, [200, 400, 800]], [new Yoshida6(), 4, [100, 200, 400]]] as const) {
    const ts = [0.37 * T3, 0.61 * T3, 0.83 * T3];
    const errs = Ns.map((N) => {
      const sol = diffeqsolve({ terms: keplerTerm, solver, t0: 0, t1: T3, dt0: T3 / N, y0: K.y0, saveat: new SaveAt({ ts, dense: true }), stepsizeController: new ConstantStepSize() });
      let e = 0;
      ts.forEach((t, k) => { e = Math.max(e, maxDiff(sol.ys[k]!, K.exact(t)), maxDiff(sol.evaluate(t), K.exact(t))); });
      return e;
    });
    const p = slope(Ns, errs);
    assert.ok(order === 2 ? Math.abs(p - 2) <= 0.25 : p >= order - 0.25, `${solver.name}: dense slope ${p.toFixed(3)}, errors ${errs.map((e) => e.toExponential(2)).join(", ")}`);
  }
});

test("Kepler e = 0.6 over 2000 orbits: the symplectic energy error stays bounded while Tsit5's grows linearly", () => {
  const orbits = 2000;
  const t1 = orbits * K.period;
  const energyDrift = (solver: AbstractSolver, controller: ConstantStepSize | PIDController, dt0?: number) => {
    const sol = diffeqsolve({
      terms: keplerTerm, solver, t0: 0, t1, dt0, y0: K.y0, stepsizeController: controller, maxSteps: 10_000_000,
      saveat: new SaveAt({ steps: 499, fn: (t, y) => K.energy(y) }),
    });
    const err = sol.ys.map((r) => Math.abs(r[0]! + 0.5));
    const tenth = Math.floor(err.length / 10);
    return { first: Math.max(...err.slice(0, tenth)), last: Math.max(...err.slice(-tenth)), evals: sol.stats.numFnEvals };
  };
  for (const [solver, dt0] of [[new VelocityVerlet(), K.period / 100], [new Yoshida4(), K.period / 50], [new McAte5(), K.period / 50]] as const) {
    const { first, last } = energyDrift(solver, new ConstantStepSize(), dt0);
    // Bounded and without drift: the largest error of the last tenth is that of the first tenth.
    assert.ok(last < 1.05 * first && first < 0.05, `${solver.name}: max |H − H0| ${first.toExponential(2)} in the first tenth, ${last.toExponential(2)} in the last`);
  }
  const tsit = energyDrift(new Tsit5(), new PIDController({ rtol: 1e-7, atol: 1e-7 }));
  assert.ok(tsit.last > 5 * tsit.first, `Tsit5: ${tsit.first.toExponential(2)} in the first tenth, ${tsit.last.toExponential(2)} in the last`);
});

test("outer solar system (Hairer–Lubich–Wanner I.2.4): the data's osculating periods are Jupiter's and Saturn's published ones", () => {
  // Vis-viva from the initial heliocentric state: 1/a = 2/r − v²/μ, T = 2π √(a³/μ), μ = G(m₀ + mᵢ).
  // Sidereal periods (NASA planetary fact sheets): Jupiter 4332.59 days, Saturn 10759.22 days.
  const S = outerSolarSystem;
  for (const [i, published] of [[1, 4332.59], [2, 10759.22]] as const) {
    const mu = S.G * (S.masses[0]! + S.masses[i]!);
    const r = Math.hypot(...S.positions[i]!), v = Math.hypot(...S.velocities[i]!);
    const a = 1 / (2 / r - (v * v) / mu);
    const T = 2 * Math.PI * Math.sqrt((a * a * a) / mu);
    assert.ok(Math.abs(T / published - 1) < 5e-4, `${S.bodies[i]}: ${T} days`);
  }
});

test("outer solar system over 2·10⁶ days at fixed step: energy error bounded without drift (Tsit5's drifts), angular momentum exact", () => {
  const S = outerSolarSystem;
  const terms = new PartitionedTerm(S.first, S.second);
  const y0 = S.y0();
  const H0 = S.energy(y0), L0 = S.angularMomentum(y0);
  const norm = Math.hypot(...L0);
  const run = (solver: AbstractSolver, controller: ConstantStepSize | PIDController, dt0: number | undefined, t1: number) => {
    const sol = diffeqsolve({ terms, solver, t0: 0, t1, dt0, y0, stepsizeController: controller, saveat: new SaveAt({ steps: true }), maxSteps: 1e6 });
    const dH = sol.ys.map((y) => Math.abs(S.energy(y) / H0 - 1));
    let dL = 0;
    for (const y of sol.ys) {
      const L = S.angularMomentum(y);
      dL = Math.max(dL, Math.hypot(L[0]! - L0[0]!, L[1]! - L0[1]!, L[2]! - L0[2]!) / norm);
    }
    const tenth = Math.floor(dH.length / 10);
    return { first: Math.max(...dH.slice(0, tenth)), last: Math.max(...dH.slice(-tenth)), dL, final: sol.ys[sol.ys.length - 1]! };
  };
  // Störmer–Verlet at 200 days, as in the book's figure, and Yoshida4 at 100 days.
  for (const [solver, dt0, bound] of [[new VelocityVerlet(), 200, 2.5e-3], [new Yoshida4(), 100, 5e-5]] as const) {
    const r = run(solver, new ConstantStepSize(), dt0, 2e6);
    assert.ok(r.first < bound && r.last < 1.05 * r.first, `${solver.name}: max relative energy error ${r.first.toExponential(2)} in the first tenth, ${r.last.toExponential(2)} in the last`);
    assert.ok(r.dL < 1e-13, `${solver.name}: relative change of angular momentum ${r.dL}`);
  }
  const tsit = run(new Tsit5(), new PIDController({ rtol: 1e-6, atol: 1e-9 }), undefined, 2e6);
  assert.ok(tsit.last > 10 * tsit.first, `Tsit5: ${tsit.first.toExponential(2)} in the first tenth, ${tsit.last.toExponential(2)} in the last`);
  // Jupiter after 200 000 days (46 of its orbits): KahanLi8 at 20 days agrees with Vern9 at rtol 1e-13
  // (another method), and Yoshida4's phase error falls with order 4 from 100 to 25 days.
  const jupiter = (y: Float64Array) => y.subarray(3, 6);
  const ref = jupiter(diffeqsolve({ terms, solver: new Vern9(), t0: 0, t1: 2e5, y0, stepsizeController: new PIDController({ rtol: 1e-13, atol: 1e-13 }) }).ys[0]!);
  assert.ok(maxDiff(jupiter(run(new KahanLi8(), new ConstantStepSize(), 20, 2e5).final), ref) < 1e-6);
  const hs = [100, 50, 25];
  const errs = hs.map((h) => maxDiff(jupiter(run(new Yoshida4(), new ConstantStepSize(), h, 2e5).final), ref));
  const p = slope(hs.map((h) => 1 / h), errs);
  assert.ok(Math.abs(p - 4) < 0.25, `Yoshida4 on the outer solar system: slope ${p.toFixed(2)}, errors ${errs.map((e) => e.toExponential(2)).join(", ")} AU`);
});

test("the symmetric compositions are symmetric: a step of −h undoes a step of h (to round-off)", () => {
  for (const solver of [new VelocityVerlet(), new Yoshida4(), new Yoshida6(), new KahanLi8()] as SplittingMethod[]) {
    assert.equal(solver.symmetric, true, solver.name);
    const fwd = diffeqsolve({ terms: keplerTerm, solver, t0: 0, t1: 1, dt0: 0.1, y0: K.y0, stepsizeController: new ConstantStepSize() }).ys[0]!;
    const back = diffeqsolve({ terms: keplerTerm, solver, t0: 1, t1: 0, dt0: -0.1, y0: fwd, stepsizeController: new ConstantStepSize() }).ys[0]!;
    assert.ok(maxDiff(back, K.y0) < 1e-13, `${solver.name}: ${maxDiff(back, K.y0)}`);
  }
  for (const solver of [new SemiImplicitEuler(), new McAte4(), new McAte5()]) assert.equal(solver.symmetric, false, solver.name);
});

test("cost per step: the last kick starts the next step (VelocityVerlet: one force per step), drifts counted apart", () => {
  const sol = diffeqsolve({ terms: keplerTerm, solver: new VelocityVerlet(), t0: 0, t1: 1, dt0: 0.01, y0: K.y0, stepsizeController: new ConstantStepSize() });
  // 100 steps: the restart evaluates the whole field once (its force is the first kick), then one
  // force and one drift a step.
  assert.equal(sol.stats.numSteps, 100);
  assert.equal(sol.stats.numFnEvals, 101, JSON.stringify(sol.stats));
  assert.equal((sol.stats as unknown as Record<string, number>).numFirstFieldEvals, 101);
  const y6 = diffeqsolve({ terms: keplerTerm, solver: new Yoshida6(), t0: 0, t1: 1, dt0: 0.1, y0: K.y0, stepsizeController: new ConstantStepSize() });
  assert.equal(y6.stats.numFnEvals, 10 * 7 + 1);
});

test("LeapfrogMidpoint: y_{n+1} = y_{n−1} + 2h f(y_n) after an Euler step, on any ODETerm", () => {
  const f = (t: number, y: Float64Array, a: unknown, dy: Float64Array) => { dy[0] = y[1]!; dy[1] = -y[0]!; };
  const h = 0.1;
  const sol = diffeqsolve({ terms: new ODETerm(f), solver: new LeapfrogMidpoint(), t0: 0, t1: 0.3, dt0: h, y0: [1, 0], saveat: new SaveAt({ steps: true }), stepsizeController: new ConstantStepSize() });
  // By hand: y1 = y0 + h f(y0); y2 = y0 + 2h f(y1); y3 = y1 + 2h f(y2).
  const y0 = [1, 0];
  const y1 = [y0[0]! + h * y0[1]!, y0[1]! - h * y0[0]!];
  const y2 = [y0[0]! + 2 * h * y1[1]!, y0[1]! - 2 * h * y1[0]!];
  const y3 = [y1[0]! + 2 * h * y2[1]!, y1[1]! - 2 * h * y2[0]!];
  [y1, y2, y3].forEach((y, k) => assert.ok(maxDiff(sol.ys[k]!, y) < 1e-15, `step ${k + 1}`));
});

test("errors: an ODETerm for a splitting method, an odd state, a velocity-dependent acceleration, a field of the wrong length", () => {
  const ode = new ODETerm((t, y, a, dy) => { dy[0] = -y[0]!; });
  assert.throws(() => diffeqsolve({ terms: ode, solver: new VelocityVerlet(), t0: 0, t1: 1, dt0: 0.1, y0: [1] }), /VelocityVerlet is a splitting method for partitioned systems; give terms = new PartitionedTerm\(f1, f2\).*Tsit5/);
  assert.throws(() => diffeqsolve({ terms: keplerTerm, solver: new VelocityVerlet(), t0: 0, t1: 1, dt0: 0.1, y0: [1, 2, 3] }), /state has 3 components, which cannot be split in half; give the length of the first part/);
  const damped = new SecondOrderTerm((t, q, v, a, out) => { out[0] = -q[0]! - 0.1 * v[0]!; });
  assert.throws(() => diffeqsolve({ terms: damped, solver: new Yoshida4(), t0: 0, t1: 1, dt0: 0.1, y0: [1, 0] }), /Yoshida4 needs an acceleration that does not depend on the velocity.*Tsit5/);
  // The same term is fine for an ODE solver: a damped oscillator, q = e^{−t/20}(cos ωt + sin ωt/(20ω)).
  const w = Math.sqrt(1 - 0.0025);
  const q1 = diffeqsolve({ terms: damped, solver: new Tsit5(), t0: 0, t1: 2, y0: [1, 0], stepsizeController: new PIDController({ rtol: 1e-10, atol: 1e-12 }) }).ys[0]![0]!;
  assert.ok(Math.abs(q1 - Math.exp(-0.1) * (Math.cos(2 * w) + Math.sin(2 * w) / (20 * w))) < 1e-8);
  const wrong = new PartitionedTerm((t, p, a, dq) => { dq[0] = p[0]!; }, (t, q, a, dp) => { dp[0] = -q[0]!; dp[1] = 0; });
  assert.throws(() => diffeqsolve({ terms: wrong, solver: new VelocityVerlet(), t0: 0, t1: 1, dt0: 0.1, y0: [1, 0, 0, 1] }), /the first field \(the rate of y₁, from y₂\) did not write out\[1\]/);
  assert.throws(() => new PartitionedTerm((() => {}) as never, 3 as never), /`second` must be a function \(t, y, args, out\) => void or an ODETerm; got number/);
  assert.throws(() => new PartitionedTerm(() => {}, () => {}, { split: 0 }), /`split` = 0 must be a whole number ≥ 1/);
  assert.throws(() => defineSplitting({ name: "bad", order: 2, drift: [0, 1], kick: [0.5, 0.4], source: "" }), /bad: the kick coefficients sum to 0.9, not 1/);
});

test("split: parts of different lengths, and structured y0 ({ q, p }) come back structured", () => {
  // y₁ = (x, y) moved by y₂ = (s): x′ = s, y′ = 2s; s′ = −x. Exact: x = cos t·… — compare with Tsit5 on the same term.
  const term = new PartitionedTerm((t, s, a, d) => { d[0] = s[0]!; d[1] = 2 * s[0]!; }, (t, xy, a, d) => { d[0] = -xy[0]!; }, { split: 2 });
  const a = diffeqsolve({ terms: term, solver: new Yoshida6(), t0: 0, t1: 2, dt0: 0.05, y0: [1, 0, 0], stepsizeController: new ConstantStepSize() }).ys[0]!;
  // x″ = −x with x(0) = 1, s(0) = 0: x = cos t, s = −sin t, y = 2(cos t − 1).
  assert.ok(maxDiff(a, [Math.cos(2), 2 * (Math.cos(2) - 1), -Math.sin(2)]) < 1e-9);
  const sol = diffeqsolve({ terms: keplerTerm, solver: new VelocityVerlet(), t0: 0, t1: 0.1, dt0: 0.01, y0: { q: [0.4, 0], p: [0, 2] } });
  const y = sol.ysAs(0);
  assert.deepEqual(Object.keys(y), ["q", "p"]);
  assert.equal(y.q.length, 2);
});
