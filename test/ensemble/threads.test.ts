// Worker threads import odeflow from dist/index.js (`npm test` builds it first).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  compile, Dopri5, ODETerm, runEnsembleWorker, PIDController, ConstantStepSize, RESULTS, SaveAt, solveEnsemble, shutdownEnsembleWorkers,
  startEnsembleWorkers, Tsit5, type EnsembleSolution,
} from "../../src/index.js";
import { barrier, blowup, finalAndCount, lorenz, solvedBy, xPlusZ } from "./fixtures/models.mjs";

const url = new URL("./fixtures/models.mjs", import.meta.url).href;
after(() => shutdownEnsembleWorkers());

function assertIdentical(a: EnsembleSolution, b: EnsembleSolution): void {
  for (const key of ["ts", "ys", "counts", "results", "tFinal", "numSteps", "numAcceptedSteps", "numRejectedSteps", "numFnEvals", "outputs"] as const) {
    const x = a[key] as ArrayLike<number>;
    const y = b[key] as ArrayLike<number>;
    assert.equal(x.length, y.length, key);
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) assert.fail(`${key}[${i}]: ${x[i]} vs ${y[i]}`);
  }
}

const N = 200;
const lorenzOptions = {
  module: { url, vectorField: "lorenz" },
  solver: new Dopri5(),
  t0: 0,
  t1: 1,
  trajectories: N,
  y0: () => [1, 0, 0],
  args: (i: number) => ({ sigma: 10, rho: (21 * i) / (N - 1), beta: 8 / 3 }),
  stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-8 }),
  saveat: new SaveAt({ ts: [0.1, 0.5, 1] }),
};

test("threaded results are identical to serial ones (module vector field, adaptive and fixed steps)", async () => {
  const threaded = await solveEnsemble({ ...lorenzOptions, threads: 2, chunkSize: 7 });
  assert.equal(threaded.mode, "threads", threaded.notice ?? "");
  assert.equal(threaded.threads, 2);
  assert.ok(threaded.ys.buffer instanceof SharedArrayBuffer);
  const serial = await solveEnsemble({ ...lorenzOptions, terms: new ODETerm(lorenz), threads: 1 });
  assert.equal(serial.mode, "serial");
  assertIdentical(threaded, serial);

  const fixed = { ...lorenzOptions, dt0: 0.001, stepsizeController: new ConstantStepSize() };
  assertIdentical(await solveEnsemble({ ...fixed, threads: 2 }), await solveEnsemble({ ...fixed, threads: 1 }));
});

test("threads: output hooks named in the module travel; reduce runs in the calling thread", async () => {
  const o = { ...lorenzOptions, output: { width: 4, fn: finalAndCount }, module: { url, vectorField: "lorenz", output: "finalAndCount" } };
  const threaded = await solveEnsemble({ ...o, threads: 2, reduce: { init: 0, fn: (acc, row) => acc + row[2]! } });
  const serial = await solveEnsemble({ ...o, threads: 1, reduce: { init: 0, fn: (acc, row) => acc + row[2]! } });
  assert.equal(threaded.mode, "threads", threaded.notice ?? "");
  assertIdentical(threaded, serial);
  assert.equal(threaded.output(5)[3], 3);
  assert.equal(threaded.reduced, serial.reduced);
});

test("threads: failed trajectories keep their own codes and messages", async () => {
  const y0s = [0.1, 2, 0.5, 4, 0.9, 3];
  const o = {
    module: { url, vectorField: "blowup" }, solver: new Dopri5(), t0: 0, t1: 1, trajectories: y0s.length, y0: (i: number) => [y0s[i]!],
    stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-10 }), maxSteps: 2000, chunkSize: 1,
  };
  const threaded = await solveEnsemble({ ...o, threads: 2 });
  const serial = await solveEnsemble({ ...o, terms: new ODETerm(blowup) });
  assert.equal(threaded.mode, "threads");
  assertIdentical(threaded, serial);
  assert.deepEqual(threaded.failed, [1, 3, 5]);
  assert.equal(threaded.result(0), RESULTS.successful);
  for (const i of [1, 3, 5]) assert.equal(threaded.message(i), serial.message(i));
});

