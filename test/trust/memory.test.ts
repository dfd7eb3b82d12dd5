// Saved output costs its numbers: rows live in one packed buffer (grown by half), and `sol.ys[i]`
// is a view made on access, not an object per row. Output that would not fit its budget is
// refused before anything is allocated, or ends the solve with outputTooLarge and what fitted.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConstantStepSize, diffeqsolve, Euler, ODETerm, RESULTS, ResourceError, SaveAt, Tsit5 } from "../../src/index.js";

const decay = new ODETerm((t: number, y: Float64Array, a: unknown, dy: Float64Array) => { dy[0] = -y[0]!; });

/** Array-buffer bytes after a full collection (V8 frees buffers on a background thread: wait for it). */
async function settledArrayBuffers(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    global.gc?.();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return process.memoryUsage().arrayBuffers;
}

test("10⁶ saved one-component rows cost at most 1.5× their numbers, and reading rows makes no object per row", async () => {
  const before = await settledArrayBuffers();
  const sol = diffeqsolve({ terms: decay, solver: new Euler(), t0: 0, t1: 1, dt0: 1e-6, y0: [1], stepsizeController: new ConstantStepSize(), saveat: new SaveAt({ steps: true }), maxSteps: 2e6 });
  const numbers = sol.ts.length * 2 * 8; // a time and a value per row
  const grew = (await settledArrayBuffers()) - before;
  assert.equal(sol.ts.length, 1_000_000);
  assert.ok(grew <= 1.5 * numbers, `${(grew / 2 ** 20).toFixed(1)} MiB for ${(numbers / 2 ** 20).toFixed(1)} MiB of numbers`);
  // Rows read through ys are views of the packed buffer.
  const heap = process.memoryUsage().heapUsed;
  let acc = 0;
  for (let i = 0; i < sol.ts.length; i += 1000) acc += sol.ys[i]![0]!;
  assert.ok(acc > 0);
  assert.equal(sol.ys.length, 1_000_000);
  assert.ok(process.memoryUsage().heapUsed - heap < 50 * 2 ** 20, "no per-row objects kept");
  assert.equal(sol.ys[10]!.buffer, sol.ysFlat.buffer);
});

test("output larger than its budget: refused up front with the size and the alternatives, or ended with outputTooLarge", () => {
  const ts = Array.from({ length: 10_000 }, (_, i) => i / 10_000);
  assert.throws(
    () => diffeqsolve({ terms: decay, solver: new Tsit5(), t0: 0, t1: 1, y0: [1], saveat: new SaveAt({ ts }), maxOutputBytes: 100_000 }),
    (e: unknown) => e instanceof ResourceError && /saving 10000 rows of 1 values needs 156 KiB, more than the output budget of 97.7 KiB; save fewer rows .*SaveAt fn.*maxOutputBytes/.test(e.message),
  );
  const sol = diffeqsolve({
    terms: decay, solver: new Euler(), t0: 0, t1: 1, dt0: 1e-4, y0: [1], stepsizeController: new ConstantStepSize(), saveat: new SaveAt({ steps: true }),
    maxOutputBytes: 16 * 1000, throw: false,
  });
  assert.equal(sol.result, RESULTS.outputTooLarge);
  assert.equal(sol.ts.length, 1000);
  assert.ok(sol.tFinal < 1 && sol.ts[999]! <= sol.tFinal);
  assert.match(sol.message, /memory budget/);
});
