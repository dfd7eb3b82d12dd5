/**
 * `compile(fn, options)`: a plain JavaScript vector field in, generated kernels with exact
 * derivatives out.
 */
import { layoutFromSpec, type ArgLayout, type ArgsSpec } from "./args.js";
import { canGenerate, fromGraph, type CompiledVectorField } from "./field.js";
import { Graph } from "./graph.js";
import { lower } from "./lower.js";
import { parseFunction } from "./parse.js";
import type { ModelBuilder } from "./builder.js";
import { compileAutomatically } from "./auto.js";
import { installFusedKernels } from "../solvers/erk.js";
import { fusedKernelFor } from "../solvers/fused.js";
import { installAutomaticCompiler } from "../terms.js";
import { suggest } from "../util/suggest.js";
import { describeValue } from "../tree.js";
import { CompileError } from "./errors.js";

export { COMPILED_GRAPH, fromGraph, type CompiledGraphInfo, type CompiledVectorField } from "./field.js";

/** Options of {@link compile}. */
export interface CompileOptions {
  /**
   * Fixed values the source refers to by name (numbers, strings, booleans, arrays, plain
   * objects), for example a reaction list or a grid size. They are folded into the code.
   */
  consts?: Record<string, unknown>;
  /**
   * The shape of `args`, which fixes the flat parameter layout: a sample object
   * (`{ k: 1, W: new Float64Array(12) }`: numbers take one slot, arrays one slot per entry, in key
   * order), a list of scalar names, or the length of a flat vector (`args[i]`).
   * @defaultValue inferred: named parameters in the order the function first uses them, array
   * lengths from the largest index used
   */
  args?: ArgsSpec;
  /**
   * Number of state components. Needed when the source reads `y.length` or only calls `dy.fill`;
   * otherwise inferred (and checked against) the output.
   */
  n?: number;
  /**
   * `"codegen"`: straight-line JavaScript through `new Function`; `"interpreter"`: run the
   * instruction list without generating code; `"auto"`: codegen where `new Function` is allowed.
   * @defaultValue `"auto"`
   */
  mode?: "auto" | "codegen" | "interpreter";
}

/**
 * Compiles a vector field written in plain JavaScript (or TypeScript compiled by tsc or esbuild)
 * into straight-line code with exact derivatives.
 *
 * The accepted subset: `const`/`let`/`var`; arithmetic with `**` and `%`; `Math` functions and
 * constants; `if`/`else`, `?:`, `&&`, `||` (on run-time values they become selects); `for` and
 * `for … of` loops with compile-time bounds (unrolled); destructuring of `y` and `args`; local
 * helper functions (inlined); comma expressions. Values from outside the function come through
 * `args` (parameters, differentiable) or `options.consts` (fixed, folded into the code).
 *
 * Sources that tsc (ES5 without `downlevelIteration`, ES2020) or esbuild (also minified) produce
 * from such TypeScript compile to the same kernels; tsc's iteration and spread helpers
 * (`__values`, `__spreadArray`) do not.
 *
 * Derivatives are exact (symbolic forward and reverse mode on the shared expression graph) and
 * their kernels are generated on first use.
 *
 * The generated code computes the function's values with two kinds of documented rounding
 * differences. Constant powers are reduced: `Math.pow(x, c)` and `x ** c` become binary powering
 * for integers |c| ≤ 8, `x^k * Math.sqrt(x)` for halves (`x * Math.sqrt(x)` for 1.5, about ten
 * times faster than V8's `Math.pow`), `1 / …` for negative c and `Math.cbrt` for ⅓; within a few
 * ulps of Math.pow (at most 4 measured), differing at x = −0 (the sign of a zero or infinite
 * result) and x = −∞ (NaN for halves and ⅓), with derivatives c·x^(c−1) in the same forms
 * (src/compile/powers.ts). And the graph's rewrites `x * 0 → 0` (where the original gives NaN)
 * and `x + 0 → x` (the sign of a zero) (src/compile/graph.ts).
 *
 * `new ODETerm(f)` compiles a plain function this way automatically where it can (see
 * `ODETermOptions.compile`); call `compile` for what that cannot do: `consts`, `n`, parameter
 * derivatives, `toSource`, or a field beyond the automatic size limits.
 *
 * @example
 * ```ts
 * const lorenz = compile((t, [x, y, z], { sigma, rho, beta }) =>
 *   [sigma * (y - x), x * (rho - z) - y, x * y - beta * z]);
 * const J = new Float64Array(9);
 * lorenz.jac(0, Float64Array.of(1, 2, 3), { sigma: 10, rho: 28, beta: 8 / 3 }, J);
 * diffeqsolve({ terms: new ODETerm(lorenz), solver: new Tsit5(), t0: 0, t1: 1, y0: [1, 1, 1],
 *   args: { sigma: 10, rho: 28, beta: 8 / 3 } });
 * ```
 * @throws CompileError (with a code frame and a fix hint) for anything outside the subset.
 */
