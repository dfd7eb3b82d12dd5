/**
 * The host side of the WebGPU backend: generates the kernel for the problem, packs each chunk's
 * initial states and parameters into storage buffers (float32), dispatches one invocation per
 * trajectory, folds the moments on the GPU when asked, and reads every result back once at the end
 * into the packed layout of {@link EnsembleSolution}.
 *
 * Chunks: the trajectories are solved in chunks small enough for the device's buffer and dispatch
 * limits (`maxStorageBufferBindingSize`, `maxBufferSize`, `maxComputeWorkgroupsPerDimension`). The
 * input and working buffers are reused by every chunk (the queue orders the writes and
 * dispatches); each chunk's results are copied into a buffer of their own, all mapped after the
 * last dispatch.
 */
import { isOkay, RESULTS } from "../../results.js";
import { describeValue } from "../../tree.js";
import type { PreparedEnsemble } from "../options.js";
import type { WebGPUEnsembleOptions, WebGPUProfile } from "./types.js";

export type { WebGPUEnsembleOptions, WebGPUProfile };
import { allocateStorage, type EnsembleMoments, type EnsembleStorage, type StorageShape } from "../solution.js";
import { META } from "./kernel_common.js";
import { odeKernel } from "./kernel_ode.js";
import { sdeKernel } from "./kernel_sde.js";
import { MOMENTS_WORKGROUP, momentsFinalKernel, momentsGroups, momentsPartialKernel } from "./moments.js";
import { type FixedSteps, type GpuProblem, gpuProblem } from "./problem.js";
import { BUFFER_USAGE, MAP_READ, type WebGPUBuffer, type WebGPUComputePipeline, type WebGPUDevice } from "./types.js";



/** What the GPU run hands to `solveEnsemble`'s common finish. */
export interface GpuOutcome {
  storage: EnsembleStorage;
  shape: StorageShape;
  details: Map<number, string>;
  notice: string | null;
  moments: EnsembleMoments | null;
}

const PREFIX = 'solveEnsemble (backend: "webgpu")';
const OPTION_KEYS = ["workgroupSize", "trajectoriesPerDispatch", "keepSaved", "moments", "onProfile"];

type BindingType = "uniform" | "read-only-storage" | "storage";

function checkDevice(device: unknown): WebGPUDevice {
  const d = device as Partial<WebGPUDevice> | null;
  if (d === null || typeof d !== "object" || typeof d.createBuffer !== "function" || typeof d.createShaderModule !== "function" || d.queue === undefined) {
    throw new TypeError(
      `${PREFIX}: \`device\` must be a GPUDevice; got ${describeValue(device)}. In a browser: ` +
        "const device = await (await navigator.gpu.requestAdapter()).requestDevice(); in Node: " +
        'const { device } = await requestWebGPUDevice() from "odeflow/webgpu" (needs the webgpu package).',
    );
  }
  return d as WebGPUDevice;
}

interface CheckedOptions {
  workgroupSize: number;
  trajectoriesPerDispatch: number;
  keepSaved: boolean;
  moments: boolean;
  onProfile: ((profile: WebGPUProfile) => void) | null;
}

function checkOptions(o: WebGPUEnsembleOptions | undefined, device: WebGPUDevice): CheckedOptions {
  if (o !== undefined && (o === null || typeof o !== "object")) {
    throw new TypeError(`${PREFIX}: \`webgpu\` must be an object such as { keepSaved: false, moments: true }; got ${describeValue(o)}.`);
  }
  const opts = o ?? {};
  for (const key of Object.keys(opts)) {
    if (!OPTION_KEYS.includes(key)) throw new TypeError(`${PREFIX}: unknown option \`webgpu.${key}\`; the options are ${OPTION_KEYS.join(", ")}.`);
  }
  const maxWg = Math.min(device.limits.maxComputeWorkgroupSizeX, device.limits.maxComputeInvocationsPerWorkgroup);
  const wg = opts.workgroupSize ?? Math.min(64, maxWg);
  if (!Number.isInteger(wg) || wg < 1 || wg > maxWg) {
    throw new RangeError(`${PREFIX}: \`webgpu.workgroupSize\` = ${describeValue(wg)} must be a whole number from 1 to ${maxWg} (this device's limit); 64 suits most GPUs.`);
  }
  const per = opts.trajectoriesPerDispatch ?? Infinity;
  if (per !== Infinity && (!Number.isInteger(per) || per < 1)) {
    throw new RangeError(`${PREFIX}: \`webgpu.trajectoriesPerDispatch\` = ${describeValue(per)} must be a whole number ≥ 1.`);
  }
  for (const key of ["keepSaved", "moments"] as const) {
    if (opts[key] !== undefined && typeof opts[key] !== "boolean") throw new TypeError(`${PREFIX}: \`webgpu.${key}\` must be true or false; got ${describeValue(opts[key])}.`);
  }
  if (opts.onProfile !== undefined && typeof opts.onProfile !== "function") {
    throw new TypeError(`${PREFIX}: \`webgpu.onProfile\` must be a function (profile) => void; got ${describeValue(opts.onProfile)}.`);
  }
  return { workgroupSize: wg, trajectoriesPerDispatch: per, keepSaved: opts.keepSaved ?? true, moments: opts.moments ?? false, onProfile: opts.onProfile ?? null };
}

