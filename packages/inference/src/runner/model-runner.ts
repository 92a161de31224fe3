import { encodeFrame, FrameFlags, monotonicNs, seqAdd, type FrameHeader } from '@quell/protocol';
import type { Logger, SendQueue } from '@quell/runtime';
import type { InferenceMetrics } from '../metrics.js';
import type { StreamState, StreamTable } from '../streams/stream-table.js';
import type { DropInjector } from './drop-injector.js';

/**
 * Runs each received chunk through its stream's model and hands the result
 * to the send queue, keeping seq, ts and capture time so playback can
 * reorder and measure end-to-end latency. At end-of-stream it flushes the
 * model's latency with silence so the output is as long as the input.
 */
export class ModelRunner {
  readonly #streams: StreamTable;
  readonly #queue: SendQueue;
  readonly #metrics: InferenceMetrics;
  readonly #log: Logger;
  readonly #blocking: boolean;
  readonly #dropInjector: DropInjector;
  /** Streams already logged as refused or failing, so a bad stream logs once, not once per chunk. */
  readonly #loggedStreams = new Set<number>();

  constructor(streams: StreamTable, queue: SendQueue, metrics: InferenceMetrics, log: Logger, blocking: boolean, dropInjector: DropInjector) {
    this.#streams = streams;
    this.#queue = queue;
    this.#metrics = metrics;
    this.#log = log;
    this.#blocking = blocking;
    this.#dropInjector = dropInjector;
  }

  async process(header: FrameHeader, samples: Float32Array): Promise<void> {
    const m = this.#metrics;
    m.chunksReceived++;
    let stream: StreamState;
    try {
      stream = this.#streams.get(header.stream, header.sampleRateHz, header.channelCount, performance.now());
    } catch (err) {
      m.drops['bad-stream']++;
      if (this.#logOnce(header.stream)) this.#log.warn({ streamId: header.stream, reason: (err as Error).message }, 'stream refused by the model');
      return;
    }
    m.activeStreams = this.#streams.size;
    const endOfStream = (header.flags & FrameFlags.END_OF_STREAM) !== 0;
    const latency = stream.processor.latencyFrames;
    const startedNs = monotonicNs();
    const output = new Float32Array(samples.length);
    try {
      await stream.processor.process(samples, output);
    } catch (err) {
      m.drops['process-error']++;
      if (this.#logOnce(header.stream)) this.#log.error({ streamId: header.stream, err }, 'model failed on a chunk (further failures of this stream are only counted)');
      return;
    }
    const elapsedS = (monotonicNs() - startedNs) / 1e9;
    m.chunkProcessing.record(elapsedS);
    m.processingSecondsWindow += elapsedS;
    m.audioSecondsWindow += header.frameCount / header.sampleRateHz;
    m.audioFramesProcessed += header.frameCount;
    header.delayFrames += latency;
    header.flags = endOfStream && latency > 0 ? header.flags & ~FrameFlags.END_OF_STREAM : header.flags;
    await this.#send(header, output);
    if (!endOfStream) return;
    if (latency > 0) await this.#flushTail(stream, header);
    this.#streams.delete(header.stream);
    m.activeStreams = this.#streams.size;
  }

  /** Pushes `latencyFrames` of silence through the model so the tail comes out, as one final chunk. */
  async #flushTail(stream: StreamState, last: FrameHeader): Promise<void> {
    const latency = stream.processor.latencyFrames;
    const silence = new Float32Array(latency * stream.channelCount);
    const output = new Float32Array(silence.length);
    await stream.processor.process(silence, output);
    const tail: FrameHeader = {
      ...last,
      seq: seqAdd(last.seq, 1),
      ts: seqAdd(last.ts, last.frameCount),
      frameCount: latency,
      flags: last.flags | FrameFlags.END_OF_STREAM,
    };
    await this.#send(tail, output);
  }

  /** True the first time a stream is reported; the set is bounded so stream-id churn cannot grow it. */
  #logOnce(streamId: number): boolean {
    if (this.#loggedStreams.has(streamId)) return false;
    if (this.#loggedStreams.size >= 1024) this.#loggedStreams.clear();
    this.#loggedStreams.add(streamId);
    return true;
  }

  async #send(header: FrameHeader, output: Float32Array): Promise<void> {
    if (this.#dropInjector.shouldDrop()) {
      this.#metrics.drops.injected++;
      return;
    }
    const parts = encodeFrame(header, output);
    if (this.#blocking) await this.#queue.put(parts);
    else if (!this.#queue.offer(parts)) this.#metrics.drops['queue-full']++;
  }
}
