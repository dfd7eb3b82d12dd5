/**
 * What travels to a worker: a structured-cloneable description of the problem, from which the
 * worker rebuilds the same terms, solver (by its class's export name, see catalog.ts),
 * controller and SaveAt.
 * Functions cannot be cloned, so the vector field (and hooks) travel as a module URL plus export
 * name, or as the generated source of a compiled vector field (`toSource()`).
 */
import type { AbstractStepSizeController } from "../controllers/base.js";
import { SaveAt } from "../saveat.js";
import { canGenerate } from "../solvers/codegen.js";
import { INLINE_VECTOR_FIELD, type InlineVectorField, installFusedKernels } from "../solvers/erk.js";
import { fusedKernelFor } from "../solvers/fused.js";
import type { AbstractSolver } from "../solvers/solver.js";
import { ODETerm } from "../terms.js";
import { controllerClassName, rebuildController, SOLVERS, solverClassName } from "./catalog.js";
import type { EnsembleBaseOptions } from "./options.js";

/** Where a function comes from in a worker. */
export type FunctionSource =
  | { readonly kind: "module"; readonly url: string; readonly name: string }
  | { readonly kind: "source"; readonly source: string; readonly inline?: InlineTemplate };

/**
 * A compiled vector field's inlinable source (the explicit RK kernels fuse it into their stage
 * loop, see INLINE_VECTOR_FIELD in solvers/erk.ts), as templates: its generators were called with
 * stand-in names, which the worker replaces with the names the kernel generator asks for, so
 * the worker fuses the same code (without it a worker would run the unfused kernel, ~25% slower).
 */
export interface InlineTemplate {
  readonly n: number;
  readonly operations: number;
  readonly prelude: string;
  readonly body: string;
  readonly scalar: { readonly code: string; readonly outputs: readonly string[] } | null;
}

const T_MARK = "\u00a7T\u00a7";
const Y_MARK = (j: number): string => `\u00a7Y${j}\u00a7`;
const P_MARK = "\u00a7P\u00a7";
const O_MARK = "\u00a7O\u00a7";

/** The template of a compiled vector field's inline hook, or undefined without one. */
function inlineTemplate(vf: object): InlineTemplate | undefined {
  const hook = (vf as Record<symbol, unknown>)[INLINE_VECTOR_FIELD];
  if (typeof hook !== "function") return undefined;
  const inline = (hook as () => InlineVectorField)();
  const scalar = inline.scalar === undefined ? null : inline.scalar(T_MARK, Y_MARK, P_MARK);
  return { n: inline.n, operations: inline.operations, prelude: inline.prelude, body: inline.body(T_MARK, Y_MARK(0).replace("0", "A"), O_MARK), scalar };
}

/** The inline hook rebuilt from its template (the same strings the original generators give). */
function inlineFromTemplate(t: InlineTemplate): InlineVectorField {
  const fill = (code: string, tx: string, y: (j: number) => string, prefix: string): string =>
    code.replace(/\u00a7T\u00a7/g, () => tx).replace(/\u00a7Y(\d+)\u00a7/g, (_, j: string) => y(Number(j))).replace(/\u00a7P\u00a7/g, () => prefix);
  const scalar = t.scalar;
  return {
    n: t.n,
    operations: t.operations,
    prelude: t.prelude,
    body: (tx, y, out) => t.body.replace(/\u00a7T\u00a7/g, () => tx).replace(/\u00a7YA\u00a7/g, () => y).replace(/\u00a7O\u00a7/g, () => out),
    scalar:
      scalar === null
        ? undefined
        : (tx, y, prefix) => ({ code: fill(scalar.code, tx, y, prefix), outputs: scalar.outputs.map((o) => fill(o, tx, y, prefix)) }),
  };
}

/** The problem, as plain data. */
export interface ProblemDescriptor {
  readonly vectorField: FunctionSource;
  readonly solver: { readonly name: string; readonly options: unknown };
  readonly controller: { readonly name: string; readonly options: Record<string, unknown> } | null;
  readonly saveat: { readonly t0: boolean; readonly t1: boolean; readonly ts: Float64Array | undefined; readonly fn: FunctionSource | null } | null;
  readonly output: { readonly width: number; readonly keepSaved: boolean; readonly fn: FunctionSource } | null;
  /** Remaining diffeqsolve options (t0, t1, dt0, maxSteps, …), cloned as they are. */
  readonly rest: Record<string, unknown>;
}

/** The module exports a worker would import, loaded in the calling thread for identity checks. */
export type ModuleExports = Record<string, unknown> | null;

const HANDLED = new Set([
  "terms", "solver", "stepsizeController", "saveat", "output", "trajectories", "y0", "args", "threads", "module", "reduce",
  "lockstep", "throw", "progressMeter", "chunkSize", "libraryUrl", "workers",
]);

/** A reason the problem cannot travel, or its descriptor. */
export type Described = { readonly ok: true; readonly descriptor: ProblemDescriptor } | { readonly ok: false; readonly reason: string };

