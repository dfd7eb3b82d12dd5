/**
 * The ODE kernel: one invocation integrates one trajectory with an explicit Runge–Kutta method
 * (any validated tableau: Tsit5, Dopri5, Vern7, RK4, …), in float32, as DiffEqGPU's
 * `EnsembleGPUKernel` does (Utkarsh et al., "Automated translation and accelerated solving of
 * differential equations on multiple GPU platforms", CMAME 419 (2024) 116591).
 *
 * The loop is the CPU loop's (`runLoop` in integrate.ts), statement for statement where it
 * applies: the same step proposal (stretch by up to 1% to land on t1, the smallest step after an
 * accepted one where dt rounds to nothing), the same PID update with ε = 1/err and the same
 * clamps, the same rejection and failure rules (dtMinReached, nonFiniteEncountered,
 * maxStepsReached), the same automatic initial step (Hairer's), the same stage sums and dense
 * output (Horner on the interpolant's weights), the same output-time filling, and the same
 * location of terminating events on the interpolant (Illinois, or bisection for boolean
 * conditions), with float32 tolerances (2ε₃₂ instead of 2ε₆₄ in the root finder's bracket).
 * Where float32 needs a guard the double loop does not (1/err at err = 0, an error norm that
 * overflows), the guard gives the factor the double loop would: factormax, factormin.
 *
 * Generated per problem: the tableau's coefficients, the controller's constants and the compiled
 * vector field are constants of the shader, every sum over stages is unrolled over components.
 */
import { RESULTS } from "../../results.js";
import type { Tableau } from "../../solvers/tableau.js";
import { combination, entryPoint, graphFunction, lit, moduleHead } from "./kernel_common.js";
import { F32_EPSILON, type ErkMethod, type FixedSteps, type GpuEvent, type GpuProblem, type PidConstants } from "./problem.js";

/** Smallest positive normal float32 (GPUs may flush subnormals). */
const F32_TINY = lit(1.1754943508222875e-38);
/** The largest float32. */
const F32_MAX = lit(3.4028234663852886e38);

/** `out[j] = base[j] + h * (Σ coef_l k_l[j])` (or `= base[j]` when every coefficient is 0), per component. */
function stageSum(n: number, out: string, base: string, h: string, coefs: ArrayLike<number>, count: number): string {
  const lines: string[] = [];
  for (let j = 0; j < n; j++) {
    const c = combination(coefs, count, (l) => `k${l}[${j}]`);
    lines.push(`  ${out}[${j}] = ${base}[${j}]${c ? ` + ${h} * (${c})` : ""};`);
  }
  return lines.join("\n");
}

/** `rk_step(t, h)`: stages 1 … s−1 (k0 holds f(t, st_y)), then st_y1 and the error estimates. */
function stepFunction(tab: Tableau, n: number, withError: boolean): string {
  const s = tab.stages;
  const lines: string[] = ["fn rk_step(t: f32, h: f32) {", "  let tEnd = t + h;"];
  const stageTime = (c: number): string => (c === 1 ? "tEnd" : c === 0 ? "t" : `t + ${lit(c)} * h`);
  for (let i = 1; i < s; i++) {
    if (tab.fsal && i === s - 1) break;
    lines.push(stageSum(n, "st_tmp", "st_y", "h", tab.a.subarray(i * s, i * s + i), i));
    lines.push(`  k${i} = f(${stageTime(tab.c[i]!)}, st_tmp);`);
  }
  lines.push(stageSum(n, "st_y1", "st_y", "h", tab.b, s));
  if (tab.fsal) lines.push(`  k${s - 1} = f(tEnd, st_y1);`);
  if (withError) {
    for (const [name, e] of [["st_e", tab.bErr], ["st_e2", tab.bErr2]] as const) {
      if (e === undefined) continue;
      for (let j = 0; j < n; j++) lines.push(`  ${name}[${j}] = h * (${combination(e, s, (l) => `k${l}[${j}]`) || "0.0"});`);
    }
  }
  lines.push(`  evals += ${s - 1}u;`, "}");
  return lines.join("\n");
}

