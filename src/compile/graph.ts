/**
 * The scalar expression graph shared by every compiled function (f, Jacobians, JVPs, VJPs).
 *
 * Nodes are stored structure-of-arrays (op, three operands, a constant) and are created only
 * through {@link Graph.node}, which folds constants, applies a few cheap local rewrites
 * (x + 0, x * 1, x * 0, −(−x), …) and merges structurally equal nodes through a hash table, so a
 * common subexpression exists once. Operands always have smaller ids than their node, so node
 * order is a topological order and code generation is a single forward sweep.
 *
 * Semantics are JavaScript's on doubles. Comparisons and `!` produce 1 or 0; `SELECT(c, a, b)` is
 * `c ? a : b` with JavaScript truthiness (non-zero and not NaN).
 *
 * The rewrites keep every value bit for bit, with three documented exceptions, as in every
 * symbolic differentiation system: `x * 0 → 0` assumes x finite and `0 / x → 0` assumes x finite
 * and non-zero (they differ only where the original computes NaN); `x + 0 → x`, `x − 0 → x`,
 * `0 − x → −x` may flip the sign of a zero result, which only 1/x, atan2 and Math.sign can see;
 * and a power with a constant exponent such as `x ** 1.5` becomes the cheaper `x * Math.sqrt(x)`
 * (`POWC`), within a few ulps of Math.pow (powers.ts states the bounds and the special values).
 */

import { isReducedPower, reducedPower, reducedPowerSource } from "./powers.js";

/**
 * Operation codes. Inputs first, then unary, binary and ternary operations. `POWC` is `a ** b`
 * with a constant b that powers.ts reduces to multiplications and roots (see there); `POW` is
 * every other power.
 */
export enum Op {
  CONST, T, Y, P, X,
  NEG, NOT, SIN, COS, TAN, EXP, LOG, SQRT, ABS, TANH, SINH, COSH, ASIN, ACOS, ATAN, ASINH, ACOSH, ATANH,
  LOG1P, EXPM1, LOG2, LOG10, CBRT, SIGN, FLOOR, CEIL, ROUND, TRUNC,
  ADD, SUB, MUL, DIV, POW, POWC, MOD, ATAN2, MIN, MAX, HYPOT, LT, LE, GT, GE, EQ, NE,
  SELECT,
}

/** First unary and first binary op code; SELECT is the only ternary. */
export const FIRST_UNARY = Op.NEG;
export const FIRST_BINARY = Op.ADD;

/** Number of operands of an op. */
export function arity(op: Op): number {
  if (op < FIRST_UNARY) return 0;
  if (op < FIRST_BINARY) return 1;
  return op === Op.SELECT ? 3 : 2;
}

/**
 * The `Math` functions each op stands for (unary and binary). Maps, not object literals, so that a
 * user's name such as "constructor" or "__proto__" finds nothing instead of an inherited property.
 */
export const MATH_UNARY: ReadonlyMap<string, Op> = new Map([
  ["sin", Op.SIN], ["cos", Op.COS], ["tan", Op.TAN], ["exp", Op.EXP], ["log", Op.LOG], ["sqrt", Op.SQRT], ["abs", Op.ABS],
  ["tanh", Op.TANH], ["sinh", Op.SINH], ["cosh", Op.COSH], ["asin", Op.ASIN], ["acos", Op.ACOS], ["atan", Op.ATAN],
  ["asinh", Op.ASINH], ["acosh", Op.ACOSH], ["atanh", Op.ATANH], ["log1p", Op.LOG1P], ["expm1", Op.EXPM1],
  ["log2", Op.LOG2], ["log10", Op.LOG10], ["cbrt", Op.CBRT], ["sign", Op.SIGN], ["floor", Op.FLOOR], ["ceil", Op.CEIL],
  ["round", Op.ROUND], ["trunc", Op.TRUNC],
]);
export const MATH_BINARY: ReadonlyMap<string, Op> = new Map([
  ["pow", Op.POW], ["atan2", Op.ATAN2], ["min", Op.MIN], ["max", Op.MAX], ["hypot", Op.HYPOT],
]);

