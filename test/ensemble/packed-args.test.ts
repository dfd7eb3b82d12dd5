import { test } from "node:test";
import assert from "node:assert/strict";
import { packArgs, unpackArgs } from "../../src/ensemble/packed-args.js";

test("records of numbers travel packed and come back with the same keys, order and bits", () => {
  const args = [{ a: -0, b: 1e-308 }, { a: 5e-324, b: -Infinity }, { a: 1 / 3, b: 2 ** 53 + 2 }];
  const packed = packArgs(args, false);
  assert.equal(packed.kind, "records");
  const back = unpackArgs(structuredClone(packed), args.length) as Record<string, number>[];
  for (let i = 0; i < args.length; i++) {
    assert.deepEqual(Object.keys(back[i]!), ["a", "b"]);
    assert.ok(Object.is(back[i]!.a, args[i]!.a) && Object.is(back[i]!.b, args[i]!.b));
  }
});

test("one shared value travels once; anything but same-shaped number records is cloned", () => {
  const shared = { k: [1, 2] };
  assert.equal(packArgs([shared, shared, shared], false).kind, "shared");
  assert.deepEqual(unpackArgs(packArgs([shared, shared], true), 2), [shared, shared]);
  assert.equal(packArgs([{ a: 1 }, { b: 1 }], false).kind, "cloned"); // different keys
  assert.equal(packArgs([{ a: 1, b: 2 }, { b: 2, a: 1 }], false).kind, "cloned"); // different order
  assert.equal(packArgs([{ a: 1 }, { a: "1" }], false).kind, "cloned");
  assert.equal(packArgs([{ a: 1 }, { a: 1, b: 2 }], false).kind, "cloned");
  assert.equal(packArgs([[1, 2], [3, 4]], false).kind, "cloned");
  assert.equal(packArgs([new Float64Array(2), new Float64Array(2)], false).kind, "cloned");
  const cloned = packArgs([[1], [2]], false);
  assert.deepEqual(unpackArgs(cloned, 2), [[1], [2]]);
});