interface Pipeline {
  pipeline: WebGPUComputePipeline;
  layout: unknown;
}

/** Pipelines made on each device, by kernel source: solving the same problem again compiles nothing. */
const pipelines = new WeakMap<WebGPUDevice, Map<string, Promise<Pipeline>>>();

/** The pipeline of a kernel, from the device's cache or made now. */
function pipelineFor(device: WebGPUDevice, code: string, bindings: readonly BindingType[], label: string): Promise<Pipeline> {
  let cache = pipelines.get(device);
  if (cache === undefined) pipelines.set(device, (cache = new Map()));
  const key = `${bindings.join(",")}\n${code}`;
  let p = cache.get(key);
  if (p === undefined) {
    p = makePipeline(device, code, bindings, label);
    cache.set(key, p);
    p.catch(() => cache!.delete(key));
  }
  return p;
}

/** A compute pipeline with an explicit layout (an automatic one would drop bindings a kernel leaves unused). */
async function makePipeline(device: WebGPUDevice, code: string, bindings: readonly BindingType[], label: string): Promise<Pipeline> {
  device.pushErrorScope("validation");
  const module = device.createShaderModule({ code, label });
  const info = module.getCompilationInfo === undefined ? null : await module.getCompilationInfo();
  const errors = info === null ? [] : info.messages.filter((m) => m.type === "error");
  const layout = device.createBindGroupLayout({
    label,
    entries: bindings.map((type, binding) => ({ binding, visibility: 4 /* GPUShaderStage.COMPUTE */, buffer: { type } })),
  });
  const pipeline = device.createComputePipeline({
    label,
    layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
    compute: { module, entryPoint: "main" },
  });
  const error = await device.popErrorScope();
  if (errors.length > 0 || error !== null) {
    const lines = code.split("\n");
    const where = errors.map((m) => `line ${m.lineNum}:${m.linePos}: ${m.message}\n    ${lines[m.lineNum - 1] ?? ""}`).join("\n");
    throw new Error(`odeflow: internal error: the generated ${label} kernel was rejected by the WebGPU implementation (please report it):\n${where || error!.message}`);
  }
  return { pipeline, layout };
}

/** The largest chunk every buffer of a dispatch can hold. */
function chunkSize(device: WebGPUDevice, N: number, wordsPerTrajectory: readonly number[], workgroupSize: number, cap: number): number {
  const limits = device.limits;
  const maxBytes = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  let C = Math.min(N, cap, limits.maxComputeWorkgroupsPerDimension * workgroupSize);
  for (const w of wordsPerTrajectory) {
    if (w > 0) C = Math.min(C, Math.floor(maxBytes / (4 * w)));
  }
  if (C < 1) {
    const most = Math.max(...wordsPerTrajectory);
    throw new RangeError(
      `${PREFIX}: one trajectory needs a buffer of ${4 * most} bytes, more than this device's largest storage buffer (${maxBytes} bytes); ` +
        "save fewer rows (SaveAt), or request the device with a larger maxStorageBufferBindingSize.",
    );
  }
  return C;
}

/** The step grid of a fixed-step SDE: per step, the bits of the double t_k, and t_k and h_k in float32. */
function sdeGrid(gp: GpuProblem): Uint32Array {
  const { steps, h } = gp.controller as FixedSteps;
  const grid = new Uint32Array(4 * steps);
  const f64 = new Float64Array(1);
  const w64 = new Uint32Array(f64.buffer);
  const f32 = new Float32Array(1);
  const w32 = new Uint32Array(f32.buffer);
  // The CPU loop's step times: t_k = t0 + k·h computed from k, the last step ending on t1.
  const time = (k: number): number => (k === 0 ? gp.t0 : k >= steps ? gp.t1 : gp.t0 + k * h);
  for (let k = 0; k < steps; k++) {
    const t = time(k);
    f64[0] = t;
    grid[4 * k] = w64[0]!;
    grid[4 * k + 1] = w64[1]!;
    f32[0] = t;
    grid[4 * k + 2] = w32[0]!;
    f32[0] = time(k + 1) - t;
    grid[4 * k + 3] = w32[0]!;
  }
  return grid;
}

