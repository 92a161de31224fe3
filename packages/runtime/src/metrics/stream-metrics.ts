import { Counter, Gauge, type Registry } from 'prom-client';
import { METRICS, type MetricName } from '@quell/protocol';
import type { BucketCounts } from './bucket-counts.js';
import { BucketCountsHistogram } from './bucket-counts-histogram.js';
import type { ReasonCounts } from './stage-registry.js';
import type { StreamSeries } from './stream-series.js';

// Metrics with a `stream` label, one series per stream a StreamSeries exports, read from its plain entries at scrape time.

function checkStreamLabel(name: MetricName, labels: number): void {
  const spec = METRICS[name];
  if (spec.labels[0] !== 'stream' || spec.labels.length !== labels) throw new TypeError(`${name} is not declared with labels [stream${labels > 1 ? ', ...' : ''}] in METRICS`);
}

/** A counter per stream (`read` must be monotonic while the stream is tracked). */
export function streamCounter<E>(registry: Registry, name: MetricName, series: StreamSeries<E>, read: (entry: E) => number): void {
  checkStreamLabel(name, 1);
  new Counter({
    name,
    help: METRICS[name].help,
    labelNames: ['stream'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of series.exported()) this.inc({ stream: s.label }, read(s.entry));
    },
  });
}

/** A counter per stream and reason (the metric's second label), every known reason exported, zeros included. */
export function streamCounterByLabel<E, R extends string>(registry: Registry, name: MetricName, series: StreamSeries<E>, read: (entry: E) => ReasonCounts<R>): void {
  checkStreamLabel(name, 2);
  const label = METRICS[name].labels[1];
  new Counter({
    name,
    help: METRICS[name].help,
    labelNames: ['stream', label],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of series.exported()) {
        const counts = read(s.entry);
        for (const key of Object.keys(counts) as R[]) this.inc({ stream: s.label, [label]: key }, counts[key]);
      }
    },
  });
}

/** A gauge per stream; `read` runs once per stream per scrape. */
export function streamGauge<E>(registry: Registry, name: MetricName, series: StreamSeries<E>, read: (entry: E) => number): void {
  checkStreamLabel(name, 1);
  new Gauge({
    name,
    help: METRICS[name].help,
    labelNames: ['stream'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of series.exported()) this.set({ stream: s.label }, read(s.entry));
    },
  });
}

/** A histogram per stream; every entry's BucketCounts must use `upperBounds`. */
export function streamHistogram<E>(registry: Registry, name: MetricName, series: StreamSeries<E>, upperBounds: readonly number[], read: (entry: E) => BucketCounts): void {
  checkStreamLabel(name, 1);
  new BucketCountsHistogram(registry, name, upperBounds, function* () {
    for (const { label, entry } of series.exported()) yield { labels: { stream: label }, counts: read(entry) };
  });
}
