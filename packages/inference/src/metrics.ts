import { REJECT_REASONS } from '@quell/protocol';
import { BucketCounts, StageHistogram, LATENCY_BUCKETS_S, StageRegistry, StreamSeries, streamCounter, streamCounterByLabel, streamGauge, streamHistogram, TIMING_BUCKETS_S, zapRejections, zeroCounts, type ReasonCounts } from '@quell/runtime';
import type { OverloadCounts } from './runner/overload-guard.js';

export const INFERENCE_DROP_REASONS = ['queue-full', 'injected', 'process-error', 'bad-stream', 'stale', 'bad-output', 'format'] as const;

/** One stream's counters (the model runner bumps them beside the stage totals). */
export interface InferenceStreamCounts {
  chunksReceived: number;
  framesReceived: number;
  /** Queued for sending to playback, the latency tail included. */
  chunksSent: number;
  framesSent: number;
  framesDropped: number;
  /** The end-of-stream latency tail: one extra chunk (never received) of the model's latency in frames. */
  tailChunks: number;
  tailFrames: number;
  readonly processing: BucketCounts;
  /** Processing and audio seconds since the last scrape, for the stream's real-time factor. */
  processingSecondsWindow: number;
  audioSecondsWindow: number;
  readonly drops: ReasonCounts<(typeof INFERENCE_DROP_REASONS)[number]>;
}

function newStreamCounts(): InferenceStreamCounts {
  return { chunksReceived: 0, framesReceived: 0, chunksSent: 0, framesSent: 0, framesDropped: 0, tailChunks: 0, tailFrames: 0, processing: new BucketCounts(TIMING_BUCKETS_S), processingSecondsWindow: 0, audioSecondsWindow: 0, drops: zeroCounts(INFERENCE_DROP_REASONS) };
}

/** Processing time over audio time since the previous read, then starts a new window. */
function takeRealtimeFactor(window: { processingSecondsWindow: number; audioSecondsWindow: number }): number {
  const factor = window.audioSecondsWindow > 0 ? window.processingSecondsWindow / window.audioSecondsWindow : 0;
  window.processingSecondsWindow = 0;
  window.audioSecondsWindow = 0;
  return factor;
}

/** Plain counters the inference loop increments; exported at scrape time. */
export class InferenceMetrics {
  readonly stage = new StageRegistry({ stage: 'inference' });
  chunksReceived = 0;
  /** Links the input socket lost (peers that left, or cut for a message over the size cap). */
  inputLinksClosed = 0;
  /** Warm-up chunks run through the model with their output discarded (before a hand-over, docs/SWAP.md). */
  warmUpChunks = 0;
  audioFramesProcessed = 0;
  activeStreams = 0;
  /** Last local-SNR estimate per stream, for models that make one (DeepFilterNet3). */
  readonly lsnrByStream = new Map<number, number>();
  /** Processing and audio seconds since the last scrape, for the real-time factor. */
  processingSecondsWindow = 0;
  audioSecondsWindow = 0;
  /** Processing seconds since start (the heartbeat's load is its rate). */
  processingSecondsTotal = 0;
  readonly rejected = zeroCounts(REJECT_REASONS);
  readonly drops = zeroCounts(INFERENCE_DROP_REASONS);
  /** Per-stream counters, opened and ended with the stream's model state (StreamTable). */
  readonly streams = new StreamSeries<InferenceStreamCounts>(newStreamCounts);
  readonly chunkProcessing: StageHistogram;
  /** Input age (wall clock minus capture time) of each chunk when taken, s. */
  readonly inputAge: StageHistogram;
  /** performance.now() of the last chunk received; 0 before the first. */
  lastInputMs = 0;
  /** Input samples clipped to full scale before the model. */
  clippedSamples = 0;
  /** The overload guard's counters (set by the model runner). */
  overload: OverloadCounts = { degraded: 0, degradedChunks: 0, transitions: 0 };

