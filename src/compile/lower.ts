/**
 * Lowering: the JavaScript subset to the scalar expression graph, by symbolic execution of the
 * function's syntax tree.
 *
 * Numbers are graph nodes; everything else (arrays and objects from `consts` or local literals,
 * strings, local helper functions, `y`, `args`, `dy`, `Math`) is a compile-time value. Loops with
 * compile-time bounds are unrolled, helper functions are inlined at each call, and `if`/`else`,
 * `?:`, `&&`, `||` on run-time values execute both sides and merge every variable and output
 * they wrote into selects. Anything else is a {@link CompileError} with a code frame and a hint.
 */
import { errorAt, type CompileError } from "./errors.js";
import { Graph, MATH_BINARY, MATH_UNARY, mathFunctionList, Op } from "./graph.js";
import type { ParsedFunction } from "./parse.js";
import { argNameProblem, namedLayout, type ArgLayout } from "./args.js";

/** A compile-time value; a plain number is a graph node id. */
type Val = number | Ref;
type Ref =
  | { k: "arr"; items: Val[] }
  | { k: "obj"; props: Record<string, Val> }
  | { k: "str"; s: string }
  | { k: "undef" }
  | { k: "fn"; node: any; scope: Scope }
  | { k: "y" }
  | { k: "dy" }
  | { k: "args" }
  | { k: "argarr"; name: string }
  /** `args.name` before it is known whether it is a number or an array (inferred layouts). */
  | { k: "argref"; name: string }
  | { k: "ns"; name: "Math" | "Number" }
  | { k: "builtin"; name: string; self?: Val };

const UNDEF: Ref = { k: "undef" };

interface Binding { val: Val; kind: "const" | "let" | "var" | "param" }

class Scope {
  readonly vars = new Map<string, Binding>();
  constructor(readonly parent: Scope | null, readonly isFunction: boolean) {}
  lookup(name: string): Binding | undefined {
    for (let s: Scope | null = this; s !== null; s = s.parent) {
      const b = s.vars.get(name);
      if (b !== undefined) return b;
    }
    return undefined;
  }
  functionScope(): Scope {
    let s: Scope = this;
    while (!s.isFunction && s.parent !== null) s = s.parent;
    return s;
  }
}

const enum C { NORMAL, BREAK, CONTINUE, RETURN }

/** One recorded write, for undoing the writes of a branch. */
interface Write { c: any; key: string | number; old: Val | undefined }

/** Options of the lowering. */
export interface LowerOptions {
  consts?: Record<string, unknown>;
  /** Fixed layout of args (from options.args, or from a first inference pass). */
  layout?: ArgLayout;
  n?: number;
  /**
   * The function returns one number (an event condition `(t, y, args) => g`) rather than a
   * vector field: the output is that number, and `n` only bounds the components it may read.
   */
  scalar?: boolean;
  /** Maximum number of unrolled loop iterations in all (guards against runaway unrolling). */
  maxUnroll?: number;
  /** Maximum number of graph nodes (checked at each loop iteration and inlined call). */
  maxNodes?: number;
}

/** The result of lowering: outputs as graph nodes, the state size and the parameter layout. */
export interface Lowered {
  graph: Graph;
  outputs: number[];
  n: number;
  layout: ArgLayout;
  /** Whether the source wrote `dy` in place (rather than returning an array). */
  inPlace: boolean;
}

const NONDETERMINISTIC = new Set(["Math.random", "Date.now", "performance.now", "crypto.getRandomValues"]);
// Maps, so that `Math.constructor` or `Number.__proto__` find nothing rather than an inherited property.
const MATH_CONSTANTS: ReadonlyMap<string, number> = new Map([
  ["PI", Math.PI], ["E", Math.E], ["LN2", Math.LN2], ["LN10", Math.LN10], ["LOG2E", Math.LOG2E], ["LOG10E", Math.LOG10E],
  ["SQRT2", Math.SQRT2], ["SQRT1_2", Math.SQRT1_2],
]);
const NUMBER_CONSTANTS: ReadonlyMap<string, number> = new Map([
  ["EPSILON", Number.EPSILON], ["MAX_VALUE", Number.MAX_VALUE], ["MIN_VALUE", Number.MIN_VALUE],
  ["MAX_SAFE_INTEGER", Number.MAX_SAFE_INTEGER], ["MIN_SAFE_INTEGER", Number.MIN_SAFE_INTEGER],
  ["POSITIVE_INFINITY", Infinity], ["NEGATIVE_INFINITY", -Infinity], ["NaN", NaN],
]);

/** Lowers a parsed vector field; infers the args layout with a second pass where needed. */
export function lower(parsed: ParsedFunction, options: LowerOptions): Lowered {
  const first = new Lowering(parsed, options).run();
  if (options.layout !== undefined || first.layoutFinal) return first.result;
  return new Lowering(parsed, { ...options, layout: first.result.layout }).run().result;
}

class Lowering {
  readonly g = new Graph();
  private readonly src: string;
  private readonly shift: number;
  private trail: Write[] | null = null;
  private retVal: Val = UNDEF;
  private readonly active = new Set<any>();
  private unrolled = 0;
  private readonly maxUnroll: number;
  private readonly maxNodes: number;
  private n: number | undefined;
  // Outputs: dy[i] cells, and the value of a dy.fill().
  private readonly dyCells: Record<number, Val> = Object.create(null);
  private readonly dyFill: { v: Val | undefined } = { v: undefined };
  private dyUsed = false;
  private maxY = -1;
  private maxYNode: any = null;
  // Parameters.
  private readonly fixed: ArgLayout | undefined;
  private argMode: "flat" | "named" | undefined;
  private readonly inferred = new Map<string, { length: number | null | undefined; order: number }>();
  private readonly provisional = new Map<string, number>();
  private flatMax = -1;

  constructor(private readonly parsed: ParsedFunction, private readonly options: LowerOptions) {
    this.src = parsed.source;
    this.shift = parsed.shift;
    this.fixed = options.layout;
    this.argMode = options.layout?.kind;
    this.n = options.n;
    this.maxUnroll = options.maxUnroll ?? 2_000_000;
    this.maxNodes = options.maxNodes ?? Infinity;
  }

  err(node: any, reason: string, hint: string): CompileError {
    return errorAt(this.src, node ? { start: node.start - this.shift, end: node.end - this.shift } : undefined, reason, hint);
  }

  private text(node: any): string {
    return this.src.slice(node.start - this.shift, node.end - this.shift);
  }

  run(): { result: Lowered; layoutFinal: boolean } {
    const fn = this.parsed.fn;
    const params = fn.params as any[];
    if (params.length < 2 || params.length > 4) {
      throw this.err(fn, `the vector field takes ${params.length} parameter(s); it must take (t, y), (t, y, args) or (t, y, args, dy).`,
        "write it as (t, y, args) => [ … ] or (t, y, args, dy) => { dy[0] = …; }.");
    }
    const scope = new Scope(null, true);
    this.bindPattern(params[0], this.g.input(Op.T), scope, "param");
    if (params[1].type === "Identifier") this.declare(scope, params[1].name, { k: "y" }, "param", params[1]);
    else this.bindPattern(params[1], { k: "y" }, scope, "param");
    if (params.length > 2) {
      if (params[2].type === "Identifier") this.declare(scope, params[2].name, { k: "args" }, "param", params[2]);
      else this.bindPattern(params[2], { k: "args" }, scope, "param");
    }
    if (params.length > 3) {
      if (params[3].type !== "Identifier") throw this.err(params[3], "the output `dy` must be a plain parameter name.", "write (t, y, args, dy) => { dy[0] = …; }.");
      this.declare(scope, params[3].name, { k: "dy" }, "param", params[3]);
    }
    this.active.add(fn);
    let ret: Val;
    if (fn.body.type !== "BlockStatement") ret = this.expr(fn.body, scope);
    else {
      const c = this.block(fn.body.body, scope, true);
      ret = c === C.RETURN ? this.retVal : UNDEF;
    }
    const outputs = this.collectOutputs(ret, fn);
    const { layout, final } = this.finalLayout();
    return { result: { graph: this.g, outputs, n: outputs.length, layout, inPlace: this.dyUsed }, layoutFinal: final };
  }

