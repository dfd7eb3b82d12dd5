/**
 * A small WebAssembly binary encoder: just enough of the format (WebAssembly Core Specification
 * 2.0, §5 "Binary Format", with the fixed-width SIMD proposal merged into it) to emit the
 * generated kernels of odeflow's WebAssembly backend from TypeScript at run time, with no
 * dependency and no build step.
 *
 * A module has one imported memory, imported functions, and defined functions with their
 * exports. Function bodies are written with {@link Code}, an instruction emitter whose methods
 * are named after the instructions (`f64x2Add`, `v128Load`, …) and append their encodings.
 * Validation is the engine's: `new WebAssembly.Module(bytes)` rejects a malformed module with a
 * CompileError naming the offset.
 */

/** Value types (§5.3.1). */
export const enum ValType {
  I32 = 0x7f,
  F64 = 0x7c,
  V128 = 0x7b,
}

/** Block type of a block, loop or if with no result. */
const EMPTY_BLOCK = 0x40;

/** A byte buffer with the LEB128 encodings of §5.2.2. */
class Bytes {
  readonly data: number[] = [];

  get length(): number {
    return this.data.length;
  }

  byte(b: number): void {
    this.data.push(b);
  }

  bytes(bs: ArrayLike<number>): void {
    for (let i = 0; i < bs.length; i++) this.data.push(bs[i]!);
  }

  /** Unsigned LEB128 of a non-negative integer < 2³². */
  u32(v: number): void {
    do {
      let b = v & 0x7f;
      v >>>= 7;
      if (v !== 0) b |= 0x80;
      this.byte(b);
    } while (v !== 0);
  }

  /** Signed LEB128 of a 32-bit integer. */
  i32(v: number): void {
    v |= 0;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
        this.byte(b);
        return;
      }
      this.byte(b | 0x80);
    }
  }

  /** An IEEE 754 double, little-endian. */
  f64(x: number): void {
    F64_SCRATCH[0] = x;
    this.bytes(F64_BYTES);
  }

  name(s: string): void {
    const utf8 = new TextEncoder().encode(s);
    this.u32(utf8.length);
    this.bytes(utf8);
  }

  view(): Uint8Array {
    return Uint8Array.from(this.data);
  }
}

/** The unsigned LEB128 encoding of v (for tests). */
export function leb128U32(v: number): number[] {
  const b = new Bytes();
  b.u32(v);
  return Array.from(b.view());
}

/** The signed LEB128 encoding of v (for tests). */
export function leb128I32(v: number): number[] {
  const b = new Bytes();
  b.i32(v);
  return Array.from(b.view());
}

const F64_SCRATCH = new Float64Array(1);
const F64_BYTES = new Uint8Array(F64_SCRATCH.buffer);
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** Prefix byte of the SIMD instructions (§5.4.8). */
const SIMD = 0xfd;

/**
 * The instructions of one function body. Locals are declared through {@link Code.local} and
 * numbered after the parameters.
 */
export class Code {
  private readonly out = new Bytes();
  private readonly localTypes: ValType[] = [];

  /** @param paramCount number of parameters of the function (locals are numbered after them) */
  constructor(private readonly paramCount: number) {}

  /** Declares a local of type `t` and returns its index. */
  local(t: ValType): number {
    this.localTypes.push(t);
    return this.paramCount + this.localTypes.length - 1;
  }

  /** The locals declaration and the body, as a function's code entry (§5.5.13), without its size. */
  encodeBody(): Uint8Array {
    const b = new Bytes();
    // Run-length groups of equal types.
    const groups: [number, ValType][] = [];
    for (const t of this.localTypes) {
      const last = groups[groups.length - 1];
      if (last !== undefined && last[1] === t) last[0]++;
      else groups.push([1, t]);
    }
    b.u32(groups.length);
    for (const [count, t] of groups) {
      b.u32(count);
      b.byte(t);
    }
    b.bytes(this.out.view());
    b.byte(0x0b); // end of the function
    return b.view();
  }

