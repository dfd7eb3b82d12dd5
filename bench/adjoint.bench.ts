/**
 * Gradients through solves: time of a gradient over the time of the forward solve it
 * differentiates, for the three adjoints (RecursiveCheckpointAdjoint by default, which keeps every
 * step when it fits, and with 8 checkpoints, BacksolveAdjoint, ForwardSensitivity) and for central
 * finite differences (2 forward solves per input), on Lotka–Volterra (4 parameters, 2 states) and on a
 * 64-unit neural ODE (y' = W2 tanh(W1 y + b1) + b2, 2 states, 322 parameters): Lotka–Volterra
 * compiled with `compile` and again with hand-written derivatives, the network written by hand
 * with its VJPs (also fused: `vjpBoth`), JVPs and Jacobians. Each gradient call includes its
 * forward solve (diffeqsolveVjp then pullback). Targets: discrete adjoint ≤ 3×, forward
 * sensitivity ≤ 4× for the four Lotka–Volterra parameters ((1 + P)× for the network).
 *
 * Then the stiff solvers on Van der Pol (μ = 100, compiled): the discrete adjoint of each implicit
 * family next to ForwardSensitivity and the interpolating BacksolveAdjoint (no targets: what each
 * costs, for docs/gradients.md).
 *
 * A further table: gradients through five oral doses of a two-compartment PK model (scheduled
 * events), and ReversibleAdjoint (ReversibleHeun) against RecursiveCheckpointAdjoint (Heun) on
 * 10⁴ and 10⁵ fixed steps, with the memory each holds.
 *
 * BENCH_BASELINE=path/to/dist/index.js also times the explicit problems' default adjoint and
 * ForwardSensitivity with another build of the library in the same run (before/after figures
 * under the same load); BENCH_BASELINE_LABEL names it in the results.
 *
 * Writes bench/results/adjoint.json and bench/results/adjoint.md.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { machineInfo, machineLine } from "./lib/machine.js";
import { loadOdeflow } from "./lib/odeflow.js";
import { consume, fmtRatio, fmtTime, timeIt } from "./lib/timing.js";

const BENCH = dirname(fileURLToPath(import.meta.url));
const quick = process.env.BENCH_QUICK === "1";
const { lib, from } = await loadOdeflow();
const { compile, diffeqsolve, diffeqsolveVjp, ODETerm, Tsit5, PIDController, SaveAt, RecursiveCheckpointAdjoint, BacksolveAdjoint, ForwardSensitivity } = lib;
const baselinePath = process.env.BENCH_BASELINE;
/** How the baseline is named in the results (BENCH_BASELINE_LABEL, e.g. the commit it was built from). */
const baselineLabel = process.env.BENCH_BASELINE_LABEL ?? "another build (BENCH_BASELINE)";
const baseline = baselinePath === undefined ? null : ((await import(pathToFileURL(baselinePath).href)) as typeof lib);
const minTime = quick ? 0.1 : 0.5;

/** A deterministic generator (mulberry32) for the network's weights. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Problem {
  name: string;
  params: number;
  options: Record<string, unknown>;
  bar: number[][];
  /** Copies of args with one slot moved by ±h, for finite differences. */
  perturb: (k: number, h: number) => unknown;
}

const TS = Array.from({ length: 10 }, (_, i) => i + 1);
const lvVf = compile(
  (_t: number, y: Float64Array, a: { alpha: number; beta: number; gamma: number; delta: number }, dy: Float64Array) => {
    dy[0] = a.alpha * y[0]! - a.beta * y[0]! * y[1]!;
    dy[1] = a.delta * y[0]! * y[1]! - a.gamma * y[1]!;
  },
  { args: { alpha: 0, beta: 0, gamma: 0, delta: 0 } },
);
const lvArgs = { alpha: 1.5, beta: 1, gamma: 3, delta: 1 };
const lvNames = ["alpha", "beta", "gamma", "delta"] as const;
const lv: Problem = {
  name: "Lotka–Volterra, compiled (t1 = 10, rtol 1e-8)",
  params: 4,
  options: {
    terms: new ODETerm(lvVf), solver: new Tsit5(), t0: 0, t1: 10, y0: [1, 1], args: lvArgs,
    stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-10 }), saveat: new SaveAt({ ts: TS }),
  },
  bar: TS.map((_, i) => [Math.cos(i), Math.sin(i)]),
  perturb: (k, h) => ({ ...lvArgs, [lvNames[k]!]: lvArgs[lvNames[k]!] + h }),
};

