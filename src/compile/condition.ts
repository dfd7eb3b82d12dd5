/**
 * Event conditions through the compiler: `(t, y, args) => g` lowered to the expression graph, so
 * that a GPU kernel can evaluate it (the WebGPU ensemble backend locates terminating events with
 * it). The accepted subset is that of `compile`.
 */
import type { ArgLayout } from "./args.js";
import { Graph, Op } from "./graph.js";
import { lower } from "./lower.js";
import { parseFunction } from "./parse.js";

/** A lowered condition: one output node of its own graph and parameter layout. */
export interface LoweredCondition {
  readonly graph: Graph;
  readonly output: number;
  readonly layout: ArgLayout;
  /**
   * Whether the condition is a boolean (a comparison or `!`, valued 1 or 0): its switch is located
   * by bisection on the sign of 2g − 1, as the CPU loop treats boolean conditions.
   */
  readonly boolean: boolean;
}

const BOOLEAN_OPS = new Set<Op>([Op.LT, Op.LE, Op.GT, Op.GE, Op.EQ, Op.NE, Op.NOT]);

/**
 * Lowers an event condition for a state of n components.
 *
 * @example
 * ```ts
 * const c = lowerCondition((t, y) => y[0] - 1, 3);   // c.graph, c.output
 * ```
 * @throws CompileError for a source outside the compiler's subset.
 */
export function lowerCondition(fn: Function | string, n: number, consts?: Record<string, unknown>): LoweredCondition {
  const lowered = lower(parseFunction(fn), { n, consts, scalar: true });
  const output = lowered.outputs[0]!;
  return { graph: lowered.graph, output, layout: lowered.layout, boolean: BOOLEAN_OPS.has(lowered.graph.op[output] as Op) };
}
