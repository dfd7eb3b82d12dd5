import assert from "node:assert/strict";
import { test } from "node:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { compile, ModelBuilder } from "../../src/index.js";
import { chemistry, corpus, reactions, rng, SPECIES } from "./corpus.js";

test("toSource() is a standalone ES module whose kernels equal the compiled ones", async () => {
  const dir = mkdtempSync(join(tmpdir(), "odeflow-compile-"));
  try {
    for (const e of corpus) {
      const c = compile(e.fn, e.options);
      const file = join(dir, `${e.name.replace(/\W+/g, "_")}.mjs`);
      const src = c.toSource();
      assert.ok(!/\bimport\b/.test(src), "no imports");
      writeFileSync(file, src);
      const m = await import(pathToFileURL(file).href);
      assert.equal(m.n, c.n);
      assert.deepEqual(m.argNames, [...c.argNames]);
      const r = rng(9);
      const { t, y, args } = e.sample(r);
      const n = e.n;
      const v = Float64Array.from({ length: n }, () => r() - 0.5);
      for (const [name, len, x] of [["f", n, null], ["jac", n * n, null], ["jvp", n, v], ["vjp", n, v], ["vjpArgs", c.nArgs, v], ["dfdt", n, null]] as const) {
        const a = new Float64Array(len), b = new Float64Array(len);
        if (x === null) { (c as any)[name](t, y, args, a); m[name](t, y, args, b); } else { (c as any)[name](t, y, args, x, a); m[name](t, y, args, x, b); }
        assert.deepEqual(b, a, `${e.name}: ${name}`);
      }
      const [ay, ap, by, bp] = [new Float64Array(n), new Float64Array(c.nArgs), new Float64Array(n), new Float64Array(c.nArgs)];
      c.vjpBoth(t, y, args, v, ay, ap);
      m.vjpBoth(t, y, args, v, by, bp);
      assert.deepEqual([by, bp], [ay, ap], `${e.name}: vjpBoth`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the builder assembles the chemistry network to the same vector field and derivatives as the parsed loop", () => {
  const b = new ModelBuilder({ n: SPECIES, args: { k: new Float64Array(reactions.length) } });
  const y = b.state();
  for (const rx of reactions) {
    const rate = b.mul(b.arg("k", rx.k), ...rx.reactants.map((s) => y[s]!));
    for (const s of rx.reactants) b.accumulate(s, b.neg(rate));
    for (const s of rx.products) b.accumulate(s, rate);
  }
  const built = compile(b);
  const parsed = compile(chemistry, { consts: { reactions } });
  assert.deepEqual([...built.argNames], [...parsed.argNames]);
  const r = rng(10);
  for (let trial = 0; trial < 5; trial++) {
    const yv = Float64Array.from({ length: SPECIES }, () => 0.1 + r());
    const args = { k: Float64Array.from({ length: reactions.length }, () => r()) };
    const a = new Float64Array(SPECIES), c = new Float64Array(SPECIES);
    built.f(0, yv, args, a);
    parsed.f(0, yv, args, c);
    for (let i = 0; i < SPECIES; i++) assert.ok(Math.abs(a[i]! - c[i]!) <= 1e-14 * Math.max(Math.abs(c[i]!), 1e-300) + 1e-300, `f[${i}] ${a[i]} vs ${c[i]}`);
    const J1 = new Float64Array(SPECIES * SPECIES), J2 = new Float64Array(SPECIES * SPECIES);
    built.jac(0, yv, args, J1);
    parsed.jac(0, yv, args, J2);
    for (let i = 0; i < J1.length; i++) assert.ok(Math.abs(J1[i]! - J2[i]!) <= 1e-14 * Math.abs(J2[i]!) + 1e-300, `J[${i}]`);
  }
  assert.deepEqual(built.jacSparsity, parsed.jacSparsity);
  assert.throws(() => b.y(SPECIES), /ModelBuilder\.y\(i\): `i` = 20 must be a whole number in \[0, 20\)/);
  assert.throws(() => b.arg("q"), /no such parameter; declare it/);
  assert.throws(() => new ModelBuilder({ n: 0 }), /`n` = 0 must be a whole number ≥ 1/);
});

test("the builder's selects and Math calls differentiate exactly", () => {
  const b = new ModelBuilder({ n: 2, args: ["a"] });
  const [x, v] = b.state();
  b.set(0, v!);
  b.set(1, b.add(b.neg(b.call("sin", x!)), b.mul(b.arg("a"), b.select(b.gt(v!, 0), v!, b.mul(2, v!)))));
  const c = compile(b);
  const J = new Float64Array(4);
  c.jac(0, Float64Array.of(0.3, -0.5), { a: 0.7 }, J);
  assert.deepEqual(Array.from(J), [0, 1, -Math.cos(0.3), 0.7 * 2]);
  c.jac(0, Float64Array.of(0.3, 0.5), { a: 0.7 }, J);
  assert.deepEqual(Array.from(J), [0, 1, -Math.cos(0.3), 0.7]);
});

test("where new Function is forbidden (CSP without unsafe-eval), compile falls back to the interpreter", () => {
  const original = globalThis.Function;
  const forbidden = function () {
    throw new EvalError("Refused to evaluate a string as JavaScript because 'unsafe-eval' is not an allowed source");
  } as unknown as FunctionConstructor;
  let c;
  (globalThis as any).Function = forbidden;
  try {
    c = compile((t: number, [x, v]: Float64Array, { k }: { k: number }) => [v, -k * x]);
  } finally {
    (globalThis as any).Function = original;
  }
  assert.equal(c.mode, "interpreter");
  const out = new Float64Array(2);
  c.f(0, Float64Array.of(2, 3), { k: 4 }, out);
  assert.deepEqual(Array.from(out), [3, -8]);
  const J = new Float64Array(4);
  c.jac(0, Float64Array.of(2, 3), { k: 4 }, J);
  assert.deepEqual(Array.from(J), [0, 1, -4, 0]);
});
