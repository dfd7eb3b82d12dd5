// odeflow/distributed with real components: a Redis server started here (redis-server on a
// loopback port, no persistence) and worker processes running the built command line
// (`node dist/cli.js worker`, so `npm run build` first; npm test does). Every distributed result
// is compared bit for bit with a local solveEnsemble of the same options.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Queue } from "bullmq";
import { distributeEnsemble, type DistributedProgress } from "../../src/distributed/index.js";
import { decode, encode } from "../../src/distributed/codec.js";
import { decodeJob, encodeInputs, encodeProblem } from "../../src/distributed/jobs.js";
import { ODETerm, PIDController, SaveAt, solveEnsemble, Tsit5, type EnsembleProblem, type EnsembleSolution } from "../../src/index.js";
import { costlyDecay, finalAndCount, lorenz, throwingOutput } from "../ensemble/fixtures/models.mjs";
import { redisAvailable, type RedisServer, startRedis, startWorker, type WorkerProcess } from "./servers.js";

const url = new URL("../ensemble/fixtures/models.mjs", import.meta.url).href;
const missing = redisAvailable();
/** Workers that give up a stopped worker's job after 1.5 s (BullMQ's default is 30 s). */
const FAST_RECOVERY = ["--lock-ms", "1500", "--stalled-ms", "500"];
let redis: RedisServer;
const workers: WorkerProcess[] = [];
/** Two workers on the queue "shared", for the tests that need no worker of their own. */
const SHARED = "shared";
before(async () => {
  if (missing !== null) return;
  redis = await startRedis();
  workers.push(...(await Promise.all([startWorker(redis.url, SHARED, FAST_RECOVERY), startWorker(redis.url, SHARED, FAST_RECOVERY)])));
});
after(async () => {
  await Promise.all(workers.map((w) => w.kill("SIGKILL")));
  await redis?.stop();
});

const connection = () => ({ host: "127.0.0.1", port: redis.port });

function assertIdentical(a: EnsembleSolution, b: EnsembleSolution): void {
  for (const key of ["ts", "ys", "counts", "results", "tFinal", "numSteps", "numAcceptedSteps", "numRejectedSteps", "numFnEvals", "outputs"] as const) {
    const x = a[key] as ArrayLike<number>;
    const y = b[key] as ArrayLike<number>;
    assert.equal(x.length, y.length, key);
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) assert.fail(`${key}[${i}]: ${x[i]} vs ${y[i]}`);
  }
  assert.ok(Object.is(a.reduced, b.reduced), `reduced: ${a.reduced} vs ${b.reduced}`);
  assert.deepEqual(a.failed, b.failed);
}

/** An ensemble of costly trajectories (about 0.3 ms each): jobs of 150 take ~50 ms. */
function costly(N: number) {
  return {
    module: { url, vectorField: "costlyDecay" }, solver: new Tsit5(), t0: 0, t1: 1, trajectories: N,
    y0: (i: number) => [1 + i / N], args: (i: number) => ({ work: 200 + (i % 7) * 40 }),
    stepsizeController: new PIDController({ rtol: 1e-6, atol: 1e-9 }),
    reduce: { init: 0, fn: (acc: number, row: Float64Array) => acc + row[0]! },
  };
}