function isSame(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) {
    const x = a as unknown as ArrayLike<number>;
    const y = b as unknown as ArrayLike<number>;
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
    return true;
  }
  return false;
}

/**
 * Describes a solver as its exported class name and constructor options (`solver.options` when it
 * keeps them), after checking that rebuilding it that way gives an equal solver.
 */
function describeSolver(solver: AbstractSolver<any>): { name: string; options: unknown } | string {
  // The class whose prototype the solver has (not constructor.name, which minifiers may change).
  const name = solverClassName(solver);
  const Ctor = name === null ? undefined : SOLVERS[name];
  if (name === null || Ctor === undefined) {
    return `the solver ${solver.name} (class ${solver.constructor.name}) is not one of odeflow's exported solver classes, so a worker cannot rebuild it`;
  }
  const options = (solver as unknown as { options?: unknown }).options;
  let rebuilt: Record<string, unknown>;
  try {
    rebuilt = new (Ctor as new (o?: unknown) => Record<string, unknown>)(options);
    structuredClone(options);
  } catch {
    return `the solver ${name} cannot be rebuilt from its options`;
  }
  const original = solver as unknown as Record<string, unknown>;
  for (const key of new Set([...Object.keys(original), ...Object.keys(rebuilt)])) {
    const a = original[key];
    const b = rebuilt[key];
    if (typeof a === "function" && typeof b === "function") continue;
    if (!isSame(a, b)) return `the solver ${name} differs from new ${name}(${options === undefined ? "" : "options"}) in \`${key}\`, so a worker cannot rebuild it`;
  }
  return { name, options };
}

function describeController(c: AbstractStepSizeController<any> | undefined): ProblemDescriptor["controller"] | string {
  if (c === undefined) return null;
  const { name, options } = c.describe();
  if (typeof options.norm === "function") return `the ${name}'s \`norm\` is a function, which cannot travel to a worker`;
  if (controllerClassName(c) !== name) {
    return `the step-size controller ${c.constructor.name} is not one of odeflow's exported controllers, so a worker cannot rebuild it`;
  }
  try {
    structuredClone(options);
    rebuildController({ name, options }); // the worker rebuilds it this way: check here that it can
  } catch {
    return `the ${name} cannot be rebuilt from its options in a worker`;
  }
  return { name, options };
}

function fromModule(mod: ModuleExports, url: string | undefined, name: string | undefined, value: unknown, what: string, option: string): FunctionSource | string {
  if (mod === null || url === undefined || name === undefined) return `${what} is a function, which cannot travel to a worker; export it from a module and name it in \`module.${option}\``;
  if (mod[name] !== value) return `${what} is not the function that \`module.${option}\` = "${name}" exports from ${url}; pass the imported function itself`;
  return { kind: "module", url, name };
}

/**
 * Describes the problem for workers, or says why it cannot travel.
 * `mod` holds the exports of `options.module` (imported by the caller).
 */
export function describeProblem(options: EnsembleBaseOptions, terms: ODETerm | unknown, mod: ModuleExports): Described {
  const m = options.module;
  const url = m === undefined ? undefined : String(m.url);
  if (!(terms instanceof ODETerm)) return { ok: false, reason: "only ODE terms (new ODETerm(f)) can run on worker threads" };
  const vf = terms.vf;
  let vectorField: FunctionSource;
  const exportName = m?.vectorField ?? "default";
  // The term's own function (vf is the compiled field where `new ODETerm(f)` compiled f).
  const given = terms.vectorField;
  if (mod !== null && (mod[exportName] === given || mod[exportName] === vf || mod[exportName] === vf.f)) {
    vectorField = { kind: "module", url: url!, name: exportName };
  } else if (typeof (vf as { toSource?: unknown }).toSource === "function") {
    const source = String((vf as unknown as { toSource(): string }).toSource());
    const inline = inlineTemplate(vf);
    vectorField = inline === undefined ? { kind: "source", source } : { kind: "source", source, inline };
  } else if (mod !== null) {
    return { ok: false, reason: `the vector field in \`terms\` is not the export \`${exportName}\` of ${url}; pass the imported function itself, or omit \`terms\`` };
  } else {
    return {
      ok: false,
      reason:
        "the vector field is a plain function (a closure cannot travel to a worker); name the module that exports it " +
        '(module: { url, vectorField: "name" }) or use a compiled vector field',
    };
  }
  const solver = describeSolver(options.solver);
  if (typeof solver === "string") return { ok: false, reason: solver };
  const controller = describeController(options.stepsizeController);
  if (typeof controller === "string") return { ok: false, reason: controller };
  let saveat: ProblemDescriptor["saveat"] = null;
  const s: SaveAt | undefined = options.saveat;
  if (s !== undefined) {
    let fn: FunctionSource | null = null;
    if (s.fn !== undefined) {
      const d = fromModule(mod, url, m?.saveFn, s.fn, "`saveat.fn`", "saveFn");
      if (typeof d === "string") return { ok: false, reason: d };
      fn = d;
    }
    saveat = { t0: s.t0, t1: s.t1, ts: s.ts, fn };
  }
  let output: ProblemDescriptor["output"] = null;
  if (options.output !== undefined) {
    const d = fromModule(mod, url, m?.output, options.output.fn, "the `output` hook's fn", "output");
    if (typeof d === "string") return { ok: false, reason: d };
    output = { width: options.output.width, keepSaved: options.output.keepSaved ?? false, fn: d };
  }
  const rest: Record<string, unknown> = {};
  for (const key of Object.keys(options)) {
    if (HANDLED.has(key)) continue;
    const value = (options as unknown as Record<string, unknown>)[key];
    try {
      rest[key] = structuredClone(value);
    } catch {
      return { ok: false, reason: `the option \`${key}\` cannot be copied to a worker` };
    }
  }
  return { ok: true, descriptor: { vectorField, solver, controller, saveat, output, rest } };
}

