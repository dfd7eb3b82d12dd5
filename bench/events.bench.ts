/**
 * Events: (1) the cost of a solve that carries events which never fire,
 * against the same solve without events (target: < 10 % more time); (2) the time to locate one
 * event. SciPy's solve_ivp (RK45) with and without events runs in the same run as the peer.
 *
 * (1) Lorenz on [0, 20] with Dopri5 (rtol 1e-8), with one numeric, one boolean, and three
 *     conditions that never fire; and Euler on y' = −y with fixed steps, the worst case, where a
 *     condition costs as much as the vector field. Plus the cost of looking inside steps: a
 *     condition x² + 0.01 that comes near zero at every sign change of x but never fires, so the
 *     steps near those changes are also checked at interior points of the interpolant.
 * (2) y' = cos t on [0, 10] with an event at each zero of sin t: events without `affect` do not
 *     change the steps (bit-for-bit, tested in test/events), so (time with − time without) / number
 *     of events is the cost of locating one event (root finding on the interpolant).
 *
 * Each comparison runs in a fresh child process (so one case's closures cannot make another's call
 * sites polymorphic), alternating between with and without events for several rounds and keeping
 * each variant's fastest batch, so that load from other processes colours both alike.
 * Writes bench/results/events.json and bench/results/events.md.
 * Environment: BENCH_QUICK=1 for short timings; BENCH_SRC=1 to benchmark src/ instead of dist/.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { machineInfo, machineLine } from "./lib/machine.js";
import { loadOdeflow } from "./lib/odeflow.js";
import { pythonAvailable, runPythonJSON } from "./lib/python.js";
import { consume, fmtRatio, fmtTime, timeIt } from "./lib/timing.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const QUICK = process.env.BENCH_QUICK === "1";
const OUT_NAME = QUICK ? "events.quick" : "events";
const { lib, from } = await loadOdeflow();
const CASE = process.argv[2] === "--case" ? process.argv[3]! : null;
const timing = QUICK ? { minTime: 0.05, runs: 3, warmup: 0.03 } : { minTime: 0.25, runs: 5, warmup: 0.1 };
const ROUNDS = QUICK ? 2 : 4;
const log = (s: string): void => console.log(`[events] ${s}`);
if (CASE === null) log(`odeflow from ${from}${QUICK ? "; QUICK timings" : ""}`);

const { diffeqsolve, ODETerm, Dopri5, Euler, PIDController, ConstantStepSize, Event } = lib;

/**
 * Per-call times of two variants, alternating call by call: the fastest call of each (the figure
 * least disturbed by other processes on a shared machine) and the median of the per-pair ratios.
 * Solves here take 0.05–5 ms, so a call is long enough for performance.now() and short enough to
 * often run undisturbed.
 */
function paired(a: () => unknown, b: () => unknown): { a: number; b: number; medianRatio: number } {
  timeIt(a, { ...timing, minTime: timing.warmup, runs: 1 }); // warm up both (and let V8 optimise)
  timeIt(b, { ...timing, minTime: timing.warmup, runs: 1 });
  let minA = Infinity;
  let minB = Infinity;
  const ratios: number[] = [];
  const deadline = performance.now() + 1e3 * timing.minTime * ROUNDS * 2;
  for (let i = 0; i < 20 || (performance.now() < deadline && i < 20_000); i++) {
    const flip = (i & 1) === 0; // alternate which goes first
    let ta = 0;
    let tb = 0;
    for (let k = 0; k < 2; k++) {
      const first = flip === (k === 0);
      const s = performance.now();
      consume(first ? a() : b());
      const d = performance.now() - s;
      if (first) ta = d;
      else tb = d;
    }
    minA = Math.min(minA, ta);
    minB = Math.min(minB, tb);
    ratios.push(tb / ta);
  }
  ratios.sort((x, y) => x - y);
  return { a: minA / 1e3, b: minB / 1e3, medianRatio: ratios[ratios.length >> 1]! };
}

// ---- the cases, each run in its own child process ----

const lorenz = new ODETerm((_t: number, y: Float64Array, _a: unknown, dy: Float64Array) => {
  dy[0] = 10 * (y[1]! - y[0]!);
  dy[1] = y[0]! * (28 - y[2]!) - y[1]!;
  dy[2] = y[0]! * y[1]! - (8 / 3) * y[2]!;
});
const lorenzOpts = { terms: lorenz, solver: new Dopri5(), t0: 0, t1: 20, y0: [1, 1, 1], stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-10 }) };
const decay = new ODETerm((_t: number, y: Float64Array, _a: unknown, dy: Float64Array) => {
  dy[0] = -y[0]!;
});
const eulerOpts = { terms: decay, solver: new Euler(), t0: 0, t1: 1, dt0: 1e-5, y0: [1], stepsizeController: new ConstantStepSize(), maxSteps: 200_000 };
const cosine = new ODETerm((t: number, _y: Float64Array, _a: unknown, dy: Float64Array) => {
  dy[0] = Math.cos(t);
});
const sineOpts = { terms: cosine, solver: new Dopri5(), t0: 0, t1: 10, y0: [0], stepsizeController: new PIDController({ rtol: 1e-10, atol: 1e-12 }) };

