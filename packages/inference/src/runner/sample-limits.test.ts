import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { limitInput, plausibleOutput } from './sample-limits.js';

describe('sample limits', () => {
  it('limitInput clips beyond ±1 in place and counts, leaving the rest untouched', () => {
    const x = Float32Array.from([0.5, 1, 1.0001, -3, 1e30, -1e30, -0.25]);
    assert.equal(limitInput(x), 4);
    assert.deepEqual([...x], [0.5, 1, 1, -1, 1, -1, -0.25]);
  });

  it('plausibleOutput refuses NaN, ±Infinity and samples beyond the limit', () => {
    assert.equal(plausibleOutput(Float32Array.from([0, 0.9, -4]), 4), true);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 4.01, -5]) assert.equal(plausibleOutput(Float32Array.from([0, bad]), 4), false, String(bad));
  });
});
