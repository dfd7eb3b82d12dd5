// The WebAssembly encoder: LEB128 against the specification's examples, and every instruction
// the kernels use run by the engine and compared with the JavaScript operation it stands for, on
// special values (±0, ±Infinity, NaN, halves, large and tiny numbers). The two f64x2 lanes get
// different operands, so a lane mix-up or a wrong opcode shows.
import assert from "node:assert/strict";
import { test } from "node:test";
import { evalOp, Op } from "../../src/compile/graph.js";
import { Code, leb128I32, leb128U32, ModuleBuilder, ValType } from "../../src/wasm/encoder.js";
import { FIELD_OPCODES } from "../../src/wasm/vector-field.js";

test("LEB128: the encodings given in the WebAssembly specification and DWARF", () => {
  assert.deepEqual(leb128U32(0), [0x00]);
  assert.deepEqual(leb128U32(127), [0x7f]);
  assert.deepEqual(leb128U32(128), [0x80, 0x01]);
  assert.deepEqual(leb128U32(624485), [0xe5, 0x8e, 0x26]);
  assert.deepEqual(leb128U32(2 ** 32 - 1), [0xff, 0xff, 0xff, 0xff, 0x0f]);
  assert.deepEqual(leb128I32(0), [0x00]);
  assert.deepEqual(leb128I32(-1), [0x7f]);
  assert.deepEqual(leb128I32(63), [0x3f]);
  assert.deepEqual(leb128I32(64), [0xc0, 0x00]);
  assert.deepEqual(leb128I32(-64), [0x40]);
  assert.deepEqual(leb128I32(-65), [0xbf, 0x7f]);
  assert.deepEqual(leb128I32(-123456), [0xc0, 0xbb, 0x78]);
  assert.deepEqual(leb128I32(2 ** 31 - 1), [0xff, 0xff, 0xff, 0xff, 0x07]);
  assert.deepEqual(leb128I32(-(2 ** 31)), [0x80, 0x80, 0x80, 0x80, 0x78]);
});

const SPECIAL = [0, -0, 1, -1, 0.5, -0.5, 1.5, 2.5, -2.5, 1e300, -1e300, 5e-324, Infinity, -Infinity, NaN, Math.PI, -Math.E, 3];

/** Runs `apply` on f64x2 vectors [a0, a1] and [b0, b1] (and c for bitselect), returning both lanes. */
function simdRunner(apply: (c: Code) => void, ternary = false): (a: [number, number], b: [number, number], c?: [number, number]) => [number, number] {
  const m = new ModuleBuilder();
  const nIn = ternary ? 6 : 4;
  const code = new Code(nIn);
  const vec = (i: number): void => {
    code.localGet(i).f64x2Splat().localGet(i + 1).simd(0x22).lane(1); // f64x2.replace_lane 1
  };
  code.i32Const(0);
  vec(0);
  vec(2);
  if (ternary) vec(4);
  apply(code);
  code.v128Store();
  m.export("run", m.func(Array(nIn).fill(ValType.F64), [], code));
  const memory = new WebAssembly.Memory({ initial: 1 });
  const inst = new WebAssembly.Instance(new WebAssembly.Module(m.encode() as Uint8Array<ArrayBuffer>), { env: { memory } });
  const run = inst.exports.run as (...x: number[]) => void;
  const out = new Float64Array(memory.buffer, 0, 2);
  return (a, b, c = [0, 0]) => {
    run(a[0], a[1], b[0], b[1], c[0], c[1]);
    return [out[0]!, out[1]!];
  };
}

/** Runs `apply` on scalars (a, b) with an f64 result. */
function scalarRunner(apply: (c: Code) => void, result: ValType.F64 | ValType.I32 = ValType.F64): (a: number, b: number) => number {
  const m = new ModuleBuilder();
  const code = new Code(2);
  code.localGet(0).localGet(1);
  apply(code);
  m.export("run", m.func([ValType.F64, ValType.F64], [result], code));
  const memory = new WebAssembly.Memory({ initial: 1 });
  const inst = new WebAssembly.Instance(new WebAssembly.Module(m.encode() as Uint8Array<ArrayBuffer>), { env: { memory } });
  return inst.exports.run as (a: number, b: number) => number;
}