test("the queue's JSON keeps every bit: typed arrays, NaN, ±Infinity, −0, undefined, $-keys", () => {
  const value = {
    f64: Float64Array.of(1 / 3, -0, 5e-324, NaN, -Infinity), u8: Uint8Array.of(0, 255), i32: new Int32Array([-1, 2 ** 31 - 1]),
    nums: [-0, NaN, Infinity, 0.1], u: undefined, nested: { $t: "not a tag", $o: 1, list: [{ $n: "x" }] }, s: "text", b: false, nil: null,
    view: new Float64Array([9, 8, 7, 6]).subarray(1, 3),
  };
  const back = decode(JSON.parse(JSON.stringify(encode(value, "v")))) as typeof value;
  assert.deepEqual(Object.keys(back), Object.keys(value));
  for (const k of ["f64", "u8", "i32", "view"] as const) {
    assert.equal(back[k].constructor, value[k].constructor, k);
    assert.deepEqual(Array.from(back[k]).map(String), Array.from(value[k]).map(String), k);
  }
  assert.ok(Object.is(back.f64[1], -0) && Object.is(back.nums[0], -0) && Number.isNaN(back.nums[1]) && back.nums[2] === Infinity);
  assert.ok("u" in back && back.u === undefined);
  assert.deepEqual(back.nested, value.nested);
  assert.deepEqual([back.s, back.b, back.nil], ["text", false, null]);
  assert.throws(() => encode({ when: new Date(0) }, "args(3)"), /args\(3\)\.when is a Date, which cannot travel through the queue/);
  // Initial states that are all one row travel as that row; others as they are.
  const problem = { n: 2 } as unknown as EnsembleProblem;
  for (const [y0s, shared] of [[Float64Array.of(1, -0, 1, -0, 1, -0), true], [Float64Array.of(1, 0, 1, -0, 1, 0), false]] as const) {
    const inputs = { start: 4, end: 7, y0s, args: { kind: "shared" as const, value: 1 } };
    const data = JSON.parse(JSON.stringify({ run: "r", problem: encodeProblem(problem), inputs: encodeInputs(inputs, 2) }));
    assert.equal("y0Row" in data.inputs, shared, "−0 and 0 are different rows");
    const back = decodeJob(data).inputs;
    assert.deepEqual([back.start, back.end, back.args], [4, 7, inputs.args]);
    assert.deepEqual(Array.from(back.y0s).map((x) => Object.is(x, -0)), Array.from(y0s).map((x) => Object.is(x, -0)));
  }
  assert.throws(() => encode({ f: () => 1 }, "args(0)"), /args\(0\)\.f is a function, which cannot travel/);
});

test("3 worker processes, one killed with SIGKILL mid-run and one joining late: bit-identical to local", { skip: missing ?? false }, async () => {
  const queue = "kill-test";
  const a = await startWorker(redis.url, queue, FAST_RECOVERY);
  const b = await startWorker(redis.url, queue, FAST_RECOVERY);
  workers.push(a, b);
  // The test's own handle on the queue pauses it while the third worker starts (a worker takes
  // a second or more to start on a busy machine; the run must not be over before it joins).
  const control = new Queue(queue, { connection: connection() });
  const o = costly(3600);
  const joining: { late: Promise<WorkerProcess> | null } = { late: null };
  const seen: DistributedProgress[] = [];
  try {
    const sol = await distributeEnsemble(o, {
      connection: connection(), queue, chunkSize: 150, pollMs: 250, maxQueuedJobs: 6, // more are added as results come
      onProgress: (p) => {
        seen.push(p);
        // After a few jobs: kill a worker that has solved one (it holds its next job), and start a third.
        if (joining.late === null && p.jobsDone >= 3 && a.jobs().length >= 1) {
          joining.late = (async () => {
            await a.kill("SIGKILL"); // first: it holds a job now (a paused queue would leave it idle)
            await control.pause();
            const c = await startWorker(redis.url, queue, FAST_RECOVERY);
            workers.push(c);
            await control.resume();
            return c;
          })();
        }
      },
    });
    assert.ok(joining.late !== null, "a worker was killed during the run");
    const c = await joining.late;
    const last = seen.at(-1)!;
    assert.equal(last.jobsDone, 24);
    assert.equal(last.trajectoriesDone, 3600);
    assert.ok(last.stalled >= 1, `the killed worker's job was taken back (stalled: ${last.stalled})`);
    assert.ok(c.jobs().length >= 1, `the late worker took jobs: ${c.jobs().length}\n${c.output()}`);
    assert.equal(sol.mode, "distributed");
    const local = await solveEnsemble({ ...o, terms: new ODETerm(costlyDecay) });
    assertIdentical(sol, local);
  } finally {
    await control.close();
  }
});

test("output hooks, saved times and numerical failures come back as solveEnsemble gives them", { skip: missing ?? false }, async () => {
  const queue = SHARED;
  const N = 60;
  const o = {
    module: { url, vectorField: "lorenz", output: "finalAndCount" }, solver: new Tsit5(), t0: 0, t1: 2, trajectories: N,
    y0: () => [1, 0, 0], args: (i: number) => ({ sigma: 10, rho: (28 * i) / (N - 1), beta: 8 / 3 }),
    stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-8 }), saveat: new SaveAt({ ts: [0.5, 1, 2] }),
    output: { width: 4, keepSaved: true, fn: finalAndCount }, maxSteps: 150, // the largest ρ run out of steps
  };
  let jobs = 0;
  const sol = await distributeEnsemble(o, { connection: connection(), queue, onProgress: (p) => void (jobs = p.jobs) }); // chunkSize "auto"
  assert.ok(jobs >= 16, `"auto" makes at least 16 jobs (${jobs})`);
  const local = await solveEnsemble({ ...o, terms: new ODETerm(lorenz) });
  assert.ok(local.failed.length > 0 && local.failed.length < N, "some trajectories fail numerically (maxSteps)");
  assertIdentical(sol, local);
  for (const i of local.failed) assert.equal(sol.message(i), local.message(i));
});