// The same model with hand-written derivatives (what `compile` would ideally generate).
type LV = typeof lvArgs;
const lvHand = {
  f: (_t: number, y: Float64Array, a: LV, dy: Float64Array) => {
    dy[0] = a.alpha * y[0]! - a.beta * y[0]! * y[1]!;
    dy[1] = a.delta * y[0]! * y[1]! - a.gamma * y[1]!;
  },
  vjpBoth: (_t: number, y: Float64Array, a: LV, w: Float64Array, oy: Float64Array, op: Float64Array) => {
    const x = y[0]!;
    const z = y[1]!;
    oy[0] = w[0]! * (a.alpha - a.beta * z) + w[1]! * a.delta * z;
    oy[1] = -w[0]! * a.beta * x + w[1]! * (a.delta * x - a.gamma);
    op[0] = w[0]! * x;
    op[1] = -w[0]! * x * z;
    op[2] = -w[1]! * z;
    op[3] = w[1]! * x * z;
  },
  jac: (_t: number, y: Float64Array, a: LV, J: Float64Array) => {
    J[0] = a.alpha - a.beta * y[1]!;
    J[1] = -a.beta * y[0]!;
    J[2] = a.delta * y[1]!;
    J[3] = a.delta * y[0]! - a.gamma;
  },
  jacArgs: (_t: number, y: Float64Array, _a: LV, J: Float64Array) => {
    const xz = y[0]! * y[1]!;
    J[0] = y[0]!; J[1] = -xz; J[2] = 0; J[3] = 0;
    J[4] = 0; J[5] = 0; J[6] = -y[1]!; J[7] = xz;
  },
  jvp: (_t: number, y: Float64Array, a: LV, v: Float64Array, o: Float64Array) => {
    o[0] = (a.alpha - a.beta * y[1]!) * v[0]! - a.beta * y[0]! * v[1]!;
    o[1] = a.delta * y[1]! * v[0]! + (a.delta * y[0]! - a.gamma) * v[1]!;
  },
  jvpArgs: (_t: number, y: Float64Array, _a: LV, v: Float64Array, o: Float64Array) => {
    const xz = y[0]! * y[1]!;
    o[0] = y[0]! * v[0]! - xz * v[1]!;
    o[1] = -y[1]! * v[2]! + xz * v[3]!;
  },
};
const lvHandProblem: Problem = {
  ...lv,
  name: "Lotka–Volterra, hand-written derivatives",
  options: { ...lv.options, terms: new ODETerm(lvHand) },
};

