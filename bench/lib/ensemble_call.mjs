// One program run for the threads benchmark (bench/threads.bench.ts), in a fresh process as a
// user's program is: import odeflow (dist/index.js), build the Lorenz ensemble, and time `calls`
// solveEnsemble calls, the first one cold. Prints one JSON line: the times and CPU times (ms, the
// latter of all the process's threads), the mode, and a hash of the output bits (to compare
// serial and threaded runs).
// argv[2]: JSON { threads, N, t1, calls, prestart }  (threads: 1 is the serial run)
import { createHash } from "node:crypto";

const cfg = JSON.parse(process.argv[2]);
const root = new URL("../../", import.meta.url);
const lib = await import(new URL("dist/index.js", root).href);
const modelUrl = new URL("examples/lorenz-model.mjs", root).href;
const { lorenz } = await import(modelUrl);
const starting = cfg.prestart ? lib.startEnsembleWorkers(cfg.threads) : null;
const N = cfg.N;
const options = {
  terms: new lib.ODETerm(lorenz),
  module: { url: modelUrl, vectorField: "lorenz" },
  solver: new lib.Tsit5(),
  t0: 0,
  t1: cfg.t1,
  trajectories: N,
  y0: () => [1, 0, 0],
  args: (i) => ({ sigma: 10, rho: (21 * i) / (N - 1), beta: 8 / 3 }),
  stepsizeController: new lib.PIDController({ rtol: 1e-8, atol: 1e-8 }),
  threads: cfg.threads,
};
if (starting !== null) await starting;
const times = [];
const cpu = []; // CPU time of the process (all its threads) per call, ms
let sol;
for (let c = 0; c < cfg.calls; c++) {
  const c0 = process.cpuUsage();
  const a = performance.now();
  sol = await lib.solveEnsemble(options);
  times.push(performance.now() - a);
  const used = process.cpuUsage(c0);
  cpu.push((used.user + used.system) / 1e3);
}
const h = createHash("sha256");
for (const a of [sol.ys, sol.ts, sol.results, sol.numSteps, sol.numFnEvals]) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
let steps = 0;
for (let i = 0; i < N; i++) steps += sol.numSteps[i];
console.log(JSON.stringify({ times, cpu, mode: sol.mode, threads: sol.threads, notice: sol.notice, hash: h.digest("hex").slice(0, 16), stepsPerTrajectory: steps / N }));