/**
 * `dense_prepare()` (f(t1, y1) for methods that are not FSAL, and the extra stages of the
 * interpolant, once per step, as the CPU's `ensureDense`) and `interp(θ)`, the interpolant at
 * st_t + θ·st_h.
 */
function denseFunctions(tab: Tableau, n: number): string {
  const d = tab.dense;
  const lines: string[] = ["fn dense_prepare() {", "  if (dense_ok) { return; }"];
  if (!tab.fsal && (d.usesF1 || d.extraC.length > 0)) {
    lines.push(`  if (!f1_ok) { k${tab.f1Index} = f(st_t + st_h, st_y1); evals += 1u; f1_ok = true; }`);
  }
  for (let e = 0; e < d.extraC.length; e++) {
    const idx = d.extraStart + e;
    lines.push(stageSum(n, "st_tmp", "st_y", "st_h", d.extraA.subarray(e * d.stages, e * d.stages + idx), idx));
    lines.push(`  k${idx} = f(st_t + ${lit(d.extraC[e]!)} * st_h, st_tmp);`, "  evals += 1u;");
  }
  lines.push("  dense_ok = true;", "}");
  // Weights b_i(θ) = θ·Σ_p r_(i,p) θ^p by Horner's rule, as the CPU's denseWeights.
  const w: string[] = [];
  const weights: number[] = [];
  for (let i = 0; i < d.stages; i++) {
    let expr = "";
    let any = false;
    for (let q = d.degree - 1; q >= 0; q--) {
      const r = d.bTheta[i * d.degree + q]!;
      if (!any) {
        if (r === 0) continue;
        expr = lit(r);
        any = true;
      } else expr = r === 0 ? `(${expr}) * theta` : `(${expr}) * theta + ${lit(r)}`;
    }
    if (!any) continue;
    w.push(`  let w${i} = (${expr}) * theta;`);
    weights.push(i);
  }
  lines.push(`fn interp(theta: f32) -> array<f32, ${n}> {`, ...w, `  var out: array<f32, ${n}>;`);
  for (let j = 0; j < n; j++) lines.push(`  out[${j}] = st_y[${j}] + st_h * (${weights.map((i) => `w${i} * k${i}[${j}]`).join(" + ") || "0.0"});`);
  lines.push("  return out;", "}");
  return lines.join("\n");
}

/** The error norm of st_e (and st_e2), scaled by atol + rtol·max(|y0|, |y1|). */
function normFunction(c: PidConstants, n: number, secondary: boolean): string {
  const one = (e: string): string[] => {
    const lines = ["  acc = 0.0;"];
    for (let j = 0; j < n; j++) {
      lines.push(`  r = ${e}[${j}] / (${lit(c.atol[j]!)} + ${lit(c.rtol[j]!)} * max(abs(st_y[${j}]), abs(st_y1[${j}])));`);
      lines.push(c.norm === "rms" ? "  acc = acc + r * r;" : "  acc = max(acc, abs(r));");
    }
    lines.push(c.norm === "rms" ? `  acc = sqrt(acc / ${lit(n)});` : "");
    return lines;
  };
  const lines = ["fn error_norm() -> f32 {", "  var acc: f32;", "  var r: f32;", ...one("st_e")];
  if (secondary) {
    lines.push("  let e1 = acc;", ...one("st_e2"), "  let deno = e1 * e1 + 0.01 * acc * acc;", "  if (deno > 0.0) { return e1 * e1 / sqrt(deno); }", "  return 0.0;");
  } else lines.push("  return acc;");
  lines.push("}");
  return lines.join("\n");
}

