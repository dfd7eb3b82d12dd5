import assert from "node:assert/strict";
import { test } from "node:test";
import { compile, type CompiledVectorField } from "../../src/index.js";
import { MAX_OPS } from "../../src/compile/codegen.js";
import { corpus, evalOriginal, flatArgs, N, rng, type CorpusEntry } from "./corpus.js";

const compiled = new Map<string, CompiledVectorField>();
function get(e: CorpusEntry, mode: "codegen" | "interpreter" = "codegen"): CompiledVectorField {
  const key = `${e.name}/${mode}`;
  let c = compiled.get(key);
  if (c === undefined) compiled.set(key, (c = compile(e.fn, { ...e.options, mode })));
  return c;
}

/** |a − b| ≤ rel · max(|a|, |b|), entrywise, with the failing index in the message. */
function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, rel: number, what: string, floor = 0): void {
  assert.equal(a.length, b.length, `${what}: lengths`);
  for (let i = 0; i < a.length; i++) {
    const scale = Math.max(Math.abs(a[i]!), Math.abs(b[i]!), floor);
    assert.ok(Math.abs(a[i]! - b[i]!) <= rel * scale, `${what}[${i}]: ${a[i]} vs ${b[i]} (relative ${rel})`);
  }
}

test("f agrees with the original function on random inputs (relative 1e-14)", () => {
  for (const e of corpus) {
    const c = get(e);
    assert.equal(c.n, e.n, `${e.name}: n`);
    const r = rng(1);
    const out = new Float64Array(e.n);
    for (let trial = 0; trial < 20; trial++) {
      const { t, y, args } = e.sample(r);
      c.f(t, y, args, out);
      assertClose(out, evalOriginal(e.fn, e.n, t, y, args), 1e-14, `${e.name} f`);
      // The flat parameter vector in argNames order gives the same result.
      const p = flatArgs(args, c.argNames);
      const out2 = new Float64Array(e.n);
      c.f(t, y, p, out2);
      assert.deepEqual(out2, out, `${e.name}: f with flat args`);
    }
  }
});

test("argNames fix the parameter layout (named scalars, arrays in order of first use)", () => {
  assert.deepEqual(get(corpus[0]!).argNames, ["sigma", "rho", "beta"]);
  assert.deepEqual(get(corpus.find((e) => e.name === "ROBER")!).argNames, ["k1", "k2", "k3"]);
  const nn = get(corpus.find((e) => e.name === "tanh neural network")!);
  assert.equal(nn.nArgs, 8 * 4 + 8 + 4 * 8 + 4);
  assert.deepEqual(nn.argNames.slice(0, 2), ["b1[0]", "b1[1]"]);
  assert.ok(nn.argNames.includes("W2[31]") && nn.argNames.includes("b2[3]"));
  // A sample in options.args fixes the order of the keys.
  const c = compile((t: number, [x]: Float64Array, { a, b }: { a: number; b: number }) => [a * x + b], { args: { b: 0, a: 0 } });
  assert.deepEqual(c.argNames, ["b", "a"]);
  const out = new Float64Array(1);
  c.f(0, Float64Array.of(2), Float64Array.of(1, 3), out);
  assert.equal(out[0], 7);
  // Flat args by index.
  const d = compile("(t, y, p) => [p[0] * y[0] + p[2]]");
  assert.deepEqual(d.argNames, ["args[0]", "args[1]", "args[2]"]);
  d.f(0, Float64Array.of(2), [3, 0, 1], out);
  assert.equal(out[0], 7);
});

/**
 * Finite-difference Jacobian of g : R^m → R^k at x (row-major k × m) by Ridders' method: central
 * differences at geometrically shrinking steps, extrapolated to h → 0, keeping per entry the
 * estimate with the smallest error estimate (Ridders, Adv. Eng. Software 4 (1982) 75–76;
 * Numerical Recipes §5.7). Plain central differences lose too many digits where |f| ≫ |∂f|
 * (ROBER's k2 = 3e7) to test to 1e-7.
 */
