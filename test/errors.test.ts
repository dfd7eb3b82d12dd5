// Bad input gets an error that names the argument, the value and the fix; numerical failure gets a
// RESULTS code with a message; nothing hangs (every test has a timeout).
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ConstantStepSize, diffeqsolve, Dopri5, Euler, ODETerm, PIDController, RESULTS, SaveAt, SolveError, StepTo,
} from "../src/index.js";
import type { DiffeqsolveOptions } from "../src/index.js";

const T = { timeout: 10_000 };
const decay = new ODETerm((_t: number, y: Float64Array, _a: unknown, dy: Float64Array) => {
  dy[0] = -y[0]!;
});
function base(over: Partial<DiffeqsolveOptions> = {}): DiffeqsolveOptions {
  return { terms: decay, solver: new Dopri5(), t0: 0, t1: 1, y0: [1], ...over };
}
/** Asserts that `fn` throws an error whose message matches every pattern. */
function throwsWith(fn: () => unknown, ...patterns: RegExp[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof Error, "expected an error to be thrown");
  for (const p of patterns) assert.match(caught.message, p);
}

test("y0 with NaN or Infinity: names y0, the component and its value", T, () => {
  throwsWith(() => diffeqsolve(base({ y0: [1, NaN] })), /`y0`/, /component 1/, /NaN/, /finite number/);
  throwsWith(() => diffeqsolve(base({ y0: [Infinity] })), /`y0`/, /Infinity/, /finite number/);
  throwsWith(() => diffeqsolve(base({ y0: { x: 1, v: [2, -Infinity] } })), /`y0`/, /-Infinity/, /finite/);
  throwsWith(() => diffeqsolve(base({ y0: ["1"] as never })), /`y0`/, /string/, /number/);
  throwsWith(() => diffeqsolve(base({ y0: [] })), /`y0`/, /empty/, /at least one/);
});

test("args with NaN or Infinity: names the path inside args and the value", T, () => {
  throwsWith(() => diffeqsolve(base({ args: { k: NaN } })), /`args\.k`/, /NaN/, /finite/);
  throwsWith(() => diffeqsolve(base({ args: { m: [1, Infinity] } })), /`args\.m\[1\]`/, /Infinity/, /finite/);
  throwsWith(() => diffeqsolve(base({ args: new Float64Array([0, NaN]) })), /`args\[1\]`/, /NaN/);
  // Non-numeric args are passed through untouched.
  assert.doesNotThrow(() => diffeqsolve(base({ args: { name: "decay", f: Math.sin } })));
});

test("t0 or t1 NaN: names it and the value", T, () => {
  throwsWith(() => diffeqsolve(base({ t0: NaN })), /`t0`/, /NaN/, /finite number/);
  throwsWith(() => diffeqsolve(base({ t1: NaN })), /`t1`/, /NaN/, /finite number/);
  throwsWith(() => diffeqsolve(base({ t1: Infinity })), /`t1`/, /Infinity/, /finite number/);
});

test("dt0 zero, NaN or pointing away from t1: names dt0, its value and the fix", T, () => {
  throwsWith(() => diffeqsolve(base({ dt0: 0 })), /`dt0`/, /= 0/, /non-zero/, /omit/);
  throwsWith(() => diffeqsolve(base({ dt0: NaN })), /`dt0`/, /NaN/);
  throwsWith(() => diffeqsolve(base({ dt0: -0.1 })), /`dt0`/, /-0\.1/, /points away from t1/, /dt0 = 0\.1/);
  throwsWith(() => diffeqsolve(base({ t0: 1, t1: 0, dt0: 0.1 })), /`dt0`/, /0\.1/, /points away/, /dt0 = -0\.1/);
});

