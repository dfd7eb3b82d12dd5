// Automatic compilation: new ODETerm(f) runs the compiled field where compile can read f, and f as
// written where it cannot (compile/auto.ts, terms.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  compile, diffeqsolve, diffeqsolveVjp, Dopri5, ODETerm, PIDController, Rodas5P, Tsit5, type Solution,
} from "../../src/index.js";
import { AUTOMATIC_COMPILE_LIMITS } from "../../src/compile/auto.js";
import { corpus } from "./corpus.js";

type F = (t: number, y: Float64Array, args: any, dy: Float64Array) => void;
const tol = () => new PIDController({ rtol: 1e-9, atol: 1e-12 });

/** Every saved value and the step counts, bit for bit. */
function assertSameSolution(a: Solution, b: Solution, what: string): void {
  assert.equal(a.stats.numSteps, b.stats.numSteps, `${what}: steps`);
  assert.equal(a.ys.length, b.ys.length, `${what}: rows`);
  for (let i = 0; i < a.ys.length; i++) {
    for (let j = 0; j < a.ys[i]!.length; j++) assert.ok(Object.is(a.ys[i]![j], b.ys[i]![j]), `${what}: ys[${i}][${j}] ${a.ys[i]![j]} vs ${b.ys[i]![j]}`);
  }
}

// Arenstorf written naturally: constants inside f, the distance cubed by Math.pow(…, 1.5).
const arenstorf: F = (t, y, args, dy) => {
  const mu = 0.012277471, mu1 = 1 - mu;
  const d1 = Math.pow((y[0]! + mu) ** 2 + y[1]! ** 2, 1.5);
  const d2 = Math.pow((y[0]! - mu1) ** 2 + y[1]! ** 2, 1.5);
  dy[0] = y[2]!;
  dy[1] = y[3]!;
  dy[2] = y[0]! + 2 * y[3]! - (mu1 * (y[0]! + mu)) / d1 - (mu * (y[0]! - mu1)) / d2;
  dy[3] = y[1]! - 2 * y[2]! - (mu1 * y[1]!) / d1 - (mu * y[1]!) / d2;
};
const arenstorfProblem = { t0: 0, t1: 17.0652165601579625588917206249, y0: [0.994, 0, 0, -2.00158510637908252240537862224] };

test("new ODETerm(f) compiles f when it can: the fused kernel runs, results equal compile(f) bit for bit and f as written to rounding", () => {
  const auto = new ODETerm(arenstorf);
  const off = new ODETerm(arenstorf, { compile: false });
  const explicit = new ODETerm(compile(arenstorf));
  assert.deepEqual(auto.compilation, { status: "compiled", reason: null });
  assert.deepEqual(off.compilation, { status: "disabled", reason: null });
  assert.deepEqual(explicit.compilation, { status: "object", reason: null });
  for (const solver of [new Dopri5(), new Tsit5()]) {
    assert.equal(solver.kernelKind(auto, 4), "fused");
    assert.equal(solver.kernelKind(off, 4), "generated");
    assert.equal(solver.kernelKind(explicit, 4), "fused");
    assert.equal(new Dopri5({ generated: false }).kernelKind(auto, 4), "generic");
    const run = (terms: ODETerm) => diffeqsolve({ terms, solver, ...arenstorfProblem, stepsizeController: tol() });
    const a = run(auto), b = run(explicit), c = run(off);
    assertSameSolution(a, b, `${solver.name}: automatic vs compile(f)`);
    // Only the constant powers round differently (x·√x against Math.pow): the orbit closes alike.
    for (let j = 0; j < 4; j++) assert.ok(Math.abs(a.ys[0]![j]! - c.ys[0]![j]!) <= 1e-7, `${solver.name}: y[${j}] ${a.ys[0]![j]} vs ${c.ys[0]![j]}`);
    for (let j = 0; j < 4; j++) assert.ok(Math.abs(a.ys[0]![j]! - arenstorfProblem.y0[j]!) < 1e-5, "periodic orbit closes");
  }
});

