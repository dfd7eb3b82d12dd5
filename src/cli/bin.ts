/** The executable behind `npx odeflow` (built to dist/cli.js with a `#!/usr/bin/env node` line). */
import { main } from "./main.js";

main(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  isTTY: process.stderr.isTTY === true,
  cwd: process.cwd(),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`odeflow: ${String((e as Error)?.stack ?? e)}\n`);
    process.exitCode = 1;
  },
);
