import { FrameFlags, seqAdd, wallClockUs, type FrameHeader } from '@quell/protocol';
import { HandoverMixer } from '../handover/handover-mixer.js';
import { LatencySketch } from '@quell/runtime';
import type { PlaybackDropReason, PlaybackMetrics, PlaybackStreamCounts } from '../metrics.js';
import type { ChunkSink } from '../sinks/chunk-sink.js';
import { Concealer } from '../conceal/concealer.js';
import { DryConcealer } from '../conceal/dry-concealer.js';
import { JitterBuffer, type BufferedChunk, type JitterBufferOptions, type ReadStatus, type WriteStatus } from '../jitter/jitter-buffer.js';

/** What a finished stream reports (to logs and to `quell process`). */
export interface StreamSummary {
  streamId: number;
  destination: string;
  sampleRateHz: number;
  channelCount: number;
  framesPlayed: number;
  chunksPlayed: number;
  gaps: number;
  underruns: number;
  lateChunks: number;
  latencyP50S: number;
  latencyP99S: number;
  latencyMaxS: number;
}

/**
 * The playout's real-time policies. The stage passes its whole config, so
 * the fields are read from there (see config.ts); absent ones are off.
 */
export interface PlayoutOptions extends JitterBufferOptions {
  /** Drop chunks received more than this after capture as `stale`, ms; 0 = never. Applies only to clocked playout. */
  maxLatencyMs?: number;
  /** An input gap longer than this counts as a stall, ms; 0 = not counted. */
  stallThresholdMs?: number;
  /** The stage's sink and clock, to tell clocked playout (stale drops apply) from arrival-driven file writing. */
  sink?: string;
  clock?: string;
  /** `dry`: fill missing chunks with the dry path's unprocessed signal (DryConcealer); else a fade to silence. */
  conceal?: string;
}

/** What a StreamPlayout is made of. */
export interface StreamPlayoutInit {
  streamId: number;
  sampleRateHz: number;
  channelCount: number;
  /**
   * Where `drainReady()` and `tick()` write (file and null sinks). Without one the stream is pulled
   * (`pullClocked()`, the device) and `destination` names where its audio goes.
   */
  sink?: ChunkSink;
  destination?: string;
  options: PlayoutOptions;
  fadeFrames: number;
  metrics: PlaybackMetrics;
}

/**
 * One stream in playback: jitter buffer → concealer → out. Reads are driven
 * by arrivals (`drainReady`, into the sink), by a playout clock (`tick`, into
 * the sink) or by the device pulling (`pullClocked`, no sink).
 */
export class StreamPlayout {
  readonly streamId: number;
  readonly sampleRateHz: number;
  readonly channelCount: number;
  readonly destination: string;
  readonly jitter: JitterBuffer;
  readonly #concealer: Concealer;
  /** Set with --conceal dry. */
  readonly #dry: DryConcealer | null;
  readonly #handover: HandoverMixer;
  readonly #sink: ChunkSink | null;
  readonly #metrics: PlaybackMetrics;
  readonly #counts: PlaybackStreamCounts;
  readonly #latency = new LatencySketch();
  #scratch = new Float32Array(0);
  #framesPlayed = 0;
  #chunksPlayed = 0;
  #gaps = 0;
  #underruns = 0;
  #lateChunks = 0;
  #starved = false;
  /** Chunks received more than this after capture are dropped as stale, µs; 0 = never. */
  readonly #maxLatencyUs: number;
  readonly #stallThresholdMs: number;
  readonly #prefillChunks: number;
  #lastReceiveMs = -1;

