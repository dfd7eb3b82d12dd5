// What a fresh worker thread costs before it solves anything (bench/threads.bench.ts), each
// measured `reps` times in this process: Node booting an empty thread; loading odeflow's worker
// script (dist/ensemble-worker.cjs) in it; importing the whole library as an ES module instead
// (how workers started before the worker script existed); importing the model's ES module
// there (Node's ES module loader starts on the first import); and the calling thread's own
// share of `new Worker`. Prints one JSON line of medians (ms).
// argv[2]: reps
import { Worker, SHARE_ENV } from "node:worker_threads";

const reps = Number(process.argv[2] ?? 7);
const root = new URL("../../", import.meta.url);
const script = new URL("dist/ensemble-worker.cjs", root);
const dist = new URL("dist/index.js", root).href;
const model = new URL("examples/lorenz-model.mjs", root).href;
const opts = { env: SHARE_ENV, execArgv: [] };

/** Time from `new Worker` to the first message, and the constructor's own time on this thread. */
async function time(make) {
  const a = performance.now();
  const w = make();
  const sync = performance.now() - a;
  await new Promise((resolve, reject) => {
    w.once("message", resolve);
    w.once("error", reject);
  });
  const total = performance.now() - a;
  await w.terminate();
  return { total, sync };
}

const post = 'require("node:worker_threads").parentPort.postMessage(0)';
const variants = {
  boot: () => new Worker(post + ";", { ...opts, eval: true }),
  workerScript: () => new Worker(script, opts),
  libraryAsEsm: () => new Worker(`import(${JSON.stringify(dist)}).then(() => ${post})`, { ...opts, eval: true }),
  modelImport: () => new Worker(`import(${JSON.stringify(model)}).then(() => ${post})`, { ...opts, eval: true }),
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const out = {};
for (let r = 0; r < reps; r++) {
  for (const [name, make] of Object.entries(variants)) {
    const t = await time(make);
    (out[name] ??= []).push(t.total);
    (out.spawnSync ??= []).push(t.sync);
  }
}
const result = Object.fromEntries(Object.entries(out).map(([k, v]) => [k, median(v)]));

// How much CPU a second thread of this process gets now: two threads spinning for a second
// against one. About 2 on an idle 2-core machine; near 1 when other processes compete, since
// Linux shares the CPU between sessions (autogroups), not threads, and thread speed-ups vanish.
const spin = (ms) => {
  const end = Date.now() + ms;
  let x = 0;
  while (Date.now() < end) for (let i = 0; i < 1e5; i++) x += Math.sqrt(i);
  return x;
};
const spinner = new Worker('const { parentPort } = require("node:worker_threads"); parentPort.on("message", (ms) => { const end = Date.now() + ms; let x = 0; while (Date.now() < end) for (let i = 0; i < 1e5; i++) x += Math.sqrt(i); parentPort.postMessage(x); });', { ...opts, eval: true });
await new Promise((r) => setTimeout(r, 200));
const cpuDuring = async (both) => {
  const c = process.cpuUsage();
  const done = both ? new Promise((r) => spinner.once("message", r)) : null;
  if (both) spinner.postMessage(1000);
  spin(1000);
  await done;
  const u = process.cpuUsage(c);
  return (u.user + u.system) / 1e3;
};
const one = await cpuDuring(false);
const two = await cpuDuring(true);
await spinner.terminate();
result.secondThreadShare = two / one;
console.log(JSON.stringify(result));