function fdJacobian(g: (x: Float64Array, out: Float64Array) => void, x: Float64Array, k: number): Float64Array {
  const m = x.length;
  const J = new Float64Array(k * m);
  const fp = new Float64Array(k);
  const fm = new Float64Array(k);
  const CON = 1.4, CON2 = CON * CON, NTAB = 10;
  const central = (j: number, h: number, out: Float64Array) => {
    const xp = Float64Array.from(x); xp[j] = x[j]! + h;
    const xm = Float64Array.from(x); xm[j] = x[j]! - h;
    g(xp, fp);
    g(xm, fm);
    for (let i = 0; i < k; i++) out[i] = (fp[i]! - fm[i]!) / (2 * h);
  };
  for (let j = 0; j < m; j++) {
    const best = new Float64Array(k).fill(NaN);
    const bestErr = new Float64Array(k).fill(Infinity);
    for (const h0 of [0.5, 0.05, 0.005, 1e-4]) {
      // Central differences at h0, h0/CON, …; then each entry's Ridders tableau.
      const cols: Float64Array[] = [];
      let h = h0 * Math.max(Math.abs(x[j]!), 1);
      for (let q = 0; q < NTAB; q++, h /= CON) {
        const col = new Float64Array(k);
        central(j, h, col);
        cols.push(col);
      }
      for (let i = 0; i < k; i++) {
        const a: number[][] = Array.from({ length: NTAB }, () => new Array(NTAB).fill(0));
        a[0]![0] = cols[0]![i]!;
        let err = Infinity;
        let ans = NaN;
        for (let q = 1; q < NTAB; q++) {
          a[0]![q] = cols[q]![i]!;
          let fac = CON2;
          for (let r = 1; r <= q; r++) {
            a[r]![q] = (a[r - 1]![q]! * fac - a[r - 1]![q - 1]!) / (fac - 1);
            fac *= CON2;
            const errt = Math.max(Math.abs(a[r]![q]! - a[r - 1]![q]!), Math.abs(a[r]![q]! - a[r - 1]![q - 1]!));
            if (errt <= err) { err = errt; ans = a[r]![q]!; }
          }
          // Stop when the higher orders get worse: rounding has taken over.
          if (Math.abs(a[q]![q]! - a[q - 1]![q - 1]!) >= 2 * err) break;
        }
        if (err < bestErr[i]!) { bestErr[i] = err; best[i] = ans; }
      }
    }
    for (let i = 0; i < k; i++) J[i * m + j] = best[i]!;
  }
  return J;
}

/**
 * Entrywise comparison against finite differences, relative 1e-7 of the larger of the entry and
 * the largest entry of its row (central differences lose digits to cancellation on tiny entries).
 */
function assertJacobianClose(J: Float64Array, Jfd: Float64Array, rows: number, cols: number, what: string): void {
  for (let i = 0; i < rows; i++) {
    let rowMax = 0;
    for (let j = 0; j < cols; j++) rowMax = Math.max(rowMax, Math.abs(J[i * cols + j]!));
    for (let j = 0; j < cols; j++) {
      const a = J[i * cols + j]!;
      const b = Jfd[i * cols + j]!;
      assert.ok(Math.abs(a - b) <= 1e-7 * Math.max(Math.abs(a), rowMax), `${what} (${i}, ${j}): exact ${a} vs finite difference ${b}`);
    }
  }
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!; return s; };
const absDot = (a: ArrayLike<number>, b: ArrayLike<number>) => { let s = 0; for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! * b[i]!); return s; };

test("Jacobians (y and args) and ∂f/∂t agree with finite differences (Ridders-extrapolated central differences, relative 1e-7)", () => {
  for (const e of corpus) {
    const c = get(e);
    const r = rng(2);
    for (let trial = 0; trial < 2; trial++) {
      const { t, y, args } = e.sample(r);
      const n = e.n;
      const J = new Float64Array(n * n).fill(NaN);
      c.jac(t, y, args, J);
      assertJacobianClose(J, fdJacobian((x, out) => c.f(t, x, args, out), y, n), n, n, `${e.name} ∂f/∂y`);
      const p = flatArgs(args, c.argNames);
      const m = c.nArgs;
      const Jp = new Float64Array(n * m).fill(NaN);
      c.jacArgs(t, y, args, Jp);
      assertJacobianClose(Jp, fdJacobian((x, out) => c.f(t, y, x, out), p, n), n, m, `${e.name} ∂f/∂p`);
      const ft = new Float64Array(n).fill(NaN);
      c.dfdt(t, y, args, ft);
      assertJacobianClose(ft, fdJacobian((x, out) => c.f(x[0]!, y, args, out), Float64Array.of(t), n), n, 1, `${e.name} ∂f/∂t`);
    }
  }
});

