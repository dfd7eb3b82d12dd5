/**
 * Writes steps.json: the step sequences of the solves in cases.ts, as odeflow computes them now.
 *
 *   node --import tsx test/regression/generate.ts
 *
 * The file is a regression pin of the library's OWN output, not a reference solution: it proves
 * nothing about accuracy (the accuracy tests compare with closed forms and published values). It
 * makes any change of the steps taken visible, bit for bit. Regenerate it only for a change that is
 * meant to alter steps (a new controller rule, a solver fix), and say in the commit why the steps
 * changed; a refactoring must leave it untouched.
 */
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CASES, record } from "./cases.js";

export const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), "steps.json");

export const ABOUT =
  "REGRESSION PIN, NOT A REFERENCE: odeflow's own output for the solves in test/regression/cases.ts " +
  "(accepted step end times, statistics, final state; doubles as shortest round-trip decimal strings, so every bit is kept). " +
  "It says nothing about accuracy; it makes any change of the steps taken visible. Regenerate with " +
  "`node --import tsx test/regression/generate.ts` only for a change meant to alter steps, and say why in the commit.";

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const cases: Record<string, ReturnType<typeof record>> = {};
  for (const c of CASES) cases[c.name] = record(c.solve());
  const json = JSON.stringify({ about: ABOUT, generator: "test/regression/generate.ts", cases }, null, 1);
  writeFileSync(FIXTURE, json + "\n");
  console.log(`wrote ${FIXTURE}: ${CASES.length} solves, ${(json.length / 1024).toFixed(0)} KiB`);
}
