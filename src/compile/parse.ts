/**
 * Parsing: a vector field (a function or its source text) to the ESTree node of that function,
 * with acorn. Any syntax a modern engine prints from `fn.toString()` is accepted here; what the
 * compiler understands is decided later, in the lowering.
 */
import { parse as acornParse, type Node } from "acorn";
import { CompileError, errorAt } from "./errors.js";

/** A parsed vector field: the function node and the source it came from. */
export interface ParsedFunction {
  /** The ArrowFunctionExpression or FunctionExpression node (ESTree, as produced by acorn). */
  fn: any;
  /** The user's source text (code frames point into it). */
  source: string;
  /** Offset of the user's source inside the text given to acorn (node positions minus this). */
  shift: number;
}

/** Captured at load, so that a later replacement of the global `Function` cannot change it. */
const functionToString = Function.prototype.toString;

/** Parses a function or a source string into its function node. */
export function parseFunction(input: Function | string): ParsedFunction {
  let source: string;
  if (typeof input === "function") {
    source = functionToString.call(input);
    if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) {
      throw new CompileError(
        `the function \`${input.name || "(anonymous)"}\` has no readable source (it is a native or bound function).`,
        "pass the vector field itself, written as an arrow or function expression, not a built-in or the result of .bind(); use options.consts for fixed values.",
        "",
      );
    }
  } else if (typeof input === "string") {
    source = input;
  } else {
    throw new TypeError(`compile(fn): \`fn\` must be a function or its source text; got ${input === null ? "null" : typeof input}.`);
  }
  const cov = /\b(cov_[0-9a-zA-Z_]+|__coverage__)\b/.exec(source);
  if (cov !== null) {
    throw errorAt(
      source, { start: cov.index, end: cov.index + cov[0].length },
      "this source is coverage-instrumented (it calls the coverage counter `" + cov[0] + "`), so it cannot be compiled as written.",
      "exclude the vector field's file from coverage instrumentation, or pass the original source text to compile.",
    );
  }
  const helper = /\b__(values|read|spread|spreadArray|spreadArrays|assign|rest)\(/.exec(source);
  if (helper !== null) {
    throw errorAt(
      source, { start: helper.index, end: helper.index + helper[0].length - 1 },
      `\`${helper[0].slice(0, -1)}\` is a helper that tsc emits for ES5 iteration, spread or object rest (downlevelIteration / importHelpers); it cannot be compiled.`,
      "compile the TypeScript with target ES2015 or later, or without downlevelIteration (plain for … of over arrays becomes an index loop), and avoid spreads.",
    );
  }
  if (/^\s*class\b/.test(source)) {
    throw new CompileError("a class cannot be compiled.", "pass the vector field function itself: (t, y, args, dy) => { … }.", "");
  }
  // An expression (arrow, function expression, named function) or an object method's text.
  const attempts: [string, number, (root: any) => any][] = [
    ["(", 1, (root) => root.body[0]?.expression],
    ["({", 2, (root) => root.body[0]?.expression?.properties?.[0]?.value],
  ];
  let firstError: unknown;
  for (const [open, shift, pick] of attempts) {
    const text = open + source + (open === "(" ? "\n)" : "\n})");
    let root: Node;
    try {
      root = acornParse(text, { ecmaVersion: "latest", sourceType: "script", allowAwaitOutsideFunction: false });
    } catch (e) {
      firstError ??= e;
      continue;
    }
    const fn = pick(root);
    if (fn && (fn.type === "ArrowFunctionExpression" || fn.type === "FunctionExpression")) {
      if (fn.async || fn.generator) {
        throw errorAt(source, { start: fn.start - shift, end: fn.start - shift + 5 },
          `${fn.async ? "an async" : "a generator"} function cannot be compiled.`,
          "write the vector field as a plain synchronous function that returns (or writes dy) directly.");
      }
      return { fn, source, shift };
    }
    firstError ??= new Error("not a function expression");
  }
  const msg = firstError instanceof Error ? firstError.message : String(firstError);
  const pos = (firstError as { pos?: number })?.pos;
  const at = pos === undefined ? undefined : { start: Math.max(0, pos - 1), end: pos };
  throw errorAt(
    source, at,
    `the source could not be parsed as a function (${msg}).`,
    "pass an arrow function or function expression (or its source text), e.g. (t, [x, v], { k }) => [v, -k * x].",
  );
}
