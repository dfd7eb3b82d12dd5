/**
 * Bridge to the Python peers: runs a Python script once with a JSON job on stdin and parses the
 * JSON it prints. Timing happens inside Python (time.perf_counter), so process start-up and
 * JSON transfer are not counted.
 */
import { spawnSync } from "node:child_process";

export type PythonResult<T> = { ok: true; data: T; seconds: number } | { ok: false; reason: string };

/** Whether python3 with numpy and scipy is available; the reason when not. */
export function pythonAvailable(): { ok: boolean; reason: string } {
  const r = spawnSync("python3", ["-c", "import numpy, scipy"], { encoding: "utf8" });
  if (r.error) return { ok: false, reason: `python3 not found (${r.error.message})` };
  if (r.status !== 0) return { ok: false, reason: `python3 cannot import numpy and scipy: ${r.stderr.trim().split("\n").pop()}` };
  return { ok: true, reason: "" };
}

/** Runs `python3 script` with `job` as JSON on stdin; returns its JSON stdout. */
export function runPythonJSON<T>(script: string, job: unknown, timeoutSeconds = 600): PythonResult<T> {
  const a = performance.now();
  const r = spawnSync("python3", [script], {
    input: JSON.stringify(job),
    encoding: "utf8",
    maxBuffer: 256 * 2 ** 20,
    timeout: timeoutSeconds * 1e3,
  });
  const seconds = (performance.now() - a) / 1e3;
  if (r.error) return { ok: false, reason: `python3 ${script}: ${r.error.message}` };
  if (r.status !== 0) return { ok: false, reason: `python3 ${script} exited with ${r.status}: ${r.stderr.trim().split("\n").slice(-3).join(" | ")}` };
  try {
    return { ok: true, data: JSON.parse(r.stdout) as T, seconds };
  } catch (e) {
    return { ok: false, reason: `python3 ${script} printed no JSON (${(e as Error).message})` };
  }
}
