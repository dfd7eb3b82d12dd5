/**
 * WGSL code generation: a graph's outputs as a WGSL function on f32 (WGSL has no f64), for GPU
 * kernels (the WebGPU ensemble backend).
 *
 * The instruction list is the one the JavaScript code generator uses (`program`), emitted as
 * straight-line `let` bindings. Each operation keeps JavaScript's meaning on f32 values, computed
 * with WGSL built-ins where their definition matches and with the helpers of {@link WGSL_MATH}
 * where it does not: `pow` of a negative base, `Math.round` (halves up, where WGSL's `round`
 * rounds halves to even), `log1p`/`expm1` and the hyperbolic functions near 0 (WGSL defines them
 * by formulas that cancel there), `hypot` (scaled, no overflow), `cbrt` (a Newton-refined
 * root). Comparisons and `!` give 1 or 0, and `c ? a : b` tests c ≠ 0, as in the graph.
 *
 * Accuracy: +, −, ×, ÷ and `sqrt` are correctly rounded on most GPUs (WGSL allows 2.5 ulp for ÷);
 * the transcendental built-ins carry the error bounds of the WGSL specification (§ 15.6, e.g.
 * `exp` 3 + 2|x| ulp, `log` 3 ulp or 2⁻²¹ absolute near 1, `sin`/`cos` 2⁻¹¹ absolute on [−π, π]).
 * A shader compiler may contract a·b + c into a fused multiply–add. NaN and infinity are not
 * guaranteed to propagate through WGSL arithmetic; kernels that must detect them test the bits
 * (`odeflow_finite`).
 */
import { Graph, Op } from "./graph.js";
import { program } from "./codegen.js";

/**
 * Helper functions the generated code calls (emit once per shader module, before the functions of
 * {@link wgslFunction}). Names start with `odeflow_`.
 */
export const WGSL_MATH = `
var<private> odeflow_bits_inf: u32 = 0x7f800000u;
var<private> odeflow_bits_nan: u32 = 0x7fc00000u;
fn odeflow_finite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }
fn odeflow_inf() -> f32 { return bitcast<f32>(odeflow_bits_inf); }
fn odeflow_nan() -> f32 { return bitcast<f32>(odeflow_bits_nan); }
fn odeflow_pow(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  if (a == 0.0) { if (b > 0.0) { return 0.0; } return odeflow_inf(); }
  let r = exp2(b * log2(abs(a)));
  if (a > 0.0) { return r; }
  if (floor(b) != b) { return odeflow_nan(); }
  if (abs(b) < 16777216.0 && (i32(abs(b)) & 1) == 1) { return -r; }
  return r;
}
fn odeflow_round(x: f32) -> f32 { let r = floor(x); if (x - r >= 0.5) { return r + 1.0; } return r; }
fn odeflow_log1p(x: f32) -> f32 { let u = 1.0 + x; if (u == 1.0) { return x; } return log(u) * (x / (u - 1.0)); }
fn odeflow_expm1(x: f32) -> f32 {
  if (abs(x) < 1e-5) { return x + 0.5 * x * x; }
  let u = exp(x);
  if (abs(x) < 1.0 && u != 1.0) { return (u - 1.0) * (x / log(u)); }
  return u - 1.0;
}
fn odeflow_sinh(x: f32) -> f32 { if (abs(x) < 1e-2) { return x + x * x * x * (1.0 / 6.0); } return sinh(x); }
fn odeflow_tanh(x: f32) -> f32 {
  if (abs(x) < 1e-2) { return x - x * x * x * (1.0 / 3.0); }
  if (abs(x) > 10.0) { return sign(x); }
  return tanh(x);
}
fn odeflow_asinh(x: f32) -> f32 {
  let a = abs(x);
  if (a < 1e-2) { return x - x * x * x * (1.0 / 6.0); }
  return sign(x) * log(a + sqrt(a * a + 1.0));
}
fn odeflow_atanh(x: f32) -> f32 { if (abs(x) < 1e-2) { return x + x * x * x * (1.0 / 3.0); } return 0.5 * log((1.0 + x) / (1.0 - x)); }
fn odeflow_cbrt(x: f32) -> f32 {
  if (x == 0.0) { return x; }
  let a = abs(x);
  var r = exp2(log2(a) * (1.0 / 3.0));
  r = r - (r * r * r - a) / (3.0 * r * r);
  return sign(x) * r;
}
fn odeflow_hypot(a: f32, b: f32) -> f32 {
  let m = max(abs(a), abs(b));
  if (m == 0.0) { return 0.0; }
  let p = a / m;
  let q = b / m;
  return m * sqrt(p * p + q * q);
}
`;

