import { defineConfig } from "tsup";

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
});
