import { encodeFrame, FrameFlags, PROTOCOL_VERSION, seqAdd, wallClockUs, type FrameHeader } from '@quell/protocol';
import type { SendQueue } from '@quell/runtime';
import type { CaptureMetrics } from '../metrics.js';

/**
 * Stamps chunks of one stream with seq/ts/capture time and hands them to the
 * send queue: `send()` never waits (a full queue is a counted drop), while
 * `sendAll()` waits for room (offline `--fast` mode).
 */
export class ChunkSender {
  readonly #queue: SendQueue;
  readonly #metrics: CaptureMetrics;
  readonly #header: FrameHeader;

  constructor(queue: SendQueue, metrics: CaptureMetrics, streamId: number, sampleRateHz: number, channelCount: number) {
    this.#queue = queue;
    this.#metrics = metrics;
    this.#header = {
      v: PROTOCOL_VERSION,
      stream: streamId,
      seq: 0,
      ts: 0,
      captureTimeUs: 0,
      sampleRateHz,
      channelCount,
      frameCount: 0,
      flags: 0,
      delayFrames: 0,
    };
  }

  #stamp(samples: Float32Array, endOfStream: boolean, captureTimeUs: number): [Buffer, Buffer] {
    const h = this.#header;
    h.captureTimeUs = captureTimeUs;
    h.frameCount = samples.length / h.channelCount;
    h.flags = endOfStream ? FrameFlags.END_OF_STREAM : 0;
    return encodeFrame(h, samples);
  }

  // A dropped chunk still consumes its seq and ts, so receivers see the gap.
  #advance(frameCount: number): void {
    this.#header.seq = seqAdd(this.#header.seq, 1);
    this.#header.ts = seqAdd(this.#header.ts, frameCount);
  }

  /**
   * Real-time send: returns false (and counts a drop) when the queue is full.
   * `captureTimeUs` is when the chunk's first frame was captured (a device
   * source knows it); it defaults to now.
   */
  send(samples: Float32Array, endOfStream: boolean, captureTimeUs = wallClockUs()): boolean {
    const frameCount = samples.length / this.#header.channelCount;
    const accepted = this.#queue.offer(this.#stamp(samples, endOfStream, captureTimeUs));
    if (accepted) this.#metrics.audioFramesSent += frameCount;
    else this.#metrics.drops['queue-full']++;
    this.#advance(frameCount);
    return accepted;
  }

  /** Offline send: waits for room in the queue; nothing is dropped. */
  async sendAll(samples: Float32Array, endOfStream: boolean): Promise<void> {
    const frameCount = samples.length / this.#header.channelCount;
    await this.#queue.put(this.#stamp(samples, endOfStream, wallClockUs()));
    this.#metrics.audioFramesSent += frameCount;
    this.#advance(frameCount);
  }
}
