// Fuzzing solveEnsembleSync and solveEnsemble over their options (ensemble-cases.ts): a named
// error, or every trajectory right (closed form) or failed with its data up to the failure.
import { test } from "node:test";
import fc from "fast-check";
import { FUZZ_SEED, fuzzRuns, fuzzTimeout } from "./contract.js";
import { fuzzParams } from "../fuzz-params.js";
import { checkEnsembleCase, ensembleCaseArb } from "./ensemble-cases.js";
import { knownCoreDefect } from "./known-core-defects.js";

test("fuzz: solveEnsemble keeps the contract for every trajectory on random valid and invalid options", { timeout: fuzzTimeout(fuzzRuns(150), 300) }, async () => {
  await fc.assert(
    fc.asyncProperty(ensembleCaseArb.filter((c) => knownCoreDefect(c) === null), async (c) => {
      const why = await checkEnsembleCase(c);
      if (why !== null) throw new Error(why);
    }),
    fuzzParams(FUZZ_SEED, 150),
  );
});
