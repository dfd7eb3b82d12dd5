import assert from "node:assert/strict";
import { test } from "node:test";
import { UnsafeBrownianPath, VirtualBrownianTree } from "../../src/index.js";

const TOL = 2 ** -16;

test("VirtualBrownianTree: the same query twice is bit-identical, in any order and on a fresh tree", () => {
  const a = new VirtualBrownianTree({ t0: 0, t1: 2, tol: TOL, shape: 3, seed: 11, levyArea: "space-time" });
  const w1 = new Float64Array(3), h1 = new Float64Array(3), w2 = new Float64Array(3), h2 = new Float64Array(3);
  a.increment(0.3, 0.71 - 0.3, w1, h1);
  a.increment(1.9, 1.95 - 1.9, w2, h2); // move the cached descent elsewhere
  a.increment(0.3, 0.71 - 0.3, w2, h2);
  assert.deepEqual(Array.from(w2), Array.from(w1));
  assert.deepEqual(Array.from(h2), Array.from(h1));
  const b = new VirtualBrownianTree({ t0: 0, t1: 2, tol: TOL, shape: 3, seed: 11, levyArea: "space-time" });
  b.increment(0.3, 0.71 - 0.3, w2, h2);
  assert.deepEqual(Array.from(w2), Array.from(w1));
  assert.deepEqual(Array.from(h2), Array.from(h1));
  // The W path does not depend on levyArea; another seed gives another path.
  const c = new VirtualBrownianTree({ t0: 0, t1: 2, tol: TOL, shape: 3, seed: 11 });
  c.increment(0.3, 0.71 - 0.3, w2, null);
  assert.deepEqual(Array.from(w2), Array.from(w1));
  a.withSeed(12).increment(0.3, 0.71 - 0.3, w2, null);
  assert.notDeepEqual(Array.from(w2), Array.from(w1));
});

test("VirtualBrownianTree: fine queries are consistent with the coarse path (increments add up, midpoints refine)", () => {
  const bm = new VirtualBrownianTree({ t0: 0, t1: 1, tol: TOL, shape: 2, seed: 5, levyArea: "space-time" });
  const coarse = new Float64Array(2), w = new Float64Array(2), h = new Float64Array(2), hc = new Float64Array(2);
  bm.increment(0.25, 0.75 - 0.25, coarse, hc);
  // Sum of 64 fine increments (in a scrambled order) equals the coarse increment.
  const acc = [0, 0];
  const order = Array.from({ length: 64 }, (_, k) => (k * 37) % 64);
  let areaAcc = [0, 0];
  for (const k of order) {
    const s = 0.25 + k / 128, u = s + 1 / 128;
    bm.increment(s, u - s, w, h);
    for (let i = 0; i < 2; i++) {
      acc[i]! += w[i]!;
      // ∫(W_r − W_a) dr over [a,b] from fine pieces: Σ h_k (W_{a,s_k} + W_k/2 + H_k).
      const Wa = bm.evaluate(s)[i]! - bm.evaluate(0.25)[i]!;
      areaAcc[i]! += (1 / 128) * (Wa + 0.5 * w[i]! + h[i]!);
    }
  }
  for (let i = 0; i < 2; i++) {
    assert.ok(Math.abs(acc[i]! - coarse[i]!) < 1e-13, `sum of increments ${acc[i]} vs ${coarse[i]}`);
    // The coarse Lévy area agrees with the one assembled from the fine pieces.
    const H = areaAcc[i]! / 0.5 - 0.5 * coarse[i]!;
    assert.ok(Math.abs(H - hc[i]!) < 1e-12, `Lévy area ${H} vs ${hc[i]}`);
  }
  // W(mid) lies on the path: W(0.25,0.5) + W(0.5,0.75) = W(0.25,0.75), and evaluate agrees.
  const mid = bm.evaluate(0.5)[0]! - bm.evaluate(0.25)[0]!;
  bm.increment(0.25, 0.5 - 0.25, w, null);
  assert.equal(w[0], mid);
});

/** Sample statistics of increments over disjoint intervals across seeds. */
function increments(make: (seed: number) => { increment(s: number, u: number, w: Float64Array, h: Float64Array | null): void }, intervals: [number, number][], N: number): number[][] {
  const out = intervals.map(() => [] as number[]);
  const w = new Float64Array(1);
  for (let seed = 0; seed < N; seed++) {
    const bm = make(seed);
    intervals.forEach(([s, u], j) => {
      bm.increment(s, u - s, w, null);
      out[j]!.push(w[0]!);
    });
  }
  return out;
}