export function compile<A = any>(fn: Function | string | ModelBuilder, options: CompileOptions = {}): CompiledVectorField<A> {
  try {
    return compileChecked<A>(fn, options);
  } catch (e) {
    throw asCompileError(e);
  }
}

/**
 * Any error escaping the compiler as a CompileError: its own pass through; a stack overflow (a
 * source nested more deeply than the recursive passes can follow) and anything unforeseen get a
 * reason and a hint, with the original as `cause`.
 */
function asCompileError(e: unknown): CompileError {
  if (e instanceof CompileError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  const err = e instanceof RangeError && /call stack/i.test(msg)
    ? new CompileError(
      `the vector field is nested too deeply to compile (${msg}).`,
      "break deeply nested expressions into local variables (const s1 = …; const s2 = s1 + …), write long series as a for loop over " +
        "an array in options.consts, or assemble the model with ModelBuilder. Flat chains such as a + b + c + … of any length compile.",
      "")
    : new CompileError(
      `internal error while compiling (${e instanceof Error ? e.name + ": " : ""}${msg}).`,
      "this is a bug in odeflow's compiler; please report it with the vector field. Meanwhile pass the plain function to ODETerm.",
      "");
  (err as { cause?: unknown }).cause = e;
  return err;
}

const OPTION_KEYS = ["consts", "args", "n", "mode"];

function compileChecked<A>(fn: Function | string | ModelBuilder, options: CompileOptions): CompiledVectorField<A> {
  if (options === null || typeof options !== "object") {
    throw new CompileError(`\`options\` must be an object; got ${describeValue(options)}.`,
      "pass an object such as { consts: { N: 10 }, args: { k: 1 }, n: 3 }, or omit it.", "");
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) {
      const hint = suggest(key, OPTION_KEYS);
      throw new CompileError(`unknown option \`${key}\`; the options are consts, args, n and mode.`,
        hint.startsWith(" (did you mean") ? `correct the name${hint}.` : `remove \`${key}\`.`, "");
    }
  }
  if (options.consts !== undefined && (options.consts === null || typeof options.consts !== "object" || Array.isArray(options.consts))) {
    throw new CompileError(`\`options.consts\` must be an object of named values; got ${describeValue(options.consts)}.`,
      "pass fixed values by name, e.g. { consts: { N: 100, reactions } }.", "");
  }
  const mode = options.mode ?? "auto";
  if (mode !== "auto" && mode !== "codegen" && mode !== "interpreter") {
    throw new CompileError(`\`options.mode\` = ${typeof mode === "string" ? JSON.stringify(mode) : describeValue(mode)} must be "auto", "codegen" or "interpreter".`,
      "omit it (\"auto\" generates code where the environment allows it).", "");
  }
  if (options.n !== undefined && (typeof options.n !== "number" || !Number.isInteger(options.n) || options.n < 1)) {
    throw new CompileError(`\`options.n\` = ${typeof options.n === "number" ? options.n : describeValue(options.n)} must be a whole number ≥ 1 (the number of state components).`,
      "pass the length of y, or omit it to infer it from the output.", "");
  }
  let graph: Graph;
  let outputs: number[];
  let layout: ArgLayout;
  if (typeof fn === "object" && fn !== null && typeof (fn as ModelBuilder).build === "function") {
    ({ graph, outputs, layout } = (fn as ModelBuilder).build());
  } else {
    const parsed = parseFunction(fn as Function | string);
    const lowered = lower(parsed, {
      consts: options.consts,
      layout: options.args === undefined ? undefined : layoutFromSpec(options.args),
      n: options.n,
    });
    ({ graph, outputs, layout } = lowered);
  }
  return fromGraph<A>(graph, outputs, layout, mode === "interpreter" || (mode === "auto" && !canGenerate()) ? "interpreter" : "codegen");
}

// Where the compiler is part of the program, `new ODETerm(f)` compiles plain functions (auto.ts),
// and explicit Runge–Kutta solvers fuse compiled vector fields into their stages (solvers/fused.ts).
// A field compiled automatically that does not match y0 is the plain function's own mistake.
installAutomaticCompiler(compileAutomatically, (m, n, api) =>
  m < n
    ? `${api}: the vector field did not write dy[${m}] (it writes ${m} component${m === 1 ? "" : "s"}); it must write all ${n} components of dy, or y0 must have ${m}.`
    : `${api}: the vector field writes dy[${n}] but y0 has only ${n} component${n === 1 ? "" : "s"}; check the length of y0.`);
installFusedKernels(fusedKernelFor);