test("JVPs and VJPs agree with the Jacobian and with each other (⟨w, J v⟩ = ⟨Jᵀ w, v⟩ to 1e-12)", () => {
  for (const e of corpus) {
    const c = get(e);
    const r = rng(3);
    const n = e.n;
    const m = c.nArgs;
    for (let trial = 0; trial < 3; trial++) {
      const { t, y, args } = e.sample(r);
      const v = Float64Array.from({ length: n }, () => r() - 0.5);
      const w = Float64Array.from({ length: n }, () => r() - 0.5);
      const J = new Float64Array(n * n);
      c.jac(t, y, args, J);
      const Jv = new Float64Array(n);
      const JTw = new Float64Array(n);
      c.jvp(t, y, args, v, Jv);
      c.vjp(t, y, args, w, JTw);
      const denseJv = Float64Array.from({ length: n }, (_, i) => dot(J.subarray(i * n, (i + 1) * n), v));
      const denseJTw = Float64Array.from({ length: n }, (_, j) => { let s = 0; for (let i = 0; i < n; i++) s += J[i * n + j]! * w[i]!; return s; });
      for (let i = 0; i < n; i++) {
        const sv = absDot(J.subarray(i * n, (i + 1) * n), v) + 1e-300;
        assert.ok(Math.abs(Jv[i]! - denseJv[i]!) <= 1e-12 * sv, `${e.name} jvp[${i}]`);
        let sw = 1e-300;
        for (let k = 0; k < n; k++) sw += Math.abs(J[k * n + i]! * w[k]!);
        assert.ok(Math.abs(JTw[i]! - denseJTw[i]!) <= 1e-12 * sw, `${e.name} vjp[${i}]`);
      }
      // Duality, relative to Σ|w_i (Jv)_i| + Σ|(Jᵀw)_j v_j| (the size of the terms being summed).
      const lhs = dot(w, Jv);
      const rhs = dot(JTw, v);
      assert.ok(Math.abs(lhs - rhs) <= 1e-12 * (absDot(w, Jv) + absDot(JTw, v)), `${e.name}: ⟨w, Jv⟩ = ${lhs} vs ⟨Jᵀw, v⟩ = ${rhs}`);
      // The same with respect to the parameters.
      const vp = Float64Array.from({ length: m }, () => r() - 0.5);
      const Jpv = new Float64Array(n);
      const JpTw = new Float64Array(m);
      c.jvpArgs(t, y, args, vp, Jpv);
      c.vjpArgs(t, y, args, w, JpTw);
      const l2 = dot(w, Jpv);
      const r2 = dot(JpTw, vp);
      assert.ok(Math.abs(l2 - r2) <= 1e-12 * (absDot(w, Jpv) + absDot(JpTw, vp)), `${e.name}: parameter duality ${l2} vs ${r2}`);
      // vjpBoth: both from one sweep, equal to vjp and vjpArgs.
      const bothY = new Float64Array(n), bothP = new Float64Array(m);
      c.vjpBoth(t, y, args, w, bothY, bothP);
      assert.deepEqual(bothY, JTw, `${e.name}: vjpBoth (y part)`);
      assert.deepEqual(bothP, JpTw, `${e.name}: vjpBoth (args part)`);
      const Jp = new Float64Array(n * m);
      c.jacArgs(t, y, args, Jp);
      for (let j = 0; j < m; j++) {
        let s = 0, sa = 1e-300;
        for (let i = 0; i < n; i++) { s += Jp[i * m + j]! * w[i]!; sa += Math.abs(Jp[i * m + j]! * w[i]!); }
        assert.ok(Math.abs(JpTw[j]! - s) <= 1e-12 * sa, `${e.name} vjpArgs[${j}]`);
      }
    }
  }
});