/** Per case: the solve options and the events (that never fire, except for "sine"). */
const CASES: Record<string, { opts: Parameters<typeof diffeqsolve>[0]; events: () => InstanceType<typeof Event> | InstanceType<typeof Event>[] }> = {
  "lorenz-numeric": { opts: lorenzOpts, events: () => new Event({ cond: (_t: number, y: Float64Array) => y[2]! + 1000 }) },
  "lorenz-boolean": { opts: lorenzOpts, events: () => new Event({ cond: (_t: number, y: Float64Array) => y[2]! < -1000 }) },
  "lorenz-three": {
    opts: lorenzOpts,
    events: () => [
      new Event({ cond: (_t: number, y: Float64Array) => y[2]! + 1000 }),
      new Event({ cond: (_t: number, y: Float64Array) => y[0]! - 1000, direction: "up" }),
      new Event({ cond: (_t: number, y: Float64Array) => y[1]! > 1000, terminal: true }),
    ],
  },
  "euler-numeric": { opts: eulerOpts, events: () => new Event({ cond: (_t: number, y: Float64Array) => y[0]! + 1 }) },
  "lorenz-near": { opts: lorenzOpts, events: () => new Event({ cond: (_t: number, y: Float64Array) => y[0]! * y[0]! + 0.01 }) },
  "lorenz-near-ends": { opts: lorenzOpts, events: () => new Event({ cond: (_t: number, y: Float64Array) => y[0]! * y[0]! + 0.01, interpPoints: 0 }) },
  sine: { opts: sineOpts, events: () => new Event({ cond: (_t: number, y: Float64Array) => y[0]! }) },
  "sine-never": { opts: sineOpts, events: () => new Event({ cond: (_t: number, y: Float64Array) => y[0]! + 10 }) },
};

interface CaseOut {
  none: number;
  with: number;
  medianRatio: number;
  steps: number;
  events: number;
  eventTimes: number[];
  condEvalsPerEvent: number;
  /** Condition evaluations per accepted step (1 when no step is checked inside). */
  condEvalsPerStep: number;
}

if (CASE !== null) {
  const c = CASES[CASE]!;
  const event = c.events();
  const sol = diffeqsolve({ ...c.opts, event });
  const t = paired(() => diffeqsolve(c.opts), () => diffeqsolve({ ...c.opts, event }));
  // Condition evaluations beyond one at t0 and one per step end, per event (a separate solve, after
  // the timings so that its wrapper closures cannot make the timed call sites polymorphic).
  let calls = 0;
  const counting = (Array.isArray(event) ? event : [event]).map((e) => new Event({ cond: (tt: number, y: Float64Array) => (calls++, e.cond!(tt, y, undefined)), direction: e.direction, interpPoints: e.interpPoints }));
  diffeqsolve({ ...c.opts, event: counting });
  const out: CaseOut = {
    none: t.a, with: t.b, medianRatio: t.medianRatio, steps: sol.stats.numAcceptedSteps, events: sol.events.length, eventTimes: sol.events.map((e) => e.t),
    condEvalsPerEvent: sol.events.length === 0 ? 0 : (calls - counting.length * (sol.stats.numAcceptedSteps + 1)) / sol.events.length,
    condEvalsPerStep: calls / counting.length / sol.stats.numAcceptedSteps,
  };
  console.log(JSON.stringify(out));
  process.exit(0);
}

