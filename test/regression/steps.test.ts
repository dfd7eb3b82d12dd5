/**
 * Bit-for-bit regression of step sequences: every solve in cases.ts must take exactly the steps
 * recorded in steps.json (the library's own earlier output, a pin rather than a reference; see
 * generate.ts). Accuracy is tested elsewhere against closed forms and published values; this test
 * catches any unintended change of the step-size logic, the solvers' error estimates or their
 * function-evaluation counts.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { CASES, record } from "./cases.js";
import { FIXTURE } from "./generate.js";

const pinned = JSON.parse(readFileSync(FIXTURE, "utf8")) as { about: string; cases: Record<string, ReturnType<typeof record>> };
const REGENERATE = "if the change of steps is intended, run `node --import tsx test/regression/generate.ts` and say why in the commit";

test("steps.json is labelled as the library's own output and has exactly the solves of cases.ts", () => {
  assert.match(pinned.about, /^REGRESSION PIN, NOT A REFERENCE/);
  assert.deepEqual(Object.keys(pinned.cases), CASES.map((c) => c.name), REGENERATE);
});

for (const c of CASES) {
  test(`same steps, bit for bit: ${c.name}`, () => {
    const want = pinned.cases[c.name];
    assert.ok(want !== undefined, `no pinned data; ${REGENERATE}`);
    const got = record(c.solve());
    const n = Math.min(got.stepEnds.length, want.stepEnds.length);
    for (let i = 0; i < n; i++) {
      if (got.stepEnds[i] !== want.stepEnds[i]) {
        assert.fail(`accepted step ${i} ends at ${got.stepEnds[i]}, pinned ${want.stepEnds[i]} (previous: ${i > 0 ? want.stepEnds[i - 1] : "t0"}); ${REGENERATE}`);
      }
    }
    assert.equal(got.stepEnds.length, want.stepEnds.length, `number of saved step ends; ${REGENERATE}`);
    assert.deepEqual(got.stats, want.stats, `statistics; ${REGENERATE}`);
    assert.deepEqual({ result: got.result, tFinal: got.tFinal, yFinal: got.yFinal, events: got.events }, { result: want.result, tFinal: want.tFinal, yFinal: want.yFinal, events: want.events }, REGENERATE);
  });
}
