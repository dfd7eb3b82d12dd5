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

/** Options of {@link TextProgressMeter}. */
export interface TextProgressMeterOptions {
  /** Characters of the bar. @defaultValue 40 */
  width?: number;
  /** Least time between two redraws (terminal) or two lines (not a terminal). @defaultValue 100 on a terminal, 5000 otherwise */
  intervalMs?: number;
  /** Where the text goes. @defaultValue standard error (Node), the console (browsers) */
  write?: (text: string) => void;
  /**
   * Whether the text goes to a terminal: a bar redrawn in place (`\r`) with rate and ETA; else one
   * plain line per interval, which reads well in a log file or CI output.
   * @defaultValue `process.stderr.isTTY` without `write`; `true` with it
   */
  tty?: boolean;
  /** Show nothing until the solve has run this long (a short solve then prints nothing at all). @defaultValue 0 */
  delayMs?: number;
}

/**
 * A text progress meter. On a terminal, a bar redrawn in place with the rate (time units of the
 * problem per second of wall time) and the estimated time left; elsewhere (a pipe, a log file,
 * CI) a plain line every few seconds, with no `\r` frames.
 *
 * @example
 * ```ts
 * diffeqsolve({ ...options, progressMeter: new TextProgressMeter() });
 * // terminal:  [################--------------------------]  40.0%  t = 4.00000  2.01 t/s  ETA 3 s
 * // log file:  progress 40.0% (t = 4 of 0 … 10), 2 s elapsed, ETA 3 s
 * ```
 */
export class TextProgressMeter implements ProgressMeter {
  private readonly inner: CallbackProgressMeter;
  private readonly write: (text: string) => void;
  private readonly tty: boolean;
  private readonly width: number;
  private t0 = 0;
  private t1 = 1;
  private started = 0;
  private readonly delayMs: number;
  /** Whether anything was written (a delayed meter may finish without a word). */
  private drawn = false;

  constructor(options: TextProgressMeterOptions = {}) {
    const what = "new TextProgressMeter(options)";
    checkKeys(options, ["width", "intervalMs", "write", "tty", "delayMs"], what);
    const width = options.width ?? 40;
    if (typeof width !== "number" || !Number.isInteger(width) || width < 1 || width > 1000) {
      throw new RangeError(`${what}: \`width\` = ${describeValue(width)} must be a whole number of characters from 1 to 1000.`);
    }
    const write = options.write ?? defaultWrite;
    if (typeof write !== "function") throw new TypeError(`${what}: \`write\` must be a function (text) => void; got ${describeValue(write)}.`);
    if (options.tty !== undefined && typeof options.tty !== "boolean") {
      throw new TypeError(`${what}: \`tty\` must be true (a bar redrawn in place) or false (plain lines); got ${describeValue(options.tty)}.`);
    }
    const tty = options.tty ?? (options.write === undefined ? stderrIsTerminal() : true);
    const interval = options.intervalMs ?? (tty ? 100 : 5000);
    if (typeof interval !== "number" || !(interval >= 0)) {
      throw new RangeError(`${what}: \`intervalMs\` = ${describeValue(interval)} must be a number of milliseconds ≥ 0.`);
    }
    const delay = options.delayMs ?? 0;
    if (typeof delay !== "number" || !(delay >= 0)) throw new RangeError(`${what}: \`delayMs\` = ${describeValue(delay)} must be a number of milliseconds ≥ 0.`);
    this.delayMs = delay;
    this.write = write;
    this.tty = tty;
    this.width = width;
    this.inner = new CallbackProgressMeter((fraction, t) => this.draw(fraction, t), interval);
  }

  start(t0: number, t1: number): void {
    this.t0 = t0;
    this.t1 = t1;
    this.started = now();
    this.drawn = false;
    this.inner.start(t0, t1);
  }

  update(t: number): void {
    this.inner.update(t);
  }

  finish(t: number): void {
    this.inner.finish(t);
    if (!this.drawn) return;
    const seconds = (now() - this.started) / 1000;
    this.write(this.tty ? "\n" : `progress done: t = ${+t.toPrecision(6)} in ${duration(seconds)}\n`);
  }

  private draw(fraction: number, t: number): void {
    const elapsed = (now() - this.started) / 1000;
    if (!this.drawn && elapsed * 1000 < this.delayMs) return;
    this.drawn = true;
    // Rate and ETA once there is something to go by (not at the start, not when done).
    const known = fraction > 0 && fraction < 1 && elapsed > 0;
    const eta = known ? ` ETA ${duration((elapsed * (1 - fraction)) / fraction)}` : "";
    if (this.tty) {
      const filled = Math.round(fraction * this.width);
      const rate = known ? `  ${formatRate(Math.abs(t - this.t0) / elapsed)} t/s ` : "";
      this.write(`\r[${"#".repeat(filled)}${"-".repeat(this.width - filled)}] ${(fraction * 100).toFixed(1).padStart(5)}%  t = ${t.toPrecision(6)}${rate}${eta}`);
    } else if (fraction < 1) {
      this.write(`progress ${(fraction * 100).toFixed(1)}% (t = ${+t.toPrecision(6)} of ${this.t0} … ${this.t1}), ${duration(elapsed)} elapsed${known ? "," + eta : ""}\n`);
    }
  }
}

/** "850 ms", "12 s", "3 min 20 s", "2 h 5 min". */
function duration(seconds: number): string {
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

function formatRate(r: number): string {
  return r >= 1e5 || r < 1e-2 ? r.toExponential(2) : String(+r.toPrecision(3));
}

function stderrIsTerminal(): boolean {
  const proc = (globalThis as { process?: { stderr?: { isTTY?: boolean } } }).process;
  return proc?.stderr?.isTTY === true;
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
