/**
 * Progress meters for long solves. The loop reports the current time every few steps; a solve
 * without a meter pays one null check per step.
 */
import { describeValue } from "./tree.js";
import { checkKeys } from "./util/options.js";

/** What the integration loop calls. */
export interface ProgressMeter {
  /** Called once before the first step. */
  start(t0: number, t1: number): void;
  /** Called every few accepted steps with the current time. */
  update(t: number): void;
  /** Called once when the solve ends (successfully or not). */
  finish(t: number): void;
}

/**
 * Calls `fn(fraction, t)` with the fraction of [t0, t1] done, at most every `intervalMs`
 * milliseconds (and always at start and finish). Suits browsers: update a progress element.
 *
 * @example
 * ```ts
 * diffeqsolve({ ...options, progressMeter: new CallbackProgressMeter((p) => bar.value = p) });
 * ```
 */
export class CallbackProgressMeter implements ProgressMeter {
  private t0 = 0;
  private span = 1;
  private last = -Infinity;
  constructor(
    private readonly fn: (fraction: number, t: number) => void,
    /** Minimum time between two calls. @defaultValue 100 */
    private readonly intervalMs = 100,
  ) {
    if (typeof fn !== "function") throw new TypeError("new CallbackProgressMeter(fn): `fn` must be a function (fraction, t) => void.");
    if (typeof intervalMs !== "number" || !(intervalMs >= 0)) {
      throw new RangeError(`new CallbackProgressMeter(fn, intervalMs): \`intervalMs\` = ${describeValue(intervalMs)} must be a number of milliseconds ≥ 0.`);
    }
  }
  start(t0: number, t1: number): void {
    this.t0 = t0;
    this.span = t1 - t0 || 1;
    this.last = now();
    this.fn(0, t0);
  }
  update(t: number): void {
    const time = now();
    if (time - this.last < this.intervalMs) return;
    this.last = time;
    this.fn(Math.min(1, Math.max(0, (t - this.t0) / this.span)), t);
  }
  finish(t: number): void {
    this.fn(Math.min(1, Math.max(0, (t - this.t0) / this.span)), t);
  }
}

/**
 * A text progress bar on standard error (Node) or the console (browsers), redrawn at most every
 * `intervalMs` milliseconds.
 *
 * @example
 * ```ts
 * diffeqsolve({ ...options, progressMeter: new TextProgressMeter() });
 * // [##########----------]  50.0%  t = 5
 * ```
 */
export class TextProgressMeter implements ProgressMeter {
  private readonly inner: CallbackProgressMeter;
  constructor(options: { width?: number; intervalMs?: number; write?: (text: string) => void } = {}) {
    const what = "new TextProgressMeter(options)";
    checkKeys(options, ["width", "intervalMs", "write"], what);
    const width = options.width ?? 40;
    if (typeof width !== "number" || !Number.isInteger(width) || width < 1 || width > 1000) {
      throw new RangeError(`${what}: \`width\` = ${describeValue(width)} must be a whole number of characters from 1 to 1000.`);
    }
    const write = options.write ?? defaultWrite;
    if (typeof write !== "function") throw new TypeError(`${what}: \`write\` must be a function (text) => void; got ${describeValue(write)}.`);
    const interval = options.intervalMs ?? 100;
    if (typeof interval !== "number" || !(interval >= 0)) {
      throw new RangeError(`${what}: \`intervalMs\` = ${describeValue(interval)} must be a number of milliseconds ≥ 0.`);
    }
    this.inner = new CallbackProgressMeter((fraction, t) => {
      const filled = Math.round(fraction * width);
      write(`\r[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${(fraction * 100).toFixed(1).padStart(5)}%  t = ${t.toPrecision(6)}`);
    }, interval);
    this.finishWrite = write;
  }
  private readonly finishWrite: (text: string) => void;
  start(t0: number, t1: number): void {
    this.inner.start(t0, t1);
  }
  update(t: number): void {
    this.inner.update(t);
  }
  finish(t: number): void {
    this.inner.finish(t);
    this.finishWrite("\n");
  }
}

function now(): number {
  return typeof performance !== "undefined" ? performance.now() : Date.now();
}

function defaultWrite(text: string): void {
  // The core imports no Node built-in: reach stderr through the global `process` when present.
  const proc = (globalThis as { process?: { stderr?: { write(s: string): void } } }).process;
  if (proc?.stderr) proc.stderr.write(text);
  else if (text.trim()) console.log(text.trim());
}
