// The compiler on hostile or unusual input: whatever goes in, compile() answers with a working
// vector field or a CompileError that says what to do; never a raw TypeError, RangeError or a
// SyntaxError from generated code. Expected values are computed by hand from the sources.
import assert from "node:assert/strict";
import { test } from "node:test";
import { checkStateSize, checkTermArgs } from "../../src/terms.js";
import { compile, CompileError, diffeqsolve, ModelBuilder, ODETerm, PIDController, SaveAt, Tsit5 } from "../../src/index.js";

/** Runs `f`, which must throw a CompileError matching every pattern and carrying a fix. */
function compileError(f: () => unknown, patterns: RegExp[]): CompileError {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof CompileError, `expected a CompileError, got ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  for (const p of patterns) assert.match(err.message, p);
  assert.match(err.message, /^compile: /);
  assert.match(err.message, /\nFix: \S/);
  return err;
}

test("a field compiled for n = 2 refuses a 1-component y0 (checkStateSize, called by the solve's validation)", () => {
  const vf = compile((t: number, y: Float64Array) => [-y[0]!, y[1]!]);
  assert.equal(vf.n, 2);
  const term = new ODETerm(vf);
  assert.throws(() => checkStateSize(term, 1), (e: Error) =>
    e instanceof RangeError && /^diffeqsolve: `y0` has 1 component but the vector field was compiled for n = 2/.test(e.message) && /give y0 2 components/.test(e.message));
  assert.throws(() => checkStateSize(term, 3, "solveEnsemble"), /solveEnsemble: `y0` has 3 components but the vector field was compiled for n = 2/);
  checkStateSize(term, 2);
  // A plain function compiled automatically: its own mistake, said as the probe says it.
  const plain = (t: number, y: Float64Array, a: unknown, dy: Float64Array): void => { dy[0] = -y[0]!; };
  assert.throws(() => checkStateSize(new ODETerm(plain), 5), /the vector field did not write dy\[1\] \(it writes 1 component\); it must write all 5 components of dy/);
  // Called as written, a plain function does not know its size: nothing to check (the probe at t0 does).
  checkStateSize(new ODETerm(plain, { compile: false }), 5);
});

test("a vector field object with a wrong member is refused where it is made", () => {
  const f = (t: number, y: Float64Array, a: unknown, dy: Float64Array): void => { dy[0] = -y[0]!; };
  assert.throws(() => new ODETerm({ f, jac: 5 } as never), /^TypeError: new ODETerm\(vectorField\): `vectorField\.jac` must be a function or omitted; got number 5/);
  assert.throws(() => new ODETerm({ f, n: 0 }), /`vectorField\.n` = number 0 must be a whole number ≥ 1/);
  assert.throws(() => new ODETerm({ f, n: 2, jacSparsity: [[0]] }), /`vectorField\.jacSparsity` must list, for each of the 2 rows/);
});

test("ModelBuilder.call refuses names that are not Math functions, inherited property names included", () => {
  for (const name of ["constructor", "toString", "__proto__", "hasOwnProperty", "valueOf", "random", "nope"]) {
    const b = new ModelBuilder({ n: 1 });
    compileError(() => b.call(name, b.y(0)), [new RegExp(`ModelBuilder\\.call\\("${name}", …\\): \`name\` is not a Math function`), /sin, cos, tan, exp/]);
  }
  const b = new ModelBuilder({ n: 1 });
  compileError(() => b.call("atan2", b.y(0)), [/`atan2` takes two operands; got 1/]);
  compileError(() => b.call(42 as never, b.y(0)), [/ModelBuilder\.call\(42, …\): `name` is not a Math function/]);
  // The known ones still work: d/dt y = sin(y) at y = 2.
  b.set(0, b.call("sin", b.y(0)));
  const out = new Float64Array(1);
  compile(b).f(0, Float64Array.of(2), undefined, out);
  assert.equal(out[0], Math.sin(2));
});

