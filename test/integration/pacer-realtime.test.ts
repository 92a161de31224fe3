import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { monotonicNs, Pacer, realTimeClock } from '@quell/protocol';

describe('Pacer on the real clock', { timeout: 30_000 }, () => {
  it('keeps the mean period of a 10 s run within 10 µs of nominal (48 kHz, 480 frames)', async () => {
    const chunks = 1000;
    const pacer = new Pacer(realTimeClock, 480, 48_000, monotonicNs() + 5_000_000);
    let first = 0;
    let last = 0;
    let worstLatenessNs = 0;
    for (let i = 0; i < chunks; i++) {
      const lateness = await pacer.next();
      worstLatenessNs = Math.max(worstLatenessNs, lateness);
      const now = monotonicNs();
      if (i === 0) first = now;
      last = now;
    }
    const meanPeriodUs = (last - first) / (chunks - 1) / 1000;
    process.stdout.write(`# mean period ${meanPeriodUs.toFixed(3)} us, worst lateness ${(worstLatenessNs / 1e6).toFixed(2)} ms\n`);
    assert.ok(Math.abs(meanPeriodUs - 10_000) < 10, `mean period ${meanPeriodUs} us`);
  });
});
