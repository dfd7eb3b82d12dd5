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
      },
    }],
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
      if (statSync(p).isDirectory()) { if (p !== join("src", "cli") && p !== join("src", "node") && p !== join("src", "plot")) scan(p); }
      else if (p.endsWith(".ts") && !p.endsWith(".d.ts")) entries.push(p);
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
  await Promise.all([buildCli(), buildModules()]);
}

// ESM and CommonJS builds with bundled type declarations (.d.ts and .d.cts); and `odeflow/webgpu`
// (src/node/webgpu.ts: a GPUDevice in Node from the optional peer `webgpu`), ESM only, as that
// package is.
export default defineConfig([
  {
    entry: { index: "src/index.ts" },
    format: ["esm", "cjs"],
    dts: true,
    sourcemap: true,
    // Not `clean: true`: both builds write into dist/ at once, and a clean by one could delete
    // the other's files; `npm run build` empties dist/ first instead.
    clean: false,
    target: "es2020",
    platform: "neutral",
    treeshake: true,
    // One file per format: the lazy import of the WebGPU backend is inlined, not split into a chunk.
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