  private collectOutputs(ret: Val, fn: any): number[] {
    const retNode = fn.body.type === "BlockStatement" ? this.lastReturn ?? fn : fn.body;
    if (this.options.scalar) return [this.scalarOutput(ret, retNode)];
    let outputs: number[];
    if (this.dyUsed) {
      if (typeof ret !== "number" && ret.k !== "undef") {
        throw this.err(retNode, "the vector field both writes dy and returns a value.", "either write dy in place and return nothing, or return an array and drop the dy parameter.");
      }
      let max = -1;
      for (const k of Object.keys(this.dyCells)) max = Math.max(max, Number(k));
      const n = this.n ?? (this.dyFill.v !== undefined && max < 0 ? -1 : max + 1);
      if (n < 0) throw this.err(fn, "the length of dy is unknown (only dy.fill is used).", "pass options.n, the number of state components.");
      if (this.n !== undefined && max >= this.n) {
        throw this.err(this.dyWriteNode[max], `the vector field writes dy[${max}] but options.n = ${this.n}: its output has the wrong length.`,
          `write exactly dy[0] … dy[${this.n - 1}], or pass options.n = ${max + 1}.`);
      }
      outputs = [];
      for (let i = 0; i < n; i++) {
        const v = this.dyCells[i] ?? this.dyFill.v;
        if (v === undefined) {
          throw this.err(fn, `dy[${i}] is never written (the output must have all ${n} components).`, `assign dy[${i}] (use dy[${i}] = 0 for a constant component) or call dy.fill(0) first.`);
        }
        outputs.push(this.num(v, fn, `dy[${i}]`));
      }
    } else {
      if (typeof ret === "number" || ret.k !== "arr") {
        throw this.err(retNode, `the vector field ${typeof ret !== "number" && ret.k === "undef" ? "returns nothing and writes no dy" : "does not return an array"}.`,
          "return an array of the derivatives, (t, [x, v]) => [v, -x], or write them in place, (t, y, args, dy) => { dy[0] = …; }.");
      }
      if (this.n !== undefined && ret.items.length !== this.n) {
        throw this.err(retNode, `the vector field returns ${ret.items.length} values but options.n = ${this.n}: its output has the wrong length.`,
          `return exactly ${this.n} values, one per state component, or correct options.n.`);
      }
      outputs = ret.items.map((v, i) => this.num(v, retNode, `output ${i}`));
      if (outputs.length === 0) throw this.err(retNode, "the vector field returns an empty array.", "return one derivative per state component.");
    }
    if (this.maxY >= outputs.length) {
      throw this.err(this.maxYNode, `the vector field reads y[${this.maxY}] but returns ${outputs.length} derivatives: its output has the wrong length.`,
        `return one derivative per state component (${this.maxY + 1} or more), or pass options.n.`);
    }
    return outputs;
  }

  /** The output of a scalar function (an event condition): one number (reads of y are checked against options.n). */
  private scalarOutput(ret: Val, retNode: any): number {
    if (this.dyUsed) throw this.err(retNode, "a condition writes no dy.", "return the condition's value: (t, y, args) => y[0] - 1.");
    if (typeof ret !== "number") {
      throw this.err(retNode, "the condition does not return a number.", "return a number whose sign change marks the event, (t, y) => y[0] - 1, or a comparison.");
    }
    return ret;
  }

  private lastReturn: any = null;
  private readonly dyWriteNode: Record<number, any> = Object.create(null);

  // ----- parameters -----------------------------------------------------------------------------

  private finalLayout(): { layout: ArgLayout; final: boolean } {
    if (this.fixed !== undefined) return { layout: this.fixed, final: true };
    if (this.argMode === "flat") return { layout: { kind: "flat", size: this.flatMax + 1 }, final: true };
    const list = [...this.inferred.entries()].sort((a, b) => a[1].order - b[1].order).map(([name, e]) => ({ name, length: e.length ?? null }));
    const layout = namedLayout(list);
    let final = true;
    if (layout.kind === "named") {
      for (const e of layout.entries) {
        const m = e.length ?? 1;
        for (let i = 0; i < m; i++) {
          const key = e.length === null ? e.name : `${e.name}[${i}]`;
          const p = this.provisional.get(key);
          if (p !== undefined && p !== e.offset + i) final = false;
        }
      }
    }
    return { layout, final };
  }

  private setArgMode(mode: "flat" | "named", node: any): void {
    if (this.argMode === undefined) { this.argMode = mode; return; }
    if (this.argMode !== mode) {
      throw this.err(node, mode === "flat"
        ? "args is used as a flat vector (args[i]) here, but as named parameters elsewhere (or in options.args)."
        : "args is used by name here, but as a flat vector (args[i]) elsewhere (or in options.args).",
      "use one form throughout: names ({ k }) or indices (p[0]); options.args fixes the form.");
    }
  }

  /** Refuses a parameter name that every object inherits (`args.constructor`, `args.__proto__`). */
  private checkArgName(name: string, node: any): void {
    const problem = argNameProblem(name);
    if (problem !== null) throw this.err(node, `the parameter name ${problem}.`, `rename the parameter (args.${name} → args.${name}_ or another name).`);
  }

  private argScalar(name: string, node: any): number {
    this.setArgMode("named", node);
    this.checkArgName(name, node);
    if (this.fixed !== undefined && this.fixed.kind === "named") {
      const e = this.fixed.entries.find((x) => x.name === name);
      if (e === undefined) throw this.err(node, `args has no parameter \`${name}\` (options.args lists ${this.fixed.entries.map((x) => x.name).join(", ") || "none"}).`, `add \`${name}\` to options.args, or pass it in options.consts.`);
      if (e.length !== null) throw this.err(node, `\`args.${name}\` is an array of ${e.length} numbers in options.args but is used as a number here.`, `index it: args.${name}[i].`);
      return this.g.input(Op.P, e.offset);
    }
    const e = this.inferred.get(name);
    if (e === undefined) this.inferred.set(name, { length: null, order: this.inferred.size });
    else if (typeof e.length === "number") throw this.err(node, `\`args.${name}\` is used both as a number and as an array.`, "use one form, or describe args in options.args.");
    else e.length = null;
    let p = this.provisional.get(name);
    if (p === undefined) { p = this.provisional.size; this.provisional.set(name, p); }
    return this.g.input(Op.P, p);
  }

  private argElement(name: string, i: number, node: any): number {
    if (this.fixed !== undefined && this.fixed.kind === "named") {
      const e = this.fixed.entries.find((x) => x.name === name)!;
      if (i >= e.length!) throw this.err(node, `index ${i} is out of range: args.${name} has ${e.length} entries (options.args).`, "check the index, or the length of the sample in options.args.");
      return this.g.input(Op.P, e.offset + i);
    }
    const e = this.inferred.get(name)!;
    if (e.length === null) throw this.err(node, `\`args.${name}\` is used both as a number and as an array.`, "use one form, or describe args in options.args.");
    e.length = Math.max(e.length ?? 0, i + 1);
    const key = `${name}[${i}]`;
    let p = this.provisional.get(key);
    if (p === undefined) { p = this.provisional.size; this.provisional.set(key, p); }
    return this.g.input(Op.P, p);
  }