/** Hairer's automatic initial step (the CPU's `initialStepSize`), from k0 = f(t0, y0). */
function initialStepFunction(c: PidConstants, n: number, order: number): string {
  const sc = (j: number): string => `(${lit(c.atol[j]!)} + ${lit(c.rtol[j]!)} * abs(st_y[${j}]))`;
  const lines = ["fn initial_step(t: f32) -> f32 {", "  var d0 = 0.0;", "  var d1 = 0.0;", "  var q: f32;"];
  for (let j = 0; j < n; j++) {
    lines.push(`  q = st_y[${j}] / ${sc(j)}; d0 = d0 + q * q;`, `  q = k0[${j}] / ${sc(j)}; d1 = d1 + q * q;`);
  }
  lines.push(
    `  d0 = sqrt(d0 / ${lit(n)});`,
    `  d1 = sqrt(d1 / ${lit(n)});`,
    "  var h0 = 1e-6;",
    "  if (!(d0 < 1e-5 || d1 < 1e-5)) { h0 = 0.01 * (d0 / d1); }",
    "  h0 = min(h0, DTMAX);",
  );
  for (let j = 0; j < n; j++) lines.push(`  st_tmp[${j}] = st_y[${j}] + h0 * k0[${j}];`);
  lines.push("  let f1 = f(t + h0, st_tmp);", "  evals += 1u;", "  var d2 = 0.0;");
  for (let j = 0; j < n; j++) lines.push(`  q = (f1[${j}] - k0[${j}]) / ${sc(j)}; d2 = d2 + q * q;`);
  lines.push(
    `  d2 = sqrt(d2 / ${lit(n)}) / h0;`,
    "  let dmax = max(d1, d2);",
    "  var h1 = max(1e-6, h0 * 1e-3);",
    `  if (dmax > 1e-15) { h1 = pow(0.01 / dmax, ${lit(1 / order)}); }`,
    "  let h = min(min(100.0 * h0, h1), DTMAX);",
    "  if (odeflow_finite(h) && h > 0.0) { return h; }",
    "  return min(1e-6, DTMAX);",
    "}",
  );
  return lines.join("\n");
}

/** Per event: its condition (±1 for booleans), its value on the step's interpolant, its root finder. */
function eventFunctions(events: readonly GpuEvent[], n: number): string {
  const out: string[] = [];
  events.forEach((e, k) => {
    out.push(graphFunction(e.cond, `cond_raw${k}`, n, true));
    out.push(`fn cond${k}(t: f32, y: array<f32, ${n}>) -> f32 { ${e.boolean ? `return 2.0 * cond_raw${k}(t, y) - 1.0;` : `return cond_raw${k}(t, y);`} }`);
    out.push(`fn ev_value${k}(tt: f32) -> f32 { return cond${k}(tt, interp((tt - st_t) / st_h)); }`);
    const width = `max(${lit(e.tol)}, max(${lit(2 * F32_EPSILON)} * max(abs(ta), abs(tb)), ${F32_TINY}))`;
    if (e.boolean) {
      out.push(`fn root${k}(ta0: f32, ga: f32, tb0: f32, gb: f32) -> f32 {
  var ta = ta0;
  var tb = tb0;
  let sa = ga > 0.0;
  for (var iter = 0u; iter < 400u; iter++) {
    if (abs(tb - ta) <= ${width}) { return tb; }
    let tm = 0.5 * (ta + tb);
    if (tm == ta || tm == tb) { return tb; }
    let gm = ev_value${k}(tm);
    if (gm == 0.0 || (gm > 0.0) != sa) { tb = tm; } else { ta = tm; }
  }
  return tb;
}`);
    } else {
      out.push(`fn root${k}(ta0: f32, ga0: f32, tb0: f32, gb0: f32) -> f32 {
  var ta = ta0;
  var ga = ga0;
  var tb = tb0;
  var gb = gb0;
  let sa = ga > 0.0;
  var kept = 0;
  var w1 = ${F32_MAX};
  var w2 = ${F32_MAX};
  for (var iter = 0u; iter < 400u; iter++) {
    let w = abs(tb - ta);
    let wTol = ${width};
    if (gb == 0.0 || w <= wTol) { return tb; }
    var tm: f32;
    if (w > 0.5 * w2) {
      tm = 0.5 * (ta + tb);
    } else {
      tm = tb - (gb * (tb - ta)) / (gb - ga);
      if (!odeflow_finite(tm)) { tm = 0.5 * (ta + tb); }
    }
    let half = 0.5 * wTol;
    let s = select(-1.0, 1.0, tb > ta);
    if (s * (tm - ta) < half) { tm = ta + s * half; } else if (s * (tb - tm) < half) { tm = tb - s * half; }
    w2 = w1;
    w1 = w;
    let gm = ev_value${k}(tm);
    if (gm == 0.0 || (gm > 0.0) != sa) {
      tb = tm;
      gb = gm;
      if (kept == 1) { ga = ga * 0.5; }
      kept = 1;
    } else {
      ta = tm;
      ga = gm;
      if (kept == -1) { gb = gb * 0.5; }
      kept = -1;
    }
  }
  return tb;
}`);
    }
  });
  return out.join("\n");
}

