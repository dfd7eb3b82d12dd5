/**
 * A CPU reference of the WebGPU ODE kernel, written separately from the WGSL generator: one
 * trajectory, the kernel's algorithm statement for statement, in float32 emulation (every
 * operation rounded by Math.fround, every constant rounded as the WGSL literal is) or in double
 * precision (no rounding: the arithmetic of the CPU loop, which the double mode is tested
 * against).
 *
 * The compiled functions are evaluated over the graph's instruction list with `evalOp` (the
 * semantics of the generated JavaScript), rounded to float32 after each operation in float32
 * mode. Whole exponents up to 64 are products there, as the WGSL emitter writes them.
 */
import { program } from "../../src/compile/codegen.js";
import { evalOp, Op } from "../../src/compile/graph.js";
import { RESULTS } from "../../src/results.js";
import type { GpuEvent, GpuGraph, GpuProblem, PidConstants } from "../../src/ensemble/webgpu/problem.js";

/** One trajectory's outcome, as the kernel reports it. */
export interface ReferenceResult {
  result: number;
  /** Saved rows, row after row. */
  ys: number[];
  rows: number;
  tFinal: number;
  steps: number;
  accepted: number;
  rejected: number;
  evals: number;
}

type Evaluate = (t: number, y: ArrayLike<number>) => number[];

const F32_EPS = 1.1920928955078125e-7;
const F32_TINY = 1.1754943508222875e-38;

/** Evaluates a compiled graph (all outputs) at (t, y) with parameters P. */
function evaluator(g: GpuGraph, P: ArrayLike<number>, fr: (x: number) => number, f32: boolean): Evaluate {
  const prog = program(g.graph, g.outputs);
  const G = g.graph;
  const v = new Float64Array(G.size);
  return (t, y) => {
    const val = (id: number): number => (G.op[id] === Op.CONST ? fr(G.value[id]!) : v[id]!);
    for (const id of prog.nodes) {
      const op = G.op[id] as Op;
      if (op === Op.T) v[id] = t;
      else if (op === Op.Y) v[id] = y[G.a[id]!]!;
      else if (op === Op.P) v[id] = P[g.offset + G.a[id]!]!;
      else {
        const a = val(G.a[id]!);
        const b = op >= Op.ADD ? val(G.b[id]!) : 0;
        const c = op === Op.SELECT ? val(G.c[id]!) : 0;
        if (f32 && op === Op.POW && G.op[G.b[id]!] === Op.CONST) {
          const e = G.value[G.b[id]!]!;
          if (Number.isInteger(e) && e !== 0 && Math.abs(e) <= 64) {
            const m = Math.abs(e);
            let p = a;
            if (m <= 4) for (let k = 1; k < m; k++) p = fr(p * a);
            else {
              // Binary powering: the squares of the set bits of m, lowest first, multiplied left to right.
              let acc: number | null = null;
              let sq = a;
              for (let k = m; k > 0; k >>= 1) {
                if (k & 1) acc = acc === null ? sq : fr(acc * sq);
                sq = fr(sq * sq);
              }
              p = acc!;
            }
            v[id] = e > 0 ? p : fr(1 / p);
            continue;
          }
          if (e === 0.5) {
            v[id] = fr(Math.sqrt(a));
            continue;
          }
        }
        v[id] = fr(evalOp(op, a, b, c));
      }
    }
    return g.outputs.map((o) => val(o));
  };
}

/**
 * Solves trajectory i of the problem (initial state y0, parameters P as packed for the GPU) the
 * way the ODE kernel does.
 */
