/**
 * `odeflow solve`: loads a model module, solves it with the library, and writes CSV or JSON and
 * an SVG plot. Node only (the library core never imports this file).
 */
import { existsSync, mkdirSync, readFileSync, realpathSync, statSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import * as odeflow from "../index.js";
import {
  AbstractSDESolver, CompileError, ConstantStepSize, ControlTerm, MultiTerm, ODETerm, PIDController, SaveAt,
  RESULTS, TextProgressMeter, VirtualBrownianTree, diffeqsolve, resultName, type AbstractSolver, type ProgressMeter, type Solution,
} from "../index.js";
import { type SolveCommand, UsageError, suggest } from "./args.js";
import { renderPNG, renderSVG } from "../plot/render.js";
import { solutionFigure, type Figure } from "../plot/figure.js";

/**
 * Exit statuses, as `--help` and docs/command-line.md state them: 0 solved; 1 the solve failed
 * (the rows computed before the failure are written); 2 a bad command line or model (nothing is
 * solved); 3 an internal error (a bug in odeflow: the stack is printed).
 */
export const EXIT = Object.freeze({ solved: 0, failed: 1, usage: 2, internal: 3 });

/** Where the command writes; the tests pass their own. */
export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Standard error is a terminal (a progress bar is drawn by default). */
  isTTY: boolean;
  cwd: string;
}

/** The solvers that use a Jacobian: the model is compiled for them unless --no-compile. */
const IMPLICIT = new Set(["Rosenbrock23", "Rodas5P", "BDF", "RadauIIA5", "Kvaerno3", "Kvaerno4", "Kvaerno5", "ImplicitEuler", "AutoSwitch"]);

/** Exported classes that construct with no arguments and step: the solvers `--solver` accepts (computed once). */
/** Solvers built from others: AutoSwitch pairs Tsit5 with Rodas5P. */
const COMPOSITE: Record<string, () => AbstractSolver<any>> = {
  AutoSwitch: () => new odeflow.AutoSwitch({ nonstiff: new odeflow.Tsit5(), stiff: new odeflow.Rodas5P() }),
};

let cachedNames: string[] | null = null;
export function solverNames(): string[] {
  if (cachedNames) return cachedNames;
  const names: string[] = [];
  for (const [name, value] of Object.entries(odeflow)) {
    if (typeof value !== "function" || name.startsWith("Abstract")) continue;
    const proto = (value as { prototype?: Record<string, unknown> }).prototype;
    if (!proto || typeof proto.step !== "function" || typeof proto.init !== "function") continue;
    try {
      new (value as new () => unknown)(); // generic engines (ExplicitRungeKutta, RodasMethod, ...) need a tableau
    } catch {
      continue;
    }
    names.push(name);
  }
  names.push(...Object.keys(COMPOSITE));
  return (cachedNames = names.sort());
}

interface Model {
  f: unknown;
  y0: unknown;
  args: unknown;
  t0: unknown;
  t1: unknown;
  names: unknown;
  diffusion: unknown;
  rtol: unknown;
  atol: unknown;
}

/** Imports the model module and finds its parts (named exports, or a default object or function). */
async function loadModel(file: string, cwd: string): Promise<Model> {
  const path = resolve(cwd, file);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    // ES module syntax in a .js file of a CommonJS project (no "type": "module"): load the source
    // as an ES module on its own (a self-contained model needs nothing else).
    if (err instanceof SyntaxError && /export|import statement outside a module/.test(err.message) && existsSync(path)) {
      try {
        mod = (await import(`data:text/javascript;base64,${Buffer.from(readFileSync(path, "utf8")).toString("base64")}`)) as Record<string, unknown>;
        return pick(mod, file);
      } catch (e2) {
        throw new UsageError(`cannot load ${file} as an ES module (${(e2 as Error).message}); rename it to .mjs, or add "type": "module" to the package.json next to it.`);
      }
    }
    if (err.code === "ERR_MODULE_NOT_FOUND" && String(err.message).startsWith(`Cannot find module '${path}'`)) {
      throw new UsageError(`cannot find the model file ${path}. Check the path (it is relative to ${cwd}).`);
    }
    if (err.code === "ERR_UNKNOWN_FILE_EXTENSION") {
      throw new UsageError(`cannot load ${file}: ${err.message}. Write the model in JavaScript (.js/.mjs/.cjs), or run the CLI under tsx for TypeScript.`);
    }
    throw new UsageError(`cannot load the model ${file}: ${err instanceof SyntaxError ? "syntax error: " : ""}${err.message}`);
  }
  return pick(mod, file);
}

