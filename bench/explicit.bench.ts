/**
 * Work-precision of odeflow's explicit Runge–Kutta solvers against their peers (core issue,
 * "Benchmark"): Arenstorf, Pleiades (7 bodies) and Lorenz, rtol 1e-4 … 1e-12, odeflow's Tsit5,
 * Dopri5, Dopri8, Vern7 and Vern9 against odex, numeric.dopri and mathjs solveODE (same process),
 * SciPy solve_ivp RK45 and DOP853 (python3, same run) and our own C Dormand–Prince
 * (bench/c/dopri5.c, gcc -O3 -march=native). Also: generated kernel against the generic one, and
 * the bytes a step allocates beyond the boxing of t.
 *
 * Writes bench/results/explicit.json and bench/results/explicit.md.
 * Environment: BENCH_QUICK=1 for a reduced sweep (3 tolerances, short timings) that checks the
 * harness; BENCH_SRC=1 to benchmark src/ instead of dist/.
 */
import { writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { measureAllocation, type Allocation } from "./lib/alloc.js";
import { machineInfo, machineLine } from "./lib/machine.js";
import { buildC, runNativeJSON } from "./lib/native.js";
import { availableSolvers, EXPLICIT_METHODS, loadOdeflow } from "./lib/odeflow.js";
import { loadMathjs, loadNumeric, loadOdex, type Peer, type PeerLoad } from "./lib/peers.js";
import { arenstorf, lorenz, pleiades, type BenchProblem } from "./lib/problems.js";
import { pythonAvailable, runPythonJSON } from "./lib/python.js";
import { fmtRatio, fmtSci, fmtTime, timeIt } from "./lib/timing.js";
import {
  compareAtMatchedError, cpuCurve, maxError, rtolLadder, sweep, type MatchedComparison, type WPCurve, type WPPoint,
} from "./lib/workprecision.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const QUICK = process.env.BENCH_QUICK === "1";
const RESULTS_DIR = join(HERE, "results");
const OUT_NAME = QUICK ? "explicit.quick" : "explicit";

const { lib, from } = await loadOdeflow();
const machine = machineInfo({ gcc: true, python: true });
const rtols = rtolLadder(QUICK);
const ATOL_FACTOR = 1e-3;
const atolOf = (rtol: number): number => rtol * ATOL_FACTOR;
const timing = QUICK ? { minTime: 0.05, runs: 3, warmup: 0.03, maxSolveSeconds: 0.5 } : { minTime: 0.2, runs: 5, warmup: 0.1, maxSolveSeconds: 1 };
const log = (s: string): void => console.log(`[explicit] ${s}`);

log(`odeflow from ${from}; ${QUICK ? "QUICK sweep (BENCH_QUICK=1)" : "full sweep"}; rtol ${rtols.map(fmtSci).join(", ")}, atol = rtol·${ATOL_FACTOR}`);

const { found: methods, missing: missingMethods } = availableSolvers(lib, EXPLICIT_METHODS);
if (missingMethods.length > 0) log(`not exported by this build (skipped): ${missingMethods.join(", ")}`);

// ---- odeflow solve wrapper ----

function odeflowSolve(p: BenchProblem, solver: ReturnType<(typeof methods)[number]["make"]>, termOptions?: { compile: boolean }) {
  // As a user writes it: new ODETerm(f), which compiles f automatically (f is written naturally,
  // Math.pow included: bench/lib/problems.ts). termOptions { compile: false } calls f as written.
  const terms = new lib.ODETerm(p.f, termOptions);
  return (rtol: number, atol: number) => {
    const sol = lib.diffeqsolve({
      terms, solver, t0: p.t0, t1: p.t1, y0: p.y0,
      stepsizeController: new lib.PIDController({ rtol, atol }),
      maxSteps: 10_000_000,
    });
    return { y: sol.ys[sol.ys.length - 1]!, steps: sol.stats.numSteps, fevals: sol.stats.numFnEvals };
  };
}

// ---- per-step breakdown ----

/** The rtol at which the per-step breakdown is taken (many steps, so per-step costs dominate). */
const BREAKDOWN_RTOL = 1e-10;

/**
 * Where a Dopri5 step's time goes: the whole solve per step (diffeqsolve, PIDController), and the
 * step kernel alone (stages with f, y1 and the error estimate: solver.step and accept called in a
 * plain loop over the same accepted step sizes, read from SaveAt({ steps: true })). The rest is the
 * step loop's own work per step: error norm, controller, clipping, bookkeeping, saving.
 */
interface StepBreakdown { rtol: number; steps: number; accepted: number; solvePerStep: number; kernelPerStep: number }
function stepBreakdown(p: BenchProblem, rtol: number): StepBreakdown {
  const terms = new lib.ODETerm(p.f);
  const solver = new lib.Dopri5();
  const controller = () => new lib.PIDController({ rtol, atol: atolOf(rtol) });
  const solve = () => lib.diffeqsolve({ terms, solver, t0: p.t0, t1: p.t1, y0: p.y0, stepsizeController: controller(), maxSteps: 10_000_000 });
  const stats = solve().stats;
  const solvePerStep = timeIt(solve, timing).min / stats.numSteps;
  const ts = lib.diffeqsolve({ terms, solver, t0: p.t0, t1: p.t1, y0: p.y0, stepsizeController: controller(), saveat: new lib.SaveAt({ t0: true, steps: true }), maxSteps: 10_000_000 }).ts;
  const n = p.n;
  // The solver protocol, called directly (src/solvers/solver.ts): init, restart, step, accept.
  const s = solver as unknown as {
    init(f: unknown, n: number, args: unknown, terms: unknown): unknown;
    restart(state: unknown, t: number, y: Float64Array): unknown;
    step(state: unknown, times: Float64Array, y0: Float64Array, y1: Float64Array, e: Float64Array, e2: Float64Array): number;
    accept(state: unknown): void;
  };
  const state = s.init(terms.vf.f, n, undefined, terms);
  const times = new Float64Array(3), e = new Float64Array(n), e2 = new Float64Array(n);
  let ya = Float64Array.from(p.y0), yb = new Float64Array(n);
  const replay = (): number => {
    ya.set(p.y0);
    s.restart(state, ts[0]!, ya);
    for (let k = 1; k < ts.length; k++) {
      times[0] = ts[k - 1]!;
      times[1] = ts[k]! - ts[k - 1]!;
      times[2] = ts[k]!;
      s.step(state, times, ya, yb, e, e2);
      s.accept(state);
      const tmp = ya; ya = yb; yb = tmp;
    }
    return ya[0]!;
  };
  const kernelPerStep = timeIt(replay, timing).min / (ts.length - 1);
  return { rtol, steps: stats.numSteps, accepted: ts.length - 1, solvePerStep, kernelPerStep };
}

// ---- references ----

interface ReferenceInfo {
  y: number[];
  how: string;
  /** Max-norm differences between the reference and independent solutions. */
  crossChecks: { against: string; diff: number }[];
  /** Errors below this (10× the largest cross-check difference) are left out of the comparisons. */
  minError: number;
}

const refSolverName = ["Vern9", "Dopri8"].find((n) => methods.some((m) => m.name === n));
function odeflowReference(p: BenchProblem): { y: number[]; how: string } | undefined {
  if (refSolverName === undefined) return undefined;
  const m = methods.find((x) => x.name === refSolverName)!;
  const y = odeflowSolve(p, m.make())(1e-14, 1e-16).y;
  return { y: Array.from(y), how: `odeflow ${refSolverName}, rtol 1e-14, atol 1e-16` };
}

const problems = [arenstorf(), pleiades(), lorenz(2)];

// ---- SciPy (one python3 run: the reference cross-checks and the RK45/DOP853 sweeps) ----

interface PyPoint { rtol: number; atol: number; y: number[]; fevals: number; steps: number; time?: number; timeMedian?: number; cpu?: number; repeats?: number }
interface PyResult { id: string; problem: string; method: string; points: PyPoint[]; notes: string[] }
interface PyOut { python: string; numpy: string; scipy: string; results: PyResult[] }

const SCIPY_METHODS = ["RK45", "DOP853"] as const;
const py = pythonAvailable();
let pyOut: PyOut | undefined;
let pyReason = py.reason;
let pySeconds = 0;
if (py.ok) {
  const tasks: unknown[] = [];
  for (const p of problems) {
    tasks.push({ id: `ref:${p.key}`, problem: p.key, t0: p.t0, t1: p.t1, y0: p.y0, method: "DOP853", rtols: [1e-13], atols: [1e-16], time: false });
    for (const method of SCIPY_METHODS) {
      tasks.push({ id: `${method}:${p.key}`, problem: p.key, t0: p.t0, t1: p.t1, y0: p.y0, method, rtols, atols: rtols.map(atolOf) });
    }
  }
  log(`SciPy: running ${tasks.length} tasks in one python3 process …`);
  const r = runPythonJSON<PyOut>(join(HERE, "lib", "scipy_sweep.py"), {
    tasks, minTime: timing.minTime, minRepeats: QUICK ? 2 : 3, maxSolveSeconds: timing.maxSolveSeconds,
  });
  if (r.ok) {
    pyOut = r.data;
    pySeconds = r.seconds;
  } else pyReason = r.reason;
}
if (pyOut === undefined) log(`SciPy skipped: ${pyReason}`);
const pyResult = (id: string): PyResult | undefined => pyOut?.results.find((r) => r.id === id);

// ---- C Dormand–Prince ----

const cBuild = buildC("dopri5");
if (!cBuild.ok) log(`C skipped: ${cBuild.reason}`);
interface CPoint { rtol: number; atol: number; ok: boolean; steps: number; accepted: number; rejected: number; fevals: number; time: number; timeMedian: number; cpu: number; reps: number; y: number[] }

// ---- peers ----

const peerLoads: PeerLoad[] = [loadOdex(), loadNumeric(), await loadMathjs()];
const peers: Peer[] = [];
for (const l of peerLoads) {
  if (l.ok) peers.push(l.peer);
  else log(`peer skipped: ${l.reason}`);
}
/** Speed-up targets from the core issue: odeflow must be at least this many times faster. */
const TARGETS: Record<string, number> = { odex: 3, "numeric.dopri": 20, "mathjs solveODE": 20, "SciPy RK45": 50, "SciPy DOP853": 50 };
/** Dopri5 against the C Dormand–Prince at the same tolerances (same steps): at most this ratio. */
const C_TARGET = 1.2;

// ---- run everything per problem ----

interface ProblemResult {
  key: string;
  title: string;
  source: string;
  t0: number;
  t1: number;
  reference: ReferenceInfo;
  curves: WPCurve[];
  /** Which curves are odeflow's (the rest are peers). */
  odeflowSolvers: string[];
  /** At matched error, wall-clock (best, dopri5) and CPU time (bestCpu). */
  comparisons: { best: MatchedComparison; bestCpu: MatchedComparison; dopri5?: MatchedComparison; target: number }[];
  c?: { points: CPoint[]; build: string } | { skipped: string };
  /**
   * One evaluation of the vector field alone, seconds, in a loop its compiler may inline it into:
   * JavaScript as the solver runs it (compiled automatically by new ODETerm(f)), JavaScript as
   * written (Math.pow included), and C.
   */
  fAlone?: { js: number; jsAsWritten: number; c?: number };
  generic?: { rtol: number; generated: number; generic: number; ratio: number; sameSteps: boolean }[];
  /** Dopri5 with f called as written (new ODETerm(f, { compile: false })) against the default. */
  asWritten?: { rtol: number; compiled: number; asWritten: number; ratio: number; sameSteps: boolean }[];
  /** How odeflow runs f: term.compilation.status and the Dopri5 kernel. */
  compilation: { status: string; reason: string | null; kernel: string };
  /** Per-step breakdown of Dopri5 (see stepBreakdown). */
  breakdown?: StepBreakdown;
}

const results: ProblemResult[] = [];
for (const p of problems) {
  log(`${p.title}`);
  // Reference.
  const ours = odeflowReference(p);
  const scipyRef = pyResult(`ref:${p.key}`)?.points[0]?.y;
  const scipyHow = "SciPy DOP853, rtol 1e-13, atol 1e-16";
  let reference: ReferenceInfo;
  if (p.reference !== undefined) {
    reference = { y: p.reference.slice(), how: "published: the orbit is periodic, y(t1) = y0 (shared/reference/problems.json)", crossChecks: [], minError: 0 };
    if (ours !== undefined) reference.crossChecks.push({ against: ours.how, diff: maxError(ours.y, reference.y) });
    if (scipyRef !== undefined) reference.crossChecks.push({ against: scipyHow, diff: maxError(scipyRef, reference.y) });
  } else if (ours !== undefined) {
    reference = { y: ours.y, how: `computed once by this bench with ${ours.how}`, crossChecks: [], minError: 0 };
    if (scipyRef !== undefined) reference.crossChecks.push({ against: scipyHow, diff: maxError(scipyRef, ours.y) });
  } else if (scipyRef !== undefined) {
    reference = { y: scipyRef.slice(), how: `computed once by this bench with ${scipyHow} (this build exports no odeflow Vern9 or Dopri8)`, crossChecks: [], minError: 0 };
  } else {
    log(`  no reference for ${p.key} (needs odeflow Vern9/Dopri8 or SciPy); skipped`);
    continue;
  }
  reference.minError = 10 * Math.max(0, ...reference.crossChecks.map((c) => c.diff));
  const crossText = reference.crossChecks.map((c) => `${c.against} differs by ${fmtSci(c.diff)}`).join("; ");
  log(`  reference: ${reference.how}${crossText ? `; cross-check: ${crossText}` : ""}`);

  const curves: WPCurve[] = [];
  const odeflowSolvers: string[] = [];
  for (const m of methods) {
    const c = sweep(m.name, rtols, odeflowSolve(p, m.make()), reference.y, { ...timing, atolOf });
    curves.push(c);
    odeflowSolvers.push(m.name);
    log(`  ${m.name}: ${c.points.map((q) => `${fmtSci(q.error)}@${fmtTime(q.time)}`).join("  ")}`);
  }
  // The generic (tableau-loop) kernel of Dopri5: same steps, different code.
  let genericCurve: WPCurve | undefined;
  let asWrittenCurve: WPCurve | undefined;
  if (methods.some((m) => m.name === "Dopri5")) {
    genericCurve = sweep("Dopri5 (generic kernel)", rtols, odeflowSolve(p, new lib.Dopri5({ generated: false })), reference.y, { ...timing, atolOf });
    log(`  Dopri5 generic: ${genericCurve.points.map((q) => fmtTime(q.time)).join("  ")}`);
    asWrittenCurve = sweep("Dopri5 (f as written)", rtols, odeflowSolve(p, new lib.Dopri5(), { compile: false }), reference.y, { ...timing, atolOf });
    log(`  Dopri5 with f as written: ${asWrittenCurve.points.map((q) => fmtTime(q.time)).join("  ")}`);
  }
  for (const peer of peers) {
    const c = sweep(peer.name, rtols, (rtol, atol) => peer.solve(p, rtol, atol), reference.y, { ...timing, atolOf });
    curves.push(c);
    log(`  ${peer.name}: ${c.points.map((q) => `${fmtSci(q.error)}@${fmtTime(q.time)}`).join("  ")}${c.notes.length ? ` (${c.notes.join("; ")})` : ""}`);
  }
  for (const method of SCIPY_METHODS) {
    const r = pyResult(`${method}:${p.key}`);
    if (r === undefined) continue;
    const c: WPCurve = {
      solver: `SciPy ${method}`,
      notes: r.notes,
      points: r.points.map((q): WPPoint => ({ rtol: q.rtol, atol: q.atol, error: maxError(q.y, reference.y), time: q.time!, timeMedian: q.timeMedian!, cpu: q.cpu, steps: q.steps, fevals: q.fevals })),
    };
    curves.push(c);
    log(`  ${c.solver}: ${c.points.map((q) => `${fmtSci(q.error)}@${fmtTime(q.time)}`).join("  ")}`);
  }

  // Matched-error comparisons: the fastest odeflow method at each error, and Dopri5 alone.
  const oursCurves = curves.filter((c) => odeflowSolvers.includes(c.solver));
  const dopri5 = curves.find((c) => c.solver === "Dopri5");
  const comparisons: ProblemResult["comparisons"] = [];
  for (const c of curves) {
    if (odeflowSolvers.includes(c.solver)) continue;
    const entry: ProblemResult["comparisons"][number] = {
      best: compareAtMatchedError(oursCurves, c, reference.minError),
      bestCpu: compareAtMatchedError(oursCurves.map(cpuCurve), cpuCurve(c), reference.minError),
      target: TARGETS[c.solver] ?? NaN,
    };
    if (dopri5 !== undefined) entry.dopri5 = compareAtMatchedError([dopri5], c, reference.minError);
    comparisons.push(entry);
  }

  // C at the same tolerances.
  let cRes: ProblemResult["c"];
  if (cBuild.ok) {
    const args = [p.key, String(p.t0), String(p.t1), p.y0.map((v) => String(v)).join(","), String(timing.minTime)];
    for (const r of rtols) args.push(String(r), String(atolOf(r)));
    const r = runNativeJSON<CPoint[]>(cBuild.binary, args);
    if (r.ok) {
      cRes = { points: r.data, build: cBuild.command };
      log(`  C dopri5: ${r.data.map((q) => `${q.steps} steps@${fmtTime(q.time)}`).join("  ")}`);
    } else cRes = { skipped: r.reason };
  } else cRes = { skipped: cBuild.reason };

  // The vector field alone, each in a loop its compiler may inline it into (a fresh function per
  // problem, so V8's call site sees one f): how much of the gap to C is the f itself.
  const fLoop = new Function("f", "y", "dy", "reps", "let acc = 0; const m = dy.length - 1; for (let i = 0; i < reps; i++) { y[0] += 1e-15; f(0, y, undefined, dy); acc += dy[m]; } return acc;") as
    (f: BenchProblem["f"], y: Float64Array, dy: Float64Array, reps: number) => number;
  const fy = Float64Array.from(p.y0);
  const fdy = new Float64Array(p.n);
  const fReps = 1000;
  const compiledF = new lib.ODETerm(p.f).vf.f as BenchProblem["f"];
  const fAlone: ProblemResult["fAlone"] = {
    js: timeIt(() => fLoop(compiledF, fy, fdy, fReps), timing).min / fReps,
    jsAsWritten: timeIt(() => fLoop(p.f, fy, fdy, fReps), timing).min / fReps,
  };
  if (cBuild.ok) {
    const r = runNativeJSON<{ fTime: number }>(cBuild.binary, [p.key, String(p.t0), String(p.t1), p.y0.map((v) => String(v)).join(","), String(timing.minTime), "f"]);
    if (r.ok) fAlone.c = r.data.fTime;
  }
  log(`  f alone: JS ${fmtTime(fAlone.js)} (as written: ${fmtTime(fAlone.jsAsWritten)})${fAlone.c !== undefined ? `, C ${fmtTime(fAlone.c)}` : ""}`);

  let generic: ProblemResult["generic"];
  if (genericCurve !== undefined && dopri5 !== undefined) {
    generic = [];
    for (const g of genericCurve.points) {
      const d = dopri5.points.find((q) => q.rtol === g.rtol);
      if (d !== undefined) generic.push({ rtol: g.rtol, generated: d.time, generic: g.time, ratio: g.time / d.time, sameSteps: d.steps === g.steps });
    }
  }
  let asWritten: ProblemResult["asWritten"];
  if (asWrittenCurve !== undefined && dopri5 !== undefined) {
    asWritten = [];
    for (const g of asWrittenCurve.points) {
      const d = dopri5.points.find((q) => q.rtol === g.rtol);
      if (d !== undefined) asWritten.push({ rtol: g.rtol, compiled: d.time, asWritten: g.time, ratio: g.time / d.time, sameSteps: d.steps === g.steps });
    }
  }
  const probeTerm = new lib.ODETerm(p.f);
  const compilation = { ...probeTerm.compilation, kernel: new lib.Dopri5().kernelKind(probeTerm, p.n) };
  const breakdown = methods.some((m) => m.name === "Dopri5") ? stepBreakdown(p, BREAKDOWN_RTOL) : undefined;
  if (breakdown !== undefined) log(`  Dopri5 per step at rtol ${fmtSci(BREAKDOWN_RTOL)}: solve ${fmtTime(breakdown.solvePerStep)}, kernel alone ${fmtTime(breakdown.kernelPerStep)}, rest ${fmtTime(breakdown.solvePerStep - breakdown.kernelPerStep)}`);
  results.push({ key: p.key, title: p.title, source: p.source, t0: p.t0, t1: p.t1, reference, curves, odeflowSolvers, comparisons, c: cRes, fAlone, generic, asWritten, compilation, breakdown });
}

// ---- allocation over a long solve ----

interface AllocResult { solver: string; steps: number; fevals: number; solve: Allocation; bare: Allocation; bytesPerStep: number; bareBytesPerStep: number; beyondBoxingPerStep: number }
const allocResults: AllocResult[] = [];
{
  const p = lorenz(2);
  const targetSteps = QUICK ? 1e5 : 5e5;
  // A bare loop that makes the same number of vector-field calls through a call site V8 cannot
  // inline (it has seen several functions), so it pays the same boxing of t.
  const bare = (f: BenchProblem["f"], calls: number, y: Float64Array, dy: Float64Array): void => {
    let t = 0;
    for (let i = 0; i < calls; i++) {
      f(t, y, undefined, dy);
      t += 1e-7;
    }
  };
  const y = Float64Array.from(p.y0);
  const dy = new Float64Array(3);
  for (let k = 0; k < 20; k++) for (const q of problems) if (q.n === 3) bare(q.f, 1e4, y, dy);
  bare(arenstorf().f, 1e4, new Float64Array(4), new Float64Array(4));
  bare(pleiades().f, 1e4, new Float64Array(28).fill(1).map((v, i) => v + i), new Float64Array(28));
  for (const m of methods) {
    const solver = m.make();
    const terms = new lib.ODETerm(p.f);
    // Calibrate the span for about targetSteps steps at rtol 1e-8 (Lorenz stays on its attractor).
    const run = (t1: number) => lib.diffeqsolve({ terms, solver, t0: 0, t1, y0: p.y0, stepsizeController: new lib.PIDController({ rtol: 1e-8, atol: 1e-11 }), maxSteps: 1e8 });
    const probe = run(50);
    const t1 = Math.ceil((50 * targetSteps) / probe.stats.numSteps);
    run(t1 / 10); // warm-up
    let stats = probe.stats;
    const solveAlloc = measureAllocation(() => {
      stats = run(t1).stats;
    });
    const bareAlloc = measureAllocation(() => bare(p.f, stats.numFnEvals, y, dy));
    const r: AllocResult = {
      solver: m.name,
      steps: stats.numSteps,
      fevals: stats.numFnEvals,
      solve: solveAlloc,
      bare: bareAlloc,
      bytesPerStep: solveAlloc.bytes / stats.numSteps,
      bareBytesPerStep: bareAlloc.bytes / stats.numSteps,
      beyondBoxingPerStep: (solveAlloc.bytes - bareAlloc.bytes) / stats.numSteps,
    };
    allocResults.push(r);
    log(`allocation ${m.name}: ${r.steps} steps, ${r.bytesPerStep.toFixed(1)} B/step (bare loop with the same ${r.fevals} calls: ${r.bareBytesPerStep.toFixed(1)} B/step), beyond boxing: ${r.beyondBoxingPerStep.toFixed(2)} B/step; minor GCs ${solveAlloc.minorGcs} vs ${bareAlloc.minorGcs}`);
  }
}

// ---- fixed cost of one diffeqsolve call (what small solves pay besides their steps) ----

let overhead: { seconds: number; steps: number; fevals: number } | undefined;
if (methods.some((m) => m.name === "Dopri5")) {
  const p = lorenz(2);
  const terms = new lib.ODETerm(p.f);
  const solver = new lib.Dopri5();
  const one = () => lib.diffeqsolve({ terms, solver, t0: 0, t1: 1e-9, y0: p.y0, stepsizeController: new lib.PIDController({ rtol: 1e-6, atol: 1e-9 }) });
  const st = one().stats;
  overhead = { seconds: timeIt(one, timing).min, steps: st.numSteps, fevals: st.numFnEvals };
  log(`fixed cost: a ${overhead.steps}-step Dopri5 solve of Lorenz takes ${fmtTime(overhead.seconds)}`);
}

// ---- write results ----

const cRatios: { problem: string; rtol: number; ratio: number; cpuRatio: number; sameSteps: boolean; sameFevals: boolean; jsSteps: number; cSteps: number; jsFevals: number; cFevals: number; jsTime: number; cTime: number; dy: number }[] = [];
for (const r of results) {
  const d = r.curves.find((c) => c.solver === "Dopri5");
  if (d === undefined || r.c === undefined || !("points" in r.c)) continue;
  for (const q of r.c.points) {
    const j = d.points.find((x) => x.rtol === q.rtol);
    if (j === undefined) continue;
    const yjs = odeflowSolve(problems.find((x) => x.key === r.key)!, new lib.Dopri5())(q.rtol, q.atol).y;
    cRatios.push({
      problem: r.key, rtol: q.rtol, ratio: j.time / q.time, cpuRatio: j.cpu! / q.cpu, sameSteps: j.steps === q.steps, sameFevals: j.fevals === q.fevals,
      jsSteps: j.steps!, cSteps: q.steps, jsFevals: j.fevals!, cFevals: q.fevals, jsTime: j.time, cTime: q.time, dy: maxError(yjs, q.y),
    });
  }
}

const json = {
  benchmark: "explicit",
  quick: QUICK,
  machine,
  odeflow: from,
  methods: methods.map((m) => m.name),
  missingMethods,
  tolerances: { rtols, atol: `rtol * ${ATOL_FACTOR}`, note: "numeric.dopri and mathjs solveODE take one absolute tolerance: given rtol" },
  error: "max_i |y_i(t1) - y_ref,i|",
  timing: { ...timing, statistic: "fastest of the timed batches, per solve (median also recorded)" },
  peers: peers.map((p) => p.version),
  scipy: pyOut ? { python: pyOut.python, numpy: pyOut.numpy, scipy: pyOut.scipy, seconds: pySeconds } : { skipped: pyReason },
  c: cBuild.ok ? { build: cBuild.command } : { skipped: cBuild.reason },
  problems: results,
  cComparison: cRatios,
  allocation: allocResults,
  overhead,
};

// ---- markdown ----

const md: string[] = [];
const verdict = (ok: boolean | undefined): string => (ok === undefined ? "not measured" : ok ? "**met**" : "**missed**");
md.push(`## Explicit solvers: work-precision${QUICK ? " (QUICK harness check, not a result)" : ""}`);
md.push("");
md.push(machineLine(machine));
md.push(`odeflow loaded from ${from}. Methods: ${methods.map((m) => m.name).join(", ")}${missingMethods.length ? ` (not exported by this build: ${missingMethods.join(", ")})` : ""}. ` +
  `Peers: ${peers.map((p) => p.version).join(", ")}${pyOut ? `, SciPy ${pyOut.scipy} (Python ${pyOut.python}, numpy ${pyOut.numpy})` : ` (SciPy skipped: ${pyReason})`}` +
  `${cBuild.ok ? `, C Dormand–Prince (\`${cBuild.command}\`)` : ` (C skipped: ${cBuild.reason})`}.`);
md.push("");
md.push(`Tolerances rtol = ${rtols.map(fmtSci).join(", ")}, atol = rtol·${ATOL_FACTOR} (numeric.dopri and mathjs take a single absolute tolerance: given rtol). ` +
  "Error: max-norm of y(t1) − reference. Time: per solve, fastest of " + `${timing.runs} timed batches (≥ ${timing.minTime} s in all) after warm-up; SciPy timed inside Python with time.perf_counter. ` +
  "Speed-ups are compared at matched achieved error (log–log interpolation of time against error), against the fastest odeflow method at that error; " +
  "a peer's figure is the smallest ratio over the errors both reach (the target must hold at every matched error).");
md.push("");

// Target summary.
md.push("### Targets");
md.push("");
md.push("Worst figure over the problems; wall-clock time is the headline (as the targets), CPU time of the process is given beside it because it is less disturbed by other processes on a shared machine.");
md.push("");
md.push("| target | wall clock: worst (problem) | per problem (wall clock) | CPU time: worst (problem) | verdict wall / CPU |");
md.push("|---|---|---|---|---|");
function worstOver(peerName: string, pick: (c: ProblemResult["comparisons"][number]) => MatchedComparison): { worst: number; at: string; per: string[]; measured: boolean; all: boolean } {
  const per: string[] = [];
  let worst = Infinity;
  let at = "";
  let measured = false;
  let all = true;
  for (const r of results) {
    const cmp = r.comparisons.find((c) => c.best.peer === peerName);
    if (cmp === undefined) {
      all = false;
      continue;
    }
    measured = true;
    const m = pick(cmp);
    if (m.kind === "none") {
      per.push(`${r.key}: no common error`);
      all = false;
      continue;
    }
    per.push(`${r.key}: ${m.kind === "dominates" ? "≥ " : ""}${fmtRatio(m.min)}`);
    if (m.min < worst) {
      worst = m.min;
      at = r.key;
    }
  }
  return { worst, at, per, measured, all };
}
const targetVerdicts: Record<string, { wall?: boolean; cpu?: boolean; wallWorst: number; cpuWorst: number }> = {};
for (const peerName of Object.keys(TARGETS)) {
  const target = TARGETS[peerName]!;
  const w = worstOver(peerName, (c) => c.best);
  const c = worstOver(peerName, (x) => x.bestCpu);
  const okW = w.measured ? w.worst >= target && w.all : undefined;
  const okC = c.measured ? c.worst >= target && c.all : undefined;
  targetVerdicts[peerName] = { wall: okW, cpu: okC, wallWorst: w.worst, cpuWorst: c.worst };
  md.push(`| ≥ ${target}× faster than ${peerName} | ${Number.isFinite(w.worst) ? `${fmtRatio(w.worst)} (${w.at})` : "—"} | ${w.per.join("; ") || "—"} | ` +
    `${Number.isFinite(c.worst) ? `${fmtRatio(c.worst)} (${c.at})` : "—"} | ${verdict(okW)} / ${verdict(okC)}${w.measured && !w.all ? " (not every problem compared)" : ""} |`);
}
if (cRatios.length > 0) {
  const worst = cRatios.reduce((a, b) => (b.ratio > a.ratio ? b : a));
  const worstCpu = cRatios.reduce((a, b) => (b.cpuRatio > a.cpuRatio ? b : a));
  const sorted = cRatios.map((c) => c.ratio).sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const allSame = cRatios.every((c) => c.sameFevals);
  md.push(`| Dopri5 within ${C_TARGET}× of C (same tolerances, same f-evaluations) | ${fmtRatio(worst.ratio)} (${worst.problem}, rtol ${fmtSci(worst.rtol)}) | ` +
    `median ${fmtRatio(median)}; f-evaluations ${allSame ? "identical at every point" : "differ at some points (see below)"} | ${fmtRatio(worstCpu.cpuRatio)} (${worstCpu.problem}, rtol ${fmtSci(worstCpu.rtol)}) | ` +
    `${verdict(worst.ratio <= C_TARGET)} / ${verdict(worstCpu.cpuRatio <= C_TARGET)} |`);
} else md.push(`| Dopri5 within ${C_TARGET}× of C | — | ${cBuild.ok ? "no comparison" : cBuild.reason} | — | not measured |`);
if (allocResults.length > 0) {
  const worst = allocResults.reduce((a, b) => (b.beyondBoxingPerStep > a.beyondBoxingPerStep ? b : a));
  md.push(`| 0 bytes allocated per step beyond the boxing of t | ${worst.beyondBoxingPerStep.toFixed(1)} B/step (${worst.solver}) | ${allocResults.map((a) => `${a.solver}: ${a.beyondBoxingPerStep.toFixed(1)}`).join("; ")} | (not a timing) | ${verdict(worst.beyondBoxingPerStep <= 1)} |`);
}
md.push("");
md.push("A figure marked ≥ means odeflow was more accurate at every tolerance than the peer at its most accurate (no common error); " +
  "it compares the fastest solve of each, a lower bound. The allocation verdict allows 1 B/step of accounting noise.");
md.push("");

if (overhead !== undefined) {
  md.push("### Fixed cost per call");
  md.push("");
  md.push(`Fixed cost of one \`diffeqsolve\` call (validation, probing the vector field, workspace, Solution): a ${overhead.steps}-step Dopri5 solve of Lorenz ` +
    `(${overhead.fevals} f-evaluations) takes ${fmtTime(overhead.seconds)}; small solves pay it on top of their steps.`);
  md.push("");
}

