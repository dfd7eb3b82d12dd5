// `npm run docs` (without the typedoc step, which takes several seconds): the benchmark page
// collects every bench/results/*.md and draws a work-precision plot per benchmark problem.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const out = mkdtempSync(join(tmpdir(), "odeflow-docs-build-"));
after(() => rmSync(out, { recursive: true, force: true }));

test("docs/build.mjs writes the benchmark page with every result file and SVG work-precision plots", () => {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(root, "docs", "build.mjs"), "--no-api", "--out", out], { cwd: root, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const page = readFileSync(join(out, "benchmarks.md"), "utf8");
  const results = join(root, "bench", "results");
  const files = existsSync(results) ? readdirSync(results).filter((f) => f.endsWith(".md") && !f.includes(".quick.") && f !== "SUMMARY.md") : [];
  for (const f of files) assert.ok(page.includes(`<!-- from bench/results/${f} -->`), `benchmarks.md lacks ${f}`);
  const explicit = join(results, "explicit.json");
  if (existsSync(explicit)) {
    const problems = JSON.parse(readFileSync(explicit, "utf8")).problems as { key: string; curves: unknown[] }[];
    for (const p of problems) {
      const svg = readFileSync(join(out, "benchmarks", `explicit-${p.key}.svg`), "utf8");
      assert.match(svg, /^<svg [^>]*xmlns/);
      // A legend entry (a line sample and the solver's name) per solver, on log–log axes.
      for (const c of p.curves as { solver: string }[]) assert.ok(svg.includes(`>${c.solver.replace(/&/g, "&amp;").replace(/</g, "&lt;")}</text>`), `${c.solver} on ${p.key}`);
      assert.match(svg, />10⁻[⁰¹²³⁴⁵⁶⁷⁸⁹]+<\/text>/, "decade ticks");
      assert.ok(page.includes(`(benchmarks/explicit-${p.key}.svg)`));
    }
  }
});