/**
 * The exports of a compiled vector field's generated module (`toSource()`: a list of
 * `export const name = …;` with no imports), evaluated as a function body: no ES module loader
 * to start in a fresh worker. Null when the source has another shape, or code generation is off.
 */
function evaluateGenerated(source: string): Record<string, unknown> | null {
  if (!canGenerate()) return null;
  const names: string[] = [];
  const body = source.replace(/^export const ([A-Za-z_$][\w$]*) =/gm, (_, name: string) => {
    names.push(name);
    return `const ${name} =`;
  });
  if (names.length === 0 || /^\s*(export|import)\b/m.test(body)) return null;
  return new Function(`"use strict";\n${body}\nreturn { ${names.join(", ")} };`)() as Record<string, unknown>;
}

/** Loads a function in a worker from its source. */
export async function loadFunction(src: FunctionSource, cache: Map<string, Record<string, unknown>>): Promise<unknown> {
  const url = src.kind === "module" ? src.url : "data:text/javascript," + encodeURIComponent(src.source);
  let mod = cache.get(url);
  if (mod === undefined) {
    mod = (src.kind === "source" ? evaluateGenerated(src.source) : null) ?? ((await import(/* @vite-ignore */ url)) as Record<string, unknown>);
    cache.set(url, mod);
  }
  if (src.kind === "module") return mod[src.name];
  // Generated source of a compiled vector field (`toSource()`): it exports f, jac, jvp, vjp, … by
  // name; the vector field object is those functions (a default export, if any, wins).
  if (mod.default !== undefined) return mod.default;
  if (typeof mod.f === "function") {
    const vf: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(mod)) if (typeof value === "function" || key === "n" || key === "jacSparsity") vf[key] = value;
    const inline = src.inline;
    if (inline !== undefined) {
      const hook = inlineFromTemplate(inline);
      Object.defineProperty(vf, INLINE_VECTOR_FIELD, { value: () => hook, enumerable: false });
      installFusedKernels(fusedKernelFor); // a worker may not load the compiler, which installs them
    }
    return vf;
  }
  throw new Error("solveEnsemble worker: the compiled vector field's source exports no vector field.");
}

/** Rebuilds the options of `solveEnsemble` (less y0, args and trajectories) in a worker. */
export async function rebuildOptions(d: ProblemDescriptor, cache: Map<string, Record<string, unknown>>): Promise<Record<string, unknown>> {
  const vf = await loadFunction(d.vectorField, cache);
  const options: Record<string, unknown> = { ...d.rest };
  options.terms = new ODETerm(vf as never);
  const Solver = SOLVERS[d.solver.name];
  if (Solver === undefined) throw new Error(`solveEnsemble worker: this odeflow has no solver class ${d.solver.name}; run the same odeflow version everywhere.`);
  options.solver = new Solver(d.solver.options);
  if (d.controller !== null) options.stepsizeController = rebuildController(d.controller);
  if (d.saveat !== null) {
    const so: Record<string, unknown> = { t0: d.saveat.t0, t1: d.saveat.t1 };
    if (d.saveat.ts !== undefined) so.ts = d.saveat.ts;
    if (d.saveat.fn !== null) so.fn = await loadFunction(d.saveat.fn, cache);
    options.saveat = new SaveAt(so);
  }
  if (d.output !== null) options.output = { width: d.output.width, keepSaved: d.output.keepSaved, fn: await loadFunction(d.output.fn, cache) };
  return options;
}

/**
 * A key that is equal for equal descriptors: a worker keeps what it rebuilt under it. (Numbers are
 * written exactly by JSON; typed arrays as arrays of their numbers.)
 */
export function descriptorKey(d: ProblemDescriptor): string {
  return JSON.stringify(d, (_k, v: unknown) => (ArrayBuffer.isView(v) ? { typed: v.constructor.name, values: Array.from(v as unknown as ArrayLike<number>) } : v));
}
