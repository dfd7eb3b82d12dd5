/** Variables to add to `env` so that WebGPU runs in software here (see webgpu-env.mjs). */
export declare function webgpuEnv(env?: Record<string, string | undefined>, options?: { software?: boolean }): Record<string, string>;
export declare const CHROMIUM_DIR: string;
export declare const SWIFTSHADER_ICD: string;
