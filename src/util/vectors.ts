/**
 * Workspace vectors, allocated the way V8 makes cheapest. A typed array of at most 8 doubles
 * (64 bytes) lives inside its object on the JavaScript heap and costs about as much as a small
 * object; a larger one gets a separate backing store (~0.3 µs to create and later to collect).
 * So a set of small vectors is allocated one by one, and a set of larger ones as views into one
 * allocation (one backing store instead of one each).
 */

/** `count` zeroed vectors of length n (see the module documentation). */
export function vectors(n: number, count: number): Float64Array[] {
  const out: Float64Array[] = [];
  if (n <= 8) {
    for (let i = 0; i < count; i++) out.push(new Float64Array(n));
    return out;
  }
  const all = new Float64Array(n * count);
  for (let i = 0; i < count; i++) out.push(all.subarray(i * n, (i + 1) * n));
  return out;
}
