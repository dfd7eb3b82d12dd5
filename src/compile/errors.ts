/**
 * Compile errors: what is not supported, where (a code frame of the user's source with a caret),
 * and how to fix it.
 */

/** A position in the source being compiled (0-based character offsets, as acorn reports them). */
export interface SourceSpan {
  start: number;
  end: number;
}

/**
 * Thrown by `compile` when a vector field uses something outside the compilable subset, or
 * cannot be parsed. `message` holds the reason, a code frame and a fix hint; the parts are also
 * available separately.
 *
 * @example
 * ```ts
 * try { compile((t, y) => [k * y[0]]); } catch (e) { if (e instanceof CompileError) console.log(e.hint); }
 * ```
 */
export class CompileError extends Error {
  override readonly name = "CompileError";
  constructor(
    /** What is wrong, in one sentence. */
    readonly reason: string,
    /** How to fix it. */
    readonly hint: string,
    /** The source lines around the problem with a caret under it ("" when there is no source). */
    readonly frame: string,
    /** 1-based line and column of the problem in the compiled source (0 when unknown). */
    readonly line = 0,
    readonly column = 0,
  ) {
    super(`compile: ${reason}${line > 0 ? ` (line ${line}, column ${column})` : ""}\n${frame ? frame + "\n" : ""}Fix: ${hint}`);
  }
}

/** Line and column (1-based) of a character offset. */
export function lineColumn(source: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < source.length; i++) {
    if (source.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * A code frame: up to two lines before the problem, the line itself with `^^^` under the span,
 * and one line after. Long lines (minified code) are cut to a window around the span.
 */
export function codeFrame(source: string, span: SourceSpan): string {
  const lines = source.split("\n");
  const { line, column } = lineColumn(source, span.start);
  const out: string[] = [];
  const width = String(Math.min(lines.length, line + 1)).length;
  const WINDOW = 100;
  for (let l = Math.max(1, line - 2); l <= Math.min(lines.length, line + 1); l++) {
    let text = lines[l - 1]!;
    let col = column;
    if (text.length > WINDOW) {
      // Cut a window around the problem (minified sources are one long line).
      const from = l === line ? Math.max(0, column - 1 - 40) : 0;
      text = (from > 0 ? "…" : "") + text.slice(from, from + WINDOW) + (text.length > from + WINDOW ? "…" : "");
      if (l === line) col = column - from + (from > 0 ? 1 : 0);
    }
    out.push(`${l === line ? ">" : " "} ${String(l).padStart(width)} | ${text}`);
    if (l === line) {
      const len = Math.max(1, Math.min(span.end - span.start, text.length - col + 1, 60));
      out.push(`  ${" ".repeat(width)} | ${" ".repeat(Math.max(0, col - 1))}${"^".repeat(len)}`);
    }
  }
  return out.join("\n");
}

/** A CompileError located at `span` in `source`. */
export function errorAt(source: string, span: SourceSpan | undefined, reason: string, hint: string): CompileError {
  if (span === undefined || source === "") return new CompileError(reason, hint, "");
  const { line, column } = lineColumn(source, span.start);
  return new CompileError(reason, hint, codeFrame(source, span), line, column);
}