const H = 64;
const rand = rng(1);
const W1 = Float64Array.from({ length: H * 2 }, () => (rand() - 0.5) * 2);
const b1 = Float64Array.from({ length: H }, () => (rand() - 0.5));
const W2 = Float64Array.from({ length: 2 * H }, () => (rand() - 0.5) * 0.5);
const b2 = Float64Array.from({ length: 2 }, () => (rand() - 0.5) * 0.1);
const nnArgs = { W1, b1, W2, b2 };
type NN = typeof nnArgs;
// Hand-written vector field with its derivatives (the way a neural ODE is written by hand; the
// parameters are flat in args' key order: W1, b1, W2, b2).
const hid = new Float64Array(H);
const sj = new Float64Array(H);
const hidden = (y: Float64Array, a: NN): void => {
  for (let j = 0; j < H; j++) hid[j] = Math.tanh(a.W1[2 * j]! * y[0]! + a.W1[2 * j + 1]! * y[1]! + a.b1[j]!);
};
const nnVf = {
  f: (_t: number, y: Float64Array, a: NN, dy: Float64Array) => {
    hidden(y, a);
    let o0 = a.b2[0]!;
    let o1 = a.b2[1]!;
    for (let j = 0; j < H; j++) {
      o0 += a.W2[j]! * hid[j]!;
      o1 += a.W2[H + j]! * hid[j]!;
    }
    dy[0] = o0;
    dy[1] = o1;
  },
  vjp: (_t: number, y: Float64Array, a: NN, w: Float64Array, out: Float64Array) => {
    hidden(y, a);
    let g0 = 0;
    let g1 = 0;
    for (let j = 0; j < H; j++) {
      const s = (1 - hid[j]! * hid[j]!) * (a.W2[j]! * w[0]! + a.W2[H + j]! * w[1]!);
      g0 += s * a.W1[2 * j]!;
      g1 += s * a.W1[2 * j + 1]!;
    }
    out[0] = g0;
    out[1] = g1;
  },
  vjpArgs: (_t: number, y: Float64Array, a: NN, w: Float64Array, out: Float64Array) => {
    hidden(y, a);
    for (let j = 0; j < H; j++) {
      const s = (1 - hid[j]! * hid[j]!) * (a.W2[j]! * w[0]! + a.W2[H + j]! * w[1]!);
      out[2 * j] = s * y[0]!;
      out[2 * j + 1] = s * y[1]!;
      out[2 * H + j] = s;
      out[3 * H + j] = w[0]! * hid[j]!;
      out[4 * H + j] = w[1]! * hid[j]!;
    }
    out[5 * H] = w[0]!;
    out[5 * H + 1] = w[1]!;
  },
  vjpBoth: (_t: number, y: Float64Array, a: NN, w: Float64Array, outY: Float64Array, out: Float64Array) => {
    hidden(y, a);
    let g0 = 0;
    let g1 = 0;
    for (let j = 0; j < H; j++) {
      const s = (1 - hid[j]! * hid[j]!) * (a.W2[j]! * w[0]! + a.W2[H + j]! * w[1]!);
      g0 += s * a.W1[2 * j]!;
      g1 += s * a.W1[2 * j + 1]!;
      out[2 * j] = s * y[0]!;
      out[2 * j + 1] = s * y[1]!;
      out[2 * H + j] = s;
      out[3 * H + j] = w[0]! * hid[j]!;
      out[4 * H + j] = w[1]! * hid[j]!;
    }
    out[5 * H] = w[0]!;
    out[5 * H + 1] = w[1]!;
    outY[0] = g0;
    outY[1] = g1;
  },
  jvp: (_t: number, y: Float64Array, a: NN, v: Float64Array, out: Float64Array) => {
    hidden(y, a);
    let o0 = 0;
    let o1 = 0;
    for (let j = 0; j < H; j++) {
      const u = (1 - hid[j]! * hid[j]!) * (a.W1[2 * j]! * v[0]! + a.W1[2 * j + 1]! * v[1]!);
      o0 += a.W2[j]! * u;
      o1 += a.W2[H + j]! * u;
    }
    out[0] = o0;
    out[1] = o1;
  },
  jac: (_t: number, y: Float64Array, a: NN, J: Float64Array) => {
    hidden(y, a);
    J.fill(0);
    for (let j = 0; j < H; j++) {
      const d = 1 - hid[j]! * hid[j]!;
      for (let i = 0; i < 2; i++) {
        const c = a.W2[i * H + j]! * d;
        J[i * 2] += c * a.W1[2 * j]!;
        J[i * 2 + 1] += c * a.W1[2 * j + 1]!;
      }
    }
  },
  jvpArgs: (_t: number, y: Float64Array, a: NN, v: Float64Array, out: Float64Array) => {
    hidden(y, a);
    let o0 = v[5 * H]!;
    let o1 = v[5 * H + 1]!;
    for (let j = 0; j < H; j++) {
      const dz = (1 - hid[j]! * hid[j]!) * (v[2 * j]! * y[0]! + v[2 * j + 1]! * y[1]! + v[2 * H + j]!);
      o0 += a.W2[j]! * dz + v[3 * H + j]! * hid[j]!;
      o1 += a.W2[H + j]! * dz + v[4 * H + j]! * hid[j]!;
    }
    out[0] = o0;
    out[1] = o1;
  },
  jacArgs: (_t: number, y: Float64Array, a: NN, J: Float64Array) => {
    hidden(y, a);
    const P = 5 * H + 2;
    J.fill(0);
    for (let i = 0; i < 2; i++) {
      const row = i * P;
      for (let j = 0; j < H; j++) {
        const c = a.W2[i * H + j]! * (1 - hid[j]! * hid[j]!);
        J[row + 2 * j] = c * y[0]!;
        J[row + 2 * j + 1] = c * y[1]!;
        J[row + 2 * H + j] = c;
        J[row + (3 + i) * H + j] = hid[j]!;
      }
      J[row + 5 * H + i] = 1;
    }
  },
  nArgs: 5 * H + 2,
};
void compile;
const nnSlots: [keyof typeof nnArgs, number][] = [];
for (const key of ["W1", "b1", "W2", "b2"] as const) for (let i = 0; i < nnArgs[key].length; i++) nnSlots.push([key, i]);
const nn: Problem = {
  name: `Neural ODE (${H} tanh units, 2 states, t1 = 10, rtol 1e-8)`,
  params: nnSlots.length,
  options: {
    terms: new ODETerm(nnVf), solver: new Tsit5(), t0: 0, t1: 10, y0: [0.5, -0.3], args: nnArgs,
    stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-10 }), saveat: new SaveAt({ ts: [2.5, 5, 7.5, 10] }),
  },
  bar: [[1, 0], [0, 1], [1, 1], [1, -1]],
  perturb: (k, h) => {
    const [key, i] = nnSlots[k]!;
    const copy = { ...nnArgs, [key]: nnArgs[key].slice() };
    copy[key][i] += h;
    return copy;
  },
};

