/**
 * Where the published reference problems live. The team's shared copy (`../shared/reference/
 * problems.json`, beside the checkout, as in CI) is preferred; a fresh clone elsewhere falls back
 * to the copy committed here, which a test keeps identical to the shared one.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

/** The shared file beside the checkout. */
export const SHARED_PROBLEMS = join(here, "..", "..", "..", "shared", "reference", "problems.json");
/** The committed copy. */
export const COMMITTED_PROBLEMS = join(here, "problems.json");

/** Path of problems.json: the shared one when present, else the committed copy. */
export function referenceProblemsPath(): string {
  return existsSync(SHARED_PROBLEMS) ? SHARED_PROBLEMS : COMMITTED_PROBLEMS;
}

/** The parsed problems.json. */
export function readReferenceProblems<P = any>(): { about: string; problems: P[] } {
  return JSON.parse(readFileSync(referenceProblemsPath(), "utf8"));
}
