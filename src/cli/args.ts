/**
 * Command-line parsing for `odeflow solve`: turns argv into checked options, and every mistake
 * into a {@link UsageError} whose message names the flag, the value and the fix.
 */

/** A mistake on the command line (exit status 2). */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** What `odeflow solve` was asked to do. */
export interface SolveCommand {
  model: string;
  solver: string;
  t0: number | undefined;
  t1: number | undefined;
  dt0: number | undefined;
  rtol: number | undefined;
  atol: number | undefined;
  /** Output times; undefined: 201 evenly spaced times from t0 to t1. "steps": every accepted step. */
  saveat: number[] | "steps" | "t1" | undefined;
  maxSteps: number | undefined;
  y0: number[] | undefined;
  args: unknown;
  out: string | undefined;
  format: "csv" | "json" | undefined;
  plot: string | undefined;
  /** Components to plot against each other (phase portrait), e.g. [0, 1]. */
  phase: [number, number] | undefined;
  /** Components to write and plot (all when undefined). */
  vars: number[] | undefined;
  /** Log axes for the plot. */
  logx: boolean;
  logy: boolean;
  /** true/false: forced; undefined: compile for implicit solvers, falling back quietly. */
  compile: boolean | undefined;
  /** true/false: forced; undefined: a bar on standard error when it is a terminal. */
  progress: boolean | undefined;
  seed: number | undefined;
  quiet: boolean;
}

export type Command =
  | { kind: "help"; topic: "main" | "solve" | "worker" }
  | { kind: "version" }
  | { kind: "solve"; options: SolveCommand }
  | { kind: "worker"; argv: readonly string[] };

const VALUE_FLAGS = ["solver", "t0", "t1", "dt0", "rtol", "atol", "saveat", "max-steps", "y0", "args", "out", "format", "plot", "phase", "vars", "seed"];
const BOOL_FLAGS = ["compile", "no-compile", "progress", "no-progress", "quiet", "help", "logx", "logy"];

/** Levenshtein distance, for "did you mean" hints. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}

/** ` Did you mean X?` for the closest candidate within two edits, else "". */
export function suggest(word: string, candidates: readonly string[]): string {
  let best = "", bestD = Infinity;
  for (const c of candidates) {
    const dist = distance(word.toLowerCase(), c.toLowerCase());
    if (dist < bestD) { best = c; bestD = dist; }
  }
  return bestD <= 2 ? ` Did you mean ${best}?` : "";
}

function number(flag: string, text: string, check?: (v: number) => string | null): number {
  const v = text.trim() === "" ? NaN : Number(text);
  if (!Number.isFinite(v)) throw new UsageError(`--${flag} must be a finite number; got "${text}". Example: --${flag} ${flag === "t1" ? "10" : "1e-8"}`);
  const problem = check?.(v);
  if (problem) throw new UsageError(`--${flag} ${problem}; got ${text}.`);
  return v;
}

function list(flag: string, text: string): number[] {
  const parts = text.split(",");
  return parts.map((p) => {
    const v = p.trim() === "" ? NaN : Number(p);
    if (!Number.isFinite(v)) throw new UsageError(`--${flag} must be a comma-separated list of numbers; "${p}" in "${text}" is not a number. Example: --${flag} 1,0`);
    return v;
  });
}

/** Expands `log:start:stop:count` into `count` log-spaced times from start to stop (both included, both > 0). */
export function logRange(text: string): number[] {
  const parts = text.split(":");
  const example = "Example: --saveat log:1e-6:1e5:100";
  if (parts.length !== 4) throw new UsageError(`--saveat "${text}" is not log:start:stop:count (count times, evenly spaced in log t). ${example}`);
  const [a, b, count] = parts.slice(1).map((p) => {
    const v = p.trim() === "" ? NaN : Number(p);
    if (!Number.isFinite(v)) throw new UsageError(`--saveat "${text}": "${p}" is not a number. ${example}`);
    return v;
  }) as [number, number, number];
  if (!(a > 0 && b > 0) || a === b) throw new UsageError(`--saveat "${text}": log-spaced times need 0 < start ≠ stop; got start ${a}, stop ${b}. ${example}`);
  if (!Number.isInteger(count) || count < 2 || count > 10_000_001) throw new UsageError(`--saveat "${text}": the count ${count} must be a whole number from 2 to 10 000 001. ${example}`);
  const la = Math.log10(a), lb = Math.log10(b);
  const ts = Array.from({ length: count }, (_, i) => 10 ** (la + ((lb - la) * i) / (count - 1)));
  ts[0] = a;
  ts[count - 1] = b;
  return ts;
}

