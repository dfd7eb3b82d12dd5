// The built package (run after `npm run build`; `npm test` builds first): the ESM and CommonJS
// entry points both load and solve, through package.json `exports`; and the core source imports no
// Node built-in and no runtime dependency (it runs in browsers).
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { builtinModules, createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as acorn from "acorn";
import { transformSync } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
const require = createRequire(import.meta.url);

function needDist(file: string): string {
  const p = join(dist, file);
  assert.ok(existsSync(p), `${relative(root, p)} is missing: run \`npm run build\` first (npm test does).`);
  return p;
}

/** Solves y' = -y on [0, 1] with the library's own exports and checks y(1) = e^{-1}. */
function solveWith(lib: Record<string, any>): void {
  const sol = lib.diffeqsolve({
    terms: new lib.ODETerm((_t: number, y: Float64Array, _a: unknown, dy: Float64Array) => {
      dy[0] = -y[0]!;
    }),
    solver: new lib.Dopri5(), t0: 0, t1: 1, y0: [1],
    stepsizeController: new lib.PIDController({ rtol: 1e-10, atol: 1e-12 }),
  });
  assert.equal(sol.result, lib.RESULTS.successful);
  assert.ok(Math.abs(sol.ys[0][0] - Math.exp(-1)) < 1e-9);
  // The failure path works too: SolveError is the package's own class.
  assert.throws(() => lib.diffeqsolve({ terms: new lib.ODETerm(() => [0]), solver: new lib.Dopri5(), t0: 0, t1: 1, y0: [1], maxSteps: 0 }), /maxSteps/);
}

test("ESM build: dist/index.js imports and solves", async () => {
  const lib = (await import(pathToFileURL(needDist("index.js")).href)) as Record<string, any>;
  solveWith(lib);
});

test("CommonJS build: dist/index.cjs requires and solves", () => {
  const lib = require(needDist("index.cjs")) as Record<string, any>;
  solveWith(lib);
});

test("package.json exports resolve by name: import → ESM, require → CJS, with type declarations", async () => {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  assert.equal(pkg.name, "odeflow");
  assert.deepEqual(Object.keys(pkg.dependencies ?? {}), [], "no runtime dependencies");
  for (const cond of ["import", "require"]) {
    for (const [, file] of Object.entries(pkg.exports["."][cond] as Record<string, string>)) needDist(relative("dist", file));
  }
  // Self-reference through the exports map (what users' `import "odeflow"` does).
  const esm = (await import("odeflow" as string)) as Record<string, any>;
  const cjs = require("odeflow") as Record<string, any>;
  assert.equal(typeof esm.diffeqsolve, "function");
  assert.equal(typeof cjs.diffeqsolve, "function");
  assert.notEqual(esm.diffeqsolve, cjs.diffeqsolve, "two builds, not one aliased");
  assert.equal(require.resolve("odeflow"), join(dist, "index.cjs"));
  for (const d of ["index.d.ts", "index.d.cts"]) assert.match(readFileSync(needDist(d), "utf8"), /diffeqsolve/);
  // Every public name of the source entry point is in both builds.
  const src = (await import("../src/index.js")) as Record<string, unknown>;
  for (const name of Object.keys(src)) {
    assert.ok(name in esm, `ESM build lacks ${name} (stale dist? run npm run build)`);
    assert.ok(name in cjs, `CJS build lacks ${name}`);
  }
});

/** Module specifiers a program loads statically: import/export from, import("literal"), require("literal"). */
function specifiers(code: string): string[] {
  const ast = acorn.parse(code, { ecmaVersion: "latest", sourceType: "module" });
  const found: string[] = [];
  const walk = (node: unknown): void => {
    if (node === null || typeof node !== "object") return;
    if (Array.isArray(node)) return node.forEach(walk);
    const n = node as { type?: string; source?: { type: string; value: unknown }; callee?: { type: string; name?: string }; arguments?: { type: string; value: unknown }[] };
    if ((n.type === "ImportDeclaration" || n.type === "ExportNamedDeclaration" || n.type === "ExportAllDeclaration" || n.type === "ImportExpression") && n.source?.type === "Literal") {
      found.push(String(n.source.value));
    }
    if (n.type === "CallExpression" && n.callee?.type === "Identifier" && n.callee.name === "require" && n.arguments?.[0]?.type === "Literal") {
      found.push(String(n.arguments[0].value));
    }
    for (const v of Object.values(n)) if (v !== null && typeof v === "object") walk(v);
  };
  walk(ast);
  return found;
}
const isBuiltin = (s: string) => s.startsWith("node:") || builtinModules.includes(s) || builtinModules.includes(s.split("/")[0]!);

test("the core source imports no Node built-in and nothing outside src/ but acorn", () => {
  const files: string[] = [];
  const scan = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      // Not part of the core bundle: src/cli, the Node command line (dist/cli.js); src/node, the
      // Node-only `odeflow/webgpu` (dist/webgpu.js); src/distributed, the odeflow/distributed entry
      // (Node, bullmq); src/plot, `odeflow/plot` (dist/plot.js); src/ensemble/thread-main.ts, the
      // script of Node's ensemble worker threads (dist/ensemble-worker.cjs).
      const outside = [join("src", "cli"), join("src", "node"), join("src", "distributed"), join("src", "plot"), join("src", "ensemble", "thread-main.ts")];
      if (outside.includes(relative(root, p))) continue;
      if (statSync(p).isDirectory()) scan(p);
      else if (p.endsWith(".ts")) files.push(p);
    }
  };
  scan(join(root, "src"));
  assert.ok(files.length > 10);
  const offenders: string[] = [];
  for (const file of files) {
    const js = transformSync(readFileSync(file, "utf8"), { loader: "ts", format: "esm" }).code;
    for (const s of specifiers(js)) {
      if (isBuiltin(s)) offenders.push(`${relative(root, file)} imports the Node built-in "${s}"`);
      else if (!s.startsWith(".") && s !== "acorn") offenders.push(`${relative(root, file)} imports the package "${s}"`);
    }
  }
  assert.deepEqual(offenders, []);
  // The check itself bites: a static import of a built-in is found, the worker source in a string is not.
  assert.deepEqual(specifiers('import { readFileSync } from "node:fs"; const s = \'import x from "node:os"\'; require("path");'), ["node:fs", "path"]);
});