/** The Math function names the compiler knows, for error messages: "sin, cos, …". */
export function mathFunctionList(): string {
  return [...MATH_UNARY.keys(), ...MATH_BINARY.keys()].join(", ");
}

/** Source form of each op: `[prefix, infix]`; used by code generation and error messages. */
const UNARY_FN: Partial<Record<Op, string>> = {};
for (const [name, op] of MATH_UNARY) UNARY_FN[op] = `Math.${name}`;
const BINARY_FN: Partial<Record<Op, string>> = {};
for (const [name, op] of MATH_BINARY) BINARY_FN[op] = `Math.${name}`;
const INFIX: Partial<Record<Op, string>> = {
  [Op.ADD]: "+", [Op.SUB]: "-", [Op.MUL]: "*", [Op.DIV]: "/", [Op.MOD]: "%",
  [Op.LT]: "<", [Op.LE]: "<=", [Op.GT]: ">", [Op.GE]: ">=", [Op.EQ]: "===", [Op.NE]: "!==",
};

/** A double as a source literal that round-trips exactly (including −0, NaN and infinities). */
export function literal(x: number): string {
  if (Object.is(x, -0)) return "(-0)";
  if (x !== x) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "(-Infinity)";
  const s = String(x);
  return x < 0 ? `(${s})` : s;
}

/**
 * A JavaScript expression for one operation on operand expressions `a`, `b`, `c`. For `POWC`,
 * `exponent` is the value of the constant b.
 */
export function opSource(op: Op, a: string, b: string, c: string, exponent = NaN): string {
  switch (op) {
    case Op.POWC: return reducedPowerSource(a, exponent);
    case Op.NEG: return `-${a}`;
    case Op.NOT: return `+!${a}`;
    case Op.POW: return `${a} ** ${b}`;
    case Op.SELECT: return `${a} ? ${b} : ${c}`;
    case Op.LT: case Op.LE: case Op.GT: case Op.GE: case Op.EQ: case Op.NE:
      return `+(${a} ${INFIX[op]} ${b})`;
    default: {
      const inf = INFIX[op];
      if (inf !== undefined) return `${a} ${inf} ${b}`;
      const u = UNARY_FN[op];
      if (u !== undefined) return `${u}(${a})`;
      return `${BINARY_FN[op]}(${a}, ${b})`;
    }
  }
}

/** Evaluates one op on doubles exactly as the generated code does (used by folding and the interpreter). */
export function evalOp(op: Op, a: number, b: number, c: number): number {
  switch (op) {
    case Op.NEG: return -a;
    case Op.NOT: return a ? 0 : 1;
    case Op.SIN: return Math.sin(a);
    case Op.COS: return Math.cos(a);
    case Op.TAN: return Math.tan(a);
    case Op.EXP: return Math.exp(a);
    case Op.LOG: return Math.log(a);
    case Op.SQRT: return Math.sqrt(a);
    case Op.ABS: return Math.abs(a);
    case Op.TANH: return Math.tanh(a);
    case Op.SINH: return Math.sinh(a);
    case Op.COSH: return Math.cosh(a);
    case Op.ASIN: return Math.asin(a);
    case Op.ACOS: return Math.acos(a);
    case Op.ATAN: return Math.atan(a);
    case Op.ASINH: return Math.asinh(a);
    case Op.ACOSH: return Math.acosh(a);
    case Op.ATANH: return Math.atanh(a);
    case Op.LOG1P: return Math.log1p(a);
    case Op.EXPM1: return Math.expm1(a);
    case Op.LOG2: return Math.log2(a);
    case Op.LOG10: return Math.log10(a);
    case Op.CBRT: return Math.cbrt(a);
    case Op.SIGN: return Math.sign(a);
    case Op.FLOOR: return Math.floor(a);
    case Op.CEIL: return Math.ceil(a);
    case Op.ROUND: return Math.round(a);
    case Op.TRUNC: return Math.trunc(a);
    case Op.ADD: return a + b;
    case Op.SUB: return a - b;
    case Op.MUL: return a * b;
    case Op.DIV: return a / b;
    case Op.POW: return a ** b;
    case Op.POWC: return reducedPower(a, b);
    case Op.MOD: return a % b;
    case Op.ATAN2: return Math.atan2(a, b);
    case Op.MIN: return Math.min(a, b);
    case Op.MAX: return Math.max(a, b);
    case Op.HYPOT: return Math.hypot(a, b);
    case Op.LT: return a < b ? 1 : 0;
    case Op.LE: return a <= b ? 1 : 0;
    case Op.GT: return a > b ? 1 : 0;
    case Op.GE: return a >= b ? 1 : 0;
    case Op.EQ: return a === b ? 1 : 0;
    case Op.NE: return a !== b ? 1 : 0;
    case Op.SELECT: return a ? b : c;
    default: throw new Error(`odeflow compile: internal error: op ${op} cannot be evaluated`);
  }
}

