/**
 * The playground's Web Worker: solves off the main thread so that the page stays responsive.
 * Messages in: { type: "solve", id, spec, logx }, { type: "cancel", id }, { type: "resample", id, logx }.
 * Messages out: { id, type: "progress", fraction, t }, { id, type: "done", result },
 * { id, type: "samples", lin, log }, { id, type: "error", where, message, line, column, fix }.
 */
import type { Solution } from "../../src/index.js";
import { PlaygroundError, run, sampleAll, type RunSpec, type Samples } from "./run.js";

type Request =
  | { type: "solve"; id: number; spec: RunSpec; logx: boolean }
  | { type: "cancel"; id: number }
  | { type: "resample"; id: number; logx: boolean };

const post = (m: unknown, transfer: Transferable[] = []): void => (self as unknown as Worker).postMessage(m, transfer);
const buffers = (s: Samples[] | null): ArrayBuffer[] => (s ?? []).flatMap((x) => [x.t.buffer as ArrayBuffer, ...x.y.map((c) => c.buffer as ArrayBuffer)]);

/** The running request (to cancel) and the last solved one (to resample). */
let running: { id: number; abort: AbortController } | null = null;
let last: { id: number; sols: Solution<any>[] } | null = null;

self.onmessage = async (e: MessageEvent<Request>) => {
  const m = e.data;
  if (m.type === "cancel") {
    if (running?.id === m.id) running.abort.abort(new Error("cancelled"));
    return;
  }
  if (m.type === "resample") {
    if (last?.id !== m.id) return;
    const { lin, log } = sampleAll(last.sols, m.logx);
    post({ id: m.id, type: "samples", lin, log }, [...buffers(lin), ...buffers(log)]);
    return;
  }
  // A new request supersedes the one running.
  running?.abort.abort(new Error("superseded"));
  const abort = new AbortController();
  running = { id: m.id, abort };
  try {
    const { result, sols } = await run(m.spec, { signal: abort.signal, logx: m.logx, progress: (fraction, t) => post({ id: m.id, type: "progress", fraction, t }) });
    last = { id: m.id, sols };
    post({ id: m.id, type: "done", result }, [...buffers(result.lin), ...buffers(result.log)]);
  } catch (err) {
    const p = err instanceof PlaygroundError ? err : new PlaygroundError("solve", String((err as Error)?.message ?? err));
    post({ id: m.id, type: "error", where: p.where, message: p.message, line: p.line, column: p.column, fix: p.fix });
  } finally {
    if (running?.id === m.id) running = null;
  }
};
