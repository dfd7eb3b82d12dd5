/**
 * Everything the page runs that a user (or a shared link: someone else's code) typed goes through
 * the compiler: the vector field, the diffusion, the event condition and the event's affect. The
 * compiler parses the source and accepts arithmetic on y, t and args only (no property access
 * beyond Math, no calls, no globals), so no link can run arbitrary JavaScript. Nothing here uses
 * `new Function` or `eval` on the user's text.
 */
import { CompileError, Event, compile, type EventDirection } from "../../src/index.js";
// The compiler's own lowering of scalar conditions (as the WebGPU backend uses for events).
import { lowerCondition } from "../../src/compile/condition.js";
import { canGenerate, fromGraph } from "../../src/compile/field.js";
import type { EventSpec } from "./gallery.js";

/** A problem with the user's input; `where` names the field, `line`/`column` point into it. */
export class PlaygroundError extends Error {
  constructor(
    readonly where: "code" | "diffusion" | "event" | "settings" | "solve",
    message: string,
    readonly line = 0,
    readonly column = 0,
    /** Advice that fits the page (which box to change, which dropdown to use). */
    readonly fix = "",
  ) {
    super(message);
  }
}

type InPlace = (t: number, y: Float64Array, args: unknown, out: Float64Array) => void;

/**
 * Page-fitting advice for a compile error: a misspelt variable gets "did you mean `beta`?"
 * (among the parameters in args and the names the field declares), an unknown one the line to
 * add to args; anything else keeps the compiler's own fix.
 */
export function adviceFor(e: CompileError, source: string, args: Record<string, number>): string {
  const m = /^`([A-Za-z_$][\w$]*)` is (?:a variable from outside|assigned but not declared)/.exec(e.reason);
  if (m === null) return e.hint;
  const name = m[1]!;
  const known = new Set([...Object.keys(args), ...declaredNames(source)]);
  known.delete(name);
  let best = "", bestD = Infinity;
  for (const k of known) {
    const d = editDistance(name.toLowerCase(), k.toLowerCase());
    if (d < bestD) { best = k; bestD = d; }
  }
  if (best !== "" && bestD <= Math.max(1, Math.floor(name.length / 3))) return `did you mean \`${best}\`?`;
  return `\`${name}\` is not defined: add it to args, e.g. {${Object.entries(args).map(([k, v]) => `"${k}": ${v}, `).join("")}"${name}": 1}, and read it in the parameter list, e.g. { ${[...Object.keys(args), name].join(", ")} }.`;
}

/** Identifiers a source declares: destructured parameters and const/let/var names (a lexical scan, for suggestions only). */
function declaredNames(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(/\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)/g)) out.push(m[1]!);
  for (const m of source.matchAll(/[[{]([^[\]{}()]*)[\]}]/g)) {
    for (const part of m[1]!.split(",")) {
      const id = /^\s*([A-Za-z_$][\w$]*)\s*(?:[:=]|$)/.exec(part);
      if (id) out.push(id[1]!);
    }
  }
  return out;
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  }
  return d[a.length]![b.length]!;
}

/** Runs `make`, turning a compile error into a PlaygroundError at `where` with page-fitting advice. */
function compiled<T>(where: "code" | "diffusion" | "event", label: string, source: string, args: Record<string, number>, make: () => T): T {
  try {
    return make();
  } catch (e) {
    if (e instanceof CompileError) {
      const fix = adviceFor(e, source, args);
      const text = `${label}${e.reason}${e.line > 0 ? ` (line ${e.line}, column ${e.column})` : ""}\n${e.frame ? e.frame + "\n" : ""}Fix: ${fix}`;
      throw new PlaygroundError(where, text, e.line, e.column, fix);
    }
    throw new PlaygroundError(where, `${label}${(e as Error)?.message ?? String(e)}`);
  }
}

/** The vector field, compiled (exact Jacobians for the stiff solvers). */
export function compileField(source: string, n: number, args: Record<string, number>) {
  return compiled("code", "compile: ", source, args, () => compile(source, { n, args: Object.keys(args).length > 0 ? args : undefined }));
}

/** The diagonal diffusion g(t, y, args, g), compiled. */
export function compileDiffusion(source: string, n: number, args: Record<string, number>): InPlace {
  const g = compiled("diffusion", "Diffusion: ", source, args, () => compile(source, { n, args: Object.keys(args).length > 0 ? args : undefined }));
  return g.f as InPlace;
}

/** The event: its condition and affect compiled, its direction and terminal flag checked. */
export function compileEvent(spec: EventSpec, n: number, args: Record<string, number>): Event {
  if (!["up", "down", "either"].includes(spec.direction)) {
    throw new PlaygroundError("event", `Event: direction must be up, down or either; got ${JSON.stringify(spec.direction)}.`);
  }
  const lowered = compiled("event", "Event condition: ", spec.cond, args, () => lowerCondition(spec.cond, n));
  const kernel = fromGraph(lowered.graph, [lowered.output], lowered.layout, canGenerate() ? "codegen" : "interpreter");
  const g = new Float64Array(1);
  const cond = (t: number, y: Float64Array, a: unknown): number => {
    (kernel.f as InPlace)(t, y, a, g);
    return g[0]!;
  };
  let affect: ((t: number, y: Float64Array, a: unknown) => void) | undefined;
  if (spec.affect !== undefined && spec.affect.trim() !== "") {
    const source = spec.affect;
    const a = compiled("event", "Event affect: ", source, args, () => compile(source, { n, args: Object.keys(args).length > 0 ? args : undefined }));
    const next = new Float64Array(n);
    affect = (t, y, argv) => {
      (a.f as InPlace)(t, y, argv, next);
      y.set(next);
    };
  }
  try {
    return new Event({ cond, direction: spec.direction as EventDirection, terminal: spec.terminal === true, ...(affect ? { affect } : {}) });
  } catch (e) {
    throw new PlaygroundError("event", `Event: ${(e as Error).message}`);
  }
}
