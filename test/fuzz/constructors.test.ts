// Fuzzing every public constructor's options (constructor-cases.ts): each either constructs or
// throws a named error; what it builds then keeps the contract in a small solve.
import { test } from "node:test";
import fc from "fast-check";
import { FUZZ_SEED, fuzzRuns, fuzzTimeout } from "./contract.js";
import { fuzzParams } from "../fuzz-params.js";
import { checkConstructorCase, constructorCaseArb } from "./constructor-cases.js";
import { knownCoreDefect } from "./known-core-defects.js";

test("fuzz: every public constructor either builds something the solve can use correctly or names the bad option", { timeout: fuzzTimeout(fuzzRuns(600), 50) }, () => {
  fc.assert(
    fc.property(constructorCaseArb.filter((c) => knownCoreDefect(c) === null), (c) => {
      const why = checkConstructorCase(c);
      if (why !== null) throw new Error(`${c.target.name}: ${why}`);
    }),
    fuzzParams(FUZZ_SEED, 600),
  );
});
