// A misspelt args key that the type checker could not see (an untyped vector field): the NaN it
// causes at t0 is reported with the keys args has, so the message points at the typo.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ODETerm, Tsit5, compile, diffeqsolve } from "../src/index.js";

test("a vector field that writes NaN at t0 because of a misspelt args key: the message names args and its keys", () => {
  const f = (t: number, y: Float64Array, args: any, dy: Float64Array): void => { dy[0] = y[1]!; dy[1] = -args.k * y[0]!; };
  assert.throws(
    () => diffeqsolve({ terms: new ODETerm(f, { compile: false }), solver: new Tsit5(), t0: 0, t1: 1, y0: [1, 0], args: { kk: 4 } }),
    /did not write dy\[1\] \(or wrote NaN\) at t0 = 0.*missing from `args`, which has the keys kk/,
  );
  // Compiled, the field knows the names it reads: it names the missing one.
  const g = compile((t: number, [x, v]: Float64Array, { k }: { k: number }) => [v!, -k * x!]);
  assert.throws(() => diffeqsolve({ terms: new ODETerm(g), solver: new Tsit5(), t0: 0, t1: 1, y0: [1, 0], args: { kk: 4 } as never }), /\bk\b/);
});
