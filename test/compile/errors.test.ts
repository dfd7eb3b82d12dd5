import assert from "node:assert/strict";
import { test } from "node:test";
import { compile, CompileError } from "../../src/index.js";

/** Compiling `src` throws a CompileError whose message matches every pattern and has a code frame. */
function rejects(src: Function | string, patterns: RegExp[], options: Record<string, unknown> = {}, frame = true): CompileError {
  let err: unknown;
  try {
    compile(src as never, options);
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof CompileError, `expected a CompileError, got ${String(err)}`);
  for (const p of patterns) assert.match(err.message, p);
  assert.match(err.message, /Fix: /);
  if (frame) {
    assert.match(err.frame, /^> +\d+ \| /m, "code frame line");
    assert.match(err.frame, /\^+/, "caret");
  }
  return err;
}

test("a closure variable: pass it in consts or args", () => {
  const k = 2;
  const e = rejects((t: number, y: Float64Array) => [k * y[0]!], [/`k` is a variable from outside the vector field/, /pass `k` in `consts` or `args`/]);
  assert.ok(e.line >= 1 && e.column > 1);
  // With consts it compiles.
  const c = compile((t: number, y: Float64Array) => [k * y[0]!], { consts: { k } });
  const out = new Float64Array(1);
  c.f(0, Float64Array.of(3), undefined, out);
  assert.equal(out[0], 6);
});

test("a loop whose bound depends on the state", () => {
  rejects("(t, y, args, dy) => { let s = 0; for (let i = 0; i < y[0]; i++) s += i; dy[0] = s; }", [/loop's bound depends on the state/, /cannot be unrolled at compile time/, /make the bound a constant/]);
});

test("while and do…while loops", () => {
  rejects("(t, y, args, dy) => { let i = 0; while (i < 3) i++; dy[0] = i; }", [/`while` loops cannot be compiled/, /for loop with a compile-time bound/]);
  rejects("(t, y, args, dy) => { let i = 0; do { i++; } while (i < 3); dy[0] = i; }", [/`do … while` loops cannot be compiled/]);
});

test("unknown calls: y.map, console.log", () => {
  rejects("(t, y) => y.map((v) => -v)", [/`y\.map\(…\)` cannot be compiled|not a component of y/, /array methods/]);
  rejects("(t, y, args, dy) => { console.log(y[0]); dy[0] = -y[0]; }", [/`console\.log\(…\)` cannot be compiled/, /remove the logging call/]);
  rejects("(t, y) => [foo(y[0])]", [/`foo` is a variable from outside/]);
});

test("Math.random and Date.now are not deterministic", () => {
  rejects("(t, y) => [Math.random() * y[0]]", [/`Math\.random\(\)` is not deterministic/, /ControlTerm/]);
  rejects("(t, y) => [Date.now() * y[0]]", [/`Date\.now\(\)` is not deterministic/]);
});

test("this, new, recursion and async", () => {
  rejects("function (t, y) { return [this.k * y[0]]; }", [/`this` cannot be used/]);
  rejects("(t, y) => { const a = new Float64Array(1); a[0] = y[0]; return [a[0]]; }", [/`new` cannot be used/]);
  rejects("(t, y) => { const fact = (n) => n <= 1 ? 1 : n * fact(n - 1); return [fact(3) * y[0]]; }", [/calls itself \(recursion\)/, /for loop/]);
  rejects("async (t, y) => [y[0]]", [/an async function cannot be compiled/]);
});

test("assignment to y or args", () => {
  rejects("(t, y, args, dy) => { y[0] = 1; dy[0] = y[0]; }", [/assignment to y is not allowed/]);
  rejects("(t, y, args, dy) => { args.k = 1; dy[0] = y[0]; }", [/assignment to args is not allowed/]);
  rejects("(t, y, args, dy) => { y = dy; dy[0] = 1; }", [/assignment to the parameter `y`/]);
});

test("an output of the wrong length", () => {
  rejects("(t, y) => [y[1], -y[0]]", [/returns 2 values but options\.n = 3/], { n: 3 });
  rejects("(t, [x, v, w]) => [v, -x]", [/reads y\[2\] but returns 2 derivatives/]);
  rejects("(t, y, args, dy) => { dy[0] = y[1]; dy[2] = 0; }", [/dy\[1\] is never written/]);
  rejects("(t, y, args, dy) => { dy[0] = y[1]; dy[1] = 0; dy[2] = 1; }", [/writes dy\[2\] but options\.n = 2/], { n: 2 });
});

test("sources that cannot be parsed: native and bound functions, coverage-instrumented code, syntax errors", () => {
  rejects(Math.sin, [/has no readable source \(it is a native or bound function\)/], {}, false);
  const bound = ((t: number, y: Float64Array) => [y[0]!]).bind(null);
  rejects(bound, [/native or bound function/], {}, false);
  rejects("(t, y) => { cov_2k1x9().s[0]++; return [y[0]]; }", [/coverage-instrumented/, /exclude the vector field's file from coverage/]);
  rejects("(t, y) => [y[0] +]", [/could not be parsed/]);
  assert.throws(() => compile(42 as never), /`fn` must be a function or its source text; got number/);
});

test("run-time conditions: both sides must assign; other misuse is named", () => {
  rejects("(t, y) => { let a; if (y[0] > 0) a = 1; return [a]; }", [/assigned on only one side of a condition/]);
  rejects("(t, y, args) => [y[args.i]]", [/index `args\.i` depends on the state, t or args/]);
  rejects("(t, y, args, dy) => { dy[0] = dy[1]; dy[1] = 0; }", [/dy\[1\] is read before it is written/]);
  rejects("(t, y) => { const a = 1; a = 2; return [a * y[0]]; }", [/`a` is a const/]);
});

test("code frames point at the problem in minified one-line sources", () => {
  const src = "(t,e,n,r)=>{r[0]=e[1],r[1]=-n.k*e[0]+q*e[1]}";
  const e = rejects(src, [/`q` is a variable/]);
  assert.equal(e.line, 1);
  assert.equal(e.column, src.indexOf("q") + 1);
});

test("bad options name the option and the fix", () => {
  assert.throws(() => compile("(t, y) => [y[0]]", { const: {} } as never), /unknown option `const`; the options are consts, args, n and mode/);
  assert.throws(() => compile("(t, y) => [y[0]]", { consts: [1] } as never), /`options\.consts` must be an object of named values/);
  assert.throws(() => compile("(t, y) => [y[0]]", { n: 0 }), /`options\.n` = 0 must be a whole number ≥ 1/);
  assert.throws(() => compile("(t, y) => [y[0]]", { mode: "jit" } as never), /`options\.mode` = "jit" must be "auto", "codegen" or "interpreter"/);
  assert.throws(() => compile("(t, y) => [y[0]]", { args: { W: [[1, 2]] } } as never), /`options\.args\.W` must be a number or a flat array of numbers; got a nested array/);
  rejects("(t, y) => []", [/returns an empty array/]);
});
