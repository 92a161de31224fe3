import { monotonicNs } from '@quell/protocol';

/** Calls `run` 200 times to warm up, then `hops` times, timing each call: µs per call, in call order. */
export async function timeHops(run: () => Promise<void> | void, hops: number): Promise<number[]> {
  for (let i = 0; i < 200; i++) await run();
  const us: number[] = [];
  for (let i = 0; i < hops; i++) {
    const t = monotonicNs();
    await run();
    us.push((monotonicNs() - t) / 1000);
  }
  return us;
}
