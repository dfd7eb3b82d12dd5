/**
 * Per-trajectory args on their way to workers. Structured cloning N small objects for every worker
 * costs about a microsecond each on both sides; the common case, records of numbers with the same
 * keys (`{ sigma, rho, beta }`), travels instead as one shared Float64Array (N × keys) and is
 * rebuilt in the worker with the same keys in the same order and the same doubles, bit for bit.
 * One value shared by all trajectories travels once. Anything else is cloned.
 */

/** args as they travel. */
export type PackedArgs =
  | { readonly kind: "shared"; readonly value: unknown }
  | { readonly kind: "records"; readonly keys: readonly string[]; readonly data: Float64Array }
  | { readonly kind: "cloned"; readonly values: readonly unknown[] };

function isPlainRecord(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === "object" && Object.getPrototypeOf(x) === Object.prototype;
}

/**
 * Packs the args of N trajectories for workers (`shared` when all are one value); records of
 * numbers go into shared memory unless `sharedMemory` is false (for a journey to another process).
 */
export function packArgs(args: readonly unknown[], shared: boolean, sharedMemory = true): PackedArgs {
  const N = args.length;
  const first = args[0];
  if (shared) return { kind: "shared", value: first };
  let same = true;
  for (let i = 1; i < N && same; i++) same = args[i] === first;
  if (same) return { kind: "shared", value: first };
  if (!isPlainRecord(first)) return { kind: "cloned", values: args };
  const keys = Object.keys(first);
  const k = keys.length;
  if (k === 0) return { kind: "cloned", values: args };
  for (const key of keys) if (typeof first[key] !== "number") return { kind: "cloned", values: args };
  const data = sharedMemory ? new Float64Array(new SharedArrayBuffer(8 * N * k)) : new Float64Array(N * k);
  for (let i = 0; i < N; i++) {
    const a = args[i];
    if (!isPlainRecord(a)) return { kind: "cloned", values: args };
    let count = 0;
    for (const key in a) {
      // Same keys in the same order, all numbers (own enumerable keys of a plain object).
      if (key !== keys[count] || typeof a[key] !== "number") return { kind: "cloned", values: args };
      data[i * k + count] = a[key] as number;
      count++;
    }
    if (count !== k) return { kind: "cloned", values: args };
  }
  return { kind: "records", keys, data };
}

/** The args of trajectories [start, end), rebuilt in a worker into `out` (indexed by trajectory). */
export function unpackArgsInto(packed: PackedArgs, out: unknown[], start: number, end: number): void {
  if (packed.kind === "cloned") {
    for (let i = start; i < end; i++) out[i] = packed.values[i];
    return;
  }
  if (packed.kind === "shared") {
    for (let i = start; i < end; i++) out[i] = packed.value;
    return;
  }
  const { keys, data } = packed;
  const k = keys.length;
  for (let i = start; i < end; i++) {
    const o: Record<string, number> = {};
    for (let j = 0; j < k; j++) o[keys[j]!] = data[i * k + j]!;
    out[i] = o;
  }
}

/** The args of every trajectory, rebuilt in a worker. */
export function unpackArgs(packed: PackedArgs, N: number): unknown[] {
  const out: unknown[] = new Array(N);
  unpackArgsInto(packed, out, 0, N);
  return out;
}