test("the heat equation's Jacobian pattern is tridiagonal and needs 3 colours", () => {
  const c = get(corpus.find((e) => e.name === "heat (N = 100)")!);
  const pattern = c.jacSparsity;
  assert.equal(pattern.length, N);
  for (let i = 0; i < N; i++) {
    const expected = [i - 1, i, i + 1].filter((j) => j >= 0 && j < N);
    assert.deepEqual(pattern[i], expected, `row ${i}`);
  }
  const { colors, count } = c.jacColoring;
  assert.equal(count, 3);
  for (let i = 0; i < N; i++) {
    const cs = pattern[i]!.map((j) => colors[j]);
    assert.equal(new Set(cs).size, cs.length, `row ${i} has two columns of one colour`);
  }
  // jacValues lists the pattern's entries in row-major order, equal to the dense Jacobian's.
  const y = Float64Array.from({ length: N }, (_, i) => Math.sin(i));
  const J = new Float64Array(N * N);
  c.jac(0, y, { D: 1 }, J);
  const nnz = pattern.reduce((s, r) => s + r.length, 0);
  assert.equal(nnz, 3 * N - 2);
  const vals = new Float64Array(nnz);
  c.jacValues(0, y, { D: 1 }, vals);
  let k = 0;
  for (let i = 0; i < N; i++) for (const j of pattern[i]!) assert.equal(vals[k++], J[i * N + j]);
  const h = 1 / (N + 1);
  assert.equal(J[5 * N + 5], (1 / (h * h)) * -2);
  assert.equal(J[5 * N + 7], 0);
});

test("the interpreter gives the same results as the generated code, bit for bit", () => {
  for (const e of corpus) {
    const gen = get(e, "codegen");
    const int = get(e, "interpreter");
    assert.equal(int.mode, "interpreter");
    const r = rng(4);
    const { t, y, args } = e.sample(r);
    const n = e.n;
    const v = Float64Array.from({ length: n }, () => r() - 0.5);
    for (const [name, len, extra] of [["f", n, null], ["jac", n * n, null], ["dfdt", n, null], ["jvp", n, v], ["vjp", n, v], ["vjpArgs", gen.nArgs, v]] as const) {
      const a = new Float64Array(len);
      const b = new Float64Array(len);
      const fa = (gen as any)[name];
      const fb = (int as any)[name];
      if (extra === null) { fa(t, y, args, a); fb(t, y, args, b); } else { fa(t, y, args, extra, a); fb(t, y, args, extra, b); }
      assert.deepEqual(b, a, `${e.name}: ${name}`);
    }
  }
});

