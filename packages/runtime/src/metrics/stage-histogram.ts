import type { Registry } from 'prom-client';
import type { MetricName } from '@quell/protocol';
import { BucketCounts } from './bucket-counts.js';
import { BucketCountsHistogram } from './bucket-counts-histogram.js';

/**
 * A stage histogram (no labels) whose hot-path `record()` only adds to plain
 * bucket counts; the metric reads them at scrape time. Nothing is queued, so
 * a stage nobody scrapes never pays for a backlog.
 */
export class StageHistogram {
  readonly #counts: BucketCounts;

  constructor(registry: Registry, name: MetricName, buckets: readonly number[]) {
    const counts = new BucketCounts(buckets);
    this.#counts = counts;
    const series = [{ labels: {}, counts }];
    new BucketCountsHistogram(registry, name, buckets, () => series);
  }

  /** Records one observation in the metric's base unit (seconds). */
  record(value: number): void {
    this.#counts.record(value);
  }
}

/** Buckets from 50 µs to 5 s, roughly ×2 apart, for per-chunk timings. */
export const TIMING_BUCKETS_S = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5,
];

/** Buckets for end-to-end latency, 1 ms to 10 s. */
export const LATENCY_BUCKETS_S = [0.001, 0.002, 0.005, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2, 5, 10];
