import type { MetricName } from '@quell/protocol';
import { sumSamples, type MetricSample } from '@quell/runtime';
import { bucketsSince, histogramQuantile, readBuckets, type HistogramBuckets } from './histogram-quantile.js';
import type { StatusStage } from './status-stage.js';
import { streamStatusFrom, type StreamStatus } from './stream-status.js';

/** Which metrics of metric-names.ts `quell status` shows for one stage. */
export interface StageMetricNames {
  /** Chunk counters by what they count. */
  chunks: Record<string, MetricName>;
  /** The counter behind the chunk rate column: what leaves the stage. */
  rateOf: MetricName;
  /** Chunks waiting: the send queue (capture, inference) or the jitter buffers (playback). */
  queueDepth: MetricName;
  drops: MetricName;
  rejected: MetricName | null;
  streamsActive: MetricName;
  /** Histogram behind the p50/p99 columns. */
  timing: MetricName;
}

export const STATUS_METRICS: Record<StatusStage, StageMetricNames> = {
  capture: {
    chunks: { sent: 'quell_capture_chunks_sent_total' },
    rateOf: 'quell_capture_chunks_sent_total',
    queueDepth: 'quell_capture_send_queue_depth_chunks',
    drops: 'quell_capture_drops_total',
    rejected: null,
    streamsActive: 'quell_capture_streams_active',
    timing: 'quell_capture_chunk_processing_seconds',
  },
  inference: {
    chunks: { received: 'quell_inference_chunks_received_total', sent: 'quell_inference_chunks_sent_total' },
    rateOf: 'quell_inference_chunks_sent_total',
    queueDepth: 'quell_inference_send_queue_depth_chunks',
    drops: 'quell_inference_drops_total',
    rejected: 'quell_inference_rejected_messages_total',
    streamsActive: 'quell_inference_streams_active',
    timing: 'quell_inference_chunk_processing_seconds',
  },
  playback: {
    chunks: { received: 'quell_playback_chunks_received_total', played: 'quell_playback_chunks_played_total' },
    rateOf: 'quell_playback_chunks_played_total',
    queueDepth: 'quell_playback_jitter_buffer_depth_chunks',
    drops: 'quell_playback_drops_total',
    rejected: 'quell_playback_rejected_messages_total',
    streamsActive: 'quell_playback_streams_active',
    timing: 'quell_playback_latency_seconds',
  },
};

/** What one stage looked like at one read of its /metrics. Fields are `null` when the stage is down. */
export interface StageStatus {
  stage: StatusStage;
  url: string;
  up: boolean;
  /** Why the read failed (down only). */
  error: string | null;
  /** Chunk counters since the process started, by what they count (capture: sent; inference: received, sent; playback: received, played). */
  chunks: Record<string, number> | null;
  /** Chunks per second of `rateOf` since the previous read; `null` on the first read or after a restart. */
  chunkRatePerS: number | null;
  queueDepthChunks: number | null;
  /** Playback only: the jitter-buffer prefill target, chunks. */
  queueTargetChunks: number | null;
  drops: { total: number; byReason: Record<string, number> } | null;
  rejected: number | null;
  streamsActive: number | null;
  /**
   * p50/p99 of the stage's timing histogram, seconds: capture chunk processing,
   * inference model time, playback end-to-end latency. Over the interval since
   * the previous read (`window: 'interval'`) or since the process started.
   */
  timing: { metric: MetricName; p50S: number | null; p99S: number | null; window: 'interval' | 'since-start' } | null;
  /** Inference only. */
  model: string | null;
  node: string | null;
  /** Inference only: processing time / audio time since the previous scrape by anyone. */
  realtimeFactor: number | null;
  rssBytes: number | null;
  startTimeS: number | null;
  /** Per stream, by stream id, from the stage's per-stream metrics (streams that ended leave after 30 s). */
  streams: Record<string, StreamStatus> | null;
  /** Capture's input or playback's output devices: every one open or not; `null` when the stage uses no device (or is down). */
  deviceOpen: boolean | null;
  /** How many of its devices are open, of how many it uses (several: --source or --route entries). */
  devicesOpen?: number;
  devicesWanted?: number;
  /** Device failures since the stage started (counted, each retried); `null` when the stage uses no device. */
  deviceErrors: number | null;
  /** Playback with a device sink: the level the drift corrector holds (jitter buffer + resampler input) and its target, s. */
  playout: { levelS: number; targetS: number } | null;
}

/** The parts of a successful read the next read compares against. */
export interface StageReading {
  timeMs: number;
  startTimeS: number | null;
  rateCounter: number;
  timing: HistogramBuckets | null;
}

function firstValue(samples: readonly MetricSample[], name: string): number | null {
  for (const s of samples) if (s.name === name) return s.value;
  return null;
}

