import assert from "node:assert/strict";
import { test } from "node:test";
import ts from "typescript";
import { transformSync } from "esbuild";
import { compile } from "../../src/index.js";
import { corpus, evalOriginal, rng } from "./corpus.js";

/** The function expression out of `export default <fn>;` as a transpiler printed it. */
function defaultExport(code: string): string {
  // esbuild --minify prints `var p=<fn>;export{p as default};`.
  const m = /^\s*(?:var|let|const) ([\w$]+)\s*=\s*([\s\S]*);\s*export\s*\{\s*\1 as default\s*\};?\s*$/.exec(code);
  if (m) return m[2]!;
  const i = code.indexOf("export default");
  assert.ok(i >= 0, code);
  return code.slice(i + "export default".length).trim().replace(/;\s*(\/\/# sourceMappingURL=.*)?$/s, "").trim();
}

const transpilers: [string, (src: string) => string][] = [
  ["tsc ES5", (src) => defaultExport(ts.transpileModule(`export default ${src};`, { compilerOptions: { target: ts.ScriptTarget.ES5, module: ts.ModuleKind.ESNext, downlevelIteration: false } }).outputText)],
  ["tsc ES2020", (src) => defaultExport(ts.transpileModule(`export default ${src};`, { compilerOptions: { target: ts.ScriptTarget.ES2020, module: ts.ModuleKind.ESNext } }).outputText)],
  ["esbuild --minify", (src) => defaultExport(transformSync(`export default ${src};`, { loader: "ts", minify: true, format: "esm" }).code)],
];

test("sources compiled by tsc (ES5, ES2020) and esbuild --minify give the same results as the original", () => {
  for (const [name, transpile] of transpilers) {
    for (const e of corpus) {
      const src = transpile(e.fn.toString());
      const c = compile(src, e.options);
      const r = rng(11);
      const out = new Float64Array(e.n);
      for (let trial = 0; trial < 5; trial++) {
        const { t, y, args } = e.sample(r);
        c.f(t, y, args, out);
        const ref = evalOriginal(e.fn, e.n, t, y, args);
        for (let i = 0; i < e.n; i++) {
          assert.ok(Math.abs(out[i]! - ref[i]!) <= 1e-14 * Math.abs(ref[i]!), `${name} ${e.name}[${i}]: ${out[i]} vs ${ref[i]}\n${src}`);
        }
      }
    }
  }
});

test("TypeScript source text with annotations, for…of, helpers and ** compiles through every transpiler", () => {
  const tsSource = `(t: number, [x, y, z]: Float64Array, { sigma, rho, beta }: { sigma: number; rho: number; beta: number }): number[] => {
    const sq = (u: number): number => u ** 2;
    let acc: number = 0;
    for (const w of [1, 2, 3] as const) acc += w * sq(x);
    return [sigma * (y - x) + acc, x * (rho - z) - y, x * y - beta * z];
  }`;
  const expected = (x: number, y: number, z: number) => [10 * (y - x) + 6 * x ** 2, x * (28 - z) - y, x * y - 2 * z];
  for (const [name, transpile] of transpilers) {
    const src = transpile(tsSource);
    const c = compile(src);
    const out = new Float64Array(3);
    c.f(0, Float64Array.of(1.5, -2, 3), { sigma: 10, rho: 28, beta: 2 }, out);
    assert.deepEqual(Array.from(out), expected(1.5, -2, 3), `${name}:\n${src}`);
  }
});

test("tsc's downlevelIteration helpers get a specific error", async () => {
  const { CompileError } = await import("../../src/index.js");
  const src = defaultExport(ts.transpileModule("export default (t: number, y: Float64Array) => { let s = 0; for (const v of [1, 2]) s += v * y[0]!; return [s]; };",
    { compilerOptions: { target: ts.ScriptTarget.ES5, module: ts.ModuleKind.ESNext, downlevelIteration: true } }).outputText);
  assert.throws(() => compile(src), (e: unknown) => e instanceof CompileError && /helper that tsc emits for ES5 iteration/.test(e.message) && /target ES2015 or later/.test(e.message));
});