/**
 * A number as a WGSL f32 expression: the f32 nearest to x (infinities and NaN through the helpers,
 * since a WGSL constant may not overflow).
 *
 * @example
 * ```ts
 * wgslLiteral(0.1); // "0.10000000149011612f"
 * wgslLiteral(-2);  // "(-2f)"
 * ```
 */
export function wgslLiteral(x: number): string {
  const v = Math.fround(x);
  if (v !== v) return "odeflow_nan()";
  if (v === Infinity) return "odeflow_inf()";
  if (v === -Infinity) return "(-odeflow_inf())";
  if (Object.is(v, -0)) return "bitcast<f32>(0x80000000u)";
  const s = String(Math.abs(v)) + "f";
  return v < 0 ? `(-${s})` : s;
}

/** How {@link wgslFunction} names and reads its inputs. */
export interface WgslFunctionOptions {
  /** The WGSL function's name. */
  name: string;
  /** Number of state components: the length of the `y` parameter. */
  n: number;
  /** WGSL expression of flat parameter k (for example a read of a private array). */
  param: (k: number) => string;
  /** Return one f32 (the first output) instead of an array (event conditions). */
  scalar?: boolean;
}

/** The WGSL expression of one operation on operand expressions. */
function wgslOp(g: Graph, id: number, a: string, b: string, c: string): string {
  const op = g.op[id] as Op;
  switch (op) {
    case Op.NEG: return `-${a}`;
    case Op.NOT: return `select(0.0, 1.0, ${a} == 0.0)`;
    case Op.SIN: return `sin(${a})`;
    case Op.COS: return `cos(${a})`;
    case Op.TAN: return `tan(${a})`;
    case Op.EXP: return `exp(${a})`;
    case Op.LOG: return `log(${a})`;
    case Op.SQRT: return `sqrt(${a})`;
    case Op.ABS: return `abs(${a})`;
    case Op.TANH: return `odeflow_tanh(${a})`;
    case Op.SINH: return `odeflow_sinh(${a})`;
    case Op.COSH: return `cosh(${a})`;
    case Op.ASIN: return `asin(${a})`;
    case Op.ACOS: return `acos(${a})`;
    case Op.ATAN: return `atan(${a})`;
    case Op.ASINH: return `odeflow_asinh(${a})`;
    case Op.ACOSH: return `acosh(${a})`;
    case Op.ATANH: return `odeflow_atanh(${a})`;
    case Op.LOG1P: return `odeflow_log1p(${a})`;
    case Op.EXPM1: return `odeflow_expm1(${a})`;
    case Op.LOG2: return `log2(${a})`;
    case Op.LOG10: return `(log2(${a}) * 0.30102999566398120f)`;
    case Op.CBRT: return `odeflow_cbrt(${a})`;
    case Op.SIGN: return `sign(${a})`;
    case Op.FLOOR: return `floor(${a})`;
    case Op.CEIL: return `ceil(${a})`;
    case Op.ROUND: return `odeflow_round(${a})`;
    case Op.TRUNC: return `trunc(${a})`;
    case Op.ADD: return `${a} + ${b}`;
    case Op.SUB: return `${a} - ${b}`;
    case Op.MUL: return `${a} * ${b}`;
    case Op.DIV: return `${a} / ${b}`;
    case Op.POW: return powSource(g, g.b[id]!, a, b);
    case Op.MOD: return `${a} % ${b}`;
    case Op.ATAN2: return `atan2(${a}, ${b})`;
    case Op.MIN: return `min(${a}, ${b})`;
    case Op.MAX: return `max(${a}, ${b})`;
    case Op.HYPOT: return `odeflow_hypot(${a}, ${b})`;
    case Op.LT: return `select(0.0, 1.0, ${a} < ${b})`;
    case Op.LE: return `select(0.0, 1.0, ${a} <= ${b})`;
    case Op.GT: return `select(0.0, 1.0, ${a} > ${b})`;
    case Op.GE: return `select(0.0, 1.0, ${a} >= ${b})`;
    case Op.EQ: return `select(0.0, 1.0, ${a} == ${b})`;
    case Op.NE: return `select(0.0, 1.0, ${a} != ${b})`;
    case Op.SELECT: return `select(${c}, ${b}, ${a} != 0.0)`;
    default: throw new Error(`odeflow compile: internal error: op ${op} has no WGSL form`);
  }
}

