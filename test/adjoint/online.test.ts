import { test } from "node:test";
import assert from "node:assert/strict";
import { diffeqsolveVjp, ODETerm, PIDController, RecursiveCheckpointAdjoint, SaveAt, Tsit5 } from "../../src/index.js";
import { DynamicCheckpoints } from "../../src/adjoint/online.js";
import { StummWaltherR2, SW_APPEND, SW_DONE, SW_SKIP } from "../../src/adjoint/online_stumm_walther.js";
import { bruteForce } from "./checkpointing.js";

/** β(s, r) = C(s + r, s), written out here independently of src. */
function beta(s: number, r: number): number {
  let b = 1;
  for (let i = 1; i <= r; i++) b = (b * (s + i)) / i;
  return Math.round(b);
}

const T = bruteForce(700, 32);

/** Recomputed steps of the reverse sweep from kept states `pos` after l steps (as checkpointVjp reverses). */
function sweepCost(pos: ArrayLike<number>, count: number, l: number, c: number): number {
  let cost = 0;
  for (let j = 0; j < count; j++) cost += T[c - j]![(j === count - 1 ? l - 1 : pos[j + 1]!) - pos[j]!]!;
  return cost;
}

/** Revolve's optimum for the reverse sweep after the forward solve: T(l, c) − (l − 1). */
const optimum = (l: number, c: number): number => (l <= c + 1 ? 0 : T[c]![l]! - (l - 1));

/**
 * The recorder's protocol with a fixed budget and an unknown count: the initial state kept, the
 * state of step p decided once step p + 1 exists, Stumm–Walther then Wang–Moin–Iaccarino.
 * Calls `check(l, dc)` after each step l = 1, 2, …, L with the kept states.
 */
function simulate(c: number, L: number, check: (l: number, dc: DynamicCheckpoints) => void): void {
  const dc = new DynamicCheckpoints(c);
  const sw = new StummWaltherR2(c);
  let handedOver = false;
  let slots = 0;
  for (let l = 1; l <= L; l++) {
    const i = l - 1; // the step just accepted
    if (i === 0) dc.append(0, Infinity, slots++);
    else if (i > 1) {
      const p = i - 1;
      const a = handedOver ? SW_DONE : sw.next(p);
      if (a === SW_APPEND) dc.append(p, 0, slots++);
      else if (a === SW_DONE) {
        if (!handedOver) dc.setLevels(1);
        handedOver = true;
        dc.place(p, c, () => slots++);
      } else if (a !== SW_SKIP) dc.replace(a, p, 0);
    }
    assert.ok(dc.count <= c && slots <= c, `c=${c} l=${l}: ${dc.count} kept, ${slots} slots`);
    assert.equal(dc.positions[0], 0);
    for (let k = 1; k < dc.count; k++) assert.ok(dc.positions[k]! > dc.positions[k - 1]! && dc.positions[k]! <= l - 2);
    check(l, dc);
  }
}

test("brute-force table agrees with Griewank & Walther's closed form (sanity of the reference)", () => {
  for (let s = 1; s <= 20; s++) {
    for (const l of [2, s + 1, s + 2, beta(s, 2), Math.min(700, beta(s, 3))]) {
      let r = 0;
      while (beta(s, r) < l) r++;
      if (l <= 700) assert.equal(T[s]![l], r * l - beta(s + 1, r - 1), `l=${l} s=${s}`);
    }
  }
});

test("Stumm–Walther phase: for every l ≤ β(c, 2), c = 1 … 20, the reverse sweep costs exactly revolve's optimum", () => {
  for (let c = 1; c <= 20; c++) {
    const b2 = beta(c, 2);
    let checked = 0;
    simulate(c, b2, (l, dc) => {
      assert.equal(sweepCost(dc.positions, dc.count, l, c), optimum(l, c), `c=${c} l=${l}: kept ${Array.from(dc.positions.subarray(0, dc.count))}`);
      checked++;
    });
    assert.equal(checked, b2);
  }
  // At l = β(c, 2) the optimum is unique: segment lengths c + 1, c, …, 2 (here c = 4: states 0, 5, 9, 12; step 14 last).
  simulate(4, beta(4, 2), (l, dc) => {
    if (l === 15) assert.deepEqual(Array.from(dc.positions.subarray(0, dc.count)), [0, 5, 9, 12]);
  });
});

test("beyond β(c, 2) Wang–Moin–Iaccarino takes over: never more than c states, never below the optimum", () => {
  for (const c of [1, 2, 3, 5, 8, 13]) {
    const L = Math.min(700, 3 * beta(c, 3));
    let above = 0;
    simulate(c, L, (l, dc) => {
      const cost = sweepCost(dc.positions, dc.count, l, c);
      assert.ok(cost >= optimum(l, c), `c=${c} l=${l}`);
      if (l > beta(c, 2) && cost > optimum(l, c)) above++;
    });
    if (c >= 3) assert.ok(above > 0, "past β(c, 2) the online schedule is no longer optimal everywhere");
  }
});