  /** The value of `args.name`: a scalar parameter node, an array of parameters, or (inferring) a lazy reference. */
  private argMember(name: string, node: any): Val {
    this.setArgMode("named", node);
    this.checkArgName(name, node);
    if (this.fixed !== undefined && this.fixed.kind === "named") {
      const e = this.fixed.entries.find((x) => x.name === name);
      if (e !== undefined && e.length !== null) return { k: "argarr", name };
      return this.argScalar(name, node);
    }
    if (!this.inferred.has(name)) this.inferred.set(name, { length: undefined, order: this.inferred.size });
    let r = this.argRefs.get(name);
    if (r === undefined) this.argRefs.set(name, (r = { k: "argref", name }));
    return r;
  }
  private readonly argRefs = new Map<string, Val>();

  private argFlat(i: number, node: any): number {
    this.setArgMode("flat", node);
    if (this.fixed !== undefined && i >= this.fixed.size) {
      throw this.err(node, `index ${i} is out of range: the flat args vector has ${this.fixed.size} entries (options.args).`, "check the index or options.args.");
    }
    this.flatMax = Math.max(this.flatMax, i);
    return this.g.input(Op.P, i);
  }

  // ----- values ---------------------------------------------------------------------------------

  /** A value as a graph node (numbers only). */
  num(v: Val, node: any, what?: string): number {
    if (typeof v === "number") return v;
    if (v.k === "argref") return this.argScalar(v.name, node);
    const desc = v.k === "undef" ? "undefined" : v.k === "arr" ? "an array" : v.k === "str" ? `the string "${v.s}"` : v.k === "fn" ? "a function" : v.k === "y" ? "the state y" : v.k === "args" ? "args" : v.k === "argarr" ? `the array args.${v.name}` : v.k === "builtin" || v.k === "ns" ? "a built-in object or function" : "an object";
    throw this.err(node, `${what ?? `\`${this.text(node)}\``} is ${desc}, where a number is needed.`,
      v.k === "undef" ? "check that the variable is assigned on every path and that indices are in range." : "only numbers can take part in arithmetic and be outputs.");
  }

  /** The compile-time constant value of v, or undefined when it is not known at compile time. */
  private constOf(v: Val): number | undefined {
    return typeof v === "number" && this.g.op[v] === Op.CONST ? this.g.value[v] : undefined;
  }

  /** Converts a value from options.consts into a compile-time value. */
  private fromJS(x: unknown, node: any, name: string, open: Set<object> = new Set()): Val {
    if (typeof x === "number") return this.g.constant(x);
    if (typeof x === "boolean") return this.g.constant(x ? 1 : 0);
    if (typeof x === "string") return { k: "str", s: x };
    if (x === undefined || x === null) return UNDEF;
    if (typeof x === "object") {
      // `open`: the objects being converted around this one; meeting one again is a cycle.
      if (open.has(x)) {
        throw this.err(node, `options.consts.${name} refers back to an object that contains it (a cycle), which cannot be folded into code.`,
          "pass plain data without cycles in consts (numbers, strings, arrays and objects).");
      }
      open.add(x);
      let v: Val;
      if (ArrayBuffer.isView(x) || Array.isArray(x)) {
        const arr = x as ArrayLike<unknown>;
        const items: Val[] = [];
        for (let i = 0; i < arr.length; i++) items.push(this.fromJS(arr[i], node, `${name}[${i}]`, open));
        v = { k: "arr", items };
      } else {
        const props: Record<string, Val> = Object.create(null);
        for (const [k, p] of Object.entries(x)) props[k] = this.fromJS(p, node, `${name}.${k}`, open);
        v = { k: "obj", props };
      }
      open.delete(x);
      return v;
    }
    throw this.err(node, `options.consts.${name} is a ${typeof x}; consts may hold numbers, strings, booleans, arrays and plain objects.`,
      "write helper functions inside the vector field (they are inlined), not in consts.");
  }

  private truthy(v: Val): number | boolean {
    if (typeof v !== "number" && v.k === "argref") v = this.argScalar(v.name, null);
    if (typeof v === "number") {
      const c = this.constOf(v);
      return c === undefined ? v : !!c;
    }
    if (v.k === "undef") return false;
    if (v.k === "str") return v.s !== "";
    return true;
  }

  // ----- writes, branches -----------------------------------------------------------------------

  private write(c: any, key: string | number, v: Val): void {
    if (this.trail !== null) this.trail.push({ c, key, old: c[key] });
    c[key] = v;
  }

  /** Runs `a` and `b` as the two sides of a run-time condition and merges their writes into selects. */
  private branch<R>(cond: number, a: () => R, b: () => R, node: any, merge?: (x: R, y: R) => R): R {
    const saved = this.trail;
    const sideA = this.side(a);
    const sideB = this.side(b);
    this.trail = saved;
    return this.mergeSides(cond, sideA, sideB, node, merge);
  }

  private side<R>(f: () => R): { r: R; writes: Map<any, Map<string | number, Val | undefined>>; undo: Write[] } {
    this.trail = [];
    const r = f();
    const undo = this.trail;
    const writes = new Map<any, Map<string | number, Val | undefined>>();
    for (const w of undo) {
      let m = writes.get(w.c);
      if (m === undefined) writes.set(w.c, (m = new Map()));
      m.set(w.key, w.c[w.key]);
    }
    for (let i = undo.length - 1; i >= 0; i--) {
      const w = undo[i]!;
      if (w.old === undefined) delete w.c[w.key];
      else w.c[w.key] = w.old;
    }
    return { r, writes, undo };
  }

  private mergeSides<R>(cond: number, A: { r: R; writes: Map<any, Map<string | number, Val | undefined>> }, B: { r: R; writes: Map<any, Map<string | number, Val | undefined>> }, node: any, merge?: (x: R, y: R) => R): R {
    const cells = new Map<any, Set<string | number>>();
    for (const side of [A.writes, B.writes]) {
      for (const [c, m] of side) {
        let s = cells.get(c);
        if (s === undefined) cells.set(c, (s = new Set()));
        for (const k of m.keys()) s.add(k);
      }
    }
    for (const [c, keys] of cells) {
      for (const k of keys) {
        const ma = A.writes.get(c);
        const mb = B.writes.get(c);
        const cur = c === this.dyCells && c[k] === undefined ? this.dyFill.v : c[k];
        const va = ma !== undefined && ma.has(k) ? ma.get(k) ?? (c === this.dyCells ? this.dyFill.v : undefined) : cur;
        const vb = mb !== undefined && mb.has(k) ? mb.get(k) ?? (c === this.dyCells ? this.dyFill.v : undefined) : cur;
        const v = this.mergeVal(cond, va, vb, node, c === this.dyCells ? `dy[${k}]` : c === this.dyFill ? "dy" : undefined);
        this.write(c, k, v!);
      }
    }
    return merge ? merge(A.r, B.r) : A.r;
  }

  private mergeVal(cond: number, a: Val | undefined, b: Val | undefined, node: any, what?: string): Val | undefined {
    if (a === b) return a;
    // A parameter chosen at run time is a number.
    if (a !== undefined && typeof a !== "number" && a.k === "argref") a = this.argScalar(a.name, node);
    if (b !== undefined && typeof b !== "number" && b.k === "argref") b = this.argScalar(b.name, node);
    if (a === b) return a;
    if (typeof a === "number" && typeof b === "number") return this.g.node(Op.SELECT, cond, a, b);
    if (a !== undefined && b !== undefined && typeof a !== "number" && typeof b !== "number") {
      if (a.k === "undef" && b.k === "undef") return a;
      if (a.k === "arr" && b.k === "arr" && a.items.length === b.items.length) {
        return { k: "arr", items: a.items.map((x, i) => this.mergeVal(cond, x, b.items[i], node)!) };
      }
      if (a.k === "str" && b.k === "str" && a.s === b.s) return a;
    }
    if (a === undefined || b === undefined || (typeof a !== "number" && a.k === "undef") || (typeof b !== "number" && b.k === "undef")) {
      throw this.err(node, `${what ?? "a variable"} is assigned on only one side of a condition on run-time values, so it has no value on the other.`,
        `assign ${what ?? "it"} on both sides (if … else …), or before the condition.`);
    }
    throw this.err(node, "the two sides of a condition on run-time values give values of different kinds (only numbers can be selected at run time).",
      "make both sides produce numbers, or make the condition depend only on constants and loop indices.");
  }

  // ----- statements -----------------------------------------------------------------------------

  private declare(scope: Scope, name: string, val: Val, kind: Binding["kind"], node: any): void {
    if (kind === "var") {
      const fs = scope.functionScope();
      const b = fs.vars.get(name);
      if (b !== undefined) { this.write(b, "val", val); return; }
      fs.vars.set(name, { val, kind });
      return;
    }
    if (scope.vars.has(name) && scope.vars.get(name)!.kind !== "var") {
      throw this.err(node, `\`${name}\` is declared twice in the same block.`, "rename one of them.");
    }
    scope.vars.set(name, { val, kind });
  }

  private bindPattern(p: any, v: Val, scope: Scope, kind: Binding["kind"] | "assign"): void {
    switch (p.type) {
      case "Identifier":
        if (kind === "assign") this.assignName(p, v, scope);
        else this.declare(scope, p.name, v, kind, p);
        return;
      case "AssignmentPattern": {
        if (this.mayBeMissing(v)) throw this.missingArg(p, "a default value (`= …`)");
        const isUndef = typeof v !== "number" && v.k === "undef";
        this.bindPattern(p.left, isUndef ? this.expr(p.right, scope) : v, scope, kind);
        return;
      }
      case "ArrayPattern": {
        for (let i = 0; i < p.elements.length; i++) {
          const el = p.elements[i];
          if (el === null) continue;
          if (el.type === "RestElement") throw this.err(el, "rest elements (...rest) in destructuring are not supported.", "destructure the components you need by name, or index y[i] directly.");
          this.bindPattern(el, this.index(v, this.g.constant(i), el), scope, kind);
        }
        return;
      }
      case "ObjectPattern": {
        for (const prop of p.properties) {
          if (prop.type === "RestElement") throw this.err(prop, "rest properties (...rest) in destructuring are not supported.", "destructure the parameters you need by name.");
          const key = prop.computed ? this.propertyKey(this.expr(prop.key, scope), prop.key) : prop.key.type === "Identifier" ? prop.key.name : String(prop.key.value);
          this.bindPattern(prop.value, this.member(v, key, prop), scope, kind);
        }
        return;
      }
      case "MemberExpression":
        if (kind === "assign") { this.assignMember(p, v, scope); return; }
        throw this.err(p, "a property cannot be declared.", "declare a plain name.");
      default:
        throw this.err(p, `this binding form (${p.type}) is not supported.`, "use plain names, array or object destructuring.");
    }
  }

  /** Executes statements; `fnBody`: falling off the end returns undefined (enables early returns in run-time ifs). */
  private block(stmts: any[], scope: Scope, fnBody: boolean, from = 0): C {
    if (from === 0) this.hoist(stmts, scope);
    for (let i = from; i < stmts.length; i++) {
      const s = stmts[i];
      if (s.type === "IfStatement") {
        const cond = this.truthy(this.expr(s.test, scope));
        if (typeof cond === "boolean") {
          const c = cond ? this.stmt(s.consequent, scope) : s.alternate ? this.stmt(s.alternate, scope) : C.NORMAL;
          if (c !== C.NORMAL) return c;
          continue;
        }
        const c = this.runtimeIf(cond, s, scope, stmts, i, fnBody);
        if (c === "rest") return C.RETURN;
        if (c !== C.NORMAL) return c;
        continue;
      }
      const c = this.stmt(s, scope);
      if (c !== C.NORMAL) return c;
    }
    if (fnBody) { this.retVal = UNDEF; return C.RETURN; }
    return C.NORMAL;
  }

  /** An if/else on a run-time value. A side that returns makes the other side run the rest of the body. */
  private runtimeIf(cond: number, s: any, scope: Scope, stmts: any[], i: number, fnBody: boolean): C | "rest" {
    const saved = this.trail;
    const run = (n: any) => (n ? this.stmt(n, scope) : C.NORMAL);
    let ra: Val = UNDEF;
    let rb: Val = UNDEF;
    let sideA = this.side(() => { const c = run(s.consequent); ra = this.retVal; return c; });
    let sideB = this.side(() => { const c = run(s.alternate); rb = this.retVal; return c; });
    this.trail = saved;
    if (sideA.r === C.NORMAL && sideB.r === C.NORMAL) {
      this.mergeSides(cond, sideA, sideB, s);
      return C.NORMAL;
    }
    if (sideA.r === C.RETURN && sideB.r === C.RETURN) {
      this.mergeSides(cond, sideA, sideB, s);
      this.retVal = this.mergeVal(cond, ra, rb, s, "the returned value")!;
      return C.RETURN;
    }
    if (fnBody && (sideA.r === C.RETURN || sideB.r === C.RETURN) && (sideA.r === C.NORMAL || sideB.r === C.NORMAL)) {
      // Re-run the side that falls through together with the rest of the function body.
      const rest = () => { const c = this.block(stmts, scope, true, i + 1); return c; };
      if (sideA.r === C.NORMAL) sideA = this.side(() => { run(s.consequent); const c = rest(); ra = this.retVal; return c; });
      else sideB = this.side(() => { run(s.alternate); const c = rest(); rb = this.retVal; return c; });
      this.trail = saved;
      this.mergeSides(cond, sideA, sideB, s);
      this.retVal = this.mergeVal(cond, ra, rb, s, "the returned value")!;
      return "rest";
    }
    throw this.err(s, "`break`, `continue` or `return` inside an `if` on a run-time value is not supported here.",
      "compute the value with a ternary or a variable assigned in both branches, and return or break outside the condition.");
  }

  private hoist(stmts: any[], scope: Scope): void {
    for (const s of stmts) {
      if (s.type === "FunctionDeclaration") this.declare(scope, s.id.name, { k: "fn", node: s, scope }, "let", s);
    }
  }

  private stmt(s: any, scope: Scope): C {
    switch (s.type) {
      case "ExpressionStatement":
        this.expr(s.expression, scope);
        return C.NORMAL;
      case "VariableDeclaration":
        for (const d of s.declarations) {
          const v = d.init ? this.expr(d.init, scope) : UNDEF;
          if (!d.init && s.kind === "var" && d.id.type === "Identifier" && scope.lookup(d.id.name)?.kind === "var") continue;
          this.bindPattern(d.id, v, scope, s.kind);
        }
        return C.NORMAL;
      case "FunctionDeclaration":
      case "EmptyStatement":
        return C.NORMAL;
      case "ReturnStatement":
        this.retVal = s.argument ? this.expr(s.argument, scope) : UNDEF;
        this.lastReturn = s;
        return C.RETURN;
      case "BlockStatement":
        return this.block(s.body, new Scope(scope, false), false);
      case "IfStatement":
        return this.block([s], scope, false);
      case "ForStatement":
        return this.forLoop(s, scope);
      case "ForOfStatement":
        return this.forOf(s, scope);
      case "BreakStatement":
      case "ContinueStatement":
        if (s.label) throw this.err(s, "labelled break/continue is not supported.", "restructure the loop without labels.");
        return s.type === "BreakStatement" ? C.BREAK : C.CONTINUE;
      case "WhileStatement":
      case "DoWhileStatement":
        throw this.err(s, `\`${s.type === "WhileStatement" ? "while" : "do … while"}\` loops cannot be compiled (their trip count is not known at compile time).`,
          "use a for loop with a compile-time bound: for (let i = 0; i < N; i++) { … }.");
      case "ForInStatement":
        throw this.err(s, "`for … in` loops are not supported.", "loop over an array from options.consts with for … of, or over indices with a for loop.");
      default:
        throw this.err(s, `\`${s.type.replace(/Statement$/, "").toLowerCase()}\` statements are not supported in a compiled vector field.`,
          "use const/let, if/else, for loops with compile-time bounds, and return.");
    }
  }

  private countIteration(node: any): void {
    if (++this.unrolled > this.maxUnroll) {
      throw this.err(node, `loops unroll to more than ${this.maxUnroll} iterations in all.`, "reduce the problem size, or check the loop bound.");
    }
    this.checkSize(node);
  }

  /** Throws when the graph has grown past `options.maxNodes` (checked where work multiplies: loops, inlined calls). */
  private checkSize(node: any): void {
    if (this.g.size > this.maxNodes) {
      throw this.err(node, `the vector field grows beyond ${this.maxNodes} operations.`, "compile it explicitly with compile(f), which has no such limit.");
    }
  }

  /**
   * Whether a value comes straight from args (args itself, `args.k`, `args.W`, a parameter): such
   * a value may be missing (undefined) at run time, where compiled code, which reads every
   * parameter as a number, cannot tell it apart.
   */
  private mayBeMissing(v: Val): boolean {
    if (typeof v === "number") return this.g.op[v] === Op.P;
    return v.k === "args" || v.k === "argref" || v.k === "argarr";
  }

  private missingArg(node: any, what: string): CompileError {
    return this.err(node, `${what} on a value from args treats a missing parameter specially, which compiled code cannot do (it reads every parameter as a number).`,
      "pass every parameter in args and drop the default, or give fixed values in options.consts.");
  }

  private forLoop(s: any, outer: Scope): C {
    const scope = new Scope(outer, false);
    if (s.init) {
      if (s.init.type === "VariableDeclaration") this.stmt(s.init, scope);
      else this.expr(s.init, scope);
    }
    for (;;) {
      if (s.test) {
        const c = this.truthy(this.expr(s.test, scope));
        if (typeof c !== "boolean") {
          throw this.err(s.test, "this loop's bound depends on the state, t or args, so the loop cannot be unrolled at compile time.",
            "make the bound a constant (a literal, options.consts or options.n), and select on the run-time value inside the loop.");
        }
        if (!c) break;
      }
      this.countIteration(s);
      const body = new Scope(scope, false);
      const c = s.body.type === "BlockStatement" ? this.block(s.body.body, body, false) : this.block([s.body], body, false);
      if (c === C.BREAK) break;
      if (c === C.RETURN) return c;
      if (s.update) this.expr(s.update, scope);
    }
    return C.NORMAL;
  }

  private forOf(s: any, outer: Scope): C {
    const it = this.expr(s.right, outer);
    let items: Val[];
    if (typeof it !== "number" && it.k === "arr") items = it.items;
    else if (typeof it !== "number" && it.k === "y" && this.n !== undefined) items = Array.from({ length: this.n }, (_, i) => this.yNode(i, s.right));
    else throw this.err(s.right, "`for … of` needs an array known at compile time (from options.consts or a local array literal).", "pass the list in options.consts, or loop over indices with a for loop.");
    for (let i = 0; i < items.length; i++) {
      this.countIteration(s);
      const scope = new Scope(outer, false);
      const decl = s.left;
      if (decl.type === "VariableDeclaration") this.bindPattern(decl.declarations[0].id, items[i]!, scope, decl.kind);
      else this.bindPattern(decl, items[i]!, scope, "assign");
      const c = s.body.type === "BlockStatement" ? this.block(s.body.body, scope, false) : this.block([s.body], scope, false);
      if (c === C.BREAK) break;
      if (c === C.RETURN) return c;
    }
    return C.NORMAL;
  }

  // ----- expressions ----------------------------------------------------------------------------

  private yNode(i: number, node: any): number {
    if (i > this.maxY) { this.maxY = i; this.maxYNode = node; }
    if (this.n !== undefined && i >= this.n) {
      throw this.err(node, `the vector field reads y[${i}] but options.n = ${this.n}.`, `read only y[0] … y[${this.n - 1}], or correct options.n.`);
    }
    return this.g.input(Op.Y, i);
  }

  private readonly constCache = new Map<string, Val>();

  private lookup(node: any, scope: Scope): Val {
    const name: string = node.name;
    const b = scope.lookup(name);
    if (b !== undefined) {
      if (b.val === undefined) throw this.err(node, `\`${name}\` is used before it is assigned.`, "assign it first.");
      return b.val;
    }
    const consts = this.options.consts;
    if (consts !== undefined && Object.prototype.hasOwnProperty.call(consts, name)) {
      let v = this.constCache.get(name);
      if (v === undefined) this.constCache.set(name, (v = this.fromJS(consts[name], node, name)));
      return v;
    }
    switch (name) {
      case "undefined": return UNDEF;
      case "NaN": return this.g.constant(NaN);
      case "Infinity": return this.g.constant(Infinity);
      case "Math": return { k: "ns", name: "Math" };
      case "Number": return { k: "ns", name: "Number" };
      // esbuild's keepNames (and tsx) wrap local functions as __name(fn, "name"): an identity.
      case "__name": return { k: "builtin", name: "__name" };
    }
    if (name === "console" || name === "Date" || name === "performance" || name === "globalThis" || name === "window" || name === "crypto") {
      return { k: "builtin", name };
    }
    if (/^__(values|read|spread|spreadArray|spreadArrays|assign|rest|awaiter|generator)$/.test(name)) {
      throw this.err(node, `\`${name}\` is a helper that tsc emits for ES5 iteration, spread or object rest (downlevelIteration / importHelpers); it cannot be compiled.`,
        "compile the TypeScript with target ES2015 or later, or without downlevelIteration (plain for … of over arrays becomes an index loop), and avoid spreads.");
    }
    throw this.err(node, `\`${name}\` is a variable from outside the vector field (a closure variable); compiled code cannot see it.`,
      `pass \`${name}\` in \`consts\` or \`args\`: compile(fn, { consts: { ${name} } }) for a fixed value, or read it as args.${name} for a parameter.`);
  }

  private propertyKey(v: Val, node: any): string | number {
    if (typeof v !== "number" && v.k === "argref") v = this.argScalar(v.name, node);
    if (typeof v === "number") {
      const c = this.constOf(v);
      if (c === undefined) {
        throw this.err(node, `the index \`${this.text(node)}\` depends on the state, t or args, so it is not known at compile time.`,
          "index with constants or loop counters; to pick between values at run time use a ternary or if/else.");
      }
      return c;
    }
    if (v.k === "str") return v.s;
    throw this.err(node, `\`${this.text(node)}\` cannot be used as an index or key.`, "use a number or a string known at compile time.");
  }

  private index(obj: Val, key: Val, node: any): Val {
    return this.member(obj, this.propertyKey(key, node.property ?? node), node);
  }

  /** Reads property `key` of a compile-time value. */
  private member(obj: Val, key: string | number, node: any): Val {
    if (typeof obj === "number") {
      throw this.err(node, `\`${this.text(node)}\` reads a property of a number.`, "only arrays and objects known at compile time have properties.");
    }
    const isIndex = typeof key === "number";
    switch (obj.k) {
      case "y":
        if (key === "length") {
          if (this.n === undefined) throw this.err(node, "`y.length` is used but the number of state components is not known at compile time.", "pass options.n.");
          return this.g.constant(this.n);
        }
        if (isIndex && Number.isInteger(key) && key >= 0) return this.yNode(key, node);
        throw this.err(node, `\`${this.text(node)}\` is not a component of y${typeof key === "string" ? ` (y.${key} is not supported)` : ""}.`,
          typeof key === "string" ? "read components y[i] with indices known at compile time; array methods (map, reduce, …) cannot be compiled, use a for loop." : "use a whole index ≥ 0.");
      case "dy": {
        this.dyUsed = true;
        if (key === "length") {
          if (this.n === undefined) throw this.err(node, "`dy.length` is used but the number of state components is not known at compile time.", "pass options.n.");
          return this.g.constant(this.n);
        }
        if (key === "fill") return { k: "builtin", name: "dy.fill" };
        if (isIndex && Number.isInteger(key) && key >= 0) {
          const v = this.dyCells[key] ?? this.dyFill.v;
          if (v === undefined) throw this.err(node, `dy[${key}] is read before it is written (dy holds arbitrary values on entry).`, `write dy[${key}] first, or call dy.fill(0) at the start.`);
          return v;
        }
        throw this.err(node, `\`${this.text(node)}\` is not supported on dy.`, "write components dy[i] = …; array methods cannot be compiled.");
      }
      case "args":
        if (isIndex) return this.argFlat(key, node);
        return this.argMember(key, node);
      case "argref":
      case "argarr":
        if (key === "length") {
          if (this.fixed === undefined) throw this.err(node, `\`args.${obj.name}.length\` is used but the length of args.${obj.name} is not known at compile time.`, `pass a sample in options.args: compile(fn, { args: { ${obj.name}: new Float64Array(m), … } }).`);
          const e = (this.fixed as unknown as { entries: { name: string; length: number | null }[] }).entries.find((x) => x.name === obj.name);
          if (e === undefined || e.length === null) throw this.err(node, `args.${obj.name} is not an array in options.args.`, "check options.args.");
          return this.g.constant(e.length);
        }
        if (isIndex && Number.isInteger(key) && key >= 0) return this.argElement(obj.name, key, node);
        throw this.err(node, `\`${this.text(node)}\` is not an element of args.${obj.name}.`, "index it with a whole number known at compile time.");
      case "arr":
        if (key === "length") return this.g.constant(obj.items.length);
        if (isIndex) {
          const v = obj.items[key];
          if (v === undefined) throw this.err(node, `index ${key} is out of range (the array has ${obj.items.length} entries).`, "check the index.");
          return v;
        }
        return { k: "builtin", name: `array.${key}`, self: obj };
      case "obj": {
        const v = obj.props[String(key)];
        if (v === undefined) throw this.err(node, `the object has no property \`${key}\`.`, "check the name (compile-time objects come from options.consts or literals).");
        return v;
      }
      case "str":
        if (key === "length") return this.g.constant(obj.s.length);
        throw this.err(node, `\`${this.text(node)}\` is not supported on a string.`, "strings can only be compared and used as keys.");
      case "ns": {
        const c = typeof key === "string" ? (obj.name === "Math" ? MATH_CONSTANTS : NUMBER_CONSTANTS).get(key) : undefined;
        if (c !== undefined) return this.g.constant(c);
        return { k: "builtin", name: `${obj.name}.${key}` };
      }
      case "builtin":
        return { k: "builtin", name: `${obj.name}.${key}` };
      default:
        throw this.err(node, `\`${this.text(node)}\`: ${obj.k === "undef" ? "undefined has no properties" : "this value has no properties"}.`, "check the expression.");
    }
  }

  private memberOf(e: any, scope: Scope): Val {
    const obj = this.expr(e.object, scope);
    if (e.optional) throw this.err(e, "optional chaining (?.) is not supported.", "use plain property access.");
    const key: string | number = e.computed ? this.propertyKey(this.expr(e.property, scope), e.property) : e.property.name;
    return this.member(obj, key, e);
  }

  expr(e: any, scope: Scope): Val {
    const g = this.g;
    switch (e.type) {
      case "Literal":
        if (typeof e.value === "number") return g.constant(e.value);
        if (typeof e.value === "string") return { k: "str", s: e.value };
        if (typeof e.value === "boolean") return g.constant(e.value ? 1 : 0);
        if (e.value === null) return UNDEF;
        throw this.err(e, "this literal is not supported.", "use numbers.");
      case "Identifier":
        return this.lookup(e, scope);
      case "MemberExpression":
        return this.memberOf(e, scope);
      case "ChainExpression":
        throw this.err(e, "optional chaining (?.) is not supported.", "use plain property access.");
      case "UnaryExpression": {
        if (e.operator === "typeof" || e.operator === "delete") throw this.err(e, `\`${e.operator}\` is not supported.`, "remove it.");
        const v = this.expr(e.argument, scope);
        if (e.operator === "void") return UNDEF;
        if (e.operator === "!") {
          const t = this.truthy(v);
          return typeof t === "boolean" ? g.constant(t ? 0 : 1) : g.node(Op.NOT, t);
        }
        const x = this.num(v, e.argument);
        if (e.operator === "-") return g.neg(x);
        if (e.operator === "+") return x;
        if (e.operator === "~") return this.constOnly(e, (a) => ~a, x);
        throw this.err(e, `the operator \`${e.operator}\` is not supported.`, "use arithmetic operators.");
      }
      case "BinaryExpression":
        return this.binaryChain(e, scope);
      case "LogicalExpression":
        return this.logical(e, scope);
      case "ConditionalExpression": {
        const c = this.truthy(this.expr(e.test, scope));
        if (typeof c === "boolean") return this.expr(c ? e.consequent : e.alternate, scope);
        return this.branch(c, () => this.expr(e.consequent, scope), () => this.expr(e.alternate, scope), e,
          (a, b) => this.mergeVal(c, a, b, e, "the value of `?:`")!);
      }
      case "AssignmentExpression":
        return this.assign(e, scope);
      case "UpdateExpression": {
        const old = this.num(this.expr(e.argument, scope), e.argument);
        const nv = e.operator === "++" ? g.add(old, g.constant(1)) : g.sub(old, g.constant(1));
        this.assignTarget(e.argument, nv, scope);
        return e.prefix ? nv : old;
      }
      case "SequenceExpression": {
        let v: Val = UNDEF;
        for (const x of e.expressions) v = this.expr(x, scope);
        return v;
      }
      case "ArrayExpression": {
        const items: Val[] = [];
        for (const el of e.elements) {
          if (el === null) items.push(UNDEF);
          else if (el.type === "SpreadElement") {
            const v = this.expr(el.argument, scope);
            if (typeof v === "number" || v.k !== "arr") throw this.err(el, "only arrays known at compile time can be spread.", "list the elements explicitly.");
            items.push(...v.items);
          } else items.push(this.expr(el, scope));
        }
        return { k: "arr", items };
      }
      case "ObjectExpression": {
        const props: Record<string, Val> = Object.create(null);
        for (const p of e.properties) {
          if (p.type === "SpreadElement") throw this.err(p, "object spread is not supported.", "list the properties explicitly.");
          const key = p.computed ? String(this.propertyKey(this.expr(p.key, scope), p.key)) : p.key.type === "Identifier" ? p.key.name : String(p.key.value);
          props[key] = this.expr(p.value, scope);
        }
        return { k: "obj", props };
      }
      case "ArrowFunctionExpression":
      case "FunctionExpression":
        if (e.async || e.generator) throw this.err(e, `${e.async ? "async" : "generator"} functions cannot be compiled.`, "use a plain helper function.");
        return { k: "fn", node: e, scope };
      case "CallExpression":
        return this.call(e, scope);
      case "TemplateLiteral": {
        let s = e.quasis[0].value.cooked;
        for (let i = 0; i < e.expressions.length; i++) {
          const v = this.expr(e.expressions[i], scope);
          const c = typeof v === "number" ? this.constOf(v) : v.k === "str" ? v.s : undefined;
          if (c === undefined) throw this.err(e.expressions[i], "template literals may only contain values known at compile time.", "use constants.");
          s += String(c) + e.quasis[i + 1].value.cooked;
        }
        return { k: "str", s };
      }
      case "ThisExpression":
        throw this.err(e, "`this` cannot be used in a compiled vector field.", "pass what you need through args or options.consts.");
      case "NewExpression":
        throw this.err(e, "`new` cannot be used in a compiled vector field (it allocates).", "use local arrays ([0, 0, 0]) for temporaries, or write into dy directly.");
      case "AwaitExpression":
      case "YieldExpression":
        throw this.err(e, `\`${e.type === "AwaitExpression" ? "await" : "yield"}\` cannot be used in a compiled vector field.`, "write a plain synchronous function.");
      default:
        throw this.err(e, `this expression (${e.type}) is not supported in a compiled vector field.`, "use arithmetic, Math functions, ternaries and local helper functions.");
    }
  }

  private constOnly(e: any, f: (a: number, b: number) => number, a: number, b?: number): number {
    const ca = this.constOf(a);
    const cb = b === undefined ? 0 : this.constOf(b);
    if (ca === undefined || cb === undefined) {
      throw this.err(e, `the bitwise operator \`${e.operator}\` is only supported on compile-time constants.`, "use Math.trunc / Math.floor and arithmetic on run-time values.");
    }
    return this.g.constant(f(ca, cb));
  }

  /**
   * A binary expression and the binary expressions down its left operand (`a + b + c + …` is a
   * left-deep tree), evaluated in a loop rather than by recursion, so that a flat sum of any
   * length lowers in constant stack. Operands are evaluated left to right, as JavaScript does.
   */
  private binaryChain(e: any, scope: Scope): Val {
    const spine: any[] = [];
    let node = e;
    while (node.type === "BinaryExpression") {
      spine.push(node);
      node = node.left;
    }
    let v = this.expr(node, scope);
    for (let i = spine.length - 1; i >= 0; i--) {
      const b = spine[i];
      v = this.binary(b, v, this.expr(b.right, scope));
    }
    return v;
  }

  private binary(e: any, l: Val, r: Val): Val {
    const g = this.g;
    const op: string = e.operator;
    // A parameter whose kind is not known yet (first pass of an inferred layout) takes part in
    // arithmetic or a comparison as a number: `args.k === t` is decided at run time, never as
    // "an object is not a number" at compile time (which made the two passes disagree).
    if (typeof l !== "number" && l.k === "argref") l = this.argScalar(l.name, e.left);
    if (typeof r !== "number" && r.k === "argref") r = this.argScalar(r.name, e.right);
    // Compile-time strings: comparison and concatenation.
    if ((typeof l !== "number" && l.k === "str") || (typeof r !== "number" && r.k === "str")) {
      const sv = (v: Val): string | number | undefined => typeof v === "number" ? this.constOf(v) : v.k === "str" ? v.s : undefined;
      const a = sv(l);
      const b = sv(r);
      if (a !== undefined && b !== undefined) {
        if (op === "+") return { k: "str", s: String(a) + String(b) };
        if (op === "===" || op === "==") return g.constant(a === b ? 1 : 0);
        if (op === "!==" || op === "!=") return g.constant(a !== b ? 1 : 0);
      }
      throw this.err(e, `\`${op}\` on strings is not supported here.`, "strings can only be compared or joined at compile time.");
    }
    if ((op === "===" || op === "!==" || op === "==" || op === "!=") && (typeof l !== "number" || typeof r !== "number")) {
      // Comparisons with undefined, arrays and objects are known at compile time (unless a value
      // from args is compared with undefined: it may be missing at run time).
      const isUndef = (v: Val): boolean => typeof v !== "number" && v.k === "undef";
      if ((isUndef(l) && this.mayBeMissing(r)) || (isUndef(r) && this.mayBeMissing(l))) throw this.missingArg(e, "a comparison with undefined or null");
      const same = l === r || (typeof l !== "number" && typeof r !== "number" && l.k === "undef" && r.k === "undef");
      return g.constant((op === "===" || op === "==") === same ? 1 : 0);
    }
    const a = this.num(l, e.left);
    const b = this.num(r, e.right);
    switch (op) {
      case "+": return g.add(a, b);
      case "-": return g.sub(a, b);
      case "*": return g.mul(a, b);
      case "/": return g.div(a, b);
      case "%": return g.node(Op.MOD, a, b);
      case "**": return g.node(Op.POW, a, b);
      case "<": return g.node(Op.LT, a, b);
      case "<=": return g.node(Op.LE, a, b);
      case ">": return g.node(Op.GT, a, b);
      case ">=": return g.node(Op.GE, a, b);
      case "===": case "==": return g.node(Op.EQ, a, b);
      case "!==": case "!=": return g.node(Op.NE, a, b);
      case "|": return this.constOnly(e, (x, y) => x | y, a, b);
      case "&": return this.constOnly(e, (x, y) => x & y, a, b);
      case "^": return this.constOnly(e, (x, y) => x ^ y, a, b);
      case "<<": return this.constOnly(e, (x, y) => x << y, a, b);
      case ">>": return this.constOnly(e, (x, y) => x >> y, a, b);
      case ">>>": return this.constOnly(e, (x, y) => x >>> y, a, b);
      default:
        throw this.err(e, `the operator \`${op}\` is not supported.`, "use arithmetic and comparison operators.");
    }
  }

  private logical(e: any, scope: Scope): Val {
    const l = this.expr(e.left, scope);
    if (e.operator === "??") {
      if (this.mayBeMissing(l)) throw this.missingArg(e, "`??`");
      if (typeof l === "number" || l.k !== "undef") return l;
      return this.expr(e.right, scope);
    }
    const c = this.truthy(l);
    if (typeof c === "boolean") {
      if (e.operator === "&&") return c ? this.expr(e.right, scope) : l;
      return c ? l : this.expr(e.right, scope);
    }
    // a && b = a ? b : a;  a || b = a ? a : b — the right side only runs under its condition.
    const a = c;
    return e.operator === "&&"
      ? this.branch(a, () => this.expr(e.right, scope), () => l, e, (x, y) => this.mergeVal(a, x, y, e, "the value of `&&`")!)
      : this.branch(a, () => l, () => this.expr(e.right, scope), e, (x, y) => this.mergeVal(a, x, y, e, "the value of `||`")!);
  }

  private assign(e: any, scope: Scope): Val {
    const op: string = e.operator;
    let v: Val;
    if (op === "=") v = this.expr(e.right, scope);
    else if (op === "&&=" || op === "||=" || op === "??=") {
      throw this.err(e, `\`${op}\` is not supported.`, "write the assignment with a ternary.");
    } else {
      const cur = this.expr(e.left, scope);
      v = this.binary({ ...e, operator: op.slice(0, -1), left: e.left, right: e.right }, cur, this.expr(e.right, scope));
    }
    if (e.left.type === "ArrayPattern" || e.left.type === "ObjectPattern") this.bindPattern(e.left, v, scope, "assign");
    else this.assignTarget(e.left, v, scope);
    return v;
  }

  private assignTarget(target: any, v: Val, scope: Scope): void {
    if (target.type === "Identifier") this.assignName(target, v, scope);
    else if (target.type === "MemberExpression") this.assignMember(target, v, scope);
    else throw this.err(target, "this assignment target is not supported.", "assign to a variable or to dy[i].");
  }

  private assignName(target: any, v: Val, scope: Scope): void {
    const b = scope.lookup(target.name);
    if (b === undefined) {
      throw this.err(target, `\`${target.name}\` is assigned but not declared here (a closure variable, or a global).`,
        `declare it inside the vector field with let, or pass a fixed value in \`consts\`.`);
    }
    if (b.kind === "const") throw this.err(target, `\`${target.name}\` is a const and cannot be reassigned.`, "declare it with let.");
    if (b.kind === "param" && typeof b.val !== "number" && (b.val.k === "y" || b.val.k === "args" || b.val.k === "dy")) {
      throw this.err(target, `assignment to the parameter \`${target.name}\` (${b.val.k}) is not allowed.`, "the inputs are read-only; use a local variable.");
    }
    this.write(b, "val", v);
  }

  private assignMember(target: any, v: Val, scope: Scope): void {
    const obj = this.expr(target.object, scope);
    const key = target.computed ? this.propertyKey(this.expr(target.property, scope), target.property) : target.property.name;
    if (typeof obj === "number") throw this.err(target, "cannot assign a property of a number.", "assign to a variable or dy[i].");
    switch (obj.k) {
      case "dy": {
        this.dyUsed = true;
        if (typeof key !== "number" || !Number.isInteger(key) || key < 0) throw this.err(target, `\`${this.text(target)}\` is not a component of dy.`, "write dy[i] with a whole index known at compile time.");
        if (this.n !== undefined && key >= this.n) {
          throw this.err(target, `the vector field writes dy[${key}] but options.n = ${this.n}: its output has the wrong length.`, `write only dy[0] … dy[${this.n - 1}], or correct options.n.`);
        }
        this.num(v, target, `the value written to dy[${key}]`);
        this.dyWriteNode[key] ??= target;
        this.write(this.dyCells, key, v);
        return;
      }
      case "y":
      case "args":
      case "argarr":
      case "argref":
        throw this.err(target, `assignment to ${obj.k === "y" ? "y" : "args"} is not allowed (the inputs are read-only).`, "copy the value into a local variable, or write the derivative into dy.");
      case "arr":
        if (typeof key !== "number" || !Number.isInteger(key) || key < 0) throw this.err(target, "only whole indices can be assigned in a local array.", "use arr[i] = … with i known at compile time.");
        while (obj.items.length < key) this.write(obj.items, obj.items.length, UNDEF);
        this.write(obj.items, key, v);
        return;
      case "obj":
        this.write(obj.props, String(key), v);
        return;
      default:
        throw this.err(target, `\`${this.text(target)}\` cannot be assigned.`, "assign to a local variable, a local array element, or dy[i].");
    }
  }

  private call(e: any, scope: Scope): Val {
    const callee = this.expr(e.callee, scope);
    const argNodes: any[] = e.arguments;
    const evalArgs = (): Val[] => {
      const out: Val[] = [];
      for (const a of argNodes) {
        if (a.type === "SpreadElement") {
          const v = this.expr(a.argument, scope);
          if (typeof v === "number" || v.k !== "arr") throw this.err(a, "only arrays known at compile time can be spread into a call.", "pass the arguments explicitly.");
          out.push(...v.items);
        } else out.push(this.expr(a, scope));
      }
      return out;
    };
    if (typeof callee === "number") throw this.err(e.callee, `\`${this.text(e.callee)}\` is a number, not a function.`, "check the call.");
    if (callee.k === "fn") return this.inline(callee, evalArgs(), e);
    if (callee.k === "builtin") {
      const name = callee.name;
      if (NONDETERMINISTIC.has(name)) {
        throw this.err(e, `\`${name}()\` is not deterministic, so it cannot be part of a vector field (solvers and derivatives assume f is a function of t, y and args).`,
          "for noise use an SDE (a ControlTerm with a Brownian motion); pass fixed random values through args or options.consts.");
      }
      if (name.startsWith("Math.")) {
        const fn = name.slice(5);
        const xs = evalArgs().map((v, i) => this.num(v, argNodes[i] ?? e));
        const u = MATH_UNARY.get(fn);
        if (u !== undefined) {
          if (xs.length < 1) throw this.err(e, `\`${name}\` needs an argument.`, "pass one.");
          return this.g.node(u, xs[0]!);
        }
        const b = MATH_BINARY.get(fn);
        if (b !== undefined) {
          if (fn === "min" || fn === "max" || fn === "hypot") {
            if (xs.length === 0) return this.g.constant(fn === "min" ? Infinity : fn === "max" ? -Infinity : 0);
            if (xs.length === 1) return fn === "hypot" ? this.g.node(Op.ABS, xs[0]!) : xs[0]!;
            let acc = xs[0]!;
            for (let i = 1; i < xs.length; i++) acc = this.g.node(b, acc, xs[i]!);
            return acc;
          }
          if (xs.length < 2) throw this.err(e, `\`${name}\` needs two arguments.`, "pass two.");
          return this.g.node(b, xs[0]!, xs[1]!);
        }
        throw this.err(e.callee, `\`${name}\` is not a Math function the compiler knows.`, `use one of Math.${mathFunctionList().replace(/, /g, ", Math.")}.`);
      }
      if (name === "__name") return evalArgs()[0] ?? UNDEF;
      if (name === "dy.fill") {
        const xs = evalArgs();
        if (argNodes.length !== 1) throw this.err(e, "dy.fill is only supported with one argument (the whole array).", "call dy.fill(0), or assign the components.");
        const v = this.num(xs[0]!, argNodes[0]);
        for (const k of Object.keys(this.dyCells)) this.write(this.dyCells, Number(k), v);
        this.write(this.dyFill, "v", v);
        return { k: "dy" };
      }
      if (name === "Number.isFinite" || name === "Number.isNaN") {
        const x = this.num(evalArgs()[0] ?? UNDEF, argNodes[0] ?? e);
        const g = this.g;
        return name === "Number.isNaN" ? g.node(Op.NE, x, x) : g.node(Op.LT, g.node(Op.ABS, x), g.constant(Infinity));
      }
      throw this.err(e, `\`${this.text(e.callee)}(…)\` cannot be compiled: only Math functions and local helper functions can be called.`,
        name.startsWith("array.") || name.startsWith("console") ? `${name.startsWith("console") ? "remove the logging call" : "replace the array method with a for loop"}; compiled code is straight-line arithmetic.`
          : "write the computation with arithmetic and Math functions, or as a local helper function.");
    }
    throw this.err(e.callee, `\`${this.text(e.callee)}\` is not a function that can be compiled.`,
      "only Math functions and local helper functions (defined inside the vector field) can be called.");
  }

  /** Inlines a call of a local helper function. */
  private inline(f: { node: any; scope: Scope }, args: Val[], call: any): Val {
    const fn = f.node;
    if (this.active.has(fn)) {
      throw this.err(call, `\`${this.text(call.callee)}\` calls itself (recursion), which cannot be inlined.`, "write the recursion as a for loop with a compile-time bound.");
    }
    this.checkSize(call);
    this.active.add(fn);
    const savedRet = this.retVal;
    try {
      const scope = new Scope(f.scope, true);
      for (let i = 0; i < fn.params.length; i++) {
        const p = fn.params[i];
        if (p.type === "RestElement") {
          this.bindPattern(p.argument, { k: "arr", items: args.slice(i) }, scope, "param");
          break;
        }
        this.bindPattern(p, args[i] ?? UNDEF, scope, "param");
      }
      if (fn.body.type !== "BlockStatement") return this.expr(fn.body, scope);
      const c = this.block(fn.body.body, scope, true);
      return c === C.RETURN ? this.retVal : UNDEF;
    } finally {
      // The return value has been read above; restore the caller's.
      this.active.delete(fn);
      this.retVal = savedRet;
    }
  }
}
