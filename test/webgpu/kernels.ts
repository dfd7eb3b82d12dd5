/**
 * Runs a one-off compute kernel on the test device: `main` writes `out` (u32 words) from `input`
 * (u32 words), one invocation per index below `count`. For testing WGSL building blocks (Philox,
 * the compiled functions) on their own.
 */
import type { WebGPUDevice } from "../../src/ensemble/webgpu/types.js";

export async function runKernel(device: WebGPUDevice, body: string, input: Uint32Array, outWords: number, count: number): Promise<Uint32Array> {
  const code = `@group(0) @binding(0) var<storage, read> input: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;
${body}
@compute @workgroup_size(64)
fn entry(@builtin(global_invocation_id) gid: vec3<u32>) { if (gid.x < ${count}u) { main(gid.x); } }`;
  device.pushErrorScope("validation");
  const module = device.createShaderModule({ code });
  const info = await module.getCompilationInfo!();
  const errors = info.messages.filter((m) => m.type === "error");
  if (errors.length > 0) throw new Error(errors.map((m) => `${m.lineNum}: ${m.message}\n${code.split("\n")[m.lineNum - 1]}`).join("\n"));
  const pipeline = device.createComputePipeline({ layout: "auto", compute: { module, entryPoint: "entry" } });
  const inBuf = device.createBuffer({ size: Math.max(16, input.byteLength), usage: 0x80 | 0x8 });
  const outBuf = device.createBuffer({ size: 4 * outWords, usage: 0x80 | 0x4 });
  const read = device.createBuffer({ size: 4 * outWords, usage: 0x1 | 0x8 });
  device.queue.writeBuffer(inBuf, 0, input);
  const group = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: inBuf } }, { binding: 1, resource: { buffer: outBuf } }] });
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, group);
  pass.dispatchWorkgroups(Math.ceil(count / 64));
  pass.end();
  enc.copyBufferToBuffer(outBuf, 0, read, 0, 4 * outWords);
  device.queue.submit([enc.finish()]);
  const err = await device.popErrorScope();
  if (err !== null) throw new Error(err.message);
  await read.mapAsync(1);
  const out = new Uint32Array(read.getMappedRange().slice(0));
  read.unmap();
  for (const b of [inBuf, outBuf, read]) b.destroy();
  return out;
}