for (const r of results) {
  md.push(`### ${r.title}`);
  md.push("");
  md.push(`t ∈ [${r.t0}, ${r.t1}]. ${r.source}`);
  md.push("");
  md.push(`odeflow runs the function as a user writes it (bench/lib/problems.ts, Math.pow included) through \`new ODETerm(f)\`: ` +
    (r.compilation.status === "compiled" ? `compiled automatically; Dopri5 runs the ${r.compilation.kernel} kernel.` : `not compiled (${r.compilation.status}: ${r.compilation.reason ?? ""}); Dopri5 runs the ${r.compilation.kernel} kernel.`));
  md.push("");
  md.push(`Reference: ${r.reference.how}.` +
    (r.reference.crossChecks.length > 0 ? ` Cross-checks (max-norm): ${r.reference.crossChecks.map((c) => `${c.against} differs by ${fmtSci(c.diff)}`).join("; ")}.` : " No independent cross-check was available.") +
    (r.reference.minError > 0 ? ` Errors below ${fmtSci(r.reference.minError)} (10× the largest difference) are marked † and left out of the speed-up comparisons.` : ""));
  md.push("");
  md.push("Time per solve · achieved error, by rtol:");
  md.push("");
  md.push(`| solver | ${rtols.map(fmtSci).join(" | ")} |`);
  md.push(`|---|${rtols.map(() => "---").join("|")}|`);
  for (const c of r.curves) {
    const cells = rtols.map((rt) => {
      const q = c.points.find((x) => x.rtol === rt);
      return q === undefined ? "—" : `${fmtTime(q.time)} · ${fmtSci(q.error)}${q.error < r.reference.minError ? "†" : ""}`;
    });
    md.push(`| ${r.odeflowSolvers.includes(c.solver) ? `odeflow ${c.solver}` : c.solver} | ${cells.join(" | ")} |`);
  }
  const notes = r.curves.flatMap((c) => c.notes.map((n) => `${c.solver}: ${n}`));
  if (notes.length > 0) {
    md.push("");
    for (const n of notes) md.push(`- ${n}`);
  }
  md.push("");
  md.push("Speed-up at matched error (peer time / odeflow time):");
  md.push("");
  md.push("| peer | vs fastest odeflow method: min · geomean · max | odeflow method at the min | vs odeflow Dopri5 alone: min · geomean · max | target |");
  md.push("|---|---|---|---|---|");
  for (const cmp of r.comparisons) {
    const b = cmp.best;
    const fmt = (m: MatchedComparison | undefined): string =>
      m === undefined || m.kind === "none" ? "no common error" : m.kind === "dominates" ? `≥ ${fmtRatio(m.min)} (odeflow more accurate everywhere)` : `${fmtRatio(m.min)} · ${fmtRatio(m.geomean)} · ${fmtRatio(m.max)}`;
    const at = b.ratios.length > 0 ? b.ratios.reduce((x, y) => (y.ratio < x.ratio ? y : x)) : undefined;
    md.push(`| ${b.peer} | ${fmt(b)} | ${at ? `${at.oursSolver} at error ${fmtSci(at.error)}` : "—"} | ${fmt(cmp.dopri5)} | ${Number.isFinite(cmp.target) ? `≥ ${cmp.target}×: ${b.kind === "none" ? "not compared" : b.min >= cmp.target ? "met" : "missed"}` : ""} |`);
  }
  md.push("");
  const cs = cRatios.filter((c) => c.problem === r.key);
  if (cs.length > 0) {
    md.push("odeflow Dopri5 against the C Dormand–Prince at the same tolerances:");
    md.push("");
    if (r.fAlone !== undefined && r.fAlone.c !== undefined) {
      md.push(`The vector field alone (one evaluation, each compiler free to inline it into a loop): JavaScript as odeflow runs it ${fmtTime(r.fAlone.js)} ` +
        `(as written, Math.pow included: ${fmtTime(r.fAlone.jsAsWritten)}), C ${fmtTime(r.fAlone.c)}, ` +
        `ratio ${fmtRatio(r.fAlone.js / r.fAlone.c)}: the part of the gap that is the user's f compiled by V8 rather than the solver.`);
      const b = r.breakdown;
      const cAt = b === undefined ? undefined : cs.find((c) => c.rtol === b.rtol);
      if (b !== undefined && cAt !== undefined) {
        const cStep = cAt.cTime / cAt.cSteps;
        md.push(`Per step at rtol ${fmtSci(b.rtol)} (${b.steps} steps, ${b.accepted} accepted): odeflow's whole solve ${fmtTime(b.solvePerStep)}, of which the step kernel alone ` +
          `(stages with f fused in, y1, error estimate; replayed over the same accepted steps) ${fmtTime(b.kernelPerStep)} and the step loop's own work ` +
          `(error norm, controller, clipping, bookkeeping) ${fmtTime(b.solvePerStep - b.kernelPerStep)}; C's whole step ${fmtTime(cStep)} ` +
          `(its f: ${(cAt.cFevals / cAt.cSteps).toFixed(1)} × ${fmtTime(r.fAlone.c)}).`);
      }
      md.push("");
    }
    md.push("| rtol | steps odeflow / C | f-evals odeflow / C | odeflow | C | ratio (wall) | ratio (CPU) | wall ratio without odeflow's fixed cost | max abs Δy(t1) |");
    md.push("|---|---|---|---|---|---|---|---|---|");
    for (const c of cs) {
      const net = overhead === undefined ? "—" : fmtRatio((c.jsTime - overhead.seconds) / c.cTime);
      md.push(`| ${fmtSci(c.rtol)} | ${c.jsSteps} / ${c.cSteps} | ${c.jsFevals} / ${c.cFevals} | ${fmtTime(c.jsTime)} | ${fmtTime(c.cTime)} | ${fmtRatio(c.ratio)} | ${fmtRatio(c.cpuRatio)} | ${net} | ${fmtSci(c.dy)} |`);
    }
    md.push("");
  } else if (r.c !== undefined && "skipped" in r.c) {
    md.push(`C comparison skipped: ${r.c.skipped}`);
    md.push("");
  }
  if (r.asWritten !== undefined && r.asWritten.length > 0) {
    const gm = Math.exp(r.asWritten.reduce((s, g) => s + Math.log(g.ratio), 0) / r.asWritten.length);
    md.push(`Automatic compilation: Dopri5 with f called as written (\`{ compile: false }\`) against the default (same steps: ${r.asWritten.every((g) => g.sameSteps) ? "yes" : "no"}): time ratio ` +
      `${r.asWritten.map((g) => `${fmtSci(g.rtol)}: ${fmtRatio(g.ratio)}`).join(", ")}; geomean ${fmtRatio(gm)}.`);
    md.push("");
  }
  if (r.generic !== undefined && r.generic.length > 0) {
    const gm = Math.exp(r.generic.reduce((s, g) => s + Math.log(g.ratio), 0) / r.generic.length);
    md.push(`Generated kernel vs generic kernel (Dopri5, same steps: ${r.generic.every((g) => g.sameSteps) ? "yes" : "no"}): generic/generated time ratio ` +
      `${r.generic.map((g) => `${fmtSci(g.rtol)}: ${fmtRatio(g.ratio)}`).join(", ")}; geomean ${fmtRatio(gm)}.`);
    md.push("");
  }
}