test("large graphs are split into functions of at most MAX_OPS (500) operations and stay exact", () => {
  // 600 unrolled coupled terms: f has > 2000 operations, so its code is split.
  const M = 600;
  const src = `(t, y, args, dy) => { for (let i = 0; i < M; i++) { const a = y[i], b = y[(i + 1) % M]; dy[i] = Math.sin(a) * b - args.k * a * a + Math.exp(-b) / (1 + a * a); } }`;
  const c = compile(src, { consts: { M } });
  assert.ok(c.operations > 2000, `operations ${c.operations}`);
  const code = c.toSource();
  assert.ok(/function f_1\(/.test(code), "f is split into chunks");
  const fCode = code.slice(code.indexOf("export const f ="), code.indexOf("export const jac ="));
  const chunks = fCode.split(/function f_\d+\(/).slice(1);
  assert.ok(chunks.length >= Math.ceil(c.operations / MAX_OPS), `${chunks.length} chunks`);
  for (const ch of chunks) assert.ok((ch.match(/^const v\d+ = (?!W\[)/gm) ?? []).length <= MAX_OPS, "chunk size");
  const r = rng(5);
  const y = Float64Array.from({ length: M }, () => r() * 2 - 1);
  const out = new Float64Array(M);
  c.f(0, y, { k: 0.3 }, out);
  for (let i = 0; i < M; i++) {
    const a = y[i]!, b = y[(i + 1) % M]!;
    assert.equal(out[i], Math.sin(a) * b - 0.3 * a * a + Math.exp(-b) / (1 + a * a));
  }
  const int = compile(src, { consts: { M }, mode: "interpreter" });
  const out2 = new Float64Array(M);
  int.f(0, y, { k: 0.3 }, out2);
  assert.deepEqual(out2, out);
  const v = Float64Array.from({ length: M }, () => r() - 0.5);
  const a = new Float64Array(M), b = new Float64Array(M);
  c.vjp(0, y, Float64Array.of(0.3), v, a);
  int.vjp(0, y, { k: 0.3 }, v, b);
  assert.deepEqual(b, a);
  // vjpBoth (two output arrays) in split kernels and in the interpreter.
  const a1 = new Float64Array(M), a2 = new Float64Array(1), b1 = new Float64Array(M), b2 = new Float64Array(1);
  c.vjpBoth(0, y, { k: 0.3 }, v, a1, a2);
  int.vjpBoth(0, y, { k: 0.3 }, v, b1, b2);
  assert.deepEqual(a1, a);
  assert.deepEqual(b1, a1);
  assert.deepEqual(b2, a2);
  const pa = new Float64Array(1);
  c.vjpArgs(0, y, { k: 0.3 }, v, pa);
  assert.deepEqual(a2, pa);
});

test("structural hashing merges common subexpressions and folds constants", () => {
  const c = compile((t: number, [x, y]: Float64Array) => {
    const s = Math.sin(x * y);
    return [Math.sin(x * y) + s * 2 * 3, Math.sin(y * x) * (1 + 1) + 0 * x];
  });
  const src = c.toSource();
  const fSrc = src.slice(src.indexOf("export const f ="), src.indexOf("export const jac ="));
  assert.equal((fSrc.match(/Math\.sin/g) ?? []).length, 1, "one sin");
  assert.ok(fSrc.includes("* 6") || fSrc.includes("6 *"), "2 * 3 folded? " + fSrc);
  const out = new Float64Array(2);
  c.f(0, Float64Array.of(0.3, 0.7), undefined, out);
  const s = Math.sin(0.3 * 0.7);
  assert.equal(out[1], s * 2);
});

test("the documented subset: body destructuring, var, hoisted helpers, for…of, comma, compound assignment, &&/|| values", () => {
  const sources: ((...a: any[]) => any)[] = [
    function (t: number, y: Float64Array, args: { k: number; m: number }, dy: Float64Array) {
      const [x, v] = y;
      const { k, m } = args;
      var acc = 0;
      for (const w of [1, 2, 3]) acc += w * x!;
      dy[0] = v!, dy[1] = -k / m * x! + damp(v!) + acc * 1e-3;
      function damp(u: number) { return -0.1 * u * Math.abs(u) % 7; }
    },
    (t: number, [x, v]: Float64Array, p: { k: number; m: number }) => {
      let s = 0;
      for (let i = 0, j = 10; i < 5; i++, j -= 2) { s += i * j; s *= 0.5; s -= Math.PI / j; }
      const gate = (x > 0 && v) || p.k;
      const pick = x > 0.5 ? v : x < -0.5 ? -v : x ** 2;
      return [v + s * 1e-3, -p.k * x + gate * 0.01 + pick * Math.E, (x > v ? 1 : 0) + Math.hypot(x, v, p.m)];
    },
  ];
  const r = rng(21);
  for (const fn of sources) {
    const c = compile(fn);
    for (let trial = 0; trial < 20; trial++) {
      const y = Float64Array.of(r() * 2 - 1, r() * 2 - 1, r());
      const args = { k: 1 + r(), m: 1 + r() };
      const ref = evalOriginal(fn, c.n, 0.3, y.subarray(0, c.n), args);
      const out = new Float64Array(c.n);
      c.f(0.3, y.subarray(0, c.n), args, out);
      assertClose(out, ref, 1e-15, `${fn.toString().slice(0, 40)}`, 1e-300);
    }
  }
});
