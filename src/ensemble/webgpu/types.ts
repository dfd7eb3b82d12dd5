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
