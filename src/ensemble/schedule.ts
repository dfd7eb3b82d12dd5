/**
 * Sharing one ensemble between threads: every thread (the calling one and each worker) claims
 * ranges of trajectories from one shared counter with `Atomics.add` and solves them into the
 * shared output arrays, until the counter passes N. Nothing per trajectory crosses a thread.
 *
 * Chunk sizes follow each thread's observed speed (guided self-scheduling, Polychronopoulos &
 * Kuck, IEEE Trans. Computers 1987, bounded by time): a thread's first claim is one trajectory;
 * each later claim is what that thread solved in {@link CHUNK_MS} at its last measured rate,
 * but never more than a 1/(2T) share of what is left (T threads). So a worker that starts late
 * or runs cold code claims little, trajectories of very different cost balance themselves, and
 * the last chunks are short: the threads finish within about {@link CHUNK_MS} of each other.
 */
import type { PreparedEnsemble } from "./options.js";
import { runTrajectories, type SerialWorkspace } from "./serial.js";
import type { EnsembleStorage } from "./solution.js";

/** Target duration of one claimed chunk (ms): long against a claim (~0.1 µs), short against a solve. */
export const CHUNK_MS = 2;

/** A fresh shared counter: [0] is the next unclaimed trajectory. */
export function createCounter(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4));
}

/** Stops every thread at its next claim (after an error). */
export function stopCounter(counter: Int32Array, N: number): void {
  Atomics.store(counter, 0, N);
}

/** How one thread runs its share. */
export interface Share {
  readonly p: PreparedEnsemble;
  readonly storage: EnsembleStorage;
  readonly sw: SerialWorkspace;
  readonly counter: Int32Array;
  /** Threads sharing the ensemble (bounds a claim to 1/(2T) of what is left). */
  readonly threads: number;
  /** Fixed chunk size (the `chunkSize` option), or 0 for chunks sized by speed. */
  readonly chunk: number;
  /** Hears where each failed trajectory stopped. */
  readonly onFailure: (i: number, detail: string) => void;
  /** Called before a claimed range is solved (a worker unpacks its args there). */
  readonly beforeChunk?: (start: number, end: number) => void;
  /** Called after each chunk with the counter's value (progress). */
  readonly afterChunk?: (claimed: number) => void;
}

/** Claims and solves chunks until none is left; returns the number of trajectories this thread solved. */
export function runShare(s: Share): number {
  const N = s.p.N;
  const now = (): number => performance.now();
  let size = s.chunk > 0 ? s.chunk : 1;
  let solved = 0;
  for (;;) {
    const start = Atomics.add(s.counter, 0, size);
    if (start >= N) break;
    const end = Math.min(N, start + size);
    s.beforeChunk?.(start, end);
    const t = now();
    runTrajectories(s.p, s.storage, s.sw, start, end, s.onFailure);
    solved += end - start;
    s.afterChunk?.(Math.min(N, Atomics.load(s.counter, 0)));
    if (s.chunk === 0) size = nextSize(end - start, now() - t, N - Atomics.load(s.counter, 0), s.threads);
  }
  return solved;
}

/** The next chunk: CHUNK_MS at the rate just observed, at most 1/(2T) of what is left, at least 1. */
export function nextSize(count: number, ms: number, left: number, threads: number): number {
  const byTime = ms > 0 ? Math.floor((count * CHUNK_MS) / ms) : 2 * count;
  const byShare = Math.ceil(left / (2 * threads));
  return Math.max(1, Math.min(byTime, byShare, 2 * count + 64));
}
