// Sequence numbers and stream positions are u32 and wrap; compare them only
// through these helpers so the wrap is handled in one place.

/** Signed distance b - a between two u32 counters, in [-2^31, 2^31). */
export function seqDiff(a: number, b: number): number {
  return ((b - a) | 0);
}

/** True when `a` comes before `b` (wrap-safe). */
export function seqLt(a: number, b: number): boolean {
  return seqDiff(a, b) > 0;
}

/** a + n modulo 2^32. */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}