test("Math and Number members that are not functions or constants the compiler knows are refused, inherited ones too", () => {
  for (const name of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
    compileError(() => compile(`(t, y) => [Math.${name}(y[0])]`), [new RegExp(`\`Math\\.${name}\` is not a Math function the compiler knows`), /Math\.sin, Math\.cos/]);
    compileError(() => compile(`(t, y) => [Math.${name} * y[0]]`), [new RegExp(`\`Math\\.${name}\` is a built-in object or function, where a number is needed`)]);
    compileError(() => compile(`(t, y) => [Number.${name} * y[0]]`), [/where a number is needed/]);
  }
  const vf = compile("(t, y) => [Math.PI * Number.EPSILON * y[0]]");
  const out = new Float64Array(1);
  vf.f(0, Float64Array.of(1), undefined, out);
  assert.equal(out[0], Math.PI * Number.EPSILON);
});

test("args keys that differ only in punctuation (a-b, a_b, a.b) get distinct generated locals", () => {
  const src = "(t, y, args) => [args['a-b'][0] + 10 * args.a_b[0] + 100 * args['a.b'][1] * y[0]]";
  const args = { "a-b": [1], a_b: [2], "a.b": [0, 3] };
  const expected = 1 + 10 * 2 + 100 * 3 * 5; // y[0] = 5
  for (const options of [{}, { args }, { args, mode: "interpreter" as const }]) {
    const vf = compile(src, options);
    const out = new Float64Array(1);
    vf.f(0, Float64Array.of(5), args, out);
    assert.equal(out[0], expected, JSON.stringify(options));
    assert.deepEqual([...vf.argNames].sort(), ["a-b[0]", "a.b[0]", "a.b[1]", "a_b[0]"].sort());
    // The fused Runge–Kutta kernel reads the same locals: y' = c y has y(1) = e^c.
    const g = compile("(t, y, args) => [(args['a-b'][0] - args.a_b[0]) * y[0]]", options.args ? { args: { "a-b": [0], a_b: [0] } } : {});
    const sol = diffeqsolve({ terms: new ODETerm(g), solver: new Tsit5(), t0: 0, t1: 1, y0: [1], args: { "a-b": [1], a_b: [2] },
      stepsizeController: new PIDController({ rtol: 1e-10, atol: 1e-12 }) });
    assert.ok(Math.abs(sol.ys[0]![0]! - Math.exp(-1)) < 1e-9);
  }
  // The standalone module is valid JavaScript with the same kernels.
  const mod = compile(src).toSource();
  const f = new Function(mod.replace(/^export const /gm, "const ").replace(/\n$/, "") + "\nreturn f;")() as (t: number, y: Float64Array, a: unknown, o: Float64Array) => void;
  const out = new Float64Array(1);
  f(0, Float64Array.of(5), args, out);
  assert.equal(out[0], expected);
});

test("parameter names every object inherits, and names listed twice, are refused", () => {
  compileError(() => compile("(t, y, args) => [args.__proto__ * y[0]]"), [/the parameter name `__proto__` is a property every JavaScript object inherits/, /rename the parameter/]);
  compileError(() => compile("(t, y, { constructor }) => [constructor * y[0]]"), [/`constructor` is a property every JavaScript object inherits/]);
  compileError(() => compile("(t, y, args) => [args.k * y[0]]", { args: JSON.parse('{"__proto__": 1, "k": 2}') }), [/`options\.args` has the key `__proto__`/]);
  compileError(() => compile("(t, y, args) => [args.k * y[0]]", { args: ["k", "k"] }), [/`options\.args` lists the parameter `k` twice/]);
  compileError(() => compile("(t, y, args) => [args.k * y[0]]", { args: ["toString"] }), [/`toString` is a property every JavaScript object inherits/]);
  compileError(() => new ModelBuilder({ n: 1, args: ["valueOf"] }), [/^compile: new ModelBuilder\(\{ args \}\): `args` names a parameter `valueOf`/]);
});

