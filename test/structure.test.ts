// The user's state structure: y0 as a number, an array, a Float64Array or nested plain objects and
// arrays; the vector field sees a flat Float64Array, the solution hands states back as given.
import assert from "node:assert/strict";
import { test } from "node:test";
import { diffeqsolve, Dopri5, ODETerm, PIDController, SaveAt, Structure } from "../src/index.js";

const ctl = () => new PIDController({ rtol: 1e-10, atol: 1e-12 });
const close = (a: number, b: number, tol = 1e-8) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test("y0 as a number: ysAs and evaluateAs return numbers", () => {
  const sol = diffeqsolve({
    terms: new ODETerm((_t: number, y: Float64Array, _a: unknown, dy: Float64Array) => {
      assert.ok(y instanceof Float64Array && y.length === 1);
      dy[0] = -y[0]!;
    }),
    solver: new Dopri5(), t0: 0, t1: 1, y0: 2, saveat: new SaveAt({ ts: [0, 1], dense: true }), stepsizeController: ctl(),
  });
  const y1: number = sol.ysAs(1);
  assert.equal(typeof y1, "number");
  close(y1, 2 * Math.exp(-1));
  const mid: number = sol.evaluateAs(0.5);
  close(mid, 2 * Math.exp(-0.5), 1e-7);
  assert.throws(() => sol.ysAs(2), /out of range/);
});

test("flat arrays and Float64Array stay flat: the fast path, handed back as number[] or Float64Array", () => {
  const f = (_t: number, y: Float64Array, _a: unknown, dy: Float64Array) => {
    dy[0] = y[1]!;
    dy[1] = -y[0]!;
  };
  assert.ok(Structure.of([1, 0]).isFlat);
  assert.ok(Structure.of(new Float64Array(2)).isFlat);
  const arr = diffeqsolve({ terms: new ODETerm(f), solver: new Dopri5(), t0: 0, t1: 1, y0: [1, 0], stepsizeController: ctl() });
  const a: number[] = arr.ysAs(0);
  assert.ok(Array.isArray(a) && a.length === 2);
  close(a[0]!, Math.cos(1));
  const typed = diffeqsolve({ terms: new ODETerm(f), solver: new Dopri5(), t0: 0, t1: 1, y0: Float64Array.of(1, 0), stepsizeController: ctl() });
  const b: Float64Array = typed.ysAs(0);
  assert.ok(b instanceof Float64Array);
  assert.deepEqual(Array.from(b), a, "same numbers either way");
  // ysAs returns a copy: mutating it does not touch the solution.
  b[0] = 99;
  assert.notEqual(typed.ys[0]![0], 99);
  // The user's y0 is not mutated by the solve.
  const y0 = [1, 0];
  diffeqsolve({ terms: new ODETerm(f), solver: new Dopri5(), t0: 0, t1: 1, y0 });
  assert.deepEqual(y0, [1, 0]);
});

test("nested objects and arrays: flattened in key order, handed back in the same shape", () => {
  // A projectile: position and velocity as nested objects, plus a scalar clock and a 2×1 array.
  const y0 = { pos: { x: 0, y: 0 }, vel: [3, 4], clock: 0, extra: [[1], [2]] };
  const s = Structure.of(y0);
  assert.equal(s.size, 7);
  assert.deepEqual(Array.from(s.flatten(y0)), [0, 0, 3, 4, 0, 1, 2]);
  const g = 9.81;
  const sol = diffeqsolve({
    terms: new ODETerm((_t: number, y: Float64Array, _a: unknown, dy: Float64Array) => {
      assert.equal(y.length, 7);
      dy[0] = y[2]!; // x' = vx
      dy[1] = y[3]!; // y' = vy
      dy[2] = 0;
      dy[3] = -g;
      dy[4] = 1; // clock
      dy[5] = -y[5]!;
      dy[6] = 0;
    }),
    solver: new Dopri5(), t0: 0, t1: 0.5, y0, saveat: new SaveAt({ t0: true, t1: true, dense: true }), stepsizeController: ctl(),
  });
  const start = sol.ysAs(0);
  assert.deepEqual(start, y0);
  const end = sol.ysAs(1);
  assert.deepEqual(Object.keys(end), ["pos", "vel", "clock", "extra"]);
  close(end.pos.x, 1.5);
  close(end.pos.y, 4 * 0.5 - 0.5 * g * 0.25);
  close(end.vel[1]!, 4 - g * 0.5);
  close(end.clock, 0.5);
  assert.ok(Array.isArray(end.extra) && Array.isArray(end.extra[0]));
  close(end.extra[0]![0]!, Math.exp(-0.5));
  assert.equal(end.extra[1]![0], 2);
  const q = sol.evaluateAs(0.25);
  close(q.pos.y, 4 * 0.25 - 0.5 * g * 0.0625);
  close(q.clock, 0.25);
  // The flat rows are the same numbers.
  assert.deepEqual(Array.from(sol.ys[1]!), Array.from(Structure.of(y0).flatten(end)));
});

test("structure errors name the path inside y0", () => {
  assert.throws(
    () => diffeqsolve({ terms: new ODETerm(() => undefined), solver: new Dopri5(), t0: 0, t1: 1, y0: { a: [1, "2"] } as never }),
    /`y0`\.a\[1\].*string "2"/,
  );
  assert.throws(
    () => diffeqsolve({ terms: new ODETerm(() => undefined), solver: new Dopri5(), t0: 0, t1: 1, y0: { a: new Map() } as never }),
    /`y0`\.a.*Map/,
  );
});

test("a vector field that returns an array is accepted and gives the same result as the in-place one", () => {
  const inPlace = new ODETerm((t: number, y: Float64Array, args: { k: number }, dy: Float64Array) => {
    dy[0] = y[1]!;
    dy[1] = -args.k * y[0]! + Math.sin(t);
  });
  const returning = new ODETerm((t: number, y: Float64Array, args: { k: number }) => [y[1]!, -args.k * y[0]! + Math.sin(t)]);
  const returningTyped = new ODETerm((t: number, y: Float64Array, args: { k: number }) => Float64Array.of(y[1]!, -args.k * y[0]! + Math.sin(t)));
  const opts = { solver: new Dopri5(), t0: 0, t1: 5, y0: [1, 0], args: { k: 3 }, saveat: new SaveAt({ ts: [1, 2, 5], dense: true }), stepsizeController: ctl() };
  const a = diffeqsolve({ ...opts, terms: inPlace });
  for (const terms of [returning, returningTyped]) {
    const b = diffeqsolve({ ...opts, terms });
    assert.deepEqual(b.stats, a.stats);
    assert.deepEqual(Array.from(b.ysFlat), Array.from(a.ysFlat), "bit-identical saved states");
    assert.deepEqual(Array.from(b.evaluate(3.3)), Array.from(a.evaluate(3.3)));
  }
});
