import { scrapeMetrics, type MetricSample } from '@quell/runtime';
import { stageImbalances, streamLedgers } from './ledger.js';
import { downStatus, stageStatusFrom, type StageReading, type StageStatus } from './stage-status.js';
import { STATUS_STAGES, type StatusStage } from './status-stage.js';

/** All stages at one moment: what `quell status --json` prints. */
export interface StatusSnapshot {
  /** When the reads started, ISO 8601. */
  time: string;
  stages: Record<StatusStage, StageStatus>;
  /** Streams whose ledger does not balance inside a stage (docs/METRICS.md#the-ledger), with how; empty when all do. */
  imbalances: { stream: string; imbalances: string[] }[];
}

/** Default `/metrics` URLs: each stage's default metrics port on loopback. */
export const DEFAULT_STATUS_URLS: Record<StatusStage, string> = {
  capture: 'http://127.0.0.1:9101/metrics',
  inference: 'http://127.0.0.1:9102/metrics',
  playback: 'http://127.0.0.1:9103/metrics',
};

/** Accepts `host:port`, `http://host:port` or a full URL; adds `http://` and `/metrics` where missing. */
export function metricsUrl(value: string): string {
  const withScheme = /^[a-z]+:\/\//i.test(value) ? value : `http://${value}`;
  const url = new URL(withScheme);
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/metrics';
  return url.toString();
}

/**
 * Reads every stage's /metrics in parallel. Keeps the last good reading of
 * each stage so rates and interval quantiles cover the time between polls.
 * A stage that does not answer within `timeoutMs` is reported down.
 */
export class StatusPoller {
  readonly #urls: Record<StatusStage, string>;
  readonly #timeoutMs: number;
  readonly #previous = new Map<StatusStage, StageReading>();

  constructor(urls: Record<StatusStage, string>, timeoutMs = 800) {
    if (!(timeoutMs > 0)) throw new TypeError(`timeoutMs must be > 0, got ${timeoutMs}`);
    this.#urls = urls;
    this.#timeoutMs = timeoutMs;
  }

  async poll(): Promise<StatusSnapshot> {
    const time = new Date().toISOString();
    const samples: Partial<Record<StatusStage, MetricSample[]>> = {};
    const statuses = await Promise.all(STATUS_STAGES.map((stage) => this.#read(stage, samples)));
    const stages = {} as Record<StatusStage, StageStatus>;
    for (const s of statuses) stages[s.stage] = s;
    // Links between stages carry chunks in flight while streams flow: a live view checks each stage's own account only.
    const ledgers = streamLedgers({ capture: samples.capture, inference: samples.inference ? [samples.inference] : undefined, playback: samples.playback });
    const imbalances = ledgers.map((l) => ({ stream: l.stream, imbalances: stageImbalances(l) })).filter((l) => l.imbalances.length > 0);
    return { time, stages, imbalances };
  }

  async #read(stage: StatusStage, into: Partial<Record<StatusStage, MetricSample[]>>): Promise<StageStatus> {
    const url = this.#urls[stage];
    try {
      const samples = await scrapeMetrics(url, this.#timeoutMs);
      into[stage] = samples;
      const { status, reading } = stageStatusFrom(stage, url, samples, performance.now(), this.#previous.get(stage) ?? null);
      this.#previous.set(stage, reading);
      return status;
    } catch (err) {
      this.#previous.delete(stage);
      return downStatus(stage, url, describeError(err));
    }
  }
}

/** fetch() hides the socket error in `cause`; show that (ECONNREFUSED, timeout) instead of "fetch failed". */
function describeError(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return 'no answer (timeout)';
  if (e.cause?.code) return e.cause.code;
  return e.cause?.message ?? e.message;
}
