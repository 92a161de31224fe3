import { REJECT_REASONS } from '@quell/protocol';
import { BucketCounts, StageHistogram, LATENCY_BUCKETS_S, StageRegistry, StreamSeries, streamCounter, streamCounterByLabel, streamGauge, streamHistogram, zapRejections, zeroCounts, type ReasonCounts } from '@quell/runtime';

/** What the device sink and its drift corrector expose to metrics (plain numbers, read at scrape time). */
export interface DeviceMetricsView {
  readonly underrunCount: number;
  readonly overflowCount: number;
  readonly errorCount: number;
  readonly reopenCount: number;
  /** Device requests later than the audio queued ahead of the device (DeviceSink.stallCount). */
  readonly stallCount: number;
  readonly stalledSeconds: number;
  /** Writes after which PortAudio reported an output underflow (DeviceSink.outputUnderflowCount). */
  readonly outputUnderflowCount: number;
  readonly levelS: number;
  readonly targetS: number;
  readonly queuedFrames: number;
  readonly trimPpm: number;
  /** Name of the open device, or '' while none is open. */
  readonly deviceName: string;
}

export const PLAYBACK_DROP_REASONS = ['late', 'duplicate', 'overflow', 'resync', 'stale', 'mismatch', 'format', 'stream-cap', 'stream-rate', 'unplayable', 'device-busy', 'flushed'] as const;
export type PlaybackDropReason = (typeof PLAYBACK_DROP_REASONS)[number];

/** One stream's counters (its StreamPlayout bumps them beside the stage totals). */
export interface PlaybackStreamCounts {
  chunksReceived: number;
  framesReceived: number;
  chunksPlayed: number;
  /** Played as concealment (in chunksPlayed, never received). */
  chunksConcealed: number;
  /** Received frames written to the sink (concealment not included). */
  framesWritten: number;
  framesDropped: number;
  /** Second copies of hand-over chunks merged with the first: received, not drops, not played twice. */
  chunksMerged: number;
  framesMerged: number;
  gaps: number;
  underruns: number;
  readonly drops: ReasonCounts<PlaybackDropReason>;
  readonly latency: BucketCounts;
  /** The stream's jitter buffer while it plays; null once it ended (depth 0). */
  jitter: { readonly depth: number } | null;
  targetChunks: number;
}

function newStreamCounts(): PlaybackStreamCounts {
  return { chunksReceived: 0, framesReceived: 0, chunksPlayed: 0, chunksConcealed: 0, framesWritten: 0, framesDropped: 0, chunksMerged: 0, framesMerged: 0, gaps: 0, underruns: 0, drops: zeroCounts(PLAYBACK_DROP_REASONS), latency: new BucketCounts(LATENCY_BUCKETS_S), jitter: null, targetChunks: 0 };
}
/** Why a dry-path chunk was not kept: --conceal silence, no processed stream with its id, or another rate/channel count. */
export const PLAYBACK_DRY_DROP_REASONS = ['disabled', 'no-stream', 'format'] as const;