/** Finds the model's parts among a module's exports. */
function pick(mod: Record<string, unknown>, file: string): Model {
  const def = mod.default as Record<string, unknown> | ((...a: unknown[]) => unknown) | undefined;
  const src: Record<string, unknown> = typeof def === "object" && def !== null && !Array.isArray(def) ? { ...def, ...mod } : mod;
  const f = src.f ?? src.vectorField ?? (typeof def === "function" ? def : undefined);
  if (f === undefined) {
    throw new UsageError(
      `${file} exports no vector field: export a function f, e.g. export function f(t, y, args, dy) { dy[0] = -y[0]; } (exports found: ${Object.keys(mod).join(", ") || "none"}).`,
    );
  }
  return { f, y0: src.y0, args: src.args, t0: src.t0, t1: src.t1, names: src.names, diffusion: src.diffusion, rtol: src.rtol, atol: src.atol };
}

function finiteOr(value: unknown, what: string, fallback: number | undefined): number | undefined {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value)) throw new UsageError(`the model's ${what} must be a finite number; got ${JSON.stringify(value)}.`);
  return value;
}

/** CSV: a header, then one row per saved time; numbers in shortest round-trip form. */
export function toCsv(ts: ArrayLike<number>, ys: readonly ArrayLike<number>[], names: string[], vars: number[]): string {
  const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = [["t", ...vars.map((j) => names[j]!)].map(quote).join(",")];
  for (let i = 0; i < ts.length; i++) {
    let line = String(ts[i]);
    for (const j of vars) line += "," + String(ys[i]![j]);
    lines.push(line);
  }
  return lines.join("\n") + "\n";
}

/** A value for a message (the library's describeValue lives in its bundle, not in the CLI's). */
function describeValue(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === "string") return `the string ${JSON.stringify(v)}`;
  if (typeof v === "object") return Array.isArray(v) ? "an array" : `an object of type ${v.constructor?.name ?? "Object"}`;
  return `${typeof v} ${String(v)}`;
}

/** Runs `make`, turning an odeflow error (a bad value from the model or the flags) into a UsageError. */
function asUsage<T>(make: () => T): T {
  try {
    return make();
  } catch (e) {
    if (e instanceof UsageError || !(e instanceof Error)) throw e;
    throw new UsageError(e.message);
  }
}

/**
 * Wraps the model's functions so that an exception is remembered with its culprit and its t (the
 * loop's own message cannot tell f from a SaveAt fn, nor always give the t of the failing call).
 */
class Culprits {
  /** The first exception a wrapped function threw, its culprit and t. */
  error: unknown = undefined;
  culprit = "";
  t: number | undefined = undefined;

  wrap(fn: (...a: unknown[]) => unknown, culprit: string): (...a: unknown[]) => unknown {
    return (t, y, args, out) => {
      try {
        return fn(t, y, args, out);
      } catch (e) {
        if (this.error === undefined) {
          this.error = e;
          this.culprit = culprit;
          this.t = t as number;
        }
        throw e;
      }
    };
  }

  /** What went wrong: the culprit's own message when a wrapped function threw, else the error's. */
  describe(e: unknown): string {
    if (this.error !== undefined) {
      const m = this.error instanceof Error ? this.error.message : String(this.error);
      return `${this.culprit} threw an error at t = ${this.t}: ${m}`;
    }
    return e instanceof Error ? e.message : String(e);
  }
}

/** The stack frames of `e` (or its cause) inside the model file, indented, for the error report. */
function modelFrames(e: unknown, modelPath: string): string {
  const err = (e as { cause?: unknown })?.cause ?? e;
  const stack = err instanceof Error ? err.stack ?? "" : "";
  const url = pathToFileURL(modelPath).href;
  const lines = stack.split("\n").filter((l) => /^\s+at /.test(l) && (l.includes(modelPath) || l.includes(url))).slice(0, 3);
  return lines.length === 0 ? "" : lines.map((l) => `  ${l.trim()}`).join("\n") + "\n";
}

/**
 * Records the rows the solve saves, as it saves them (a SaveAt fn that passes the state through):
 * if the model throws part-way, these are the rows computed before. The solve may also call the
 * fn to learn its width before it starts; {@link started} keeps, of what was recorded before the
 * first step, only the rows the SaveAt saves at t0.
 */
