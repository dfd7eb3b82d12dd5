/**
 * Memory estimated before allocating: a workspace whose size a user's input decides (an n × n
 * matrix for a state of n components) is checked against a stated budget first, so that a solve
 * that cannot fit stops at once with the size and the alternative, instead of failing deep inside
 * V8 ("Invalid typed array length", "Array buffer allocation failed") or swapping the machine.
 */

import { ResourceError } from "../results.js";

/** Default budget for one solver's matrices and workspaces: 1 GiB. */
export const DEFAULT_MEMORY_BUDGET = 2 ** 30;

/**
 * A workspace would exceed its memory budget. `bytes` is what it needs, `budget` what it may use;
 * the message names the alternative.
 */
export class MemoryBudgetError extends ResourceError {
  /** Bytes the allocation would need. */
  readonly bytes: number;
  /** The budget it was checked against. */
  readonly budget: number;
  constructor(what: string, bytes: number, budget: number, fix: string) {
    super(`${what} would need ${formatBytes(bytes)}, above the memory budget of ${formatBytes(budget)}. ${fix}`);
    this.name = "MemoryBudgetError";
    this.bytes = bytes;
    this.budget = budget;
  }
}

/** A byte count for messages, in binary units to 3 significant digits: "57.6 GiB", "512 MiB", "640 B". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toPrecision(3)} ${units[u]}`;
}

/** Checks a memory budget option: a positive number of bytes (Infinity allowed). */
export function checkMemoryBudget(where: string, value: unknown): number {
  if (value === undefined) return DEFAULT_MEMORY_BUDGET;
  if (typeof value !== "number" || !(value > 0)) {
    throw new RangeError(`${where}: \`maxMemory\` must be a positive number of bytes (e.g. 4 * 2 ** 30 for 4 GiB, or Infinity); got ${String(value)}.`);
  }
  return value;
}
