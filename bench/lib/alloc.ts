/**
 * Allocation accounting with V8's GC profiler: bytes allocated on the JavaScript heap while `fn`
 * runs = the growth of the used heap between collections, summed (each collection's "before"
 * minus the previous "after", plus the growth after the last one). Also counts the collections.
 * Run after a warm-up, so that compilation does not show up as allocation.
 */
import v8 from "node:v8";

export interface Allocation {
  /** Bytes allocated on the JS heap while fn ran. */
  bytes: number;
  /** Garbage collections while fn ran (all kinds). */
  gcs: number;
  /** Of which minor (young-generation) collections. */
  minorGcs: number;
}

interface GCStat {
  gcType: string;
  beforeGC: { heapStatistics: { usedHeapSize: number } };
  afterGC: { heapStatistics: { usedHeapSize: number } };
}

/** Measures what `fn` allocates (see the module comment). Needs `--expose-gc` for a clean start. */
export function measureAllocation(fn: () => void): Allocation {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) gc();
  const profiler = new v8.GCProfiler();
  const start = v8.getHeapStatistics().used_heap_size;
  profiler.start();
  fn();
  const end = v8.getHeapStatistics().used_heap_size;
  const data = profiler.stop() as unknown as { statistics: GCStat[] };
  let bytes = 0;
  let prev = start;
  let minor = 0;
  for (const s of data.statistics) {
    bytes += s.beforeGC.heapStatistics.usedHeapSize - prev;
    prev = s.afterGC.heapStatistics.usedHeapSize;
    if (s.gcType === "Scavenge" || s.gcType === "MinorMarkCompact" || s.gcType === "MinorMarkSweep") minor++;
  }
  bytes += end - prev;
  return { bytes, gcs: data.statistics.length, minorGcs: minor };
}