/**
 * The same problem for another build of the library (its own term, solver, controller and SaveAt
 * classes, which it checks with instanceof): the vector field objects are shared.
 */
function rebuild(L: typeof lib, options: Record<string, unknown>): Record<string, unknown> {
  const terms = options.terms as InstanceType<typeof ODETerm>;
  const pid = options.stepsizeController as InstanceType<typeof PIDController>;
  const saveat = options.saveat as InstanceType<typeof SaveAt>;
  return {
    ...options, terms: new L.ODETerm(terms.vf), solver: new L.Tsit5(),
    stepsizeController: new L.PIDController({ rtol: pid.rtol as number, atol: pid.atol as number }), saveat: new L.SaveAt({ ts: saveat.ts }),
  };
}

interface Row {
  problem: string;
  params: number;
  steps: number;
  forward: number;
  method: string;
  time: number;
  ratio: number;
  target?: number;
  met?: boolean;
  stats?: Record<string, number>;
}
const rows: Row[] = [];
for (const p of [lv, lvHandProblem, nn]) {
  const fwdSol = diffeqsolve(p.options as never);
  const steps = fwdSol.stats.numAcceptedSteps;
  // The machine is shared: the forward time is re-measured beside every gradient and the fastest kept.
  let fwd = timeIt(() => diffeqsolve(p.options as never), { minTime, warmup: 0.3 }).cpu;
  const refresh = (): void => {
    fwd = Math.min(fwd, timeIt(() => diffeqsolve(p.options as never), { minTime: minTime / 2 }).cpu);
  };
  const n = 2;
  const fsTarget = p.params === 4 ? 4 : 1 + p.params;
  const methods: [string, typeof lib, () => unknown, number | undefined][] = [
    ["RecursiveCheckpointAdjoint (default)", lib, () => new RecursiveCheckpointAdjoint(), 3],
    ["RecursiveCheckpointAdjoint (8 checkpoints)", lib, () => new RecursiveCheckpointAdjoint({ checkpoints: 8 }), undefined],
    ["BacksolveAdjoint", lib, () => new BacksolveAdjoint(), undefined],
    ["ForwardSensitivity", lib, () => new ForwardSensitivity(), fsTarget],
  ];
  if (baseline !== null) {
    methods.push(["baseline: RecursiveCheckpointAdjoint (default)", baseline, () => new baseline.RecursiveCheckpointAdjoint(), undefined]);
    methods.push(["baseline: ForwardSensitivity", baseline, () => new baseline.ForwardSensitivity(), undefined]);
  }
  for (const [method, from, make, target] of methods) {
    let stats: Record<string, number> | undefined;
    refresh();
    const options = from === lib ? p.options : rebuild(from, p.options);
    const t = timeIt(() => {
      const r = from.diffeqsolveVjp({ ...(options as object), adjoint: make() } as never);
      const g = r.pullback(p.bar);
      stats = g.stats as unknown as Record<string, number>;
      return g;
    }, { minTime, slow: 0.5, warmup: 0.3 }).cpu;
    rows.push({ problem: p.name, params: p.params, steps, forward: fwd, method, time: t, ratio: NaN, target, stats });
    console.log(`${p.name}: ${method}: ${fmtTime(t)}`);
  }
  // Central finite differences: 2 solves per input (n states + P parameters).
  refresh();
  const fdTime = timeIt(() => {
    const base = p.options as { y0: number[] };
    let acc = 0;
    for (let j = 0; j < n; j++) {
      for (const s of [1, -1]) {
        const y0 = [...base.y0];
        y0[j] += s * 1e-6;
        acc += diffeqsolve({ ...(p.options as object), y0 } as never).ys[0]![0]!;
      }
    }
    for (let k = 0; k < p.params; k++) {
      for (const s of [1, -1]) acc += diffeqsolve({ ...(p.options as object), args: p.perturb(k, s * 1e-6) } as never).ys[0]![0]!;
    }
    consume(acc);
    return acc;
  }, { minTime, slow: 0.5, warmup: 0.3 }).cpu;
  rows.push({ problem: p.name, params: p.params, steps, forward: fwd, method: "central finite differences", time: fdTime, ratio: NaN });
  refresh();
  for (const r of rows) {
    if (r.problem !== p.name) continue;
    r.forward = fwd;
    r.ratio = r.time / fwd;
    if (r.target !== undefined) r.met = r.ratio <= r.target;
  }
  console.log(`${p.name}: finite differences: ${fmtTime(fdTime)}; forward ${fmtTime(fwd)}`);
}