test("rtol/atol negative, NaN, or both zero: names the tolerance, its value and an example", T, () => {
  throwsWith(() => new PIDController({ rtol: -1e-6 }), /`rtol`/, /-0\.000001|-1e-6/, /≥ 0/, /rtol: 1e-6/);
  throwsWith(() => new PIDController({ atol: NaN }), /`atol`/, /NaN/, /≥ 0/);
  throwsWith(() => new PIDController({ atol: [1e-6, -1] }), /`atol\[1\]`/, /-1/, /≥ 0/);
  throwsWith(() => new PIDController({ rtol: 0, atol: 0 }), /`rtol` and `atol`/, /both 0/, /positive/);
  throwsWith(() => new PIDController({ rtol: 0, atol: [1e-9, 0] }), /both 0 for component 1/);
  // Per-component tolerances of the wrong length are caught against y0.
  throwsWith(
    () => diffeqsolve(base({ stepsizeController: new PIDController({ atol: [1e-6, 1e-6] }) })),
    /`atol`/, /2 entries/, /state has 1/,
  );
});

test("saveat.ts not monotone or outside [t0, t1]: names the index, the value and the fix", T, () => {
  throwsWith(() => diffeqsolve(base({ saveat: new SaveAt({ ts: [0, 0.5, 0.2] }) })), /`saveat\.ts`/, /ts\[1\] = 0\.5/, /ts\[2\] = 0\.2/, /increasing/, /Sort/);
  throwsWith(() => diffeqsolve(base({ saveat: new SaveAt({ ts: [0.5, 1.5] }) })), /`saveat\.ts\[1\]`/, /1\.5/, /outside \[t0, t1\]/);
  throwsWith(() => diffeqsolve(base({ saveat: new SaveAt({ ts: [-0.1] }) })), /`saveat\.ts\[0\]`/, /-0\.1/, /outside/);
  // Backward: ts must decrease.
  throwsWith(() => diffeqsolve(base({ t0: 1, t1: 0, saveat: new SaveAt({ ts: [0.2, 0.5] }) })), /decreasing/);
  throwsWith(() => new SaveAt({ ts: [0, NaN] }), /ts\[1\]/, /NaN/, /finite/);
});

test("maxSteps < 1 or not whole: names maxSteps, the value and an example", T, () => {
  for (const m of [0, -5, 1.5, NaN]) throwsWith(() => diffeqsolve(base({ maxSteps: m })), /`maxSteps`/, new RegExp(String(m)), /≥ 1/, /maxSteps: 100000/);
});

test("unknown option keys suggest the closest valid one", T, () => {
  throwsWith(() => diffeqsolve({ ...base(), maxStep: 10 } as never), /unknown option `maxStep`/, /did you mean `maxSteps`/);
  throwsWith(() => diffeqsolve({ ...base(), stepSizeController: new PIDController() } as never), /`stepSizeController`/, /did you mean `stepsizeController`/);
  throwsWith(() => new PIDController({ rtoll: 1e-3 } as never), /unknown option `rtoll`/, /did you mean `rtol`/);
  throwsWith(() => new SaveAt({ ts_: [0] } as never), /unknown option `ts_`/, /did you mean `ts`/);
  // Nothing close: list the valid ones.
  throwsWith(() => diffeqsolve({ ...base(), zzzzzzzzzzzz: 1 } as never), /`zzzzzzzzzzzz`/, /valid options are/, /`saveat`/);
});

test("wrong solver/controller/terms combinations name what is needed", T, () => {
  throwsWith(() => diffeqsolve(base({ terms: ((t: number) => t) as never })), /`terms`/, /new ODETerm/);
  throwsWith(() => diffeqsolve(base({ solver: {} as never })), /`solver`/, /Tsit5/);
  throwsWith(() => diffeqsolve(base({ solver: new Euler(), stepsizeController: new PIDController() })), /Euler/, /no error estimate/, /ConstantStepSize/);
  throwsWith(() => diffeqsolve(base({ solver: new Euler(), stepsizeController: new ConstantStepSize() })), /ConstantStepSize/, /`dt0`/);
  throwsWith(() => diffeqsolve(base({ stepsizeController: new StepTo({ ts: [0, 0.5] }) })), /StepTo/, /end at t1 = 1/);
  throwsWith(() => new StepTo({ ts: [0, 0.5, 0.5, 1] }), /strictly monotone/, /ts\[2\] = 0\.5/);
  throwsWith(() => new ODETerm(42 as never), /`vectorField`/, /function/, /number/);
});

