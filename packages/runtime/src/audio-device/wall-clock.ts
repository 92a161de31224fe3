/** Wall-clock time in µs since the Unix epoch, from the monotonic clock (never jumps backwards within a process). */
export function wallClockUs(): number {
  return performance.timeOrigin * 1000 + performance.now() * 1000;
}
