// Random vector-field sources for `compile`, inside the compilable subset and outside it, with
// random options; and the check of one compile against the contract: a CompileError with a fix,
// or kernels that compute what the source computes (evaluated as plain JavaScript), with
// Jacobian, JVP and VJP consistent and the interpreter equal to the generated code bit for bit.
import fc from "fast-check";
import { compile, CompileError, type CompiledVectorField } from "../../src/index.js";
import { WALL_MS } from "./contract.js";

/** A random scalar expression over y[0..n-1], t, args.k, args.w[0..1] and constants. */
function exprArb(n: number): fc.Arbitrary<string> {
  const leaf = fc.oneof(
    fc.integer({ min: 0, max: n - 1 }).map((i) => `y[${i}]`),
    fc.constant("t"),
    fc.constant("args.k"),
    fc.integer({ min: 0, max: 1 }).map((j) => `args.w[${j}]`),
    fc.constantFrom("0", "1", "2", "0.5", "-3", "1e-3", "Math.PI"),
  );
  const { e } = fc.letrec((tie) => ({
    e: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      { arbitrary: leaf, weight: 4 },
      { arbitrary: fc.tuple(tie("e"), fc.constantFrom("+", "-", "*", "/"), tie("e")).map(([a, op, b]) => `(${a} ${op} ${b})`), weight: 4 },
      { arbitrary: fc.tuple(fc.constantFrom("sin", "cos", "exp", "tanh", "atan", "abs", "sqrt", "log", "cbrt", "floor", "sign", "expm1", "log1p"), tie("e")).map(([f, a]) => `Math.${f}(${a})`), weight: 2 },
      { arbitrary: fc.tuple(fc.constantFrom("min", "max", "hypot", "atan2", "pow"), tie("e"), tie("e")).map(([f, a, b]) => `Math.${f}(${a}, ${b})`), weight: 1 },
      { arbitrary: fc.tuple(tie("e"), fc.constantFrom("<", ">", "<=", "==="), tie("e"), tie("e"), tie("e")).map(([a, op, b, c, d]) => `((${a} ${op} ${b}) ? ${c} : ${d})`), weight: 1 },
      { arbitrary: fc.tuple(tie("e"), fc.constantFrom(2, 3)).map(([a, p]) => `(${a}) ** ${p}`), weight: 1 },
    ),
  }));
  return e as fc.Arbitrary<string>;
}

/** A construct the compiler refuses (or, for the last few, must handle), spliced into a source. */
const INVALID = [
  { code: "Math.random()", what: "Math.random" },
  { code: "Date.now()", what: "Date.now" },
  { code: "y.map((v) => v)[0]", what: "y.map" },
  { code: "outside", what: "outside" },
  { code: "Math.constructor(y[0])", what: "Math.constructor" },
  { code: "Math.toString", what: "Math.toString" },
  { code: "args.__proto__", what: "__proto__" },
  { code: "args.constructor", what: "constructor" },
  { code: "new Float64Array(1)[0]", what: "new" },
  { code: "this.k", what: "this" },
  { code: "(() => { let i = 0; while (i < 3) i++; return i; })()", what: "while" },
  { code: "(y[0] +", what: "parsed" },
  { code: "[1, 2]", what: "array" },
  { code: "'text' * 2", what: "string" },
  { code: "y[args.k]", what: "index" },
  { code: "y[0] | 1", what: "bitwise" },
  { code: "console.log(1)", what: "console" },
] as const;

export interface CompileCase {
  n: number;
  form: "arrow" | "inPlace" | "destructured" | "loop" | "flatSum";
  exprs: string[];
  /** Index into INVALID of a construct spliced into output 0, or null. */
  invalid: number | null;
  nOption: "absent" | "right" | "wrong" | "string";
  argsOption: "absent" | "sample" | "names" | "missingName" | "bad";
  mode: "auto" | "codegen" | "interpreter" | "bogus";
  inputs: { t: number; y: number[]; k: number; w: number[] }[];
}

export const compileCaseArb: fc.Arbitrary<CompileCase> = fc.integer({ min: 1, max: 3 }).chain((n) =>
  fc.record({
    n: fc.constant(n),
    form: fc.constantFrom("arrow" as const, "inPlace" as const, "destructured" as const, "loop" as const, "flatSum" as const),
    exprs: fc.array(exprArb(n), { minLength: n, maxLength: n }),
    invalid: fc.oneof({ arbitrary: fc.constant(null), weight: 4 }, { arbitrary: fc.integer({ min: 0, max: INVALID.length - 1 }), weight: 1 }),
    nOption: fc.constantFrom("absent" as const, "absent" as const, "right" as const, "wrong" as const, "string" as const),
    argsOption: fc.constantFrom("absent" as const, "absent" as const, "sample" as const, "names" as const, "missingName" as const, "bad" as const),
    mode: fc.constantFrom("auto" as const, "codegen" as const, "interpreter" as const, "bogus" as const),
    inputs: fc.array(fc.record({
      t: fc.integer({ min: 0, max: 1000 }).map((i) => i / 1000),
      y: fc.array(fc.integer({ min: -2000, max: 2000 }).map((i) => i / 1000), { minLength: n, maxLength: n }),
      k: fc.integer({ min: 500, max: 2000 }).map((i) => i / 1000),
      w: fc.array(fc.integer({ min: -1000, max: 1000 }).map((i) => i / 1000), { minLength: 2, maxLength: 2 }),
    }), { minLength: 1, maxLength: 3 }),
  }),
);

