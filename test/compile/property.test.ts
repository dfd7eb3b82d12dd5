import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { compile } from "../../src/index.js";
import { fuzzParams } from "../fuzz-params.js";

/**
 * Random expressions over y[0..2], a parameter and constants, written as JavaScript source. The
 * operations are kept smooth and bounded (no overflow, no division by values near zero) so that
 * every intermediate is finite: then folding and rewriting must not change a single bit.
 *
 * Constant powers are written as calls of local helpers P2 and P3: `u ** 2` and `u ** 3` in the
 * source that is compiled (the compiler inlines them and reduces the powers), the documented
 * reduced forms `u * u` and `(u * u) * u` in the JavaScript reference, which must then agree bit
 * for bit (powers.test.ts compares the reduced forms with Math.pow).
 */
const COMPILED_POWERS = "const P2 = (u) => u ** 2, P3 = (u) => u ** 3;";
const REFERENCE_POWERS = "const P2 = (u) => u * u, P3 = (u) => (u * u) * u;";
/** The source with the helpers declared at the top of its body (the first `{`). */
const withPowers = (src: string, helpers: string): string => src.replace("{", `{ ${helpers}`);
const leaf = fc.oneof(
  fc.constantFrom("y[0]", "y[1]", "y[2]", "args.p", "t"),
  fc.double({ min: -3, max: 3, noNaN: true }).map((x) => `(${x})`),
  fc.constantFrom("0", "1", "2", "-1", "0.5"),
);
const expr: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.tuple(tie("e"), fc.constantFrom("+", "-", "*"), tie("e")).map(([a, op, b]) => `(${a} ${op} ${b})`),
    fc.tuple(tie("e"), tie("e")).map(([a, b]) => `(${a} / (1.5 + ${b} * ${b}))`),
    fc.tuple(fc.constantFrom("sin", "cos", "tanh", "atan", "abs"), tie("e")).map(([f, a]) => `Math.${f}(${a})`),
    fc.tuple(tie("e")).map(([a]) => `Math.sqrt(1 + ${a} * ${a})`),
    fc.tuple(tie("e"), fc.constantFrom(2, 3)).map(([a, k]) => `P${k}(Math.tanh(${a}))`),
    fc.tuple(tie("e"), tie("e")).map(([a, b]) => `Math.max(${a}, ${b})`),
    fc.tuple(tie("e"), fc.constantFrom("<", ">", "<="), tie("e"), tie("e"), tie("e")).map(([a, op, b, c, d]) => `(${a} ${op} ${b} ? ${c} : ${d})`),
  ),
})).e;

const source = fc.tuple(expr, expr, expr).map(([a, b, c]) => `(t, y, args, dy) => { const s = ${a}; dy[0] = s; dy[1] = ${b} + s * 0.25; dy[2] = ${c}; }`);
const inputs = fc.tuple(fc.double({ min: -2, max: 2, noNaN: true }), fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 3, maxLength: 3 }), fc.double({ min: -2, max: 2, noNaN: true }));

test("random expressions: compiled f equals the JavaScript original bit for bit (codegen and interpreter)", () => {
  fc.assert(
    fc.property(source, inputs, (src, [t, ys, p]) => {
      const original = new Function(`return ${withPowers(src, REFERENCE_POWERS)}`)() as (t: number, y: Float64Array, a: unknown, dy: Float64Array) => void;
      const y = Float64Array.from(ys);
      const ref = new Float64Array(3);
      original(t, y, { p }, ref);
      fc.pre(ref.every(Number.isFinite));
      for (const mode of ["codegen", "interpreter"] as const) {
        const c = compile(withPowers(src, COMPILED_POWERS), { n: 3, mode });
        const out = new Float64Array(3);
        c.f(t, y, { p }, out);
        for (let i = 0; i < 3; i++) assert.ok(out[i] === ref[i], `${mode} ${src}\n[${i}] ${out[i]} vs ${ref[i]}`);
      }
    }),
    fuzzParams(20261127, 150),
  );
});

test("random expressions: ⟨w, J v⟩ = ⟨Jᵀ w, v⟩ and the dense Jacobian matches the JVP columns", () => {
  fc.assert(
    fc.property(source, inputs, (src, [t, ys, p]) => {
      const c = compile(withPowers(src, COMPILED_POWERS), { n: 3 });
      const y = Float64Array.from(ys);
      const J = new Float64Array(9);
      c.jac(t, y, { p }, J);
      fc.pre(J.every(Number.isFinite));
      const v = Float64Array.of(0.3, -0.7, 1.1), w = Float64Array.of(-0.4, 0.9, 0.2);
      const Jv = new Float64Array(3), JTw = new Float64Array(3);
      c.jvp(t, y, { p }, v, Jv);
      c.vjp(t, y, { p }, w, JTw);
      let lhs = 0, rhs = 0, scale = 0;
      for (let i = 0; i < 3; i++) {
        lhs += w[i]! * Jv[i]!;
        rhs += JTw[i]! * v[i]!;
        for (let j = 0; j < 3; j++) scale += Math.abs(w[i]! * J[i * 3 + j]! * v[j]!);
      }
      assert.ok(Math.abs(lhs - rhs) <= 1e-12 * scale + 1e-300, `${src}: ${lhs} vs ${rhs}`);
      for (let j = 0; j < 3; j++) {
        const e = new Float64Array(3); e[j] = 1;
        const col = new Float64Array(3);
        c.jvp(t, y, { p }, e, col);
        for (let i = 0; i < 3; i++) assert.ok(Math.abs(col[i]! - J[i * 3 + j]!) <= 1e-13 * Math.abs(J[i * 3 + j]!) + 1e-300, `${src}: J[${i}, ${j}]`);
      }
    }),
    fuzzParams(7, 100),
  );
});

