// Random `diffeqsolve` options, valid and invalid, as plain descriptors (so that a counterexample
// prints readably), and their materialisation into real options with what the answer must be.
import fc from "fast-check";
import * as odeflow from "../../src/index.js";
import {
  compile, ConstantStepSize, Event, ODETerm, PIDController, SaveAt, StepTo,
  type AbstractSolver, type DiffeqsolveOptions,
} from "../../src/index.js";
import { decay, growth, harmonic, logistic, pair, type Problem } from "./contract.js";

/** Marks an option that is left out. */
export const ABSENT = "<absent>";

/** A drawn option: its descriptor, and the argument it corrupts (null: a valid value). */
export interface Drawn<T> {
  readonly v: T;
  readonly bad: string | null;
}

const ok = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<Drawn<T>> => arb.map((v) => ({ v, bad: null }));
const bad = <T>(name: string, ...values: T[]): fc.Arbitrary<Drawn<T>> => fc.constantFrom(...values).map((v) => ({ v, bad: name }));
/** Mostly valid: an invalid value about one time in `oneIn`. */
const mostly = <T>(valid: fc.Arbitrary<Drawn<T>>, invalid: fc.Arbitrary<Drawn<T>>, oneIn = 12): fc.Arbitrary<Drawn<T>> =>
  fc.oneof({ arbitrary: valid, weight: oneIn - 1 }, { arbitrary: invalid, weight: 1 });
const round = (x: number, digits = 3): number => Number(x.toPrecision(digits));
/** A number in [min, max] on a grid of 1/1000 (readable, and no subnormals). */
const num = (min: number, max: number): fc.Arbitrary<number> => fc.integer({ min: Math.round(min * 1000), max: Math.round(max * 1000) }).map((i) => i / 1000);
/** 10^e for e in [lo, hi], two digits. */
const logNum = (lo: number, hi: number): fc.Arbitrary<number> => fc.integer({ min: lo * 10, max: hi * 10 }).map((e) => round(10 ** (e / 10), 2));

export type ProblemSpec =
  | { kind: "decay"; k: number; y0: number }
  | { kind: "growth"; k: number; y0: number }
  | { kind: "harmonic"; w: number; x0: number; v0: number }
  | { kind: "logistic"; r: number; K: number; y0: number }
  | { kind: "pair"; k: number; a: number; b: number };

export const problemArb: fc.Arbitrary<ProblemSpec> = fc.oneof(
  fc.record({ kind: fc.constant("decay" as const), k: num(0.1, 2), y0: num(0.5, 2) }),
  fc.record({ kind: fc.constant("growth" as const), k: num(0.1, 1), y0: num(0.5, 2) }),
  fc.record({ kind: fc.constant("harmonic" as const), w: num(0.5, 3), x0: num(-1, 1), v0: num(-1, 1) }),
  fc.record({ kind: fc.constant("logistic" as const), r: num(0.5, 2), K: num(1, 5), y0: num(0.2, 1) }),
  fc.record({ kind: fc.constant("pair" as const), k: num(0.1, 1), a: num(0.5, 2), b: num(-2, 2) }),
);

export function problemOf(p: ProblemSpec): Problem {
  switch (p.kind) {
    case "decay": return decay(p.k, p.y0);
    case "growth": return growth(p.k, p.y0);
    case "harmonic": return harmonic(p.w, p.x0, p.v0);
    case "logistic": return logistic(p.r, p.K, p.y0);
    case "pair": return pair(p.k, p.a, p.b);
  }
}

/** Solvers for ODETerms, by name; fixed-step only where errorOrder is 0. */
export const ODE_SOLVERS = [
  "Euler", "Heun", "Midpoint", "Ralston", "Bosh3", "Dopri5", "Tsit5", "Dopri8", "Vern7", "Vern9",
  "Rosenbrock23", "Rodas5P", "BDF", "ImplicitEuler", "Kvaerno3", "Kvaerno4", "Kvaerno5", "RadauIIA5",
] as const;

export function makeSolver(name: string): AbstractSolver<any> {
  const C = (odeflow as unknown as Record<string, new () => AbstractSolver<any>>)[name]!;
  return new C();
}

