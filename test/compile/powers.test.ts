// Constant powers: `Math.pow(x, c)` / `x ** c` compile to multiplications and roots (powers.ts).
// The reference is Math.pow itself and the closed-form derivative c·x^(c−1).
import assert from "node:assert/strict";
import { test } from "node:test";
import { compile } from "../../src/index.js";
import { MAX_REDUCED_POWER } from "../../src/compile/powers.js";

/** Distance in units in the last place between two finite doubles of the same sign. */
function ulps(a: number, b: number): number {
  if (a === b) return 0;
  const buf = new DataView(new ArrayBuffer(16));
  buf.setFloat64(0, a);
  buf.setFloat64(8, b);
  const d = buf.getBigInt64(0) - buf.getBigInt64(8);
  return Number(d < 0n ? -d : d);
}

/** Every reduced exponent: integers, half-integers and ⅓. */
const K = MAX_REDUCED_POWER;
const exponents: number[] = [1 / 3];
for (let k = 2; k <= K; k++) exponents.push(k, -k);
exponents.push(-1);
for (let k = 0; k <= K; k++) exponents.push(k + 0.5, -(k + 0.5));

/** The compiled `x ** c` and its Jacobian, on a one-component state (compiled once per variant). */
const powerCache = new Map<string, ReturnType<typeof compilePower>>();
function powerOf(c: number, mode: "codegen" | "interpreter" = "codegen", form: "pow" | "**" = "pow") {
  const key = `${c}/${mode}/${form}`;
  let p = powerCache.get(key);
  if (p === undefined) powerCache.set(key, (p = compilePower(c, mode, form)));
  return p;
}
function compilePower(c: number, mode: "codegen" | "interpreter", form: "pow" | "**") {
  const body = form === "pow" ? `Math.pow(y[0], ${c})` : `y[0] ** (${c})`;
  const vf = compile(`(t, y, args, dy) => { dy[0] = ${body}; }`, { mode });
  const y = new Float64Array(1), out = new Float64Array(1), J = new Float64Array(1);
  return {
    vf,
    f(x: number): number { y[0] = x; vf.f(0, y, undefined, out); return out[0]!; },
    d(x: number): number { y[0] = x; vf.jac(0, y, undefined, J); return J[0]!; },
  };
}

/** Log-uniform samples in [1e-3, 1e3] and a few round values (deterministic). */
const samples: number[] = [0.25, 0.5, 1, 2, 3, 10, 1e-3, 1e3, 0.1, 7.5];
{
  let s = 12345;
  for (let i = 0; i < 400; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    samples.push(10 ** (-3 + (6 * s) / 2 ** 32));
  }
}

/** The documented worst case, in ulps: (k − 1) for x^k, one more per root, product and division, one for Math.pow's own error. */
function bound(c: number): number {
  if (c === 1 / 3) return 2; // ∛ vs the double nearest ⅓: |ln x|·1.85e−17 ≤ 1.3e−16 here, plus rounding
  const m = Math.abs(c), k = Math.floor(m);
  const half = m !== k;
  return Math.max(k - 1, 0) + (half ? 2 : 0) + (c < 0 ? 1 : 0) + 1;
}

test("reduced constant powers agree with Math.pow within the documented ulps (integers, halves, ⅓)", () => {
  const worst: string[] = [];
  for (const c of exponents) {
    const p = powerOf(c);
    let max = 0;
    for (const x of samples) {
      const got = p.f(x), want = Math.pow(x, c);
      const u = ulps(got, want);
      if (u > max) max = u;
      assert.ok(u <= bound(c), `x = ${x}, c = ${c}: ${got} vs Math.pow ${want} (${u} ulps > ${bound(c)})`);
    }
    worst.push(`${c === 1 / 3 ? "1/3" : c}: ${max}`);
  }
  // x², √x are single correctly rounded operations: they equal Math.pow wherever it is correctly rounded.
  for (const x of samples) {
    assert.equal(powerOf(2).f(x), x * x);
    assert.equal(powerOf(0.5).f(x), Math.sqrt(x));
    assert.equal(powerOf(1.5).f(x), x * Math.sqrt(x), "x^1.5 is x·√x, as C programs write it");
    assert.equal(powerOf(-1).f(x), 1 / x);
  }
  console.log(`max ulps from Math.pow over ${samples.length} samples: ${worst.join(", ")}`);
});

test("the emitted forms: Math.pow(x, 1.5) is x * Math.sqrt(x), x ** 3 is (x * x) * x, x ** -0.5 is 1 / Math.sqrt(x), x ** (1/3) a cube root", () => {
  const src = compile("(t, [x, y, z, w], args, dy) => { dy[0] = Math.pow(x, 1.5); dy[1] = y ** 3; dy[2] = z ** -0.5; dy[3] = w ** (1 / 3); }").toSource();
  const f = src.slice(src.indexOf("function f("), src.indexOf("export const jac = "));
  assert.match(f, /= y0 \* Math\.sqrt\(y0\);/);
  assert.match(f, /= \(\(y1 \* y1\) \* y1\);/);
  assert.match(f, /= 1 \/ \(Math\.sqrt\(y2\)\);/);
  assert.match(f, /= \(y3 < 0 \? NaN : Math\.cbrt\(y3\)\);/);
  assert.doesNotMatch(f, /\*\*|Math\.pow/);
  // Other exponents keep the general power.
  assert.match(compile("(t, [x]) => [x ** 2.25, Math.pow(x, 17)]").toSource(), /y0 \*\* 2\.25[\s\S]*y0 \*\* 17/);
});