  // ---- control (§5.4.1) ----
  block(): this { this.out.byte(0x02); this.out.byte(EMPTY_BLOCK); return this; }
  loop(): this { this.out.byte(0x03); this.out.byte(EMPTY_BLOCK); return this; }
  if(): this { this.out.byte(0x04); this.out.byte(EMPTY_BLOCK); return this; }
  end(): this { this.out.byte(0x0b); return this; }
  br(depth: number): this { this.out.byte(0x0c); this.out.u32(depth); return this; }
  brIf(depth: number): this { this.out.byte(0x0d); this.out.u32(depth); return this; }
  call(func: number): this { this.out.byte(0x10); this.out.u32(func); return this; }
  drop(): this { this.out.byte(0x1a); return this; }

  // ---- variables (§5.4.4) ----
  localGet(i: number): this { this.out.byte(0x20); this.out.u32(i); return this; }
  localSet(i: number): this { this.out.byte(0x21); this.out.u32(i); return this; }
  localTee(i: number): this { this.out.byte(0x22); this.out.u32(i); return this; }

  // ---- memory (§5.4.6); `align` is log2 of the byte alignment hint ----
  i32Load(offset = 0): this { return this.mem(0x28, 2, offset); }
  f64Load(offset = 0): this { return this.mem(0x2b, 3, offset); }
  i32Store(offset = 0): this { return this.mem(0x36, 2, offset); }
  f64Store(offset = 0): this { return this.mem(0x39, 3, offset); }
  private mem(op: number, align: number, offset: number): this {
    this.out.byte(op);
    this.out.u32(align);
    this.out.u32(offset);
    return this;
  }

  // ---- numeric (§5.4.7) ----
  i32Const(v: number): this { this.out.byte(0x41); this.out.i32(v); return this; }
  f64Const(x: number): this {
    this.out.byte(0x44);
    this.out.f64(x);
    return this;
  }
  i32Eqz(): this { this.out.byte(0x45); return this; }
  i32LtU(): this { this.out.byte(0x49); return this; }
  i32Add(): this { this.out.byte(0x6a); return this; }
  i32And(): this { this.out.byte(0x71); return this; }
  i32Shl(): this { this.out.byte(0x74); return this; }
  i32ShrU(): this { this.out.byte(0x76); return this; }
  f64Gt(): this { this.out.byte(0x64); return this; }
  f64Abs(): this { this.out.byte(0x99); return this; }
  f64Sqrt(): this { this.out.byte(0x9f); return this; }
  f64Add(): this { this.out.byte(0xa0); return this; }
  f64Sub(): this { this.out.byte(0xa1); return this; }
  f64Mul(): this { this.out.byte(0xa2); return this; }
  f64Div(): this { this.out.byte(0xa3); return this; }
  f64Max(): this { this.out.byte(0xa5); return this; }
  f64ConvertI32U(): this { this.out.byte(0xb8); return this; }
  select(): this { this.out.byte(0x1b); return this; }

  /** An instruction of one opcode byte and no immediates (§5.4), by number. */
  op(opcode: number): this {
    this.out.byte(opcode);
    return this;
  }

  // ---- SIMD (§5.4.8) ----
  /** A SIMD instruction with no immediates (0xFD prefix, then the opcode), by number. */
  simd(op: number): this {
    this.out.byte(SIMD);
    this.out.u32(op);
    return this;
  }
  v128Load(offset = 0): this { this.simd(0x00); this.out.u32(4); this.out.u32(offset); return this; }
  v128Store(offset = 0): this { this.simd(0x0b); this.out.u32(4); this.out.u32(offset); return this; }
  /** v128.const with both f64 lanes equal to x. */
  f64x2Const(x: number, y: number = x): this {
    this.simd(0x0c);
    this.out.f64(x);
    this.out.f64(y);
    return this;
  }
  f64x2Splat(): this { return this.simd(0x14); }
  f64x2ExtractLane(lane: 0 | 1): this { this.simd(0x21); this.out.byte(lane); return this; }
  /** The lane-index immediate of the instruction just written (replace_lane). */
  lane(lane: 0 | 1): this { this.out.byte(lane); return this; }
  f64x2Abs(): this { return this.simd(0xec); }
  f64x2Add(): this { return this.simd(0xf0); }
  f64x2Mul(): this { return this.simd(0xf2); }
  f64x2Div(): this { return this.simd(0xf3); }
  f64x2Max(): this { return this.simd(0xf5); }
  f64x2Pmax(): this { return this.simd(0xf7); }

