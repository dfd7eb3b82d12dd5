import { build } from "esbuild";
import { defineConfig } from "tsup";

/**
 * The command line (`bin`: dist/cli.js), built after the library so that it imports the library's
 * ESM bundle (./index.js) instead of carrying a second copy of it.
 */
async function buildCli(): Promise<void> {
  await build({
    entryPoints: ["src/cli/bin.ts"],
    outfile: "dist/cli.js",
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    banner: { js: "#!/usr/bin/env node" },
    logLevel: "warning",
    // --plot draws through odeflow/plot's optional peers, imported when a plot is asked for.
    external: ["echarts", "@resvg/resvg-js"],
    plugins: [{
      name: "library-external",
      setup(b) {
        b.onResolve({ filter: /^\.\.\/index\.js$/ }, () => ({ path: "./index.js", external: true }));
        b.onResolve({ filter: /^\.\.\/distributed\/index\.js$/ }, () => ({ path: "./distributed/index.js", external: true }));
      },
    }],
  });
}

/**
 * odeflow/distributed (dist/distributed/): the job-queue entry point, ESM and CommonJS. It uses
 * the library only through its public surface, `../index.js`, which stays an import of the
 * package's own build (dist/index.js or dist/index.cjs), so solver classes are the user's;
 * bullmq and ioredis are optional peer dependencies, never bundled. Declarations come from each
 * source file alone (TypeScript's transpileDeclaration), .d.cts ones pointing at .cjs siblings.
 */
async function buildDistributed(): Promise<void> {
  const { readdirSync, readFileSync, writeFileSync, mkdirSync } = await import("node:fs");
  const ts = (await import("typescript")).default;
  const common = { entryPoints: ["src/distributed/index.ts"], bundle: true, platform: "node" as const, target: "node20", logLevel: "warning" as const, external: ["bullmq", "ioredis"] };
  const library = (file: string) => ({
    name: "library-external",
    setup(b: { onResolve(o: { filter: RegExp }, f: () => { path: string; external: boolean }): void }) {
      b.onResolve({ filter: /^\.\.\/index\.js$/ }, () => ({ path: file, external: true }));
    },
  });
  await Promise.all([
    build({ ...common, format: "esm", outfile: "dist/distributed/index.js", plugins: [library("../index.js")] }),
    build({ ...common, format: "cjs", outfile: "dist/distributed/index.cjs", plugins: [library("../index.cjs")] }),
  ]);
  mkdirSync("dist/distributed", { recursive: true });
  for (const name of readdirSync("src/distributed").filter((f) => f.endsWith(".ts"))) {
    const source = readFileSync(`src/distributed/${name}`, "utf8");
    const out = ts.transpileDeclaration(source, { fileName: name, reportDiagnostics: true, compilerOptions: { target: ts.ScriptTarget.ES2020, module: ts.ModuleKind.ESNext, strict: true } });
    if (out.diagnostics !== undefined && out.diagnostics.length > 0) {
      throw new Error(`src/distributed/${name}: ${out.diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, " ")).join("; ")}`);
    }
    const base = name.replace(/\.ts$/, "");
    writeFileSync(`dist/distributed/${base}.d.ts`, out.outputText);
    writeFileSync(`dist/distributed/${base}.d.cts`, out.outputText.replace(/(from\s+["'][^"']+)\.js(["'])/g, "$1.cjs$2"));
  }
}

/**
 * The script of the ensemble's worker threads (dist/ensemble-worker.cjs): CommonJS, because a
 * fresh thread loads a CommonJS script in about 4 ms where starting the ES module loader and
 * importing the library takes 35 ms or more; only the ensemble runner and the solvers.
 */
async function buildEnsembleWorker(): Promise<void> {
  await build({
    entryPoints: ["src/ensemble/thread-main.ts"],
    outfile: "dist/ensemble-worker.cjs",
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    logLevel: "warning",
  });
}

/**
 * A second ESM build, one file per source module (dist/esm/**), for bundlers (the `module`
 * condition in package.json `exports`): with `sideEffects: false` a bundler then drops every
 * module an application does not import, including the compiler's parser (acorn, inlined into
 * dist/esm/compile/parse.js only). The single-file bundle dist/index.js cannot be tree-shaken
 * that way (top-level tableau construction and acorn's set-up are statements a bundler keeps).
 */
async function buildModules(): Promise<void> {
  const { readdirSync, statSync } = await import("node:fs");
  const { join } = await import("node:path");
  const entries: string[] = [];
  const scan = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      const skip = [join("src", "cli"), join("src", "node"), join("src", "distributed"), join("src", "plot")];
      if (statSync(p).isDirectory()) { if (!skip.includes(p)) scan(p); }
      else if (p.endsWith(".ts") && !p.endsWith(".d.ts") && p !== join("src", "ensemble", "thread-main.ts")) entries.push(p);
    }
  };
  scan("src");
  await build({
    entryPoints: entries,
    outdir: "dist/esm",
    outbase: "src",
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2020",
    logLevel: "warning",
    plugins: [{
      name: "modules-external",
      setup(b) {
        // Every relative import stays an import of the sibling output file; only acorn is inlined.
        b.onResolve({ filter: /^\./ }, (a) => (a.kind === "entry-point" ? undefined : { path: a.path, external: true }));
      },
    }],
  });
}

async function afterBuild(): Promise<void> {
  await Promise.all([buildCli(), buildModules(), buildEnsembleWorker(), buildDistributed()]);
}

// ESM and CommonJS builds with bundled type declarations (.d.ts and .d.cts); and `odeflow/webgpu`
// (src/node/webgpu.ts: a GPUDevice in Node from the optional peer `webgpu`), ESM only, as that
// package is.
export default defineConfig([
  {
    entry: { index: "src/entry.ts" },
    format: ["esm", "cjs"],
    dts: true,
    sourcemap: true,
    // Not `clean: true`: both builds write into dist/ at once, and a clean by one could delete
    // the other's files; `npm run build` empties dist/ first instead.
    clean: false,
    target: "es2020",
    platform: "neutral",
    treeshake: true,
    // One file per format: lazy imports inside the library (the WebGPU backend, the ensemble's
    // catalog of solvers) stay in the bundle instead of becoming chunks (dist/esm/ keeps them
    // separate modules).
    splitting: false,
    // The compiler's parser is bundled so that the published package has no runtime dependency.
    noExternal: ["acorn"],
    onSuccess: afterBuild,
  },
  {
    entry: { webgpu: "src/node/webgpu.ts" },
    format: ["esm"],
    dts: true,
    sourcemap: true,
    target: "node20",
    platform: "node",
    external: ["webgpu"],
  },
  // `odeflow/plot` (src/plot/): sampling and figures without dependencies; SVG and PNG through the
  // optional peers echarts and @resvg/resvg-js, imported when first drawn.
  {
    entry: { plot: "src/plot/index.ts" },
    format: ["esm", "cjs"],
    dts: true,
    sourcemap: true,
    target: "es2020",
    platform: "neutral",
    external: ["echarts", "@resvg/resvg-js"],
  },
]);