export function referenceSolve(gp: GpuProblem, y0: ArrayLike<number>, P: ArrayLike<number>, f32: boolean): ReferenceResult {
  if (gp.method.kind !== "erk") throw new Error("reference: ODE problems only");
  const fr = f32 ? Math.fround : (x: number): number => x;
  const C = (x: number): number => fr(x);
  const tab = gp.method.tableau;
  const s = tab.stages;
  const d = tab.dense;
  const n = gp.n;
  const f = evaluator(gp.f, P, fr, f32);
  const conds = gp.events.map((e) => evaluator(e.cond, P, fr, f32));
  const k: number[][] = Array.from({ length: d.stages }, () => new Array<number>(n).fill(0));
  let y = Array.from(y0, fr);
  let y1 = new Array<number>(n).fill(0);
  const e1 = new Array<number>(n).fill(0);
  const e2 = new Array<number>(n).fill(0);
  const ys: number[] = [];
  let rows = 0;
  let evals = 0;
  const save = (v: ArrayLike<number>): void => {
    for (let j = 0; j < n; j++) ys.push(v[j]!);
    rows++;
  };
  /** base[j] + h·Σ coef_l k_l[j], summed left to right over non-zero coefficients (unit ones bare). */
  const stageSum = (base: ArrayLike<number>, h: number, coefs: ArrayLike<number>, count: number): number[] => {
    const out = new Array<number>(n);
    for (let j = 0; j < n; j++) {
      let acc: number | null = null;
      for (let l = 0; l < count; l++) {
        const a = coefs[l]!;
        if (a === 0) continue;
        const term = a === 1 ? k[l]![j]! : fr(C(a) * k[l]![j]!);
        acc = acc === null ? term : fr(acc + term);
      }
      out[j] = acc === null ? base[j]! : fr(base[j]! + fr(h * acc));
    }
    return out;
  };
  const adaptive = gp.controller.kind === "pid";
  const pid = gp.controller as PidConstants;
  const rkStep = (t: number, h: number): void => {
    const tEnd = fr(t + h);
    for (let i = 1; i < s; i++) {
      if (tab.fsal && i === s - 1) break;
      const tmp = stageSum(y, h, tab.a.subarray(i * s, i * s + i), i);
      const c = tab.c[i]!;
      k[i] = f(c === 1 ? tEnd : c === 0 ? t : fr(t + fr(C(c) * h)), tmp);
    }
    y1 = stageSum(y, h, tab.b, s);
    if (tab.fsal) k[s - 1] = f(tEnd, y1);
    if (adaptive) {
      const zero = new Array<number>(n).fill(0);
      for (const [out, w] of [[e1, tab.bErr], [e2, tab.bErr2]] as const) {
        if (w === undefined) continue;
        const sum = stageSum(zero, 1, w, s); // Σ w_l k_l (0 + 1·acc = acc exactly)
        for (let j = 0; j < n; j++) out[j] = fr(h * sum[j]!);
      }
    }
    evals += s - 1;
  };
  let stT = 0;
  let stH = 0;
  let denseOk = false;
  let f1Ok = false;
  const densePrepare = (): void => {
    if (denseOk) return;
    if (!tab.fsal && (d.usesF1 || d.extraC.length > 0) && !f1Ok) {
      k[tab.f1Index] = f(fr(stT + stH), y1);
      evals++;
      f1Ok = true;
    }
    for (let e = 0; e < d.extraC.length; e++) {
      const idx = d.extraStart + e;
      const tmp = stageSum(y, stH, d.extraA.subarray(e * d.stages, e * d.stages + idx), idx);
      k[idx] = f(fr(stT + fr(C(d.extraC[e]!) * stH)), tmp);
      evals++;
    }
    denseOk = true;
  };
  const interp = (theta: number): number[] => {
    const w: (number | null)[] = [];
    for (let i = 0; i < d.stages; i++) {
      let acc: number | null = null;
      for (let q = d.degree - 1; q >= 0; q--) {
        const r = d.bTheta[i * d.degree + q]!;
        if (acc === null) {
          if (r !== 0) acc = C(r);
        } else acc = r === 0 ? fr(acc * theta) : fr(fr(acc * theta) + C(r));
      }
      w.push(acc === null ? null : fr(acc * theta));
    }
    const out = new Array<number>(n);
    for (let j = 0; j < n; j++) {
      let acc: number | null = null;
      for (let i = 0; i < d.stages; i++) {
        if (w[i] === null) continue;
        const term = fr(w[i]! * k[i]![j]!);
        acc = acc === null ? term : fr(acc + term);
      }
      out[j] = fr(y[j]! + fr(stH * (acc ?? 0)));
    }
    return out;
  };
  const norm = (): number => {
    const one = (e: number[]): number => {
      let acc = 0;
      for (let j = 0; j < n; j++) {
        const r = fr(e[j]! / fr(C(pid.atol[j]!) + fr(C(pid.rtol[j]!) * Math.max(Math.abs(y[j]!), Math.abs(y1[j]!)))));
        acc = pid.norm === "rms" ? fr(acc + fr(r * r)) : Math.max(acc, Math.abs(r));
      }
      return pid.norm === "rms" ? fr(Math.sqrt(fr(acc / n))) : acc;
    };
    const a = one(e1);
    if (tab.bErr2 === undefined) return a;
    const b = one(e2);
    const deno = fr(fr(a * a) + fr(C(0.01) * fr(b * b)));
    return deno > 0 ? fr(fr(a * a) / fr(Math.sqrt(deno))) : 0;
  };
  const condValue = (e: GpuEvent, idx: number, t: number, v: ArrayLike<number>): number => {
    const g = conds[idx]!(t, v)[0]!;
    return e.boolean ? fr(fr(2 * g) - 1) : g;
  };
  const evValue = (e: GpuEvent, idx: number, tt: number): number => condValue(e, idx, tt, interp(fr(fr(tt - stT) / stH)));
  const root = (e: GpuEvent, idx: number, ta: number, ga: number, tb: number, gb: number): number => {
    const width = (a: number, b: number): number => Math.max(C(e.tol), Math.max(fr(C(2 * F32_EPS) * Math.max(Math.abs(a), Math.abs(b))), F32_TINY));
    const sa = ga > 0;
    if (e.boolean) {
      for (let iter = 0; iter < 400; iter++) {
        if (Math.abs(fr(tb - ta)) <= width(ta, tb)) return tb;
        const tm = fr(0.5 * fr(ta + tb));
        if (tm === ta || tm === tb) return tb;
        const gm = evValue(e, idx, tm);
        if (gm === 0 || gm > 0 !== sa) tb = tm;
        else ta = tm;
      }
      return tb;
    }
    let kept = 0;
    let w1 = 3.4028234663852886e38;
    let w2 = 3.4028234663852886e38;
    for (let iter = 0; iter < 400; iter++) {
      const w = Math.abs(fr(tb - ta));
      const wTol = width(ta, tb);
      if (gb === 0 || w <= wTol) return tb;
      let tm: number;
      if (w > fr(0.5 * w2)) tm = fr(0.5 * fr(ta + tb));
      else {
        tm = fr(tb - fr(fr(gb * fr(tb - ta)) / fr(gb - ga)));
        if (!Number.isFinite(tm)) tm = fr(0.5 * fr(ta + tb));
      }
      const half = fr(0.5 * wTol);
      const sg = tb > ta ? 1 : -1;
      if (fr(sg * fr(tm - ta)) < half) tm = fr(ta + fr(sg * half));
      else if (fr(sg * fr(tb - tm)) < half) tm = fr(tb - fr(sg * half));
      w2 = w1;
      w1 = w;
      const gm = evValue(e, idx, tm);
      if (gm === 0 || gm > 0 !== sa) {
        tb = tm;
        gb = gm;
        if (kept === 1) ga = fr(ga * 0.5);
        kept = 1;
      } else {
        ta = tm;
        ga = gm;
        if (kept === -1) gb = fr(gb * 0.5);
        kept = -1;
      }
    }
    return tb;
  };

  const T0 = C(gp.t0);
  const T1 = C(gp.t1);
  const KTS = gp.saveTs.length;
  const saveTs = Array.from(gp.saveTs, C);
  let t = T0;
  let its = 0;
  let steps = 0;
  let accepted = 0;
  let rejected = 0;
  let result: number = RESULTS.successful;
  if (gp.saveT0) save(y);
  const evG = gp.events.map((e, idx) => condValue(e, idx, t, y));
  const evT = gp.events.map(() => t);
  while (its < KTS && saveTs[its] === T0) save(y), its++;
  k[0] = f(t, y);
  evals++;
  let k0Ok = true;
  let dt = 0;
  if (adaptive) dt = pid.dt0 === null ? initialStep(t) : C(pid.dt0);
  let invPrev1 = 1;
  let invPrev2 = 1;
  let nfs = 0;
  let lastRejected = false;
  let hRejected = 0;
  let kfix = 0;
  const DTMAX = adaptive ? C(pid.dtmax) : 0;
  const DTMIN = adaptive ? C(pid.dtmin) : 0;
  const fail = (): number => (nfs > 0 ? RESULTS.nonFiniteEncountered : RESULTS.dtMinReached);

  function initialStep(t0: number): number {
    const sc = (j: number): number => fr(C(pid.atol[j]!) + fr(C(pid.rtol[j]!) * Math.abs(y[j]!)));
    let d0 = 0;
    let d1 = 0;
    for (let j = 0; j < n; j++) {
      let q = fr(y[j]! / sc(j));
      d0 = fr(d0 + fr(q * q));
      q = fr(k[0]![j]! / sc(j));
      d1 = fr(d1 + fr(q * q));
    }
    d0 = fr(Math.sqrt(fr(d0 / n)));
    d1 = fr(Math.sqrt(fr(d1 / n)));
    let h0 = C(1e-6);
    if (!(d0 < C(1e-5) || d1 < C(1e-5))) h0 = fr(C(0.01) * fr(d0 / d1));
    h0 = Math.min(h0, C(pid.dtmax));
    const tmp = y.map((yj, j) => fr(yj + fr(h0 * k[0]![j]!)));
    const f1 = f(fr(t0 + h0), tmp);
    evals++;
    let d2 = 0;
    for (let j = 0; j < n; j++) {
      const q = fr(fr(f1[j]! - k[0]![j]!) / sc(j));
      d2 = fr(d2 + fr(q * q));
    }
    d2 = fr(fr(Math.sqrt(fr(d2 / n))) / h0);
    const dmax = Math.max(d1, d2);
    let h1 = Math.max(C(1e-6), fr(h0 * C(1e-3)));
    if (dmax > C(1e-15)) h1 = fr(fr(C(0.01) / dmax) ** C(1 / tab.order));
    const h = Math.min(Math.min(fr(100 * h0), h1), C(pid.dtmax));
    return Number.isFinite(h) && h > 0 ? h : Math.min(C(1e-6), C(pid.dtmax));
  }

  for (;;) {
    if (t === T1) break;
    if (steps >= gp.maxSteps) {
      result = RESULTS.maxStepsReached;
      break;
    }
    let tNext: number;
    let atDtmin = false;
    if (adaptive) {
      if (dt > DTMAX) dt = DTMAX;
      if (dt <= DTMIN) {
        dt = DTMIN;
        atDtmin = true;
      }
      tNext = fr(t + dt);
      const reach = Math.min(fr(C(1.01) * dt), DTMAX);
      if (fr(t + reach) >= T1) tNext = T1;
      if (tNext === t && !lastRejected) tNext = f32 ? nextUp32(t) : nextUp64(t);
    } else {
      tNext = T1;
      if (kfix + 1 < gp.controller.steps) tNext = fr(T0 + fr(fr(kfix + 1) * C(gp.controller.h)));
    }
    const h = fr(tNext - t);
    if (fr(t + h) === t || h === 0 || (adaptive && lastRejected && h === hRejected && !atDtmin)) {
      result = adaptive ? fail() : RESULTS.dtMinReached;
      break;
    }
    if (!tab.fsal && !k0Ok) {
      if (f1Ok) k[0] = k[tab.f1Index]!.slice();
      else {
        k[0] = f(t, y);
        evals++;
      }
      k0Ok = true;
    }
    rkStep(t, h);
    steps++;
    let accept = true;
    let factor = 1;
    if (adaptive) {
      let ok = true;
      for (let j = 0; j < n; j++) if (!Number.isFinite(y1[j]!) || !Number.isFinite(e1[j]!) || (tab.bErr2 !== undefined && !Number.isFinite(e2[j]!))) ok = false;
      const err = ok ? norm() : 0;
      if (ok && err <= 1) {
        const inv = fr(1 / Math.max(err, C(1e-30)));
        factor = fr(C(pid.safety) * fr(Math.exp(fr(C(pid.beta1) * fr(Math.log(inv))))));
        if (pid.beta2 !== 0) factor = fr(factor * fr(Math.exp(fr(C(pid.beta2) * fr(Math.log(invPrev1))))));
        if (pid.beta3 !== 0) factor = fr(factor * fr(Math.exp(fr(C(pid.beta3) * fr(Math.log(invPrev2))))));
        if (!Number.isFinite(factor) || factor > C(pid.factormax)) factor = C(pid.factormax);
        if (factor < C(pid.factormin)) factor = C(pid.factormin);
        if (lastRejected) factor = Math.min(factor, 1);
        lastRejected = false;
        invPrev2 = invPrev1;
        invPrev1 = Math.min(inv, C(1e4)); // the controller's history floors err at 1e-4
        nfs = 0;
      } else {
        accept = false;
        if (ok) {
          factor = C(pid.factormin);
          if (Number.isFinite(err)) factor = Math.max(C(pid.factormin), Math.min(1, fr(C(pid.safety) * fr(Math.exp(fr(fr(Math.log(err)) / C(-tab.errorOrder)))))));
          nfs = 0;
        } else {
          factor = 0.25;
          nfs++;
        }
        if (atDtmin || h <= DTMIN) {
          if (pid.forceDtmin && nfs === 0) accept = true;
          else {
            result = fail();
            rejected++;
            break;
          }
        }
      }
    } else {
      for (let j = 0; j < n; j++) if (!Number.isFinite(y1[j]!)) accept = false;
      if (!accept) {
        result = RESULTS.nonFiniteEncountered;
        rejected++;
        break;
      }
    }
    if (accept) {
      accepted++;
      stT = t;
      stH = h;
      denseOk = false;
      f1Ok = false;
      let fired = false;
      let tEv = tNext;
      gp.events.forEach((e, idx) => {
        const ge = condValue(e, idx, tNext, y1);
        let gl = evG[idx]!;
        let tl = evT[idx]!;
        if (gl === 0) {
          const tp = fr(tl + Math.max(C(4 * e.tol), fr(C(64 * F32_EPS) * Math.max(Math.abs(tl), Math.abs(h)))));
          if (tp < tNext) {
            densePrepare();
            gl = evValue(e, idx, tp);
            tl = tp;
          }
        }
        const wanted = e.want === 1 ? gl < 0 : e.want === -1 ? gl > 0 : true;
        if (gl !== 0 && !(gl > 0 ? ge > 0 : ge < 0) && wanted && (!fired || tl < tEv)) {
          let tb = tNext;
          let gb = ge;
          let skip = false;
          if (fired && tEv !== tNext) {
            densePrepare();
            gb = evValue(e, idx, tEv);
            if (gb !== 0 && gb > 0 === gl > 0) skip = true;
            tb = tEv;
          }
          if (!skip) {
            densePrepare();
            tEv = root(e, idx, tl, gl, tb, gb);
            fired = true;
          }
        }
        evG[idx] = ge;
        evT[idx] = tNext;
      });
      const tEnd = fired ? tEv : tNext;
      if (tEnd === tNext) kfix++;
      while (its < KTS && saveTs[its]! <= tEnd) {
        const ti = saveTs[its]!;
        if (ti === tEnd) {
          if (fired) break;
          save(y1);
        } else {
          densePrepare();
          save(interp(fr(fr(ti - t) / h)));
        }
        its++;
      }
      let yEv = y1;
      if (fired && tEv !== tNext) {
        densePrepare();
        yEv = interp(fr(fr(tEv - t) / h));
      }
      y = y1;
      if (tab.fsal) k[0] = k[s - 1]!.slice();
      else k0Ok = false;
      t = tNext;
      if (fired) {
        t = tEv;
        y = yEv;
        result = RESULTS.eventOccurred;
        break;
      }
    } else {
      rejected++;
      lastRejected = true;
      hRejected = h;
    }
    if (adaptive) dt = fr(Math.abs(h) * factor);
  }
  if (t === T1 && result === RESULTS.successful) {
    while (its < KTS) save(y), its++;
    if (gp.saveT1) save(y);
  } else if (result === RESULTS.eventOccurred) {
    while (its < KTS && saveTs[its] === t) save(y), its++;
    if (gp.saveT1) save(y);
  }
  return { result, ys, rows, tFinal: t, steps, accepted, rejected, evals };
}

const b32 = new Float32Array(1);
const u32 = new Uint32Array(b32.buffer);
function nextUp32(x: number): number {
  if (x === 0) return F32_TINY;
  b32[0] = x;
  u32[0] = x > 0 ? u32[0]! + 1 : u32[0]! - 1;
  return b32[0]!;
}
const b64 = new Float64Array(1);
const u64 = new BigUint64Array(b64.buffer);
function nextUp64(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  b64[0] = x;
  u64[0] = x > 0 ? u64[0]! + 1n : u64[0]! - 1n;
  return b64[0]!;
}