test("the compiled f of every compilable corpus field equals compile(f) bit for bit, and the original to rounding", () => {
  let checked = 0;
  for (const e of corpus) {
    if (Object.keys(e.options).length > 0) continue; // consts: not readable without options
    const term = new ODETerm(e.fn as F);
    assert.equal(term.compilation.status, "compiled", `${e.name}: ${term.compilation.reason}`);
    const explicit = compile(e.fn);
    let s = 1;
    const r = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    for (let trial = 0; trial < 5; trial++) {
      const { t, y, args } = e.sample(r);
      const a = new Float64Array(e.n), b = new Float64Array(e.n), c = new Float64Array(e.n);
      (term.vf.f as F)(t, y, args, a);
      explicit.f(t, y, args, b);
      const ret = (e.fn as (...x: unknown[]) => ArrayLike<number> | undefined)(t, y, args, c);
      if (ret !== undefined) c.set(ret);
      for (let i = 0; i < e.n; i++) {
        assert.ok(Object.is(a[i], b[i]), `${e.name}[${i}]`);
        assert.ok(Math.abs(a[i]! - c[i]!) <= 1e-14 * Math.abs(c[i]!), `${e.name}[${i}]: ${a[i]} vs original ${c[i]}`);
      }
    }
    checked++;
  }
  assert.ok(checked >= 5, `${checked} corpus fields checked`);
});