/** Expands `start:step:stop` (stop included) into times. */
export function range(text: string): number[] {
  const parts = text.split(":");
  if (parts.length !== 3) {
    throw new UsageError(`--saveat "${text}" is not start:step:stop, log:start:stop:count, a comma-separated list, "steps" or "t1". Example: --saveat 0:0.1:10`);
  }
  const [a, h, b] = parts.map((p) => {
    const v = p.trim() === "" ? NaN : Number(p);
    if (!Number.isFinite(v)) throw new UsageError(`--saveat "${text}": "${p}" is not a number. Example: --saveat 0:0.1:10`);
    return v;
  }) as [number, number, number];
  if (h === 0 || Math.sign(h) !== Math.sign(b - a)) {
    throw new UsageError(`--saveat "${text}": the step ${h} must be non-zero and go from ${a} towards ${b}. Example: --saveat 0:0.1:10`);
  }
  // Round the count so that 0:0.1:1 has 11 points despite 0.1 not being representable.
  const count = Math.floor((b - a) / h + 1e-9);
  if (count > 10_000_000) throw new UsageError(`--saveat "${text}" asks for ${count + 1} output times; at most 10 000 001. Use a larger step.`);
  const ts: number[] = [];
  for (let i = 0; i <= count; i++) ts.push(a + i * h);
  // The last point lands on stop exactly when stop is (to rounding) on the grid.
  if (Math.abs(ts[count]! - b) <= 1e-9 * Math.abs(b - a)) ts[count] = b;
  return ts;
}