function buffer(device: WebGPUDevice, bytes: number, usage: number, label: string, created: WebGPUBuffer[]): WebGPUBuffer {
  const b = device.createBuffer({ size: Math.max(16, Math.ceil(bytes / 4) * 4), usage, label });
  created.push(b);
  return b;
}

/**
 * Solves the prepared ensemble on the GPU.
 * @internal
 */
export async function solveOnGPU(p: PreparedEnsemble, deviceOption: unknown, webgpu: WebGPUEnsembleOptions | undefined): Promise<GpuOutcome> {
  const device = checkDevice(deviceOption);
  const o = checkOptions(webgpu, device);
  const gp = gpuProblem(p);
  const { n, rows } = gp;
  const N = p.N;
  const sde = gp.method.kind === "sde";
  const readRows = rows > 0 && (o.keepSaved || p.output !== null);
  const storeRows = rows > 0 && (readRows || o.moments);
  const wg = o.workgroupSize;
  const code = sde ? sdeKernel(gp, wg, storeRows) : odeKernel(gp, wg, storeRows);
  const solveBindings: BindingType[] = ["uniform", "read-only-storage", "read-only-storage", "read-only-storage", "storage", "storage"];
  if (sde) solveBindings.push("read-only-storage", "read-only-storage");
  const created: WebGPUBuffer[] = [];
  const profiling = o.onProfile !== null;
  const clock = (): number => performance.now();
  const prof: WebGPUProfile = { compileMs: 0, packMs: 0, uploadMs: 0, kernelMs: 0, readbackMs: 0, unpackMs: 0, chunks: 0, trajectoriesPerDispatch: 0, workgroupSize: wg };
  try {
    let t = clock();
    const solver = await pipelineFor(device, code, solveBindings, "odeflow ensemble");
    const partial = o.moments && rows > 0 ? await pipelineFor(device, momentsPartialKernel(n, gp.saveT1), ["uniform", "read-only-storage", "read-only-storage", "storage"], "odeflow moments") : null;
    const final = partial === null ? null : await pipelineFor(device, momentsFinalKernel(), ["uniform", "read-only-storage", "storage"], "odeflow moments total");
    prof.compileMs = clock() - t;
    const np = Math.max(1, gp.np);
    const C = chunkSize(device, N, [n, np, storeRows ? rows * n : 0, META.count, sde ? 2 : 0], wg, o.trajectoriesPerDispatch);
    const chunks = Math.ceil(N / C);
    const S = BUFFER_USAGE.STORAGE;
    const { COPY_DST, COPY_SRC, UNIFORM } = BUFFER_USAGE;
    const y0Buf = buffer(device, 4 * C * n, S | COPY_DST, "y0s", created);
    const paramBuf = buffer(device, 4 * C * np, S | COPY_DST, "params", created);
    const tsBuf = buffer(device, 4 * gp.saveTs.length, S | COPY_DST, "save_ts", created);
    const savedBuf = buffer(device, storeRows ? 4 * C * rows * n : 16, S | COPY_SRC, "saved", created);
    const infoBuf = buffer(device, 4 * C * META.count, S | COPY_SRC, "info", created);
    const keyBuf = sde ? buffer(device, 8 * C, S | COPY_DST, "keys", created) : null;
    const gridData = sde ? sdeGrid(gp) : null;
    const gridBuf = gridData === null ? null : buffer(device, gridData.byteLength, S | COPY_DST, "grid", created);
    if (gp.saveTs.length > 0) device.queue.writeBuffer(tsBuf, 0, Float32Array.from(gp.saveTs));
    if (gridBuf !== null) device.queue.writeBuffer(gridBuf, 0, gridData!);
    // Moments: partial folds of every chunk, merged after the last one.
    const entries = rows * n;
    const slotsPerChunk: number[] = [];
    for (let c = 0; c < chunks; c++) slotsPerChunk.push(momentsGroups(Math.min(C, N - c * C)));
    const slots = slotsPerChunk.reduce((a, b) => a + b, 0);
    const partialBuf = partial === null ? null : buffer(device, 12 * entries * slots, S, "partials", created);
    const momentsBuf = partial === null ? null : buffer(device, 12 * entries, S | COPY_SRC, "moments", created);
    const infoOut: WebGPUBuffer[] = [];
    const savedOut: WebGPUBuffer[] = [];
    const y0 = new Float32Array(C * n);
    const params = new Float32Array(C * np);
    const keys = sde ? new Uint32Array(2 * C) : null;
    device.pushErrorScope("out-of-memory");
    device.pushErrorScope("validation");
    let slot = 0;
    for (let c = 0; c < chunks; c++) {
      const first = c * C;
      const count = Math.min(C, N - first);
      t = clock();
      for (let i = 0; i < count; i++) {
        for (let j = 0; j < n; j++) y0[i * n + j] = p.y0s[(first + i) * n + j]!;
        gp.packParams(first + i, params, i * np);
        if (keys !== null) gp.packKey(first + i, keys, 2 * i);
      }
      prof.packMs += clock() - t;
      t = clock();
      device.queue.writeBuffer(y0Buf, 0, y0, 0, count * n);
      device.queue.writeBuffer(paramBuf, 0, params, 0, count * np);
      if (keys !== null) device.queue.writeBuffer(keyBuf!, 0, keys, 0, 2 * count);
      const uniform = buffer(device, 16, UNIFORM | COPY_DST, "chunk", created);
      device.queue.writeBuffer(uniform, 0, Uint32Array.of(count, first, slot, slots));
      if (profiling) {
        await device.queue.onSubmittedWorkDone();
        prof.uploadMs += clock() - t;
        t = clock();
      }
      const bind = [uniform, y0Buf, paramBuf, tsBuf, savedBuf, infoBuf, ...(sde ? [keyBuf!, gridBuf!] : [])];
      const group = device.createBindGroup({ layout: solver.layout, entries: bind.map((b, binding) => ({ binding, resource: { buffer: b } })) });
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      pass.setPipeline(solver.pipeline);
      pass.setBindGroup(0, group);
      pass.dispatchWorkgroups(Math.ceil(count / wg));
      pass.end();
      if (partial !== null) {
        const pg = device.createBindGroup({
          layout: partial.layout,
          entries: [uniform, savedBuf, infoBuf, partialBuf!].map((b, binding) => ({ binding, resource: { buffer: b } })),
        });
        const mp = encoder.beginComputePass();
        mp.setPipeline(partial.pipeline);
        mp.setBindGroup(0, pg);
        mp.dispatchWorkgroups(slotsPerChunk[c]!, entries);
        mp.end();
        slot += slotsPerChunk[c]!;
      }
      device.queue.submit([encoder.finish()]);
      if (profiling) {
        await device.queue.onSubmittedWorkDone();
        prof.kernelMs += clock() - t;
      }
      const copies = device.createCommandEncoder();
      const infoCopy = buffer(device, 4 * count * META.count, MAP_READ_USAGE, "info readback", created);
      copies.copyBufferToBuffer(infoBuf, 0, infoCopy, 0, 4 * count * META.count);
      infoOut.push(infoCopy);
      if (readRows) {
        const savedCopy = buffer(device, 4 * count * rows * n, MAP_READ_USAGE, "saved readback", created);
        copies.copyBufferToBuffer(savedBuf, 0, savedCopy, 0, 4 * count * rows * n);
        savedOut.push(savedCopy);
      }
      device.queue.submit([copies.finish()]);
    }
    let momentsOut: WebGPUBuffer | null = null;
    t = clock();
    if (final !== null) {
      const uniform = buffer(device, 16, UNIFORM | COPY_DST, "moments", created);
      device.queue.writeBuffer(uniform, 0, Uint32Array.of(0, 0, 0, slots));
      const group = device.createBindGroup({
        layout: final.layout,
        entries: [uniform, partialBuf!, momentsBuf!].map((b, binding) => ({ binding, resource: { buffer: b } })),
      });
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      pass.setPipeline(final.pipeline);
      pass.setBindGroup(0, group);
      pass.dispatchWorkgroups(entries);
      pass.end();
      momentsOut = buffer(device, 12 * entries, MAP_READ_USAGE, "moments readback", created);
      encoder.copyBufferToBuffer(momentsBuf!, 0, momentsOut, 0, 12 * entries);
      device.queue.submit([encoder.finish()]);
    }
    const validation = await device.popErrorScope();
    const oom = await device.popErrorScope();
    if (oom !== null) {
      throw new RangeError(`${PREFIX}: the GPU ran out of memory (${oom.message}); lower webgpu.trajectoriesPerDispatch, or set webgpu.keepSaved: false.`);
    }
    if (validation !== null) throw new Error(`odeflow: internal error: a WebGPU command was rejected (please report it): ${validation.message}`);
    await Promise.all([...infoOut, ...savedOut, ...(momentsOut === null ? [] : [momentsOut])].map((b) => b.mapAsync(MAP_READ)));
    prof.readbackMs = clock() - t;
    t = clock();
    const out = collect(p, gp, o.keepSaved && rows > 0, C, infoOut, savedOut, momentsOut);
    prof.unpackMs = clock() - t;
    prof.chunks = chunks;
    prof.trajectoriesPerDispatch = C;
    if (o.onProfile !== null) o.onProfile(prof);
    return out;
  } finally {
    for (const b of created) b.destroy();
  }
}

