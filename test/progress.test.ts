// Progress meters: called with fractions in [0, 1] from start to finish; no meter costs nothing.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CallbackProgressMeter, diffeqsolve, Dopri5, ODETerm, PIDController, TextProgressMeter } from "../src/index.js";
import type { ProgressMeter } from "../src/index.js";

const osc = new ODETerm((_t: number, y: Float64Array, _a: unknown, dy: Float64Array) => {
  dy[0] = y[1]!;
  dy[1] = -y[0]!;
});
// ~2000 steps: many progress updates (the loop reports every 64 accepted steps).
const opts = { terms: osc, solver: new Dopri5(), y0: [1, 0], stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-10, dtmax: 0.01 }) };

test("CallbackProgressMeter: fractions in [0, 1], monotone, from 0 at start to 1 at finish (forward and backward)", () => {
  for (const [t0, t1] of [[0, 20], [5, -15]] as const) {
    const calls: [number, number][] = [];
    const sol = diffeqsolve({ ...opts, t0, t1, progressMeter: new CallbackProgressMeter((p, t) => calls.push([p, t]), 0) });
    assert.ok(calls.length >= 10, `${calls.length} calls`);
    assert.deepEqual(calls[0], [0, t0], "start reports 0 at t0");
    assert.deepEqual(calls[calls.length - 1], [1, t1], "finish reports 1 at t1");
    for (let i = 0; i < calls.length; i++) {
      const [p, t] = calls[i]!;
      assert.ok(p >= 0 && p <= 1, `fraction ${p}`);
      assert.ok(Math.abs(p - (t - t0) / (t1 - t0)) < 1e-12, "fraction of [t0, t1] done");
      if (i > 0) assert.ok(p >= calls[i - 1]![0], "monotone");
    }
    assert.equal(sol.tFinal, t1);
  }
});

test("CallbackProgressMeter throttles to intervalMs but always reports start and finish", () => {
  const calls: number[] = [];
  diffeqsolve({ ...opts, t0: 0, t1: 20, progressMeter: new CallbackProgressMeter((p) => calls.push(p), 60_000) });
  assert.deepEqual(calls, [0, 1]);
});

test("a failed solve finishes the meter at the fraction reached", () => {
  const calls: number[] = [];
  const sol = diffeqsolve({ ...opts, t0: 0, t1: 20, maxSteps: 500, throw: false, progressMeter: new CallbackProgressMeter((p) => calls.push(p), 0) });
  const last = calls[calls.length - 1]!;
  assert.ok(last > 0 && last < 1);
  assert.ok(Math.abs(last - sol.tFinal / 20) < 1e-12);
});

test("TextProgressMeter writes a bar through the injected write, ending at 100% with a newline", () => {
  const out: string[] = [];
  diffeqsolve({ ...opts, t0: 0, t1: 20, progressMeter: new TextProgressMeter({ width: 20, intervalMs: 0, write: (s) => out.push(s) }) });
  assert.ok(out.length >= 3);
  assert.equal(out[0], `\r[${"-".repeat(20)}]   0.0%  t = 0.00000`);
  assert.equal(out[out.length - 2], `\r[${"#".repeat(20)}] 100.0%  t = 20.0000`);
  assert.equal(out[out.length - 1], "\n");
  for (const s of out.slice(0, -1)) {
    const m = /^\r\[(#*)(-*)\] +([0-9.]+)%  t = /.exec(s);
    assert.ok(m, `format of ${JSON.stringify(s)}`);
    assert.equal(m[1]!.length + m[2]!.length, 20);
    const pct = Number(m[3]);
    assert.ok(pct >= 0 && pct <= 100);
    assert.ok(Math.abs(m[1]!.length - Math.round((pct / 100) * 20)) <= 1);
  }
});

test("TextProgressMeter on a terminal: rate and ETA once known; elsewhere plain lines, no carriage returns", () => {
  const tty: string[] = [];
  diffeqsolve({ ...opts, t0: 0, t1: 20, progressMeter: new TextProgressMeter({ width: 10, intervalMs: 0, write: (s) => tty.push(s), tty: true }) });
  const middle = tty.slice(1, -2);
  assert.ok(middle.length > 5);
  for (const s of middle) assert.match(s, /^\r\[[#-]{10}\] +[0-9.]+%  t = [0-9.]+  [0-9.e+-]+ t\/s  ETA [0-9.]+ (ms|s|min)/, JSON.stringify(s));
  const plain: string[] = [];
  diffeqsolve({ ...opts, t0: 0, t1: 20, progressMeter: new TextProgressMeter({ intervalMs: 0, write: (s) => plain.push(s), tty: false }) });
  assert.ok(plain.length > 5);
  for (const s of plain) {
    assert.ok(!s.includes("\r"), "no carriage return");
    assert.ok(s.endsWith("\n") && s.indexOf("\n") === s.length - 1, "one line per write");
  }
  assert.match(plain[0]!, /^progress 0\.0% \(t = 0 of 0 … 20\), \d+ ms elapsed\n$/);
  assert.match(plain[3]!, /^progress [0-9.]+% \(t = [0-9.]+ of 0 … 20\), [0-9.]+ m?s elapsed, ETA [0-9.]+ (ms|s)\n$/);
  assert.match(plain[plain.length - 1]!, /^progress done: t = 20 in [0-9.]+ m?s\n$/);
  // Without `write`, a terminal bar only when standard error is one (as it is not under the test runner).
  assert.throws(() => new TextProgressMeter({ tty: "yes" } as never), /`tty` must be true \(a bar redrawn in place\) or false \(plain lines\)/);
});

test("a meter sees start, updates and finish in order; no meter costs nothing (no clock reads, same result)", () => {
  const events: string[] = [];
  const meter: ProgressMeter = {
    start: () => void events.push("start"),
    update: () => void events.push("update"),
    finish: () => void events.push("finish"),
  };
  const withMeter = diffeqsolve({ ...opts, t0: 0, t1: 20, progressMeter: meter });
  assert.equal(events[0], "start");
  assert.equal(events[events.length - 1], "finish");
  assert.equal(events.filter((e) => e === "update").length, Math.floor(withMeter.stats.numAcceptedSteps / 64));
  // Without a meter the loop does no progress work at all: count clock reads while it runs.
  const perf = globalThis.performance;
  const realNow = perf.now.bind(perf);
  const realDate = Date.now;
  let clockReads = 0;
  perf.now = () => (clockReads++, realNow());
  Date.now = () => (clockReads++, realDate());
  try {
    const plain = diffeqsolve({ ...opts, t0: 0, t1: 20 });
    assert.equal(clockReads, 0, "no clock is read without a meter");
    assert.deepEqual(plain.stats, withMeter.stats);
    assert.deepEqual(Array.from(plain.ys[0]!), Array.from(withMeter.ys[0]!));
    diffeqsolve({ ...opts, t0: 0, t1: 20, progressMeter: new CallbackProgressMeter(() => undefined, 0) });
    assert.ok(clockReads > 0, "a CallbackProgressMeter reads the clock (so the count above means something)");
  } finally {
    perf.now = realNow;
    Date.now = realDate;
  }
});

test("a bad progressMeter is named", () => {
  assert.throws(() => diffeqsolve({ ...opts, t0: 0, t1: 1, progressMeter: (() => 0) as never }), /`progressMeter`/);
  assert.throws(() => new CallbackProgressMeter(42 as never), /`fn` must be a function/);
});
