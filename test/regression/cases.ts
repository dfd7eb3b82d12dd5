/**
 * The solves whose step sequences are pinned in `steps.json` (written by `generate.ts`, checked by `steps.test.ts`): one or two
 * representative solves of every solver family and step-size controller, through the public API.
 *
 * Vector fields are written out here (not compiled from problems.json) and use no Math.pow: the
 * pin is of the step loop and the solvers, not of how a vector field is evaluated.
 */
import {
  AutoSwitch, BDF, ConstantStepSize, ControlTerm, diffeqsolve, Dopri5, Dopri8, Euler, EulerMaruyama, Event, KenCarp4, Kvaerno5, MultiTerm,
  ODETerm, PIDController, RadauIIA5, resultName, Rodas5P, Rosenbrock23, SaveAt, ShARK, Solution, SRA1, StepTo, Tsit5, Vern9, VirtualBrownianTree,
} from "../../src/index.js";

type F = (t: number, y: Float64Array, args: unknown, dy: Float64Array) => void;

/** Arenstorf orbit (Hairer, Nørsett & Wanner, *Solving ODEs I*, §II.0): period T. */
const MU = 0.012277471;
const arenstorf: F = (_t, y, _a, dy) => {
  const x = y[0]!;
  const z = y[1]!;
  const r1 = (x + MU) * (x + MU) + z * z;
  const r2 = (x - (1 - MU)) * (x - (1 - MU)) + z * z;
  const d1 = r1 * Math.sqrt(r1);
  const d2 = r2 * Math.sqrt(r2);
  dy[0] = y[2]!;
  dy[1] = y[3]!;
  dy[2] = x + 2 * y[3]! - ((1 - MU) * (x + MU)) / d1 - (MU * (x - (1 - MU))) / d2;
  dy[3] = z - 2 * y[2]! - ((1 - MU) * z) / d1 - (MU * z) / d2;
};
const ARENSTORF_Y0 = [0.994, 0, 0, -2.00158510637908252240537862224];
const ARENSTORF_T = 17.0652165601579625588917206249;

const lorenz: F = (_t, y, _a, dy) => {
  dy[0] = 10 * (y[1]! - y[0]!);
  dy[1] = y[0]! * (28 - y[2]!) - y[1]!;
  dy[2] = y[0]! * y[1]! - (8 / 3) * y[2]!;
};

const rober: F = (_t, y, _a, dy) => {
  dy[0] = -0.04 * y[0]! + 1e4 * y[1]! * y[2]!;
  dy[1] = 0.04 * y[0]! - 1e4 * y[1]! * y[2]! - 3e7 * y[1]! * y[1]!;
  dy[2] = 3e7 * y[1]! * y[1]!;
};

/** Van der Pol with ε = 1e-3 (stiff in its slow phases), and its IMEX split. */
const EPS = 1e-3;
const vdpol: F = (_t, y, _a, dy) => {
  dy[0] = y[1]!;
  dy[1] = ((1 - y[0]! * y[0]!) * y[1]! - y[0]!) / EPS;
};
const vdpolExplicit: F = (_t, y, _a, dy) => {
  dy[0] = y[1]!;
  dy[1] = 0;
};
const vdpolImplicit: F = (_t, y, _a, dy) => {
  dy[0] = 0;
  dy[1] = ((1 - y[0]! * y[0]!) * y[1]! - y[0]!) / EPS;
};

/** A nonlinear drift with additive noise: dy = (sin t − y³) dt + 0.5 dW. */
const sdeDrift: F = (t, y, _a, dy) => {
  dy[0] = Math.sin(t) - y[0]! * y[0]! * y[0]!;
};
const sdeSigma: F = (_t, _y, _a, out) => {
  out[0] = 0.5;
};
const brownian = (levyArea: "space-time" | undefined) =>
  new VirtualBrownianTree({ t0: 0, t1: 4, tol: 2 ** -20, seed: 20240611, ...(levyArea === undefined ? {} : { levyArea }) });

/** A falling ball with linear air drag: height'' = −g − 0.1·height'. */
const fall: F = (_t, y, _a, dy) => {
  dy[0] = y[1]!;
  dy[1] = -9.81 - 0.1 * y[1]!;
};

const oscillator: F = (_t, y, _a, dy) => {
  dy[0] = y[1]!;
  dy[1] = -y[0]!;
};

