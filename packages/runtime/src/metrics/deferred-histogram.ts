import { Histogram, type Registry } from 'prom-client';
import { METRICS, type MetricName } from '@quell/protocol';

/**
 * A histogram whose hot-path `record()` only stores the value in a
 * preallocated ring; the values are folded into the prom-client histogram at
 * scrape time (or when the ring fills), so per-chunk cost is one array write.
 */
export class DeferredHistogram {
  readonly #pending: Float64Array;
  #count = 0;
  readonly #histogram: Histogram;

  constructor(registry: Registry, name: MetricName, buckets: number[], capacity = 4096) {
    this.#pending = new Float64Array(capacity);
    const flush = (): void => this.flush();
    this.#histogram = new Histogram({
      name,
      help: METRICS[name].help,
      buckets,
      registers: [registry],
      collect() {
        flush();
      },
    });
  }

  /** Records one observation in the metric's base unit (seconds). */
  record(value: number): void {
    this.#pending[this.#count++] = value;
    if (this.#count === this.#pending.length) this.flush();
  }

  flush(): void {
    for (let i = 0; i < this.#count; i++) this.#histogram.observe(this.#pending[i]);
    this.#count = 0;
  }
}

/** Buckets from 50 µs to 5 s, roughly ×2 apart, for per-chunk timings. */
export const TIMING_BUCKETS_S = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5,
];

/** Buckets for end-to-end latency, 1 ms to 10 s. */
export const LATENCY_BUCKETS_S = [0.001, 0.002, 0.005, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2, 5, 10];
