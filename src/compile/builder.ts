/**
 * The builder API: vector fields assembled in code (for example a reaction network built from a
 * list of reactions) rather than parsed from a function. It builds the same graph as the parser,
 * so `compile(builder)` gives the same kernels and derivatives.
 */
import { layoutFromSpec, type ArgLayout, type ArgsSpec } from "./args.js";
import { CompileError } from "./errors.js";
import { Graph, MATH_BINARY, MATH_UNARY, mathFunctionList, Op } from "./graph.js";
import { describeValue } from "../tree.js";

/** A value for a message: numbers as written, other values described. */
const show = (x: unknown): string => (typeof x === "number" ? String(x) : describeValue(x));

/** A scalar expression of a {@link ModelBuilder} (a node of its graph). Numbers are constants. */
export class Expr {
  /** @internal */
  constructor(readonly builder: ModelBuilder, readonly id: number) {}
}

/** An operand: an expression or a number constant. */
export type Operand = Expr | number;

/**
 * Assembles a vector field from expressions.
 *
 * @example
 * ```ts
 * // A + B → C at rate k·A·B, C → A at rate m·C.
 * const b = new ModelBuilder({ n: 3, args: ["k", "m"] });
 * const [A, B, C] = b.state();
 * const r1 = b.mul(b.arg("k"), A, B), r2 = b.mul(b.arg("m"), C);
 * b.accumulate(0, b.sub(r2, r1)); b.accumulate(1, b.neg(r1)); b.accumulate(2, b.sub(r1, r2));
 * const vf = compile(b);
 * ```
 */
/** The largest state a builder takes (its outputs are one array entry each). */
const MAX_COMPONENTS = 10_000_000;

export class ModelBuilder {
  private readonly g = new Graph();
  private readonly layout: ArgLayout;
  private readonly outputs: (number | undefined)[];
  /** Number of state components. */
  readonly n: number;

  /**
   * @param options.n - number of state components
   * @param options.args - the parameter layout, as `compile`'s `options.args` (names, a sample, or a flat length)
   */
  constructor(options: { n: number; args?: ArgsSpec }) {
    if (options === null || typeof options !== "object") {
      throw new CompileError(`new ModelBuilder(options): \`options\` must be an object { n, args }; got ${show(options)}.`, "write new ModelBuilder({ n: 3, args: [\"k\"] }).", "");
    }
    for (const key of Object.keys(options)) {
      if (key !== "n" && key !== "args") {
        throw new CompileError(`new ModelBuilder(options): unknown option \`${key}\`; the options are n and args.`, "write new ModelBuilder({ n, args }).", "");
      }
    }
    if (!Number.isInteger(options.n) || options.n < 1 || options.n > MAX_COMPONENTS) {
      throw new CompileError(`new ModelBuilder({ n }): \`n\` = ${show(options.n)} must be a whole number ≥ 1 (at most ${MAX_COMPONENTS}).`,
        "pass the number of state components, e.g. new ModelBuilder({ n: 3 }).", "");
    }
    this.n = options.n;
    this.layout = layoutFromSpec(options.args ?? 0, "args", "new ModelBuilder({ args }): ");
    this.outputs = new Array(options.n).fill(undefined);
  }

  private e(x: Operand): number {
    if (typeof x === "number") return this.g.constant(x);
    if (!(x instanceof Expr) || x.builder !== this) {
      throw new CompileError(`ModelBuilder: an operand is ${x instanceof Expr ? "an Expr of another builder" : show(x)}; operands must be numbers or Exprs of this builder.`,
        "build every expression with the same ModelBuilder (b.y(0), b.arg(\"k\"), b.mul(…)), and pass numbers for constants.", "");
    }
    return x.id;
  }
  private x(id: number): Expr {
    return new Expr(this, id);
  }