const machine = machineInfo({ python: true });
function runCase(name: string): CaseOut {
  log(`${name} …`);
  const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), "--case", name], { encoding: "utf8", env: process.env, timeout: 600_000 });
  if (r.status !== 0) throw new Error(`case ${name} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as CaseOut;
}
const lzNum = runCase("lorenz-numeric");
const lzBool = runCase("lorenz-boolean");
const lzThree = runCase("lorenz-three");
const eu = runCase("euler-numeric");
const near = runCase("lorenz-near");
const nearEnds = runCase("lorenz-near-ends");
const sine = runCase("sine");
const sineNever = runCase("sine-never");
const lorenzSteps = lzNum.steps;
const nEvents = sine.events;
const rootErrors = sine.eventTimes.map((t, k) => Math.abs(t - (k + 1) * Math.PI));
// The same solve with a condition that never fires carries the per-solve set-up and the per-step
// check; what remains is the location itself.
const locate = (sine.with - sine.none - (sineNever.with - sineNever.none)) / nEvents;

// ---- SciPy peer ----

interface ScipyOut {
  lorenz: { plain: number; event: number; steps: number };
  sine: { plain: number; event: number; roots: number[] };
}
let scipy: ScipyOut | null = null;
let scipyNote = "";
const py = pythonAvailable();
if (py.ok) {
  log("SciPy solve_ivp (RK45) …");
  const r = runPythonJSON<ScipyOut>(join(HERE, "lib", "events_scipy.py"), { runs: timing.runs, minTime: timing.minTime * 2, rtol: 1e-8, atol: 1e-10, t1: 20 });
  if (r.ok) scipy = r.data;
  else scipyNote = r.reason;
} else {
  scipyNote = py.reason;
}

// ---- report ----

const TARGET = 0.1;
const row = (name: string, c: CaseOut): { case: string; none: number; with: number; ratio: number; medianRatio: number; met: boolean } => ({
  case: name, none: c.none, with: c.with, ratio: c.with / c.none, medianRatio: c.medianRatio, met: c.with / c.none < 1 + TARGET,
});
const rows = [
  row("Lorenz, Dopri5 rtol 1e-8: one numeric condition", lzNum),
  row("Lorenz, Dopri5 rtol 1e-8: one boolean condition", lzBool),
  row("Lorenz, Dopri5 rtol 1e-8: three conditions", lzThree),
  row("y' = −y, Euler, 10⁵ fixed steps: one condition (worst case: a condition costs as much as f)", eu),
];
const md: string[] = [];
md.push("## Events", "");
md.push(machineLine(machine), "");
md.push(`odeflow from ${from}.`, "");
md.push("### Solves carrying events that never fire (target: < 10 % more time than without events)", "");
md.push("Fastest call of each, alternating call by call in a fresh process; the ratio of the fastest calls decides the target, the median of the call-pair ratios is shown beside it.", "");
md.push("| case | without events | with events | ratio | median pair ratio | target |", "|---|---:|---:|---:|---:|---|");
for (const r of rows) md.push(`| ${r.case} | ${fmtTime(r.none)} | ${fmtTime(r.with)} | ${fmtRatio(r.ratio)} | ${fmtRatio(r.medianRatio)} | ${r.met ? "met" : "missed"} |`);
if (scipy !== null) {
  const ratio = scipy.lorenz.event / scipy.lorenz.plain;
  md.push(`| *peer* SciPy solve_ivp RK45, Lorenz rtol 1e-8: one condition (best batch) | ${fmtTime(scipy.lorenz.plain)} | ${fmtTime(scipy.lorenz.event)} | ${fmtRatio(ratio)} | — | — |`);
}
md.push("");
md.push("### Looking inside steps", "");
md.push("A condition x² + 0.01 never fires but comes near zero at every sign change of x; steps near those are also checked at interior points of the interpolant (Dopri5: 6 points, and the vertex of a parabola where the values curve back to zero). The same condition with `interpPoints: 0` checks step ends only, as before.", "");
md.push("| case | without events | with events | ratio | median pair ratio | condition evaluations per step |", "|---|---:|---:|---:|---:|---:|");
for (const [name, c] of [["Lorenz, x² + 0.01, interior checks", near], ["Lorenz, x² + 0.01, step ends only (interpPoints: 0)", nearEnds]] as const) {
  md.push(`| ${name} | ${fmtTime(c.none)} | ${fmtTime(c.with)} | ${fmtRatio(c.with / c.none)} | ${fmtRatio(c.medianRatio)} | ${c.condEvalsPerStep.toFixed(2)} |`);
}
md.push("");
md.push(`Lorenz takes ${lorenzSteps} steps (odeflow)${scipy !== null ? ` and ${scipy.lorenz.steps} (SciPy)` : ""}. odeflow vs SciPy without events: ${scipy !== null ? fmtRatio(scipy.lorenz.plain / lzNum.none) + " faster" : "—"}.`, "");
md.push("### Locating an event", "");
md.push(`y' = cos t on [0, 10] (Dopri5, rtol 1e-10): ${nEvents} events at π, 2π, 3π located to within ${Math.max(...rootErrors).toExponential(1)} of kπ; `
  + `${sine.condEvalsPerEvent.toFixed(1)} condition evaluations per event (root finding on the interpolant, the check of simultaneous events, the sign just after the event).`, "");
md.push("Per event located: (with events − without) minus the same difference for a condition that never fires (the per-solve set-up and per-step check), divided by the number of events.", "");
md.push("| | per solve, no event | per solve, with events | per event located |", "|---|---:|---:|---:|");
md.push(`| odeflow | ${fmtTime(sine.none)} | ${fmtTime(sine.with)} | ${fmtTime(locate)} |`);
if (scipy !== null) {
  const n = scipy.sine.roots.length;
  md.push(`| *peer* SciPy solve_ivp RK45 (${n} events: it also reports the zero at t0) | ${fmtTime(scipy.sine.plain)} | ${fmtTime(scipy.sine.event)} | ${fmtTime((scipy.sine.event - scipy.sine.plain) / n)} |`);
} else {
  md.push("", `SciPy peer not run: ${scipyNote}.`);
}
md.push("");
const mdText = md.join("\n");
mkdirSync(join(HERE, "results"), { recursive: true });
writeFileSync(join(HERE, "results", `${OUT_NAME}.md`), mdText);
writeFileSync(
  join(HERE, "results", `${OUT_NAME}.json`),
  JSON.stringify({ machine, from, quick: QUICK, neverFiring: { lorenzNumeric: lzNum, lorenzBoolean: lzBool, lorenzThree: lzThree, euler: eu, rows }, inside: { near, nearEnds }, locate: { ...sine, never: sineNever, rootErrors, perEvent: locate }, scipy, scipyNote }, null, 2),
);
console.log(mdText);