/** x ** b: small whole constant exponents as products (exact as JavaScript's to an ulp), else the helper. */
function powSource(g: Graph, bId: number, a: string, b: string): string {
  if (g.op[bId] === Op.CONST) {
    const e = g.value[bId]!;
    if (e === 0.5) return `sqrt(${a})`;
    if (Number.isInteger(e) && e !== 0 && Math.abs(e) <= 4) {
      const prod = Array.from({ length: Math.abs(e) }, () => a).join(" * ");
      return e > 0 ? prod : `1.0 / (${prod})`;
    }
  }
  return `odeflow_pow(${a}, ${b})`;
}

/**
 * A WGSL function evaluating the graph's `outputs` on f32:
 * `fn name(t: f32, y: array<f32, n>) -> array<f32, outputs.length>` (or `-> f32` with `scalar`).
 * Parameters are read through `options.param`. Needs {@link WGSL_MATH} in the same module.
 *
 * @example
 * ```ts
 * const { graph, outputs } = compiledGraphOf(lorenz);
 * wgslFunction(graph, outputs, { name: "f", n: 3, param: (k) => `P[${k}]` });
 * ```
 */
export function wgslFunction(g: Graph, outputs: readonly number[], options: WgslFunctionOptions): string {
  const { name, n, param } = options;
  const prog = program(g, outputs);
  const ref = (id: number): string => {
    switch (g.op[id] as Op) {
      case Op.CONST: return wgslLiteral(g.value[id]!);
      case Op.T: return "t";
      case Op.Y: return `y_${g.a[id]}`;
      case Op.P: return `p_${g.a[id]}`;
      default: return `v_${id}`;
    }
  };
  const lines: string[] = [];
  for (const id of prog.nodes) {
    const op = g.op[id] as Op;
    if (op === Op.T) continue;
    if (op === Op.Y) {
      const j = g.a[id]!;
      if (j >= n) throw new RangeError(`odeflow compile: the function reads y[${j}] but the state has ${n} components.`);
      lines.push(`  let y_${j} = y[${j}];`);
    } else if (op === Op.P) lines.push(`  let p_${g.a[id]} = ${param(g.a[id]!)};`);
    else if (op === Op.X) throw new Error("odeflow compile: internal error: a WGSL function cannot read an extra input vector");
    else {
      const b = op >= Op.ADD ? ref(g.b[id]!) : "";
      const c = op === Op.SELECT ? ref(g.c[id]!) : "";
      lines.push(`  let v_${id}: f32 = ${wgslOp(g, id, ref(g.a[id]!), b, c)};`);
    }
  }
  const m = outputs.length;
  if (options.scalar) {
    lines.push(`  return ${ref(outputs[0]!)};`);
    return `fn ${name}(t: f32, y: array<f32, ${n}>) -> f32 {\n${lines.join("\n")}\n}\n`;
  }
  lines.push(`  return array<f32, ${m}>(${outputs.map(ref).join(", ")});`);
  return `fn ${name}(t: f32, y: array<f32, ${n}>) -> array<f32, ${m}> {\n${lines.join("\n")}\n}\n`;
}