  constructor(init: StreamPlayoutInit) {
    const { streamId, channelCount, options, fadeFrames, metrics } = init;
    this.streamId = streamId;
    this.sampleRateHz = init.sampleRateHz;
    this.channelCount = channelCount;
    this.#sink = init.sink ?? null;
    this.destination = init.sink?.destination ?? init.destination ?? '';
    // An arrival-driven file sink writes whatever comes, whenever: lateness does not make it play late.
    const clocked = options.sink === 'device' || options.clock === 'realtime' || (options.clock === 'auto' && options.sink !== 'file');
    this.jitter = new JitterBuffer({ ...options, evictOldest: clocked, onLoss: (reason, chunks, frames) => this.#drop(reason, chunks, frames) });
    this.#concealer = new Concealer(channelCount, fadeFrames);
    this.#dry = options.conceal === 'dry' ? new DryConcealer(this.#concealer, channelCount, fadeFrames, 2 * options.capacityChunks) : null;
    this.#handover = new HandoverMixer(channelCount, options.capacityChunks);
    // Arrival-driven playout waits for the second copy of a hand-over chunk (clocked playout takes what is there).
    this.jitter.setHold((seq) => this.#handover.waitsFor(seq), Math.max(options.reorderWindowChunks, Math.floor(options.capacityChunks / 2)));
    this.#metrics = metrics;
    this.#counts = metrics.streams.open(streamId);
    this.#counts.jitter = this.jitter;
    this.#counts.targetChunks = options.prefillChunks;
    // The device sink's drift corrector holds its own level and discards bursts; stale drops on top of it
    // destabilised the level under load (pulseaudio-pipeline 3-minute test), so they apply only to the other clocked sinks
    // (null, or a file under --clock realtime).
    this.#maxLatencyUs = clocked && options.sink !== 'device' ? (options.maxLatencyMs ?? 0) * 1000 : 0;
    this.#stallThresholdMs = options.stallThresholdMs ?? 0;
    this.#prefillChunks = options.prefillChunks;
  }

  get finished(): boolean {
    return this.jitter.finished;
  }

  /** Frames waiting in the jitter buffer (chunks held × the latest chunk length). */
  get heldFrames(): number {
    return this.jitter.depth * this.jitter.concealFrames;
  }

  /** True when the next clocked read, were its chunk missing, would play the dry signal (--conceal dry). */
  get dryReady(): boolean {
    return this.#dry !== null && this.#dry.canConceal(this.jitter.nextSeq, this.jitter.concealFrames);
  }

  /**
   * Keeps one dry-path chunk (FrameFlags.DRY) for concealment. Never touches
   * the jitter buffer or its counts: dry chunks are not part of the stream's
   * sequence. Ignored without --conceal dry.
   */
  receiveDry(seq: number, ts: number, samples: Float32Array, frameCount: number): void {
    this.#dry?.ring.write(seq, ts, samples, frameCount);
  }

  /**
   * Takes one received chunk. Returns the jitter buffer's verdict, or
   * `stale` when the chunk arrived more than `maxLatencyMs` after capture
   * (clocked playout only): played now it would be late, so it is dropped and
   * its slot concealed, and the stream catches up instead of lagging.
   */
  receive(header: FrameHeader, samples: Float32Array): WriteStatus | 'stale' | 'overlap' | 'mismatch' {
    const { seq, frameCount, captureTimeUs, delayFrames, node } = header;
    const endOfStream = (header.flags & FrameFlags.END_OF_STREAM) !== 0;
    this.#counts.chunksReceived++;
    this.#counts.framesReceived += frameCount;
    const nowMs = performance.now();
    if (this.#stallThresholdMs > 0 && this.#lastReceiveMs >= 0 && nowMs - this.#lastReceiveMs > this.#stallThresholdMs) this.#metrics.inputStalls++;
    this.#lastReceiveMs = nowMs;
    this.#metrics.lastInputMs = nowMs;
    if (this.#maxLatencyUs > 0 && !endOfStream && wallClockUs() - captureTimeUs > this.#maxLatencyUs) {
      this.#drop('stale', 1, frameCount);
      return 'stale';
    }
    // Chunks stamped by an inference node go through the hand-over rules (docs/SWAP.md); the second copy of a chunk is not a drop.
    const fallbacksBefore = this.#handover.fallbacks;
    const routed = node === undefined ? null : this.#handover.receive(this.jitter, header, samples);
    this.#metrics.handoverFallbacks += this.#handover.fallbacks - fallbacksBefore;
    if (routed === 'mixed') this.#metrics.crossfades++;
    if (routed === 'mixed' || routed === 'replaced' || routed === 'overlap') {
      this.#counts.chunksMerged++;
      this.#counts.framesMerged += frameCount;
      return 'overlap';
    }
    if (routed === 'mismatch') {
      this.#drop('mismatch', 1, frameCount);
      return 'mismatch';
    }
    const status = routed ?? this.jitter.write(seq, samples, frameCount, captureTimeUs, delayFrames, endOfStream);
    if (status === 'late') this.#lateChunks++;
    if (status !== 'ok') this.#drop(status, 1, frameCount);
    return status;
  }

  /** The sink's back-pressure (a file sink behind its disk): a promise to await before taking more input, or null. */
  sinkBacklog(): Promise<void> | null {
    return this.#sink?.backlog?.() ?? null;
  }

  /**
   * Arrival-driven: plays what is ready into the sink, up to about `maxSamples` (whole chunks; at least one).
   * Returns true when more is ready: the caller yields to the event loop and calls again, so a burst (a hole of
   * 60 concealed 0.8 s chunks of 8 channels took 116 ms in one go) never holds /metrics or the receive loop up.
   */
  drainReady(maxSamples = Number.POSITIVE_INFINITY): boolean {
    let samples = 0;
    for (;;) {
      if (samples >= maxSamples) return this.jitter.depth > 0;
      const { status, chunk } = this.jitter.readReady();
      if (status === 'wait') return false;
      const out = this.#play(status, chunk);
      if (out) {
        this.#write(out);
        samples += out.length;
      }
    }
  }

  /** Clock-driven: plays one chunk period into the sink. */
  tick(): void {
    const out = this.pullClocked();
    if (out) this.#write(out);
  }

  /**
   * Clock-driven, pulled: plays one chunk period and returns its interleaved samples (the chunk, or its
   * concealment), valid until the next read; null when the period played nothing (still prefilling).
   */
  pullClocked(): Float32Array | null {
    const { status, chunk } = this.jitter.readClocked();
    return status === 'prefilling' ? null : this.#play(status, chunk);
  }

  /**
   * Clock-driven: drops the oldest buffered audio (counted as overflow) so that the next read plays the newest
   * `keepChunks` chunk periods; holes among the skipped ones are skipped too, never concealed. Returns the
   * chunks dropped.
   */
  discardOldest(keepChunks: number): number {
    return this.jitter.evictOlderThan(keepChunks);
  }

  /** The samples of one read: the chunk, or what conceals it; null when there is nothing to play yet. */
  #play(status: ReadStatus, chunk: BufferedChunk | null): Float32Array | null {
    // Read once: the latency recorded is the one judged against maxLatencyMs (a second read could cross it).
    const latencyUs = chunk ? wallClockUs() - chunk.captureTimeUs : 0;
    if (status === 'ok' && chunk && this.#maxLatencyUs > 0 && !chunk.endOfStream) {
      if (latencyUs > this.#maxLatencyUs) {
        // Too old to play: the clock runs behind the stream (it started on a backlog, or playback was held up).
        // Conceal this slot and skip what is buffered behind the newest chunks, so fresh audio plays next.
        // Frames of the skipped chunks: the stream's chunk length (a stream's chunks are one size but its last).
        const skipped = this.jitter.dropOldest(this.#prefillChunks);
        this.#drop('stale', 1 + skipped, chunk.frameCount + skipped * this.jitter.concealFrames);
        status = 'missing';
      } else if (latencyUs > this.#maxLatencyUs / 2 && this.jitter.depth > this.#prefillChunks + 2) {
        // Behind, with fresher chunks waiting: play this one, then skip the backlog rather than stay late for good.
        const skipped = this.jitter.dropOldest(this.#prefillChunks);
        this.#drop('stale', skipped, skipped * this.jitter.concealFrames);
      }
    }
    if (status === 'ok' && chunk) {
      const out = this.#scratchFor(chunk.frameCount);
      if (this.#dry) this.#dry.play(chunk.seq, chunk.samples, chunk.delayFrames, out);
      else this.#concealer.play(chunk.samples, out);
      this.#countPlayed(chunk.frameCount);
      this.#counts.framesWritten += chunk.frameCount;
      const latencyS = latencyUs / 1e6;
      this.#latency.record(latencyS);
      this.#metrics.latency.record(latencyS);
      this.#counts.latency.record(latencyS);
      this.#starved = false;
      return out;
    }
    const frames = this.jitter.concealFrames;
    if (frames === 0) return null;
    if (status === 'underrun') this.#countUnderrun();
    else {
      this.#gaps++;
      this.#metrics.gaps++;
      this.#counts.gaps++;
    }
    this.#counts.chunksConcealed++;
    const out = this.#scratchFor(frames);
    // The missing chunk: the one taken and found stale, else the one the read just skipped.
    if (!this.#dry) this.#concealer.conceal(out);
    else if (this.#dry.conceal(chunk?.seq ?? seqAdd(this.jitter.nextSeq, -1), out)) this.#metrics.dryConcealed++;
    this.#countPlayed(frames);
    return out;
  }

  /**
   * The playout clock skipped ahead (the process was held up for longer than
   * its catch-up bound): the sink went without audio for that time, which is
   * an underrun, counted once like any other.
   */
  clockSkipped(): void {
    this.#countUnderrun();
  }

  #countUnderrun(): void {
    if (!this.#starved) {
      this.#underruns++;
      this.#metrics.underruns++;
      this.#counts.underruns++;
    }
    this.#starved = true;
  }

  /** Counts a chunk of this stream that the stage refused before it reached the jitter buffer. */
  refuse(reason: PlaybackDropReason, frameCount: number): void {
    this.#counts.chunksReceived++;
    this.#counts.framesReceived += frameCount;
    this.#drop(reason, 1, frameCount);
  }

  #drop(reason: PlaybackDropReason, chunks: number, frames: number): void {
    this.#metrics.drops[reason] += chunks;
    this.#counts.drops[reason] += chunks;
    // A resync chunk restarted the timeline and is kept: counted under its reason, not lost.
    if (reason !== 'resync') this.#counts.framesDropped += frames;
  }

  #scratchFor(frames: number): Float32Array {
    const needed = frames * this.channelCount;
    // Grows only when a larger chunk than ever before arrives.
    if (this.#scratch.length < needed) this.#scratch = new Float32Array(needed);
    return this.#scratch.subarray(0, needed);
  }

  #write(out: Float32Array): void {
    const sink = this.#sink;
    if (!sink) throw new Error(`stream ${this.streamId} has no sink: it is pulled (pullClocked)`);
    const errorsBefore = sink.errorCount;
    sink.write(out);
    this.#metrics.sinkErrors += sink.errorCount - errorsBefore;
  }

  #countPlayed(frames: number): void {
    this.#framesPlayed += frames;
    this.#chunksPlayed++;
    this.#metrics.chunksPlayed++;
    this.#counts.chunksPlayed++;
    this.#metrics.audioFramesPlayed += frames;
  }

  summary(): StreamSummary {
    return {
      streamId: this.streamId,
      destination: this.destination,
      sampleRateHz: this.sampleRateHz,
      channelCount: this.channelCount,
      framesPlayed: this.#framesPlayed,
      chunksPlayed: this.#chunksPlayed,
      gaps: this.#gaps,
      underruns: this.#underruns,
      lateChunks: this.#lateChunks,
      latencyP50S: this.#latency.quantile(0.5),
      latencyP99S: this.#latency.quantile(0.99),
      latencyMaxS: this.#latency.max,
    };
  }

  close(): Promise<void> {
    // The stream's series linger, then go; unless a new playout of the same stream id took its counters over.
    if (this.#counts.jitter === this.jitter) {
      this.#counts.jitter = null;
      this.#metrics.streams.end(this.streamId);
    }
    return this.#sink?.close() ?? Promise.resolve();
  }
}