test("a closure cannot travel: the ensemble runs in the calling thread with a notice", async () => {
  const warn = console.warn;
  const warnings: string[] = [];
  console.warn = (m: string) => warnings.push(m);
  try {
    // A real closure (it reads `rate` from outside), which the compiler cannot read either: a
    // plain function it can compile travels as generated source (the test after this one).
    const rate = 1;
    const closure = (t: number, y: Float64Array, a: unknown, dy: Float64Array) => {
      dy[0] = -rate * y[0]!;
    };
    const sol = await solveEnsemble({
      terms: new ODETerm(closure), solver: new Dopri5(), t0: 0, t1: 1, trajectories: 50, y0: (i) => [i], threads: 2,
      stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-10 }),
    });
    assert.equal(sol.mode, "serial");
    assert.match(sol.notice!, /threads: 2 was asked for, but the vector field is a plain function .*\(module: \{ url, vectorField: "name" \}\)/);
    assert.equal(warnings.length, 1);
    assert.ok(Math.abs(sol.final(7)[0]! - 7 * Math.exp(-1)) < 1e-5);
    // A terms function that is not the module's export is refused rather than silently replaced.
    await assert.rejects(
      async () => {
        const wrapped = (t: number, y: Float64Array, a: never, dy: Float64Array) => lorenz(t, y, a, dy);
        const s = await solveEnsemble({ ...lorenzOptions, terms: new ODETerm(wrapped), threads: 2 });
        if (s.notice !== null) throw new Error(s.notice);
      },
      /is not the export `lorenz`/,
    );
  } finally {
    console.warn = warn;
  }
});

test("a vector field that throws in a worker fails only its own trajectory, with the error's message", async () => {
  const sol = await solveEnsemble({
    module: { url, vectorField: "throwing" }, solver: new Dopri5(), t0: 0, t1: 1, trajectories: 40, y0: () => [1],
    args: (i) => ({ bad: i === 33 }), threads: 2, chunkSize: 4,
  });
  assert.equal(sol.mode, "threads", sol.notice ?? "");
  for (let i = 0; i < 40; i++) assert.equal(sol.result(i), i === 33 ? RESULTS.callbackError : RESULTS.successful);
  assert.match(sol.message(33), /bad parameter/);
});

test("a compiled vector field travels to the workers as its generated source (toSource)", async () => {
  const vf = compile((t: number, [x, y, z]: number[], { sigma, rho, beta }: { sigma: number; rho: number; beta: number }) => [
    sigma * (y - x), x * (rho - z) - y, x * y - beta * z,
  ], { args: { sigma: 0, rho: 0, beta: 0 } });
  const { module: _m, ...rest } = lorenzOptions;
  const o = { ...rest, terms: new ODETerm(vf), trajectories: 64 };
  const threaded = await solveEnsemble({ ...o, threads: 2 });
  assert.equal(threaded.mode, "threads", threaded.notice ?? "");
  assertIdentical(threaded, await solveEnsemble(o));
});

test("a plain function compiled automatically by new ODETerm(f) travels as its generated source; threads equal serial bit for bit", async () => {
  const f = (t: number, y: Float64Array, a: { sigma: number; rho: number; beta: number }, dy: Float64Array) => {
    dy[0] = a.sigma * (y[1]! - y[0]!);
    dy[1] = y[0]! * (a.rho - y[2]!) - y[1]!;
    dy[2] = y[0]! * y[1]! - a.beta * y[2]!;
  };
  const terms = new ODETerm(f);
  assert.equal(terms.compilation.status, "compiled");
  const { module: _m, ...rest } = lorenzOptions;
  const o = { ...rest, terms, trajectories: 64 };
  const threaded = await solveEnsemble({ ...o, threads: 2, chunkSize: 8 });
  assert.equal(threaded.mode, "threads", threaded.notice ?? "");
  assertIdentical(threaded, await solveEnsemble(o));
  // And equal to the explicitly compiled field, and to f called as written up to rounding.
  assertIdentical(threaded, await solveEnsemble({ ...o, terms: new ODETerm(compile(f)) }));
  const asWritten = await solveEnsemble({ ...o, terms: new ODETerm(f, { compile: false }) });
  for (let i = 0; i < 64; i += 9) {
    const a = threaded.final(i), b = asWritten.final(i);
    for (let j = 0; j < 3; j++) assert.ok(Math.abs(a[j]! - b[j]!) <= 1e-9 * (1 + Math.abs(b[j]!)), `trajectory ${i}[${j}]`);
  }
  // A module export is still sent as the module (the worker compiles it the same way).
  const viaModule = await solveEnsemble({ ...lorenzOptions, terms: new ODETerm(lorenz), threads: 2, chunkSize: 7 });
  assert.equal(viaModule.mode, "threads", viaModule.notice ?? "");
});

