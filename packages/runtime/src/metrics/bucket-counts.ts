/**
 * One histogram's observations as plain numbers: `record()` scans the bounds
 * and adds, with no allocation, so a part can keep one per stream and the
 * metric reads them at scrape time (`streamHistogram`).
 */
export class BucketCounts {
  readonly upperBounds: readonly number[];
  /** Observations per bucket, not cumulative; the last slot is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(upperBounds: readonly number[]) {
    this.upperBounds = upperBounds;
    this.counts = new Float64Array(upperBounds.length + 1);
  }

  /** Records one observation in the metric's base unit. */
  record(value: number): void {
    const bounds = this.upperBounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]) i++;
    this.counts[i]++;
    this.sum += value;
    this.count++;
  }
}