class RowRecorder {
  private tBuf = new Float64Array(256);
  private yBuf: Float64Array;
  private count = 0;
  private rowsAtT0 = 0;
  constructor(private readonly n: number) {
    this.yBuf = new Float64Array(256 * n);
  }

  /** The same SaveAt, with the recording fn. */
  wrap(s: SaveAt, t0: number): SaveAt {
    this.rowsAtT0 = (s.t0 ? 1 : 0) + (s.ts === undefined ? 0 : s.ts.filter((t) => t === t0).length);
    return new SaveAt({
      t0: s.t0, t1: s.t1, ...(s.ts === undefined ? {} : { ts: s.ts }), steps: s.steps === 0 ? false : s.steps, dense: s.dense,
      fn: (t, y) => {
        this.push(t, y);
        return y;
      },
    });
  }

  /** The first step begins: the rows recorded so far are the t0 rows, after any probing calls. */
  started(): void {
    const drop = Math.max(0, this.count - this.rowsAtT0);
    if (drop === 0) return;
    this.tBuf.copyWithin(0, drop, this.count);
    this.yBuf.copyWithin(0, drop * this.n, this.count * this.n);
    this.count -= drop;
  }

  private push(t: number, y: Float64Array): void {
    if (this.count === this.tBuf.length) {
      const tb = new Float64Array(2 * this.count);
      tb.set(this.tBuf);
      this.tBuf = tb;
      const yb = new Float64Array(2 * this.count * this.n);
      yb.set(this.yBuf);
      this.yBuf = yb;
    }
    this.tBuf[this.count] = t;
    this.yBuf.set(y.subarray(0, this.n), this.count * this.n);
    this.count++;
  }

  ts(): Float64Array {
    return this.tBuf.subarray(0, this.count);
  }

  rows(): Float64Array[] {
    return Array.from({ length: this.count }, (_, i) => this.yBuf.subarray(i * this.n, (i + 1) * this.n));
  }
}

/** The CLI's progress meter: arms the recorder at the first step, and drives the bar if there is one. */
class Watch implements ProgressMeter {
  started = false;
  constructor(private readonly bar: ProgressMeter | null, private readonly recorder: RowRecorder) {}
  start(t0: number, t1: number): void {
    this.started = true;
    this.recorder.started();
    this.bar?.start(t0, t1);
  }
  update(t: number): void {
    this.bar?.update(t);
  }
  finish(t: number): void {
    this.bar?.finish(t);
  }
}

/**
 * The absolute path an output flag writes to, after checking it: never the model file (a typo
 * such as --out model.mjs would destroy it), never an existing directory.
 */
function outputPath(file: string, flag: string, cwd: string, modelPath: string): string {
  const path = resolve(cwd, file);
  const same = (a: string, b: string): boolean => {
    if (a === b) return true;
    try {
      return realpathSync(a) === realpathSync(b);
    } catch {
      return false;
    }
  };
  if (same(path, modelPath)) {
    throw new UsageError(`${flag} ${file} is the model file itself; writing it would overwrite the model. Choose another file name.`);
  }
  if (existsSync(path) && statSync(path).isDirectory()) {
    throw new UsageError(`${flag} ${file} is a directory; give a file name, e.g. ${flag} ${file.replace(/\/$/, "")}/result.${flag === "--plot" ? "svg" : "csv"}.`);
  }
  return path;
}

/** Writes an output file, creating its directory when missing (said on standard error). */
function writeOutput(path: string, file: string, flag: string, text: string | Uint8Array, io: Io): void {
  const dir = dirname(path);
  try {
    if (!existsSync(dir)) {
      mkdirSync(dir, { recursive: true });
      io.stderr(`note: created the directory ${dirname(file)} for ${flag} ${file}.\n`);
    }
    writeFileSync(path, text);
  } catch (e) {
    throw new UsageError(`cannot write ${flag} ${file}: ${(e as Error).message}`);
  }
}

