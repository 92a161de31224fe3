import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChunkDeadlines } from './chunk-deadlines.js';
import { Pacer } from './pacer.js';
import type { PacerClock } from './clocks.js';

const HOUR_NS = 3600 * 1e9;

/** A simulated clock: sleeping jumps straight to the deadline plus a fixed wake-up lateness. */
class SimulatedClock implements PacerClock {
  now = 5_000_000_000;
  constructor(readonly latenessNs: number) {}
  nowNs(): number {
    return this.now;
  }
  async sleepUntil(deadlineNs: number): Promise<void> {
    this.now = Math.max(this.now, deadlineNs) + this.latenessNs;
  }
}

describe('ChunkDeadlines', () => {
  for (const [rate, frames] of [
    [44_100, 1536],
    [48_000, 480],
  ]) {
    it(`accumulates zero drift over one simulated hour at ${rate} Hz / ${frames} frames`, () => {
      const d = new ChunkDeadlines(0, frames, rate);
      // Chunks in exactly one hour of audio: rate * 3600 frames.
      const hourFrames = rate * 3600;
      const n = Math.floor(hourFrames / frames);
      // Exact: n * frames / rate seconds, in integer ns (floored).
      const exactNs = Math.floor(((n * frames) % rate) * 1e9 / rate) + Math.floor((n * frames) / rate) * 1e9;
      assert.equal(d.offsetNs(n), exactNs);
      // And the drift against the ideal real-valued clock stays under 1 ns.
      assert.ok(Math.abs(d.offsetNs(n) - (n * frames * 1e9) / rate) < 1);
      // Every deadline in the hour is within 1 ns of ideal: no accumulation.
      let worst = 0;
      for (let k = 0; k <= n; k += 97) worst = Math.max(worst, Math.abs(d.offsetNs(k) - (k * frames * 1e9) / rate));
      assert.ok(worst < 1, `worst error ${worst} ns`);
    });
  }

  it('shows why relative sleeps fail: a microsecond-rounded period drifts 27 ppm at 1536/44.1 kHz', () => {
    const roundedPeriodUs = Math.floor((1536 * 1e6) / 44_100);
    const exactPeriodUs = (1536 * 1e6) / 44_100;
    const driftPpm = ((exactPeriodUs - roundedPeriodUs) / exactPeriodUs) * 1e6;
    assert.ok(driftPpm > 20 && driftPpm < 30, `${driftPpm}`);
    const d = new ChunkDeadlines(0, 1536, 44_100);
    const n = Math.floor((44_100 * 3600) / 1536);
    assert.ok(Math.abs(d.offsetNs(n) - n * roundedPeriodUs * 1000) > 90e6, 'rounded sleeps lose > 90 ms per hour');
  });
});

describe('Pacer', () => {
  for (const [rate, frames] of [
    [44_100, 1536],
    [48_000, 480],
  ]) {
    it(`wakes on absolute deadlines: 0 drift after 1 simulated hour at ${rate}/${frames} despite 1.3 ms late wake-ups`, async () => {
      const clock = new SimulatedClock(1_300_000);
      const start = clock.now;
      const pacer = new Pacer(clock, frames, rate, start);
      const n = Math.floor((rate * 3600) / frames);
      let lateness = 0;
      for (let i = 0; i < n; i++) lateness = await pacer.next();
      // The last wake-up is late by exactly the per-wake lateness, not n times it.
      assert.equal(lateness, 1_300_000);
      const lastDeadline = start + ChunkDeadlines.framesToNs((n - 1) * frames, rate);
      assert.equal(clock.now, lastDeadline + 1_300_000);
      assert.ok(clock.now - start < HOUR_NS + 2e6);
    });
  }

  it('retime() continues the timeline from the next deadline', async () => {
    const clock = new SimulatedClock(0);
    const pacer = new Pacer(clock, 480, 48_000, 0);
    await pacer.next();
    await pacer.next();
    pacer.retime(441, 44_100);
    assert.equal(pacer.nextDeadlineNs, 20_000_000);
    await pacer.next();
    assert.equal(pacer.nextDeadlineNs, 30_000_000);
  });
});
