import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeliveryClock } from './delivery-clock.js';

const RATE_HZ = 48000;
const FRAMES = 480;
const PIECE_US = 10_000;

describe('DeliveryClock', () => {
  it('record() counts no loss and no lag for steady 10 ms pieces', () => {
    const clock = new DeliveryClock(RATE_HZ, FRAMES, 50);
    for (let i = 1; i <= 500; i++) clock.record(FRAMES, 1e9 + i * PIECE_US);
    assert.equal(clock.lossCount, 0);
    assert.equal(clock.lastLagUs, 0);
  });

  it('record() returns the capture time of the last frame, anchored on the earliest arrival', () => {
    const clock = new DeliveryClock(RATE_HZ, FRAMES, 50);
    const first = clock.record(FRAMES, 1e9 + PIECE_US + 3000);
    assert.equal(first, 1e9 + PIECE_US + 3000);
    const second = clock.record(FRAMES, 1e9 + 2 * PIECE_US); // 3 ms earlier than the first implied
    assert.equal(second, 1e9 + 2 * PIECE_US);
    clock.record(FRAMES, 1e9 + 3 * PIECE_US + 7000);
    assert.equal(clock.lastLagUs, 7000);
  });

  it('record() does not count a stall followed by a catch-up burst as a loss', () => {
    const clock = new DeliveryClock(RATE_HZ, FRAMES, 50);
    let t = 1e9;
    for (let i = 0; i < 100; i++) clock.record(FRAMES, (t += PIECE_US));
    t += 60_000; // event loop blocked 60 ms, then 6 queued pieces arrive at once
    for (let i = 0; i < 6; i++) clock.record(FRAMES, t);
    for (let i = 0; i < 200; i++) clock.record(FRAMES, (t += PIECE_US));
    assert.equal(clock.lossCount, 0);
  });

  it('record() counts a lasting jump of 3 pieces as one loss of ~1440 frames', () => {
    const clock = new DeliveryClock(RATE_HZ, FRAMES, 50);
    let t = 1e9;
    for (let i = 0; i < 100; i++) clock.record(FRAMES, (t += PIECE_US));
    t += 3 * PIECE_US; // three device buffers never arrive
    for (let i = 0; i < 200; i++) clock.record(FRAMES, (t += PIECE_US));
    assert.equal(clock.lossCount, 1);
    assert.equal(clock.lostFrameCount, 3 * FRAMES);
  });

  it('record() absorbs 100 ppm of clock drift without counting losses', () => {
    const clock = new DeliveryClock(RATE_HZ, FRAMES, 100);
    for (let i = 1; i <= 60_000; i++) clock.record(FRAMES, 1e9 + i * PIECE_US * 1.0001); // 10 minutes
    assert.equal(clock.lossCount, 0);
  });
});
