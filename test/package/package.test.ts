// What users install: the npm tarball's contents, package.json metadata checked by publint, type
// declarations resolving for ESM and CommonJS consumers (tsc, module node16), and a size budget for
// an application that uses only diffeqsolve and Tsit5, bundled by esbuild the way a web app would.
// Run after `npm run build` (npm test builds first).
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const tmp = mkdtempSync(join(tmpdir(), "odeflow-package-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
// A consumer project: node_modules/odeflow is this package, as after `npm install odeflow`.
mkdirSync(join(tmp, "node_modules"));
symlinkSync(root, join(tmp, "node_modules", "odeflow"), "dir");

function needBuild(): void {
  for (const f of ["dist/index.js", "dist/index.cjs", "dist/index.d.ts", "dist/cli.js", "dist/esm/index.js"]) {
    assert.ok(existsSync(join(root, f)), `${f} is missing: run \`npm run build\` first (npm test does).`);
  }
}

/**
 * Size budget (minified + gzipped) of a browser bundle importing only diffeqsolve, ODETerm and
 * Tsit5. Measured 18.2 KB when the budget was set (Nov 2026); the budget leaves room to grow
 * without letting unused solvers, the compiler or its parser slip in.
 */
const CORE_BUDGET_GZIP = 24 * 1024;

test("npm pack ships the builds, types, CLI, README, CHANGELOG and LICENSE, and nothing else", () => {
  needBuild();
  const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: root, encoding: "utf8" });
  const info = JSON.parse(out)[0] as { files: { path: string }[]; size: number; unpackedSize: number };
  const files = info.files.map((f) => f.path).sort();
  for (const f of ["package.json", "README.md", "CHANGELOG.md", "LICENSE", "dist/index.js", "dist/index.cjs", "dist/index.d.ts", "dist/index.d.cts", "dist/cli.js", "dist/esm/index.js", "dist/esm/compile/parse.js"]) {
    assert.ok(files.includes(f), `the package lacks ${f}`);
  }
  const stray = files.filter((f) => !/^(package\.json|README\.md|CHANGELOG\.md|LICENSE|dist\/.*\.(js|cjs|d\.ts|d\.cts))$/.test(f));
  assert.deepEqual(stray, [], "only builds, declarations and the three documents");
  assert.ok(!files.some((f) => f.endsWith(".map")), "no source maps (they point at sources the package does not ship)");
  assert.ok(!files.some((f) => /^(src|test|bench|docs|examples|playground|scripts)\//.test(f)));
  console.log(`npm pack: ${files.length} files, ${(info.size / 1024).toFixed(0)} KB packed, ${(info.unpackedSize / 1024).toFixed(0)} KB unpacked`);
});

test("package.json: no runtime dependencies, sideEffects false, bin, exports with a module build for bundlers", () => {
  assert.equal(pkg.sideEffects, false);
  assert.deepEqual(pkg.dependencies ?? {}, {});
  assert.equal(pkg.bin.odeflow, "./dist/cli.js");
  assert.equal(pkg.exports["."].module, "./dist/esm/index.js");
  assert.deepEqual(Object.keys(pkg.exports["."]), ["module", "import", "require"], "module first: bundlers take it, Node skips it");
  assert.equal(pkg.scripts.prepack, "npm run build", "npm pack / publish always ship a fresh build");
});

test("publint finds nothing to fix (exports, types, files), at suggestion level", async () => {
  needBuild();
  const { publint } = await import("publint");
  const { formatMessage } = await import("publint/utils");
  const { messages } = await publint({ pkgDir: root, level: "suggestion", strict: true });
  assert.deepEqual(messages.map((m) => `${m.type}: ${formatMessage(m, pkg)}`), []);
});

test("types resolve for ESM (.mts) and CommonJS (.cts) consumers under module node16", () => {
  needBuild();
  const use = (importLine: string) => `${importLine}
const sol = diffeqsolve({ terms: new ODETerm((t: number, y: Float64Array, a: unknown, dy: Float64Array) => { dy[0] = -y[0]!; }), solver: new Tsit5(), t0: 0, t1: 1, y0: [1] });
const row: Float64Array = sol.ys[0]!;
const ok: boolean = sol.result === RESULTS.successful;
// Proves the declarations were found (with \`any\` types this line would not be an error):
// @ts-expect-error t0 must be a number
diffeqsolve({ terms: new ODETerm(() => [0]), solver: new Tsit5(), t0: "zero", t1: 1, y0: [1] });
// args are checked against the vector field's parameter type; Vec<N> makes y[0] … y[N − 1]
// numbers under noUncheckedIndexedAccess (on in this project).
const typed = new ODETerm((t: number, y: Vec<2>, args: { k: number }, dy: Vec<2>) => { dy[0] = y[1]; dy[1] = -args.k * y[0]; });
diffeqsolve({ terms: typed, solver: new Tsit5(), t0: 0, t1: 1, y0: [1, 0], args: { k: 4 } });
// @ts-expect-error a misspelt args key
diffeqsolve({ terms: typed, solver: new Tsit5(), t0: 0, t1: 1, y0: [1, 0], args: { kk: 4 } });
// @ts-expect-error an index past the end of a Vec<2> may be undefined
new ODETerm((t: number, y: Vec<2>, args: unknown, dy: Vec<2>) => { dy[0] = y[2]; });
export { row, ok };
`;
  writeFileSync(join(tmp, "esm.mts"), use('import { diffeqsolve, ODETerm, RESULTS, Tsit5, type Vec } from "odeflow";'));
  writeFileSync(join(tmp, "cjs.cts"), use('import { diffeqsolve, ODETerm, RESULTS, Tsit5 } = require("odeflow");').replace("import {", "import odeflow = require(\"odeflow\");\ntype Vec<N extends number> = odeflow.Vec<N>;\nconst {").replace('} = require("odeflow");', "} = odeflow;"));
  writeFileSync(join(tmp, "tsconfig.json"), JSON.stringify({
    compilerOptions: { module: "node16", moduleResolution: "node16", target: "es2020", strict: true, noUncheckedIndexedAccess: true, noEmit: true, skipLibCheck: false, types: [] },
    files: ["esm.mts", "cjs.cts"],
  }));
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  const r = spawnSync(process.execPath, [tsc, "-p", join(tmp, "tsconfig.json"), "--traceResolution"], { cwd: tmp, encoding: "utf8" });
  const errors = r.stdout.split("\n").filter((l) => l.includes("error TS"));
  assert.deepEqual(errors, [], r.stdout.slice(-3000));
  assert.equal(r.status, 0);
  // Each consumer got its own declaration file through the exports map.
  assert.match(r.stdout, /Module name 'odeflow' was successfully resolved to '[^']*dist\/index\.d\.ts'/);
  assert.match(r.stdout, /Module name 'odeflow' was successfully resolved to '[^']*dist\/index\.d\.cts'/);
});

test("odeflow/distributed: types resolve for ESM and CommonJS consumers; the core never loads bullmq", () => {
  needBuild();
  const use = (importLine: string) => `${importLine}
const run: Promise<EnsembleSolution> = distributeEnsemble({ module: { url: "file:///m.mjs" }, solver: new Tsit5(), t0: 0, t1: 1, trajectories: 8, y0: () => [1] }, { connection: { host: "127.0.0.1", port: 6379 }, chunkSize: 4 });
const worker: Promise<{ close(): Promise<void> }> = startEnsembleWorker({ connection: { host: "127.0.0.1", port: 6379 }, concurrency: 1 });
// @ts-expect-error chunkSize must be a number
distributeEnsemble({ solver: new Tsit5(), t0: 0, t1: 1, trajectories: 8, y0: () => [1] }, { connection: {}, chunkSize: "4" });
export { run, worker };
`;
  writeFileSync(join(tmp, "dist.mts"), use('import { distributeEnsemble, startEnsembleWorker } from "odeflow/distributed";\nimport { Tsit5, type EnsembleSolution } from "odeflow";'));
  writeFileSync(join(tmp, "dist.cts"), use('import d = require("odeflow/distributed");\nimport o = require("odeflow");\nconst { distributeEnsemble, startEnsembleWorker } = d;\nconst { Tsit5 } = o;\ntype EnsembleSolution = o.EnsembleSolution;'));
  writeFileSync(join(tmp, "tsconfig.dist.json"), JSON.stringify({
    compilerOptions: { module: "node16", moduleResolution: "node16", target: "es2020", strict: true, noEmit: true, skipLibCheck: true, types: ["node"], typeRoots: [join(root, "node_modules", "@types")] },
    files: ["dist.mts", "dist.cts"],
  }));
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  const r = spawnSync(process.execPath, [tsc, "-p", join(tmp, "tsconfig.dist.json"), "--traceResolution"], { cwd: tmp, encoding: "utf8" });
  assert.deepEqual(r.stdout.split("\n").filter((l) => l.includes("error TS")), [], r.stdout.slice(-3000));
  assert.match(r.stdout, /Module name 'odeflow\/distributed' was successfully resolved to '[^']*dist\/distributed\/index\.d\.ts'/);
  assert.match(r.stdout, /Module name 'odeflow\/distributed' was successfully resolved to '[^']*dist\/distributed\/index\.d\.cts'/);
  // The core entry and its worker-thread script neither import nor mention the queue.
  for (const f of ["dist/index.js", "dist/index.cjs", "dist/ensemble-worker.cjs"]) assert.ok(!readFileSync(join(root, f), "utf8").includes("bullmq"), f);
  // The queue's packages are optional peers, like every peer dependency of the package.
  for (const name of ["bullmq", "ioredis"]) assert.ok(name in pkg.peerDependencies, `${name} is a peer dependency`);
  for (const name of Object.keys(pkg.peerDependencies)) assert.deepEqual(pkg.peerDependenciesMeta[name], { optional: true }, `${name} is optional`);
});

test(`core bundle budget: diffeqsolve + Tsit5 bundled for the browser is at most ${CORE_BUDGET_GZIP / 1024} KB min+gzip`, async () => {
  needBuild();
  const entry = join(tmp, "app.mjs");
  writeFileSync(entry, `import { diffeqsolve, ODETerm, Tsit5 } from "odeflow";
export const y1 = diffeqsolve({ terms: new ODETerm((t, y, a, dy) => { dy[0] = -y[0]; }), solver: new Tsit5(), t0: 0, t1: 1, y0: [1] }).ys[0][0];
`);
  const result = await build({
    entryPoints: [entry], bundle: true, minify: true, format: "esm", platform: "browser", write: false, metafile: true,
    absWorkingDir: tmp, logLevel: "silent",
  });
  const code = result.outputFiles[0]!.contents;
  const gz = gzipSync(code, { level: 9 }).length;
  // Modules that contributed code (esbuild reads more, and drops them).
  const output = Object.values(result.metafile.outputs)[0]!;
  const inputs = Object.entries(output.inputs).filter(([, v]) => v.bytesInOutput > 0).map(([p]) => p.replace(/^.*dist\/esm\//, ""));
  console.log(`core bundle: ${(code.length / 1024).toFixed(1)} KB minified, ${(gz / 1024).toFixed(1)} KB gzipped, ${inputs.length - 1} modules`);
  // Tree-shaking works: the bundle took the per-module build and left out what the app does not use.
  assert.ok(inputs.includes("solvers/methods/tsit5.js"), inputs.join(" "));
  for (const unused of ["compile/parse.js", "solvers/implicit/rosenbrock.js", "solvers/methods/vern9.js", "ensemble/solve.js", "brownian/virtual_tree.js", "adjoint/vjp.js", "subs.js"]) {
    assert.ok(!inputs.includes(unused), `${unused} is in a bundle that does not use it`);
  }
  assert.ok(gz <= CORE_BUDGET_GZIP, `core bundle is ${gz} bytes gzipped; the budget is ${CORE_BUDGET_GZIP}`);
  // And it runs: y(1) = e^{-1} to the default tolerances.
  const mod = await import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`);
  assert.ok(Math.abs(mod.y1 - Math.exp(-1)) < 1e-3);
});

test("a bundle without SubSaveAt: Solution.fromJSON asks for SubSolution to rebuild subs, and rebuilds them given it", async () => {
  needBuild();
  // JSON of a Solution with two outputs, as another program (with SubSaveAt) wrote it.
  const data = { t0: 0, t1: 1, ts: [1], ysFlat: [2], size: 1, result: 0, message: "", stats: {}, tFinal: 1, subs: [{ ts: [1], ysFlat: [2], size: 1 }, { ts: [0, 1], ysFlat: [5, 6], size: 1 }] };
  const bundle = async (source: string) => {
    const entry = join(tmp, "fromjson.mjs");
    writeFileSync(entry, source);
    const r = await build({ entryPoints: [entry], bundle: true, format: "esm", platform: "browser", write: false, metafile: true, absWorkingDir: tmp, logLevel: "silent" });
    const inputs = Object.keys(Object.values(r.metafile.outputs)[0]!.inputs).join(" ");
    return { inputs, mod: await import(`data:text/javascript;base64,${Buffer.from(r.outputFiles[0]!.contents).toString("base64")}`) };
  };
  const without = await bundle(`import { Solution } from "odeflow";
export const run = (d) => Solution.fromJSON(d);
`);
  assert.ok(!without.inputs.includes("dist/esm/subs.js"), without.inputs);
  assert.throws(() => without.mod.run(data), /Solution\.fromJSON: to rebuild the SaveAt subs of this data, pass \{ subs: SubSolution \}/);
  const given = await bundle(`import { Solution, SubSolution } from "odeflow";
export const run = (d) => Solution.fromJSON(d, { subs: SubSolution });
export { SubSolution };
`);
  const sol = given.mod.run(data);
  assert.equal(sol.subs.length, 2);
  assert.ok(sol.subs[1] instanceof given.mod.SubSolution);
  assert.deepEqual(Array.from(sol.subs[1].column(0)), [5, 6]);
});

test("the tarball installs into a fresh project: import, require and the odeflow command work", () => {
  needBuild();
  const project = join(tmp, "fresh");
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", private: true }));
  const packed = JSON.parse(execFileSync("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", tmp], { cwd: root, encoding: "utf8" }))[0];
  const tarball = join(tmp, packed.filename as string);
  // No dependencies to fetch: installs offline.
  execFileSync("npm", ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", tarball], { cwd: project, encoding: "utf8" });
  const check = `const o = %s; const s = o.diffeqsolve({ terms: new o.ODETerm((t, y, a, dy) => { dy[0] = -y[0]; }), solver: new o.Tsit5(), t0: 0, t1: 1, y0: [1], stepsizeController: new o.PIDController({ rtol: 1e-10, atol: 1e-12 }) }); console.log(s.ys[0][0]);`;
  for (const [flag, load] of [["--input-type=module", 'await import("odeflow")'], ["--input-type=commonjs", 'require("odeflow")']] as const) {
    const r = spawnSync(process.execPath, [flag, "-e", check.replace("%s", load)], { cwd: project, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(Math.abs(Number(r.stdout) - Math.exp(-1)) < 1e-9, `${flag}: ${r.stdout}`);
  }
  const bin = join(project, "node_modules", ".bin", "odeflow");
  assert.ok(existsSync(bin), "npm linked the odeflow command");
  const v = spawnSync(bin, ["--version"], { cwd: project, encoding: "utf8" });
  assert.equal(v.stdout, `odeflow ${pkg.version}\n`, v.stderr);
});
