/**
 * The WebGPU device of the GPU tests: a real GPU where the machine has one and no software driver
 * is forced, otherwise SwiftShader (Chromium's software Vulkan driver) through Dawn. The tests run,
 * never skip: without an adapter they fail with what to install. scripts/test.mjs puts Chromium's
 * Vulkan loader on LD_LIBRARY_PATH where the system has none (see scripts/webgpu-env.mjs); run the
 * files through it (node scripts/test.mjs webgpu).
 */
import { existsSync } from "node:fs";
import { requestWebGPUDevice, SWIFTSHADER_ICD, type NodeWebGPU } from "../../src/node/webgpu.js";

export async function testDevice(): Promise<NodeWebGPU> {
  const software = process.env.VK_ICD_FILENAMES === undefined && existsSync(SWIFTSHADER_ICD);
  try {
    return await requestWebGPUDevice({ software, largeBuffers: false });
  } catch (e) {
    throw new Error(
      `${e instanceof Error ? e.message : String(e)}\nThe WebGPU tests need a WebGPU adapter. On Linux without a GPU: install chromium ` +
        "(its SwiftShader driver) and run the tests through `node scripts/test.mjs webgpu`, which puts Chromium's Vulkan loader on " +
        "LD_LIBRARY_PATH, or install the system loader (apt-get install libvulkan1).",
    );
  }
}
