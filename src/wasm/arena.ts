/**
 * A WebAssembly memory carved into named vectors, with `Float64Array` views that survive growth.
 *
 * Growing a `WebAssembly.Memory` detaches its old `ArrayBuffer`: every view made on it reads as
 * length 0 from then on. The arena therefore hands out {@link Region}s (byte offset and length),
 * and the views of a region are made from the current buffer; a holder of views checks
 * {@link Arena.current} (one comparison) before using them and re-derives them when the buffer
 * changed. Solvers size the arena once, in `init`, so that no solve ever grows it; growth happens
 * only when a workspace is enlarged on purpose (see `reserve`).
 */
import { PAGE, roundUp16, vectorBytes } from "./layout.js";

/** A vector of `length` doubles at byte `offset` (16-byte aligned, padded to an even length). */
export interface Region {
  readonly offset: number;
  readonly length: number;
}

export class Arena {
  readonly memory: WebAssembly.Memory;
  /** Bytes in use (the next free offset). */
  private top: number;

  /** @param reservedBytes bytes at address 0 kept for the kernels' header */
  constructor(reservedBytes: number, initialBytes: number) {
    this.top = roundUp16(reservedBytes);
    this.memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(Math.max(initialBytes, this.top) / PAGE)) });
  }

  /** Allocates a vector of n doubles, growing the memory if needed (which detaches old views). */
  vector(n: number): Region {
    const offset = this.top;
    this.top += vectorBytes(n);
    this.reserve(this.top);
    return { offset, length: n };
  }

  /** Makes the memory at least `bytes` long (growing detaches every view made before). */
  reserve(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) this.memory.grow(Math.ceil((bytes - have) / PAGE));
  }

  /** A view of `region` on `buffer` (the memory's current buffer). */
  static view(buffer: ArrayBuffer, region: Region): Float64Array {
    return new Float64Array(buffer, region.offset, region.length);
  }
}
