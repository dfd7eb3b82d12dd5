// Builds the playground into a static folder (default playground/dist): index.html, style.css,
// main.js (ES module) and worker.js (the Web Worker, with the library bundled in).
// Usage: node playground/build.mjs [outdir]
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));

/** Builds into `outdir` and returns its absolute path. */
export async function buildPlayground(outdir = join(here, "dist"), { minify = true } = {}) {
  const out = resolve(outdir);
  mkdirSync(out, { recursive: true });
  const common = { bundle: true, minify, sourcemap: false, target: "es2020", logLevel: "warning", platform: "browser" };
  await Promise.all([
    build({ ...common, entryPoints: [join(here, "src", "main.ts")], outfile: join(out, "main.js"), format: "esm" }),
    build({ ...common, entryPoints: [join(here, "src", "worker.ts")], outfile: join(out, "worker.js"), format: "iife" }),
  ]);
  for (const f of ["index.html", "style.css"]) copyFileSync(join(here, f), join(out, f));
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = await buildPlayground(process.argv[2]);
  console.log(`playground built in ${out}; serve that folder (e.g. npx http-server) and open index.html`);
}
