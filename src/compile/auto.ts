/**
 * Automatic compilation: what `new ODETerm(f)` does with a plain function f.
 *
 * On first use (the term's `vf`, read when a solve starts) f is compiled as `compile(f)` would
 * compile it, and the solvers get generated code: explicit Runge–Kutta methods inline it into
 * their stage loop, implicit methods get the exact Jacobian, adjoints and forward sensitivities
 * exact products with ∂f/∂y. Where the compiler cannot read f, or where compiled code could
 * compute something f does not, it declines and f is called as written. It declines for:
 *
 * - anything `compile` rejects: variables from outside f (closures, module constants, helper
 *   functions defined outside), calls other than `Math` functions and helpers defined inside f,
 *   `Math.random` and the clocks, side effects (assignments outside f, to `y` or `args`,
 *   `console`), `this`, `arguments`, `new`, loops whose bounds are not constants (`while`, `for`
 *   up to `y.length`), indices computed from the state, strings and objects at run time;
 * - code that treats a missing parameter specially: a default (`{ k = 2 } = args`), `args.k ?? 2`,
 *   `args.k === undefined`, since compiled code reads every parameter as a number at run time;
 * - sources longer than {@link AUTOMATIC_COMPILE_LIMITS}.sourceLength characters, loops that
 *   unroll to more than `.iterations` iterations, graphs of more than `.nodes` nodes: these bound
 *   the time compiling may take (about a microsecond per node; see bench/results/compile.md);
 * - places where `new Function` is not allowed (a Content-Security-Policy without
 *   `unsafe-eval`): the interpreter `compile` falls back to there is slower than f itself.
 *
 * What it never changes: f is read, never called, to compile it; args are read at run time (each
 * evaluation, or once per step in a fused kernel, where nothing can change them in between), so
 * every solve and every ensemble trajectory sees its own, and by name whatever args is (a
 * `Float64Array` included, unlike `compile(f)`'s kernels, which read one as the flat parameter
 * vector: f itself would find no named property there); the compiled f computes f's values up to
 * the documented rewrites of `compile` (constant powers within a few ulps, `x * 0 → 0` where f
 * would give NaN, the sign of a zero; see graph.ts and powers.ts). Results are therefore equal to
 * those of `new ODETerm(compile(f))` bit for bit, and agree with `new ODETerm(f, { compile: false })`
 * to rounding. The compiler assumes the names `Math`, `Number`, `NaN`, `Infinity` and `undefined`
 * mean the built-ins (it cannot see a module that redefines them).
 *
 * The result is cached per function (a WeakMap), so repeated solves and ensembles compile once.
 * Derivatives with respect to args are not provided (see `automaticField` in field.ts); the
 * Jacobian is provided when its graph stays within `.jacobianNodes` nodes.
 */
import { automaticField, canGenerate } from "./field.js";
import { lower } from "./lower.js";
import { parseFunction } from "./parse.js";
import type { AutomaticCompilation } from "../terms.js";

/**
 * Bounds on automatic compilation, so that compiling never costs much compared with the solves
 * that use it: at about a microsecond per graph node, `nodes` bounds the compile time to some
 * 20 ms, the cost of a few thousand evaluations of such an f. A larger f is still compiled by an
 * explicit `compile(f)`.
 */
export const AUTOMATIC_COMPILE_LIMITS = {
  /** Characters of f's source text. */
  sourceLength: 20_000,
  /** Loop iterations unrolled, in all. */
  iterations: 10_000,
  /** Nodes of f's expression graph. */
  nodes: 20_000,
  /** Nodes the sparse Jacobian may add; beyond, implicit solvers difference f as they would without compiling. */
  jacobianNodes: 50_000,
} as const;

const cache = new WeakMap<Function, AutomaticCompilation>();

/** Captured at load, as in parse.ts. */
const functionToString = Function.prototype.toString;

/** The automatically compiled vector field of `fn`, or why there is none (cached per function). */
export function compileAutomatically(fn: Function): AutomaticCompilation {
  let r = cache.get(fn);
  if (r === undefined) {
    r = attempt(fn);
    cache.set(fn, r);
  }
  return r;
}

function attempt(fn: Function): AutomaticCompilation {
  const limits = AUTOMATIC_COMPILE_LIMITS;
  if (!canGenerate()) {
    return { vf: null, reason: "code generation (new Function) is not allowed here (a Content-Security-Policy without unsafe-eval), and interpreted code would be slower than f." };
  }
  const length = functionToString.call(fn).length;
  if (length > limits.sourceLength) {
    return { vf: null, reason: `its source is ${length} characters long, more than the ${limits.sourceLength} that automatic compilation reads; compile it explicitly with compile(f).` };
  }
  try {
    const { graph, outputs, layout } = lower(parseFunction(fn), { maxUnroll: limits.iterations, maxNodes: limits.nodes });
    if (graph.size > limits.nodes) {
      return { vf: null, reason: `it has more than ${limits.nodes} operations; compile it explicitly with compile(f).` };
    }
    // f reads named parameters by name whatever args is; so does its compiled code.
    const byName = layout.kind === "named" ? { ...layout, byNameOnly: true } : layout;
    return { vf: automaticField(graph, outputs, byName, limits.jacobianNodes), reason: null };
  } catch (e) {
    // CompileError says what and where; anything else would be a compiler bug: decline all the same.
    return { vf: null, reason: e instanceof Error ? e.message : String(e) };
  }
}
