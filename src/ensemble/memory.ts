/**
 * The memory an ensemble allocates, estimated before anything is allocated, and the budget it must
 * fit (`maxMemory`). An ensemble that does not fit stops at once with the size and what to change,
 * instead of running for minutes and then failing an allocation (or exhausting the machine).
 *
 * Per trajectory, an ensemble stores: its initial state (n doubles), a reference to its args
 * (8 bytes in the args table), its saved rows (K rows of one time and `width` numbers each, when
 * rows are kept), 29 bytes of result code and counters, its output-hook row (`outputWidth`
 * doubles) and, with `SaveAt({ steps })`, the index of its first row (8 bytes; the rows themselves
 * grow with the steps and are checked as they grow). The args objects a function returns, and the
 * loop's buffers (shared by all trajectories of a thread), are not counted.
 *
 * This budget is the ensemble's as a whole; each trajectory's own saved output is also bounded by
 * `diffeqsolve`'s `maxOutputBytes`.
 */
import { formatBytes } from "../util/memory.js";
import { ResourceError } from "../results.js";

/** Default of `maxMemory`: 2 GiB. */
export const DEFAULT_MAX_MEMORY = 2 * 1024 ** 3;

/** Bytes of result code and counters per trajectory (results, counts, tFinal, four step counters). */
const CODES_BYTES = 1 + 4 + 8 + 4 * 4;

/** What one trajectory costs, by part. */
export interface TrajectoryBytes {
  y0: number;
  args: number;
  rows: number;
  codes: number;
  output: number;
  total: number;
}

/** Sizes the estimate needs. */
export interface EnsembleSize {
  N: number;
  /** State length. */
  n: number;
  /** Rows kept per trajectory (0 when rows are not kept, or vary with `SaveAt({ steps })`). */
  rows: number;
  /** Numbers per saved row (n, or the width of `SaveAt.fn`; a lower bound is fine before it is known). */
  width: number;
  outputWidth: number;
  variableRows: boolean;
}

/** Bytes per trajectory. */
export function trajectoryBytes(s: EnsembleSize): TrajectoryBytes {
  const y0 = 8 * s.n;
  const args = 8;
  const rows = 8 * s.rows * (s.width + 1) + (s.variableRows ? 8 : 0);
  const output = 8 * s.outputWidth;
  return { y0, args, rows, codes: CODES_BYTES, output, total: y0 + args + rows + CODES_BYTES + output };
}


/** `maxMemory` as given: a number of bytes > 0 (Infinity lifts the limit). */
export function checkMaxMemory(value: unknown, api: string): number {
  if (value === undefined) return DEFAULT_MAX_MEMORY;
  if (typeof value !== "number" || !(value > 0)) {
    throw new RangeError(`${api}: \`maxMemory\` = ${String(value)} must be a number of bytes > 0 (for example maxMemory: 8e9), or Infinity for no limit.`);
  }
  return value;
}

/**
 * Throws a ResourceError (a RangeError) when an ensemble of `s` needs more than `maxMemory` bytes: the message gives
 * the size, its parts per trajectory, and the alternatives.
 */
export function checkEnsembleMemory(s: EnsembleSize, maxMemory: number, api: string): void {
  const per = trajectoryBytes(s);
  const bytes = per.total * s.N;
  if (bytes <= maxMemory) return;
  const parts = [
    `initial states ${per.y0} B`, `args table ${per.args} B`,
    ...(per.rows > 0 ? [`saved rows ${s.rows} × (${s.width} + 1) numbers = ${per.rows} B`] : []),
    `result codes and counters ${per.codes} B`,
    ...(per.output > 0 ? [`output rows ${per.output} B`] : []),
  ];
  const fits = Math.floor(maxMemory / per.total);
  const alternatives: string[] = [];
  if (s.rows > 0) {
    alternatives.push(
      "keep a summary instead of the saved rows: an `output` hook { width, fn } with keepSaved: false stores only its width numbers per trajectory (fold them with `reduce`)",
      "save fewer rows (fewer SaveAt ts, or SaveAt({ t1: true }) only)",
    );
  }
  alternatives.push(fits >= 1 ? `solve in batches of at most ${fits.toLocaleString("en-US")} trajectories` : "solve fewer trajectories per call");
  alternatives.push(`raise \`maxMemory\` (bytes; Infinity lifts the limit) if the machine has the memory`);
  throw new ResourceError(
    `${api}: ${s.N.toLocaleString("en-US")} trajectories need about ${formatBytes(bytes)} ` +
      `(${formatBytes(per.total)} per trajectory: ${parts.join(", ")}), above \`maxMemory\` = ${formatBytes(maxMemory)}. ` +
      `Instead: ${alternatives.join("; or ")}.`,
  );
}

/**
 * Allocates with `make`, turning an engine's allocation failure (a RangeError "Array buffer
 * allocation failed" or "Invalid typed array length") into an error that says what was asked for.
 */
export function allocating<T>(bytes: number, api: string, make: () => T): T {
  try {
    return make();
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    const err = new ResourceError(
      `${api}: could not allocate ${formatBytes(bytes)} for the ensemble: the JavaScript engine refused an array that large ` +
        "(the machine, or the engine's limit for one array, has less; its message is this error's cause). Solve in batches of fewer " +
        "trajectories, or keep less per trajectory (an `output` hook with keepSaved: false, fewer SaveAt times); `maxMemory` sets the budget checked before allocating.",
    );
    (err as { cause?: unknown }).cause = e;
    throw err;
  }
}

export { formatBytes };