const MAP_READ_USAGE = BUFFER_USAGE.MAP_READ | BUFFER_USAGE.COPY_DST;

/** Unpacks the mapped chunks into the ensemble's storage, runs the output hook, and reads the moments. */
function collect(
  p: PreparedEnsemble,
  gp: GpuProblem,
  keepRows: boolean,
  C: number,
  infoOut: readonly WebGPUBuffer[],
  savedOut: readonly WebGPUBuffer[],
  momentsOut: WebGPUBuffer | null,
): GpuOutcome {
  const { n, rows } = gp;
  const N = p.N;
  const output = p.output;
  const keep = keepRows && p.keepSaved;
  const shape: StorageShape = { N, rowsPerTrajectory: keep ? rows : 0, size: n, outputWidth: output === null ? 0 : output.width, variableRows: false };
  const storage = allocateStorage(shape, false);
  const details = new Map<number, string>();
  // Row times as the GPU used them (float32); the row a terminating event saves for t1 is at the event.
  const rowTimes: number[] = [];
  if (gp.saveT0) rowTimes.push(Math.fround(gp.t0));
  for (const t of gp.saveTs) rowTimes.push(Math.fround(t));
  if (gp.saveT1) rowTimes.push(Math.fround(gp.t1));
  const tsRow = new Float64Array(rows);
  const ysRow = new Float64Array(rows * n);
  for (let c = 0; c < infoOut.length; c++) {
    const first = c * C;
    const count = Math.min(C, N - first);
    const range = infoOut[c]!.getMappedRange();
    const u = new Uint32Array(range);
    const f = new Float32Array(range);
    const saved = savedOut.length > 0 ? new Float32Array(savedOut[c]!.getMappedRange()) : null;
    for (let i = 0; i < count; i++) {
      const g = first + i;
      const result = u[META.result * count + i]!;
      const got = u[META.rows * count + i]!;
      const tFinal = f[META.tFinal * count + i]!;
      storage.results[g] = result;
      storage.counts[g] = keep ? got : 0;
      storage.tFinal[g] = tFinal;
      storage.numSteps[g] = u[META.steps * count + i]!;
      storage.numAcceptedSteps[g] = u[META.accepted * count + i]!;
      storage.numRejectedSteps[g] = u[META.rejected * count + i]!;
      storage.numFnEvals[g] = u[META.fnEvals * count + i]!;
      if (!isOkay(result)) details.set(g, `t = ${tFinal} after ${storage.numSteps[g]} steps (float32, on the GPU)`);
      if (saved === null) continue;
      for (let r = 0; r < got; r++) {
        tsRow[r] = r === got - 1 && result === RESULTS.eventOccurred && gp.saveT1 ? tFinal : rowTimes[r]!;
        for (let j = 0; j < n; j++) ysRow[r * n + j] = saved[(r * n + j) * count + i]!;
      }
      if (keep) {
        storage.ts.set(tsRow.subarray(0, got), g * rows);
        storage.ys.set(ysRow.subarray(0, got * n), g * rows * n);
      }
      if (output !== null) {
        const w = output.width;
        output.fn(storage.outputs.subarray(g * w, (g + 1) * w), tsRow.subarray(0, got), ysRow.subarray(0, got * n), g, result, p.args[g]);
      }
    }
  }
  let moments: EnsembleMoments | null = null;
  if (momentsOut !== null) {
    const m = new Float32Array(momentsOut.getMappedRange());
    const E = rows * n;
    const mean = new Float64Array(E);
    const variance = new Float64Array(E);
    const count = new Float64Array(rows);
    for (let e = 0; e < E; e++) {
      const k = m[3 * e]!;
      mean[e] = k > 0 ? m[3 * e + 1]! : NaN;
      variance[e] = k > 1 ? m[3 * e + 2]! / (k - 1) : NaN;
      if (e % n === 0) count[e / n] = k;
    }
    moments = { times: Float64Array.from(rowTimes), mean, variance, count };
  }
  return { storage, shape, details, notice: gp.precisionNotice, moments };
}