if (allocResults.length > 0) {
  md.push("### Allocation per step");
  md.push("");
  md.push("Lorenz at rtol 1e-8 over a long span (about " + `${QUICK ? "10⁵" : "5·10⁵"} steps), after a warm-up; bytes allocated on the JS heap measured with V8's GC profiler. ` +
    "The bare loop makes the same number of vector-field calls through a call site V8 cannot inline, so it pays the 16-byte boxing of t per call and nothing else.");
  md.push("");
  md.push("| solver | steps | B/step (solve) | B/step (bare loop, same calls) | beyond boxing of t, B/step | minor GCs solve / bare |");
  md.push("|---|---|---|---|---|---|");
  for (const a of allocResults) {
    md.push(`| ${a.solver} | ${a.steps} | ${a.bytesPerStep.toFixed(1)} | ${a.bareBytesPerStep.toFixed(1)} | ${a.beyondBoxingPerStep.toFixed(2)} | ${a.solve.minorGcs} / ${a.bare.minorGcs} |`);
  }
  md.push("");
}

mkdirSync(RESULTS_DIR, { recursive: true });
writeFileSync(join(RESULTS_DIR, `${OUT_NAME}.json`), JSON.stringify({ ...json, targets: targetVerdicts }, null, 1) + "\n");
writeFileSync(join(RESULTS_DIR, `${OUT_NAME}.md`), md.join("\n") + "\n");
log(`wrote bench/results/${OUT_NAME}.json and bench/results/${OUT_NAME}.md`);