/** Plain counters the playback parts increment; exported at scrape time. */
export class PlaybackMetrics {
  readonly stage = new StageRegistry({ stage: 'playback' });
  chunksReceived = 0;
  /** Links the input socket lost (peers that left, or cut for a message over the size cap). */
  inputLinksClosed = 0;
  chunksPlayed = 0;
  audioFramesPlayed = 0;
  gaps = 0;
  underruns = 0;
  sinkErrors = 0;
  /** Chunks played as a crossfade of two inference nodes (hand-over). */
  crossfades = 0;
  /** Hand-over chunks whose new-node copy came too late (the old node's copy played). */
  handoverFallbacks = 0;
  /** performance.now() of the last chunk any stream received; 0 before the first. */
  lastInputMs = 0;
  /** Gaps longer than the stall threshold in a stream's input. */
  inputStalls = 0;
  /** Times a stream's playout clock fell so far behind that it skipped ahead instead of catching up. */
  clockResets = 0;
  /** Dry-path chunks (FrameFlags.DRY) received; not in chunksReceived. */
  dryChunksReceived = 0;
  /** Missing processed chunks played as the aligned dry signal (--conceal dry). */
  dryConcealed = 0;
  readonly dryDrops = zeroCounts(PLAYBACK_DRY_DROP_REASONS);
  readonly rejected = zeroCounts(REJECT_REASONS);
  readonly drops = zeroCounts(PLAYBACK_DROP_REASONS);
  /** Per-stream counters, opened and ended by each stream's StreamPlayout. */
  readonly streams = new StreamSeries<PlaybackStreamCounts>(newStreamCounts);
  readonly latency: StageHistogram;
  /** The device sink's view, read at scrape time; undefined for file and null sinks. */
  device: DeviceMetricsView | undefined;

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
    s.counter('quell_playback_crossfades_total', () => this.crossfades);
    s.counter('quell_playback_handover_fallbacks_total', () => this.handoverFallbacks);
    s.counter('quell_playback_auth_failures_total', zapRejections);
    s.counter('quell_playback_input_links_closed_total', () => this.inputLinksClosed);
    s.gauge('quell_playback_jitter_buffer_depth_chunks', () => jitter.depth);
    s.gauge('quell_playback_jitter_buffer_target_chunks', () => prefillChunks);
    s.gauge('quell_playback_streams_active', () => jitter.streamCount);
    s.gauge('quell_playback_input_idle_seconds', () => (jitter.streamCount > 0 && this.lastInputMs > 0 ? (performance.now() - this.lastInputMs) / 1000 : 0));
    s.counter('quell_playback_input_stalls_total', () => this.inputStalls);
    s.counter('quell_playback_clock_resets_total', () => this.clockResets);
    s.counter('quell_playback_dry_chunks_received_total', () => this.dryChunksReceived);
    s.counterByLabel('quell_playback_dry_drops_total', this.dryDrops);
    s.counter('quell_playback_dry_concealed_chunks_total', () => this.dryConcealed);
    this.latency = new StageHistogram(s.registry, 'quell_playback_latency_seconds', LATENCY_BUCKETS_S);
    streamCounter(s.registry, 'quell_playback_stream_chunks_received_total', this.streams, (e) => e.chunksReceived);
    streamCounter(s.registry, 'quell_playback_stream_chunks_played_total', this.streams, (e) => e.chunksPlayed);
    streamCounter(s.registry, 'quell_playback_stream_gaps_total', this.streams, (e) => e.gaps);
    streamCounter(s.registry, 'quell_playback_stream_underruns_total', this.streams, (e) => e.underruns);
    streamCounterByLabel(s.registry, 'quell_playback_stream_drops_total', this.streams, (e) => e.drops);
    streamCounter(s.registry, 'quell_playback_stream_audio_frames_received_total', this.streams, (e) => e.framesReceived);
    streamCounter(s.registry, 'quell_playback_stream_chunks_merged_total', this.streams, (e) => e.chunksMerged);
    streamCounter(s.registry, 'quell_playback_stream_audio_frames_merged_total', this.streams, (e) => e.framesMerged);
    streamCounter(s.registry, 'quell_playback_stream_chunks_concealed_total', this.streams, (e) => e.chunksConcealed);
    streamCounter(s.registry, 'quell_playback_stream_audio_frames_written_total', this.streams, (e) => e.framesWritten);
    streamCounter(s.registry, 'quell_playback_stream_audio_frames_dropped_total', this.streams, (e) => e.framesDropped);
    streamHistogram(s.registry, 'quell_playback_stream_latency_seconds', this.streams, LATENCY_BUCKETS_S, (e) => e.latency);
    streamGauge(s.registry, 'quell_playback_stream_jitter_buffer_depth_chunks', this.streams, (e) => e.jitter?.depth ?? 0);
    streamGauge(s.registry, 'quell_playback_stream_jitter_buffer_target_chunks', this.streams, (e) => e.targetChunks);
    s.counter('quell_playback_device_underruns_total', () => this.device?.underrunCount ?? 0);
    s.counter('quell_playback_device_overflows_total', () => this.device?.overflowCount ?? 0);
    s.counter('quell_playback_device_errors_total', () => this.device?.errorCount ?? 0);
    s.counter('quell_playback_device_reopens_total', () => this.device?.reopenCount ?? 0);
    s.counter('quell_playback_device_stalls_total', () => this.device?.stallCount ?? 0);
    s.counter('quell_playback_device_stalled_seconds_total', () => this.device?.stalledSeconds ?? 0);
    s.counter('quell_playback_device_output_underflows_total', () => this.device?.outputUnderflowCount ?? 0);
    s.gauge('quell_playback_device_buffer_level_seconds', () => this.device?.levelS ?? 0);
    s.gauge('quell_playback_device_buffer_target_seconds', () => this.device?.targetS ?? 0);
    s.gauge('quell_playback_device_queue_depth_frames', () => this.device?.queuedFrames ?? 0);
    s.gauge('quell_playback_drift_trim_ppm', () => this.device?.trimPpm ?? 0);
  }

  /** Device sink: how many of its output devices are open, of how many, so `quell status` and `npm start` can say when one is missing. */
  addDeviceState(devices: { readonly openCount: number; readonly all: readonly unknown[] }): void {
    this.stage.gauge('quell_playback_device_open', () => devices.openCount);
    this.stage.gauge('quell_playback_devices_wanted', () => devices.all.length);
  }
}