/** Runs `odeflow solve` and returns the exit status. */
export async function solveCommand(o: SolveCommand, io: Io): Promise<number> {
  const model = await loadModel(o.model, io.cwd);
  const modelPath = resolve(io.cwd, o.model);
  const culprits = new Culprits();
  const known = solverNames();
  const Ctor = (odeflow as unknown as Record<string, new () => AbstractSolver<any>>)[o.solver];
  if (!known.includes(o.solver) || Ctor === undefined) {
    throw new UsageError(`unknown solver "${o.solver}".${suggest(o.solver, known)} Solvers: ${known.join(", ")}.`);
  }
  const solver = COMPOSITE[o.solver]?.() ?? new Ctor();
  const isSde = solver instanceof AbstractSDESolver;

  let y0: unknown = o.y0 ?? model.y0;
  if (y0 !== undefined && y0 !== null && !Array.isArray(y0) && !ArrayBuffer.isView(y0) && typeof y0 !== "number") {
    throw new UsageError(`y0 must be an array of numbers; got ${describeValue(y0)}.`);
  }
  if (y0 === undefined) throw new UsageError(`${o.model} exports no y0 and --y0 is not given: export const y0 = [1, 0]; or pass --y0 1,0.`);
  if (typeof y0 === "number") y0 = [y0];
  if (!Array.isArray(y0) && !ArrayBuffer.isView(y0)) throw new UsageError(`y0 must be an array of numbers; got ${describeValue(y0)}.`);
  const n = (y0 as ArrayLike<number>).length;
  const t0 = o.t0 ?? finiteOr(model.t0, "t0", 0)!;
  const t1 = o.t1 ?? finiteOr(model.t1, "t1", undefined);
  if (t1 === undefined) throw new UsageError(`no end time: pass --t1 (e.g. --t1 10) or export const t1 = 10; from ${o.model}.`);
  if (t1 === t0) throw new UsageError(`--t1 (${t1}) equals t0: nothing to solve.`);
  const args = o.args ?? model.args;
  const rtol = o.rtol ?? finiteOr(model.rtol, "rtol", 1e-6)!;
  const atol = o.atol ?? finiteOr(model.atol, "atol", 1e-9)!;
  const vars = o.vars ?? Array.from({ length: n }, (_, j) => j);
  for (const j of [...vars, ...(o.phase ?? [])]) {
    if (j >= n) throw new UsageError(`component ${j} does not exist: the state has ${n} components (0 to ${n - 1}).`);
  }
  const names = Array.isArray(model.names) && model.names.length === n ? model.names.map(String) : Array.from({ length: n }, (_, j) => `y${j}`);

  // The vector field: compiled for stiff solvers (exact Jacobian), else as written.
  let f = model.f as odeflow.VectorField;
  let compiled = false;
  const wantCompile = o.compile ?? (IMPLICIT.has(o.solver) && typeof f === "function");
  if (wantCompile) {
    try {
      f = odeflow.compile(f as (...a: unknown[]) => unknown, { n, ...(args === undefined ? {} : { args: args as odeflow.ArgsSpec }) });
      compiled = true;
    } catch (e) {
      if (!(e instanceof CompileError) || o.compile === true) throw e instanceof CompileError ? new UsageError(`--compile: ${e.message}`) : e;
      if (!o.quiet) io.stderr(`note: f could not be compiled (${e.reason}); ${o.solver} uses finite-difference Jacobians. Pass --no-compile to silence this.\n`);
    }
  }

  // A plain f (and diffusion) is wrapped so that an exception names its culprit and its t.
  if (typeof f === "function") f = culprits.wrap(f as (...a: unknown[]) => unknown, "the vector field f") as odeflow.VectorField;
  let terms: odeflow.AbstractTerm = asUsage(() => new ODETerm(f));
  let controller: odeflow.AbstractStepSizeController = asUsage(() => new PIDController({ rtol, atol }));
  if (model.diffusion !== undefined || isSde) {
    if (!isSde) throw new UsageError(`${o.model} exports a diffusion (an SDE): choose an SDE solver, e.g. --solver EulerMaruyama (Itô), EulerHeun (Stratonovich), SRA1 or ShARK (additive noise).`);
    if (typeof model.diffusion !== "function") {
      throw new UsageError(`--solver ${o.solver} solves SDEs: ${o.model} must export diffusion(t, y, args, g) writing g[i] (diagonal noise).`);
    }
    const diffusion = culprits.wrap(model.diffusion as (...a: unknown[]) => unknown, "the diffusion") as (t: number, y: Float64Array, a: unknown, g: Float64Array) => void;
    terms = asUsage(() => {
      const bm = new VirtualBrownianTree({ t0: Math.min(t0, t1), t1: Math.max(t0, t1), shape: n, seed: o.seed ?? 0, levyArea: "space-time" });
      return new MultiTerm(new ODETerm(f), new ControlTerm(diffusion, bm, { noise: "diagonal" }));
    });
    if (solver.errorOrder === 0) {
      if (o.dt0 === undefined) throw new UsageError(`${o.solver} takes fixed steps: pass --dt0, e.g. --dt0 ${+(Math.abs(t1 - t0) / 1000).toPrecision(3)}.`);
      controller = new ConstantStepSize();
    }
  }

  // A plot is drawn from the dense output (asking for it changes no step).
  const dense = o.plot !== undefined;
  let saveat: SaveAt;
  if (o.saveat === "steps") saveat = new SaveAt({ t0: true, steps: true, dense });
  else if (o.saveat === "t1") saveat = new SaveAt({ t1: true, dense });
  else {
    const ts = o.saveat ?? defaultTimes(t0, t1);
    const lo = Math.min(t0, t1), hi = Math.max(t0, t1);
    const outside = ts.find((t) => t < lo || t > hi);
    if (outside !== undefined) throw new UsageError(`--saveat time ${outside} is outside the time span [${lo}, ${hi}]; give times between t0 and t1.`);
    saveat = asUsage(() => new SaveAt({ ts, dense }));
  }
  if (o.plot !== undefined) await checkPlotting(o.plot);

  // A bar with rate and ETA on a terminal (after half a second, unless --progress); with
  // --progress and no terminal, plain lines.
  const useBar = o.progress ?? io.isTTY;
  const bar = useBar ? new TextProgressMeter({ write: io.stderr, tty: io.isTTY, width: 30, delayMs: o.progress === true ? 0 : 500 }) : null;
  // Output files are checked before anything is solved: never the model itself, never one file twice.
  const outPath = o.out === undefined || o.out === "-" ? null : outputPath(o.out, "--out", io.cwd, modelPath);
  const plotPath = o.plot === undefined ? null : outputPath(o.plot, "--plot", io.cwd, modelPath);
  if (outPath !== null && plotPath !== null && outPath === plotPath) {
    throw new UsageError(`--out and --plot name the same file (${o.out}); give them different names.`);
  }
  // Saved rows are also recorded here as the solve makes them, so that a model that throws part-way
  // (which ends the solve with an exception) still has its rows written.
  const recorder = new RowRecorder(n);
  saveat = recorder.wrap(saveat, t0);
  const watch = new Watch(bar, recorder);
  const start = performance.now();
  let sol: Solution<any> | null = null;
  let thrown: { error: unknown; t: number | undefined; culprit: string } | null = null;
  try {
    sol = diffeqsolve({
      terms, solver, t0, t1, y0: y0 as number[], args, saveat, stepsizeController: controller,
      maxSteps: o.maxSteps ?? 1_000_000, throw: false,
      ...(o.dt0 === undefined ? {} : { dt0: o.dt0 }),
      progressMeter: watch,
    });
  } catch (e) {
    const partial = (e as { solution?: unknown }).solution;
    if (partial instanceof odeflow.Solution) sol = partial as Solution<any>;
    else if (!watch.started) {
      // Before the first step: the options or the model are wrong (a validation error, or f
      // failing at t0). Nothing was solved.
      throw new UsageError(culprits.describe(e));
    } else thrown = { error: e, t: culprits.t, culprit: culprits.culprit };
  }
  const ms = performance.now() - start;

  const ts: ArrayLike<number> = sol !== null ? sol.ts : recorder.ts();
  const rows: ArrayLike<number>[] = sol !== null ? (sol.ys as unknown as ArrayLike<number>[]) : recorder.rows();
  const resultText = sol !== null ? resultName(sol.result) : "exception";
  const solError = sol === null ? undefined : (sol as { error?: unknown }).error;
  const message = sol === null ? culprits.describe(thrown!.error) : solError !== undefined ? culprits.describe(solError) : sol.message;
  const format = o.format ?? (o.out?.toLowerCase().endsWith(".json") ? "json" : "csv");
  const text = format === "json"
    ? JSON.stringify({
      solver: o.solver, t0, t1, rtol, atol, compiled, result: resultText, message, stats: sol?.stats ?? null,
      names: vars.map((j) => names[j]), ts: Array.from(ts), ys: rows.map((r) => vars.map((j) => r[j])),
    }) + "\n"
    : toCsv(ts, rows, names, vars);
  if (outPath === null) io.stdout(text);
  else writeOutput(outPath, o.out!, "--out", text, io);

  if (plotPath !== null && ts.length > 0) {
    const title = `${o.model} — ${o.solver}, rtol ${rtol}`;
    const fig: Figure = sol !== null && sol.hasDense
      ? solutionFigure(sol, {
        title, names, logx: o.logx, logy: o.logy,
        ...(o.phase ? { phase: o.phase } : { components: vars }),
      })
      : rowsFigure(title, ts, rows, names, vars, o);
    const bytes = plotPath.toLowerCase().endsWith(".png") ? await renderPNG(fig, { pixelRatio: 2 }) : await renderSVG(fig);
    writeOutput(plotPath, o.plot!, "--plot", bytes, io);
  }

  if (thrown !== null) {
    if (!o.quiet) io.stderr(`${o.solver}: stopped by an exception; ${ts.length} rows${outPath !== null ? ` written to ${o.out}` : ""}${plotPath !== null && ts.length > 0 ? `, plot in ${o.plot}` : ""}.\n`);
    const last = ts.length > 0 ? ` (the last row written is at t = ${ts[ts.length - 1]})` : "";
    io.stderr(`odeflow: the solve stopped: ${culprits.describe(thrown.error)}${last}\n${modelFrames(thrown.error, modelPath)}`);
    return EXIT.failed;
  }
  sol = sol!;
  const s = sol.stats;
  if (!o.quiet) {
    io.stderr(
      `${o.solver}${compiled ? " (compiled f, exact Jacobian)" : ""}: ${resultName(sol.result)}; ${s.numAcceptedSteps} steps accepted, ` +
      `${s.numRejectedSteps} rejected, ${s.numFnEvals} f evaluations, ${ms.toFixed(1)} ms; ${sol.ts.length} rows` +
      `${outPath !== null ? ` written to ${o.out}` : ""}${plotPath !== null && sol.ts.length > 0 ? `, plot in ${o.plot}` : ""}.\n`,
    );
  }
  if (!odeflow.isOkay(sol.result)) {
    const error = (sol as { error?: unknown }).error;
    if (error !== undefined) {
      // A function of the model threw: the loop kept the rows up to the last completed step.
      io.stderr(`odeflow: the solve stopped at t = ${sol.tFinal} (the last completed step): ${culprits.describe(error)}\n${modelFrames(error, modelPath)}`);
    } else io.stderr(`odeflow: the solve stopped at t = ${sol.tFinal}: ${sol.message}\n`);
    const stiff = sol.result === RESULTS.stalled || sol.result === RESULTS.maxStepsReached;
    if (stiff && !IMPLICIT.has(o.solver) && !isSde) {
      io.stderr(`hint: the problem looks stiff for ${o.solver}, an explicit solver: try --solver Rodas5P (or --solver AutoSwitch, which switches between Tsit5 and Rodas5P).\n`);
    }
    return EXIT.failed;
  }
  return EXIT.solved;
}

