/**
 * Timing helpers: warm up (so V8 has optimised the code), then run batches of calls until at
 * least `minTime` seconds have been spent, and report the per-call time of the fastest batch
 * (`min`, the figure least disturbed by other processes on a shared machine) and the median batch,
 * in wall-clock time and in CPU time of this process (`cpu`: what the calls cost when other
 * processes take the cores away; it also counts V8's helper threads, idle after warm-up).
 */
import { performance } from "node:perf_hooks";

/** Per-call times in seconds. */
export interface Timing {
  /** Fastest batch, per call. */
  min: number;
  /** Median batch, per call. */
  median: number;
  /** Fastest batch by CPU time (user + system) of this process, per call. */
  cpu: number;
  /** Number of timed batches. */
  runs: number;
  /** Calls per batch. */
  reps: number;
}

export interface TimingOptions {
  /** Seconds of timed calls in all (not counting warm-up). @defaultValue 0.2 */
  minTime?: number;
  /** Timed batches. @defaultValue 5 */
  runs?: number;
  /** Seconds of warm-up calls (at least 2 calls). @defaultValue 0.05 */
  warmup?: number;
  /** A call slower than this (seconds) is timed once, after one warm-up call. @defaultValue 1 */
  slow?: number;
}

let sink: unknown;
/** Keeps a result alive so the optimiser cannot drop the call that produced it. */
export function consume(x: unknown): void {
  sink = x;
}
export function sinkValue(): unknown {
  return sink;
}

/** Times `fn` (see the module comment). */
export function timeIt(fn: () => unknown, options: TimingOptions = {}): Timing {
  const minTime = options.minTime ?? 0.2;
  const runs = options.runs ?? 5;
  const warmup = options.warmup ?? 0.05;
  const slow = options.slow ?? 1;
  // Warm-up: at least two calls, then until `warmup` seconds; the fastest call estimates the cost.
  let best = Infinity;
  let spent = 0;
  let calls = 0;
  while (calls < 2 || spent < warmup) {
    const a = performance.now();
    consume(fn());
    const dt = (performance.now() - a) / 1e3;
    spent += dt;
    calls++;
    if (dt < best) best = dt;
    if (dt > slow) break;
  }
  if (best > slow) {
    const c = process.cpuUsage();
    const a = performance.now();
    consume(fn());
    const dt = (performance.now() - a) / 1e3;
    const cu = process.cpuUsage(c);
    return { min: dt, median: dt, cpu: (cu.user + cu.system) / 1e6, runs: 1, reps: 1 };
  }
  const reps = Math.max(1, Math.ceil(minTime / runs / Math.max(best, 1e-9)));
  const per: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < runs; r++) {
    const c = process.cpuUsage();
    const a = performance.now();
    for (let i = 0; i < reps; i++) consume(fn());
    per.push((performance.now() - a) / 1e3 / reps);
    const cu = process.cpuUsage(c);
    cpu.push((cu.user + cu.system) / 1e6 / reps);
  }
  per.sort((x, y) => x - y);
  return { min: per[0]!, median: per[Math.floor(per.length / 2)]!, cpu: Math.min(...cpu), runs, reps };
}

/** Formats seconds with a unit chosen for readability (ns, µs, ms, s). */
export function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return "—";
  if (s < 1e-6) return `${(s * 1e9).toPrecision(3)} ns`;
  if (s < 1e-3) return `${(s * 1e6).toPrecision(3)} µs`;
  if (s < 1) return `${(s * 1e3).toPrecision(3)} ms`;
  return `${s.toPrecision(3)} s`;
}

/** A ratio for tables: 2 significant digits, with a ×. */
export function fmtRatio(r: number): string {
  if (!Number.isFinite(r)) return "—";
  return r >= 100 ? `${r.toFixed(0)}×` : r >= 10 ? `${r.toFixed(1)}×` : `${r.toFixed(2)}×`;
}

/** A positive number in short scientific notation (1.2e-7). */
export function fmtSci(x: number): string {
  if (!Number.isFinite(x)) return "—";
  if (x === 0) return "0";
  const [m, e] = x.toExponential(1).split("e") as [string, string];
  const k = Number(e);
  return k === 0 ? m : `${m}e${k}`;
}
