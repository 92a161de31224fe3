import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { METRICS, type MetricName } from '@quell/protocol';

/** Counts by label value, as plain numbers the hot path increments. */
export type ReasonCounts<R extends string> = Record<R, number>;

export function zeroCounts<R extends string>(reasons: readonly R[]): ReasonCounts<R> {
  const counts = {} as ReasonCounts<R>;
  for (const r of reasons) counts[r] = 0;
  return counts;
}

/**
 * One registry per process with the Node defaults (CPU, memory, event-loop
 * delay, GC pauses) and helpers that expose plain counters at scrape time, so
 * parts only ever do `counts.x++` on the hot path.
 */
export class StageRegistry {
  readonly registry = new Registry();

  constructor(defaultLabels: Record<string, string> = {}) {
    this.registry.setDefaultLabels(defaultLabels);
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 10 });
  }

  /** A counter read from `read()` at scrape time (must be monotonic). */
  counter(name: MetricName, read: () => number): void {
    new Counter({
      name,
      help: METRICS[name].help,
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  }

  /** A counter with one label (`reason`), every known value exported, zeros included. */
  counterByLabel<R extends string>(name: MetricName, counts: ReasonCounts<R>): void {
    const label = METRICS[name].labels[0] ?? 'reason';
    new Counter({
      name,
      help: METRICS[name].help,
      labelNames: [label],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const key of Object.keys(counts) as R[]) this.inc({ [label]: key }, counts[key]);
      },
    });
  }

  /** A gauge read from `read()` at scrape time. */
  gauge(name: MetricName, read: () => number): void {
    new Gauge({
      name,
      help: METRICS[name].help,
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }

  /** A gauge whose label sets come and go: `read()` gives every current label set and its value at scrape time. */
  gaugeByLabels(name: MetricName, read: () => [Record<string, string>, number][]): void {
    new Gauge({
      name,
      help: METRICS[name].help,
      labelNames: [...METRICS[name].labels],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [labels, value] of read()) this.set(labels, value);
      },
    });
  }

  /** An info-style gauge with fixed labels and value 1. */
  info(name: MetricName, labels: Record<string, string>): Gauge {
    const gauge = new Gauge({ name, help: METRICS[name].help, labelNames: Object.keys(labels), registers: [this.registry] });
    gauge.set(labels, 1);
    return gauge;
  }
}
