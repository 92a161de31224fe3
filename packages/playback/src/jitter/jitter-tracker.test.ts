import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JitterTracker } from './jitter-tracker.js';

describe('JitterTracker', () => {
  it('holds the start target until two windows are measured, then follows the measured spread plus the margin', () => {
    const tracker = new JitterTracker({ minTargetS: 0.01, marginS: 0.015 });
    assert.equal(tracker.targetS, 0.03, 'a stream starts at the start target, above floor and margin');
    // 10 ms chunks arriving with 0–4 ms of jitter for 5 s.
    for (let i = 1; i <= 500; i++) tracker.arrive(i * 0.01 + ((i * 7) % 5) * 0.001, i * 0.01);
    assert.ok(Math.abs(tracker.targetS - 0.019) < 1e-9, `target ${tracker.targetS}: 4 ms of spread + 15 ms`);
    tracker.reset();
    assert.equal(tracker.targetS, 0.03, 'a new stream starts over');
  });

  it('a start target below the floor or the margin does not lower them', () => {
    assert.equal(new JitterTracker({ minTargetS: 0.04, marginS: 0.02 }).targetS, 0.04);
    assert.equal(new JitterTracker({ minTargetS: 0.01, marginS: 0.02, startTargetS: 0 }).targetS, 0.02);
  });
});
