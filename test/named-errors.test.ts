// Mistakes a user can make with the public constructors and state values outside diffeqsolve's own
// options: each is a named error whose message gives the function, the argument, the value and
// the fix (never "Cannot read properties of undefined", "undefined undefined" or "[object Object]").
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  AutoSwitch, BacksolveAdjoint, BDF, diffeqsolve, Event, ForwardSensitivity, Milstein, ModelBuilder, ODETerm, Rodas5P,
  TextProgressMeter, Tsit5, CallbackProgressMeter, Kvaerno3, Structure, SaveAt,
} from "../src/index.js";
import { describeValue } from "../src/tree.js";

const decay = new ODETerm((t: number, y: Float64Array, a: unknown, dy: Float64Array) => { dy[0] = -y[0]!; });
const base = { terms: decay, solver: new Tsit5(), t0: 0, t1: 1, y0: [1] };

test("describeValue says what a value is: undefined, functions, symbols", () => {
  assert.equal(describeValue(undefined), "undefined");
  assert.equal(describeValue(function named() {}), "a function (named)");
  assert.equal(describeValue(Symbol("s")), "a symbol");
  assert.equal(describeValue(10n), "bigint 10");
  assert.equal(describeValue(2), "number 2");
  // An event condition returning nothing: "returned undefined", not "returned undefined undefined".
  assert.throws(() => diffeqsolve({ ...base, event: new Event({ cond: () => undefined as never }) }),
    /diffeqsolve: the `cond` of event 0 returned undefined at t = 0; a condition must return a finite number or a boolean\./);
});

test("solver options: not an object, unknown keys, wrong types are named", () => {
  assert.throws(() => new Tsit5(null as never), /^TypeError: new Tsit5\(options\): `options` must be an object; got null\./);
  assert.throws(() => new Tsit5({ generate: true } as never), /new Tsit5\(options\): unknown option `generate`; the options are generated, backend, wasmThreshold\./);
  assert.throws(() => new Tsit5({ generated: "yes" } as never), /new Tsit5\(options\): `generated` must be true or false; got the string "yes"\./);
  assert.throws(() => new Rodas5P({ rtol: 1e-6 } as never), /new Rodas5P\(options\): unknown option `rtol`; the options are massMatrix, linearSolver, bandwidth, autonomous, preconditioner, blockSize, krylov, pivotThreshold, maxMemory\./);
  assert.throws(() => new BDF({ maxOrder: 3, order: 2 } as never), /new BDF\(options\): unknown option `order`; the options are massMatrix, linearSolver, bandwidth, autonomous, preconditioner, blockSize, krylov, pivotThreshold, maxMemory, maxOrder\./);
  assert.equal(new BDF({ maxOrder: 3 }).maxOrder, 3);
  assert.throws(() => new Kvaerno3({ massMatrix: null } as never), /new Kvaerno3\(options\): `massMatrix` must be an n × n matrix .*got null\./);
  assert.throws(() => new AutoSwitch({ nonstiff: new Tsit5(), stiff: new Rodas5P(), maxStiff: 3 } as never), /new AutoSwitch\(options\): unknown option `maxStiff`/);
  assert.throws(() => new Milstein({ interpretation: 10n } as never), /new Milstein\(options\): `interpretation` = bigint 10 must be "ito" or "stratonovich"/);
});

test("adjoint and progress-meter options are checked where they are made", () => {
  assert.throws(() => new ForwardSensitivity({ checkpoints: 3 } as never), /new ForwardSensitivity\(options\): unknown option `checkpoints`; it takes no options\./);
  assert.throws(() => new BacksolveAdjoint({ maxSteps: -1 }), /new BacksolveAdjoint: `maxSteps` = number -1 must be a whole number ≥ 1/);
  assert.throws(() => new BacksolveAdjoint({ stepsizeController: {} as never }), /new BacksolveAdjoint: `stepsizeController` must be PIDController, ConstantStepSize or StepTo; got an object of type Object\./);
  assert.throws(() => new TextProgressMeter(null as never), /new TextProgressMeter\(options\): `options` must be an object; got null/);
  assert.throws(() => new TextProgressMeter({ width: 0 }), /`width` = number 0 must be a whole number of characters/);
  assert.throws(() => new TextProgressMeter({ write: "stderr" } as never), /`write` must be a function \(text\) => void; got the string "stderr"/);
  assert.throws(() => new TextProgressMeter({ intervalMs: () => 1 } as never), /new TextProgressMeter\(options\): `intervalMs` = a function \(intervalMs\) must be a number of milliseconds ≥ 0/);
  assert.throws(() => new CallbackProgressMeter(() => {}, -1), /`intervalMs` = number -1 must be a number of milliseconds ≥ 0/);
  assert.throws(() => new ModelBuilder({ n: 1, size: 2 } as never), /new ModelBuilder\(options\): unknown option `size`; the options are n and args/);
});

test("states: cycles, BigInt arrays and an own __proto__ key", () => {
  const cyclic: Record<string, unknown> = { x: 1 };
  cyclic.self = cyclic;
  assert.throws(() => diffeqsolve({ ...base, y0: cyclic as never }), /^TypeError: diffeqsolve: `y0`\.self contains itself \(a cycle\)/);
  assert.throws(() => diffeqsolve({ ...base, y0: new BigInt64Array(1) as never }), /diffeqsolve: `y0` is a BigInt64Array; states are numbers/);
  // A key "__proto__" from JSON.parse is data: it survives flattening and rebuilding.
  const y = JSON.parse('{"__proto__": 1, "v": 2}') as Record<string, number>;
  const s = Structure.of(y);
  const back = s.unflatten(s.flatten(y)) as Record<string, number>;
  assert.equal(Object.getOwnPropertyDescriptor(back, "__proto__")?.value, 1);
  assert.equal(back.v, 2);
});

test("diffeqsolveJvp names a tangent of y0 that is not finite or not shaped like y0", async () => {
  const { diffeqsolveJvp } = await import("../src/index.js");
  const vjpBase = { ...base, args: { k: 1 } };
  assert.throws(() => diffeqsolveJvp(vjpBase, { y0: [NaN] }), /^RangeError: diffeqsolveJvp: the tangent of `y0` component 0 is NaN; tangents must be finite numbers\./);
  assert.throws(() => diffeqsolveJvp(vjpBase, { y0: [1, 2] }), /diffeqsolveJvp: `tangents\.y0` has 2 components but y0 has 1/);
  assert.throws(() => diffeqsolveJvp(vjpBase, { y0: "x" }), /diffeqsolveJvp: `tangents\.y0` must be a number, an array/);
});

test("sol.evaluate(t) with a string t says it is a string", () => {
  const sol = diffeqsolve({ ...base, saveat: new SaveAt({ dense: true }) });
  assert.throws(() => sol.evaluate("0.5" as never), /sol\.evaluate\(t\): `t` must be a number; got the string "0\.5"\./);
});