test("caller-made workers (the Web Worker path) answer the same protocol: MessagePorts running runEnsembleWorker", async () => {
  // Each "worker" here is a MessagePort in this thread running runEnsembleWorker, as a browser's
  // module Web Worker would run it on `self`; the job and replies are the same messages.
  const odeflow = (await import("../../src/index.js")) as unknown as Record<string, unknown>;
  const channels = [new MessageChannel(), new MessageChannel()];
  for (const c of channels) runEnsembleWorker(c.port2 as never, odeflow);
  try {
    const viaPorts = await solveEnsemble({ ...lorenzOptions, workers: channels.map((c) => c.port1 as never), chunkSize: 8 });
    assert.equal(viaPorts.mode, "threads", viaPorts.notice ?? "");
    assertIdentical(viaPorts, await solveEnsemble({ ...lorenzOptions, terms: new ODETerm(lorenz) }));
  } finally {
    for (const c of channels) {
      c.port1.close();
      c.port2.close();
    }
  }
});

test("what cannot be rebuilt in a worker (a user's solver subclass, a norm function) runs in the calling thread with a notice", async () => {
  const warn = console.warn;
  console.warn = () => {};
  try {
    class MyDopri5 extends Dopri5 {}
    const a = await solveEnsemble({ ...lorenzOptions, trajectories: 20, solver: new MyDopri5(), threads: 2 });
    assert.equal(a.mode, "serial");
    assert.match(a.notice!, /the solver Dopri5 \(class MyDopri5\) is not one of odeflow's exported solver classes/);
    const b = await solveEnsemble({
      ...lorenzOptions, trajectories: 20, threads: 2,
      stepsizeController: new PIDController({ rtol: 1e-6, atol: 1e-6, norm: (e) => Math.max(...e.map(Math.abs)) }),
    });
    assert.equal(b.mode, "serial");
    assert.match(b.notice!, /`norm` is a function, which cannot travel to a worker/);
  } finally {
    console.warn = warn;
  }
});

test("SaveAt fn named in the module travels; rows of its width are packed", async () => {
  const o = { ...lorenzOptions, trajectories: 40, saveat: new SaveAt({ ts: [0.5, 1], fn: xPlusZ }), module: { url, vectorField: "lorenz", saveFn: "xPlusZ" } };
  const threaded = await solveEnsemble({ ...o, threads: 2 });
  assert.equal(threaded.mode, "threads", threaded.notice ?? "");
  assert.equal(threaded.size, 2);
  const serial = await solveEnsemble(o);
  assertIdentical(threaded, serial);
  const plain = await solveEnsemble({ ...lorenzOptions, trajectories: 40, saveat: new SaveAt({ ts: [0.5, 1] }) });
  for (const i of [0, 17, 39]) {
    const y = plain.state(i, 1);
    assert.ok(Object.is(serial.state(i, 1)[0], y[0]! + y[2]!));
    assert.ok(Object.is(serial.state(i, 1)[1], 1 * y[1]!));
  }
  assert.throws(() => serial.stateAs(0, 0), /rows saved by `SaveAt.fn` have no y0 structure/);
});

/**
 * An ensemble whose `solvedBy` output hook records the thread that solved each trajectory
 * (0: the calling thread); its vector field is a barrier of `threads` threads (each holds its first
 * trajectory until all have one), so the test does not depend on how fast workers start.
 */
function awaiting(N: number, threads: number) {
  const arrived = new Int32Array(new SharedArrayBuffer(4));
  return {
    module: { url, vectorField: "barrier", output: "solvedBy" }, solver: new Tsit5(), t0: 0, t1: 1, trajectories: N,
    y0: (i: number) => [1 + i / N], args: { arrived, threads }, stepsizeController: new PIDController({ rtol: 1e-6, atol: 1e-9 }),
    output: { width: 1, keepSaved: true, fn: solvedBy },
  };
}
const threadsOf = (sol: EnsembleSolution): number[] => [...new Set(Array.from(sol.outputs))].sort((a, b) => a - b);

test("a worker that starts during the first call joins it; the pool is kept and reused; shutdown closes it", async () => {
  await shutdownEnsembleWorkers();
  // The job is posted to the worker while it starts; the calling thread begins alone.
  const first = await solveEnsemble({ ...awaiting(300, 2), threads: 2 });
  assert.equal(first.mode, "threads", first.notice ?? "");
  assert.equal(first.threads, 2);
  const [main, worker] = threadsOf(first);
  assert.equal(main, 0, "the calling thread solved trajectories");
  assert.ok(worker! > 0 && threadsOf(first).length === 2, `one worker solved the rest: threads ${threadsOf(first)}`);
  const serial = await solveEnsemble({ ...awaiting(300, 1), terms: new ODETerm(barrier) });
  for (const key of ["ys", "results", "numSteps", "numFnEvals", "tFinal"] as const) assert.deepEqual(first[key], serial[key], key);

  const again = await solveEnsemble({ ...awaiting(100, 2), threads: 2 });
  assert.deepEqual(threadsOf(again), [0, worker], "the same worker thread answers the next call");
  await shutdownEnsembleWorkers();
  const fresh = await solveEnsemble({ ...awaiting(100, 2), threads: 2 });
  assert.ok(!threadsOf(fresh).includes(worker!) && threadsOf(fresh).length === 2, "after shutdown a new worker thread is started");
});

test("startEnsembleWorkers starts the pool ahead of the first call", async () => {
  await shutdownEnsembleWorkers();
  assert.equal(await startEnsembleWorkers(3), 2, "threads: 3 is the calling thread and two workers");
  const sol = await solveEnsemble({ ...awaiting(200, 3), threads: 3 });
  assert.equal(threadsOf(sol).length, 3, `all three threads took part: ${threadsOf(sol)}`);
  await assert.rejects(startEnsembleWorkers(0), /threads = 0 must be "auto" or a whole number ≥ 1/);
});

test("workers that cannot start leave the calling thread to solve it all, with a notice", async () => {
  const warn = console.warn;
  console.warn = () => {};
  try {
    await shutdownEnsembleWorkers();
    const o = { ...lorenzOptions, trajectories: 40, threads: 2, libraryUrl: "file:///nonexistent/odeflow.js" };
    await startEnsembleWorkers(2, o.libraryUrl).then(
      () => assert.fail("the pool cannot start"),
      (e: Error) => assert.match(e.message, /worker threads could not start/),
    );
    const sol = await solveEnsemble(o);
    assert.equal(sol.mode, "serial");
    assert.match(sol.notice!, /threads: 2 was asked for, but the worker threads could not start/);
    assertIdentical(sol, await solveEnsemble({ ...lorenzOptions, trajectories: 40, terms: new ODETerm(lorenz) }));
  } finally {
    console.warn = warn;
    await shutdownEnsembleWorkers();
  }
});

test("idle pooled workers do not keep the process alive", () => {
  // A process that runs a threaded ensemble and never shuts the pool down exits by itself (the
  // built package, as a user's program loads it).
  const script = `
    import { solveEnsemble, Tsit5, PIDController } from ${JSON.stringify(new URL("../../dist/index.js", import.meta.url).href)};
    const sol = await solveEnsemble({ module: { url: ${JSON.stringify(url)}, vectorField: "lorenz" }, solver: new Tsit5(), t0: 0, t1: 1,
      trajectories: 64, y0: () => [1, 0, 0], args: { sigma: 10, rho: 28, beta: 8 / 3 }, threads: 2,
      stepsizeController: new PIDController({ rtol: 1e-6, atol: 1e-6 }) });
    console.log(sol.mode);`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 60_000 });
  assert.equal(r.error, undefined, "the process exited by itself");
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), "threads");
});
