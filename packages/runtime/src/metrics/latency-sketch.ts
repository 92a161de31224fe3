/**
 * Quantiles of a latency-like quantity without storing samples: fixed
 * log-spaced buckets (about 2% wide) in a preallocated array, so `record()`
 * is allocation-free and the error of any quantile is at most one bucket.
 */
export class LatencySketch {
  static readonly #minValue = 1e-6;
  static readonly #growth = 1.02;
  static readonly #bucketCount = 1200; // covers 1 µs .. ~20000 s
  readonly #counts = new Float64Array(LatencySketch.#bucketCount + 1);
  #total = 0;
  #max = 0;

  record(value: number): void {
    const v = value < LatencySketch.#minValue ? LatencySketch.#minValue : value;
    let index = Math.ceil(Math.log(v / LatencySketch.#minValue) / Math.log(LatencySketch.#growth));
    if (index > LatencySketch.#bucketCount) index = LatencySketch.#bucketCount;
    this.#counts[index]++;
    this.#total++;
    if (value > this.#max) this.#max = value;
  }

  get count(): number {
    return this.#total;
  }

  get max(): number {
    return this.#max;
  }

  /** Upper edge of the bucket holding quantile q (0..1); 0 when empty. */
  quantile(q: number): number {
    if (this.#total === 0) return 0;
    const rank = q * this.#total;
    let seen = 0;
    for (let i = 0; i < this.#counts.length; i++) {
      seen += this.#counts[i];
      if (seen >= rank && seen > 0) return Math.min(this.#max, LatencySketch.#minValue * LatencySketch.#growth ** i);
    }
    return this.#max;
  }
}
