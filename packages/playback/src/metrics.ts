import { REJECT_REASONS } from '@quell/protocol';
import { DeferredHistogram, LATENCY_BUCKETS_S, StageRegistry, zeroCounts } from '@quell/runtime';

export const PLAYBACK_DROP_REASONS = ['late', 'duplicate', 'overflow', 'resync'] as const;

/** Plain counters the playback parts increment; exported at scrape time. */
export class PlaybackMetrics {
  readonly stage = new StageRegistry({ stage: 'playback' });
  chunksReceived = 0;
  chunksPlayed = 0;
  audioFramesPlayed = 0;
  gaps = 0;
  underruns = 0;
  sinkErrors = 0;
  readonly rejected = zeroCounts(REJECT_REASONS);
  readonly drops = zeroCounts(PLAYBACK_DROP_REASONS);
  readonly latency: DeferredHistogram;

  constructor(jitter: { readonly depth: number; readonly streamCount: number }, prefillChunks: number) {
    const s = this.stage;
    s.counter('quell_playback_chunks_received_total', () => this.chunksReceived);
    s.counter('quell_playback_chunks_played_total', () => this.chunksPlayed);
    s.counter('quell_playback_audio_frames_played_total', () => this.audioFramesPlayed);
    s.counterByLabel('quell_playback_rejected_messages_total', this.rejected);
    s.counterByLabel('quell_playback_drops_total', this.drops);
    s.counter('quell_playback_gaps_total', () => this.gaps);
    s.counter('quell_playback_underruns_total', () => this.underruns);
    s.counter('quell_playback_sink_errors_total', () => this.sinkErrors);
    s.gauge('quell_playback_jitter_buffer_depth_chunks', () => jitter.depth);
    s.gauge('quell_playback_jitter_buffer_target_chunks', () => prefillChunks);
    s.gauge('quell_playback_streams_active', () => jitter.streamCount);
    this.latency = new DeferredHistogram(s.registry, 'quell_playback_latency_seconds', LATENCY_BUCKETS_S);
  }
}
