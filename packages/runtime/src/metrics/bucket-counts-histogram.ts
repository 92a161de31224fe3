import { Histogram, type Registry } from 'prom-client';
import { METRICS, type MetricName } from '@quell/protocol';
import type { BucketCounts } from './bucket-counts.js';

type HistogramValues = Awaited<ReturnType<Histogram<string>['get']>>;

/** One series of a histogram: its labels (without `le`) and its counts. */
export interface BucketSeries {
  readonly labels: Record<string, string>;
  readonly counts: BucketCounts;
}

/**
 * A prom-client histogram whose series are read at scrape time from plain
 * BucketCounts, which the hot path fills without allocation. prom-client
 * cannot take bucket counts, so this one writes its exposition itself.
 */
export class BucketCountsHistogram extends Histogram<string> {
  readonly #name: MetricName;
  readonly #series: () => Iterable<BucketSeries>;

  constructor(registry: Registry, name: MetricName, upperBounds: readonly number[], series: () => Iterable<BucketSeries>) {
    super({ name, help: METRICS[name].help, labelNames: [...METRICS[name].labels], buckets: [...upperBounds], registers: [registry] });
    this.#name = name;
    this.#series = series;
  }

  /** What prom-client's Registry renders (it prefers this to get()). */
  async getForPromString(): Promise<HistogramValues> {
    const name = this.#name;
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const { labels, counts } of this.#series()) {
      let cumulative = 0;
      for (let i = 0; i < counts.upperBounds.length; i++) {
        cumulative += counts.counts[i];
        values.push({ labels: { ...labels, le: counts.upperBounds[i] }, value: cumulative, metricName: `${name}_bucket` });
      }
      values.push({ labels: { ...labels, le: '+Inf' }, value: counts.count, metricName: `${name}_bucket` });
      values.push({ labels, value: counts.sum, metricName: `${name}_sum` });
      values.push({ labels, value: counts.count, metricName: `${name}_count` });
    }
    return { name, help: METRICS[name].help, type: 'histogram', aggregator: 'sum', values } as unknown as HistogramValues;
  }

  override get(): Promise<HistogramValues> {
    return this.getForPromString();
  }
}
