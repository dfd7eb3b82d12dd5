// The environment in which Dawn (the `webgpu` package) finds a Vulkan driver on a machine
// without a GPU: Chromium's SwiftShader (Debian's and Ubuntu's chromium package ship it), and,
// where the system has no Vulkan loader (libvulkan1), the loader Chromium ships beside it. The
// loader must be on LD_LIBRARY_PATH when the process starts, so scripts/test.mjs passes this to the
// test runner. Used by scripts/test.mjs and bench/run.ts.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

export const CHROMIUM_DIR = "/usr/lib/chromium";
export const SWIFTSHADER_ICD = `${CHROMIUM_DIR}/vk_swiftshader_icd.json`;

/** Whether the dynamic linker finds a system libvulkan.so.1. */
function systemVulkan() {
  const r = spawnSync("/sbin/ldconfig", ["-p"], { encoding: "utf8" });
  if (r.status === 0 && /libvulkan\.so\.1\b/.test(r.stdout)) return true;
  return ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib"].some((d) => existsSync(`${d}/libvulkan.so.1`));
}

/**
 * Variables to add to `env` so that WebGPU runs in software here (none on other platforms).
 * `software`: also point the Vulkan loader at SwiftShader (tests); without it only the loader
 * path is added, and a real GPU's driver is used when there is one (benchmarks).
 */
export function webgpuEnv(env = process.env, { software = true } = {}) {
  if (process.platform !== "linux") return {};
  const out = {};
  if (software && !env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) out.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  if (!systemVulkan() && existsSync(`${CHROMIUM_DIR}/libvulkan.so.1`) && !(env.LD_LIBRARY_PATH ?? "").split(":").includes(CHROMIUM_DIR)) {
    out.LD_LIBRARY_PATH = [CHROMIUM_DIR, env.LD_LIBRARY_PATH].filter(Boolean).join(":");
  }
  return out;
}