// Stiff solvers: Van der Pol with μ = 100 (compiled), gradient with respect to y0 and μ of the
// state at four times.
const { Rosenbrock23, Rodas5P, Kvaerno5, KenCarp4, BDF, RadauIIA5, MultiTerm } = lib;
const vdpArgs = { mu: 100 };
const vdp = compile((_t: number, y: Float64Array, a: { mu: number }, dy: Float64Array) => {
  dy[0] = y[1]!;
  dy[1] = a.mu * ((1 - y[0]! * y[0]!) * y[1]! - y[0]!);
}, { args: { mu: 0 } });
const vdpE = compile((_t: number, y: Float64Array, _a: { mu: number }, dy: Float64Array) => { dy[0] = y[1]!; dy[1] = 0; }, { args: { mu: 0 } });
const vdpI = compile((_t: number, y: Float64Array, a: { mu: number }, dy: Float64Array) => { dy[0] = 0; dy[1] = a.mu * ((1 - y[0]! * y[0]!) * y[1]! - y[0]!); }, { args: { mu: 0 } });
const stiffTs = [0.5, 1, 1.5, 2];
const stiffBar = stiffTs.map((_, i) => [1, i % 2 === 0 ? 0.01 : -0.01]);
const stiffSolvers: [string, () => unknown, boolean][] = [
  ["Rosenbrock23", () => new Rosenbrock23(), false],
  ["Rodas5P", () => new Rodas5P(), false],
  ["Kvaerno5", () => new Kvaerno5(), false],
  ["KenCarp4 (IMEX split)", () => new KenCarp4(), true],
  ["BDF", () => new BDF(), false],
  ["RadauIIA5", () => new RadauIIA5(), false],
];
for (const [name, makeSolver, imex] of stiffSolvers) {
  const options = {
    terms: imex ? new MultiTerm(new ODETerm(vdpE), new ODETerm(vdpI)) : new ODETerm(vdp), solver: makeSolver(), t0: 0, t1: 2, y0: [2, 0], args: vdpArgs,
    stepsizeController: new PIDController({ rtol: 1e-6, atol: 1e-6 }), saveat: new SaveAt({ ts: stiffTs }),
  };
  const problem = `Van der Pol μ = 100, ${name} (rtol 1e-6)`;
  const steps = diffeqsolve(options as never).stats.numAcceptedSteps;
  const fwd = timeIt(() => diffeqsolve(options as never), { minTime, warmup: 0.2 }).cpu;
  const methods: [string, () => unknown][] = [["RecursiveCheckpointAdjoint (default)", () => new RecursiveCheckpointAdjoint()]];
  if (!imex) {
    methods.push(["ForwardSensitivity", () => new ForwardSensitivity()]);
    methods.push(["BacksolveAdjoint (interpolate)", () => new BacksolveAdjoint({ state: "interpolate" })]);
  }
  for (const [method, make] of methods) {
    let stats: Record<string, number> | undefined;
    const t = timeIt(() => {
      const g = diffeqsolveVjp({ ...options, adjoint: make() } as never).pullback(stiffBar);
      stats = g.stats as unknown as Record<string, number>;
      return g;
    }, { minTime, slow: 0.5, warmup: 0.2 }).cpu;
    rows.push({ problem, params: 1, steps, forward: fwd, method, time: t, ratio: t / fwd, stats });
    console.log(`${problem}: ${method}: ${fmtTime(t)} (${fmtRatio(t / fwd)})`);
  }
}

