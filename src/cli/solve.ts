/**
 * `odeflow solve`: loads a model module, solves it with the library, and writes CSV or JSON and
 * an SVG plot. Node only (the library core never imports this file).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import * as odeflow from "../index.js";
import {
  AbstractSDESolver, CompileError, ConstantStepSize, ControlTerm, MultiTerm, ODETerm, PIDController, SaveAt,
  VirtualBrownianTree, diffeqsolve, resultName, type AbstractSolver, type ProgressMeter, type Solution,
} from "../index.js";
import { type SolveCommand, UsageError, suggest } from "./args.js";
import { linePlot, type Series } from "./svg.js";

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

/** A progress bar on standard error that appears only once a solve has run for half a second. */
class DelayedBar implements ProgressMeter {
  private t0 = 0;
  private span = 1;
  private started = 0;
  private last = 0;
  drawn = false;
  constructor(private readonly write: (s: string) => void, private readonly delayMs: number) {}
  start(t0: number, t1: number): void {
    this.t0 = t0;
    this.span = t1 - t0 || 1;
    this.started = performance.now();
    this.last = -Infinity;
  }
  update(t: number): void {
    const now = performance.now();
    if (now - this.started < this.delayMs || now - this.last < 100) return;
    this.last = now;
    this.draw(t);
  }
  finish(t: number): void {
    if (!this.drawn && this.delayMs > 0) return; // a short solve shows no bar unless --progress
    this.draw(t);
    this.write("\n");
  }
  private draw(t: number): void {
    const p = Math.min(1, Math.max(0, (t - this.t0) / this.span));
    const width = 30, filled = Math.round(p * width);
    this.write(`\r[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${(100 * p).toFixed(1).padStart(5)}%  t = ${t.toPrecision(6)}`);
    this.drawn = true;
  }
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

/** Runs `odeflow solve` and returns the exit status. */
export async function solveCommand(o: SolveCommand, io: Io): Promise<number> {
  const model = await loadModel(o.model, io.cwd);
  const known = solverNames();
  const Ctor = (odeflow as unknown as Record<string, new () => AbstractSolver<any>>)[o.solver];
  if (!known.includes(o.solver) || Ctor === undefined) {
    throw new UsageError(`unknown solver "${o.solver}".${suggest(o.solver, known)} Solvers: ${known.join(", ")}.`);
  }
  const solver = COMPOSITE[o.solver]?.() ?? new Ctor();
  const isSde = solver instanceof AbstractSDESolver;

  let y0: unknown = o.y0 ?? model.y0;
  if (y0 === undefined) throw new UsageError(`${o.model} exports no y0 and --y0 is not given: export const y0 = [1, 0]; or pass --y0 1,0.`);
  if (typeof y0 === "number") y0 = [y0];
  if (!Array.isArray(y0) && !ArrayBuffer.isView(y0)) throw new UsageError(`y0 must be an array of numbers; got ${JSON.stringify(y0)}.`);
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

  let terms: odeflow.AbstractTerm = new ODETerm(f);
  let controller: odeflow.AbstractStepSizeController = new PIDController({ rtol, atol });
  if (model.diffusion !== undefined || isSde) {
    if (!isSde) throw new UsageError(`${o.model} exports a diffusion (an SDE): choose an SDE solver, e.g. --solver EulerMaruyama (Itô), EulerHeun (Stratonovich), SRA1 or ShARK (additive noise).`);
    if (typeof model.diffusion !== "function") {
      throw new UsageError(`--solver ${o.solver} solves SDEs: ${o.model} must export diffusion(t, y, args, g) writing g[i] (diagonal noise).`);
    }
    const bm = new VirtualBrownianTree({ t0: Math.min(t0, t1), t1: Math.max(t0, t1), shape: n, seed: o.seed ?? 0, levyArea: "space-time" });
    terms = new MultiTerm(new ODETerm(f), new ControlTerm(model.diffusion as (t: number, y: Float64Array, a: unknown, g: Float64Array) => void, bm, { noise: "diagonal" }));
    if (solver.errorOrder === 0) {
      if (o.dt0 === undefined) throw new UsageError(`${o.solver} takes fixed steps: pass --dt0, e.g. --dt0 ${+(Math.abs(t1 - t0) / 1000).toPrecision(3)}.`);
      controller = new ConstantStepSize();
    }
  }

  let saveat: SaveAt;
  if (o.saveat === "steps") saveat = new SaveAt({ t0: true, steps: true });
  else if (o.saveat === "t1") saveat = new SaveAt({ t1: true });
  else {
    const ts = o.saveat ?? Array.from({ length: 201 }, (_, i) => (i === 200 ? t1 : t0 + ((t1 - t0) * i) / 200));
    const lo = Math.min(t0, t1), hi = Math.max(t0, t1);
    const outside = ts.find((t) => t < lo || t > hi);
    if (outside !== undefined) throw new UsageError(`--saveat time ${outside} is outside the time span [${lo}, ${hi}]; give times between t0 and t1.`);
    saveat = new SaveAt({ ts });
  }

  const useBar = o.progress ?? io.isTTY;
  const bar = useBar ? new DelayedBar(io.stderr, o.progress === true ? 0 : 500) : null;
  const start = performance.now();
  let sol: Solution<any>;
  try {
    sol = diffeqsolve({
      terms, solver, t0, t1, y0: y0 as number[], args, saveat, stepsizeController: controller,
      maxSteps: o.maxSteps ?? 1_000_000, throw: false,
      ...(o.dt0 === undefined ? {} : { dt0: o.dt0 }),
      ...(bar ? { progressMeter: bar } : {}),
    });
  } catch (e) {
    // Validation errors (bad y0, args, a vector field that throws) are the model's: exit 2.
    if (bar?.drawn) io.stderr("\n");
    throw new UsageError((e as Error).message);
  }
  const ms = performance.now() - start;

  const rows = sol.ys as unknown as ArrayLike<number>[];
  const format = o.format ?? (o.out?.toLowerCase().endsWith(".json") ? "json" : "csv");
  const text = format === "json"
    ? JSON.stringify({
      solver: o.solver, t0, t1, rtol, atol, compiled, result: resultName(sol.result), message: sol.message, stats: sol.stats,
      names: vars.map((j) => names[j]), ts: Array.from(sol.ts), ys: rows.map((r) => vars.map((j) => r[j])),
    }) + "\n"
    : toCsv(sol.ts, rows, names, vars);
  if (o.out === undefined || o.out === "-") io.stdout(text);
  else writeFileSync(resolve(io.cwd, o.out), text);

  if (o.plot !== undefined && sol.ts.length > 0) {
    const [pi, pj] = o.phase ?? [0, 0];
    const series: Series[] = o.phase
      ? [{ x: rows.map((r) => r[pi]!), y: rows.map((r) => r[pj]!), label: `${names[pj]} against ${names[pi]}` }]
      : vars.map((j) => ({ x: sol.ts, y: rows.map((r) => r[j]!), label: names[j]! }));
    const svg = linePlot(series, {
      title: `${o.model} — ${o.solver}, rtol ${rtol}`,
      xLabel: o.phase ? names[pi]! : "t",
      yLabel: o.phase ? names[pj]! : vars.length === 1 ? names[vars[0]!]! : "y",
      equalAspect: false,
    });
    writeFileSync(resolve(io.cwd, o.plot), svg);
  }

  const s = sol.stats;
  if (!o.quiet) {
    io.stderr(
      `${o.solver}${compiled ? " (compiled f, exact Jacobian)" : ""}: ${resultName(sol.result)}; ${s.numAcceptedSteps} steps accepted, ` +
      `${s.numRejectedSteps} rejected, ${s.numFnEvals} f evaluations, ${ms.toFixed(1)} ms; ${sol.ts.length} rows` +
      `${o.out && o.out !== "-" ? ` written to ${o.out}` : ""}${o.plot ? `, plot in ${o.plot}` : ""}.\n`,
    );
  }
  if (!odeflow.isOkay(sol.result)) {
    io.stderr(`odeflow: the solve stopped at t = ${sol.tFinal}: ${sol.message}\n`);
    return 1;
  }
  return 0;
}