/** A hash of a node's key (op and operands). */
function hash(op: number, a: number, b: number, c: number): number {
  let h = Math.imul(op + 1, 0x9e3779b1);
  h = Math.imul(h ^ a, 0x85ebca6b);
  h = Math.imul(h ^ b, 0xc2b2ae35);
  h = Math.imul(h ^ c, 0x27d4eb2f);
  return (h ^ (h >>> 15)) >>> 0;
}

const COMMUTATIVE = new Set<Op>([Op.ADD, Op.MUL, Op.MIN, Op.MAX, Op.HYPOT, Op.EQ, Op.NE]);

/**
 * A hash-consed scalar expression graph. Input nodes: `T` (time), `Y` (state component `a`),
 * `P` (flat parameter `a`), `X` (component `a` of an extra input vector: a JVP tangent or a VJP
 * cotangent).
 */
export class Graph {
  op: Uint8Array = new Uint8Array(256);
  a: Int32Array = new Int32Array(256);
  b: Int32Array = new Int32Array(256);
  c: Int32Array = new Int32Array(256);
  value: Float64Array = new Float64Array(256);
  size = 0;
  /** Open-addressing hash table of node ids (−1: empty), keyed by (op, a, b, c). */
  private table: Int32Array = new Int32Array(1024).fill(-1);
  private readonly constants = new Map<number, number>();
  private negZero = -1;
  private nan = -1;

  /** The constant node of value x. */
  constant(x: number): number {
    if (x !== x) {
      if (this.nan < 0) this.nan = this.push(Op.CONST, 0, 0, 0, NaN);
      return this.nan;
    }
    if (Object.is(x, -0)) {
      if (this.negZero < 0) this.negZero = this.push(Op.CONST, 0, 0, 0, -0);
      return this.negZero;
    }
    let id = this.constants.get(x);
    if (id === undefined) {
      id = this.push(Op.CONST, 0, 0, 0, x);
      this.constants.set(x, id);
    }
    return id;
  }

  /** Whether node `id` is a constant (optionally equal to x). */
  isConst(id: number, x?: number): boolean {
    return this.op[id] === Op.CONST && (x === undefined || this.value[id] === x);
  }

  /** An input node: time, state component, parameter or extra-vector component. */
  input(op: Op.T | Op.Y | Op.P | Op.X, index = 0): number {
    return this.node(op, index);
  }

  /** The node `op(a, b, c)`, folded, rewritten and merged with an equal existing node. */
  node(op: Op, a = 0, b = 0, c = 0): number {
    const ar = arity(op);
    if (ar > 0) {
      const r = this.simplify(op, a, b, c, ar);
      if (r >= 0) return r;
      if (COMMUTATIVE.has(op) && a > b) { const s = a; a = b; b = s; }
    }
    if (ar < 2) b = 0;
    if (ar < 3) c = 0;
    const mask = this.table.length - 1;
    let h = hash(op, a, b, c) & mask;
    for (;;) {
      const id = this.table[h]!;
      if (id < 0) break;
      if (this.op[id] === op && this.a[id] === a && this.b[id] === b && this.c[id] === c) return id;
      h = (h + 1) & mask;
    }
    const id = this.push(op, a, b, c, 0);
    this.table[h] = id;
    if (++this.entries * 2 > this.table.length) this.rehash();
    return id;
  }

  private entries = 0;

