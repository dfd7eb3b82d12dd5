/**
 * A minimal step loop over the solver protocol, for measuring what the WebAssembly path costs
 * once the integration loop uses its zero-copy hook (`vectorBackend`: state buffers in the
 * solver's memory, the error norm computed there). It mirrors bench/c/rk_vec.c step for step: the
 * controller of src/integrate.ts with PIDController defaults (I controller, safety 0.9, factors
 * in [0.2, 10], no growth after a rejection, Hairer's initial step, the 1.01 stretch onto t1) and
 * no output besides y(t1). Without the hook (the JavaScript path) it computes the norm with the
 * loop's formula in JavaScript.
 *
 * This is benchmark scaffolding, not a second integration loop: diffeqsolve is measured beside
 * it, and the difference between the two is the cost of today's loop (copies and the norm in
 * JavaScript) that the hook removes.
 */
import { initialStepSize } from "../../src/integrate.js";
import { PIDController, type ExplicitRungeKutta, type ERKState, type InPlaceVectorField } from "../../src/index.js";

export interface DriveResult {
  y: Float64Array;
  steps: number;
  accepted: number;
  rejected: number;
  fevals: number;
}

/**
 * A reusable solve: the solver's workspace (and with the hook, the state buffers in its memory)
 * is made once, as the C harness allocates once; each `run` restarts from y0. Returns y(t1) after
 * `mode.fixed` equal steps, or adaptively at (rtol, atol). `hook`: use the zero-copy hook when
 * the solver offers it.
 */
export function driver(
  solver: ExplicitRungeKutta,
  f: InPlaceVectorField,
  n: number,
  hook: boolean,
  args?: unknown,
  terms?: unknown,
): (y0: Float64Array, t0: number, t1: number, mode: { fixed: number } | { rtol: number; atol: number }) => DriveResult {
  const state = solver.init(f, n, args, terms as never) as ERKState;
  const backend = hook ? solver.vectorBackend(state) : null;
  let ya: Float64Array, yb: Float64Array, yErr: Float64Array, yErr2: Float64Array;
  if (backend !== null) ({ y: ya, y1: yb, yErr, yErr2 } = backend.stateBuffers());
  else [ya, yb, yErr, yErr2] = [new Float64Array(n), new Float64Array(n), new Float64Array(n), new Float64Array(n)];
  const ytmp = new Float64Array(n);
  const f1 = new Float64Array(n);
  return (y0, t0, t1, mode) => run(solver, state, backend, f, args, ya, yb, yErr, yErr2, ytmp, f1, y0, t0, t1, mode);
}

function run(solver: ExplicitRungeKutta, state: ERKState, backend: ReturnType<ExplicitRungeKutta["vectorBackend"]>, f: InPlaceVectorField, args: unknown,
  ya: Float64Array, yb: Float64Array, yErr: Float64Array, yErr2: Float64Array, ytmp: Float64Array, f1: Float64Array,
  y0: Float64Array, t0: number, t1: number, mode: { fixed: number } | { rtol: number; atol: number }): DriveResult {
  const evals0 = state.numFnEvals;
  let y = ya;
  let y1 = yb;
  y.set(y0);
  const times = new Float64Array(2);
  let t = t0;
  const f0 = solver.restart(state, t, y);
  let steps = 0;
  let accepted = 0;
  let rejected = 0;
  if ("fixed" in mode) {
    const h = (t1 - t0) / mode.fixed;
    for (let s = 0; s < mode.fixed; s++) {
      const tn = s + 1 === mode.fixed ? t1 : t0 + (s + 1) * h;
      times[0] = t;
      times[1] = tn - t;
      solver.step(state, times, y, y1, yErr, yErr2);
      solver.accept(state);
      steps++;
      accepted++;
      const sw = y;
      y = y1;
      y1 = sw;
      t = tn;
    }
    return { y, steps, accepted, rejected, fevals: state.numFnEvals - evals0 };
  }
  const { rtol, atol } = mode;
  const ctrl = new PIDController({ rtol, atol });
  const k = solver.errorOrder;
  const dtmax = Math.abs(t1 - t0);
  let dt = initialStepSize(f, args, t0, y, f0, 1, solver.order, ctrl.rtol, ctrl.atol, dtmax, ytmp, f1);
  const extra = 1;
  const result = new Float64Array(1);
  if (backend !== null) backend.setTolerances("rms", rtol, atol);
  let lastRejected = false;
  while (t !== t1) {
    if (dt > dtmax) dt = dtmax;
    let tn = t + dt;
    if (t + Math.min(1.01 * dt, dtmax) - t1 >= 0) tn = t1;
    const h = tn - t;
    if (t + h === t) throw new Error("drive: step size underflow");
    times[0] = t;
    times[1] = h;
    solver.step(state, times, y, y1, yErr, yErr2);
    steps++;
    let err: number;
    if (backend !== null) {
      backend.errorNorm(0, result);
      err = result[0]!;
      if (solver.hasSecondaryError) {
        backend.errorNorm(1, result);
        const e2 = result[0]!;
        const d = err * err + 0.01 * e2 * e2;
        err = d > 0 ? (err * err) / Math.sqrt(d) : 0;
      }
    } else {
      err = rmsNorm(y, y1, yErr, rtol, atol);
      if (solver.hasSecondaryError) {
        const e2 = rmsNorm(y, y1, yErr2, rtol, atol);
        const d = err * err + 0.01 * e2 * e2;
        err = d > 0 ? (err * err) / Math.sqrt(d) : 0;
      }
    }
    let factor: number;
    if (err <= 1) {
      const inv = err === 0 ? Infinity : 1 / err;
      factor = ctrl.safety * Math.exp(Math.log(inv) / k);
      if (!(factor <= ctrl.factormax)) factor = ctrl.factormax;
      if (factor < ctrl.factormin) factor = ctrl.factormin;
      if (lastRejected) factor = Math.min(factor, 1);
      lastRejected = false;
      solver.accept(state);
      accepted++;
      const sw = y;
      y = y1;
      y1 = sw;
      t = tn;
    } else {
      factor = err === err && err !== Infinity ? Math.max(ctrl.factormin, Math.min(1, ctrl.safety * Math.exp(Math.log(err) / -k))) : 0.25;
      rejected++;
      lastRejected = true;
    }
    dt = Math.abs(h) * factor;
  }
  return { y, steps, accepted, rejected, fevals: state.numFnEvals - evals0 + extra };
}

/** The loop's RMS norm with scalar tolerances. */
function rmsNorm(y0: Float64Array, y1: Float64Array, e: Float64Array, rtol: number, atol: number): number {
  let acc = 0;
  for (let i = 0; i < e.length; i++) {
    const a0 = Math.abs(y0[i]!);
    const a1 = Math.abs(y1[i]!);
    const r = e[i]! / (atol + rtol * (a0 > a1 ? a0 : a1));
    acc += r * r;
  }
  return Math.sqrt(acc / e.length);
}