  /** Time t. */
  get t(): Expr { return this.x(this.g.input(Op.T)); }
  /** State component y[i]. */
  y(i: number): Expr {
    if (!Number.isInteger(i) || i < 0 || i >= this.n) {
      throw new CompileError(`ModelBuilder.y(i): \`i\` = ${show(i)} must be a whole number in [0, ${this.n}).`, `read components 0 … ${this.n - 1}, or declare more with new ModelBuilder({ n }).`, "");
    }
    return this.x(this.g.input(Op.Y, i));
  }
  /** All state components [y[0], …, y[n−1]]. */
  state(): Expr[] { return Array.from({ length: this.n }, (_, i) => this.y(i)); }
  /** A parameter: by name (and index, for array entries), or by flat index. */
  arg(name: string | number, index?: number): Expr {
    const L = this.layout;
    if (typeof name === "number") {
      if (!Number.isInteger(name) || name < 0 || name >= L.size) {
        throw new CompileError(`ModelBuilder.arg(${name}): \`index\` ${name} is out of range; the parameter vector has ${L.size} entries.`, "declare the parameters in new ModelBuilder({ args }).", "");
      }
      return this.x(this.g.input(Op.P, name));
    }
    const e = L.kind === "named" ? L.entries.find((x) => x.name === name) : undefined;
    if (e === undefined) {
      const known = L.kind === "named" ? L.entries.map((x) => x.name).join(", ") : "";
      throw new CompileError(`ModelBuilder.arg(${JSON.stringify(name)}): \`name\` is no such parameter; declare it in new ModelBuilder({ args }).`,
        known ? `the parameters are ${known}.` : "declare the parameters: new ModelBuilder({ n, args: [\"k\"] }).", "");
    }
    if (e.length === null) return this.x(this.g.input(Op.P, e.offset));
    if (index === undefined || !Number.isInteger(index) || index < 0 || index >= e.length) {
      throw new CompileError(`ModelBuilder.arg(${JSON.stringify(name)}, i): \`i\` = ${show(index)} must be a whole number in [0, ${e.length}).`, `args.${name} is an array of ${e.length}: pass an index.`, "");
    }
    return this.x(this.g.input(Op.P, e.offset + index));
  }
  /** A constant. */
  constant(x: number): Expr { return this.x(this.g.constant(x)); }

  /** a + b + … */
  add(...xs: Operand[]): Expr { return this.fold(Op.ADD, xs, 0); }
  /** a · b · … */
  mul(...xs: Operand[]): Expr { return this.fold(Op.MUL, xs, 1); }
  sub(a: Operand, b: Operand): Expr { return this.x(this.g.sub(this.e(a), this.e(b))); }
  div(a: Operand, b: Operand): Expr { return this.x(this.g.div(this.e(a), this.e(b))); }
  pow(a: Operand, b: Operand): Expr { return this.x(this.g.node(Op.POW, this.e(a), this.e(b))); }
  neg(a: Operand): Expr { return this.x(this.g.neg(this.e(a))); }
  /** A Math function by name: `call("exp", x)`, `call("atan2", y, x)`. */
  call(name: string, ...xs: Operand[]): Expr {
    const u = typeof name === "string" ? MATH_UNARY.get(name) : undefined;
    const b = typeof name === "string" ? MATH_BINARY.get(name) : undefined;
    if (u !== undefined && xs.length === 1) return this.x(this.g.node(u, this.e(xs[0]!)));
    if (b !== undefined && xs.length === 2) return this.x(this.g.node(b, this.e(xs[0]!), this.e(xs[1]!)));
    const shown = typeof name === "string" ? JSON.stringify(name) : show(name);
    if (u !== undefined || b !== undefined) {
      throw new CompileError(`ModelBuilder.call(${shown}, …): \`${name}\` takes ${u !== undefined ? "one operand" : "two operands"}; got ${xs.length}.`,
        `pass ${u !== undefined ? "one operand" : "two operands"}; for more, nest the calls (b.call("max", a, b.call("max", c, d))).`, "");
    }
    throw new CompileError(`ModelBuilder.call(${shown}, …): \`name\` is not a Math function the compiler knows.`,
      `use one of ${mathFunctionList()}.`, "");
  }
  /** cond ? a : b, with cond's JavaScript truthiness. */
  select(cond: Operand, a: Operand, b: Operand): Expr { return this.x(this.g.node(Op.SELECT, this.e(cond), this.e(a), this.e(b))); }
  /** Comparisons (1 or 0). */
  lt(a: Operand, b: Operand): Expr { return this.x(this.g.node(Op.LT, this.e(a), this.e(b))); }
  gt(a: Operand, b: Operand): Expr { return this.x(this.g.node(Op.GT, this.e(a), this.e(b))); }

  /** Sets output component i (dy[i]) to e. */
  set(i: number, e: Operand): void {
    this.check(i);
    this.outputs[i] = this.e(e);
  }
  /** Adds e to output component i (starting from 0): dy[i] += e. */
  accumulate(i: number, e: Operand): void {
    this.check(i);
    const cur = this.outputs[i];
    this.outputs[i] = cur === undefined ? this.e(e) : this.g.add(cur, this.e(e));
  }
  private check(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.n) {
      throw new CompileError(`ModelBuilder: output index \`i\` = ${show(i)} must be a whole number in [0, ${this.n}).`, `set components 0 … ${this.n - 1}.`, "");
    }
  }
  private fold(op: Op, xs: Operand[], unit: number): Expr {
    let acc = this.g.constant(unit);
    for (const x of xs) acc = this.g.node(op, acc, this.e(x));
    return this.x(acc);
  }

  /** The graph, outputs (unset components are 0) and parameter layout; used by `compile`. */
  build(): { graph: Graph; outputs: number[]; layout: ArgLayout } {
    return { graph: this.g, outputs: this.outputs.map((o) => o ?? this.g.constant(0)), layout: this.layout };
  }
}