/**
 * The search of an accepted step [t, tNext] for the earliest terminating event (the CPU's
 * `EventDetector.search`, for terminal events): sets `fired` and `tEv`.
 */
function eventSearch(events: readonly GpuEvent[]): string {
  const lines: string[] = [];
  events.forEach((e, k) => {
    const wanted = e.want === 1 ? " && gl < 0.0" : e.want === -1 ? " && gl > 0.0" : "";
    lines.push(`    {
      let ge = cond${k}(tNext, st_y1);
      var gl = ev_g${k};
      var tl = ev_t${k};
      if (gl == 0.0) {
        let tp = tl + max(${lit(4 * e.tol)}, ${lit(64 * F32_EPSILON)} * max(abs(tl), abs(h)));
        if (tp < tNext) { dense_prepare(); gl = ev_value${k}(tp); tl = tp; }
      }
      if (gl != 0.0 && !select((ge < 0.0), (ge > 0.0), (gl > 0.0))${wanted} && (!fired || tl < tEv)) {
        var tb = tNext;
        var gb = ge;
        var skip = false;
        if (fired && tEv != tNext) {
          dense_prepare();
          gb = ev_value${k}(tEv);
          if (gb != 0.0 && (gb > 0.0) == (gl > 0.0)) { skip = true; }
          tb = tEv;
        }
        if (!skip) { dense_prepare(); tEv = root${k}(tl, gl, tb, gb); fired = true; }
      }
      ev_g${k} = ge;
      ev_t${k} = tNext;
    }`);
  });
  return lines.join("\n");
}

/** The step proposal and the error control of the adaptive loop. */
function adaptiveParts(c: PidConstants, tab: Tableau): { propose: string; control: string } {
  const fail = `select(${RESULTS.dtMinReached}u, ${RESULTS.nonFiniteEncountered}u, nfs > 0u)`;
  const propose = `    if (dt > DTMAX) { dt = DTMAX; }
    var atDtmin = false;
    if (dt <= DTMIN) { dt = DTMIN; atDtmin = true; }
    var tNext = t + dt;
    let reach = min(1.01 * dt, DTMAX);
    if (t + reach >= T1) { tNext = T1; }
    if (tNext == t && !lastRejected) { tNext = odeflow_next_up(t); }
    let h = tNext - t;
    if (t + h == t || h == 0.0 || (lastRejected && h == hRejected && !atDtmin)) { result = ${fail}; break; }`;
  const b2 = c.beta2 !== 0 ? `\n        factor = factor * exp(${lit(c.beta2)} * log(invPrev1));` : "";
  const b3 = c.beta3 !== 0 ? `\n        factor = factor * exp(${lit(c.beta3)} * log(invPrev2));` : "";
  const atMin = c.forceDtmin
    ? `if (nfs == 0u) { accept = true; } else { result = ${fail}; rejected += 1u; break; }`
    : `result = ${fail}; rejected += 1u; break;`;
  const control = `    var ok = true;
    for (var j = 0u; j < N; j++) { if (!odeflow_finite(st_y1[j]) || !odeflow_finite(st_e[j])${tab.bErr2 ? " || !odeflow_finite(st_e2[j])" : ""}) { ok = false; } }
    var err = 0.0;
    if (ok) { err = error_norm(); }
    if (ok && err <= 1.0) {
      let inv = 1.0 / max(err, 1e-30);
      factor = ${lit(c.safety)} * exp(${lit(c.beta1)} * log(inv));${b2}${b3}
      if (!odeflow_finite(factor) || factor > ${lit(c.factormax)}) { factor = ${lit(c.factormax)}; }
      if (factor < ${lit(c.factormin)}) { factor = ${lit(c.factormin)}; }
      if (lastRejected) { factor = min(factor, 1.0); }
      lastRejected = false;
      invPrev2 = invPrev1;
      invPrev1 = min(inv, 1e4); // the history floors err at 1e-4, as the CPU controller does
      nfs = 0u;
    } else {
      accept = false;
      if (ok) {
        factor = ${lit(c.factormin)};
        if (odeflow_finite(err)) { factor = max(${lit(c.factormin)}, min(1.0, ${lit(c.safety)} * exp(log(err) / ${lit(-tab.errorOrder)}))); }
        nfs = 0u;
      } else {
        factor = 0.25;
        nfs += 1u;
      }
      if (atDtmin || h <= DTMIN) { ${atMin} }
    }`;
  return { propose, control };
}

