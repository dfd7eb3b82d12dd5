/** The playground's Web Worker: solves off the main thread so the page stays responsive. */
import { PlaygroundError, run, type RunSpec } from "./run.js";

interface Request { id: number; spec: RunSpec }

self.onmessage = (e: MessageEvent<Request>) => {
  const { id, spec } = e.data;
  try {
    const r = run(spec, (fraction) => (self as unknown as Worker).postMessage({ id, type: "progress", fraction }));
    const transfer = [r.ts.buffer, ...r.ys.map((y) => y.buffer)];
    (self as unknown as Worker).postMessage({ id, type: "done", result: r }, transfer);
  } catch (err) {
    const p = err instanceof PlaygroundError ? err : new PlaygroundError("solve", String((err as Error)?.message ?? err));
    (self as unknown as Worker).postMessage({ id, type: "error", where: p.where, message: p.message, line: p.line, column: p.column });
  }
};