test("a flat sum of 100,000 terms compiles (the parser and the lowering loop instead of recursing)", () => {
  const N = 100_000;
  const src = "(t, y) => [" + Array.from({ length: N }, (_, i) => `${(i % 3) + 1} * y[${i % 2}]`).join(" + ") + ", -y[1]]";
  const vf = compile(src);
  // Σ_i ((i mod 3) + 1) y[i mod 2]: count the coefficients of y0 and y1 by hand.
  let c0 = 0, c1 = 0;
  for (let i = 0; i < N; i++) {
    if (i % 2 === 0) c0 += (i % 3) + 1;
    else c1 += (i % 3) + 1;
  }
  const out = new Float64Array(2);
  vf.f(0, Float64Array.of(1, 0), undefined, out);
  assert.equal(out[0], c0);
  const J = new Float64Array(4);
  vf.jac(0, Float64Array.of(1, 1), undefined, J);
  assert.deepEqual([...J], [c0, c1, 0, -1]);
  // Also differences and products chained the same way.
  const d = compile("(t, y) => [" + Array(20_000).fill("y[0]").join(" - ") + "]");
  d.f(0, Float64Array.of(1), undefined, out);
  assert.equal(out[0], 1 - 19_999);
});

test("deeper nesting than the parser can follow is a CompileError that says how to restructure", () => {
  compileError(() => compile("(t, y) => [" + "(".repeat(20_000) + "y[0]" + ")".repeat(20_000) + "]"), [/nested too deeply to parse/, /local variables/]);
  compileError(() => compile("(t, y) => [" + Array(20_000).fill("y[0] + (").join("") + "1" + ")".repeat(20_000) + "]"), [/nested too deeply/]);
});

test("options and consts mistakes are CompileErrors with a fix, never raw TypeErrors", () => {
  const src = "(t, y) => [y[0]]";
  compileError(() => compile(src, null as never), [/`options` must be an object; got null/]);
  compileError(() => compile(src, { n: "2" } as never), [/`options\.n` = the string "2" must be a whole number ≥ 1/]);
  compileError(() => compile(src, { n: 1.5 }), [/`options\.n` = 1\.5/]);
  compileError(() => compile(src, { args: -1 }), [/`options\.args` = -1/]);
  compileError(() => compile(src, { args: [1, "k"] } as never), [/`options\.args` as an array must hold either parameter names/]);
  compileError(() => compile(src, { args: { "a b": "x" } } as never), [/`options\.args\["a b"\]` must be a number or a flat array/]);
  compileError(() => compile(src, { mode: 3 } as never), [/`options\.mode` = number 3 must be/]);
  compileError(() => compile(src, { cosnts: {} } as never), [/unknown option `cosnts`/, /did you mean `consts`/]);
  compileError(() => compile(undefined as never), [/`fn` must be a function or its source text; got undefined/]);
  const cycle: Record<string, unknown> = { a: 1 };
  cycle.self = cycle;
  compileError(() => compile("(t, y) => [c.a * y[0]]", { consts: { c: cycle } }), [/options\.consts\.c\.self refers back to an object that contains it \(a cycle\)/]);
  // Shared (not cyclic) objects in consts are fine.
  const shared = [2];
  const out = new Float64Array(1);
  compile("(t, y) => [c.p[0] * c.q[0] * y[0]]", { consts: { c: { p: shared, q: shared } } }).f(0, Float64Array.of(3), undefined, out);
  assert.equal(out[0], 12);
});

test("SaveAt and a compiled field with prototype-named consts keys work (own properties only)", () => {
  const vf = compile("(t, y) => [c.constructor * y[0]]", { consts: { c: { constructor: -1 } } });
  const sol = diffeqsolve({ terms: new ODETerm(vf), solver: new Tsit5(), t0: 0, t1: 1, y0: [1], saveat: new SaveAt({ t1: true }),
    stepsizeController: new PIDController({ rtol: 1e-10, atol: 1e-12 }) });
  assert.ok(Math.abs(sol.ys[0]![0]! - Math.exp(-1)) < 1e-9);
  compileError(() => compile("(t, y) => [c.toString * y[0]]", { consts: { c: { k: 1 } } }), [/the object has no property `toString`/]);
});