const same = (x: number, y: number): boolean => Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y));

function pairs(): [number, number][] {
  const out: [number, number][] = [];
  for (const a of SPECIAL) for (const b of SPECIAL) out.push([a, b]);
  return out;
}

// The named instructions the method kernels use.
const binarySimd: [string, (c: Code) => void, (a: number, b: number) => number][] = [
  ["f64x2.add", (c) => c.f64x2Add(), (a, b) => a + b],
  ["f64x2.mul", (c) => c.f64x2Mul(), (a, b) => a * b],
  ["f64x2.div", (c) => c.f64x2Div(), (a, b) => a / b],
  ["f64x2.max", (c) => c.f64x2Max(), Math.max],
  ["f64x2.pmax", (c) => c.f64x2Pmax(), (a, b) => (a < b ? b : a)],
];

for (const [name, apply, js] of binarySimd) {
  test(`${name} computes the JavaScript operation in each lane`, () => {
    const run = simdRunner(apply);
    const ps = pairs();
    for (let k = 0; k < ps.length; k++) {
      const [a0, b0] = ps[k]!;
      const [a1, b1] = ps[(k * 7 + 3) % ps.length]!;
      const [r0, r1] = run([a0, a1], [b0, b1]);
      assert.ok(same(r0, js(a0, b0)) && same(r1, js(a1, b1)), `${name}(${a0}, ${b0}) / (${a1}, ${b1}) gave ${r0}, ${r1}`);
    }
  });
}

test("f64x2.abs and the scalar instructions of the norm kernels match JavaScript", () => {
  const abs = simdRunner((c) => c.drop().f64x2Abs());
  for (let k = 0; k < SPECIAL.length; k++) {
    const [a0, a1] = [SPECIAL[k]!, SPECIAL[(k + 5) % SPECIAL.length]!];
    const [r0, r1] = abs([a0, a1], [0, 0]);
    assert.ok(same(r0, Math.abs(a0)) && same(r1, Math.abs(a1)));
  }
  const scalar: [(c: Code) => void, (a: number, b: number) => number][] = [
    [(c) => c.f64Add(), (a, b) => a + b], [(c) => c.f64Sub(), (a, b) => a - b], [(c) => c.f64Mul(), (a, b) => a * b],
    [(c) => c.f64Div(), (a, b) => a / b], [(c) => c.f64Max(), Math.max], [(c) => c.drop().f64Abs(), Math.abs],
    [(c) => c.drop().f64Sqrt(), Math.sqrt], [(c) => c.f64Gt().f64ConvertI32U(), (a, b) => +(a > b)],
    // select(a, b, a > b): the rms norm's a0 > a1 ? a0 : a1
    [(c) => {
      const x = c.local(ValType.F64);
      const y = c.local(ValType.F64);
      c.localSet(y).localSet(x).localGet(x).localGet(y).localGet(x).localGet(y).f64Gt().select();
    }, (a, b) => (a > b ? a : b)],
  ];
  for (const [apply, js] of scalar) {
    const run = scalarRunner(apply);
    for (const [a, b] of pairs()) assert.ok(same(run(a, b), js(a, b)), `${js.toString()} on (${a}, ${b})`);
  }
});