test("why the optimal phase ends at β(c, 2): no online schedule stays optimal to β(c, 3) for c ≥ 3", () => {
  // Exhaustive: from the unique optimal set at β(c, 2), every online move (keep nothing, or keep
  // one new state q ≤ l − 1 in place of any checkpoint but the initial one) that stays optimal.
  const lastOptimal = (c: number): number => {
    const start = [0];
    for (let s = c; s >= 2; s--) start.push(start[start.length - 1]! + s + 1);
    let frontier = new Map<string, number[]>([[start.join(","), start]]);
    let l = beta(c, 2);
    assert.equal(sweepCost(start, c, l, c), optimum(l, c));
    for (; l < beta(c, 3); l++) {
      const next = new Map<string, number[]>();
      for (const K of frontier.values()) {
        const candidates = [K];
        for (let q = K[K.length - 1]! + 1; q <= l - 1; q++) {
          for (let d = 1; d < K.length; d++) candidates.push([...K.slice(0, d), ...K.slice(d + 1), q]);
        }
        for (const K2 of candidates) if (sweepCost(K2, K2.length, l + 1, c) === optimum(l + 1, c)) next.set(K2.join(","), K2);
      }
      if (next.size === 0) break;
      frontier = next;
    }
    return l;
  };
  assert.equal(lastOptimal(2), beta(2, 3)); // c = 2: possible to β(2, 3) = 10
  assert.equal(lastOptimal(3), 14); // β(3, 3) = 20
  assert.equal(lastOptimal(4), 19); // β(4, 3) = 35
  assert.equal(lastOptimal(5), beta(5, 2) + 4); // β(5, 3) = 56
});

const decay = {
  f: (_t: number, y: Float64Array, a: { k: number }, dy: Float64Array) => {
    dy[0] = -a.k * y[0]! + Math.sin(y[1]!);
    dy[1] = a.k * y[0]! - 0.5 * y[1]!;
  },
  vjp: (_t: number, y: Float64Array, a: { k: number }, w: Float64Array, out: Float64Array) => {
    out[0] = -a.k * w[0]! + a.k * w[1]!;
    out[1] = Math.cos(y[1]!) * w[0]! - 0.5 * w[1]!;
  },
  vjpArgs: (_t: number, y: Float64Array, _a: unknown, w: Float64Array, out: Float64Array) => {
    out[0] = -y[0]! * w[0]! + y[0]! * w[1]!;
  },
  argNames: ["k"],
  nArgs: 1,
};

function adaptive(t1: number, tol: number, c: number) {
  const { solution, pullback } = diffeqsolveVjp({
    terms: new ODETerm(decay), solver: new Tsit5(), t0: 0, t1, y0: [1, 0.5], args: { k: 0.7 },
    stepsizeController: new PIDController({ rtol: tol, atol: tol }), saveat: new SaveAt({ ts: [t1 / 7, t1 / 2, t1] }),
    adjoint: new RecursiveCheckpointAdjoint({ checkpoints: c }),
  });
  return { N: solution.stats.numAcceptedSteps, g: pullback([[1, 0], [0.5, -1], [2, 1]]) };
}

test("adaptive steps, N ≤ β(c, 2): recomputations equal revolve's optimum, memory within c, gradients bit-identical", () => {
  for (const [t1, tol] of [[3, 1e-6], [10, 1e-8], [30, 1e-10]] as const) {
    const all = adaptive(t1, tol, 100_000);
    const N = all.N;
    assert.equal(all.g.stats.numRecomputedSteps, 0);
    let cMin = 1;
    while (beta(cMin, 2) < N) cMin++;
    const cs = [cMin, cMin + 1, cMin + 4, N - 1];
    for (const c of cs) {
      const r = adaptive(t1, tol, c);
      assert.equal(r.N, N);
      assert.equal(r.g.stats.numRecomputedSteps, optimum(N, c), `N=${N} c=${c}`);
      assert.ok(r.g.stats.peakCheckpoints <= c, `N=${N} c=${c}: peak ${r.g.stats.peakCheckpoints}`);
      assert.deepEqual(Array.from(r.g.y0 as number[]), Array.from(all.g.y0 as number[]), `N=${N} c=${c}`);
      assert.equal((r.g.args as { k: number }).k, (all.g.args as { k: number }).k);
    }
    assert.ok(optimum(N, cMin) > 0, "the budget is small enough that recomputation happens");
  }
});

test("adaptive steps, N > β(c, 2) (Wang–Moin–Iaccarino phase): memory within c, gradients bit-identical", () => {
  const all = adaptive(30, 1e-10, 100_000);
  const N = all.N;
  for (const c of [1, 2, 3, 4, 6, 9]) {
    const r = adaptive(30, 1e-10, c);
    assert.ok(N > beta(c, 2));
    assert.ok(r.g.stats.peakCheckpoints <= c, `c=${c}: peak ${r.g.stats.peakCheckpoints}`);
    assert.ok(r.g.stats.numRecomputedSteps >= optimum(N, c));
    assert.deepEqual(Array.from(r.g.y0 as number[]), Array.from(all.g.y0 as number[]), `c=${c}`);
    assert.equal((r.g.args as { k: number }).k, (all.g.args as { k: number }).k);
  }
  // c = 1 keeps only the initial state: T(N, 1) − (N − 1) = (N − 1)(N − 2)/2.
  assert.equal(adaptive(30, 1e-10, 1).g.stats.numRecomputedSteps, ((N - 1) * (N - 2)) / 2);
});

test("StummWaltherR2 rejects a bad checkpoint count", () => {
  assert.throws(() => new StummWaltherR2(0), /c = 0 must be a whole number ≥ 1/);
});
