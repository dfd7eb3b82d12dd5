import assert from "node:assert/strict";
import { test } from "node:test";
import { normalPair, philox4x32, seedToKey, splitKey } from "../../src/index.js";

// Known-answer vectors of Philox4x32-10 from the Random123 distribution (tests/kat_vectors),
// Salmon, Moraes, Dror & Shaw, SC'11: counter (4 words), key (2 words) → output (4 words).
const KAT: [number[], number[], number[]][] = [
  [[0x00000000, 0x00000000, 0x00000000, 0x00000000], [0x00000000, 0x00000000], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]],
  [[0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]],
  [[0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0], [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]],
];

test("Philox4x32-10 reproduces the Random123 known-answer vectors", () => {
  for (const out of [new Uint32Array(4), new Float64Array(4)]) {
    for (const [c, k, expected] of KAT) {
      philox4x32(c[0]!, c[1]!, c[2]!, c[3]!, k[0]!, k[1]!, out);
      assert.deepEqual(Array.from(out), expected);
    }
  }
});

test("normalPair gives standard normals: mean, variance, correlation, tail within 5 standard errors", () => {
  const N = 100_000;
  const z = new Float64Array(2);
  let s0 = 0, s1 = 0, q0 = 0, q1 = 0, c = 0, tail = 0;
  for (let i = 0; i < N; i++) {
    normalPair(i, 0, 0, 0, 12345, 678, z, 0);
    s0 += z[0]!; s1 += z[1]!; q0 += z[0]! ** 2; q1 += z[1]! ** 2; c += z[0]! * z[1]!;
    if (Math.abs(z[0]!) > 2) tail++;
  }
  const se = 1 / Math.sqrt(N);
  assert.ok(Math.abs(s0 / N) < 5 * se && Math.abs(s1 / N) < 5 * se, "means");
  // Var of z² is 2 for a standard normal.
  assert.ok(Math.abs(q0 / N - 1) < 5 * Math.sqrt(2) * se && Math.abs(q1 / N - 1) < 5 * Math.sqrt(2) * se, "variances");
  assert.ok(Math.abs(c / N) < 5 * se, "correlation of the pair");
  const p = 0.04550026389635842; // P(|Z| > 2)
  assert.ok(Math.abs(tail / N - p) < 5 * Math.sqrt(p * (1 - p) / N), `tail ${tail / N}`);
});

test("seeds and split keys: distinct, deterministic, and bad seeds are refused with a clear message", () => {
  assert.deepEqual(seedToKey(2 ** 40 + 5, "seed"), [5, 256]);
  assert.deepEqual(splitKey(1, 2, 7), splitKey(1, 2, 7));
  assert.notDeepEqual(splitKey(1, 2, 7), splitKey(1, 2, 8));
  assert.throws(() => seedToKey(-1, "seed"), /seed = -1 must be a whole number from 0 to 2\^53/);
  assert.throws(() => seedToKey(1.5, "seed"), /seed = 1.5/);
});
