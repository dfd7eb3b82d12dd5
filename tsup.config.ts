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
    plugins: [{
      name: "library-external",
      setup(b) {
        b.onResolve({ filter: /^\.\.\/index\.js$/ }, () => ({ path: "./index.js", external: true }));
      },
    }],
  });
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
      if (statSync(p).isDirectory()) { if (p !== join("src", "cli")) scan(p); }
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
  await Promise.all([buildCli(), buildModules(), buildEnsembleWorker()]);
}

// ESM and CommonJS builds with bundled type declarations (.d.ts and .d.cts).
export default defineConfig({
  entry: { index: "src/index.ts" },
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "es2020",
  platform: "neutral",
  treeshake: true,
  // The compiler's parser is bundled so that the published package has no runtime dependency.
  noExternal: ["acorn"],
  onSuccess: afterBuild,
});