test("where compile cannot read f, or could compute something else, f is called as written (silently), with the reason", () => {
  let calls = 0;
  const K = 2;
  const cases: [string, F, RegExp][] = [
    ["closure over a constant", (t, y, a, dy) => { dy[0] = -K * y[0]!; }, /`K` is a variable from outside/],
    ["mutable outer state", (t, y, a, dy) => { calls++; dy[0] = -y[0]!; }, /`calls` is a variable from outside the vector field/],
    ["Math.random", (t, y, a, dy) => { dy[0] = -y[0]! + 0 * Math.random(); }, /Math\.random\(\)` is not deterministic/],
    ["a side effect", (t, y, a, dy) => { console.log(t); dy[0] = -y[0]!; }, /console\.log/],
    ["writing args", (t, y, a, dy) => { a.k = 1; dy[0] = -y[0]!; }, /assignment to args is not allowed/],
    ["a loop up to y.length", (t, y, a, dy) => { for (let i = 0; i < y.length; i++) dy[i] = -y[i]!; }, /y\.length/],
    ["a while loop", (t, y, a, dy) => { let i = 0; while (i < 1) { dy[i] = -y[i]!; i++; } }, /while/],
    ["a default for a missing parameter", (t, y, { k = 1 }, dy) => { dy[0] = -k * y[0]!; }, /default value .* treats a missing parameter specially/],
    ["?? on a parameter", (t, y, a, dy) => { dy[0] = -(a.k ?? 1) * y[0]!; }, /`\?\?` on a value from args/],
    ["a comparison with undefined", (t, y, a, dy) => { dy[0] = (a.k === undefined ? -1 : -a.k) * y[0]!; }, /comparison with undefined/],
    ["this", function (this: { k: number }, t: number, y: Float64Array, a: unknown, dy: Float64Array) { dy[0] = -this.k * y[0]!; } as F, /`this`/],
  ];
  for (const [name, f, reason] of cases) {
    const term = new ODETerm(f);
    assert.equal(term.compilation.status, "fallback", name);
    assert.match(term.compilation.reason!, reason, name);
    assert.deepEqual(term.vf, { f }, `${name}: f itself`);
    assert.equal(new Dopri5().kernelKind(term, 1), "generated", name);
  }
  // f runs as written: its side effect happens, its default applies.
  const counting = new ODETerm(cases[1]![1]);
  const sol = diffeqsolve({ terms: counting, solver: new Dopri5(), t0: 0, t1: 1, y0: [1], stepsizeController: tol() });
  assert.equal(calls, sol.stats.numFnEvals + 2, "every evaluation (and the two probes) called f");
  const withDefault = diffeqsolve({ terms: new ODETerm(cases[7]![1]), solver: new Dopri5(), t0: 0, t1: 1, y0: [1], args: {}, stepsizeController: tol() });
  assert.ok(Math.abs(withDefault.ys[0]![0]! - Math.exp(-1)) < 1e-8, "the default k = 1 applied");
});

test("args are read at run time: each solve (and each args object) gets its own parameters", () => {
  const decay: F = (t, y, args, dy) => { dy[0] = -args.k * y[0]!; dy[1] = args.w[1] * y[0]!; };
  const term = new ODETerm(decay);
  assert.equal(term.compilation.status, "compiled");
  const args = { k: 1, w: [0, 2] };
  const run = (terms: ODETerm) => diffeqsolve({ terms, solver: new Tsit5(), t0: 0, t1: 1, y0: [1, 0], args, stepsizeController: tol() });
  const first = run(term);
  args.k = 3;
  args.w[1] = 5;
  const second = run(term);
  assertSameSolution(second, run(new ODETerm(decay, { compile: false })), "after changing args");
  assert.ok(Math.abs(first.ys[0]![0]! - Math.exp(-1)) < 1e-8 && Math.abs(second.ys[0]![0]! - Math.exp(-3)) < 1e-8);
  // Missing keys read as undefined, as in f: NaN, which the first evaluation reports.
  assert.throws(() => diffeqsolve({ terms: term, solver: new Tsit5(), t0: 0, t1: 1, y0: [1, 0], args: { w: [0, 1] } }), /did not write dy\[0\] \(or wrote NaN\)/);
  // Named parameters are read by name whatever args is (compile(f)'s kernels would also accept the
  // flat parameter vector), so a Float64Array has no `k` here either, as for f.
  for (const terms of [term, new ODETerm(decay, { compile: false })]) {
    assert.throws(() => diffeqsolve({ terms, solver: new Tsit5(), t0: 0, t1: 1, y0: [1, 0], args: Float64Array.of(1, 0, 2) }), /did not write dy\[0\] \(or wrote NaN\)|Cannot read properties/);
  }
});

test("compiled once per function: repeated terms and solves reuse the field (and its fused kernel)", () => {
  const f: F = (t, y, a, dy) => { dy[0] = y[1]!; dy[1] = -y[0]!; };
  const a = new ODETerm(f), b = new ODETerm(f);
  assert.equal(a.vf, b.vf, "one compiled field per function");
  assert.equal(a.vf.f, b.vf.f);
  assert.notEqual(new ODETerm((t: number, y: Float64Array, _: unknown, dy: Float64Array) => { dy[0] = y[1]!; dy[1] = -y[0]!; }).vf, a.vf, "another function, another field");
  const obj = compile(f);
  assert.equal(new ODETerm(obj).vf, obj, "an object is used as given");
});

test("implicit solvers get the exact Jacobian: Rodas5P equals the explicitly compiled field bit for bit, with no differencing", () => {
  const rober: F = (t, y, { k1, k2, k3 }, dy) => {
    dy[0] = -k1 * y[0]! + k3 * y[1]! * y[2]!;
    dy[1] = k1 * y[0]! - k2 * y[1]! ** 2 - k3 * y[1]! * y[2]!;
    dy[2] = k2 * y[1]! ** 2;
  };
  const o = { solver: new Rodas5P(), t0: 0, t1: 1e5, y0: [1, 0, 0], args: { k1: 0.04, k2: 3e7, k3: 1e4 }, stepsizeController: new PIDController({ rtol: 1e-6, atol: 1e-10 }) };
  const auto = diffeqsolve({ ...o, terms: new ODETerm(rober) });
  const explicit = diffeqsolve({ ...o, terms: new ODETerm(compile(rober)) });
  const fd = diffeqsolve({ ...o, terms: new ODETerm(rober, { compile: false }) });
  assertSameSolution(auto, explicit, "Rodas5P automatic vs compile(f)");
  assert.ok(typeof new ODETerm(rober).vf.jac === "function");
  // With an exact Jacobian no evaluation of f goes into J (finite differences spend n per Jacobian).
  assert.ok(auto.stats.numFnEvals < fd.stats.numFnEvals, `${auto.stats.numFnEvals} vs ${fd.stats.numFnEvals} evaluations`);
  const sum = auto.ys[0]!.reduce((s, v) => s + v, 0);
  assert.ok(Math.abs(sum - 1) < 1e-6, "mass conserved");
  for (let j = 0; j < 3; j++) assert.ok(Math.abs(auto.ys[0]![j]! - fd.ys[0]![j]!) <= 1e-5 * Math.abs(fd.ys[0]![j]!) + 1e-9, `y[${j}]`);
});

test("gradients through a solve use the exact products of the compiled field and agree with f as written", () => {
  const f: F = (t, y, { a }, dy) => { dy[0] = -a * y[0]! ** 3; };
  // y' = −a y³, y(0) = 1: y(t) = (1 + 2at)^(−1/2); ∂y(1)/∂y0 = y(1)³ and ∂y(1)/∂a = −y(1)³.
  const o = { solver: new Dopri5(), t0: 0, t1: 1, y0: [1], args: { a: 0.7 }, stepsizeController: new PIDController({ rtol: 1e-10, atol: 1e-12 }) };
  const y1 = (1 + 2 * 0.7) ** -0.5;
  for (const terms of [new ODETerm(f), new ODETerm(f, { compile: false })]) {
    const { pullback } = diffeqsolveVjp({ ...o, terms });
    const g = pullback([[1]]) as { y0: number[]; args: { a: number } };
    assert.ok(Math.abs(g.y0[0]! - y1 ** 3) < 1e-7, `${terms.compilation.status}: dy0 ${g.y0[0]} vs ${y1 ** 3}`);
    assert.ok(Math.abs(g.args.a + y1 ** 3) < 1e-7, `${terms.compilation.status}: da ${g.args.a}`);
  }
});

test("limits bound the compile time: too long a source or too many unrolled iterations are called as written", () => {
  const long = new Function("t", "y", "a", "dy", `dy[0] = -y[0]; /* ${"x".repeat(AUTOMATIC_COMPILE_LIMITS.sourceLength)} */`) as F;
  assert.match(new ODETerm(long).compilation.reason!, /characters long/);
  const loop = new Function("t", "y", "a", "dy", `let s = 0; for (let i = 0; i < ${AUTOMATIC_COMPILE_LIMITS.iterations + 1}; i++) s = i; dy[0] = s - y[0];`) as F;
  assert.match(new ODETerm(loop).compilation.reason!, /loops unroll to more than/);
  const big = new Function("t", "y", "a", "dy", `let s = 0; for (let i = 0; i < 7000; i++) s = Math.sin(s * 0.5 + y[0]); dy[0] = -s;`) as F;
  assert.match(new ODETerm(big).compilation.reason!, /grows beyond 20000 operations/);
  // compile(f) itself has no such limit.
  assert.equal(compile(loop).n, 1);
});

test("ODETerm options are checked", () => {
  const f: F = (t, y, a, dy) => { dy[0] = -y[0]!; };
  assert.throws(() => new ODETerm(f, { compile: "yes" as never }), /`compile` must be true or false; got string/);
  assert.throws(() => new ODETerm(f, { compiled: false } as never), /unknown option `compiled`; the only option is compile/);
  assert.throws(() => new ODETerm(f, null as never), /`options` must be an object/);
});
