/**
 * Loads odeflow for the benchmarks: the built package (dist/index.js, what users get) by default,
 * or the TypeScript sources with BENCH_SRC=1. Types come from the sources either way, so the
 * benchmarks type-check before a build.
 */
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import type * as Odeflow from "../../src/index.js";

export type OdeflowModule = typeof Odeflow;

/** The loaded library and where it came from ("dist/index.js" or "src/index.ts"). */
export async function loadOdeflow(): Promise<{ lib: OdeflowModule; from: string }> {
  if (process.env.BENCH_SRC === "1") {
    return { lib: (await import("../../src/index.js")) as OdeflowModule, from: "src/index.ts (BENCH_SRC=1)" };
  }
  const dist = fileURLToPath(new URL("../../dist/index.js", import.meta.url));
  if (!existsSync(dist)) {
    throw new Error("bench: dist/index.js is missing; run `npm run build` first (npm run bench does), or set BENCH_SRC=1 to benchmark the sources.");
  }
  return { lib: (await import(pathToFileURL(dist).href)) as OdeflowModule, from: "dist/index.js (the built package)" };
}

/** The explicit RK methods the benchmarks ask for, as far as this build exports them. */
export const EXPLICIT_METHODS = ["Tsit5", "Dopri5", "Dopri8", "Vern7", "Vern9"] as const;

/** Constructors of the named methods that `lib` exports; the missing ones listed by name. */
export function availableSolvers(lib: OdeflowModule, names: readonly string[]): { found: { name: string; make: (opts?: { generated?: boolean }) => Odeflow.AbstractSolver<any> }[]; missing: string[] } {
  const found: { name: string; make: (opts?: { generated?: boolean }) => Odeflow.AbstractSolver<any> }[] = [];
  const missing: string[] = [];
  const table = lib as unknown as Record<string, unknown>;
  for (const name of names) {
    const C = table[name];
    if (typeof C === "function") found.push({ name, make: (opts) => new (C as new (o?: { generated?: boolean }) => Odeflow.AbstractSolver<any>)(opts) });
    else missing.push(name);
  }
  return { found, missing };
}
