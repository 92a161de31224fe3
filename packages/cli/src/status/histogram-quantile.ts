import type { MetricSample } from '@quell/runtime';

/** Cumulative bucket counts of one histogram, summed over every label set but `le`. */
export interface HistogramBuckets {
  /** Upper bounds in ascending order, `Infinity` last. */
  upperBounds: number[];
  /** Cumulative count at each upper bound. */
  counts: number[];
}

/** Reads the `<name>_bucket` samples of a histogram; `null` when the scrape has none. */
export function readBuckets(samples: readonly MetricSample[], name: string): HistogramBuckets | null {
  const byBound = new Map<number, number>();
  const bucketName = `${name}_bucket`;
  for (const s of samples) {
    if (s.name !== bucketName || s.labels.le === undefined) continue;
    const bound = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
    byBound.set(bound, (byBound.get(bound) ?? 0) + s.value);
  }
  if (byBound.size === 0) return null;
  const upperBounds = [...byBound.keys()].sort((a, b) => a - b);
  return { upperBounds, counts: upperBounds.map((b) => byBound.get(b) ?? 0) };
}

/**
 * Observations between two readings of the same histogram (bucket by bucket).
 * Returns `current` unchanged when there is no earlier reading, and `null` when
 * the buckets differ or a count went down (the process restarted).
 */
export function bucketsSince(current: HistogramBuckets, earlier: HistogramBuckets | null): HistogramBuckets | null {
  if (earlier === null) return current;
  if (earlier.upperBounds.length !== current.upperBounds.length) return null;
  const counts: number[] = [];
  for (let i = 0; i < current.counts.length; i++) {
    if (earlier.upperBounds[i] !== current.upperBounds[i]) return null;
    const delta = current.counts[i] - earlier.counts[i];
    if (delta < 0) return null;
    counts.push(delta);
  }
  return { upperBounds: current.upperBounds, counts };
}

/**
 * The q-quantile (0..1) of a histogram, interpolated linearly inside the bucket
 * that holds it, as Prometheus' histogram_quantile() does: the first bucket's
 * lower bound is 0, and a quantile in the +Inf bucket is the highest finite
 * bound. Returns `null` when the histogram holds no observations.
 */
export function histogramQuantile(q: number, buckets: HistogramBuckets): number | null {
  const { upperBounds, counts } = buckets;
  const total = counts[counts.length - 1];
  if (!(total > 0)) return null;
  const rank = q * total;
  for (let i = 0; i < counts.length; i++) {
    if (counts[i] < rank) continue;
    const upper = upperBounds[i];
    if (upper === Infinity) return i > 0 ? upperBounds[i - 1] : null;
    const lower = i > 0 ? upperBounds[i - 1] : 0;
    const below = i > 0 ? counts[i - 1] : 0;
    const inBucket = counts[i] - below;
    return inBucket > 0 ? lower + ((upper - lower) * (rank - below)) / inBucket : upper;
  }
  return upperBounds[upperBounds.length - 1] === Infinity ? upperBounds[upperBounds.length - 2] ?? null : upperBounds[upperBounds.length - 1];
}
