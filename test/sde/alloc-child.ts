// Child process of allocation.test.ts: runs one SDE configuration alone (as a real program would),
// then profiles one more solve and prints the bytes allocated in src/brownian and src/solvers/sde.
import { Session } from "node:inspector/promises";
import {
  BAOAB, ConstantStepSize, ControlTerm, diffeqsolve, EulerMaruyama, Milstein, MultiTerm, ODETerm, PartitionedTerm, PIDController, ReversibleStepSize, ShARK, SRIW1,
  ReversibleHeun, UnderdampedLangevinDiffusionTerm, UnderdampedLangevinDriftTerm, UnsafeBrownianPath, VelocityVerlet, VirtualBrownianTree, Yoshida4,
} from "../../src/index.js";

interface Node { callFrame: { functionName: string; url: string }; selfSize: number; children: Node[] }
const drift = new ODETerm((t: number, y: Float64Array, a: unknown, dy: Float64Array) => { dy[0] = 1.01 * y[0]! - Math.sin(y[0]!); });
const multiplicative = (t: number, y: Float64Array, a: unknown, g: Float64Array) => { g[0] = 0.87 * y[0]!; };
const additive = (t: number, y: Float64Array, a: unknown, g: Float64Array) => { g[0] = 0.3; };
const harmonic = (x: Float64Array, a: unknown, g: Float64Array) => { g[0] = x[0]!; };
const r32 = (t: number, y: Float64Array) => Math.hypot(y[0]!, y[1]!) ** 1.5;
const r32rate = (t: number, y: Float64Array) => (1.5 * (y[0]! * y[2]! + y[1]! * y[3]!)) / (y[0]! * y[0]! + y[1]! * y[1]!);
// Terms built once, as a program would: their constructors' allocations are set-up, not steps.
const langevin = new MultiTerm(
  new UnderdampedLangevinDriftTerm(1, 1, harmonic),
  new UnderdampedLangevinDiffusionTerm(1, 1, (args: unknown) => new VirtualBrownianTree({ t0: 0, t1: 120, tol: 1e-3, seed: 6 })),
);
const kepler = new PartitionedTerm(
  (t: number, p: Float64Array, a: unknown, dq: Float64Array) => { dq[0] = p[0]!; dq[1] = p[1]!; },
  (t: number, q: Float64Array, a: unknown, dp: Float64Array) => { const r2 = q[0]! * q[0]! + q[1]! * q[1]!, r3 = r2 * Math.sqrt(r2); dp[0] = -q[0]! / r3; dp[1] = -q[1]! / r3; },
);
const configs: Record<string, () => ReturnType<typeof diffeqsolve>> = {
  em: () => diffeqsolve({ terms: new MultiTerm(drift, new ControlTerm(multiplicative, new UnsafeBrownianPath({ seed: 1 }))), solver: new EulerMaruyama(), t0: 0, t1: 1, dt0: 1 / 100_000, y0: [0.5], maxSteps: 300_000, stepsizeController: new ConstantStepSize() }),
  milstein: () => diffeqsolve({ terms: new MultiTerm(drift, new ControlTerm(multiplicative, new VirtualBrownianTree({ t0: 0, t1: 1, tol: 1e-7, seed: 2 }))), solver: new Milstein(), t0: 0, t1: 1, dt0: 1 / 50_000, y0: [0.5], maxSteps: 300_000, stepsizeController: new ConstantStepSize() }),
  "milstein-adaptive": () => diffeqsolve({ terms: new MultiTerm(drift, new ControlTerm(multiplicative, new VirtualBrownianTree({ t0: 0, t1: 1, tol: 1e-12, seed: 4 }), { noise: "diagonal" })), solver: new Milstein({ errorEstimate: true }), t0: 0, t1: 1, y0: [0.5], maxSteps: 300_000, stepsizeController: new PIDController({ rtol: 1e-5, atol: 1e-5 }) }),
  sriw1: () => diffeqsolve({ terms: new MultiTerm(drift, new ControlTerm(multiplicative, new VirtualBrownianTree({ t0: 0, t1: 1, tol: 1e-12, seed: 5, levyArea: "space-time" }), { noise: "diagonal" })), solver: new SRIW1(), t0: 0, t1: 1, y0: [0.5], maxSteps: 300_000, stepsizeController: new PIDController({ rtol: 1e-7, atol: 1e-7 }) }),
  baoab: () => diffeqsolve({ terms: langevin, solver: new BAOAB(), t0: 0, t1: 120, dt0: 0.01, y0: [0, 0], maxSteps: 300_000, stepsizeController: new ConstantStepSize() }),
  verlet: () => diffeqsolve({ terms: kepler, solver: new VelocityVerlet(), t0: 0, t1: 120, dt0: 0.01, y0: [0.4, 0, 0, 2], maxSteps: 300_000, stepsizeController: new ConstantStepSize() }),
  "yoshida4-reversible": () => diffeqsolve({ terms: kepler, solver: new Yoshida4(), t0: 0, t1: 200, y0: [0.4, 0, 0, 2], maxSteps: 300_000, stepsizeController: new ReversibleStepSize({ epsilon: 0.01, stepFunction: r32, rate: r32rate }) }),
  "reversible-heun": () => diffeqsolve({ terms: new MultiTerm(drift, new ControlTerm(multiplicative, new VirtualBrownianTree({ t0: 0, t1: 1, tol: 1e-12, seed: 7 }), { noise: "diagonal" })), solver: new ReversibleHeun(), t0: 0, t1: 1, y0: [0.5], maxSteps: 300_000, stepsizeController: new PIDController({ rtol: 1e-6, atol: 1e-6 }) }),
  shark: () => diffeqsolve({ terms: new MultiTerm(drift, new ControlTerm(additive, new VirtualBrownianTree({ t0: 0, t1: 1, tol: 1e-9, seed: 3, levyArea: "space-time" }), { additive: true })), solver: new ShARK(), t0: 0, t1: 1, y0: [0.5], maxSteps: 300_000, stepsizeController: new PIDController({ rtol: 1e-9, atol: 1e-9 }) }),
};
const run = configs[process.argv[2]!]!;
run();
run();
const mine = /\/src\/(brownian\/|solvers\/(sde|symplectic|langevin)\/|solvers\/reversible_heun|controllers\/reversible|terms\.ts)/;
const setup = /^(init|probe|parts|extraStats|vectorFieldTerm|checkTerms|root|VirtualBrownianTree|UnsafeBrownianPath|AbstractBrownianPath|AbstractSDESolver|ReversibleHeun|SDEParts|EulerMaruyama|EulerHeun|Milstein|SRA1|ShARK|SRIW1|BAOAB|withSeed|checkKeys|seedToKey|resize|checkFieldsOnce|checkFields|checkSeparable|probePart|startDensity|coefficients|langevinCoefficient|[A-Z]\w*Term|ReversibleStepSize|SplittingMethod|ODETerm|ControlTerm|AbstractTerm)$/;
const session = new Session();
session.connect();
/** Bytes allocated in src/brownian and src/solvers/sde (outside set-up) during one profiled solve. */
async function profiled(): Promise<{ steps: number; bytes: number; where: string[] }> {
  await session.post("HeapProfiler.startSampling", { samplingInterval: 64, includeObjectsCollectedByMinorGC: true, includeObjectsCollectedByMajorGC: true } as never);
  const steps = run().stats.numSteps;
  const { profile } = (await session.post("HeapProfiler.stopSampling")) as unknown as { profile: { head: Node } };
  let bytes = 0;
  const where = new Set<string>();
  const walk = (node: Node, owner: Node | null): void => {
    const user = node.callFrame.url !== "" ? node : owner;
    if (node.selfSize > 0 && user !== null && mine.test(user.callFrame.url) && !setup.test(user.callFrame.functionName)) {
      bytes += node.selfSize;
      where.add(`${user.callFrame.functionName} (${user.callFrame.url.split("/").slice(-2).join("/")})`);
    }
    for (const c of node.children) walk(c, user);
  };
  walk(profile.head, null);
  return { steps, bytes, where: [...where] };
}
// Three profiled solves: on a loaded machine V8's optimising compiler (a background thread) may
// install the optimised step late, and the steps run before that box doubles. The parent takes
// the least of the three, which an allocation made by every step (≥ 16 bytes a step) cannot hide.
const attempts = [];
for (let i = 0; i < 3; i++) attempts.push(await profiled());
session.disconnect();
process.stdout.write(JSON.stringify(attempts));