function checkIndependentGaussian(samples: number[][], intervals: [number, number][], N: number): void {
  // Bounds: 5 standard errors. Mean: SE = √(dt/N). Variance: SE = dt·√(2/N). Correlation: SE = 1/√N.
  samples.forEach((xs, j) => {
    const dt = intervals[j]![1] - intervals[j]![0];
    const mean = xs.reduce((a, b) => a + b, 0) / N;
    const v = xs.reduce((a, b) => a + b * b, 0) / N;
    assert.ok(Math.abs(mean) < 5 * Math.sqrt(dt / N), `mean over [${intervals[j]}] = ${mean}`);
    assert.ok(Math.abs(v - dt) < 5 * dt * Math.sqrt(2 / N), `variance over [${intervals[j]}] = ${v}, want ${dt}`);
    // Kurtosis check: E[Z⁴] = 3 for a Gaussian; SE of the sample fourth moment is √(96/N).
    const k4 = xs.reduce((a, b) => a + (b * b) / (dt * dt) * b * b, 0) / N;
    assert.ok(Math.abs(k4 - 3) < 5 * Math.sqrt(96 / N), `fourth moment ${k4}`);
  });
  for (let a = 0; a < samples.length; a++) {
    for (let b = a + 1; b < samples.length; b++) {
      const da = intervals[a]![1] - intervals[a]![0], db = intervals[b]![1] - intervals[b]![0];
      let c = 0;
      for (let i = 0; i < N; i++) c += samples[a]![i]! * samples[b]![i]!;
      const corr = c / N / Math.sqrt(da * db);
      assert.ok(Math.abs(corr) < 5 / Math.sqrt(N), `correlation of [${intervals[a]}] and [${intervals[b]}] = ${corr}`);
    }
  }
}

test("VirtualBrownianTree: increments over disjoint intervals are independent N(0, dt) (dyadic and not)", () => {
  const N = 4000;
  const intervals: [number, number][] = [[0, 0.125], [0.125, 0.3337], [0.3337, 0.4121], [0.5, 0.77], [0.77, 1]];
  const tree = new VirtualBrownianTree({ t0: 0, t1: 1, tol: TOL, seed: 0 });
  checkIndependentGaussian(increments((s) => tree.withSeed(s), intervals, N), intervals, N);
});

test("VirtualBrownianTree: the space–time Lévy area has variance h/12 and is uncorrelated with W", () => {
  const N = 4000;
  const w = new Float64Array(1), h = new Float64Array(1);
  const tree = new VirtualBrownianTree({ t0: 0, t1: 1, tol: TOL, seed: 0, levyArea: "space-time" });
  for (const [s, u] of [[0, 1], [0.25, 0.5], [0.1, 0.35]] as const) {
    let vh = 0, c = 0;
    const dt = u - s;
    for (let seed = 0; seed < N; seed++) {
      tree.withSeed(seed).increment(s, u - s, w, h);
      vh += h[0]! ** 2;
      c += w[0]! * h[0]!;
    }
    vh /= N;
    assert.ok(Math.abs(vh - dt / 12) < 5 * (dt / 12) * Math.sqrt(2 / N), `Var H over [${s}, ${u}] = ${vh}, want ${dt / 12}`);
    assert.ok(Math.abs(c / N / Math.sqrt(dt * dt / 12)) < 5 / Math.sqrt(N), "W and H uncorrelated");
  }
});

test("UnsafeBrownianPath: abutting increments are independent N(0, dt) and deterministic in the seed", () => {
  const N = 4000;
  const intervals: [number, number][] = [[0, 0.1], [0.1, 0.35], [0.35, 1]];
  checkIndependentGaussian(increments((s) => new UnsafeBrownianPath({ seed: s }), intervals, N), intervals, N);
  const a = new Float64Array(3), b = new Float64Array(3);
  new UnsafeBrownianPath({ shape: 3, seed: 9 }).increment(0.5, 0.6 - 0.5, a, null);
  new UnsafeBrownianPath({ shape: 3, seed: 9 }).increment(0.5, 0.6 - 0.5, b, null);
  assert.deepEqual(Array.from(a), Array.from(b));
});

test("Brownian paths refuse bad options with messages that name them", () => {
  assert.throws(() => new VirtualBrownianTree({ t0: 1, t1: 0 }), /need t0 < t1; got t0 = 1, t1 = 0/);
  assert.throws(() => new VirtualBrownianTree({ t0: 0, t1: 1, tol: 0 }), /`tol` = 0 must be a number/);
  assert.throws(() => new VirtualBrownianTree({ t0: 0, t1: 1, shape: 0 }), /`shape` = number 0 must be a whole number ≥ 1/);
  assert.throws(() => new VirtualBrownianTree({ t0: 0, t1: 1, seed: -3 }), /`seed` = -3 must be a whole number/);
  assert.throws(() => new VirtualBrownianTree({ t0: 0, t1: 1, levyArea: "space" as never }), /`levyArea` = the string "space" must be "none" or "space-time"/);
  assert.throws(() => new VirtualBrownianTree({ t0: 0, t1: 1, dt: 1 } as never), /unknown option `dt`/);
  const bm = new VirtualBrownianTree({ t0: 0, t1: 1 });
  assert.throws(() => bm.evaluate(1.5), /time t = 1.5 is outside \[t0, t1\] = \[0, 1\]/);
  // A step end t + dt that rounds an ulp past t1 is t1.
  assert.deepEqual(Array.from(bm.evaluate(1 + 2 ** -52)), Array.from(bm.evaluate(1)));
});
