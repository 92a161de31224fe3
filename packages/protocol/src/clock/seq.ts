// Sequence numbers and stream positions are u32 and wrap; compare them only
// through these helpers so the wrap is handled in one place.

/**
 * a − b for two u32 counters, wrap-safe: how far `a` is ahead of `b`
 * (negative when it is behind), in [-2^31, 2^31). `seqSub(seq, next) > 0`
 * reads "seq is past next".
 */
export function seqSub(a: number, b: number): number {
  return (a - b) | 0;
}

/** True when `a` comes before `b` (wrap-safe). */
export function seqLt(a: number, b: number): boolean {
  return seqSub(b, a) > 0;
}

/** a + n modulo 2^32. */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}
