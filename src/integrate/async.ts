/**
 * `solveAsync`: a solve in slices that yield to the event loop between them, so that a browser
 * page stays responsive and Node's timers fire during a long solve, stopped by an `AbortSignal`
 * with the solution so far. It drives the same loop as `diffeqsolve`: the steps and the output
 * are the same, bit for bit.
 */
import { isOkay, RESULTS, SolveError } from "../results.js";
import type { Solution } from "../solution.js";
import { describeValue, type StateLike } from "../tree.js";
import { init } from "./integrator.js";
import { solutionOf } from "./solution-of.js";
import type { DiffeqsolveOptions } from "./validate.js";

/** How {@link solveAsync} runs. */
export interface SolveAsyncOptions {
  /** Stops the solve: it then resolves with the solution so far and `RESULTS.aborted`. */
  signal?: AbortSignal;
  /** Longest stretch of solving between two yields to the event loop, in milliseconds. @defaultValue 10 */
  sliceMs?: number;
}

/**
 * Solves like `diffeqsolve`, in slices of at most `sliceMs` milliseconds that yield to the event
 * loop. Resolves with the `Solution`; an abort resolves too (with `RESULTS.aborted` and the rows
 * computed so far), whatever `throw` says; other failures reject with a `SolveError` unless
 * `throw: false`.
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * cancelButton.onclick = () => controller.abort();
 * const sol = await solveAsync(options, { signal: controller.signal, sliceMs: 16 });
 * if (sol.result === RESULTS.aborted) console.log("stopped at", sol.tFinal);
 * ```
 */
export async function solveAsync<Y extends StateLike, A = any>(options: DiffeqsolveOptions<Y, A>, run: SolveAsyncOptions = {}): Promise<Solution<Y>> {
  if (run === null || typeof run !== "object") throw new TypeError(`solveAsync(options, run): \`run\` must be an object such as { signal, sliceMs }; got ${describeValue(run)}.`);
  for (const key of Object.keys(run)) {
    if (key !== "signal" && key !== "sliceMs") throw new TypeError(`solveAsync(options, run): unknown option \`${key}\`; the options are signal and sliceMs.`);
  }
  const sliceMs = run.sliceMs ?? 10;
  if (typeof sliceMs !== "number" || !(sliceMs > 0) || !Number.isFinite(sliceMs)) {
    throw new RangeError(`solveAsync: \`sliceMs\` = ${describeValue(sliceMs)} must be a number of milliseconds > 0 (for example 10).`);
  }
  const signal = run.signal;
  if (signal !== undefined && (signal === null || typeof signal !== "object" || typeof signal.aborted !== "boolean")) {
    throw new TypeError(`solveAsync: \`signal\` must be an AbortSignal (new AbortController().signal); got ${describeValue(signal)}.`);
  }
  const core = init({ ...options, throw: false }).integration;
  while (core.running) {
    if (signal?.aborted === true) {
      core.stop(RESULTS.aborted, `t = ${core.t}: ${abortReason(signal)}`);
      break;
    }
    core.run(Infinity, performance.now() + sliceMs);
    if (core.running) await yieldToEventLoop();
  }
  const throwOnFailure = (options.throw ?? true) && core.result !== RESULTS.aborted;
  const sol = solutionOf(core, false, false);
  if (throwOnFailure && !isOkay(core.result)) throw new SolveError(core.result, core.detail, sol, core.error);
  return sol;
}

function abortReason(signal: AbortSignal): string {
  const r = (signal as { reason?: unknown }).reason;
  if (r instanceof Error) return `aborted (${r.message})`;
  return r === undefined ? "aborted" : `aborted (${String(r)})`;
}

/** Lets timers, I/O and rendering run: setImmediate in Node, a MessageChannel message in browsers. */
function yieldToEventLoop(): Promise<void> {
  const g = globalThis as { setImmediate?: (cb: () => void) => void; MessageChannel?: typeof MessageChannel };
  if (typeof g.setImmediate === "function") return new Promise((resolve) => g.setImmediate!(resolve));
  if (typeof g.MessageChannel === "function") {
    return new Promise((resolve) => {
      const ch = new g.MessageChannel!();
      ch.port1.onmessage = () => {
        ch.port1.close();
        resolve();
      };
      ch.port2.postMessage(0);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}
