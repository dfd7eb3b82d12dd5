// The API reference is committed as Markdown (docs/api/, `npm run docs`), so that it reads on
// GitHub and npm without a build. This keeps it from falling behind the exports: every value the
// package exports (odeflow and odeflow/plot) has its page.
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const api = join(root, "docs", "api");

/** Exported for the package's own entry points but marked `@internal` (typedoc leaves them out). */
const INTERNAL = new Set(["AbstractPartitionedTerm"]);

function pages(dir: string): Set<string> {
  const out = new Set<string>();
  if (!existsSync(dir)) return out;
  for (const kind of ["classes", "functions", "variables", "enumerations"]) {
    const d = join(dir, kind);
    if (existsSync(d)) for (const f of readdirSync(d)) out.add(f.replace(/\.md$/, ""));
  }
  return out;
}

test("docs/api has a page for every value odeflow and odeflow/plot export (run `npm run docs` after adding one)", async () => {
  assert.ok(existsSync(join(api, "README.md")), "docs/api/README.md is missing: run `npm run docs`");
  for (const [entry, dir] of [["src/index.ts", join(api, "odeflow")], ["src/plot/index.ts", join(api, "odeflow", "plot")]] as const) {
    const mod = (await import(join(root, entry))) as Record<string, unknown>;
    const have = pages(dir);
    const missing = Object.keys(mod).filter((name) => !have.has(name) && !INTERNAL.has(name));
    assert.deepEqual(missing, [], `${entry}: exported but not in docs/api (run \`npm run docs\`, or mark it @internal)`);
  }
});
