/**
 * The part of the WebGPU API the ensemble backend uses, typed structurally so that the core needs
 * no WebGPU type package: a `GPUDevice` from `navigator.gpu` in a browser, or from the `webgpu`
 * package (Dawn) in Node, satisfies {@link WebGPUDevice}.
 *
 * The usage and map-mode flags are the numbers the WebGPU specification fixes
 * (https://www.w3.org/TR/webgpu/#buffer-usage), so no global (`GPUBufferUsage`) is needed.
 */

/** `GPUBufferUsage` flags. */
export const BUFFER_USAGE = Object.freeze({
  MAP_READ: 0x0001,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
});

/** `GPUMapMode.READ`. */
export const MAP_READ = 0x0001;

/** A `GPUBuffer`. */
export interface WebGPUBuffer {
  readonly size: number;
  mapAsync(mode: number, offset?: number, size?: number): Promise<void>;
  getMappedRange(offset?: number, size?: number): ArrayBuffer;
  unmap(): void;
  destroy(): void;
}

/** A `GPUComputePipeline`. */
export interface WebGPUComputePipeline {
  getBindGroupLayout(index: number): unknown;
}

/** A `GPUComputePassEncoder`. */
export interface WebGPUComputePass {
  setPipeline(pipeline: WebGPUComputePipeline): void;
  setBindGroup(index: number, group: unknown): void;
  dispatchWorkgroups(x: number, y?: number, z?: number): void;
  end(): void;
}

/** A `GPUCommandEncoder`. */
export interface WebGPUCommandEncoder {
  beginComputePass(descriptor?: object): WebGPUComputePass;
  copyBufferToBuffer(source: WebGPUBuffer, sourceOffset: number, destination: WebGPUBuffer, destinationOffset: number, size: number): void;
  finish(): unknown;
}

/** A `GPUShaderModule` (with `getCompilationInfo`, where the implementation has it). */
export interface WebGPUShaderModule {
  getCompilationInfo?(): Promise<{ messages: readonly { type: string; message: string; lineNum: number; linePos: number }[] }>;
}

/** The limits the backend reads (`GPUSupportedLimits`). */
export interface WebGPULimits {
  readonly maxStorageBufferBindingSize: number;
  readonly maxBufferSize: number;
  readonly maxComputeWorkgroupsPerDimension: number;
  readonly maxComputeWorkgroupSizeX: number;
  readonly maxComputeInvocationsPerWorkgroup: number;
  readonly maxStorageBuffersPerShaderStage: number;
}

/**
 * A `GPUDevice`: pass the one your application requested (`await adapter.requestDevice()`).
 *
 * @example
 * ```ts
 * const adapter = await navigator.gpu.requestAdapter();
 * const device: WebGPUDevice = await adapter.requestDevice();
 * ```
 */
export interface WebGPUDevice {
  readonly limits: WebGPULimits;
  readonly queue: {
    writeBuffer(buffer: WebGPUBuffer, offset: number, data: ArrayBufferView | ArrayBuffer, dataOffset?: number, size?: number): void;
    submit(commandBuffers: readonly unknown[]): void;
    onSubmittedWorkDone(): Promise<void>;
  };
  createBuffer(descriptor: { size: number; usage: number; mappedAtCreation?: boolean; label?: string }): WebGPUBuffer;
  createShaderModule(descriptor: { code: string; label?: string }): WebGPUShaderModule;
  createComputePipeline(descriptor: object): WebGPUComputePipeline;
  createBindGroupLayout(descriptor: object): unknown;
  createPipelineLayout(descriptor: object): unknown;
  createBindGroup(descriptor: object): unknown;
  createCommandEncoder(descriptor?: object): WebGPUCommandEncoder;
  pushErrorScope(filter: "validation" | "out-of-memory" | "internal"): void;
  popErrorScope(): Promise<{ message: string } | null>;
  /** Information about the adapter (newer implementations). */
  readonly adapterInfo?: { vendor?: string; architecture?: string; device?: string; description?: string };
}

/**
 * Options of the WebGPU backend (`webgpu` in the options of `solveEnsemble`).
 *
 * @example
 * ```ts
 * { backend: "webgpu", device, webgpu: { keepSaved: false, moments: true } }
 * ```
 */
export interface WebGPUEnsembleOptions {
  /** Invocations per workgroup. @defaultValue 64 */
  workgroupSize?: number;
  /** Most trajectories per dispatch (the device's limits may lower it). @defaultValue as many as the limits allow */
  trajectoriesPerDispatch?: number;
  /**
   * Read every trajectory's saved rows back (`sol.ys`, `sol.ts`). `false` reads back only result
   * codes, counters, final times and the moments: for ensembles whose rows would not fit in memory.
   * @defaultValue true
   */
  keepSaved?: boolean;
  /** Mean and variance over trajectories of every saved component, computed on the GPU (`sol.moments`). @defaultValue false */
  moments?: boolean;
  /**
   * Called with where the time went. Profiling waits for the GPU after each chunk's uploads and
   * again after its kernels (so that `kernelMs` is the kernels' time alone), which serialises
   * what otherwise overlaps: use it to measure, not in production.
   */
  onProfile?: (profile: WebGPUProfile) => void;
}

/**
 * Where a WebGPU ensemble's time went, in milliseconds of wall-clock time (`onProfile`).
 *
 * @example
 * ```ts
 * webgpu: { onProfile: (p) => console.log(`${p.kernelMs} ms on the GPU`) }
 * ```
 */
export interface WebGPUProfile {
  /** Generating the WGSL and making the pipelines (0 when the device had them from an earlier solve). */
  compileMs: number;
  /** Packing initial states, parameters and keys into float32 arrays on the CPU. */
  packMs: number;
  /** Uploading them (write and wait for the queue). */
  uploadMs: number;
  /** The solve (and moments) kernels, from submission to completion, all chunks. */
  kernelMs: number;
  /** The moments' last pass (if any), copying the results to mappable buffers, and mapping them. */
  readbackMs: number;
  /** Unpacking the mapped results into the solution's arrays (and running an `output` hook). */
  unpackMs: number;
  /** Dispatches (chunks) and the trajectories of each but the last. */
  chunks: number;
  trajectoriesPerDispatch: number;
  workgroupSize: number;
}
