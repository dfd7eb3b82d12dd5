// Run in a fresh process by events.test.ts: counts young-generation GCs over 10⁶ Euler steps with
// and without a non-firing event, and prints them as JSON. (In a process that has already run many
// solves with other closures, V8's call sites are megamorphic and box doubles regardless.)
import { constants, PerformanceObserver } from "node:perf_hooks";
import { ConstantStepSize, diffeqsolve, Euler, Event, ODETerm } from "../../src/index.js";

const decay = new ODETerm((_t: number, y: Float64Array, _a: unknown, dy: Float64Array) => {
  dy[0] = -y[0]!;
});
const base = { terms: decay, solver: new Euler(), t0: 0, t1: 1, dt0: 1e-6, y0: [1], maxSteps: 2_000_000, stepsizeController: new ConstantStepSize() };
let minor = 0;
const obs = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if ((e as unknown as { detail?: { kind: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) minor++;
});
obs.observe({ entryTypes: ["gc"] });
async function count(opts: Parameters<typeof diffeqsolve>[0]): Promise<number> {
  // Warm up the optimiser with whole solves: on a loaded machine V8's concurrent compiler can lag,
  // and steps run before the optimised code is installed box their doubles.
  diffeqsolve(opts);
  diffeqsolve(opts);
  // Start the measured solve with an empty young generation (run with --expose-gc): what the
  // warm-up and the timers left there must not tip a scavenge into the solve being counted.
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((r) => setTimeout(r, 20));
  minor = 0;
  const sol = diffeqsolve(opts);
  await new Promise((r) => setTimeout(r, 50));
  if (sol.stats.numAcceptedSteps !== 1_000_000 || sol.events.length !== 0) throw new Error("unexpected solve");
  return minor;
}
const event = new Event({ cond: (_t, y) => y[0]! - 0.1 });
// The least of five solves each: the loop itself boxes a double a step in some of V8's compilations
// (both variants alike), which one extra GC in a single solve would otherwise pin on the event.
const without = Math.min(await count(base), await count(base), await count(base), await count(base), await count(base));
const withEvent = Math.min(await count({ ...base, event }), await count({ ...base, event }), await count({ ...base, event }), await count({ ...base, event }), await count({ ...base, event }));
obs.disconnect();
console.log(JSON.stringify({ without, withEvent }));
