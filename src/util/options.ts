/**
 * The check every options object of a public constructor starts with: an object whose keys are all
 * documented, so that a misspelt option (`rtoll`) is named instead of silently ignored.
 */
import { describeValue } from "../tree.js";

/**
 * Throws a TypeError naming `what` (for example "new Tsit5(options)") when `options` is not an
 * object or has a key outside `keys`.
 *
 * @example
 * ```ts
 * checkKeys(options, ["shape", "seed"], "new UnsafeBrownianPath(options)");
 * ```
 */
export function checkKeys(options: unknown, keys: readonly string[], what: string): void {
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(`${what}: \`options\` must be an object; got ${describeValue(options)}.`);
  }
  for (const key of Object.keys(options)) {
    if (!keys.includes(key)) {
      throw new TypeError(`${what}: unknown option \`${key}\`; ${keys.length === 0 ? "it takes no options" : `the options are ${keys.join(", ")}`}.`);
    }
  }
}
