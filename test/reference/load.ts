/**
 * Loads the published reference problems (../shared/reference/problems.json) at test time and
 * turns their JavaScript-syntax right-hand sides and closed forms into functions.
 * Expected values come only from that file (published sources or closed forms), never from our solver.
 */
import { readReferenceProblems } from "./path.js";

export interface ReferenceProblem {
  name: string;
  n: number;
  rhs: string[];
  y0: number[];
  t0: number;
  t1: number;
  exact?: string[];
  cases?: { id: string; rhs: string[]; y0: number[]; exact: string }[];
  reference?: { t: number; y: number[] }[];
  source: string;
}

let cache: ReferenceProblem[] | undefined;

/** The named problem from problems.json. */
export function problem(name: string): ReferenceProblem {
  cache ??= readReferenceProblems<ReferenceProblem>().problems;
  const p = cache.find((q) => q.name === name);
  if (p === undefined) throw new Error(`problems.json has no problem named ${name}`);
  return p;
}

/** `(t, y, args, dy) => { dy[i] = rhs[i]; … }` from the problem's expressions. */
export function vectorField(rhs: readonly string[]): (t: number, y: Float64Array, args: unknown, dy: Float64Array) => void {
  const body = rhs.map((r, i) => `dy[${i}] = ${r};`).join("\n");
  return new Function("t", "y", "args", "dy", `"use strict";\n${body}`) as (t: number, y: Float64Array, args: unknown, dy: Float64Array) => void;
}

/** `t => exact(t)` from a closed-form expression in t. */
export function closedForm(expr: string): (t: number) => number {
  return new Function("t", `"use strict"; return ${expr};`) as (t: number) => number;
}

/**
 * Largest error over saved times and components, scaled by the requested tolerance:
 * max |y_num − y_exact| / (atol + rtol·|y_exact|).
 */
export function scaledError(
  ts: ArrayLike<number>,
  ys: readonly ArrayLike<number>[],
  exact: readonly ((t: number) => number)[],
  rtol: number,
  atol: number,
): { scaled: number; abs: number } {
  let scaled = 0;
  let abs = 0;
  for (let i = 0; i < ts.length; i++) {
    for (let j = 0; j < exact.length; j++) {
      const x = exact[j]!(ts[i]!);
      const d = Math.abs(ys[i]![j]! - x);
      if (!(d <= abs)) abs = d; // also propagates NaN
      const s = d / (atol + rtol * Math.abs(x));
      if (!(s <= scaled)) scaled = s;
    }
  }
  return { scaled, abs };
}

/**
 * Tolerance proportionality over a range of rtol: from the loosest to the tightest, the error must
 * fall by at least half as many decades as rtol does. Skipped when the error at the loosest rtol is
 * already below 1% of it: high-order methods on easy problems overshoot the tolerance by orders of
 * magnitude and their error then reflects round-off and luck, not the tolerance.
 */
export function checkProportional(errors: readonly number[], rtols: readonly number[], label: string): void {
  const first = errors[0]!;
  const last = errors[errors.length - 1]!;
  const decades = Math.log10(rtols[0]! / rtols[rtols.length - 1]!);
  if (!(first >= 0.01 * rtols[0]!)) return;
  if (!(last <= first / 10 ** (decades / 2))) {
    throw new Error(
      `${label}: error ${first.toExponential(2)} at rtol ${rtols[0]} fell only to ${last.toExponential(2)} at rtol ${rtols[rtols.length - 1]} ` +
        `(needed a fall of 10^${(decades / 2).toFixed(1)})`,
    );
  }
}
