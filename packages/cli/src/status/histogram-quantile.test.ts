import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMetricsText } from '@quell/runtime';
import { bucketsSince, histogramQuantile, readBuckets } from './histogram-quantile.js';

const TEXT = `
# TYPE x_seconds histogram
x_seconds_bucket{le="0.01",stage="a"} 10
x_seconds_bucket{le="0.02",stage="a"} 90
x_seconds_bucket{le="0.05",stage="a"} 100
x_seconds_bucket{le="+Inf",stage="a"} 100
x_seconds_sum{stage="a"} 1.5
x_seconds_count{stage="a"} 100
`;

describe('histogramQuantile()', () => {
  it('interpolates inside the bucket that holds the rank, as Prometheus does', () => {
    const b = readBuckets(parseMetricsText(TEXT), 'x_seconds');
    assert.ok(b);
    assert.deepEqual(b.upperBounds, [0.01, 0.02, 0.05, Infinity]);
    // rank 50 of 100: 40 of the 80 in (0.01, 0.02] -> halfway.
    assert.ok(Math.abs((histogramQuantile(0.5, b) ?? 0) - 0.015) < 1e-12);
    // rank 5: half of the first bucket, whose lower bound is 0.
    assert.ok(Math.abs((histogramQuantile(0.05, b) ?? 0) - 0.005) < 1e-12);
    assert.ok(Math.abs((histogramQuantile(0.99, b) ?? 0) - 0.047) < 1e-12);
  });

  it('returns the highest finite bound for a quantile in the +Inf bucket, null when empty', () => {
    assert.equal(histogramQuantile(0.99, { upperBounds: [0.1, Infinity], counts: [1, 10] }), 0.1);
    assert.equal(histogramQuantile(0.5, { upperBounds: [0.1, Infinity], counts: [0, 0] }), null);
  });

  it('readBuckets() sums label sets per bound and returns null when the histogram is missing', () => {
    const twice = parseMetricsText(`${TEXT}\n${TEXT.replaceAll('stage="a"', 'stage="b"')}`);
    assert.deepEqual(readBuckets(twice, 'x_seconds')?.counts, [20, 180, 200, 200]);
    assert.equal(readBuckets(twice, 'y_seconds'), null);
  });

  it('bucketsSince() subtracts an earlier reading and gives null after a reset', () => {
    const now = { upperBounds: [0.1, Infinity], counts: [5, 8] };
    assert.deepEqual(bucketsSince(now, { upperBounds: [0.1, Infinity], counts: [2, 3] })?.counts, [3, 5]);
    assert.equal(bucketsSince(now, { upperBounds: [0.1, Infinity], counts: [6, 9] }), null);
    assert.equal(bucketsSince(now, null), now);
  });
});
