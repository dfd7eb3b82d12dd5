/**
 * Native peers: compiles a C source from bench/c/ with `gcc -O3 -march=native` into bench/build/
 * (rebuilt when the source is newer than the binary) and runs it, parsing the JSON it prints.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const BENCH = dirname(dirname(fileURLToPath(import.meta.url)));
export const BUILD_DIR = join(BENCH, "build");
export const CFLAGS = ["-O3", "-march=native"];

export type NativeBuild = { ok: true; binary: string; command: string } | { ok: false; reason: string };

/** Builds bench/c/<name>.c into bench/build/<name>; a clear reason when gcc is missing or fails. */
export function buildC(name: string): NativeBuild {
  const source = join(BENCH, "c", `${name}.c`);
  const binary = join(BUILD_DIR, name);
  const command = `gcc ${CFLAGS.join(" ")} -o ${join("bench/build", name)} ${join("bench/c", basename(source))} -lm`;
  if (existsSync(binary) && statSync(binary).mtimeMs >= statSync(source).mtimeMs) return { ok: true, binary, command };
  const probe = spawnSync("gcc", ["--version"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) return { ok: false, reason: "gcc not found: the native C comparison is skipped (install gcc to run it)" };
  mkdirSync(BUILD_DIR, { recursive: true });
  const r = spawnSync("gcc", [...CFLAGS, "-o", binary, source, "-lm"], { encoding: "utf8" });
  if (r.status !== 0) return { ok: false, reason: `gcc failed on ${source}: ${r.stderr.trim().split("\n").slice(0, 5).join(" | ")}` };
  return { ok: true, binary, command };
}

/** Runs a native binary and parses its JSON stdout. */
export function runNativeJSON<T>(binary: string, args: string[], timeoutSeconds = 300): { ok: true; data: T } | { ok: false; reason: string } {
  const r = spawnSync(binary, args, { encoding: "utf8", maxBuffer: 64 * 2 ** 20, timeout: timeoutSeconds * 1e3 });
  if (r.error) return { ok: false, reason: `${binary}: ${r.error.message}` };
  if (r.status !== 0) return { ok: false, reason: `${binary} exited with ${r.status}: ${r.stderr.trim()}` };
  try {
    return { ok: true, data: JSON.parse(r.stdout) as T };
  } catch (e) {
    return { ok: false, reason: `${binary} printed no JSON (${(e as Error).message})` };
  }
}
