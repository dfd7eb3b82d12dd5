// Fuzzing diffeqsolve over its whole option space (see contract.ts for the contract and
// solve-cases.ts for the option space). Seeded; ODEFLOW_FUZZ_RUNS / ODEFLOW_FUZZ_SEED for longer runs.
import { test } from "node:test";
import fc from "fast-check";
import { FUZZ_SEED, fuzzRuns, fuzzTimeout } from "./contract.js";
import { fuzzParams } from "../fuzz-params.js";
import { knownCoreDefect } from "./known-core-defects.js";
import { solveCaseArb } from "./solve-cases.js";
import { checkSolveCase } from "./solve-check.js";

test("fuzz: diffeqsolve keeps the contract on random valid and invalid options", { timeout: fuzzTimeout(fuzzRuns(120), 200) }, () => {
  fc.assert(
    fc.property(solveCaseArb.filter((c) => knownCoreDefect(c) === null), (c) => {
      const why = checkSolveCase(c);
      if (why !== null) throw new Error(why);
    }),
    fuzzParams(FUZZ_SEED, 120),
  );
});