// --- Through doses, and the O(1)-memory reversible adjoint -----------------------------------------
// A two-compartment PK model with five oral doses (scheduled events, the dose amount a parameter),
// and a pendulum with fixed steps (10⁴ and 10⁵): ReversibleHeun with ReversibleAdjoint against Heun
// (the same order and steps) with RecursiveCheckpointAdjoint, time and retained memory (heap and
// array buffers held by the result after the forward solve and a pullback, measured with gc).
const { Event, ConstantStepSize, Heun, ReversibleHeun, ReversibleAdjoint } = lib;
interface ExtraRow { problem: string; steps: number; forward: number; method: string; time: number; ratio: number; memory?: number }
const extra: ExtraRow[] = [];
const gc = (globalThis as { gc?: () => void }).gc;
/** Bytes held by what `make` returns (its forward solve and one pullback), NaN without --expose-gc. */
function retained(make: () => unknown): number {
  if (gc === undefined) return NaN;
  const used = (): number => {
    gc();
    gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  // The median of three measurements (a collection can leave tens of kB either way).
  const held = [0, 1, 2].map(() => {
    const before = used();
    const keep = make();
    const after = used();
    consume(keep);
    return after - before;
  });
  return held.sort((a, b) => a - b)[1]!;
}
type PKArgs = { ka: number; CL: number; V1: number; Q: number; V2: number; dose: number };
const pkVf = compile(
  (_t: number, y: Float64Array, p: PKArgs) => {
    const k10 = p.CL / p.V1;
    const k12 = p.Q / p.V1;
    const k21 = p.Q / p.V2;
    return [-p.ka * y[0]!, p.ka * y[0]! - (k10 + k12) * y[1]! + k21 * y[2]!, k12 * y[1]! - k21 * y[2]!];
  },
  { args: { ka: 0, CL: 0, V1: 0, Q: 0, V2: 0, dose: 0 } },
);
const pkArgs: PKArgs = { ka: 1.5, CL: 5, V1: 30, Q: 8, V2: 60, dose: 100 };
const pkTs = [0, 12, 24, 36, 48].flatMap((tau) => [0.5, 1, 2, 4, 8, 11.5].map((s) => tau + s));
const pkOptions = (args: PKArgs) => ({
  terms: new ODETerm(pkVf), solver: new Tsit5(), t0: 0, t1: 60, y0: [0, 0, 0], args,
  event: new Event({ times: [0, 12, 24, 36, 48], affect: (_t: number, y: Float64Array, p: PKArgs) => { y[0] = y[0]! + p.dose; } }),
  stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-8 }), saveat: new SaveAt({ ts: pkTs }),
});
const pkBar = pkTs.map((_, i) => [0, 1 / (1 + i), 0]);
{
  const name = "PK, 5 oral doses (two compartments, 6 parameters, rtol 1e-8)";
  const steps = diffeqsolve(pkOptions(pkArgs) as never).stats.numAcceptedSteps;
  const fwd = timeIt(() => diffeqsolve(pkOptions(pkArgs) as never), { minTime, warmup: 0.3 }).cpu;
  const methods: [string, () => unknown][] = [
    ["RecursiveCheckpointAdjoint", () => new RecursiveCheckpointAdjoint()],
    ["ForwardSensitivity", () => new ForwardSensitivity()],
    ["BacksolveAdjoint", () => new BacksolveAdjoint()],
  ];
  for (const [method, make] of methods) {
    const t = timeIt(() => diffeqsolveVjp({ ...pkOptions(pkArgs), adjoint: make() } as never).pullback(pkBar), { minTime, slow: 0.5, warmup: 0.3 }).cpu;
    extra.push({ problem: name, steps, forward: fwd, method, time: t, ratio: t / fwd });
  }
  const keys = Object.keys(pkArgs) as (keyof PKArgs)[];
  const fd = timeIt(() => {
    let acc = 0;
    for (const k of keys) for (const s of [1, -1]) acc += diffeqsolve(pkOptions({ ...pkArgs, [k]: pkArgs[k] * (1 + s * 1e-6) }) as never).ys[0]![1]!;
    return acc;
  }, { minTime, slow: 0.5, warmup: 0.3 }).cpu;
  extra.push({ problem: name, steps, forward: fwd, method: "central finite differences (parameters)", time: fd, ratio: fd / fwd });
  console.log(`${name}: done`);
}
type Pend = { a: number; b: number };
const pendVf = compile((_t: number, y: Float64Array, p: Pend) => [y[1]!, -p.a * Math.sin(y[0]!) - p.b * y[1]!], { args: { a: 0, b: 0 } });
for (const N of quick ? [10_000] : [10_000, 100_000]) {
  const name = `Pendulum, ${N} fixed steps (order 2)`;
  const options = (solver: unknown) => ({
    terms: new ODETerm(pendVf), solver, t0: 0, t1: 10, dt0: 10 / N, y0: [1, 0], args: { a: 2, b: 0.3 }, stepsizeController: new ConstantStepSize(),
  });
  const pairs: [string, () => unknown, () => unknown][] = [
    ["ReversibleHeun + ReversibleAdjoint", () => new ReversibleHeun(), () => new ReversibleAdjoint()],
    ["Heun + RecursiveCheckpointAdjoint (default ⌈√(2N)⌉)", () => new Heun(), () => new RecursiveCheckpointAdjoint()],
    ["Heun + RecursiveCheckpointAdjoint (8 checkpoints)", () => new Heun(), () => new RecursiveCheckpointAdjoint({ checkpoints: 8 })],
  ];
  for (const [method, solver, adjoint] of pairs) {
    const fwd = timeIt(() => diffeqsolve(options(solver()) as never), { minTime, slow: 0.5, warmup: 0.2 }).cpu;
    const run = () => {
      const r = diffeqsolveVjp({ ...options(solver()), adjoint: adjoint() } as never);
      r.pullback([[1, 0]]);
      return r;
    };
    const t = timeIt(run, { minTime, slow: 0.5, warmup: 0.2 }).cpu;
    extra.push({ problem: name, steps: N, forward: fwd, method, time: t, ratio: t / fwd, memory: retained(run) });
  }
  console.log(`${name}: done`);
}

