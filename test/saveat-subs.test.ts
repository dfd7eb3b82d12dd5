// SaveAt({ subs }): several outputs in one solve, each with its own times and fn. Every sub must
// hold what a solve with that sub alone as its SaveAt holds (same steps, same rows, bit for bit),
// and the values must be the closed-form solution to the tolerance.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  diffeqsolve, diffeqsolveVjp, Dopri5, Event, init, ODETerm, PIDController, resume, SaveAt, Solution, solveEnsembleSync, SubSaveAt,
} from "../src/index.js";
import type { DiffeqsolveOptions } from "../src/index.js";

// y'' = -y from (1, 0): y = (cos t, -sin t); energy y0² + y1² = 1.
const osc = new ODETerm((_t: number, y: Float64Array, _a: unknown, dy: Float64Array) => {
  dy[0] = y[1]!;
  dy[1] = -y[0]!;
});
const energy = (_t: number, y: Float64Array) => y[0]! ** 2 + y[1]! ** 2;
const base = { terms: osc, solver: new Dopri5(), t0: 0, t1: 6, y0: [1, 0], stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-10 }) };
const solve = (saveat: SaveAt, over: Partial<DiffeqsolveOptions> = {}) => diffeqsolve({ ...base, saveat, ...over });
const ts = Array.from({ length: 25 }, (_, i) => i / 4);

test("each sub holds exactly what a solve with that sub alone saves; the closed form to the tolerance", () => {
  const specs = [{ ts, t0: true }, { steps: true, fn: energy }, { steps: 3, t1: true }, { ts: [1.5, 2.5], fn: (t: number, y: Float64Array) => [t, y[1]!] }];
  const sol = solve(new SaveAt({ subs: specs.map((o) => new SubSaveAt(o)) }));
  assert.equal(sol.subs.length, specs.length);
  for (let k = 0; k < specs.length; k++) {
    const alone = solve(new SaveAt(specs[k]!));
    assert.deepEqual(alone.stats, sol.stats, `sub ${k}: the same steps`);
    assert.deepEqual(Array.from(sol.subs[k]!.ts), Array.from(alone.ts), `sub ${k} times`);
    assert.deepEqual(Array.from(sol.subs[k]!.ysFlat), Array.from(alone.ysFlat), `sub ${k} rows`);
    assert.equal(sol.subs[k]!.size, alone.size);
  }
  // The first sub is also sol.ts / sol.ys.
  assert.deepEqual(Array.from(sol.ts), Array.from(sol.subs[0]!.ts));
  assert.deepEqual(Array.from(sol.ysFlat), Array.from(sol.subs[0]!.ysFlat));
  // Closed forms: the state on the grid, the conserved energy at every step.
  const [grid, e, , pick] = sol.subs;
  assert.equal(grid!.ts.length, ts.length + 1);
  for (let i = 0; i < grid!.ts.length; i++) assert.ok(Math.abs(grid!.ys[i]![0]! - Math.cos(grid!.ts[i]!)) < 1e-7);
  assert.equal(e!.size, 1);
  assert.ok(e!.ts.length > 5);
  for (const v of e!.column(0)) assert.ok(Math.abs(v - 1) < 1e-7, `energy ${v}`);
  assert.deepEqual(Array.from(pick!.column(0)), [1.5, 2.5]);
  for (let i = 0; i < 2; i++) assert.ok(Math.abs(pick!.ys[i]![1]! + Math.sin(pick!.ts[i]!)) < 1e-7);
});

test("subs with a terminating event: every sub stops at the event, t1 saved there", () => {
  // y0 = cos t crosses zero at π/2.
  const event = new Event({ cond: (_t: number, y: Float64Array) => y[0]!, terminal: true });
  const sol = solve(new SaveAt({ subs: [new SubSaveAt({ ts, t1: true }), new SubSaveAt({ t1: true, fn: energy })] }), { event });
  const tEvent = Math.PI / 2;
  assert.ok(Math.abs(sol.tFinal - tEvent) < 1e-8);
  const grid = sol.subs[0]!;
  assert.equal(grid.ts[grid.ts.length - 1], sol.tFinal);
  assert.ok(grid.ts.every((t) => t <= sol.tFinal));
  assert.equal(grid.ts.length, ts.filter((t) => t < tEvent).length + 1);
  assert.deepEqual(Array.from(sol.subs[1]!.ts), [sol.tFinal]);
  assert.ok(Math.abs(sol.subs[1]!.ysFlat[0]! - 1) < 1e-7);
});

test("subs survive toJSON/fromJSON and an integrator snapshot", () => {
  const saveat = new SaveAt({ subs: [new SubSaveAt({ ts }), new SubSaveAt({ steps: 2, fn: energy })] });
  const sol = solve(saveat);
  const back = Solution.fromJSON(JSON.parse(JSON.stringify(sol)));
  assert.equal(back.subs.length, 2);
  for (let k = 0; k < 2; k++) {
    assert.deepEqual(Array.from(back.subs[k]!.ts), Array.from(sol.subs[k]!.ts));
    assert.deepEqual(Array.from(back.subs[k]!.ysFlat), Array.from(sol.subs[k]!.ysFlat));
  }
  const it = init({ ...base, saveat });
  for (let i = 0; i < 7; i++) it.step();
  const later = resume(structuredClone(it.saveState()), { ...base, saveat });
  while (later.step());
  const resumed = later.solution();
  for (let k = 0; k < 2; k++) {
    assert.deepEqual(Array.from(resumed.subs[k]!.ts), Array.from(sol.subs[k]!.ts), `sub ${k} times after resume`);
    assert.deepEqual(Array.from(resumed.subs[k]!.ysFlat), Array.from(sol.subs[k]!.ysFlat), `sub ${k} rows after resume`);
  }
});

test("a SaveAt without subs has sol.subs empty", () => {
  assert.deepEqual(solve(new SaveAt({ ts })).subs, []);
});

test("bad subs are named errors that say what to do", () => {
  assert.throws(() => new SaveAt({ subs: [] }), /`subs` must be a non-empty array of SubSaveAt/);
  assert.throws(() => new SaveAt({ subs: [{ ts: [1] }] as never }), /non-empty array of SubSaveAt/);
  assert.throws(() => new SaveAt({ subs: [new SubSaveAt()], ts: [1] }), /either `subs` or the output's own options.*move `ts` into a SubSaveAt/);
  assert.throws(() => new SubSaveAt({ dense: true } as never), /unknown option `dense`/);
  assert.throws(() => new SubSaveAt({ steps: 0.5 }), /new SubSaveAt\(\{ steps \}\)/);
  assert.throws(() => solve(new SaveAt({ subs: [new SubSaveAt({ ts: [1] }), new SubSaveAt({ ts: [1, 7] })] })), /`saveat.subs\[1\].ts\[1\]` = 7 is outside \[t0, t1\]/);
  assert.throws(() => solve(new SaveAt({ subs: [new SubSaveAt(), new SubSaveAt({ ts: [2, 1] })] })), /`saveat.subs\[1\].ts` must be monotone/);
  const two = new SaveAt({ subs: [new SubSaveAt({ ts: [1] }), new SubSaveAt({ ts: [2] })] });
  assert.throws(() => diffeqsolveVjp({ ...base, saveat: two }), /SaveAt subs is not differentiated/);
  assert.throws(() => solveEnsembleSync({ ...base, saveat: two, trajectories: 2, y0: () => [1, 0] } as never), /`SaveAt\(\{ subs \}\)` with several outputs is not available for ensembles/);
});
