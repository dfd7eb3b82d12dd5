// The ensemble and distributed modules import no module that imports them back (no import
// circles, type-only and dynamic imports included), and none imports the package's root
// (src/index.ts) except the distributed entry, which uses only the public surface.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const src = join(dirname(fileURLToPath(import.meta.url)), "../../src");

/** Relative imports of every source file: static, type-only, re-exports and dynamic import(). */
function importGraph(): Map<string, string[]> {
  const files: string[] = [];
  const scan = (d: string): void => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) scan(p);
      else if (p.endsWith(".ts")) files.push(p);
    }
  };
  scan(src);
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const text = readFileSync(f, "utf8");
    const deps = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)["'](\.[^"']+)["']/g)].map((m) => resolve(dirname(f), m[1]!).replace(/\.js$/, ".ts"));
    graph.set(relative(src, f), [...new Set(deps.map((d) => relative(src, d)))]);
  }
  return graph;
}

/** Strongly connected components with more than one module (Tarjan). */
function circles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const stack: string[] = [];
  const on = new Set<string>();
  const ix = new Map<string, number>();
  const low = new Map<string, number>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    ix.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!ix.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, ix.get(w)!));
    }
    if (low.get(v) === ix.get(v)) {
      const c: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        c.push(w);
      } while (w !== v);
      if (c.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(c.sort());
    }
  };
  for (const v of graph.keys()) if (!ix.has(v)) visit(v);
  return out;
}

test("the circle finder finds a circle through a type-only import and a dynamic import()", () => {
  const g = new Map([["a.ts", ["b.ts"]], ["b.ts", ["c.ts"]], ["c.ts", ["a.ts"]], ["d.ts", ["a.ts"]]]);
  assert.deepEqual(circles(g), [["a.ts", "b.ts", "c.ts"]]);
  const text = 'import type { X } from "./x.js";\nconst m = await import("./y.js");\nexport { z } from "./z.js";';
  const found = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)["'](\.[^"']+)["']/g)].map((m) => m[1]);
  assert.deepEqual(found, ["./x.js", "./y.js", "./z.js"]);
});

test("no import circle runs through src/ensemble or src/distributed", () => {
  const graph = importGraph();
  assert.ok(graph.has(join("ensemble", "solve.ts")), "the graph covers the ensemble modules");
  const mine = circles(graph).filter((c) => c.some((f) => f.startsWith("ensemble") || f.startsWith("distributed")));
  assert.deepEqual(mine, []);
  for (const [file, deps] of graph) {
    if (file.startsWith("ensemble")) assert.ok(!deps.includes("index.ts"), `${file} imports the package root`);
  }
});
