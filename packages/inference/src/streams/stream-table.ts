import type { StreamSeries } from '@quell/runtime';
import type { InferenceStreamCounts } from '../metrics.js';
import type { Processor, StreamProcessor } from '../processors/processor.js';

/** One stream's state in the inference stage. */
export interface StreamState {
  readonly streamId: number;
  readonly sampleRateHz: number;
  readonly channelCount: number;
  readonly processor: StreamProcessor;
  /** The stream's metric counters: opened with its state, ended when the state goes. */
  readonly counts: InferenceStreamCounts;
  /** Monotonic ms of the last chunk, for the idle timeout. */
  lastSeenMs: number;
}

/**
 * Per-stream model state keyed by stream id: created on a stream's first
 * chunk, dropped on end-of-stream or after the idle timeout. A chunk in
 * another rate or channel count than its stream's is refused
 * (StreamFormatChangeError): the stream keeps its state and format, as
 * playback keeps its file or device stream (docs/PROTOCOL.md).
 */
export class StreamTable {
  readonly #processor: Processor;
  readonly #streams = new Map<number, StreamState>();
  readonly #counts: StreamSeries<InferenceStreamCounts>;

  constructor(processor: Processor, counts: StreamSeries<InferenceStreamCounts>) {
    this.#processor = processor;
    this.#counts = counts;
  }

  get size(): number {
    return this.#streams.size;
  }

  /**
   * The stream's state, created on its first chunk.
   * @throws StreamFormatChangeError for a chunk in another format than the stream's; TypeError for a format the model refuses
   */
  get(streamId: number, sampleRateHz: number, channelCount: number, nowMs: number): StreamState {
    let state = this.#streams.get(streamId);
    if (state && (state.sampleRateHz !== sampleRateHz || state.channelCount !== channelCount)) throw new StreamFormatChangeError(state, sampleRateHz, channelCount);
    if (!state) {
      state = {
        streamId,
        sampleRateHz,
        channelCount,
        processor: this.#processor.createStream(sampleRateHz, channelCount),
        counts: this.#counts.open(streamId),
        lastSeenMs: nowMs,
      };
      this.#streams.set(streamId, state);
    }
    state.lastSeenMs = nowMs;
    return state;
  }

  delete(streamId: number): void {
    const state = this.#streams.get(streamId);
    if (!state) return;
    state.processor.close();
    this.#streams.delete(streamId);
    this.#counts.end(streamId);
  }

  /** Drops streams idle since before `cutoffMs`; returns how many. */
  expire(cutoffMs: number): number {
    let expired = 0;
    for (const [id, state] of this.#streams) {
      if (state.lastSeenMs < cutoffMs) {
        this.delete(id);
        expired++;
      }
    }
    return expired;
  }

  clear(): void {
    for (const id of [...this.#streams.keys()]) this.delete(id);
  }
}

/** A chunk whose rate or channel count is not its stream's: refused, the stream goes on in its own format. */
export class StreamFormatChangeError extends Error {
  constructor(state: StreamState, sampleRateHz: number, channelCount: number) {
    super(`stream ${state.streamId} is ${state.sampleRateHz} Hz × ${state.channelCount} ch; a chunk at ${sampleRateHz} Hz × ${channelCount} ch is refused (a new format needs a new stream id)`);
  }
}