const machine = machineInfo();
const outDir = join(BENCH, "results");
mkdirSync(outDir, { recursive: true });
const base = quick ? "adjoint.quick" : "adjoint";
writeFileSync(join(outDir, `${base}.json`), JSON.stringify({ machine, library: from, rows, extra }, null, 2));
const md: string[] = [
  "# Gradients through solves",
  "",
  "Gradient CPU time (diffeqsolveVjp + pullback, forward solve included) over the forward solve's CPU time (fastest batch; CPU time because the machine is shared). Targets: discrete adjoint ≤ 3×, forward sensitivity ≤ 4× for the four Lotka–Volterra parameters ((1 + P)× for the network). Rows marked baseline: another build timed in the same run (BENCH_BASELINE).",
  "",
  "| problem | steps | forward | method | gradient | ratio | target | met |",
  "|---|---:|---:|---|---:|---:|---:|---|",
];
for (const r of rows) {
  md.push(`| ${r.problem} | ${r.steps} | ${fmtTime(r.forward)} | ${r.method} | ${fmtTime(r.time)} | ${fmtRatio(r.ratio)} | ${r.target === undefined ? "—" : `≤ ${r.target}×`} | ${r.met === undefined ? "—" : r.met ? "met" : "**missed**"} |`);
}
md.push(
  "",
  "## Through doses, and the O(1)-memory reversible adjoint",
  "",
  "Gradient CPU time (forward solve included) over the forward solve's (for the pendulum, each solver's own forward solve), and the memory the result holds after the forward solve and one pullback (heap and array buffers, measured with gc; the checkpointed adjoint keeps each step's time and size and its checkpoints, the reversible one nothing per step).",
  "",
  "| problem | steps | forward | method | gradient | ratio | retained memory |",
  "|---|---:|---:|---|---:|---:|---:|",
);
for (const r of extra) {
  md.push(`| ${r.problem} | ${r.steps} | ${fmtTime(r.forward)} | ${r.method} | ${fmtTime(r.time)} | ${fmtRatio(r.ratio)} | ${r.memory === undefined || Number.isNaN(r.memory) ? "—" : `${(r.memory / 1024).toFixed(0)} KiB`} |`);
}
md.push("", `Library: ${from}${baselinePath === undefined ? "" : `; baseline: ${baselineLabel}`}. ${machineLine(machine)}`, "");
writeFileSync(join(outDir, `${base}.md`), md.join("\n"));
console.log(md.join("\n"));