  private rehash(): void {
    const table = new Int32Array(this.table.length * 2).fill(-1);
    const mask = table.length - 1;
    for (const id of this.table) {
      if (id < 0) continue;
      let h = hash(this.op[id]!, this.a[id]!, this.b[id]!, this.c[id]!) & mask;
      while (table[h]! >= 0) h = (h + 1) & mask;
      table[h] = id;
    }
    this.table = table;
  }

  /** Constant folding and cheap local rewrites; −1 when none applies. */
  private simplify(op: Op, a: number, b: number, c: number, ar: number): number {
    const ca = this.op[a] === Op.CONST;
    if (ar === 1) {
      if (ca) return this.constant(evalOp(op, this.value[a]!, 0, 0));
      if (op === Op.NEG && this.op[a] === Op.NEG) return this.a[a]!;
      return -1;
    }
    if (op === Op.SELECT) {
      if (ca) return this.value[a] ? b : c;
      if (b === c) return b;
      return -1;
    }
    const cb = this.op[b] === Op.CONST;
    // A reducible constant power is POWC even on a constant base (folded by POWC's own rule), so
    // that x ** c has one value whether or not x is known at compile time.
    if (op === Op.POW && cb && isReducedPower(this.value[b]!)) return this.node(Op.POWC, a, b);
    if (ca && cb) return this.constant(evalOp(op, this.value[a]!, this.value[b]!, 0));
    const va = ca ? this.value[a]! : NaN;
    const vb = cb ? this.value[b]! : NaN;
    switch (op) {
      case Op.ADD:
        if (vb === 0) return a; // x + 0 = x, up to the sign of a zero result; 0 + x likewise
        if (va === 0) return b;
        if (this.op[b] === Op.NEG) return this.node(Op.SUB, a, this.a[b]!);
        if (this.op[a] === Op.NEG) return this.node(Op.SUB, b, this.a[a]!);
        return -1;
      case Op.SUB:
        if (vb === 0) return a;
        if (va === 0) return this.node(Op.NEG, b);
        if (this.op[b] === Op.NEG) return this.node(Op.ADD, a, this.a[b]!);
        return -1;
      case Op.MUL:
        if (va === 1) return b;
        if (vb === 1) return a;
        if (va === -1) return this.node(Op.NEG, b);
        if (vb === -1) return this.node(Op.NEG, a);
        if (va === 0 || vb === 0) return this.constant(0);
        return -1;
      case Op.DIV:
        if (vb === 1) return a;
        if (vb === -1) return this.node(Op.NEG, a);
        if (va === 0) return this.constant(0);
        return -1;
      case Op.POW:
        if (vb === 1) return a;
        if (vb === 0) return this.constant(1);
        return -1;
      default:
        return -1;
    }
  }

  private push(op: Op, a: number, b: number, c: number, v: number): number {
    if (this.size === this.op.length) this.grow();
    const id = this.size++;
    this.op[id] = op;
    this.a[id] = a;
    this.b[id] = b;
    this.c[id] = c;
    this.value[id] = v;
    return id;
  }

  private grow(): void {
    const m = this.op.length * 2;
    const op = new Uint8Array(m); op.set(this.op); this.op = op;
    const a = new Int32Array(m); a.set(this.a); this.a = a;
    const b = new Int32Array(m); b.set(this.b); this.b = b;
    const c = new Int32Array(m); c.set(this.c); this.c = c;
    const v = new Float64Array(m); v.set(this.value); this.value = v;
  }

  // Builders used by the lowering and the derivative rules.
  add(a: number, b: number): number { return this.node(Op.ADD, a, b); }
  sub(a: number, b: number): number { return this.node(Op.SUB, a, b); }
  mul(a: number, b: number): number { return this.node(Op.MUL, a, b); }
  div(a: number, b: number): number { return this.node(Op.DIV, a, b); }
  neg(a: number): number { return this.node(Op.NEG, a); }

