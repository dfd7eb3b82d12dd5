// What travels to a worker: a compiled vector field's source and its inline hook (the code the
// explicit RK kernels fuse into their stages) come back in the worker as the same code.
import assert from "node:assert/strict";
import { test } from "node:test";
import { compile, ODETerm, Tsit5 } from "../../src/index.js";
import { describeProblem, loadFunction } from "../../src/ensemble/transfer.js";
import { INLINE_VECTOR_FIELD, type InlineVectorField } from "../../src/solvers/erk.js";

test("a compiled vector field is rebuilt from its source with the same inline code, for any names the kernel asks", async () => {
  const vf = compile((t: number, [x, y, z]: number[], { s, r, b }: { s: number; r: number; b: number }) => [s * (y - x) + t, x * (r - z) - y, x * y - b * z], {
    args: { s: 0, r: 0, b: 0 },
  });
  const d = describeProblem({ terms: new ODETerm(vf), solver: new Tsit5(), t0: 0, t1: 1, trajectories: 1, y0: () => [1, 0, 0] }, new ODETerm(vf), null);
  assert.ok(d.ok);
  const src = d.descriptor.vectorField;
  assert.equal(src.kind, "source");
  const rebuilt = (await loadFunction(src, new Map())) as Record<string | symbol, unknown>;
  assert.equal(typeof rebuilt.f, "function");
  const original = (vf as unknown as Record<symbol, () => InlineVectorField>)[INLINE_VECTOR_FIELD]!();
  const copy = (rebuilt[INLINE_VECTOR_FIELD] as () => InlineVectorField)();
  assert.equal(copy.n, 3);
  assert.equal(copy.operations, original.operations);
  assert.equal(copy.prelude, original.prelude);
  for (const [t, y, prefix] of [["t", (j: number) => `Y0_${j}`, "s0_"], ["t + 0.5 * dt", (j: number) => `S3_${j}`, "s3_"], ["t1", (j: number) => `Y1_${j}`, "s6_"]] as const) {
    assert.deepEqual(copy.scalar!(t, y, prefix), original.scalar!(t, y, prefix));
  }
  assert.equal(copy.body("t + dt", "ytmp", "k2"), original.body("t + dt", "ytmp", "k2"));
  // The rebuilt f computes what the compiled one does.
  const a = new Float64Array(3);
  const b = new Float64Array(3);
  (vf.f as (t: number, y: Float64Array, p: unknown, o: Float64Array) => void)(0.5, Float64Array.of(1, 2, 3), { s: 10, r: 28, b: 8 / 3 }, a);
  (rebuilt.f as (t: number, y: Float64Array, p: unknown, o: Float64Array) => void)(0.5, Float64Array.of(1, 2, 3), { s: 10, r: 28, b: 8 / 3 }, b);
  assert.deepEqual(b, a);
});
