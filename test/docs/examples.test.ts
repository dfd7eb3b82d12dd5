// Every TypeScript/JavaScript example in the guides (docs/*.md) and README.md is run, so none goes
// stale. A block is a self-contained ES module that imports from "odeflow" (mapped here to
// src/index.ts) and checks its own results with node:assert against closed forms or published
// values. Blocks fenced as ```sh, ```text or ```json are not code to run.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
// The Node entry (src/entry.ts): what `import "odeflow"` gives in Node (WebAssembly kernels installed).
const library = pathToFileURL(join(root, "src", "entry.ts")).href;
/** `odeflow/webgpu` (a GPUDevice in Node), mapped to its source as "odeflow" is. */
const webgpuEntry = pathToFileURL(join(root, "src", "node", "webgpu.ts")).href;
/** `odeflow/plot`, mapped to its source likewise. */
const plotEntry = pathToFileURL(join(root, "src", "plot", "index.ts")).href;
const tmp = mkdtempSync(join(tmpdir(), "odeflow-docs-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** The guides and the least number of runnable examples each must keep. */
export const GUIDES: Record<string, number> = {
  "docs/getting-started.md": 3,
  "docs/choosing-a-solver.md": 2,
  "docs/stiff-problems.md": 3,
  "docs/events.md": 3,
  "docs/gradients.md": 3,
  "docs/ensembles.md": 2,
  "docs/sdes.md": 3,
  "docs/performance.md": 3,
  "docs/command-line.md": 1,
  "docs/integrator.md": 4,
  "docs/ensembles-on-the-gpu.md": 2,
  "docs/webassembly.md": 3,
  "docs/plotting.md": 3,
  "docs/delay-equations.md": 4,
  "docs/data-and-controls.md": 4,
};

/** Splits a command line into words (single and double quotes, no expansions). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /'([^']*)'|"([^"]*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) words.push(m[1] ?? m[2] ?? m[3]!);
  return words;
}

interface Block { file: string; line: number; lang: string; code: string }

/** Fenced code blocks of a Markdown file, with the line each starts on. */
export function codeBlocks(file: string, text: string): Block[] {
  const blocks: Block[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const fence = open[2]!;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !lines[j]!.trimStart().startsWith(fence); j++) body.push(lines[j]!);
    assert.ok(j < lines.length, `${file}:${i + 1}: a code block is never closed`);
    blocks.push({ file, line: i + 1, lang: open[3]!.toLowerCase(), code: body.join("\n") });
    i = j;
  }
  return blocks;
}

const RUNNABLE = new Set(["ts", "typescript", "js", "javascript", "mjs"]);
const DOCUMENTED = new Set([...RUNNABLE, "sh", "bash", "shell", "text", "json", "csv", "html", ""]);

const files = [...Object.keys(GUIDES), ...(existsSync(join(root, "README.md")) ? ["README.md"] : [])];
const extra = existsSync(join(root, "docs")) ? readdirSync(join(root, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`) : [];
for (const f of extra) if (!files.includes(f)) files.push(f);

test("the code-block extractor finds fences, languages and line numbers", () => {
  const md = "# t\n\n```ts\nconst a = 1;\n```\ntext\n````sh\nnpx odeflow\n````\n";
  assert.deepEqual(codeBlocks("x.md", md), [
    { file: "x.md", line: 3, lang: "ts", code: "const a = 1;" },
    { file: "x.md", line: 7, lang: "sh", code: "npx odeflow" },
  ]);
});

for (const file of files) {
  const path = join(root, file);
  test(`${file}: exists and keeps its examples`, () => {
    assert.ok(existsSync(path), `${file} is missing`);
    const blocks = codeBlocks(file, readFileSync(path, "utf8"));
    const runnable = blocks.filter((b) => RUNNABLE.has(b.lang) || (b.lang === "sh" && b.code.includes("npx odeflow ")));
    assert.ok(runnable.length >= (GUIDES[file] ?? 0), `${file} has ${runnable.length} runnable examples; expected at least ${GUIDES[file]}`);
    for (const b of blocks) assert.ok(DOCUMENTED.has(b.lang), `${file}:${b.line}: unknown code-block language "${b.lang}" (ts/js blocks run; sh/text/json do not)`);
  });
  if (!existsSync(path)) continue;
  const all = codeBlocks(file, readFileSync(path, "utf8"));
  // Files shown in a guide (```js file=model.mjs) are written to its working folder, where its
  // `npx odeflow` command lines (```sh) then run against the built dist/cli.js.
  const work = join(tmp, file.replace(/[/.]/g, "_"));
  const shown = all.filter((b) => / file=/.test(readFileSync(path, "utf8").split("\n")[b.line - 1]!));
  const commands = all.filter((b) => b.lang === "sh").flatMap((b) => b.code.split("\n").filter((l) => l.startsWith("npx odeflow ")).map((l) => ({ b, l })));
  if (commands.length > 0) {
    test(`${file}: its odeflow command lines run`, () => {
      mkdirSync(work, { recursive: true });
      for (const s of shown) writeFileSync(join(work, /file=(\S+)/.exec(readFileSync(path, "utf8").split("\n")[s.line - 1]!)![1]!), s.code + "\n");
      const cli = join(root, "dist", "cli.js");
      assert.ok(existsSync(cli), "dist/cli.js is missing: run `npm run build` first (npm test does).");
      for (const { b, l } of commands) {
        const argv = shellWords(l).slice(2);
        const r = spawnSync(process.execPath, [cli, ...argv], { cwd: work, encoding: "utf8" });
        assert.equal(r.status, 0, `${file}:${b.line}: ${l}\n${r.stderr}`);
        for (let i = 0; i < argv.length - 1; i++) {
          if (argv[i] === "--out" || argv[i] === "--plot") assert.ok(existsSync(join(work, argv[i + 1]!)), `${l} did not write ${argv[i + 1]}`);
        }
      }
    });
  }
  const blocks = all.filter((b) => RUNNABLE.has(b.lang) && !shown.includes(b));
  blocks.forEach((b, k) => {
    test(`${file}:${b.line} runs`, async () => {
      assert.match(b.code, /from "odeflow(\/plot)?"/, `${file}:${b.line}: an example imports from "odeflow", as users write it`);
      const code = b.code.replace(/from "odeflow"/g, `from ${JSON.stringify(library)}`).replace(/from "odeflow\/webgpu"/g, `from ${JSON.stringify(webgpuEntry)}`)
        .replace(/from "odeflow\/plot"/g, `from ${JSON.stringify(plotEntry)}`);
      const out = join(tmp, `${file.replace(/[/.]/g, "_")}_${k}.mts`);
      // Keep the block's line numbers in stack traces: the fence line becomes a comment.
      writeFileSync(out, `// ${file}:${b.line}\n${code}\n`);
      const log = console.log;
      const printed: string[] = [];
      console.log = (...a: unknown[]) => void printed.push(a.map(String).join(" "));
      try {
        await import(pathToFileURL(out).href);
      } catch (e) {
        (e as Error).message = `${file}:${b.line}: ${(e as Error).message}`;
        throw e;
      } finally {
        console.log = log;
      }
    });
  });
}