/** The source text of a case. */
export function sourceOf(c: CompileCase): string {
  const exprs = c.exprs.map((e, i) => (i === 0 && c.invalid !== null ? `(${e}) + ${INVALID[c.invalid]!.code}` : e));
  switch (c.form) {
    case "arrow": return `(t, y, args) => [${exprs.join(", ")}]`;
    case "inPlace": return `(t, y, args, dy) => { ${exprs.map((e, i) => `dy[${i}] = ${e};`).join(" ")} }`;
    case "destructured": return `(t, y, { k, w }) => { const args = { k, w }; return [${exprs.join(", ")}]; }`;
    case "loop": return `function (t, y, args, dy) { for (let i = 0; i < ${c.n}; i++) dy[i] = 0; ${exprs.map((e, i) => `dy[${i}] += ${e};`).join(" ")} }`;
    case "flatSum": return `(t, y, args) => [${exprs.map((e) => Array(40).fill(`(${e})`).join(" + ")).join(", ")}]`;
  }
}

function optionsOf(c: CompileCase): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (c.nOption === "right") o.n = c.n;
  if (c.nOption === "wrong") o.n = c.n + 1;
  if (c.nOption === "string") o.n = String(c.n);
  if (c.argsOption === "sample") o.args = { k: 1, w: [0, 0] };
  if (c.argsOption === "names") o.args = ["k", "w"]; // w used as an array: refused
  if (c.argsOption === "missingName") o.args = { k: 1 };
  if (c.argsOption === "bad") o.args = { k: "1" };
  if (c.mode !== "auto") o.mode = c.mode;
  return o;
}

/** Whether the source reads args.w (so a names-only or k-only args layout cannot describe it). */
const readsW = (src: string): boolean => /args\.w|\bw\b/.test(src.replace(/\{ k, w \}/, ""));

const closeEnough = (a: number, b: number): boolean =>
  Object.is(a, b) || a === b || (!Number.isFinite(b)) || Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b));

/** Why a compile case breaks the contract, or null. */
export function checkCompileCase(c: CompileCase): string | null {
  const src = sourceOf(c);
  const options = optionsOf(c);
  const start = performance.now();
  let vf: CompiledVectorField;
  try {
    vf = compile(src, options);
  } catch (e) {
    if (!(e instanceof CompileError)) return `a raw ${(e as Error)?.name}: ${(e as Error)?.message}`;
    if (!/^compile: /.test(e.message) || !/\nFix: \S/.test(e.message)) return `a CompileError without its form "compile: … Fix: …": ${e.message}`;
    const expectedRefusal = c.invalid !== null || c.nOption === "wrong" || c.nOption === "string" || c.mode === "bogus" || c.argsOption === "bad" ||
      ((c.argsOption === "names" || c.argsOption === "missingName") && readsW(src));
    if (!expectedRefusal) return `a valid source was refused: ${e.message}`;
    return null;
  }
  if (performance.now() - start > WALL_MS) return "compile took too long";
  if (c.invalid !== null) return `the invalid construct ${INVALID[c.invalid]!.what} compiled`;
  if (c.nOption === "wrong" || c.nOption === "string" || c.mode === "bogus" || c.argsOption === "bad") return `invalid options compiled: ${JSON.stringify(options)}`;
  // The plain function, evaluated by JavaScript itself.
  const direct = new Function(`return (${src});`)() as (t: number, y: Float64Array, a: unknown, dy: Float64Array) => number[] | void;
  const n = c.n;
  const other = compile(src, { ...options, mode: vf.mode === "interpreter" ? "codegen" : "interpreter" });
  for (const inp of c.inputs) {
    const y = Float64Array.from(inp.y);
    const args = { k: inp.k, w: inp.w.slice() };
    const want = new Float64Array(n);
    const r = direct(inp.t, y, args, want);
    if (r !== undefined) want.set(r as number[]);
    const got = new Float64Array(n);
    vf.f(inp.t, y, args, got);
    for (let i = 0; i < n; i++) if (!closeEnough(got[i]!, want[i]!)) return `f[${i}] = ${got[i]} but the source computes ${want[i]} at ${JSON.stringify(inp)}`;
    const got2 = new Float64Array(n);
    other.f(inp.t, y, args, got2);
    for (let i = 0; i < n; i++) if (!Object.is(got[i], got2[i])) return `${vf.mode} and ${other.mode} differ: f[${i}] = ${got[i]} vs ${got2[i]}`;
    // Jacobian against JVP (J v) and VJP (wᵀ J), component by component.
    const J = new Float64Array(n * n);
    vf.jac(inp.t, y, args, J);
    const v = Float64Array.from({ length: n }, (_, j) => 1 + j / 2);
    const jv = new Float64Array(n);
    vf.jvp(inp.t, y, args, v, jv);
    const wj = new Float64Array(n);
    vf.vjp(inp.t, y, args, v, wj);
    for (let i = 0; i < n; i++) {
      let rowSum = 0;
      let colSum = 0;
      for (let j = 0; j < n; j++) {
        rowSum += J[i * n + j]! * v[j]!;
        colSum += v[j]! * J[j * n + i]!;
      }
      const tol = (x: number, ref: number): boolean => !Number.isFinite(ref) || !Number.isFinite(x) || Math.abs(x - ref) <= 1e-9 * Math.max(1, Math.abs(ref));
      if (!tol(jv[i]!, rowSum)) return `jvp[${i}] = ${jv[i]} but (J v)[${i}] = ${rowSum}`;
      if (!tol(wj[i]!, colSum)) return `vjp[${i}] = ${wj[i]} but (vᵀ J)[${i}] = ${colSum}`;
    }
  }
  return null;
}
