/**
 * What a job carries through the queue and what it returns, and the names both sides share.
 *
 * A job is one range of trajectories of one run: `{ run, problem, inputs }`, all JSON (see
 * codec.ts). The problem travels with every job, so any job can be (re)added or retried on its
 * own: after a worker dies, after Redis restarts empty, on any machine. Its id is
 * `<run>-<start>`, so a run finds its own jobs and a job added twice is one job.
 */
import type { EnsembleInputs, EnsemblePart, EnsembleProblem } from "../index.js";
import { decode, encode } from "./codec.js";

/** Default queue name (workers and clients must agree). */
export const DEFAULT_QUEUE = "odeflow-ensemble";

/** The data of one job, as stored. */
export interface JobData {
  readonly run: string;
  readonly problem: unknown;
  readonly inputs: unknown;
}

export function jobId(run: string, start: number): string {
  return `${run}-${start}`;
}

/** The run a job id belongs to, and its first trajectory. */
export function parseJobId(id: string): { run: string; start: number } | null {
  const k = id.lastIndexOf("-");
  if (k <= 0) return null;
  const start = Number(id.slice(k + 1));
  return Number.isInteger(start) ? { run: id.slice(0, k), start } : null;
}

export function encodeProblem(problem: EnsembleProblem): unknown {
  return encode(problem, "the problem");
}

/** The row all initial states of a range share (the common `y0: () => [...]`), or null. */
function sharedRow(y0s: Float64Array, n: number): Float64Array | null {
  for (let k = n; k < y0s.length; k++) if (!Object.is(y0s[k], y0s[k % n])) return null;
  return y0s.subarray(0, n);
}

/**
 * A range's inputs for the queue; initial states that are all one row travel as that row
 * (`y0Row`), which keeps a job of 1,000 trajectories of a 3-component state 32 KB smaller.
 */
export function encodeInputs(inputs: EnsembleInputs, n: number): unknown {
  const what = `the inputs of trajectories [${inputs.start}, ${inputs.end})`;
  const row = sharedRow(inputs.y0s, n);
  if (row === null) return encode(inputs, what);
  return encode({ start: inputs.start, end: inputs.end, y0Row: row, args: inputs.args }, what);
}

export function decodeJob(data: JobData): { problem: EnsembleProblem; inputs: EnsembleInputs } {
  const problem = decode(data.problem) as EnsembleProblem;
  const got = decode(data.inputs) as EnsembleInputs & { y0Row?: Float64Array };
  if (got.y0Row === undefined) return { problem, inputs: got };
  const y0s = new Float64Array((got.end - got.start) * problem.n);
  for (let k = 0; k < y0s.length; k += problem.n) y0s.set(got.y0Row, k);
  return { problem, inputs: { start: got.start, end: got.end, y0s, args: got.args } };
}

export function encodePart(part: EnsemblePart): unknown {
  return encode(part, "the result");
}

export function decodePart(value: unknown): EnsemblePart {
  const v = typeof value === "string" ? (JSON.parse(value) as unknown) : value;
  return decode(v) as EnsemblePart;
}

/**
 * Errors of the problem itself (a hook that threw: `solveEnsemble: the \`output.fn\` hook threw for
 * trajectory i: …`, or `solveEnsemble: trajectory i: …`) are not the worker's: retrying elsewhere
 * gives the same error, so the job fails at once. (A vector field that throws is no error here: it
 * ends its trajectory with a failure result, as in solveEnsemble.)
 */
export function isProblemError(e: unknown): boolean {
  return e instanceof Error && /^solveEnsemble: (trajectory \d+: |the `[^`]+` hook threw for trajectory \d+: )/.test(e.message);
}
