// What the WebGPU backend refuses, and how it says so: each message names the option, the value
// and what to do. These checks come before any GPU work, so a stand-in device serves (no GPU).
import assert from "node:assert/strict";
import { test } from "node:test";
import { prepareEnsemble } from "../../src/ensemble/options.js";
import { gpuProblem } from "../../src/ensemble/webgpu/problem.js";
import {
  compile, ConstantStepSize, ControlTerm, EulerMaruyama, Event, Kvaerno5, MultiTerm, ODETerm, PIDController, SaveAt, solveEnsemble,
  solveEnsembleSync, Tsit5, UnsafeBrownianPath, VirtualBrownianTree, type WebGPUDevice,
} from "../../src/index.js";

const device = {
  limits: { maxStorageBufferBindingSize: 2 ** 27, maxBufferSize: 2 ** 28, maxComputeWorkgroupsPerDimension: 65535, maxComputeWorkgroupSizeX: 256, maxComputeInvocationsPerWorkgroup: 256, maxStorageBuffersPerShaderStage: 8 },
  queue: {},
  createBuffer() { throw new Error("unreachable: no GPU work expected"); },
  createShaderModule() { throw new Error("unreachable: no GPU work expected"); },
} as unknown as WebGPUDevice;

const decay = compile((t: number, [y]: number[], { k }: { k: number }) => [-k * y]);
const base: any = {
  terms: new ODETerm(decay), solver: new Tsit5(), t0: 0, t1: 1, trajectories: 4,
  y0: () => [1], args: (i: number) => ({ k: i }), backend: "webgpu", device,
};
const rejects = (extra: object, re: RegExp) => assert.rejects(solveEnsemble({ ...base, ...extra }), re);

test("the device and the webgpu options are checked", async () => {
  await rejects({ device: undefined }, /`device` must be a GPUDevice; got undefined.*navigator\.gpu.*requestWebGPUDevice/s);
  await rejects({ device: {} }, /`device` must be a GPUDevice/);
  await rejects({ webgpu: { workgroupSize: 1000 } }, /webgpu\.workgroupSize` = number 1000 must be a whole number from 1 to 256/);
  await rejects({ webgpu: { chunk: 4 } }, /unknown option `webgpu\.chunk`/);
  await rejects({ webgpu: { keepSaved: "no" } }, /webgpu\.keepSaved` must be true or false/);
  await rejects({ webgpu: { trajectoriesPerDispatch: 0 } }, /trajectoriesPerDispatch` = number 0 must be a whole number ≥ 1/);
  await rejects({ backend: "cuda" }, /`backend` = the string "cuda" must be "cpu" or "webgpu"/);
  assert.throws(() => solveEnsembleSync({ ...base }), /solveEnsembleSync: backend "webgpu".*await solveEnsemble/);
});

test("what the GPU does not run is refused by name, with what to do instead", async () => {
  await rejects({ terms: new ODETerm((t: number, y: Float64Array, a: unknown, dy: Float64Array) => { dy[0] = -y[0]!; }) }, /must be compiled.*new ODETerm\(compile\(f\)\)/);
  await rejects({ solver: new Kvaerno5() }, /the solver Kvaerno5 is not supported on the GPU; use an explicit Runge–Kutta method/);
  await rejects({ saveat: new SaveAt({ steps: true }) }, /SaveAt\(\{ steps \}\) is not supported on the GPU; save at given times/);
  await rejects({ saveat: new SaveAt({ ts: [0.5], fn: (t: number, y: Float64Array) => y[0]! }) }, /SaveAt\(\{ fn \}\) is not supported/);
  await rejects({ t0: 1, t1: 0 }, /integrating backward \(t0 = 1, t1 = 0\) is not supported/);
  await rejects({ t0: 1e9, t1: 1e9 + 1 }, /same float32 number.*Shift time/);
  await rejects({ stepsizeController: new PIDController({ jumpTs: [0.5] }) }, /`stepTs`\/`jumpTs` is not supported/);
  await rejects({ stepsizeController: new PIDController({ norm: (e: Float64Array) => Math.abs(e[0]!) }) }, /a custom error norm is not supported on the GPU; use norm: "rms" or "max"/);
  await rejects({ event: new Event({ cond: (t: number, y: Float64Array) => y[0]! - 0.5 }) }, /the event, which does not terminate, is not supported on the GPU; give it terminal: true/);
  await rejects({ event: new Event({ cond: (t: number, y: Float64Array) => y[0]! - 0.5, terminal: true, affect: (t: number, y: Float64Array) => { y[0] = 1; } }) }, /the `affect` of the event is not supported/);
  await rejects({ event: new Event({ times: [0.5], terminal: true }) }, /the event \(scheduled\) is not supported/);
  await rejects({ y0: () => [1e39] }, /y0 of trajectory 0, component 0 = 1e\+39 is beyond float32's range/);
});

test("SDEs: fixed steps, UnsafeBrownianPath and a compiled diffusion", async () => {
  const sigma = compile((t: number, [y]: number[]) => [0.1 * y]);
  const sde = (control: unknown, diffusion: (t: number, y: Float64Array, a: unknown, g: Float64Array) => void = sigma.f) => ({
    terms: new MultiTerm(new ODETerm(decay), new ControlTerm(diffusion, control)),
    solver: new EulerMaruyama(), dt0: 0.01, stepsizeController: new ConstantStepSize(),
  });
  await rejects(sde(new VirtualBrownianTree({ t0: 0, t1: 1, tol: 1e-3, shape: 1, seed: 1 })), /the GPU draws the increments of UnsafeBrownianPath/);
  await rejects(sde(new UnsafeBrownianPath({ shape: 1 }), (t, y, a, g) => { g[0] = 0.1 * y[0]!; }), /the diffusion must be compiled.*new ControlTerm\(compile\(sigma\)\.f/);
  await rejects({ ...sde(new UnsafeBrownianPath({ shape: 2 })) }, /the compiled diffusion has 1 outputs; general noise with n = 1 and m = 2 needs 2/);
});

test("tolerances beyond float32 get a notice (the solve still runs), others none", () => {
  const notice = (rtol: number) => {
    const o = { ...base, stepsizeController: new PIDController({ rtol, atol: 1e-9 }) };
    return gpuProblem(prepareEnsemble(o, o.terms)).precisionNotice;
  };
  assert.match(notice(1e-8) ?? "", /float32 on the GPU resolves about 7 significant digits.*rtol = 1e-8 asks for more.*Use rtol ≥ 1e-6/);
  assert.equal(notice(1e-6), null);
  const fixed = { ...base, dt0: 0.1, stepsizeController: new ConstantStepSize() };
  assert.equal(gpuProblem(prepareEnsemble(fixed, fixed.terms)).precisionNotice, null);
});