/** The default output times: 201, evenly spaced from t0 to t1 (`--saveat log:…` for log-spaced ones). */
function defaultTimes(t0: number, t1: number): number[] {
  return Array.from({ length: 201 }, (_, i) => (i === 200 ? t1 : t0 + ((t1 - t0) * i) / 200));
}

/** Checks before solving that the plotting packages load (a long solve is not wasted on a missing package). */
async function checkPlotting(file: string): Promise<void> {
  const need = file.toLowerCase().endsWith(".png") ? ["echarts", "@resvg/resvg-js"] : ["echarts"];
  for (const name of need) {
    try {
      await import(name);
    } catch (e) {
      throw new UsageError(
        `--plot ${file} needs the optional package ${name} (${(e as Error).message.split("\n")[0]}); install it next to odeflow: npm install ${need.join(" ")}`,
      );
    }
  }
}

/** A figure of saved rows (when a model threw part-way and there is no Solution). */
function rowsFigure(title: string, ts: ArrayLike<number>, rows: ArrayLike<number>[], names: string[], vars: number[], o: SolveCommand): Figure {
  const col = (j: number): number[] => Array.from(rows, (r) => r[j]!);
  if (o.phase) {
    const [i, j] = o.phase;
    return { title, x: { label: names[i]!, log: o.logx }, y: { label: names[j]!, log: o.logy }, series: [{ x: col(i), y: col(j) }] };
  }
  return {
    title, x: { label: "t", log: o.logx }, y: { label: vars.length === 1 ? names[vars[0]!]! : "y", log: o.logy },
    series: vars.map((j) => ({ label: names[j]!, x: ts, y: col(j) })),
  };
}
