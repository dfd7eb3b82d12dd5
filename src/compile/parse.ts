/**
 * Parsing: a vector field (a function or its source text) to the ESTree node of that function,
 * with acorn. Any syntax a modern engine prints from `fn.toString()` is accepted here; what the
 * compiler understands is decided later, in the lowering.
 */
import { Parser, tokTypes, type Node } from "acorn";
import { describeValue } from "../tree.js";
import { CompileError, errorAt } from "./errors.js";

/**
 * acorn's parser with its binary-operator loop made iterative. acorn parses `a + b + c + …` by
 * precedence climbing whose tail call recurses once per operator, so a flat sum of a few thousand
 * terms (a generated reaction network, say) runs out of stack. Here the tail call is a loop: the
 * recursion that remains is for a right operand of higher precedence, at most one level per
 * precedence class, so a flat chain of any length parses in constant stack. The logic is acorn's
 * `parseExprOp`, statement for statement (same nodes, same positions, same errors).
 */
const IterativeParser = Parser.extend(
  (Base) =>
    class extends (Base as any) {
      parseExprOp(left: any, leftStartPos: number, leftStartLoc: unknown, minPrec: number, forInit: boolean): any {
        for (;;) {
          let prec = this.type.binop;
          if (prec == null || (forInit && this.type === tokTypes._in) || !(prec > minPrec)) return left;
          const logical = this.type === tokTypes.logicalOR || this.type === tokTypes.logicalAND;
          const coalesce = this.type === tokTypes.coalesce;
          // `??` takes the precedence of the logical operators (acorn's rule), so mixing them unparenthesised is refused below.
          if (coalesce) prec = (tokTypes.logicalAND as { binop?: number }).binop;
          const op = this.value;
          this.next();
          const startPos = this.start;
          const startLoc = this.startLoc;
          const right = this.parseExprOp(this.parseMaybeUnary(null, false, false, forInit), startPos, startLoc, prec, forInit);
          left = this.buildBinary(leftStartPos, leftStartLoc, left, right, op, logical || coalesce);
          if ((logical && this.type === tokTypes.coalesce) || (coalesce && (this.type === tokTypes.logicalOR || this.type === tokTypes.logicalAND))) {
            this.raiseRecoverable(this.start, "Logical expressions and coalesce expressions cannot be mixed. Wrap either by parentheses");
          }
        }
      }
    } as unknown as typeof Parser,
);

function acornParse(text: string, options: Parameters<typeof Parser.parse>[1]): Node {
  return IterativeParser.parse(text, options);
}

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
    throw new CompileError(`\`fn\` must be a function or its source text; got ${describeValue(input)}.`,
      "pass the vector field, (t, y, args) => [ … ], its source text, or a ModelBuilder.", "");
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
  if (/stack space/.test(msg)) {
    throw errorAt(
      source, at,
      "the source is nested too deeply to parse (the parser ran out of stack inside nested parentheses, calls or conditionals).",
      "break deeply nested expressions into local variables (const s1 = …; const s2 = s1 + …), or write long series as a for loop over an array in options.consts. Flat chains such as a + b + c + … of any length parse.",
    );
  }
  throw errorAt(
    source, at,
    `the source could not be parsed as a function (${msg}).`,
    "pass an arrow function or function expression (or its source text), e.g. (t, [x, v], { k }) => [v, -k * x].",
  );
}
