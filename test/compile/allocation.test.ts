import assert from "node:assert/strict";
import { test } from "node:test";
import v8 from "node:v8";
import { compile } from "../../src/index.js";
import { arenstorf, chemistry, reactions } from "./corpus.js";

/** Bytes allocated on the JS heap while fn runs (GC-profiler accounting, as bench/lib/alloc.ts). */
function allocated(fn: () => void): number {
  (globalThis as { gc?: () => void }).gc?.();
  const profiler = new v8.GCProfiler();
  const start = v8.getHeapStatistics().used_heap_size;
  profiler.start();
  fn();
  const end = v8.getHeapStatistics().used_heap_size;
  const data = profiler.stop() as unknown as { statistics: { beforeGC: { heapStatistics: { usedHeapSize: number } }; afterGC: { heapStatistics: { usedHeapSize: number } } }[] };
  let bytes = 0;
  let prev = start;
  for (const s of data.statistics) {
    bytes += s.beforeGC.heapStatistics.usedHeapSize - prev;
    prev = s.afterGC.heapStatistics.usedHeapSize;
  }
  return bytes + end - prev;
}

test("compiled kernels allocate nothing per call (f, jac, jvp, vjp, vjpArgs; split kernels too)", () => {
  const M = 200; // f of ~2200 operations: split into chunks
  const big = compile("(t, y, args, dy) => { for (let i = 0; i < M; i++) { const a = y[i], b = y[(i + 1) % M]; dy[i] = Math.sin(a) * b - args.k * a * a + Math.exp(-b) / (1 + a * a); } }", { consts: { M } });
  const cases = [
    { name: "Arenstorf", c: compile(arenstorf), n: 4, args: { mu: 0.012277471 } as unknown },
    { name: "chemistry", c: compile(chemistry, { consts: { reactions } }), n: 20, args: { k: new Float64Array(reactions.length).fill(0.5) } as unknown },
    { name: "split kernels", c: big, n: M, args: { k: 0.3 } as unknown },
  ];
  for (const { name, c, n, args } of cases) {
    const y = Float64Array.from({ length: n }, (_, i) => 0.3 + 0.01 * i);
    const v = new Float64Array(n).fill(0.5);
    const out = new Float64Array(Math.max(n * n, c.nArgs));
    const calls = n > 100 ? 2000 : 30_000;
    for (const kernel of ["f", "jac", "jvp", "vjp", "vjpArgs"] as const) {
      const k = c[kernel] as (...a: unknown[]) => void;
      // A fresh monomorphic loop per kernel (generated), warmed up before measuring.
      const loop = new Function("k", "y", "args", "v", "out", "K", "x", `for (let i = 0; i < K; i++) ${x(kernel)} return out[0];`) as
        (k: unknown, y: Float64Array, args: unknown, v: Float64Array, out: Float64Array, K: number, x: null) => number;
      loop(c[kernel], y, args, v, out, calls, null);
      loop(c[kernel], y, args, v, out, calls, null);
      // The least of up to eight measurements: one-time allocations (a late optimisation — on a
      // loaded machine V8's background compiler can install the optimised loop only after several
      // rounds — or the profiler itself) show up in some of them, allocation per call in all.
      // One boxed number per call would be ≥ 16 B per call; allow 2 B per call plus 8 KB for the
      // profiler's and background compilation's noise.
      const bound = 2 * calls + 8192;
      let bytes = Infinity;
      for (let r = 0; r < 8 && bytes >= bound; r++) bytes = Math.min(bytes, allocated(() => { loop(k, y, args, v, out, calls, null); }));
      assert.ok(bytes < bound, `${name} ${kernel}: ${bytes} bytes in ${calls} calls`);
    }
  }
  function x(kernel: string): string {
    return kernel === "f" || kernel === "jac" ? "k(0.5, y, args, out);" : "k(0.5, y, args, v, out);";
  }
});