/** The WGSL module of an ODE ensemble. */
export function odeKernel(p: GpuProblem, workgroupSize: number, storeRows: boolean): string {
  const { n, events } = p;
  const tab = (p.method as ErkMethod).tableau;
  const c = p.controller;
  const adaptive = c.kind === "pid";
  const d = tab.dense;
  const kts = p.saveTs.length;
  const stageVars = Array.from({ length: d.stages }, (_, i) => `var<private> k${i}: array<f32, ${n}>;`).join("\n");
  const constants = [
    `const T0: f32 = ${lit(p.t0)};`,
    `const T1: f32 = ${lit(p.t1)};`,
    `const MAXSTEPS: u32 = ${p.maxSteps}u;`,
    `const KTS: u32 = ${kts}u;`,
    adaptive ? `const DTMAX: f32 = ${lit((c as PidConstants).dtmax)};\nconst DTMIN: f32 = ${lit((c as PidConstants).dtmin)};` : "",
    !adaptive ? `const NFIX: u32 = ${(c as FixedSteps).steps}u;\nconst HFIX: f32 = ${lit((c as FixedSteps).h)};` : "",
  ].join("\n");
  const state = `${stageVars}
var<private> st_y: array<f32, ${n}>;
var<private> st_y1: array<f32, ${n}>;
var<private> st_e: array<f32, ${n}>;
var<private> st_e2: array<f32, ${n}>;
var<private> st_tmp: array<f32, ${n}>;
var<private> st_t: f32;
var<private> st_h: f32;
var<private> dense_ok: bool;
var<private> f1_ok: bool;
var<private> evals: u32;
${events.map((_, k) => `var<private> ev_g${k}: f32;\nvar<private> ev_t${k}: f32;`).join("\n")}`;
  const functions = [
    constants,
    graphFunction(p.f, "f", n),
    state,
    stepFunction(tab, n, adaptive),
    denseFunctions(tab, n),
    adaptive ? normFunction(c as PidConstants, n, tab.bErr2 !== undefined) : "",
    adaptive && (c as PidConstants).dt0 === null ? initialStepFunction(c as PidConstants, n, tab.order) : "",
    eventFunctions(events, n),
  ].join("\n");
  const parts = adaptive ? adaptiveParts(c as PidConstants, tab) : null;
  const fixedPropose = `    var tNext = T1;
    if (kfix + 1u < NFIX) { tNext = T0 + f32(kfix + 1u) * HFIX; }
    let h = tNext - t;
    if (t + h == t || h == 0.0) { result = ${RESULTS.dtMinReached}u; break; }`;
  const fixedControl = `    for (var j = 0u; j < N; j++) { if (!odeflow_finite(st_y1[j])) { accept = false; } }
    if (!accept) { result = ${RESULTS.nonFiniteEncountered}u; rejected += 1u; break; }`;
  // k0 at the start of a step: FSAL methods carry it over; the others reuse f(t1, y1) when dense output computed it.
  const k0Refresh = tab.fsal ? "" : `    if (!k0_ok) {
      if (f1_ok) { k0 = k${tab.f1Index}; } else { k0 = f(t, st_y); evals += 1u; }
      k0_ok = true;
    }\n`;
  const afterAccept = tab.fsal ? `      k0 = k${tab.stages - 1};` : "      k0_ok = false;";
  const saveTs = kts === 0 ? "" : `      while (its < KTS && save_ts[its] <= tEnd) {
        let ti = save_ts[its];
        if (ti == tEnd) {
          if (fired) { break; }
          save(st_y1);
        } else {
          dense_prepare();
          save(interp((ti - t) / h));
        }
        its += 1u;
      }`;
  const dt0 = adaptive ? ((c as PidConstants).dt0 === null ? "initial_step(t)" : lit((c as PidConstants).dt0!)) : "0.0";
  const solve = `
fn solve(y_init: array<f32, ${n}>) {
  st_y = y_init;
  var t = T0;
  var its = 0u;
  var steps = 0u;
  var accepted = 0u;
  var rejected = 0u;
  var result = ${RESULTS.successful}u;
  evals = 0u;
  dense_ok = false;
  f1_ok = false;
${p.saveT0 ? "  save(st_y);\n" : ""}${events.map((_, k) => `  ev_g${k} = cond${k}(t, st_y);\n  ev_t${k} = t;\n`).join("")}${kts > 0 ? "  while (its < KTS && save_ts[its] == T0) { save(st_y); its += 1u; }\n" : ""}  k0 = f(t, st_y);
  evals += 1u;
  var k0_ok = true;
  var dt = ${dt0};
  var invPrev1 = 1.0;
  var invPrev2 = 1.0;
  var nfs = 0u;
  var lastRejected = false;
  var hRejected = 0.0;
  var kfix = 0u;
  loop {
    if (t == T1) { break; }
    if (steps >= MAXSTEPS) { result = ${RESULTS.maxStepsReached}u; break; }
${adaptive ? parts!.propose : fixedPropose}
${k0Refresh}    rk_step(t, h);
    steps += 1u;
    var accept = true;
    var factor = 1.0;
${adaptive ? parts!.control : fixedControl}
    if (accept) {
      accepted += 1u;
      st_t = t;
      st_h = h;
      dense_ok = false;
      f1_ok = false;
      var fired = false;
      var tEv = tNext;
${eventSearch(events)}
      let tEnd = select(tNext, tEv, fired);
      if (tEnd == tNext) { kfix += 1u; }
${saveTs}
      var yEv = st_y1;
      if (fired && tEv != tNext) { dense_prepare(); yEv = interp((tEv - t) / h); }
      st_y = st_y1;
${afterAccept}
      t = tNext;
      if (fired) {
        t = tEv;
        st_y = yEv;
        result = ${RESULTS.eventOccurred}u;
        break;
      }
    } else {
      rejected += 1u;
      lastRejected = true;
      hRejected = h;
    }
${adaptive ? "    dt = abs(h) * factor;" : ""}
  }
  if (t == T1 && result == ${RESULTS.successful}u) {
${kts > 0 ? "    while (its < KTS) { save(st_y); its += 1u; }\n" : ""}${p.saveT1 ? "    save(st_y);\n" : ""}  } else if (result == ${RESULTS.eventOccurred}u) {
${kts > 0 ? "    while (its < KTS && save_ts[its] == t) { save(st_y); its += 1u; }\n" : ""}${p.saveT1 ? "    save(st_y);\n" : ""}  }
  finish(result, t, steps, accepted, rejected, evals);
}
`;
  return moduleHead(p, storeRows, "", functions) + solve + entryPoint(p, workgroupSize);
}
