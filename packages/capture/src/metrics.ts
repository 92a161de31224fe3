import { DeferredHistogram, StageRegistry, TIMING_BUCKETS_S, zeroCounts } from '@quell/runtime';

export const CAPTURE_DROP_REASONS = ['queue-full'] as const;

/** Plain counters the capture loop increments; exported at scrape time. */
export class CaptureMetrics {
  readonly stage = new StageRegistry({ stage: 'capture' });
  audioFramesSent = 0;
  activeStreams = 0;
  readonly drops = zeroCounts(CAPTURE_DROP_REASONS);
  readonly pacerLateness: DeferredHistogram;
  readonly chunkProcessing: DeferredHistogram;

  constructor(queue: { readonly depth: number; readonly sentCount: number }) {
    const s = this.stage;
    s.counter('quell_capture_chunks_sent_total', () => queue.sentCount);
    s.counter('quell_capture_audio_frames_sent_total', () => this.audioFramesSent);
    s.counterByLabel('quell_capture_drops_total', this.drops);
    s.gauge('quell_capture_send_queue_depth_chunks', () => queue.depth);
    s.gauge('quell_capture_streams_active', () => this.activeStreams);
    this.pacerLateness = new DeferredHistogram(s.registry, 'quell_capture_pacer_lateness_seconds', TIMING_BUCKETS_S);
    this.chunkProcessing = new DeferredHistogram(s.registry, 'quell_capture_chunk_processing_seconds', TIMING_BUCKETS_S);
  }
}
