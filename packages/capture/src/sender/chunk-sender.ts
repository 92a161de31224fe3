import { encodeFrame, FrameFlags, PROTOCOL_VERSION, seqAdd, wallClockUs, type FrameHeader } from '@quell/protocol';
import type { MessageParts } from '@quell/runtime';
import type { CaptureMetrics, CaptureStreamCounts } from '../metrics.js';
import type { ChunkOutlet, DropReason } from './chunk-outlet.js';
import type { DryPath } from './dry-path.js';


/**
 * Stamps chunks of one stream with seq/ts/capture time and hands them to the
 * send queue: `send()` never waits (a full queue is a counted drop), while
 * `sendAll()` waits for room (offline `--fast` mode). With a dry path every
 * chunk also goes there, whatever became of the processed copy (never waiting).
 */
export class ChunkSender {
  readonly #queue: ChunkOutlet;
  readonly #metrics: CaptureMetrics;
  readonly #streamCounts: CaptureStreamCounts;
  readonly #header: FrameHeader;
  readonly #dry: DryPath | null;

  constructor(queue: ChunkOutlet, metrics: CaptureMetrics, streamId: number, sampleRateHz: number, channelCount: number, dry: DryPath | null = null) {
    this.#queue = queue;
    this.#metrics = metrics;
    this.#streamCounts = metrics.streams.open(streamId);
    this.#dry = dry;
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
    const parts = this.#stamp(samples, endOfStream, captureTimeUs);
    const dropped = this.#queue.offer(parts, this.#header);
    this.#dry?.offer(this.#header, parts[1]);
    this.#count(frameCount, dropped);
    this.#advance(frameCount);
    return dropped === null;
  }

  /** The stream's ledger (docs/METRICS.md#the-ledger): every chunk read is sent or dropped for a reason. */
  #count(frameCount: number, dropped: DropReason | null): void {
    const c = this.#streamCounts;
    c.chunksRead++;
    c.framesRead += frameCount;
    if (dropped === null) {
      this.#metrics.audioFramesSent += frameCount;
      c.chunksSent++;
      c.framesSent += frameCount;
    } else {
      this.#metrics.drops[dropped]++;
      c.drops[dropped]++;
      c.framesDropped += frameCount;
    }
  }

  /** Offline send: waits for room in the queue; nothing is dropped (except during a swap, or with no node at shutdown: counted). */
  async sendAll(samples: Float32Array, endOfStream: boolean): Promise<void> {
    const frameCount = samples.length / this.#header.channelCount;
    const parts = this.#stamp(samples, endOfStream, wallClockUs());
    this.#dry?.offer(this.#header, parts[1]);
    const dropped = await this.#queue.put(parts, this.#header);
    this.#count(frameCount, dropped);
    this.#advance(frameCount);
  }
}
