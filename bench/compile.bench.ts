/**
 * compile: the vector-field compiler.
 *
 * 1. f per call: compiled f against the same hand-written in-place f (Lorenz, Arenstorf, heat
 *    equation N = 100). Target: compiled ≤ 1.1× hand-written.
 * 2. Whole solves: Tsit5/Dopri5 with the fused kernel (compiled f inlined into the stage loop)
 *    against the same solve with the hand-written function, and Dopri5 against the C
 *    Dormand–Prince of the core benchmark (bench/c/dopri5.c, same steps). Target: within 1.2× of C.
 * 3. Compile time (parse + lower + generate f + new Function) for graphs of about 100, 1,000,
 *    10,000 and 50,000 operations. Targets: < 5 ms at 100, < 250 ms at 50,000.
 * 4. Exact Jacobian against finite-difference Jacobians (forward differences, and coloured
 *    forward differences on the heat equation's tridiagonal pattern): time and accuracy against
 *    the closed-form Jacobians.
 * 5. Constant powers: Math.pow(x, c) against the reduced forms compile emits (x * Math.sqrt(x)
 *    for 1.5, binary powering, 1 / Math.sqrt(x), Math.cbrt), per evaluation.
 * 6. Automatic compilation (new ODETerm(f)): what compiling costs once per function, against
 *    one solve, for the benchmark problems as a user writes them.
 *
 * Writes bench/results/compile.json and bench/results/compile.md.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { machineInfo } from "./lib/machine.js";
import { buildC, runNativeJSON } from "./lib/native.js";
import { loadOdeflow } from "./lib/odeflow.js";
import { arenstorf as arenstorfProblem, lorenz as lorenzProblem } from "./lib/problems.js";
import { consume, fmtRatio, fmtSci, fmtTime, timeIt } from "./lib/timing.js";

const BENCH = dirname(fileURLToPath(import.meta.url));
const RESULTS = join(BENCH, "results");
const quick = process.env.BENCH_QUICK === "1";
const minTime = quick ? 0.05 : 0.3;

const { lib, from } = await loadOdeflow();
const { compile, diffeqsolve, ODETerm, PIDController, Tsit5, Dopri5 } = lib;
const machine = machineInfo({ gcc: true });
const md: string[] = [`# compile — vector-field compiler`, "", `odeflow from ${from}; ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, load ${machine.loadavg.join(" / ")}, ${machine.date}.`, ""];
const json: Record<string, unknown> = { machine, from };
const mark = (ok: boolean) => (ok ? "met" : "**missed**");

// ---------------------------------------------------------------------------------------------
// 1. f per call.
const N = 100;
const heatHand = (t: number, u: Float64Array, args: { D: number }, du: Float64Array): void => {
  const h = 1 / (N + 1);
  const c = args.D / (h * h);
  for (let i = 0; i < N; i++) {
    const left = i > 0 ? u[i - 1]! : 0;
    const right = i < N - 1 ? u[i + 1]! : 0;
    du[i] = c * (left - 2 * u[i]! + right);
  }
};
const lor = lorenzProblem();
const are = arenstorfProblem();
const MU = 0.012277471;
// Hand-written as fast as V8 runs it: the distances cubed as d * Math.sqrt(d), not Math.pow (the
// benchmark problems write Math.pow, as users do; the compiler emits this form for it).
const arenstorfHand = (_t: number, y: Float64Array, _a: unknown, dy: Float64Array): void => {
  const mu = 0.012277471, mu1 = 1 - mu;
  const y0 = y[0]!, y1 = y[1]!, y2 = y[2]!, y3 = y[3]!;
  const a = y0 + mu, b = y0 - mu1, q = y1 * y1;
  const d1s = a * a + q, d2s = b * b + q;
  const d1 = d1s * Math.sqrt(d1s), d2 = d2s * Math.sqrt(d2s);
  dy[0] = y2;
  dy[1] = y3;
  dy[2] = y0 + 2 * y3 - mu1 * a / d1 - mu * b / d2;
  dy[3] = y1 - 2 * y2 - mu1 * y1 / d1 - mu * y1 / d2;
};
const fCases = [
  { name: "Lorenz", hand: lor.f, consts: { S: 10, R: 28, B: 8 / 3 }, n: 3, y: Float64Array.of(1.1, 2.2, 3.3), args: undefined as unknown },
  { name: "Arenstorf", hand: arenstorfHand, consts: { MU, MU1: 1 - MU }, n: 4, y: Float64Array.of(0.994, 0.1, 0.2, -2.0), args: undefined as unknown },
  { name: `heat (N = ${N})`, hand: heatHand as (t: number, y: Float64Array, a: unknown, dy: Float64Array) => void, consts: { N }, n: N, y: Float64Array.from({ length: N }, (_, i) => Math.sin(i)), args: { D: 1 } as unknown },
];
const perCall: Record<string, unknown>[] = [];
md.push("## f per call: compiled against hand-written (target ≤ 1.1×)", "", "| problem | operations | hand-written | compiled | ratio | target |", "|---|---:|---:|---:|---:|---|");
for (const c of fCases) {
  const vf = compile(c.hand, { consts: c.consts });
  const out = new Float64Array(c.n);
  const check = new Float64Array(c.n);
  c.hand(0, c.y, c.args, check);
  vf.f(0, c.y, c.args, out);
  for (let i = 0; i < c.n; i++) if (out[i] !== check[i]) throw new Error(`bench: compiled ${c.name} differs at ${i}`);
  const K = c.n > 10 ? 2000 : 20_000;
  // A fresh generated runner per function that times itself: no call site is shared between the
  // two (a shared timing closure favours whichever function it saw first), both calls are
  // monomorphic and V8 may inline either function into its loop. Fastest of many batches.
  const runner = (fn: (t: number, y: Float64Array, a: unknown, dy: Float64Array) => void) => {
    const loop = new Function("fn", "y", "args", "out", "K", "now",
      "const a = now(); for (let k = 0; k < K; k++) fn(k, y, args, out); return now() - a;") as
      (fn: unknown, y: Float64Array, args: unknown, out: Float64Array, K: number, now: () => number) => number;
    return () => loop(fn, c.y, c.args, out, K, performance.now.bind(performance)) / 1e3 / K;
  };
  const rh = runner(c.hand), rc = runner(vf.f);
  let hand = Infinity, comp = Infinity;
  const batches = quick ? 200 : 2000;
  for (let r = 0; r < batches; r++) {
    hand = Math.min(hand, rh());
    comp = Math.min(comp, rc());
  }
  const ratio = comp / hand;
  perCall.push({ problem: c.name, operations: vf.operations, hand, compiled: comp, ratio });
  md.push(`| ${c.name} | ${vf.operations} | ${fmtTime(hand)} | ${fmtTime(comp)} | ${fmtRatio(ratio)} | ${mark(ratio <= 1.1)} |`);
}
json.perCall = perCall;

// ---------------------------------------------------------------------------------------------
// 2. Whole solves: fused kernel vs plain function, and vs C.
md.push("", "## Whole solves: fused compiled kernel against the hand-written function, and against C (target ≤ 1.2× C)", "");
md.push("Fused: `new ODETerm(compile(f))`, the compiled vector field inlined into the generated stage loop (`new ODETerm(f)` compiles f the same way automatically and runs the same kernel). Plain: `new ODETerm(f, { compile: false })`, f called as written once per stage. C: bench/c/dopri5.c (same tableau, controller and step sequence; Dopri5 only).", "");
md.push("| problem | method | rtol | steps (fused / C) | plain | fused | fused / plain | C | fused / C | target |", "|---|---|---:|---|---:|---:|---:|---:|---:|---|");
const solves: Record<string, unknown>[] = [];
const cBuild = buildC("dopri5");
if (!cBuild.ok) md.push(`C skipped: ${cBuild.reason}`, "");
const solveProblems = [
  { p: lor, y0: lor.y0, consts: { S: 10, R: 28, B: 8 / 3 } },
  { p: are, y0: (are as { y0: number[] }).y0, consts: { MU, MU1: 1 - MU } },
];
for (const { p, y0, consts } of solveProblems) {
  const vf = compile(p.f, { consts });
  for (const rtol of [1e-6, 1e-9, 1e-12]) {
    const atol = rtol * 1e-3;
    for (const [mname, make] of [["Tsit5", () => new Tsit5()], ["Dopri5", () => new Dopri5()]] as const) {
      const opts = (terms: InstanceType<typeof ODETerm>) => ({
        terms, solver: make(), t0: p.t0, t1: p.t1, y0, stepsizeController: new PIDController({ rtol, atol }),
      });
      const fusedTerm = new ODETerm(vf);
      const plainTerm = new ODETerm(p.f, { compile: false });
      const sf = diffeqsolve(opts(fusedTerm));
      const sp = diffeqsolve(opts(plainTerm));
      let plain = Infinity, fused = Infinity;
      for (let r = 0; r < 3; r++) {
        plain = Math.min(plain, timeIt(() => diffeqsolve(opts(plainTerm)).ys[0], { minTime }).min);
        fused = Math.min(fused, timeIt(() => diffeqsolve(opts(fusedTerm)).ys[0], { minTime }).min);
      }
      let cTime = NaN, cSteps: number | string = "—";
      if (mname === "Dopri5" && cBuild.ok) {
        const r = runNativeJSON<{ steps: number; time: number; y: number[] }[]>(cBuild.binary, [p.key, String(p.t0), String(p.t1), y0.join(","), String(minTime), String(rtol), String(atol)]);
        if (r.ok) { cTime = r.data[0]!.time; cSteps = r.data[0]!.steps; }
      }
      const row = { problem: p.key, method: mname, rtol, steps: sf.stats.numSteps, stepsPlain: sp.stats.numSteps, cSteps, plain, fused, c: cTime, fusedOverPlain: fused / plain, fusedOverC: fused / cTime };
      solves.push(row);
      const hasC = Number.isFinite(cTime);
      md.push(`| ${p.key} | ${mname} | ${fmtSci(rtol)} | ${sf.stats.numSteps} / ${cSteps} | ${fmtTime(plain)} | ${fmtTime(fused)} | ${fmtRatio(fused / plain)} | ${hasC ? fmtTime(cTime) : "—"} | ${hasC ? fmtRatio(fused / cTime) : "—"} | ${hasC ? mark(fused / cTime <= 1.2) : ""} |`);
    }
  }
}
{
  // The heat equation (n = 100: the array form of the fused kernel), against the hand-written loop.
  const vf = compile(heatHand, { consts: { N } });
  const y0 = Array.from({ length: N }, (_, i) => Math.sin((Math.PI * (i + 1)) / (N + 1)));
  for (const [mname, make] of [["Tsit5", () => new Tsit5()], ["Dopri5", () => new Dopri5()]] as const) {
    const opts = (terms: InstanceType<typeof ODETerm>) => ({ terms, solver: make(), t0: 0, t1: 0.05, y0, args: { D: 0.1 }, stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-11 }) });
    const fusedTerm = new ODETerm(vf);
    const plainTerm = new ODETerm(heatHand as (t: number, y: Float64Array, a: unknown, dy: Float64Array) => void, { compile: false });
    const steps = diffeqsolve(opts(fusedTerm)).stats.numSteps;
    let plain = Infinity, fused = Infinity;
    for (let r = 0; r < 3; r++) {
      plain = Math.min(plain, timeIt(() => diffeqsolve(opts(plainTerm)).ys[0], { minTime }).min);
      fused = Math.min(fused, timeIt(() => diffeqsolve(opts(fusedTerm)).ys[0], { minTime }).min);
    }
    solves.push({ problem: "heat", method: mname, rtol: 1e-8, steps, plain, fused, fusedOverPlain: fused / plain });
    md.push(`| heat (N = ${N}) | ${mname} | 1.0e-8 | ${steps} / — | ${fmtTime(plain)} | ${fmtTime(fused)} | ${fmtRatio(fused / plain)} | — | — |  |`);
  }
}
json.solves = solves;

// ---------------------------------------------------------------------------------------------
// 3. Compile time.
md.push("", "## Compile time (parse, lower, generate f, new Function) (targets < 5 ms at ~100, < 250 ms at ~50,000 operations)", "");
md.push("| requested | operations | compile time (median) | fastest | target |", "|---:|---:|---:|---:|---|");
const compileTimes: Record<string, unknown>[] = [];
const sizeSource = "(t, y, args, dy) => { for (let i = 0; i < M; i++) { const a = y[i], b = y[(i + 1) % M]; dy[i] = Math.sin(a) * b - args.k * a * a + Math.exp(-b) / (1 + a * a); } }";
const opsPerBlock = compile(sizeSource, { consts: { M: 10 } }).operations / 10;
for (const target of [100, 1000, 10_000, 50_000]) {
  const M = Math.max(1, Math.round(target / opsPerBlock));
  let ops = 0;
  const t = timeIt(() => { const c = compile(sizeSource, { consts: { M } }); ops = c.operations; return c; }, { minTime: target >= 10_000 ? 0.5 : minTime, runs: target >= 10_000 ? 3 : 5, warmup: 0.01, slow: 10 });
  const limit = target === 100 ? 5e-3 : target === 50_000 ? 0.25 : NaN;
  compileTimes.push({ requested: target, operations: ops, median: t.median, min: t.min });
  md.push(`| ${target} | ${ops} | ${fmtTime(t.median)} | ${fmtTime(t.min)} | ${Number.isNaN(limit) ? "" : mark(t.median < limit)} |`);
}
json.compileTimes = compileTimes;

// ---------------------------------------------------------------------------------------------
// 4. Exact Jacobian vs finite differences.
md.push("", "## Exact Jacobian against finite-difference Jacobians", "");
md.push("Accuracy: max |J − J_closed-form| / max |J_closed-form|. Forward differences with h = √ε·max(|y_j|, 1); coloured: one difference per colour of the column colouring (Curtis–Powell–Reid).", "");
md.push("| problem | method | f-evaluations | time | accuracy |", "|---|---|---:|---:|---:|");
const jacRows: Record<string, unknown>[] = [];
{
  const S = 10, R = 28, B = 8 / 3;
  const lorVf = compile(lor.f, { consts: { S, R, B } });
  const heatVf = compile(heatHand, { consts: { N } });
  const yl = Float64Array.of(1.1, 2.2, 3.3);
  const yh = Float64Array.from({ length: N }, (_, i) => Math.sin(i));
  const lorExact = Float64Array.of(-S, S, 0, R - yl[2]!, -1, -yl[0]!, yl[1]!, yl[0]!, -B);
  const c = 1 * (N + 1) ** 2;
  const heatExact = new Float64Array(N * N);
  for (let i = 0; i < N; i++) {
    heatExact[i * N + i] = -2 * c;
    if (i > 0) heatExact[i * N + i - 1] = c;
    if (i < N - 1) heatExact[i * N + i + 1] = c;
  }
  const fdJac = (f: (t: number, y: Float64Array, a: unknown, dy: Float64Array) => void, y: Float64Array, args: unknown, n: number, J: Float64Array, f0: Float64Array, f1: Float64Array, yp: Float64Array) => {
    f(0, y, args, f0);
    yp.set(y);
    for (let j = 0; j < n; j++) {
      const h = Math.sqrt(Number.EPSILON) * Math.max(Math.abs(y[j]!), 1);
      yp[j] = y[j]! + h;
      f(0, yp, args, f1);
      yp[j] = y[j]!;
      for (let i = 0; i < n; i++) J[i * n + j] = (f1[i]! - f0[i]!) / h;
    }
  };
  const coloredJac = (f: (t: number, y: Float64Array, a: unknown, dy: Float64Array) => void, y: Float64Array, args: unknown, n: number, pattern: readonly (readonly number[])[], colors: Int32Array, count: number, J: Float64Array, f0: Float64Array, f1: Float64Array, yp: Float64Array, hs: Float64Array) => {
    f(0, y, args, f0);
    J.fill(0);
    for (let col = 0; col < count; col++) {
      yp.set(y);
      for (let j = 0; j < n; j++) if (colors[j] === col) { hs[j] = Math.sqrt(Number.EPSILON) * Math.max(Math.abs(y[j]!), 1); yp[j] = y[j]! + hs[j]!; }
      f(0, yp, args, f1);
      for (let i = 0; i < n; i++) for (const j of pattern[i]!) if (colors[j] === col) J[i * n + j] = (f1[i]! - f0[i]!) / hs[j]!;
    }
  };
  const acc = (J: Float64Array, ref: Float64Array) => {
    let e = 0, m = 0;
    for (let i = 0; i < J.length; i++) { e = Math.max(e, Math.abs(J[i]! - ref[i]!)); m = Math.max(m, Math.abs(ref[i]!)); }
    return e / m;
  };
  for (const [name, vf, hand, y, args, n, exact] of [["Lorenz", lorVf, lor.f, yl, undefined, 3, lorExact], [`heat (N = ${N})`, heatVf, heatHand, yh, { D: 1 }, N, heatExact]] as const) {
    const J = new Float64Array(n * n), f0 = new Float64Array(n), f1 = new Float64Array(n), yp = new Float64Array(n), hs = new Float64Array(n);
    const f = hand as (t: number, y: Float64Array, a: unknown, dy: Float64Array) => void;
    vf.jac(0, y, args, J);
    const exactAcc = acc(J, exact);
    const tExact = timeIt(() => { vf.jac(0, y, args, J); return J[0]; }, { minTime }).min;
    fdJac(f, y, args, n, J, f0, f1, yp);
    const fdAcc = acc(J, exact);
    const tFd = timeIt(() => { fdJac(f, y, args, n, J, f0, f1, yp); return J[0]; }, { minTime }).min;
    const { colors, count } = vf.jacColoring;
    const pattern = vf.jacSparsity;
    coloredJac(f, y, args, n, pattern, colors, count, J, f0, f1, yp, hs);
    const colAcc = acc(J, exact);
    const tCol = timeIt(() => { coloredJac(f, y, args, n, pattern, colors, count, J, f0, f1, yp, hs); return J[0]; }, { minTime }).min;
    jacRows.push({ problem: name, exact: { time: tExact, accuracy: exactAcc }, forwardFD: { time: tFd, accuracy: fdAcc, fevals: n + 1 }, coloredFD: { time: tCol, accuracy: colAcc, fevals: count + 1 } });
    md.push(`| ${name} | exact (compiled jac) | 0 | ${fmtTime(tExact)} | ${fmtSci(exactAcc)} |`);
    md.push(`| ${name} | forward differences | ${n + 1} | ${fmtTime(tFd)} | ${fmtSci(fdAcc)} |`);
    md.push(`| ${name} | coloured forward differences (${count} colours) | ${count + 1} | ${fmtTime(tCol)} | ${fmtSci(colAcc)} |`);
  }
}
json.jacobians = jacRows;

// ---------------------------------------------------------------------------------------------
// 5. Constant powers: Math.pow against the reduced forms.
md.push("", "## Constant powers: Math.pow(x, c) against the forms compile emits", "");
md.push("Per evaluation, in a loop over 1,024 values of x in [0.5, 2] (a fresh generated loop per form, so each call site sees one expression). The reduced forms and their rounding: src/compile/powers.ts.", "");
md.push("| c | Math.pow(x, c) | emitted form | reduced | Math.pow / reduced |", "|---|---:|---|---:|---:|");
const powRows: Record<string, unknown>[] = [];
{
  const xs = Float64Array.from({ length: 1024 }, (_, i) => 0.5 + (1.5 * i) / 1024);
  const loopOf = (expr: string) => new Function("xs", "reps", `let acc = 0; for (let r = 0; r < reps; r++) for (let i = 0; i < xs.length; i++) { const x = xs[i]; acc += ${expr}; } return acc;`) as (xs: Float64Array, reps: number) => number;
  const reps = quick ? 20 : 100;
  for (const [c, form] of [["1.5", "x * Math.sqrt(x)"], ["0.5", "Math.sqrt(x)"], ["2", "x * x"], ["3", "(x * x) * x"], ["-0.5", "1 / Math.sqrt(x)"], ["-1.5", "1 / (x * Math.sqrt(x))"], ["1 / 3", "(x < 0 ? NaN : Math.cbrt(x))"]] as const) {
    const powLoop = loopOf(`Math.pow(x, ${c})`), redLoop = loopOf(form);
    const per = (fn: (xs: Float64Array, reps: number) => number) => timeIt(() => fn(xs, reps), { minTime }).min / (reps * xs.length);
    let tp = Infinity, tr = Infinity;
    for (let r = 0; r < 3; r++) { tp = Math.min(tp, per(powLoop)); tr = Math.min(tr, per(redLoop)); }
    powRows.push({ c, form, pow: tp, reduced: tr, ratio: tp / tr });
    md.push(`| ${c} | ${fmtTime(tp)} | \`${form}\` | ${fmtTime(tr)} | ${fmtRatio(tp / tr)} |`);
  }
}
json.powers = powRows;

// ---------------------------------------------------------------------------------------------
// 6. Automatic compilation: its one-time cost per function, against one solve.
md.push("", "## Automatic compilation: cost once per function", "");
md.push("`new ODETerm(f).vf` on a function not seen before (a fresh copy of the benchmark function, so the per-function cache misses): parse, lower, generate f. " +
  "The fused Dopri5 kernel is generated on the first solve (also once per function). Against one Dopri5 solve at rtol 1e-6 with the compiled field, warm.", "");
md.push("| problem | operations | compile once | fused kernel once | one solve (rtol 1e-6) | compile + kernel / solve |", "|---|---:|---:|---:|---:|---:|");
const autoRows: Record<string, unknown>[] = [];
{
  const { pleiades: pleiadesProblem } = await import("./lib/problems.js");
  for (const p of [lorenzProblem(), arenstorfProblem(), pleiadesProblem()]) {
    const src = p.f.toString();
    const fresh = () => new Function(`return ${src}`)() as typeof p.f;
    const ops = compile(p.f).operations;
    // Median over fresh functions of the compile (term.vf) and of the fused kernel's generation
    // (the solver's init, which generates it; the solver protocol called directly).
    const compileTimes: number[] = [], kernelTimes: number[] = [];
    for (let k = 0; k < (quick ? 20 : 100); k++) {
      const term = new ODETerm(fresh());
      const a = performance.now();
      const vf = term.vf;
      const b = performance.now();
      consume(new Dopri5().init(vf.f as never, p.n, undefined, term));
      const c = performance.now();
      compileTimes.push((b - a) / 1e3);
      kernelTimes.push((c - b) / 1e3);
    }
    const median = (xs: number[]) => xs.sort((x, y) => x - y)[xs.length >> 1]!;
    const tc = median(compileTimes), tk = median(kernelTimes);
    const solveOf = (terms: InstanceType<typeof ODETerm>) => diffeqsolve({ terms, solver: new Dopri5(), t0: p.t0, t1: p.t1, y0: p.y0, stepsizeController: new PIDController({ rtol: 1e-6, atol: 1e-9 }) });
    const term = new ODETerm(p.f);
    const ts = timeIt(() => solveOf(term).ys[0], { minTime }).min;
    autoRows.push({ problem: p.key, operations: ops, compile: tc, kernel: tk, solve: ts, ratio: (tc + tk) / ts });
    md.push(`| ${p.key} | ${ops} | ${fmtTime(tc)} | ${fmtTime(tk)} | ${fmtTime(ts)} | ${fmtRatio((tc + tk) / ts)} |`);
  }
}
json.automatic = autoRows;
consume(json);

mkdirSync(RESULTS, { recursive: true });
const suffix = quick ? ".quick" : "";
writeFileSync(join(RESULTS, `compile${suffix}.json`), JSON.stringify(json, null, 2) + "\n");
writeFileSync(join(RESULTS, `compile${suffix}.md`), md.join("\n") + "\n");
console.log(md.join("\n"));
