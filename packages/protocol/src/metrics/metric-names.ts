/**
 * Every Quell metric, in one table: the contract for Grafana dashboards and
 * alert rules. Names follow Prometheus conventions: `quell_<stage>_<thing>_<unit>`,
 * base units (seconds), `_total` for counters. A "chunk" is one data message
 * (one wire frame); an "audio frame" is one sample per channel.
 */
export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface MetricSpec {
  type: MetricType;
  help: string;
  labels: readonly string[];
}

function spec(type: MetricType, help: string, labels: readonly string[] = []): MetricSpec {
  return { type, help, labels };
}

export const METRICS = {
  // capture
  quell_capture_chunks_sent_total: spec('counter', 'Chunks handed to the socket by capture'),
  quell_capture_audio_frames_sent_total: spec('counter', 'Audio frames (samples per channel) sent by capture'),
  quell_capture_drops_total: spec('counter', 'Chunks capture dropped, by reason', ['reason']),
  quell_capture_send_queue_depth_chunks: spec('gauge', 'Chunks waiting in the capture send queue'),
  quell_capture_pacer_lateness_seconds: spec('histogram', 'How late the pacer woke after each chunk deadline'),
  quell_capture_chunk_processing_seconds: spec('histogram', 'Time to read, encode and queue one chunk'),
  quell_capture_streams_active: spec('gauge', 'Streams capture is currently sending'),
  // inference
  quell_inference_chunks_received_total: spec('counter', 'Valid chunks received by inference'),
  quell_inference_chunks_sent_total: spec('counter', 'Chunks handed to the socket by inference'),
  quell_inference_audio_frames_processed_total: spec('counter', 'Audio frames processed by the model'),
  quell_inference_rejected_messages_total: spec('counter', 'Malformed messages inference ignored, by reason', ['reason']),
  quell_inference_drops_total: spec('counter', 'Chunks inference dropped, by reason', ['reason']),
  quell_inference_send_queue_depth_chunks: spec('gauge', 'Chunks waiting in the inference send queue'),
  quell_inference_chunk_processing_seconds: spec('histogram', 'Model processing time per chunk'),
  quell_inference_realtime_factor: spec('gauge', 'Processing time divided by audio time over the last scrape interval (1 = just real time)'),
  quell_inference_streams_active: spec('gauge', 'Streams with live model state'),
  quell_inference_model_info: spec('gauge', 'Model served by this inference node (value 1)', ['model', 'node']),
  // playback
  quell_playback_chunks_received_total: spec('counter', 'Valid chunks received by playback'),
  quell_playback_chunks_played_total: spec('counter', 'Chunks written to the sink, concealment included'),
  quell_playback_audio_frames_played_total: spec('counter', 'Audio frames written to the sink, concealment included'),
  quell_playback_rejected_messages_total: spec('counter', 'Malformed messages playback ignored, by reason', ['reason']),
  quell_playback_drops_total: spec('counter', 'Received chunks playback discarded, by reason (late, duplicate, overflow)', ['reason']),
  quell_playback_gaps_total: spec('counter', 'Chunks missing from the sequence, concealed with a fade'),
  quell_playback_underruns_total: spec('counter', 'Times the sink needed a chunk and the jitter buffer was empty'),
  quell_playback_latency_seconds: spec('histogram', 'End-to-end latency: time a chunk reaches the sink minus its capture time'),
  quell_playback_jitter_buffer_depth_chunks: spec('gauge', 'Chunks held in the jitter buffers'),
  quell_playback_jitter_buffer_target_chunks: spec('gauge', 'Jitter-buffer prefill target'),
  quell_playback_streams_active: spec('gauge', 'Streams with a live jitter buffer and sink'),
  quell_playback_sink_errors_total: spec('counter', 'Sink write or finalise errors'),
} as const satisfies Record<string, MetricSpec>;

export type MetricName = keyof typeof METRICS;
