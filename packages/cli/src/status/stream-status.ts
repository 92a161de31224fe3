import type { MetricName } from '@quell/protocol';
import type { MetricSample } from '@quell/runtime';
import { histogramQuantile, readBuckets } from './histogram-quantile.js';
import type { StatusStage } from './status-stage.js';

/** One stream as one stage sees it, from the stage's `quell_<stage>_stream_*` metrics. */
export interface StreamStatus {
  /** Capture: chunks sent; inference: received; playback: played. */
  chunks: number;
  drops: number;
  /** p99 since the stream started, seconds: inference model time, playback end-to-end latency; null for capture. */
  p99S: number | null;
}

interface StreamMetricNames {
  chunks: MetricName;
  drops: MetricName;
  timing: MetricName | null;
}

export const STREAM_STATUS_METRICS: Record<StatusStage, StreamMetricNames> = {
  capture: { chunks: 'quell_capture_stream_chunks_sent_total', drops: 'quell_capture_stream_drops_total', timing: null },
  inference: { chunks: 'quell_inference_stream_chunks_received_total', drops: 'quell_inference_stream_drops_total', timing: 'quell_inference_stream_chunk_processing_seconds' },
  playback: { chunks: 'quell_playback_stream_chunks_played_total', drops: 'quell_playback_stream_drops_total', timing: 'quell_playback_stream_latency_seconds' },
};

/** Every stream a stage exports per-stream series for, by stream id (several inference nodes or series of one stream are summed). */
export function streamStatusFrom(stage: StatusStage, samples: readonly MetricSample[]): Record<string, StreamStatus> {
  const names = STREAM_STATUS_METRICS[stage];
  const byStream = new Map<string, MetricSample[]>();
  for (const s of samples) {
    const id = s.labels.stream;
    if (id === undefined || !s.name.startsWith(`quell_${stage}_stream_`)) continue;
    let list = byStream.get(id);
    if (!list) byStream.set(id, (list = []));
    list.push(s);
  }
  const streams: Record<string, StreamStatus> = {};
  const ids = [...byStream.keys()].sort((a, b) => Number(a) - Number(b));
  for (const id of ids) {
    const own = byStream.get(id)!;
    let chunks = 0;
    let drops = 0;
    for (const s of own) {
      if (s.name === names.chunks) chunks += s.value;
      else if (s.name === names.drops) drops += s.value;
    }
    const buckets = names.timing ? readBuckets(own, names.timing) : null;
    streams[id] = { chunks, drops, p99S: buckets ? histogramQuantile(0.99, buckets) : null };
  }
  return streams;
}