// The opcode tables of the vector-field code generator, against the graph's own evaluation of each
// operation (evalOp: what folding and the interpreter compute, equal to the generated JavaScript).
for (const [kind, table] of [["f64x2", FIELD_OPCODES.simd], ["f64", FIELD_OPCODES.scalar]] as const) {
  test(`vector-field opcodes (${kind}): every table entry computes the graph operation it stands for`, () => {
    const ops = Object.keys(table).map(Number) as Op[];
    assert.equal(ops.length, 18);
    for (const op of ops) {
      const unary = op < Op.ADD;
      const comparison = op >= Op.LT && op <= Op.NE;
      const apply = (c: Code): void => {
        if (unary) c.drop();
        if (kind === "f64x2") {
          c.simd(table[op]!);
          if (comparison) c.f64x2Const(1).simd(0x4e); // v128.and: true lanes read 1
        } else {
          c.op(table[op]!);
          if (comparison) c.f64ConvertI32U();
        }
      };
      const expect = (a: number, b: number): number => evalOp(op, a, b, 0);
      if (kind === "f64x2") {
        const run = simdRunner(apply);
        const ps = pairs();
        for (let k = 0; k < ps.length; k++) {
          const [a0, b0] = ps[k]!;
          const [a1, b1] = ps[(k * 5 + 1) % ps.length]!;
          const [r0, r1] = run([a0, a1], [b0, b1]);
          assert.ok(same(r0, expect(a0, b0)) && same(r1, expect(a1, b1)), `${Op[op]} (${a0}, ${b0}) / (${a1}, ${b1}) gave ${r0}, ${r1}`);
        }
      } else {
        const run = scalarRunner(apply);
        for (const [a, b] of pairs()) assert.ok(same(run(a, b), expect(a, b)), `${Op[op]} (${a}, ${b})`);
      }
    }
  });
}

test("f64 and v128 constants keep every bit (−0, NaN, subnormals)", () => {
  for (const x of SPECIAL) {
    const run = simdRunner((c) => {
      c.drop().drop();
      c.f64x2Const(x, -x);
    });
    const [r0, r1] = run([0, 0], [0, 0]);
    assert.ok(same(r0, x) && same(r1, -x));
    const s = scalarRunner((c) => c.drop().drop().f64Const(x));
    assert.ok(same(s(0, 0), x));
  }
});

test("control flow: a counted loop with br_if, if, and i32 arithmetic", () => {
  // The sum of 0 … n−1 by a loop, minus 1 if n is odd (if on i32.and), then shifted.
  const m = new ModuleBuilder();
  const c = new Code(1);
  const i = c.local(ValType.I32);
  const acc = c.local(ValType.I32);
  c.block().loop();
  c.localGet(i).localGet(0).i32LtU().i32Eqz().brIf(1);
  c.localGet(acc).localGet(i).i32Add().localSet(acc);
  c.localGet(i).i32Const(1).i32Add().localSet(i);
  c.br(0);
  c.end().end();
  c.localGet(0).i32Const(1).i32And().if();
  c.localGet(acc).i32Const(-1).i32Add().localSet(acc);
  c.end();
  c.localGet(acc).i32Const(2).i32Shl().i32Const(1).i32ShrU();
  m.export("run", m.func([ValType.I32], [ValType.I32], c));
  const memory = new WebAssembly.Memory({ initial: 1 });
  const run = new WebAssembly.Instance(new WebAssembly.Module(m.encode() as Uint8Array<ArrayBuffer>), { env: { memory } }).exports.run as (n: number) => number;
  assert.equal(run(5), (10 - 1) * 2);
  assert.equal(run(6), 15 * 2);
  assert.equal(run(0), 0);
});

test("imported functions are called with their arguments; memory loads and stores use the offset", () => {
  const m = new ModuleBuilder();
  const hyp = m.importFunc("m", "hypot", [ValType.F64, ValType.F64], [ValType.F64]);
  const c = new Code(0);
  c.i32Const(16).i32Const(0).f64Load(0).i32Const(0).f64Load(8).call(hyp).f64Store(0);
  c.i32Const(8).i32Load(16).i32Const(1).i32Add().localTee(c.local(ValType.I32)).drop();
  m.export("run", m.func([], [], c));
  const memory = new WebAssembly.Memory({ initial: 1 });
  const inst = new WebAssembly.Instance(new WebAssembly.Module(m.encode() as Uint8Array<ArrayBuffer>), { m: { hypot: Math.hypot }, env: { memory } });
  const f = new Float64Array(memory.buffer);
  f[0] = 3;
  f[1] = 4;
  (inst.exports.run as () => void)();
  assert.equal(f[2], 5);
});