test("a compiled field called without its args says which parameters it reads (codegen, interpreter, split kernels)", () => {
  const big = "(t, y, args) => [" + Array.from({ length: 700 }, (_, i) => `args.k * y[0] ** ${(i % 5) + 1}`).join(" + ") + "]";
  for (const [src, mode] of [["(t, [x], { k }) => [-k * x]", "codegen"], ["(t, [x], { k }) => [-k * x]", "interpreter"], [big, "codegen"]] as const) {
    const vf = compile(src, { mode });
    assert.throws(() => vf.f(0, Float64Array.of(1), undefined, new Float64Array(1)),
      (e: Error) => e instanceof TypeError && /^compiled vector field: `args` is undefined but the field reads parameters \(k\)/.test(e.message), `${mode} ${src.length}`);
  }
  const flat = compile("(t, y, p) => [-p[0] * y[0]]");
  assert.throws(() => flat.f(0, Float64Array.of(1), null, new Float64Array(1)), /`args` is null but the field reads parameters \(a flat vector of 1\)/);
});

test("checkTermArgs: a compiled field's parameters must be in args, with the right kind (for the solve's validation)", () => {
  const term = new ODETerm(compile("(t, y, args) => [-args.k * args.W[1] * y[0]]", { args: { k: 1, W: [0, 0] } }));
  checkTermArgs(term, { k: 2, W: [1, 2] });
  checkTermArgs(term, Float64Array.of(1, 2, 3));
  assert.throws(() => checkTermArgs(term, undefined), /^TypeError: diffeqsolve: `args` is undefined but the vector field reads the parameters k, W; pass args with k, W\[0\], W\[1\]/);
  assert.throws(() => checkTermArgs(term, { W: [1, 2] }, "solveEnsemble"), /^TypeError: solveEnsemble: `args\.k` is undefined but the vector field reads it as a number/);
  assert.throws(() => checkTermArgs(term, { k: 1, W: [1] }), /`args\.W` is an object of type Array but the vector field reads it as an array of 2 numbers/);
  assert.throws(() => checkTermArgs(term, Float64Array.of(1)), /`args` is a Float64Array of 1 but the vector field reads 3 parameters/);
  // Inherited properties do not count as given.
  const c = new ODETerm(compile("(t, y, args) => [-args.k * y[0]]"));
  assert.throws(() => checkTermArgs(c, Object.create({ k: 1 })), /`args\.k` is undefined/);
});

test("a destructured parameter compared at run time (k === t) reads the array entries of both branches", () => {
  // Found by the compile fuzzer: the first pass of layout inference decided `args.k === t` at
  // compile time (a parameter of unknown kind taken for an object), so w[1] in the other branch
  // was missing from the inferred layout and the second pass refused the source.
  const src = "(t, y, { k, w }) => [(k === t ? w[1] : w[0]) * y[0]]";
  const vf = compile(src);
  assert.deepEqual([...vf.argNames], ["k", "w[0]", "w[1]"]);
  const out = new Float64Array(1);
  vf.f(0.5, Float64Array.of(2), { k: 0.5, w: [3, 5] }, out);
  assert.equal(out[0], 10);
  vf.f(0.25, Float64Array.of(2), { k: 0.5, w: [3, 5] }, out);
  assert.equal(out[0], 6);
});

test("a logical chain too deep for the recursive lowering is a CompileError, not a stack overflow", () => {
  compileError(() => compile("(t, y) => [(" + Array(20_000).fill("(y[0] > 1)").join(" || ") + ") ? 1 : 0]"),
    [/the vector field is nested too deeply to compile/, /local variables/]);
});