export type ControllerSpec =
  | { kind: "default" }
  | { kind: "pid"; rtol: unknown; atol: unknown; dtmin?: unknown; dtmax?: unknown; norm?: "rms" | "max" | "negative" | "l2"; factormax?: number }
  | { kind: "constant"; steps: number }
  | { kind: "stepTo"; steps: number; wrongEnd?: boolean; unsorted?: boolean }
  | { kind: "object" };

const pidValid = fc.record({
  kind: fc.constant("pid" as const),
  rtol: logNum(-10, -3),
  atol: logNum(-12, -4),
  norm: fc.constantFrom("rms" as const, "max" as const),
  dtmax: fc.option(num(0.05, 1), { nil: undefined }),
});

export const controllerArb: fc.Arbitrary<Drawn<ControllerSpec>> = mostly<ControllerSpec>(
  fc.oneof(
    ok(fc.constant({ kind: "default" as const })),
    ok(pidValid),
    ok(fc.record({ kind: fc.constant("constant" as const), steps: fc.integer({ min: 20, max: 300 }) })),
    ok(fc.record({ kind: fc.constant("stepTo" as const), steps: fc.integer({ min: 20, max: 200 }) })),
  ),
  fc.oneof(
    pidValid.chain((p) => bad("rtol", { ...p, rtol: 1e10 }, { ...p, rtol: 5 }, { ...p, rtol: -1e-3 }, { ...p, rtol: NaN }, { ...p, rtol: "1e-3" }, { ...p, rtol: Infinity }, { ...p, rtol: [1e-3, 1e-3, 1e-3] })),
    pidValid.chain((p) => bad("atol", { ...p, atol: -1 }, { ...p, atol: NaN }, { ...p, atol: "1e-6" }, { ...p, atol: [] })),
    pidValid.chain((p) => bad("rtol", { ...p, rtol: 0, atol: 0 })),
    pidValid.chain((p) => bad("dtmin", { ...p, dtmin: 1, dtmax: 0.1 }, { ...p, dtmin: -1 })),
    pidValid.chain((p) => bad("dtmax", { ...p, dtmax: -1 }, { ...p, dtmax: 0 }, { ...p, dtmax: "0.1" })),
    pidValid.chain((p) => bad("norm", { ...p, norm: "negative" as const }, { ...p, norm: "l2" as const })),
    pidValid.chain((p) => bad("factormax", { ...p, factormax: 0.5 })),
    bad("stepsizeController", { kind: "object" as const }),
    bad("ts", { kind: "stepTo" as const, steps: 10, wrongEnd: true }, { kind: "stepTo" as const, steps: 10, unsorted: true }),
  ),
);

export type SaveSpec =
  | { kind: "absent" }
  | { kind: "t1" }
  | { kind: "ts"; fractions: number[]; t0: boolean; t1: boolean }
  | { kind: "steps"; every: number }
  | { kind: "dense" }
  | { kind: "fn"; fractions: number[] }
  | { kind: "outside" } | { kind: "unsorted" } | { kind: "nan" } | { kind: "plainObject" } | { kind: "badSteps" } | { kind: "fnString" };

const fractions = fc.array(num(0, 1), { minLength: 1, maxLength: 6 }).map((a) => [...a].sort((x, y) => x - y));

export const saveArb: fc.Arbitrary<Drawn<SaveSpec>> = mostly<SaveSpec>(
  fc.oneof(
    ok(fc.constant({ kind: "absent" as const })),
    ok(fc.constant({ kind: "t1" as const })),
    ok(fc.record({ kind: fc.constant("ts" as const), fractions, t0: fc.boolean(), t1: fc.boolean() })),
    ok(fc.record({ kind: fc.constant("steps" as const), every: fc.integer({ min: 1, max: 3 }) })),
    ok(fc.constant({ kind: "dense" as const })),
    ok(fc.record({ kind: fc.constant("fn" as const), fractions })),
  ),
  fc.oneof(
    bad("saveat.ts", { kind: "outside" as const }, { kind: "unsorted" as const }, { kind: "nan" as const }),
    bad("saveat", { kind: "plainObject" as const }),
    bad("steps", { kind: "badSteps" as const }),
    bad("fn", { kind: "fnString" as const }),
  ),
);