const statements = fc.tuple(...Array.from({ length: 9 }, () => expr)).map((e) => `(t, y, args, dy) => {
  let a = ${e[0]}; let b = ${e[1]};
  if (${e[2]} < ${e[3]}) { a = ${e[4]}; if (${e[5]} > 0) b = a * ${e[6]}; } else { b = ${e[7]}; }
  for (let i = 0; i < 3; i++) { a = a * 0.5 + Math.sin(b + i); }
  const h = (u) => u * ${e[8]} + b;
  dy[0] = h(a); dy[1] = a > b ? h(b) : a; dy[2] = b;
}`);
const earlyReturn = fc.tuple(...Array.from({ length: 8 }, () => expr)).map((e) => `function (t, y, args) {
  if (${e[0]} > ${e[1]}) return [${e[2]}, ${e[3]}, ${e[4]}];
  const q = ${e[5]};
  return [q, q * ${e[6]}, ${e[7]}];
}`);

test("random programs with run-time if/else, loops, helpers and early returns equal the JavaScript original", () => {
  fc.assert(
    fc.property(fc.oneof(statements, earlyReturn), inputs, (src, [t, ys, p]) => {
      const original = new Function(`return ${withPowers(src, REFERENCE_POWERS)}`)() as (t: number, y: Float64Array, a: unknown, dy: Float64Array) => number[] | void;
      const y = Float64Array.from(ys);
      const ref = new Float64Array(3);
      const r = original(t, y, { p }, ref);
      if (r) ref.set(r);
      fc.pre(ref.every(Number.isFinite));
      const c = compile(withPowers(src, COMPILED_POWERS), { n: 3 });
      const out = new Float64Array(3);
      c.f(t, y, { p }, out);
      for (let i = 0; i < 3; i++) assert.ok(out[i] === ref[i], `${src}\n[${i}] ${out[i]} vs ${ref[i]}`);
    }),
    fuzzParams(99, 100),
  );
});

test("random expressions: hvp is a Hessian-vector product of ⟨u, f⟩: symmetric in y, and its mixed (y, p) parts agree", () => {
  fc.assert(
    fc.property(source, inputs, (src, [t, ys, p]) => {
      const y = Float64Array.from(ys);
      const u = [0.5, -1.2, 0.8], v = [0.3, -0.7, 1.1], w = [-0.4, 0.9, 0.2];
      const outs: number[][] = [];
      for (const mode of ["codegen", "interpreter"] as const) {
        const c = compile(withPowers(src, COMPILED_POWERS), { n: 3, args: ["p"], mode });
        const hy = (dir: number[], dp: number) => {
          const oy = new Float64Array(3), op = new Float64Array(1);
          c.hvp(t, y, { p }, Float64Array.of(...u, ...dir, dp), oy, op);
          return [...oy, op[0]!];
        };
        const hv = hy(v, 0), hw = hy(w, 0), hq = hy([0, 0, 0], 1);
        fc.pre([...hv, ...hw, ...hq].every(Number.isFinite));
        // ⟨w, H v⟩ = ⟨v, H w⟩ and ∂²⟨u, f⟩/∂p∂y · v = ∂²⟨u, f⟩/∂y∂p · v.
        const dot = (a: number[], b: number[]) => a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;
        const scale = 1e-12 * (1 + Math.abs(dot(w, hv)) + Math.abs(dot(v, hw)) + hv.reduce((s, x) => s + Math.abs(x), 0) + hw.reduce((s, x) => s + Math.abs(x), 0));
        assert.ok(Math.abs(dot(w, hv) - dot(v, hw)) <= scale, `${src}: ${dot(w, hv)} vs ${dot(v, hw)}`);
        assert.ok(Math.abs(hv[3]! - dot(v, hq)) <= scale + 1e-12 * Math.abs(hq[3]!), `${src}: mixed ${hv[3]} vs ${dot(v, hq)}`);
        outs.push([...hv, ...hw, ...hq]);
      }
      assert.deepEqual(outs[1], outs[0], `${src}: interpreter vs codegen`);
    }),
    fuzzParams(11, 60),
  );
});

test("hvp of a smooth field matches central differences of vjpBoth along (v, vArgs)", () => {
  const vf = compile((t: number, y: Float64Array, a: { p: number; q: number }, dy: Float64Array) => {
    dy[0] = a.p * y[0]! * y[1]! + Math.sin(y[1]! * t);
    dy[1] = a.q * Math.exp(-y[0]! * y[0]!) * a.p - y[1]! ** 3;
  }, { args: { p: 0, q: 0 } });
  const args = { p: 1.3, q: 0.7 };
  const t = 0.4, y = Float64Array.of(0.4, -0.8), u = [0.3, -1.1], v = [0.5, 0.25], va = [0.2, -0.4];
  const oy = new Float64Array(2), op = new Float64Array(2);
  vf.hvp(t, y, args, Float64Array.of(...u, ...v, ...va), oy, op);
  const g = (s: number) => {
    const a = new Float64Array(2), b = new Float64Array(2);
    vf.vjpBoth(t, Float64Array.of(y[0]! + s * v[0]!, y[1]! + s * v[1]!), { p: args.p + s * va[0]!, q: args.q + s * va[1]! }, Float64Array.of(...u), a, b);
    return [...a, ...b];
  };
  const e = 1e-5, gp = g(e), gm = g(-e);
  [...oy, ...op].forEach((x, i) => assert.ok(Math.abs(x - (gp[i]! - gm[i]!) / (2 * e)) < 1e-8, `component ${i}: ${x}`));
});
