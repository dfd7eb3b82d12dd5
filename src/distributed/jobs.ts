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

export function encodeInputs(inputs: EnsembleInputs): unknown {
  return encode(inputs, `the inputs of trajectories [${inputs.start}, ${inputs.end})`);
}

export function decodeJob(data: JobData): { problem: EnsembleProblem; inputs: EnsembleInputs } {
  return { problem: decode(data.problem) as EnsembleProblem, inputs: decode(data.inputs) as EnsembleInputs };
}

export function encodePart(part: EnsemblePart): unknown {
  return encode(part, "the result");
}

export function decodePart(value: unknown): EnsemblePart {
  const v = typeof value === "string" ? (JSON.parse(value) as unknown) : value;
  return decode(v) as EnsemblePart;
}

/**
 * Errors of the vector field itself (`solveEnsemble: trajectory i: …`) are the problem's, not
 * the worker's: retrying elsewhere gives the same error, so the job fails at once.
 */
export function isProblemError(e: unknown): boolean {
  return e instanceof Error && /^solveEnsemble: trajectory \d+: /.test(e.message);
}
