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
  onSuccess: buildCli,
});
