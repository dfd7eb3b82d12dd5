/**
 * WGSL code generation: a graph's outputs as a WGSL function on f32 (WGSL has no f64), for GPU
 * kernels (the WebGPU ensemble backend).
 *
 * The instruction list is the one the JavaScript code generator uses (`program`), emitted as
 * straight-line `let` bindings. Each operation keeps JavaScript's meaning on f32 values: WGSL
 * built-ins where their definition and accuracy fit (+, −, ×, ÷, √, `exp`, `cosh`, rounding,
 * min/max), the helpers of {@link WGSL_MATH} elsewhere: the logarithms, trigonometric and
 * inverse hyperbolic functions (accurate to a few ulps on every GPU), `pow` of a negative base,
 * `Math.round` (halves up, where WGSL's `round` rounds halves to even), `hypot` (scaled, no
 * overflow), `cbrt` (a Newton-refined root). Comparisons and `!` give 1 or 0, and `c ? a : b`
 * tests c ≠ 0, as in the graph.
 *
 * Accuracy: +, −, × and `sqrt` are correctly rounded on GPUs (WGSL allows 2.5 ulp for ÷), `exp`
 * is within 3 + 2|x| ulp; a shader compiler may contract a·b + c into a fused multiply–add. NaN and infinity are not
 * guaranteed to propagate through WGSL arithmetic; kernels that must detect them test the bits
 * (`odeflow_finite`).
 */
import { Graph, Op } from "./graph.js";
import { program } from "./codegen.js";

/**
 * Helper functions the generated code calls (emit once per shader module, before the functions of
 * {@link wgslFunction}). Names start with `odeflow_`.
 *
 * The elementary functions are computed from +, −, ×, ÷ and √ (which GPUs round correctly or
 * nearly so) instead of WGSL's built-ins wherever the built-ins' required accuracy is loose: the
 * WGSL specification asks only 2⁻¹¹ absolute of `sin` and `cos`, 2⁻²¹ absolute of `log` near 1
 * (no relative accuracy for log(1 + x)), 4096 ulp of `atan`, and defines the inverse hyperbolic
 * functions by formulas that cancel near 0; implementations differ accordingly. Here:
 * - ln x = e·ln 2 + 2 artanh s, x = f·2ᵉ with f ∈ [√½, √2) (`frexp`), s = (f − 1)/(f + 1), |s| ≤ 0.172,
 *   six terms of the series; ln 2 split in two parts (Cody–Waite) so e·ln 2 carries no rounding;
 * - sin, cos, tan: reduction by π/2 in three parts (Cody–Waite, the float32 constants of
 *   S. L. Moshier's Cephes `sinf`) for |x| < 10⁵ (the built-ins beyond), Taylor polynomials through
 *   θ⁹ / θ¹⁰ on [−π/4, π/4];
 * - atan: Moshier's Cephes `atanf` (reduction at tan(π/8) and tan(3π/8), its degree-9 polynomial);
 *   atan2, asin and acos from it;
 * - log1p = 2 artanh(x/(2 + x)) and expm1 by their series near 0 (|x| < ¼, ½), sinh and tanh from
 *   expm1, asinh, acosh, atanh from log1p: no cancellation near 0.
 * Each is within a few float32 ulps (the tests compare every operation with JavaScript's). None
 * relies on an exact cancellation such as (1 + x) − 1, which shader compilers have been seen to
 * rewrite algebraically (to x); the one exact subtraction kept, Cody–Waite's x − k·c₁, has no
 * constant to fold.
 *
 * References: W. J. Cody and W. Waite, *Software Manual for the Elementary Functions*, Prentice
 * Hall 1980; S. L. Moshier, *Methods and Programs for Mathematical Functions*, Ellis Horwood 1989
 * (the Cephes library).
 */