test("special values: +0, +∞, NaN and negative x give Math.pow's values; −0 and −∞ differ only as documented", () => {
  for (const c of exponents) {
    const p = powerOf(c);
    for (const x of [0, Infinity, NaN, -2, -0.5]) {
      const got = p.f(x), want = Math.pow(x, c);
      if (Number.isFinite(want) && want !== 0) assert.ok(ulps(got, want) <= bound(c), `(${x}) ** ${c}: ${got} vs ${want}`);
      else assert.ok(Object.is(got, want), `(${x}) ** ${c}: ${got} vs Math.pow ${want}`);
    }
    // −0: the same magnitude, possibly the other sign of zero or infinity.
    const z = p.f(-0), zw = Math.pow(-0, c);
    assert.ok(Math.abs(z) === Math.abs(zw), `(-0) ** ${c}: ${z} vs ${zw}`);
    // −∞: integers agree; half-integers and ⅓ give NaN (Math.pow: +∞ or +0).
    const m = p.f(-Infinity), mw = Math.pow(-Infinity, c);
    if (Number.isInteger(c)) assert.ok(Object.is(m, mw), `(-∞) ** ${c}: ${m} vs ${mw}`);
    else assert.ok(Number.isNaN(m), `(-∞) ** ${c}: ${m}`);
  }
  assert.ok(Object.is(powerOf(0.5).f(-0), -0), "documented: the square root of −0 is −0");
});

test("a constant base is folded with the same operations, and the interpreter computes what the generated code does", () => {
  for (const c of exponents) {
    const xs = [0.3, 1.7, 42];
    const folded = compile(`(t, y) => [${xs.map((x) => `Math.pow(${x}, ${c})`).join(", ")}]`, { n: 3 }).f;
    const out = new Float64Array(3);
    folded(0, new Float64Array(3), undefined, out);
    for (const [i, x] of xs.entries()) {
      assert.equal(out[i], powerOf(c).f(x), `${x} ** ${c} folded`);
      assert.equal(powerOf(c, "interpreter").f(x), powerOf(c).f(x), `${x} ** ${c} interpreted`);
      assert.equal(powerOf(c, "codegen", "**").f(x), powerOf(c).f(x), "x ** c and Math.pow(x, c) are the same node");
    }
  }
});

test("derivatives of reduced powers: c·x^(c−1) (closed form, and central differences), finite at 0 where x^(c−1) is", () => {
  for (const c of exponents) {
    const p = powerOf(c);
    for (const x of [0.3, 1.7, 5, 42]) {
      const want = c * Math.pow(x, c - 1);
      const got = p.d(x);
      assert.ok(Math.abs(got - want) <= 1e-14 * Math.abs(want), `d/dx x^${c} at ${x}: ${got} vs ${want}`);
      // Independent of the closed form: a central difference of the compiled f.
      const h = 1e-6 * x;
      const fd = (p.f(x + h) - p.f(x - h)) / (2 * h);
      assert.ok(Math.abs(fd - want) <= 1e-6 * Math.abs(want), `central difference of x^${c} at ${x}: ${fd} vs ${want}`);
    }
  }
  // At 0 the derivative of x², x^1.5, x^2.5 is 0 (the product rule on x·√x would give 0·∞ = NaN).
  for (const c of [2, 3, 1.5, 2.5, 16.5]) assert.equal(powerOf(c).d(0), 0, `d/dx x^${c} at 0`);
  assert.equal(powerOf(0.5).d(0), Infinity);
  // Forward and reverse mode agree with the dense Jacobian on a two-component field.
  const vf = compile("(t, [x, y]) => [Math.pow(x, 1.5) * y ** -2, x ** (1 / 3) + Math.pow(y, 7)]");
  const y = Float64Array.of(1.3, 0.7), J = new Float64Array(4), col = new Float64Array(2), row = new Float64Array(2);
  vf.jac(0, y, undefined, J);
  const closed = [1.5 * Math.sqrt(1.3) * 0.7 ** -2, -2 * 1.3 ** 1.5 * 0.7 ** -3, Math.cbrt(1.3) / (3 * 1.3), 7 * 0.7 ** 6];
  for (let k = 0; k < 4; k++) assert.ok(Math.abs(J[k]! - closed[k]!) <= 1e-14 * Math.abs(closed[k]!), `J[${k}]`);
  for (let j = 0; j < 2; j++) {
    const e = new Float64Array(2); e[j] = 1;
    vf.jvp(0, y, undefined, e, col);
    vf.vjp(0, y, undefined, e, row);
    for (let i = 0; i < 2; i++) {
      assert.equal(col[i], J[i * 2 + j], `jvp column ${j}`);
      assert.equal(row[i], J[j * 2 + i], `vjp row ${j}`);
    }
  }
});
