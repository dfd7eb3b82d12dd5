// Ensemble memory: estimated before anything is evaluated or allocated, checked against
// `maxMemory`, and refused at once with the size and the alternatives. The expected sizes are
// counted by hand from the storage layout (8n + 8 + K·8·(width + 1) + 29 + 8·outputWidth bytes).
import assert from "node:assert/strict";
import { test } from "node:test";
import { ODETerm, SaveAt, solveEnsemble, solveEnsembleSync, Tsit5 } from "../../src/index.js";

const terms = new ODETerm((t: number, y: Float64Array, a: unknown, dy: Float64Array) => { dy[0] = -y[0]!; });
const base = { terms, solver: new Tsit5(), t0: 0, t1: 1 };

test("10⁹ trajectories stop at once with the size, its parts and the alternatives (no y0 is evaluated)", async () => {
  let calls = 0;
  const y0 = (): number[] => { calls++; return [1]; };
  const start = performance.now();
  // n = 1, SaveAt t1 (one row of 1 number): 8 + 8 + 1·(1 + 1)·8 + 29 = 61 bytes.
  assert.throws(() => solveEnsembleSync({ ...base, trajectories: 1e9, y0 }), (e: Error) => {
    assert.ok(e instanceof RangeError);
    assert.match(e.message, /^solveEnsemble: 1,000,000,000 trajectories need about 56\.8 GiB \(61 B per trajectory: initial states 8 B, args table 8 B, saved rows 1 × \(1 \+ 1\) numbers = 16 B, result codes and counters 29 B\), above `maxMemory` = 2\.00 GiB\./);
    assert.match(e.message, /an `output` hook \{ width, fn \} with keepSaved: false/);
    assert.match(e.message, /solve in batches of at most 35,204,649 trajectories/); // ⌊2³¹ / 61⌋
    assert.match(e.message, /raise `maxMemory`/);
    return true;
  });
  await assert.rejects(solveEnsemble({ ...base, trajectories: 1e9, y0 }), /56\.8 GiB/);
  assert.ok(calls <= 2, `y0 was evaluated ${calls} times`); // trajectory 0 only, once per call
  assert.ok(performance.now() - start < 2000);
});

test("maxMemory: raised, the ensemble runs; lowered, a summary instead of the rows fits; bad values are named", () => {
  // 100 trajectories of 3 components and 50 saved rows: 24 + 8 + 50·4·8 + 29 = 1,661 bytes each.
  const lorenzLike = new ODETerm((t: number, y: Float64Array, a: unknown, dy: Float64Array) => { dy[0] = -y[0]!; dy[1] = -2 * y[1]!; dy[2] = 0; });
  const options = { ...base, terms: lorenzLike, trajectories: 100, y0: () => [1, 1, 1], saveat: new SaveAt({ ts: Array.from({ length: 50 }, (_, k) => (k + 1) / 50) }) };
  assert.throws(() => solveEnsembleSync({ ...options, maxMemory: 100_000 }), /100 trajectories need about 162 KiB \(1\.62 KiB per trajectory: initial states 24 B, args table 8 B, saved rows 50 × \(3 \+ 1\) numbers = 1600 B/);
  assert.equal(solveEnsembleSync({ ...options, maxMemory: 200_000 }).trajectories, 100);
  // With an output hook of 2 numbers and keepSaved: false: 24 + 8 + 29 + 16 = 77 bytes each.
  const sol = solveEnsembleSync({ ...options, maxMemory: 8_000, output: { width: 2, fn: (out, ts, ys) => { out[0] = ys[ys.length - 3]!; out[1] = ts.length; } } });
  assert.ok(Math.abs(sol.output(7)[0]! - Math.exp(-1)) < 1e-5);
  assert.equal(sol.output(7)[1], 50);
  for (const bad of [0, -1, NaN, "1e9"]) {
    assert.throws(() => solveEnsembleSync({ ...options, maxMemory: bad as never }), /solveEnsemble: `maxMemory` = .* must be a number of bytes > 0/);
  }
});

test("a SaveAt fn's width is known only at allocation: the exact size is checked there", () => {
  // Estimated with width 1 (8 + 8 + 10·2·8 + 29 = 205 B, 20.5 kB for 100): passes; the fn saves
  // 10 numbers (8 + 8 + 10·11·8 + 29 = 925 B, 92.5 kB): refused where the storage is allocated.
  const saveat = new SaveAt({ ts: Array.from({ length: 10 }, (_, k) => (k + 1) / 10), fn: (t: number, y: Float64Array) => Array.from({ length: 10 }, () => y[0]!) });
  assert.throws(() => solveEnsembleSync({ ...base, trajectories: 100, y0: () => [1], saveat, maxMemory: 50_000 }),
    /100 trajectories need about 90\.3 KiB \(925 B per trajectory: .*saved rows 10 × \(10 \+ 1\) numbers = 880 B/);
});

test("SaveAt({ steps }) rows are checked as they grow", () => {
  assert.throws(
    // y' = cos(10 t) takes hundreds of steps to t = 100; 20 trajectories outgrow ~1,200 rows.
    () => solveEnsembleSync({ ...base, terms: new ODETerm((t: number, y: Float64Array, a: unknown, dy: Float64Array) => { dy[0] = Math.cos(10 * t); }),
      t1: 100, trajectories: 20, y0: () => [1], saveat: new SaveAt({ steps: true }), maxMemory: 20_000, maxSteps: 100_000 }),
    /solveEnsemble: `SaveAt\(\{ steps \}\)` rows reached [\d,]+ of 1 numbers by trajectory \d+ .*above what `maxMemory` leaves for them/,
  );
});

test("hooks and per-trajectory functions that throw are named with the trajectory", () => {
  const boom = (): never => { throw new Error("boom"); };
  assert.throws(() => solveEnsembleSync({ ...base, trajectories: 3, y0: (i) => (i === 2 ? boom() : [1]) }), /^Error: solveEnsemble: the `y0` function threw for trajectory 2: boom/);
  assert.throws(() => solveEnsembleSync({ ...base, trajectories: 3, y0: () => [1], args: (i: number) => (i === 1 ? boom() : {}) }), /the `args` function threw for trajectory 1: boom/);
  assert.throws(() => solveEnsembleSync({ ...base, trajectories: 3, y0: () => [1], output: { width: 1, fn: boom } }), /the `output\.fn` hook threw for trajectory 0: boom/);
  assert.throws(() => solveEnsembleSync({ ...base, trajectories: 3, y0: () => [1], reduce: { init: 0, fn: boom } }), /the `reduce\.fn` hook threw for trajectory 0: boom/);
  assert.throws(() => solveEnsembleSync({ ...base, trajectories: 3, y0: () => [1], throw: "yes" as never }), /`throw` must be true or false; got the string "yes"/);
  assert.throws(() => solveEnsembleSync({ ...base, trajectories: 3, y0: () => [1], output: { width: 1, fn: () => {}, keepSaved: "no" as never } }), /`output\.keepSaved` must be true or false/);
});

test("with maxMemory: Infinity, an allocation the engine refuses is still a named error with the size", () => {
  assert.throws(() => solveEnsembleSync({ ...base, trajectories: 1e12, y0: () => [1], maxMemory: Infinity }), (e: Error) =>
    e instanceof RangeError && /^solveEnsemble: could not allocate 7\.28 TiB for the ensemble: the JavaScript engine refused an array that large/.test(e.message) &&
    (e as { cause?: unknown }).cause instanceof RangeError);
});