test("a vector field that throws fails its trajectory, as solveEnsemble reports it", { skip: missing ?? false }, async () => {
  const o = { module: { url, vectorField: "throwing" }, solver: new Tsit5(), t0: 0, t1: 1, trajectories: 40, y0: () => [1], args: (i: number) => ({ bad: i === 33 }) };
  const sol = await distributeEnsemble(o, { connection: connection(), queue: SHARED, chunkSize: 10 });
  const local = await solveEnsemble(o);
  assert.deepEqual(sol.failed, [33]);
  assertIdentical(sol, local);
  assert.match(sol.message(33)!, /bad parameter/);
});

test("an output hook that throws fails its job once (no retries) and the run, naming the trajectory", { skip: missing ?? false }, async () => {
  const queue = SHARED;
  const failedBefore = workers.map((w) => (w.output().match(/job .* failed/g) ?? []).length).reduce((a, b) => a + b, 0);
  await assert.rejects(
    distributeEnsemble(
      { module: { url, vectorField: "throwing", output: "throwingOutput" }, output: { width: 1, fn: throwingOutput }, solver: new Tsit5(), t0: 0, t1: 1, trajectories: 40, y0: () => [1], args: (i: number) => ({ bad: i === 33 }) },
      { connection: connection(), queue, chunkSize: 10 },
    ),
    /distributeEnsemble: the job of trajectories \[30, 40\) failed: solveEnsemble: the `output.fn` hook threw for trajectory 33: bad output/,
  );
  await new Promise((r) => setTimeout(r, 200)); // the worker's line about it
  const failedAfter = workers.map((w) => (w.output().match(/job .* failed/g) ?? []).length).reduce((a, b) => a + b, 0);
  assert.equal(failedAfter - failedBefore, 1, "the job was tried once");
});

test("closures are refused before anything is queued; a Redis that is not there is reported", { skip: missing ?? false }, async () => {
  await assert.rejects(
    distributeEnsemble(
      // compile: false keeps the plain function (compiled automatically, it would travel as source).
      { terms: new ODETerm((t: number, y: Float64Array, a: unknown, dy: Float64Array) => void (dy[0] = -y[0]!), { compile: false }), solver: new Tsit5(), t0: 0, t1: 1, trajectories: 4, y0: () => [1] },
      { connection: connection() },
    ),
    (e: Error) => e instanceof TypeError && /a closure cannot travel to another machine\); name the module that exports it/.test(e.message),
  );
  await assert.rejects(
    distributeEnsemble({ ...costly(4), reduce: undefined }, { connection: { host: "127.0.0.1", port: 1, maxRetriesPerRequest: null }, unreachableMs: 1000, pollMs: 200 }),
    /distributeEnsemble: Redis has been unreachable for \d+ s \(last error: connect ECONNREFUSED 127\.0\.0\.1:1\); unreachableMs = 1000; 0 of \d+ jobs were done/,
  );
});

test("Redis restarting empty mid-run: the run adds its lost jobs again and finishes, bit-identical", { skip: missing ?? false }, async () => {
  const queue = SHARED; // the shared workers reconnect to the restarted server by themselves
  const o = costly(1800);
  let restarted: Promise<void> | null = null;
  const seen: DistributedProgress[] = [];
  const sol = await distributeEnsemble(o, {
    connection: connection(), queue, chunkSize: 150, pollMs: 250, maxQueuedJobs: 4,
    onProgress: (p) => {
      seen.push(p);
      if (restarted === null && p.jobsDone >= 2) restarted = redis.kill().then(() => new Promise((r) => setTimeout(r, 300))).then(() => redis.restart());
    },
  });
  await restarted;
  assert.ok(seen.at(-1)!.readded >= 1, `jobs lost with Redis were added again (readded: ${seen.at(-1)!.readded})`);
  assertIdentical(sol, await solveEnsemble({ ...o, terms: new ODETerm(costlyDecay) }));
});