test("a vector field that writes too few or too many components: says which and what to do", T, () => {
  const tooFew = new ODETerm((_t: number, y: Float64Array, _a: unknown, dy: Float64Array) => {
    dy[0] = -y[0]!;
  });
  throwsWith(() => diffeqsolve(base({ terms: tooFew, y0: [1, 2, 3] })), /did not write dy\[1\]/, /all 3 components/);
  const tooMany = new ODETerm((_t: number, y: Float64Array, _a: unknown, dy: Float64Array) => {
    dy[0] = -y[0]!;
    dy[1] = 0;
  });
  throwsWith(() => diffeqsolve(base({ terms: tooMany })), /writes dy\[1\]/, /only 1 components?/, /length of y0/);
  const returnsWrong = new ODETerm(() => [1, 2]);
  throwsWith(() => diffeqsolve(base({ terms: returnsWrong })), /returned 2 values/, /y0 has 1/);
  const returnsString = new ODETerm((() => "x") as never);
  throwsWith(() => diffeqsolve(base({ terms: returnsString })), /returned the string "x"/, /in place/);
});

test("a vector field that throws: the user's error surfaces with t and as the cause", T, () => {
  const boom = new Error("boom: division by zero in my model");
  const atStart = new ODETerm(() => {
    throw boom;
  });
  let err: unknown;
  try {
    diffeqsolve(base({ terms: atStart }));
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof Error);
  assert.match(err.message, /vector field threw/);
  assert.match(err.message, /t = 0/);
  assert.match(err.message, /boom: division by zero in my model/);
  assert.equal((err as { cause?: unknown }).cause, boom);
  // Thrown mid-solve, after t = 0.5.
  const later = new ODETerm((t: number, y: Float64Array, _a: unknown, dy: Float64Array) => {
    if (t > 0.5) throw new RangeError("model undefined past 0.5");
    dy[0] = -y[0]!;
  });
  err = undefined;
  try {
    diffeqsolve(base({ terms: later }));
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof Error);
  assert.match(err.message, /model undefined past 0\.5/);
  // The time reported is that of the call that threw: past 0.5, inside the step that failed.
  const tAt = Number(/callbackError at t = ([0-9.e-]+)/.exec(err.message)![1]);
  assert.ok(tAt > 0.5 && tAt < 1, `error reported at t = ${tAt}`);
  assert.ok((err as { cause?: unknown }).cause instanceof RangeError);
});

test("NaN from the vector field for too large a step: the step is rejected, dt shrinks, the solve succeeds", T, () => {
  // y' = -y, but the model is undefined for y < 0: dt0 = 10 makes the first stages negative.
  const guarded = new ODETerm((_t: number, y: Float64Array, _a: unknown, dy: Float64Array) => {
    dy[0] = y[0]! < 0 ? NaN : -y[0]!;
  });
  const sol = diffeqsolve(base({ terms: guarded, t1: 10, dt0: 10, stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-12 }) }));
  assert.equal(sol.result, RESULTS.successful);
  assert.ok(sol.stats.numRejectedSteps >= 1, "the NaN step was rejected");
  assert.ok(Math.abs(sol.ys[0]![0]! - Math.exp(-10)) < 1e-8, `y(10) = ${sol.ys[0]![0]}`);
});

test("NaN that persists ends the solve with nonFiniteEncountered, a message, and the partial solution", T, () => {
  for (const [t0, t1] of [[0, 1], [3, 4], [1, 0]] as const) {
    const tBad = (t0 + t1) / 2;
    const dir = Math.sign(t1 - t0);
    const nanAfter = new ODETerm((t: number, y: Float64Array, _a: unknown, dy: Float64Array) => {
      dy[0] = dir * (t - tBad) > 0 ? NaN : -y[0]!;
    });
    const opts = base({ terms: nanAfter, t0, t1, saveat: new SaveAt({ ts: [t0, tBad - dir * 0.25, t1] }) });
    let err: unknown;
    try {
      diffeqsolve(opts);
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof SolveError, "throws a SolveError");
    assert.equal(err.result, RESULTS.nonFiniteEncountered);
    assert.match(err.message, /nonFiniteEncountered/);
    assert.match(err.message, /NaN or Infinity/);
    const sol = diffeqsolve({ ...opts, throw: false });
    assert.equal(sol.result, RESULTS.nonFiniteEncountered);
    assert.match(sol.message, /Check the model/);
    assert.ok(Math.abs(sol.tFinal - tBad) < 1e-12, `stopped at ${sol.tFinal}, the NaN starts after ${tBad}`);
    assert.deepEqual(Array.from(sol.ts), [t0, tBad - dir * 0.25], "outputs before the failure are kept");
  }
});

