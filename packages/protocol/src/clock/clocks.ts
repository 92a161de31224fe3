import { performance } from 'node:perf_hooks';

/** Monotonic clock in integer nanoseconds (process-local origin). */
export function monotonicNs(): number {
  return Number(process.hrtime.bigint());
}

/**
 * Wall-clock time in microseconds since the Unix epoch, with sub-millisecond
 * resolution. Used for capture timestamps, which several processes compare.
 */
export function wallClockUs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

/** A clock the pacer can run on: real time in production, simulated in tests. */
export interface PacerClock {
  nowNs(): number;
  /** Resolves at or after `deadlineNs`. */
  sleepUntil(deadlineNs: number): Promise<void>;
}

/**
 * Real-time clock on the monotonic timer. Sleeps with setTimeout rounded up to
 * whole milliseconds (never early; lateness is measured by the pacer).
 */
export const realTimeClock: PacerClock = {
  nowNs: monotonicNs,
  sleepUntil(deadlineNs: number): Promise<void> {
    const remainingNs = deadlineNs - monotonicNs();
    if (remainingNs <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      setTimeout(resolve, Math.ceil(remainingNs / 1e6));
    });
  },
};