export type EventSpec =
  | { kind: "absent" }
  | { kind: "time"; fraction: number; terminal: boolean }
  | { kind: "badCond" } | { kind: "badDirection" } | { kind: "badTolerance" } | { kind: "badTimes" } | { kind: "plain" } | { kind: "listWithNull" };

export const eventArb: fc.Arbitrary<Drawn<EventSpec>> = mostly<EventSpec>(
  fc.oneof(
    { arbitrary: ok(fc.constant({ kind: "absent" as const })), weight: 3 },
    { arbitrary: ok(fc.record({ kind: fc.constant("time" as const), fraction: num(0.2, 0.8), terminal: fc.boolean() })), weight: 1 },
  ),
  fc.oneof(
    bad("cond", { kind: "badCond" as const }),
    bad("direction", { kind: "badDirection" as const }),
    bad("rootTolerance", { kind: "badTolerance" as const }),
    bad("times", { kind: "badTimes" as const }),
    bad("event", { kind: "plain" as const }, { kind: "listWithNull" as const }),
  ),
);

export type Y0Form = "array" | "float64" | "nested" | "scalar";

/** One fuzzed diffeqsolve call. */
export interface SolveCase {
  problem: ProblemSpec;
  /** How the vector field is given. */
  form: "inPlace" | "returning" | "object" | "compiled";
  solver: Drawn<string>;
  t0: Drawn<unknown>;
  span: number;
  direction: 1 | -1;
  t1: Drawn<unknown>;
  dt0: Drawn<unknown>;
  y0: Drawn<Y0Form | "longer" | "shorter" | "nan" | "empty" | "strings" | "null" | "absent">;
  args: Drawn<"given" | "nan" | "absent" | "string" | "missingKey">;
  saveat: Drawn<SaveSpec>;
  controller: Drawn<ControllerSpec>;
  maxSteps: Drawn<unknown>;
  throw: Drawn<unknown>;
  event: Drawn<EventSpec>;
  maxEvents: Drawn<unknown>;
  extra: Drawn<string>;
  /** The vector field throws once t passes this fraction of the span (a user error mid-solve). */
  fThrows: number | null;
}

export const solveCaseArb: fc.Arbitrary<SolveCase> = fc.record({
  problem: problemArb,
  form: fc.constantFrom("inPlace" as const, "returning" as const, "object" as const, "compiled" as const),
  solver: mostly(ok(fc.constantFrom(...ODE_SOLVERS)), bad("solver", "null", "object", "string", "EulerMaruyama"), 20),
  t0: mostly<unknown>(ok(fc.oneof(fc.constant(0), num(-2, 2))), bad<unknown>("t0", NaN, Infinity, "0", null, ABSENT), 25),
  span: fc.oneof({ arbitrary: num(0.1, 3), weight: 30 }, { arbitrary: fc.constant(0), weight: 1 }),
  direction: fc.constantFrom(1 as const, -1 as const),
  t1: mostly<unknown>(ok(fc.constant("from span")), bad<unknown>("t1", NaN, -Infinity, "1", null, ABSENT), 25),
  dt0: mostly<unknown>(
    fc.oneof({ arbitrary: ok(fc.constant(ABSENT)), weight: 3 }, { arbitrary: ok(num(0.001, 0.05)), weight: 1 }),
    bad<unknown>("dt0", 0, NaN, "0.1", Infinity, "wrong direction"), 25),
  y0: mostly(ok(fc.constantFrom<Y0Form>("array", "float64", "nested", "scalar")),
    bad("y0", "longer" as const, "shorter" as const, "nan" as const, "empty" as const, "strings" as const, "null" as const, "absent" as const), 20),
  args: mostly(ok(fc.constantFrom("given" as const, "string" as const)), bad("args", "nan" as const, "absent" as const, "missingKey" as const), 25),
  saveat: saveArb,
  controller: controllerArb,
  maxSteps: mostly<unknown>(ok(fc.integer({ min: 1, max: 4000 })), bad<unknown>("maxSteps", 0, -5, 2.5, NaN, "100", Infinity), 20),
  throw: mostly<unknown>(ok(fc.constantFrom(ABSENT, true, false)), bad<unknown>("throw", "yes", 1), 30),
  event: eventArb,
  maxEvents: mostly<unknown>(ok(fc.constantFrom(ABSENT, 10)), bad<unknown>("maxEvents", -1, 1.5, "3"), 30),
  extra: mostly(ok(fc.constant(ABSENT)), bad("rtoll", "rtoll"), 30),
  fThrows: fc.oneof({ arbitrary: fc.constant(null), weight: 15 }, { arbitrary: num(0.3, 0.7), weight: 1 }),
});

