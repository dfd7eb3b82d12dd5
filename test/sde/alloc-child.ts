// Child process of allocation.test.ts: runs one SDE configuration alone (as a real program would),
// then profiles one more solve and prints the bytes allocated in src/brownian and src/solvers/sde.
import { Session } from "node:inspector/promises";
import {
  ConstantStepSize, ControlTerm, diffeqsolve, EulerMaruyama, Milstein, MultiTerm, ODETerm, PIDController, ShARK, UnsafeBrownianPath, VirtualBrownianTree,
} from "../../src/index.js";

interface Node { callFrame: { functionName: string; url: string }; selfSize: number; children: Node[] }
const drift = new ODETerm((t: number, y: Float64Array, a: unknown, dy: Float64Array) => { dy[0] = 1.01 * y[0]! - Math.sin(y[0]!); });
const multiplicative = (t: number, y: Float64Array, a: unknown, g: Float64Array) => { g[0] = 0.87 * y[0]!; };
const additive = (t: number, y: Float64Array, a: unknown, g: Float64Array) => { g[0] = 0.3; };
const configs: Record<string, () => ReturnType<typeof diffeqsolve>> = {
  em: () => diffeqsolve({ terms: new MultiTerm(drift, new ControlTerm(multiplicative, new UnsafeBrownianPath({ seed: 1 }))), solver: new EulerMaruyama(), t0: 0, t1: 1, dt0: 1 / 100_000, y0: [0.5], maxSteps: 300_000, stepsizeController: new ConstantStepSize() }),
  milstein: () => diffeqsolve({ terms: new MultiTerm(drift, new ControlTerm(multiplicative, new VirtualBrownianTree({ t0: 0, t1: 1, tol: 1e-7, seed: 2 }))), solver: new Milstein(), t0: 0, t1: 1, dt0: 1 / 50_000, y0: [0.5], maxSteps: 300_000, stepsizeController: new ConstantStepSize() }),
  shark: () => diffeqsolve({ terms: new MultiTerm(drift, new ControlTerm(additive, new VirtualBrownianTree({ t0: 0, t1: 1, tol: 1e-9, seed: 3, levyArea: "space-time" }), { additive: true })), solver: new ShARK(), t0: 0, t1: 1, y0: [0.5], maxSteps: 300_000, stepsizeController: new PIDController({ rtol: 1e-9, atol: 1e-9 }) }),
};
const run = configs[process.argv[2]!]!;
run();
run();
const mine = /\/src\/(brownian|solvers\/sde)\//;
const setup = /^(init|probe|parts|extraStats|vectorFieldTerm|checkTerms|root|VirtualBrownianTree|UnsafeBrownianPath|AbstractBrownianPath|AbstractSDESolver|EulerMaruyama|EulerHeun|Milstein|SRA1|ShARK|withSeed|checkKeys|seedToKey)$/;
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
