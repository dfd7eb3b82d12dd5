/**
 * `odeflow/webgpu`: a GPUDevice in Node for `solveEnsemble({ backend: "webgpu", device })`, from the
 * `webgpu` package (Dawn, the WebGPU implementation of Chromium, built for Node). That package is
 * an optional peer dependency (`npm install webgpu`); the core of odeflow does not load it.
 *
 * Dawn reaches the GPU through Vulkan on Linux (the system's `libvulkan.so.1` loader and the GPU
 * driver's ICD), Metal on macOS and Direct3D 12 on Windows. Without a GPU, a software Vulkan
 * driver still runs the kernels (slowly): `software: true` points the Vulkan loader at the
 * SwiftShader driver that Debian's and Ubuntu's Chromium packages ship.
 */
import type { WebGPUDevice } from "../ensemble/webgpu/types.js";

/** Where Chromium's packages put SwiftShader's Vulkan driver manifest. */
export const SWIFTSHADER_ICD = "/usr/lib/chromium/vk_swiftshader_icd.json";

/** Options of {@link requestWebGPUDevice}. */
export interface RequestWebGPUOptions {
  /** Which adapter to prefer. @defaultValue "high-performance" */
  powerPreference?: "high-performance" | "low-power";
  /** Flags for the webgpu package's `create()`: Dawn toggles, `"backend=vulkan"`, `"adapter=…"`. @defaultValue [] */
  flags?: string[];
  /**
   * Use a software Vulkan driver: `true` for Chromium's SwiftShader ({@link SWIFTSHADER_ICD}), or the
   * path of a driver manifest (sets `VK_ICD_FILENAMES`; it must be set before the first device of
   * the process). For tests on machines without a GPU. @defaultValue false
   */
  software?: boolean | string;
  /** Ask for the adapter's largest storage buffers instead of WebGPU's default limits (128 MiB per binding). @defaultValue true */
  largeBuffers?: boolean;
}

/** What the adapter says it is. */
export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
}

/** A device and what it runs on. */
export interface NodeWebGPU {
  /** The device, for `solveEnsemble({ backend: "webgpu", device })`. */
  device: WebGPUDevice;
  /** The adapter's description. */
  adapter: AdapterDescription;
  /** Whether the adapter is a CPU implementation (SwiftShader, llvmpipe, lavapipe, WARP): its timings say nothing about GPUs. */
  software: boolean;
  /** Destroys the device and releases Dawn, so that the process can exit. */
  destroy(): void;
}

/**
 * Whether an adapter is a software (CPU) implementation of WebGPU.
 *
 * @example
 * ```ts
 * isSoftwareAdapter({ vendor: "google", architecture: "swiftshader", device: "", description: "SwiftShader driver" }); // true
 * ```
 */
export function isSoftwareAdapter(info: Partial<AdapterDescription>): boolean {
  const text = `${info.vendor ?? ""} ${info.architecture ?? ""} ${info.device ?? ""} ${info.description ?? ""}`.toLowerCase();
  return /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render|warp/.test(text);
}

interface DawnModule {
  create(flags: string[]): { requestAdapter(options?: object): Promise<DawnAdapter | null> };
}
interface DawnAdapter {
  readonly info?: Partial<AdapterDescription>;
  readonly limits: Record<string, number>;
  requestDevice(descriptor?: object): Promise<WebGPUDevice & { destroy(): void }>;
}

/**
 * Requests a GPUDevice in Node through the `webgpu` package.
 *
 * @example
 * ```ts
 * import { requestWebGPUDevice } from "odeflow/webgpu";
 * const gpu = await requestWebGPUDevice();
 * const sol = await solveEnsemble({ ...options, backend: "webgpu", device: gpu.device });
 * gpu.destroy();
 * ```
 * @throws Error when the `webgpu` package is not installed or no adapter is found (with what to install).
 */
export async function requestWebGPUDevice(options: RequestWebGPUOptions = {}): Promise<NodeWebGPU> {
  const software = options.software ?? false;
  if (software !== false) {
    const icd = software === true ? SWIFTSHADER_ICD : software;
    process.env.VK_ICD_FILENAMES = icd;
  }
  let dawn: DawnModule;
  try {
    dawn = (await import("webgpu")) as unknown as DawnModule;
  } catch (e) {
    throw new Error(`requestWebGPUDevice: the optional peer dependency \`webgpu\` (Dawn for Node) is not installed: npm install webgpu (${e instanceof Error ? e.message : String(e)}).`);
  }
  let gpu: ReturnType<DawnModule["create"]> | null = dawn.create(options.flags ?? []);
  const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? "high-performance" });
  if (adapter === null) {
    gpu = null;
    throw new Error(
      "requestWebGPUDevice: no WebGPU adapter was found. On Linux, Dawn needs the Vulkan loader (libvulkan.so.1: apt-get install libvulkan1) " +
        "and a Vulkan driver: the GPU's, or a software one (software: true uses Chromium's SwiftShader, from the chromium package).",
    );
  }
  const info = adapter.info ?? {};
  const requiredLimits: Record<string, number> = {};
  if (options.largeBuffers ?? true) {
    for (const key of ["maxStorageBufferBindingSize", "maxBufferSize"]) {
      if (typeof adapter.limits[key] === "number") requiredLimits[key] = adapter.limits[key]!;
    }
  }
  const device = await adapter.requestDevice({ requiredLimits });
  const description: AdapterDescription = {
    vendor: info.vendor ?? "",
    architecture: info.architecture ?? "",
    device: info.device ?? "",
    description: info.description ?? "",
  };
  return {
    device,
    adapter: description,
    software: isSoftwareAdapter(description),
    destroy(): void {
      device.destroy();
      gpu = null;
    },
  };
}