test("the bundles load no other module at run time (a lazy import of the bundle itself, for ensemble workers, is allowed)", () => {
  const self = (s: string) => s === "./index.js" || s === "./index.cjs";
  assert.deepEqual(specifiers(readFileSync(needDist("index.js"), "utf8")).filter((s) => !self(s)), []);
  // The CJS bundle is a script: parse it as one.
  const cjs = readFileSync(needDist("index.cjs"), "utf8");
  assert.deepEqual(specifiers(`(function (module, exports, require) {\n${cjs}\n})`).filter((s) => !self(s)), []);
});

test("odeflow/webgpu: its own ESM entry, loading only the optional peer `webgpu`, which the core never loads", async () => {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  assert.deepEqual(pkg.exports["./webgpu"], { types: "./dist/webgpu.d.ts", import: "./dist/webgpu.js" });
  assert.equal(pkg.peerDependenciesMeta?.webgpu?.optional, true, "webgpu is an optional peer");
  assert.deepEqual(specifiers(readFileSync(needDist("webgpu.js"), "utf8")), ["webgpu"]);
  const mod = (await import("odeflow/webgpu" as string)) as Record<string, unknown>;
  assert.equal(typeof mod.requestWebGPUDevice, "function");
  assert.equal(typeof mod.isSoftwareAdapter, "function");
  assert.match(readFileSync(needDist("webgpu.d.ts"), "utf8"), /requestWebGPUDevice/);
});

test("odeflow/plot: its own entry (ESM and CommonJS), loading only its optional peers echarts and @resvg/resvg-js, when it draws", async () => {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  assert.equal(pkg.exports["./plot"].import.default, "./dist/plot.js");
  assert.equal(pkg.exports["./plot"].require.default, "./dist/plot.cjs");
  for (const peer of ["echarts", "@resvg/resvg-js"]) assert.equal(pkg.peerDependenciesMeta?.[peer]?.optional, true, `${peer} is an optional peer`);
  assert.deepEqual(specifiers(readFileSync(needDist("plot.js"), "utf8")).sort(), ["echarts"], "the PNG peer is imported by a computed name, echarts lazily");
  const mod = (await import("odeflow/plot" as string)) as Record<string, unknown>;
  for (const name of ["sampleSolution", "solutionFigure", "echartsOption", "plotSolution", "renderSVG", "renderPNG"]) assert.equal(typeof mod[name], "function", name);
  assert.match(readFileSync(needDist("plot.d.ts"), "utf8"), /plotSolution/);
  const dts = readFileSync(needDist("plot.d.ts"), "utf8");
  assert.doesNotMatch(dts, /^import .*["']echarts["']/m, "the declarations do not need echarts installed");
  assert.doesNotMatch(dts, /declare class Solution/, "a structural PlottableSolution, not a second copy of the Solution class");
});