function parseJson(flag: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--${flag} must be JSON (${(e as Error).message}); got ${text}. Example: --${flag} '{"k": 2}'`);
  }
}

/** Parses the arguments after the program name. */
export function parseArgs(argv: readonly string[]): Command {
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
    return { kind: "help", topic: argv[1] === "solve" || argv[1] === "worker" ? argv[1] : "main" };
  }
  if (argv[0] === "--version" || argv[0] === "-v") return { kind: "version" };
  if (argv[0] === "worker") return { kind: "worker", argv: argv.slice(1) }; // parsed by worker.ts
  if (argv[0] !== "solve") {
    throw new UsageError(`unknown command "${argv[0]}".${suggest(argv[0]!, ["solve", "worker"])} The commands are solve (odeflow solve model.js --t1 10) and worker (odeflow worker --redis URL).`);
  }
  const values = new Map<string, string>();
  const flags = new Set<string>();
  const positional: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "-h") { flags.add("help"); continue; }
    if (!a.startsWith("--") || a === "--") { positional.push(a); continue; }
    let name = a.slice(2);
    let value: string | undefined;
    const eq = name.indexOf("=");
    if (eq >= 0) { value = name.slice(eq + 1); name = name.slice(0, eq); }
    if (BOOL_FLAGS.includes(name)) {
      if (value !== undefined) throw new UsageError(`--${name} takes no value; got --${name}=${value}.`);
      flags.add(name);
    } else if (VALUE_FLAGS.includes(name)) {
      if (value === undefined) {
        value = argv[++i];
        // A negative number is a value, another flag is not.
        if (value === undefined || (value.startsWith("--") && Number.isNaN(Number(value)))) {
          throw new UsageError(`--${name} needs a value. Example: --${name} ${EXAMPLES[name] ?? "..."}`);
        }
      }
      if (values.has(name)) throw new UsageError(`--${name} is given twice (${values.get(name)} and ${value}); give it once.`);
      values.set(name, value);
    } else {
      throw new UsageError(`unknown option --${name}.${suggest(name, [...VALUE_FLAGS, ...BOOL_FLAGS])} Run odeflow solve --help for the list.`);
    }
  }
  if (flags.has("help")) return { kind: "help", topic: "solve" };
  if (positional.length === 0) throw new UsageError("solve needs a model file: odeflow solve model.js --t1 10 (the module exports f, y0 and optionally args, t0, t1, names).");
  if (positional.length > 1) throw new UsageError(`solve takes one model file; got ${positional.length}: ${positional.join(" ")}.`);
  for (const [a, b] of [["compile", "no-compile"], ["progress", "no-progress"]] as const) {
    if (flags.has(a) && flags.has(b)) throw new UsageError(`--${a} and --${b} contradict each other; give one.`);
  }
  const v = (k: string) => values.get(k);
  const nonNegative = (x: number) => (x >= 0 ? null : "must be zero or positive");
  const saveatText = v("saveat");
  let saveat: SolveCommand["saveat"];
  if (saveatText === undefined) saveat = undefined;
  else if (saveatText === "steps" || saveatText === "t1") saveat = saveatText;
  else if (saveatText.startsWith("log:")) saveat = logRange(saveatText);
  else if (saveatText.includes(":")) saveat = range(saveatText);
  else saveat = list("saveat", saveatText);
  const format = v("format");
  if (format !== undefined && format !== "csv" && format !== "json") throw new UsageError(`--format must be csv or json; got "${format}".`);
  const phaseText = v("phase");
  let phase: [number, number] | undefined;
  if (phaseText !== undefined) {
    const p = list("phase", phaseText);
    if (p.length !== 2 || !p.every((i) => Number.isInteger(i) && i >= 0)) throw new UsageError(`--phase takes two component indices, like --phase 0,1; got "${phaseText}".`);
    phase = [p[0]!, p[1]!];
  }
  const varsText = v("vars");
  let vars: number[] | undefined;
  if (varsText !== undefined) {
    vars = list("vars", varsText);
    if (!vars.every((i) => Number.isInteger(i) && i >= 0)) throw new UsageError(`--vars takes component indices (0, 1, ...), like --vars 0,2; got "${varsText}".`);
  }
  const maxStepsText = v("max-steps");
  const y0Text = v("y0");
  const argsText = v("args");
  const plot = v("plot");
  if (plot !== undefined && !/\.(svg|png)$/i.test(plot)) throw new UsageError(`--plot writes an SVG or PNG file; its name must end in .svg or .png; got "${plot}".`);
  return {
    kind: "solve",
    options: {
      model: positional[0]!,
      solver: v("solver") ?? "Tsit5",
      t0: v("t0") === undefined ? undefined : number("t0", v("t0")!),
      t1: v("t1") === undefined ? undefined : number("t1", v("t1")!),
      dt0: v("dt0") === undefined ? undefined : number("dt0", v("dt0")!, (x) => (x !== 0 ? null : "must be non-zero")),
      rtol: v("rtol") === undefined ? undefined : number("rtol", v("rtol")!, nonNegative),
      atol: v("atol") === undefined ? undefined : number("atol", v("atol")!, nonNegative),
      saveat,
      maxSteps: maxStepsText === undefined ? undefined : number("max-steps", maxStepsText, (x) => (Number.isInteger(x) && x > 0 ? null : "must be a positive integer")),
      y0: y0Text === undefined ? undefined : y0Text.trim().startsWith("[") ? (parseJson("y0", y0Text) as number[]) : list("y0", y0Text),
      args: argsText === undefined ? undefined : parseJson("args", argsText),
      out: v("out"),
      format: format as "csv" | "json" | undefined,
      plot,
      phase,
      vars,
      logx: flags.has("logx"),
      logy: flags.has("logy"),
      compile: flags.has("compile") ? true : flags.has("no-compile") ? false : undefined,
      progress: flags.has("progress") ? true : flags.has("no-progress") ? false : undefined,
      seed: v("seed") === undefined ? undefined : number("seed", v("seed")!, (x) => (Number.isInteger(x) && x >= 0 ? null : "must be a non-negative integer")),
      quiet: flags.has("quiet"),
    },
  };
}

const EXAMPLES: Record<string, string> = {
  solver: "Tsit5", t0: "0", t1: "10", dt0: "0.01", rtol: "1e-8", atol: "1e-10", saveat: "0:0.1:10", "max-steps": "100000",
  y0: "1,0", args: "'{\"k\": 2}'", out: "result.csv", format: "json", plot: "result.svg", phase: "0,1", vars: "0,2", seed: "42",
};

export const HELP_MAIN = `odeflow — fast differential equation solvers

Usage:
  odeflow solve <model.js> [options]   solve the model, write CSV/JSON and an SVG or PNG plot
  odeflow solve --help                 the options of solve
  odeflow worker --redis URL           solve jobs of distributed ensembles (odeflow worker --help)
  odeflow --version

Example:
  npx odeflow solve model.js --solver Tsit5 --t1 10 --rtol 1e-8 --saveat 0:0.1:10 --out result.csv --plot result.svg
`;

export const HELP_SOLVE = `Usage: odeflow solve <model.js> [options]

The model is an ES module (or CommonJS) that exports the parts below. It is JavaScript
that runs with your rights (it can read and write your files): solve only models you trust.
It exports:
  f        the vector field, (t, y, args, dy) => { dy[0] = ...; } or returning an array
           (or a default export: the function, or an object with f, y0, ...)
  y0       the initial state (array of numbers)
  args     optional parameters passed to f
  t0, t1   optional time span (flags override)
  names    optional component names for the CSV header and plot legend
  diffusion optional: makes it an SDE dy = f dt + g dW with diagonal noise,
           (t, y, args, g) => { g[0] = ...; }, driven by a VirtualBrownianTree

Options:
  --solver NAME      solver class (default Tsit5; a stiff problem such as chemical kinetics
                     wants --solver Rodas5P, and Tsit5 says so when it stalls): explicit Tsit5 Dopri5 Dopri8 Vern7 Vern9
                     Bosh3 Euler Heun Midpoint Ralston; stiff Rodas5P Rosenbrock23 BDF
                     RadauIIA5 Kvaerno3/4/5 ImplicitEuler, AutoSwitch (Tsit5 <-> Rodas5P);
                     SDE EulerMaruyama EulerHeun Milstein SRA1 ShARK
  --t0 T, --t1 T     time span (default: the model's, t0 = 0)
  --dt0 DT           initial step (default: automatic; the fixed step for SDE solvers)
  --rtol R, --atol A tolerances (default 1e-6 and 1e-9, or the model's rtol/atol; tighter
                     than the library's PIDController defaults, 1e-3 and 1e-6, because the
                     command line writes results to read)
  --saveat SPEC      output times: start:step:stop (e.g. 0:0.1:10), log:start:stop:count
                     (count times evenly spaced in log t, e.g. log:1e-6:1e5:100), a list
                     0,1,2, "steps" (every accepted step) or "t1" (default: 201 times from
                     t0 to t1; the plot does not depend on them)
  --max-steps N      give up after N steps (default 1000000; the library's default is 100000)
  --y0 LIST          override the initial state, e.g. --y0 1,0
  --args JSON        override the parameters, e.g. --args '{"mu": 5}'
  --out FILE         write the solution (.csv or .json; default: CSV on standard output);
                     a missing directory is created; the model file is never overwritten
  --format csv|json  output format (default: JSON for an --out ending in .json, else CSV)
  --plot FILE        write a plot of the components over time, FILE.svg or FILE.png (same
                     rules as --out), drawn from the solver's dense output (adaptive
                     sampling: jumps and spikes are drawn; lines break at events). Needs the
                     optional package echarts (npm install echarts), and for PNG also
                     @resvg/resvg-js
  --phase I,J        plot component J against component I instead (a phase portrait)
  --logx, --logy     log axes on the plot (--logx: log t, or log of component I)
  --vars I,J,...     components to write and plot (default: all)
  --compile          compile f (exact Jacobians for stiff solvers; fails loudly if it cannot)
  --no-compile       use f as written (finite-difference Jacobians for stiff solvers)
                     (default: compile for stiff solvers, falling back to f with a note)
  --seed N           seed of the Brownian motion for SDE models (default 0)
  --progress, --no-progress   progress on standard error (default: a bar with rate and ETA
                     on a terminal once a solve runs for half a second; --progress elsewhere
                     writes a plain line every 5 s)
  --quiet            no summary on standard error
  --help             this text

Exit status: 0 solved; 1 the solve failed, or the model threw part-way (the message says why
and where; the rows computed before the failure are written); 2 bad command line or model
(nothing is solved; this includes a model that fails at t0); 3 internal error (a bug in odeflow).
`;
