/**
 * The `odeflow` command (package.json `bin`): `odeflow solve model.js --t1 10 ...`.
 * Exit status 0 on success, 1 when the solve fails (the rows before the failure are written), 2 on
 * a bad command line or model, 3 on an internal error (see EXIT in solve.ts).
 */
import { readFileSync } from "node:fs";
import { HELP_MAIN, HELP_SOLVE, UsageError, parseArgs } from "./args.js";
import { EXIT, type Io, solveCommand } from "./solve.js";
import { HELP_WORKER, parseWorkerArgs, workerCommand } from "./worker.js";

function version(): string {
  // dist/cli.js and src/cli/main.ts both sit two levels or one below package.json.
  for (const rel of ["../package.json", "../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "odeflow") return pkg.version ?? "unknown";
    } catch {
      // try the next location
    }
  }
  return "unknown";
}

/** Runs the command line and returns the exit status (never calls process.exit). */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  try {
    const cmd = parseArgs(argv);
    if (cmd.kind === "help") {
      io.stdout(cmd.topic === "solve" ? HELP_SOLVE : cmd.topic === "worker" ? HELP_WORKER : HELP_MAIN);
      return 0;
    }
    if (cmd.kind === "worker") {
      const w = parseWorkerArgs(cmd.argv);
      if (w === null) {
        io.stdout(HELP_WORKER);
        return 0;
      }
      return await workerCommand(w, io);
    }
    if (cmd.kind === "version") {
      io.stdout(`odeflow ${version()}\n`);
      return 0;
    }
    return await solveCommand(cmd.options, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`odeflow: ${e.message}\nRun odeflow ${argv[0] === "worker" ? "worker" : "solve"} --help for usage.\n`);
      return EXIT.usage;
    }
    // Everything the user can cause is a UsageError or a failed solve: this is a bug in odeflow.
    io.stderr(`odeflow: internal error (please report it, with the command and the model): ${(e as Error)?.stack ?? String(e)}\n`);
    return EXIT.internal;
  }
}