test("maxSteps reached: SolveError with RESULTS.maxStepsReached, or the partial solution with throw: false", T, () => {
  const opts = base({ t1: 100, maxSteps: 5, saveat: new SaveAt({ steps: true }), stepsizeController: new PIDController({ rtol: 1e-10, atol: 1e-12 }) });
  let err: unknown;
  try {
    diffeqsolve(opts);
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof SolveError);
  assert.equal(err.result, RESULTS.maxStepsReached);
  assert.match(err.message, /maxStepsReached/);
  assert.match(err.message, /Increase `maxSteps`/);
  const partial = err.solution as { ts: Float64Array; result: number };
  assert.equal(partial.result, RESULTS.maxStepsReached);
  const sol = diffeqsolve({ ...opts, throw: false });
  assert.equal(sol.result, RESULTS.maxStepsReached);
  assert.equal(sol.stats.numSteps, 5);
  assert.equal(sol.ts.length, sol.stats.numAcceptedSteps, "every accepted step was saved");
  assert.ok(sol.tFinal > 0 && sol.tFinal < 100);
  assert.equal(sol.ts[sol.ts.length - 1], sol.tFinal);
  // The partial states are right: y = e^{-t}.
  for (let i = 0; i < sol.ts.length; i++) assert.ok(Math.abs(sol.ys[i]![0]! - Math.exp(-sol.ts[i]!)) < 1e-9);
  assert.deepEqual(Array.from(partial.ts), Array.from(sol.ts));
  // Fixed steps too.
  const fixed = diffeqsolve(base({ solver: new Euler(), dt0: 0.01, stepsizeController: new ConstantStepSize(), maxSteps: 10, throw: false }));
  assert.equal(fixed.result, RESULTS.maxStepsReached);
  assert.ok(Math.abs(fixed.tFinal - 0.1) < 1e-15);
});

test("dtmin reached ends with RESULTS.dtMinReached and says what to try", T, () => {
  // y' = y² blows up at t = 1; with dtmin the solve must stop near the singularity, not hang.
  const blowup = new ODETerm((_t: number, y: Float64Array, _a: unknown, dy: Float64Array) => {
    dy[0] = y[0]! * y[0]!;
  });
  const sol = diffeqsolve(base({ terms: blowup, t1: 2, throw: false, stepsizeController: new PIDController({ rtol: 1e-6, atol: 1e-9, dtmin: 1e-8 }) }));
  assert.equal(sol.result, RESULTS.dtMinReached);
  assert.ok(Math.abs(sol.tFinal - 1) < 1e-3, `stopped at ${sol.tFinal}, the blow-up is at 1`);
  assert.match(sol.message, /dtmin/);
  assert.match(sol.message, /singularity/);
  // Without dtmin: still ends (at floating-point resolution, or by overflow), never hangs.
  const sol2 = diffeqsolve(base({ terms: blowup, t1: 2, throw: false, stepsizeController: new PIDController({ rtol: 1e-6, atol: 1e-9 }) }));
  assert.notEqual(sol2.result, RESULTS.successful);
  // The numerical blow-up time is within the tolerance of the true one (t = 1).
  assert.ok(Math.abs(sol2.tFinal - 1) < 1e-3, `stopped at ${sol2.tFinal}`);
  assert.ok(sol2.result === RESULTS.dtMinReached || sol2.result === RESULTS.nonFiniteEncountered, sol2.message);
});
