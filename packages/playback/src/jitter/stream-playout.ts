import { wallClockUs } from '@quell/protocol';
import { LatencySketch } from '@quell/runtime';
import type { PlaybackMetrics } from '../metrics.js';
import type { ChunkSink } from '../sinks/chunk-sink.js';
import { Concealer } from './concealer.js';
import { JitterBuffer, type BufferedChunk, type JitterBufferOptions, type ReadStatus, type WriteStatus } from './jitter-buffer.js';

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
 * One stream in playback: jitter buffer → concealer → sink. Reads are driven
 * either by arrivals (`drainReady`) or by a playout clock (`tick`).
 */
export class StreamPlayout {
  readonly streamId: number;
  readonly sampleRateHz: number;
  readonly channelCount: number;
  readonly jitter: JitterBuffer;
  readonly #concealer: Concealer;
  readonly #sink: ChunkSink;
  readonly #metrics: PlaybackMetrics;
  readonly #latency = new LatencySketch();
  #scratch = new Float32Array(0);
  #framesPlayed = 0;
  #chunksPlayed = 0;
  #gaps = 0;
  #underruns = 0;
  #lateChunks = 0;
  #starved = false;

  constructor(streamId: number, sampleRateHz: number, channelCount: number, sink: ChunkSink, jitterOptions: JitterBufferOptions, fadeFrames: number, metrics: PlaybackMetrics) {
    this.streamId = streamId;
    this.sampleRateHz = sampleRateHz;
    this.channelCount = channelCount;
    this.jitter = new JitterBuffer(jitterOptions);
    this.#concealer = new Concealer(channelCount, fadeFrames);
    this.#sink = sink;
    this.#metrics = metrics;
  }

  get finished(): boolean {
    return this.jitter.finished;
  }

  /** Frames waiting in the jitter buffer (chunks held × the latest chunk length). */
  get heldFrames(): number {
    return this.jitter.depth * this.jitter.concealFrames;
  }

  receive(seq: number, samples: Float32Array, frameCount: number, captureTimeUs: number, delayFrames: number, endOfStream: boolean): WriteStatus {
    const status = this.jitter.write(seq, samples, frameCount, captureTimeUs, delayFrames, endOfStream);
    if (status === 'late') this.#lateChunks++;
    if (status !== 'ok') this.#metrics.drops[status]++;
    return status;
  }

  /** Arrival-driven: plays everything that is ready. */
  drainReady(): void {
    for (;;) {
      const { status, chunk } = this.jitter.readReady();
      if (status === 'wait') return;
      this.#emit(status, chunk);
    }
  }

  /** Clock-driven: plays one chunk period. */
  tick(): void {
    const { status, chunk } = this.jitter.readClocked();
    if (status !== 'prefilling') this.#emit(status, chunk);
  }

  #emit(status: ReadStatus, chunk: BufferedChunk | null): void {
    if (status === 'ok' && chunk) {
      const out = this.#scratchFor(chunk.frameCount);
      this.#concealer.play(chunk.samples, out);
      this.#write(out, chunk.frameCount);
      const latencyS = (wallClockUs() - chunk.captureTimeUs) / 1e6;
      this.#latency.record(latencyS);
      this.#metrics.latency.record(latencyS);
      this.#starved = false;
      return;
    }
    const frames = this.jitter.concealFrames;
    if (frames === 0) return;
    if (status === 'underrun') {
      if (!this.#starved) {
        this.#underruns++;
        this.#metrics.underruns++;
      }
      this.#starved = true;
    } else {
      this.#gaps++;
      this.#metrics.gaps++;
    }
    const out = this.#scratchFor(frames);
    this.#concealer.conceal(out);
    this.#write(out, frames);
  }

  #scratchFor(frames: number): Float32Array {
    const needed = frames * this.channelCount;
    // Grows only when a larger chunk than ever before arrives.
    if (this.#scratch.length < needed) this.#scratch = new Float32Array(needed);
    return this.#scratch.subarray(0, needed);
  }

  #write(out: Float32Array, frames: number): void {
    const errorsBefore = this.#sink.errorCount;
    this.#sink.write(out);
    this.#metrics.sinkErrors += this.#sink.errorCount - errorsBefore;
    this.#framesPlayed += frames;
    this.#chunksPlayed++;
    this.#metrics.chunksPlayed++;
    this.#metrics.audioFramesPlayed += frames;
  }

  summary(): StreamSummary {
    return {
      streamId: this.streamId,
      destination: this.#sink.destination,
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
    return this.#sink.close();
  }
}