  constructor(queue: { readonly depth: number; readonly sentCount: number }, model: string, node: string) {
    const s = this.stage;
    s.counter('quell_inference_chunks_received_total', () => this.chunksReceived);
    s.counter('quell_inference_warm_up_chunks_total', () => this.warmUpChunks);
    s.counter('quell_inference_chunks_sent_total', () => queue.sentCount);
    s.counter('quell_inference_audio_frames_processed_total', () => this.audioFramesProcessed);
    s.counterByLabel('quell_inference_rejected_messages_total', this.rejected);
    s.counterByLabel('quell_inference_drops_total', this.drops);
    s.counter('quell_inference_clipped_samples_total', () => this.clippedSamples);
    s.gauge('quell_inference_send_queue_depth_chunks', () => queue.depth);
    s.gauge('quell_inference_streams_active', () => this.activeStreams);
    s.gaugeByLabels('quell_inference_lsnr_db', () => [...this.lsnrByStream].map(([stream, db]) => [{ stream: String(stream) }, db]));
    s.counter('quell_inference_auth_failures_total', zapRejections);
    s.counter('quell_inference_input_links_closed_total', () => this.inputLinksClosed);
    s.gauge('quell_inference_realtime_factor', () => takeRealtimeFactor(this));
    s.info('quell_inference_model_info', { model, node });
    this.chunkProcessing = new StageHistogram(s.registry, 'quell_inference_chunk_processing_seconds', TIMING_BUCKETS_S);
    s.gauge('quell_inference_input_idle_seconds', () => (this.lastInputMs > 0 ? (performance.now() - this.lastInputMs) / 1000 : 0));
    this.inputAge = new StageHistogram(s.registry, 'quell_inference_input_age_seconds', LATENCY_BUCKETS_S);
    s.gauge('quell_inference_degraded', () => this.overload.degraded);
    s.counter('quell_inference_degraded_chunks_total', () => this.overload.degradedChunks);
    s.counter('quell_inference_overload_transitions_total', () => this.overload.transitions);
    streamCounter(s.registry, 'quell_inference_stream_chunks_received_total', this.streams, (e) => e.chunksReceived);
    streamHistogram(s.registry, 'quell_inference_stream_chunk_processing_seconds', this.streams, TIMING_BUCKETS_S, (e) => e.processing);
    streamGauge(s.registry, 'quell_inference_stream_realtime_factor', this.streams, takeRealtimeFactor);
    streamCounterByLabel(s.registry, 'quell_inference_stream_drops_total', this.streams, (e) => e.drops);
    streamCounter(s.registry, 'quell_inference_stream_chunks_sent_total', this.streams, (e) => e.chunksSent);
    streamCounter(s.registry, 'quell_inference_stream_audio_frames_received_total', this.streams, (e) => e.framesReceived);
    streamCounter(s.registry, 'quell_inference_stream_audio_frames_sent_total', this.streams, (e) => e.framesSent);
    streamCounter(s.registry, 'quell_inference_stream_audio_frames_dropped_total', this.streams, (e) => e.framesDropped);
    streamCounter(s.registry, 'quell_inference_stream_tail_chunks_total', this.streams, (e) => e.tailChunks);
    streamCounter(s.registry, 'quell_inference_stream_tail_audio_frames_total', this.streams, (e) => e.tailFrames);
  }

  /** A batched processor (`--batch-streams`): its calls and the hops they ran. */
  addBatch(counts: { readonly calls: number; readonly hops: number }): void {
    this.stage.counter('quell_inference_batch_calls_total', () => counts.calls);
    this.stage.counter('quell_inference_batched_hops_total', () => counts.hops);
  }

  /** Routed mode: control messages from capture the node refused (NodeControl counts them). */
  addControl(control: { readonly rejectedCount: number }): void {
    this.stage.counter('quell_inference_control_rejected_total', () => control.rejectedCount);
  }
}