  /** Number of bytes of instructions so far. */
  get size(): number {
    return this.out.length;
  }
}

interface FuncType {
  params: readonly ValType[];
  results: readonly ValType[];
}

/**
 * A module under construction: one imported memory (`env.memory`), imported functions, then
 * defined functions (indices continue after the imports), and exports.
 *
 * @example
 * ```ts
 * const m = new ModuleBuilder();
 * const c = new Code(2);
 * c.localGet(0).localGet(1).f64Add();
 * m.export("add", m.func([ValType.F64, ValType.F64], [ValType.F64], c));
 * const inst = new WebAssembly.Instance(new WebAssembly.Module(m.encode()), { env: { memory } });
 * ```
 */
export class ModuleBuilder {
  private readonly types: FuncType[] = [];
  private readonly typeKeys = new Map<string, number>();
  private readonly imports: { module: string; name: string; type: number }[] = [];
  private readonly funcs: { type: number; code: Code }[] = [];
  private readonly exports: { name: string; func: number }[] = [];

  private typeIndex(params: readonly ValType[], results: readonly ValType[]): number {
    const key = `${params.join(",")}>${results.join(",")}`;
    let i = this.typeKeys.get(key);
    if (i === undefined) {
      i = this.types.length;
      this.types.push({ params, results });
      this.typeKeys.set(key, i);
    }
    return i;
  }

  /** Imports a function; all imports must come before the first defined function. */
  importFunc(module: string, name: string, params: readonly ValType[], results: readonly ValType[]): number {
    if (this.funcs.length > 0) throw new Error("ModuleBuilder: import functions before defining any.");
    this.imports.push({ module, name, type: this.typeIndex(params, results) });
    return this.imports.length - 1;
  }

  /** Declares a function whose body is written later into `code`; returns its index. */
  func(params: readonly ValType[], results: readonly ValType[], code: Code): number {
    this.funcs.push({ type: this.typeIndex(params, results), code });
    return this.imports.length + this.funcs.length - 1;
  }

  export(name: string, func: number): void {
    this.exports.push({ name, func });
  }

  /** The module's binary encoding. */
  encode(): Uint8Array {
    if (!LITTLE_ENDIAN) throw new Error("odeflow's WebAssembly encoder needs a little-endian host.");
    const out = new Bytes();
    out.bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    const section = (id: number, write: (b: Bytes) => void): void => {
      const b = new Bytes();
      write(b);
      out.byte(id);
      out.u32(b.length);
      out.bytes(b.view());
    };
    section(1, (b) => {
      b.u32(this.types.length);
      for (const t of this.types) {
        b.byte(0x60);
        b.u32(t.params.length);
        for (const p of t.params) b.byte(p);
        b.u32(t.results.length);
        for (const r of t.results) b.byte(r);
      }
    });
    section(2, (b) => {
      b.u32(this.imports.length + 1);
      b.name("env");
      b.name("memory");
      b.byte(0x02); // memory
      b.byte(0x00); // limits: min only
      b.u32(1);
      for (const im of this.imports) {
        b.name(im.module);
        b.name(im.name);
        b.byte(0x00); // function
        b.u32(im.type);
      }
    });
    section(3, (b) => {
      b.u32(this.funcs.length);
      for (const f of this.funcs) b.u32(f.type);
    });
    section(7, (b) => {
      b.u32(this.exports.length);
      for (const e of this.exports) {
        b.name(e.name);
        b.byte(0x00);
        b.u32(e.func);
      }
    });
    section(10, (b) => {
      b.u32(this.funcs.length);
      for (const f of this.funcs) {
        const body = f.code.encodeBody();
        b.u32(body.length);
        b.bytes(body);
      }
    });
    return out.view();
  }
}