  /**
   * Local partial derivatives of node `id` with respect to each of its operands, as graph nodes:
   * `[operand, ∂node/∂operand, …]` (operands with structurally zero partials are left out).
   */
  partials(id: number): number[] {
    const op = this.op[id] as Op;
    const a = this.a[id]!;
    const b = this.b[id]!;
    const one = this.constant(1);
    switch (op) {
      case Op.NEG: return [a, this.constant(-1)];
      case Op.SIN: return [a, this.node(Op.COS, a)];
      case Op.COS: return [a, this.neg(this.node(Op.SIN, a))];
      case Op.TAN: { const c = this.node(Op.COS, a); return [a, this.div(one, this.mul(c, c))]; }
      case Op.EXP: return [a, id];
      case Op.LOG: return [a, this.div(one, a)];
      case Op.SQRT: return [a, this.div(this.constant(0.5), id)];
      case Op.ABS: return [a, this.node(Op.SIGN, a)];
      case Op.TANH: return [a, this.sub(one, this.mul(id, id))];
      case Op.SINH: return [a, this.node(Op.COSH, a)];
      case Op.COSH: return [a, this.node(Op.SINH, a)];
      case Op.ASIN: return [a, this.div(one, this.node(Op.SQRT, this.sub(one, this.mul(a, a))))];
      case Op.ACOS: return [a, this.neg(this.div(one, this.node(Op.SQRT, this.sub(one, this.mul(a, a)))))];
      case Op.ATAN: return [a, this.div(one, this.add(one, this.mul(a, a)))];
      case Op.ASINH: return [a, this.div(one, this.node(Op.SQRT, this.add(this.mul(a, a), one)))];
      case Op.ACOSH: return [a, this.div(one, this.node(Op.SQRT, this.sub(this.mul(a, a), one)))];
      case Op.ATANH: return [a, this.div(one, this.sub(one, this.mul(a, a)))];
      case Op.LOG1P: return [a, this.div(one, this.add(one, a))];
      case Op.EXPM1: return [a, this.add(id, one)];
      case Op.LOG2: return [a, this.div(one, this.mul(a, this.constant(Math.LN2)))];
      case Op.LOG10: return [a, this.div(one, this.mul(a, this.constant(Math.LN10)))];
      case Op.CBRT: return [a, this.div(id, this.mul(this.constant(3), a))];
      case Op.ADD: return [a, one, b, one];
      case Op.SUB: return [a, one, b, this.constant(-1)];
      case Op.MUL: return [a, b, b, a];
      case Op.DIV: return [a, this.div(one, b), b, this.neg(this.div(id, b))];
      case Op.POW: {
        // d(a^b) = b a^(b−1) da + a^b ln(a) db; the second term only where b is not constant.
        const r = [a, this.mul(b, this.node(Op.POW, a, this.sub(b, one)))];
        if (this.op[b] !== Op.CONST) r.push(b, this.mul(id, this.node(Op.LOG, a)));
        return r;
      }
      case Op.POWC: {
        // d(x^c) = c x^(c−1), a constant power again (reduced where it can be); for ⅓, ∛x / (3x)
        // as for Math.cbrt (NaN for x < 0, where x^⅓ is NaN too).
        const c = this.value[b]!;
        if (!Number.isInteger(2 * c)) return [a, this.div(id, this.mul(this.constant(3), a))];
        return [a, this.mul(b, this.node(Op.POW, a, this.constant(c - 1)))];
      }
      case Op.MOD: return [a, one, b, this.neg(this.node(Op.TRUNC, this.div(a, b)))];
      case Op.ATAN2: {
        const d = this.add(this.mul(a, a), this.mul(b, b));
        return [a, this.div(b, d), b, this.neg(this.div(a, d))];
      }
      case Op.MIN: { const s = this.node(Op.LE, a, b); return [a, s, b, this.node(Op.NOT, s)]; }
      case Op.MAX: { const s = this.node(Op.GE, a, b); return [a, s, b, this.node(Op.NOT, s)]; }
      case Op.HYPOT: return [a, this.div(a, id), b, this.div(b, id)];
      case Op.SELECT: {
        const c = this.c[id]!;
        const zero = this.constant(0);
        return [b, this.node(Op.SELECT, a, one, zero), c, this.node(Op.SELECT, a, zero, one)];
      }
      default:
        // Inputs, constants, comparisons, NOT, SIGN, FLOOR, CEIL, ROUND, TRUNC: zero derivative.
        return [];
    }
  }
}