/** What a materialised case must produce when it solves. */
export interface Expectation {
  problem: Problem;
  t0: number;
  t1: number;
  /** Absolute error bound on a successful answer of a fixed-step solve (NaN when adaptive). */
  bound: number;
  /**
   * Adaptive solves: the tolerance scale atol + rtol·max|y| times the error amplification of the
   * flow. The global error is at most the sum of the local errors carried forward, each at most
   * about one tolerance unit, so a correct answer is within a few (steps + 1) of these units.
   */
  tolUnit: number;
  /** Saved rows map the exact state through this (SaveAt fn), else identity. */
  pick: (y: number[], t: number) => number[];
  /** A terminal event at this time, or null. */
  terminalAt: number | null;
  /** A non-terminal event at this time, or null. */
  eventAt: number | null;
  /** The options say `throw: false`. */
  noThrow: boolean;
  /** The vector field throws past this time (null: never). */
  tThrow: number | null;
  /** Set when the vector field did throw. */
  thrown: { yes: boolean };
}

function y0Value(form: string, p: Problem): unknown {
  switch (form) {
    case "array": return [...p.y0];
    case "float64": return Float64Array.from(p.y0);
    case "nested": return p.n === 2 ? { x: p.y0[0], v: [p.y0[1]] } : [[p.y0[0]]];
    case "scalar": return p.n === 1 ? p.y0[0] : [...p.y0];
    case "longer": return [...p.y0, 0.5];
    case "shorter": return p.n === 1 ? [] : p.y0.slice(0, p.n - 1);
    case "nan": return p.y0.map((v, i) => (i === 0 ? NaN : v));
    case "empty": return [];
    case "strings": return p.y0.map(String);
    case "null": return null;
    default: return undefined;
  }
}