export const WGSL_MATH = `
var<private> odeflow_bits_inf: u32 = 0x7f800000u;
var<private> odeflow_bits_nan: u32 = 0x7fc00000u;
fn odeflow_finite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }
fn odeflow_inf() -> f32 { return bitcast<f32>(odeflow_bits_inf); }
fn odeflow_nan() -> f32 { return bitcast<f32>(odeflow_bits_nan); }
fn odeflow_ln(x: f32) -> f32 {
  if (!(x > 0.0)) { if (x == 0.0) { return -odeflow_inf(); } return odeflow_nan(); }
  if (!odeflow_finite(x)) { return x; }
  let fe = frexp(x);
  var f = fe.fract;
  var e = f32(fe.exp);
  if (f < 0.70710678) { f = 2.0 * f; e = e - 1.0; }
  let s = (f - 1.0) / (f + 1.0);
  let s2 = s * s;
  let p = 1.0 + s2 * (1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0 + s2 * (1.0 / 11.0)))));
  return e * 0.693145751953125 + (2.0 * s * p + e * 1.4286068203094172e-6);
}
fn odeflow_log1p(x: f32) -> f32 {
  if (abs(x) >= 0.25) { return odeflow_ln(1.0 + x); }
  let s = x / (2.0 + x);
  let s2 = s * s;
  return 2.0 * s * (1.0 + s2 * (1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0 + s2 * (1.0 / 11.0))))));
}
fn odeflow_expm1(x: f32) -> f32 {
  if (abs(x) >= 0.5) { return exp(x) - 1.0; }
  return x * (1.0 + x * (1.0 / 2.0 + x * (1.0 / 6.0 + x * (1.0 / 24.0 + x * (1.0 / 120.0 + x * (1.0 / 720.0 + x * (1.0 / 5040.0 + x * (1.0 / 40320.0 + x * (1.0 / 362880.0)))))))));
}
fn odeflow_sincos(x: f32) -> vec2<f32> {
  if (!(abs(x) < 1e5)) { return vec2<f32>(sin(x), cos(x)); }
  let k = floor(x * 0.6366197723675814 + 0.5);
  let r = ((x - k * 1.5703125) - k * 4.837512969970703125e-4) - k * 7.54978995489188216e-8;
  let r2 = r * r;
  let s = r * (1.0 + r2 * (-1.0 / 6.0 + r2 * (1.0 / 120.0 + r2 * (-1.0 / 5040.0 + r2 * (1.0 / 362880.0)))));
  let c = 1.0 + r2 * (-0.5 + r2 * (1.0 / 24.0 + r2 * (-1.0 / 720.0 + r2 * (1.0 / 40320.0 + r2 * (-1.0 / 3628800.0)))));
  let q = i32(k) & 3;
  if (q == 0) { return vec2<f32>(s, c); }
  if (q == 1) { return vec2<f32>(c, -s); }
  if (q == 2) { return vec2<f32>(-s, -c); }
  return vec2<f32>(-c, s);
}
fn odeflow_tan(x: f32) -> f32 { let sc = odeflow_sincos(x); return sc.x / sc.y; }
fn odeflow_atan(x: f32) -> f32 {
  let a = abs(x);
  var y = 0.0;
  var t = a;
  if (a > 2.414213562373095) { y = 1.5707963267948966; t = -1.0 / a; }
  else if (a > 0.4142135623730950) { y = 0.7853981633974483; t = (a - 1.0) / (a + 1.0); }
  let z = t * t;
  let r = y + ((((8.05374449538e-2 * z - 1.38776856032e-1) * z + 1.99777106478e-1) * z - 3.33329491539e-1) * z * t + t);
  return select(r, -r, x < 0.0);
}
fn odeflow_atan2(y: f32, x: f32) -> f32 {
  if (x == 0.0) { if (y > 0.0) { return 1.5707963267948966; } if (y < 0.0) { return -1.5707963267948966; } return y; }
  let a = odeflow_atan(y / x);
  if (x > 0.0) { return a; }
  if (y >= 0.0) { return a + 3.141592653589793; }
  return a - 3.141592653589793;
}
fn odeflow_asin(x: f32) -> f32 { return odeflow_atan2(x, sqrt((1.0 - x) * (1.0 + x))); }
fn odeflow_acos(x: f32) -> f32 { return odeflow_atan2(sqrt((1.0 - x) * (1.0 + x)), x); }
fn odeflow_pow(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  if (a == 0.0) { if (b > 0.0) { return 0.0; } return odeflow_inf(); }
  let r = exp(b * odeflow_ln(abs(a)));
  if (a > 0.0) { return r; }
  if (floor(b) != b) { return odeflow_nan(); }
  if (abs(b) < 16777216.0 && (i32(abs(b)) & 1) == 1) { return -r; }
  return r;
}
fn odeflow_round(x: f32) -> f32 { let r = floor(x); if (x - r >= 0.5) { return r + 1.0; } return r; }
fn odeflow_sinh(x: f32) -> f32 { if (abs(x) < 1.0) { return 0.5 * (odeflow_expm1(x) - odeflow_expm1(-x)); } return sinh(x); }
fn odeflow_tanh(x: f32) -> f32 {
  if (abs(x) > 10.0) { return sign(x); }
  let e = odeflow_expm1(2.0 * x);
  return e / (e + 2.0);
}
fn odeflow_asinh(x: f32) -> f32 {
  let a = abs(x);
  var r: f32;
  if (a > 1e9) { r = odeflow_ln(a) + 0.6931471805599453; } else { r = odeflow_log1p(a + a * a / (1.0 + sqrt(1.0 + a * a))); }
  return select(r, -r, x < 0.0);
}
fn odeflow_acosh(x: f32) -> f32 {
  if (x > 1e9) { return odeflow_ln(x) + 0.6931471805599453; }
  return odeflow_log1p((x - 1.0) + sqrt((x - 1.0) * (x + 1.0)));
}
fn odeflow_atanh(x: f32) -> f32 { return 0.5 * odeflow_log1p(2.0 * x / (1.0 - x)); }
fn odeflow_cbrt(x: f32) -> f32 {
  if (x == 0.0 || !odeflow_finite(x)) { return x; }
  let a = abs(x);
  var r = exp(odeflow_ln(a) * (1.0 / 3.0));
  r = r - (r * r * r - a) / (3.0 * r * r);
  return select(r, -r, x < 0.0);
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
    case Op.SIN: return `odeflow_sincos(${a}).x`;
    case Op.COS: return `odeflow_sincos(${a}).y`;
    case Op.TAN: return `odeflow_tan(${a})`;
    case Op.EXP: return `exp(${a})`;
    case Op.LOG: return `odeflow_ln(${a})`;
    case Op.SQRT: return `sqrt(${a})`;
    case Op.ABS: return `abs(${a})`;
    case Op.TANH: return `odeflow_tanh(${a})`;
    case Op.SINH: return `odeflow_sinh(${a})`;
    case Op.COSH: return `cosh(${a})`;
    case Op.ASIN: return `odeflow_asin(${a})`;
    case Op.ACOS: return `odeflow_acos(${a})`;
    case Op.ATAN: return `odeflow_atan(${a})`;
    case Op.ASINH: return `odeflow_asinh(${a})`;
    case Op.ACOSH: return `odeflow_acosh(${a})`;
    case Op.ATANH: return `odeflow_atanh(${a})`;
    case Op.LOG1P: return `odeflow_log1p(${a})`;
    case Op.EXPM1: return `odeflow_expm1(${a})`;
    case Op.LOG2: return `(odeflow_ln(${a}) * 1.4426950408889634f)`;
    case Op.LOG10: return `(odeflow_ln(${a}) * 0.4342944819032518f)`;
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
    case Op.ATAN2: return `odeflow_atan2(${a}, ${b})`;
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

/**
 * x ** b: whole constant exponents up to 64 as products (within a few ulps, where exp(b·ln x) loses
 * |b·ln x| ulps): up to 4 one factor at a time (x·x·x), beyond by binary powering (the factors
 * x^(2^k) of the set bits of |b|, lowest first); 0.5 as √x; everything else by the helper.
 */
function powSource(g: Graph, bId: number, a: string, b: string): string {
  if (g.op[bId] === Op.CONST) {
    const e = g.value[bId]!;
    if (e === 0.5) return `sqrt(${a})`;
    if (Number.isInteger(e) && e !== 0 && Math.abs(e) <= 64) {
      const m = Math.abs(e);
      let prod: string;
      if (m <= 4) prod = Array.from({ length: m }, () => a).join(" * ");
      else {
        const factors: string[] = [];
        let sq = a;
        for (let k = m; k > 0; k >>= 1) {
          if (k & 1) factors.push(sq);
          sq = `(${sq} * ${sq})`;
        }
        prod = factors.join(" * ");
      }
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