/** A down stage: every field that needs a scrape is `null`. */
export function downStatus(stage: StatusStage, url: string, error: string): StageStatus {
  return {
    stage, url, up: false, error,
    chunks: null, chunkRatePerS: null, queueDepthChunks: null, queueTargetChunks: null, drops: null, rejected: null,
    streamsActive: null, timing: null, model: null, node: null, realtimeFactor: null, rssBytes: null, startTimeS: null, streams: null, deviceOpen: null, deviceErrors: null, playout: null,
  };
}

/**
 * Builds a stage's status from one scrape taken at `timeMs`, with rates and
 * interval quantiles against `previous` (the last successful read, or null).
 */
export function stageStatusFrom(
  stage: StatusStage,
  url: string,
  samples: readonly MetricSample[],
  timeMs: number,
  previous: StageReading | null,
): { status: StageStatus; reading: StageReading } {
  const names = STATUS_METRICS[stage];
  const chunks: Record<string, number> = {};
  for (const [what, name] of Object.entries(names.chunks)) chunks[what] = sumSamples(samples, name);
  const byReason: Record<string, number> = {};
  let dropTotal = 0;
  for (const s of samples) {
    if (s.name !== names.drops) continue;
    const reason = s.labels.reason ?? '';
    byReason[reason] = (byReason[reason] ?? 0) + s.value;
    dropTotal += s.value;
  }
  const startTimeS = firstValue(samples, 'process_start_time_seconds');
  const rateCounter = sumSamples(samples, names.rateOf);
  // A new start time or a smaller counter means the stage restarted: compare with nothing.
  const comparable = previous !== null && previous.startTimeS === startTimeS && previous.rateCounter <= rateCounter && timeMs > previous.timeMs;
  const before = comparable ? previous : null;
  const buckets = readBuckets(samples, names.timing);
  const window = buckets === null ? null : bucketsSince(buckets, before?.timing ?? null);
  let model: string | null = null;
  let node: string | null = null;
  for (const s of samples) {
    if (s.name === 'quell_inference_model_info' && s.value === 1) {
      model = s.labels.model ?? null;
      node = s.labels.node ?? null;
    }
    // Routed capture: which inference node and model serve each stream (docs/SWAP.md).
    if (s.name === 'quell_capture_stream_node_info' && s.value === 1) {
      const route = `stream ${s.labels.stream}: ${s.labels.model ?? '?'}`;
      model = model === null ? route : `${model}, ${route}`;
      node = node === null ? (s.labels.node ?? null) : `${node}, ${s.labels.node ?? '?'}`;
    }
  }
  const status: StageStatus = {
    stage,
    url,
    up: true,
    error: null,
    chunks,
    chunkRatePerS: before ? ((rateCounter - before.rateCounter) * 1000) / (timeMs - before.timeMs) : null,
    queueDepthChunks: firstValue(samples, names.queueDepth),
    queueTargetChunks: stage === 'playback' ? firstValue(samples, 'quell_playback_jitter_buffer_target_chunks') : null,
    drops: { total: dropTotal, byReason },
    rejected: names.rejected ? sumSamples(samples, names.rejected) : null,
    streamsActive: firstValue(samples, names.streamsActive),
    timing: {
      metric: names.timing,
      p50S: window ? histogramQuantile(0.5, window) : null,
      p99S: window ? histogramQuantile(0.99, window) : null,
      window: before?.timing ? 'interval' : 'since-start',
    },
    model,
    node,
    realtimeFactor: stage === 'inference' ? firstValue(samples, 'quell_inference_realtime_factor') : null,
    rssBytes: firstValue(samples, 'process_resident_memory_bytes'),
    startTimeS,
    streams: streamStatusFrom(stage, samples),
    ...deviceState(stage, samples),
  };
  return { status, reading: { timeMs, startTimeS, rateCounter, timing: buckets } };
}

function deviceState(stage: StatusStage, samples: readonly MetricSample[]): Pick<StageStatus, 'deviceOpen' | 'devicesOpen' | 'devicesWanted' | 'deviceErrors' | 'playout'> {
  if (stage === 'inference') return { deviceOpen: null, deviceErrors: null, playout: null };
  const open = firstValue(samples, `quell_${stage}_device_open`);
  if (open === null) return { deviceOpen: null, deviceErrors: null, playout: null };
  // Stages from before several devices say 1 or 0 and no count wanted.
  const wanted = firstValue(samples, `quell_${stage}_devices_wanted`) ?? 1;
  const playout =
    stage === 'playback' && open > 0
      ? { levelS: sumSamples(samples, 'quell_playback_device_buffer_level_seconds'), targetS: sumSamples(samples, 'quell_playback_device_buffer_target_seconds') }
      : null;
  return { deviceOpen: open >= wanted, devicesOpen: open, devicesWanted: wanted, deviceErrors: sumSamples(samples, `quell_${stage}_device_errors_total`), playout };
}