/** Builds the options of a case (constructors may throw: call inside the contract check). */
export function materialize(c: SolveCase): { options: DiffeqsolveOptions<any>; expect: Expectation } {
  const p = problemOf(c.problem);
  const t0 = typeof c.t0.v === "number" && Number.isFinite(c.t0.v) ? c.t0.v : 0;
  const t1 = t0 + c.direction * c.span;
  const options: Record<string, unknown> = {};
  // The vector field, possibly throwing part-way (a bug in the user's f).
  const tThrow = c.fThrows === null ? null : t0 + c.direction * c.span * c.fThrows;
  const thrown = { yes: false };
  const inPlace = tThrow === null ? p.f : (t: number, y: Float64Array, a: Record<string, number>, dy: Float64Array) => {
    if (c.direction * (t - tThrow) > 0) {
      thrown.yes = true;
      throw new Error("model failure past tThrow");
    }
    p.f(t, y, a, dy);
  };
  if (c.form === "compiled" && tThrow === null) options.terms = new ODETerm(compile(p.source));
  else if (c.form === "returning") {
    options.terms = new ODETerm((t: number, y: Float64Array, a: Record<string, number>) => {
      const dy = new Float64Array(p.n);
      inPlace(t, y, a, dy);
      return Array.from(dy);
    });
  } else if (c.form === "object") options.terms = new ODETerm({ f: inPlace });
  else options.terms = new ODETerm(inPlace);
  const s = c.solver.v;
  options.solver = s === "null" ? null : s === "object" ? {} : s === "string" ? "Tsit5" : s === "EulerMaruyama" ? new odeflow.EulerMaruyama() : makeSolver(s);
  if (c.t0.v !== ABSENT) options.t0 = c.t0.v;
  if (c.t1.v !== ABSENT) options.t1 = c.t1.v === "from span" ? t1 : c.t1.v;
  if (c.dt0.v !== ABSENT) options.dt0 = c.dt0.v === "wrong direction" ? -c.direction * 0.1 : typeof c.dt0.v === "number" && c.dt0.bad === null ? c.direction * c.dt0.v : c.dt0.v;
  if (c.y0.v !== "absent") options.y0 = y0Value(c.y0.v, p);
  if (c.args.v === "given") options.args = { ...p.args };
  else if (c.args.v === "string") options.args = Object.fromEntries(Object.entries(p.args).map(([k, v]) => [k, String(v)]));
  else if (c.args.v === "nan") options.args = Object.fromEntries(Object.keys(p.args).map((k) => [k, NaN]));
  else if (c.args.v === "missingKey") options.args = {};
  // Saved output.
  let pick: Expectation["pick"] = (y) => y;
  const sv = c.saveat.v;
  const at = (f: number): number => t0 + c.direction * c.span * f;
  switch (sv.kind) {
    case "absent": break;
    case "t1": options.saveat = new SaveAt({ t1: true }); break;
    case "ts": options.saveat = new SaveAt({ ts: sv.fractions.map(at), t0: sv.t0, t1: sv.t1 }); break;
    case "steps": options.saveat = new SaveAt({ steps: sv.every === 1 ? true : sv.every, t1: true }); break;
    case "dense": options.saveat = new SaveAt({ t1: true, dense: true }); break;
    case "fn":
      options.saveat = new SaveAt({ ts: sv.fractions.map(at), fn: (t: number, y: Float64Array) => y[0]! * 2 + t });
      pick = (y, t) => [y[0]! * 2 + t];
      break;
    case "outside": options.saveat = new SaveAt({ ts: [at(0.5), at(1) + c.direction * 1] }); break;
    case "unsorted": options.saveat = new SaveAt({ ts: c.span > 0 ? [at(0.8), at(0.2)] : [t0, t0 - c.direction] }); break;
    case "nan": options.saveat = new SaveAt({ ts: [at(0.5), NaN] }); break;
    case "plainObject": options.saveat = { ts: [at(0.5)] }; break;
    case "badSteps": options.saveat = new SaveAt({ steps: 0.5 }); break;
    case "fnString": options.saveat = new SaveAt({ ts: [at(0.5)], fn: () => "energy" as never }); break;
  }
  // Step-size control and the error bound of a successful answer.
  const solverOrder = s === "null" || s === "object" || s === "string" || s === "EulerMaruyama" ? 1 : makeSolver(s).order;
  const L = p.L;
  const growthFactor = (1 + L * c.span) * p.amplification(t0, t1);
  const scale = p.scale(t0, t1);
  let bound: number;
  let tolUnit = NaN;
  const cs = c.controller.v;
  const fixed = (h: number): number => 50 * Math.max(1e-12, (L * h) ** solverOrder) * growthFactor * scale;
  switch (cs.kind) {
    case "default": {
      const isFixed = s !== "null" && s !== "object" && s !== "string" && s !== "EulerMaruyama" && makeSolver(s).errorOrder === 0;
      const dt0 = typeof options.dt0 === "number" ? Math.abs(options.dt0) : 0.1;
      bound = isFixed ? fixed(dt0) : NaN;
      tolUnit = (1e-6 + 1e-3 * scale) * p.amplification(t0, t1);
      break;
    }
    case "pid": {
      const norm = cs.norm === "negative" ? () => -1 : cs.norm === "l2" ? "l2" : cs.norm;
      const o: Record<string, unknown> = { rtol: cs.rtol, atol: cs.atol, norm };
      if (cs.dtmin !== undefined) o.dtmin = cs.dtmin;
      if (cs.dtmax !== undefined) o.dtmax = cs.dtmax;
      if (cs.factormax !== undefined) o.factormax = cs.factormax;
      options.stepsizeController = new PIDController(o as never);
      const r = typeof cs.rtol === "number" ? cs.rtol : 1e-3;
      const a = typeof cs.atol === "number" ? cs.atol : 1e-6;
      bound = NaN;
      tolUnit = (Math.min(a, 0.1) + Math.min(r, 0.1) * scale) * p.amplification(t0, t1);
      break;
    }
    case "constant": {
      options.stepsizeController = new ConstantStepSize();
      const h = c.span / cs.steps;
      if (options.dt0 === undefined || c.dt0.bad === null) options.dt0 = c.direction * (h || 0.1);
      bound = fixed(Math.abs(options.dt0 as number));
      break;
    }
    case "stepTo": {
      const n = cs.steps;
      let ts = Array.from({ length: n + 1 }, (_, i) => (i === n ? t1 : t0 + ((t1 - t0) * i) / n));
      if (cs.wrongEnd) ts = ts.map((t) => t * 0.5);
      if (cs.unsorted) ts = [ts[0]!, ts[2]!, ts[1]!, ...ts.slice(3)];
      options.stepsizeController = new StepTo({ ts });
      if (c.dt0.bad === null) delete options.dt0;
      bound = fixed(c.span / n);
      break;
    }
    case "object":
      options.stepsizeController = { rtol: 1e-6 };
      bound = 0;
      break;
  }
  if (c.maxSteps.v !== ABSENT) options.maxSteps = c.maxSteps.v;
  if (c.throw.v !== ABSENT) options.throw = c.throw.v;
  // Events.
  let terminalAt: number | null = null;
  let eventAt: number | null = null;
  const ev = c.event.v;
  switch (ev.kind) {
    case "absent": break;
    case "time": {
      const te = at(ev.fraction);
      options.event = new Event({ cond: (t: number) => t - te, terminal: ev.terminal });
      if (ev.terminal) terminalAt = te;
      else eventAt = te;
      break;
    }
    case "badCond": options.event = new Event({ cond: 5 as never }); break;
    case "badDirection": options.event = new Event({ cond: (t: number) => t, direction: "sideways" as never }); break;
    case "badTolerance": options.event = new Event({ cond: (t: number) => t, rootTolerance: -1 }); break;
    case "badTimes": options.event = new Event({ times: [at(0.5), NaN] }); break;
    case "plain": options.event = { cond: (t: number) => t }; break;
    case "listWithNull": options.event = [new Event({ cond: (t: number) => t - at(0.5) }), null]; break;
  }
  if (c.maxEvents.v !== ABSENT) options.maxEvents = c.maxEvents.v;
  if (c.extra.v !== ABSENT) options[c.extra.v] = 1e-3;
  return {
    options: options as unknown as DiffeqsolveOptions<any>,
    expect: { problem: p, t0, t1, bound, tolUnit, pick, terminalAt, eventAt, noThrow: c.throw.v === false, tThrow, thrown },
  };
}

/** The arguments a case corrupts (what a named error must mention). */
export function corruptedOf(c: SolveCase): string[] {
  const out: string[] = [];
  for (const d of [c.solver, c.t0, c.t1, c.dt0, c.y0, c.args, c.saveat, c.controller, c.maxSteps, c.throw, c.event, c.maxEvents, c.extra] as Drawn<unknown>[]) {
    // With t1 = t0 there is no direction for dt0 to point away from.
    if (d === c.dt0 && d.v === "wrong direction" && c.span === 0) continue;
    // With t1 = t0 no step is taken, so a norm that would misbehave is never called.
    if (d === c.controller && d.bad === "norm" && c.controller.v.kind === "pid" && c.controller.v.norm === "negative" && c.span === 0) continue;
    if (d.bad !== null) out.push(d.bad);
  }
  // A field the user compiled holds args to its layout: a number given as a string is refused
  // (a plain function, compiled automatically or not, reads it with JavaScript's conversion).
  if (c.form === "compiled" && c.fThrows === null && c.args.v === "string") out.push("args");
  return out;
}