const pid = (rtol: number, atol: number, more: object = {}) => new PIDController({ rtol, atol, ...more });
const steps = new SaveAt({ steps: true });

/** Each case: a name and the solve (SaveAt({ steps: true }), so sol.ts are the accepted steps). */
export const CASES: { name: string; solve: () => Solution<any> }[] = [
  {
    name: "Tsit5 Arenstorf rtol 1e-8",
    solve: () => diffeqsolve({ terms: new ODETerm(arenstorf), solver: new Tsit5(), t0: 0, t1: ARENSTORF_T, y0: ARENSTORF_Y0, saveat: steps, stepsizeController: pid(1e-8, 1e-8) }),
  },
  {
    name: "Dopri5 Arenstorf backward, PI (0.2, 0.4), rtol 1e-7",
    solve: () => diffeqsolve({ terms: new ODETerm(arenstorf), solver: new Dopri5(), t0: 0, t1: -ARENSTORF_T, y0: ARENSTORF_Y0, saveat: steps, stepsizeController: pid(1e-7, 1e-7, { pcoeff: 0.2, icoeff: 0.4 }) }),
  },
  {
    name: "Dopri8 Lorenz rtol 1e-9",
    solve: () => diffeqsolve({ terms: new ODETerm(lorenz), solver: new Dopri8(), t0: 0, t1: 10, y0: [1, 1, 1], saveat: steps, stepsizeController: pid(1e-9, 1e-9) }),
  },
  {
    name: "Vern9 Arenstorf rtol 1e-12",
    solve: () => diffeqsolve({ terms: new ODETerm(arenstorf), solver: new Vern9(), t0: 0, t1: ARENSTORF_T, y0: ARENSTORF_Y0, saveat: steps, stepsizeController: pid(1e-12, 1e-12) }),
  },
  {
    name: "Tsit5 Lorenz PID (0.1, 0.5, 0.05), dtmax, stepTs, jumpTs, factormax 3, rtol 1e-6",
    solve: () =>
      diffeqsolve({
        terms: new ODETerm(lorenz), solver: new Tsit5(), t0: 0, t1: 5, dt0: 1e-3, y0: [1, 1, 1], saveat: steps,
        stepsizeController: pid(1e-6, 1e-6, { pcoeff: 0.1, icoeff: 0.5, dcoeff: 0.05, dtmax: 0.04, factormax: 3, stepTs: [1.2345, 3.3], jumpTs: [2.5] }),
      }),
  },
  {
    name: "Rosenbrock23 ROBER to 1e5 rtol 1e-5",
    solve: () => diffeqsolve({ terms: new ODETerm(rober), solver: new Rosenbrock23(), t0: 0, t1: 1e5, y0: [1, 0, 0], saveat: steps, stepsizeController: pid(1e-5, 1e-10) }),
  },
  {
    name: "Rodas5P ROBER to 1e11 rtol 1e-7",
    solve: () => diffeqsolve({ terms: new ODETerm(rober), solver: new Rodas5P(), t0: 0, t1: 1e11, y0: [1, 0, 0], saveat: steps, stepsizeController: pid(1e-7, 1e-12) }),
  },
  {
    name: "BDF ROBER to 1e5 rtol 1e-6",
    solve: () => diffeqsolve({ terms: new ODETerm(rober), solver: new BDF(), t0: 0, t1: 1e5, y0: [1, 0, 0], saveat: steps, stepsizeController: pid(1e-6, 1e-10) }),
  },
  {
    name: "RadauIIA5 Van der Pol (ε = 1e-3) to 2 rtol 1e-6",
    solve: () => diffeqsolve({ terms: new ODETerm(vdpol), solver: new RadauIIA5(), t0: 0, t1: 2, y0: [2, 0], saveat: steps, stepsizeController: pid(1e-6, 1e-6) }),
  },
  {
    name: "Kvaerno5 Van der Pol (ε = 1e-3) to 2 rtol 1e-6",
    solve: () => diffeqsolve({ terms: new ODETerm(vdpol), solver: new Kvaerno5(), t0: 0, t1: 2, y0: [2, 0], saveat: steps, stepsizeController: pid(1e-6, 1e-6) }),
  },
  {
    name: "KenCarp4 Van der Pol (ε = 1e-3) IMEX split to 2 rtol 1e-5",
    solve: () =>
      diffeqsolve({
        terms: new MultiTerm(new ODETerm(vdpolExplicit), new ODETerm(vdpolImplicit)), solver: new KenCarp4(), t0: 0, t1: 2, y0: [2, 0], saveat: steps,
        stepsizeController: pid(1e-5, 1e-5),
      }),
  },
  {
    name: "AutoSwitch(Tsit5, Rodas5P) Van der Pol (ε = 1e-3) to 2 rtol 1e-6",
    solve: () =>
      diffeqsolve({
        terms: new ODETerm(vdpol), solver: new AutoSwitch({ nonstiff: new Tsit5(), stiff: new Rodas5P() }), t0: 0, t1: 2, y0: [2, 0], saveat: steps,
        stepsizeController: pid(1e-6, 1e-6),
      }),
  },
  {
    name: "SRA1 adaptive over a VirtualBrownianTree, tol 1e-4",
    solve: () =>
      diffeqsolve({
        terms: new MultiTerm(new ODETerm(sdeDrift), new ControlTerm(sdeSigma, brownian("space-time"), { additive: true })), solver: new SRA1(),
        t0: 0, t1: 4, y0: [1], saveat: steps, stepsizeController: pid(1e-4, 1e-4),
      }),
  },
  {
    name: "ShARK adaptive over a VirtualBrownianTree, tol 1e-4",
    solve: () =>
      diffeqsolve({
        terms: new MultiTerm(new ODETerm(sdeDrift), new ControlTerm(sdeSigma, brownian("space-time"), { additive: true })), solver: new ShARK(),
        t0: 0, t1: 4, y0: [1], saveat: steps, stepsizeController: pid(1e-4, 1e-4),
      }),
  },
  {
    name: "EulerMaruyama fixed dt = 1/64 over a VirtualBrownianTree",
    solve: () =>
      diffeqsolve({
        terms: new MultiTerm(new ODETerm(sdeDrift), new ControlTerm(sdeSigma, brownian(undefined))), solver: new EulerMaruyama(),
        t0: 0, t1: 4, dt0: 1 / 64, y0: [1], saveat: steps, stepsizeController: new ConstantStepSize(),
      }),
  },
  {
    name: "Dopri5 bouncing ball with drag (restitution 0.9), an event, rtol 1e-8",
    solve: () =>
      diffeqsolve({
        terms: new ODETerm(fall), solver: new Dopri5(), t0: 0, t1: 8, y0: [10, 0], saveat: steps, stepsizeController: pid(1e-8, 1e-10),
        event: new Event({ cond: (_t, y) => y[0]!, direction: "down", affect: (_t, y) => { y[1] = -0.9 * y[1]!; } }),
      }),
  },
  {
    name: "Tsit5 Lorenz StepTo",
    solve: () =>
      diffeqsolve({
        terms: new ODETerm(lorenz), solver: new Tsit5(), t0: 0, t1: 1, y0: [1, 1, 1], saveat: steps,
        stepsizeController: new StepTo({ ts: Array.from({ length: 41 }, (_, i) => (i / 40) ** 1.5) }),
      }),
  },
  {
    name: "Tsit5 Lorenz ConstantStepSize dt0 = 0.0123",
    solve: () =>
      diffeqsolve({ terms: new ODETerm(lorenz), solver: new Tsit5(), t0: 0, t1: 2, dt0: 0.0123, y0: [1, 1, 1], saveat: steps, stepsizeController: new ConstantStepSize() }),
  },
  {
    name: "Euler oscillator ConstantStepSize backward dt0 = -0.01",
    solve: () =>
      diffeqsolve({ terms: new ODETerm(oscillator), solver: new Euler(), t0: 1, t1: 0, dt0: -0.01, y0: [1, 0], saveat: steps, stepsizeController: new ConstantStepSize() }),
  },
];

/** Exact decimal form of a double (shortest round-trip string; "-0" kept). */
export const exact = (x: number): string => (Object.is(x, -0) ? "-0" : String(x));

/** What is pinned of one solve: every accepted step's end time, the outcome and statistics, y at the end. */
export function record(sol: Solution<any>) {
  const last = sol.ys.length - 1;
  return {
    result: resultName(sol.result),
    tFinal: exact(sol.tFinal),
    stats: { ...sol.stats },
    yFinal: Array.from(sol.ys[last] as ArrayLike<number>, exact),
    events: sol.events.map((e) => ({ index: e.index, t: exact(e.t) })),
    stepEnds: Array.from(sol.ts, exact),
  };
}
