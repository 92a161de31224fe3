import { copyFrameHeader, encodeHeader, FrameFlags, PROTOCOL_VERSION, type FrameHeader } from '@quell/protocol';
import { attach, createPushSocket, SendQueue, type CurveSocketOptions } from '@quell/runtime';
import type * as zmq from 'zeromq';

export interface DryPathOptions {
  /** Playback's PULL endpoint (capture connects: one more sender beside the inference nodes). */
  endpoint: string;
  curve: CurveSocketOptions | undefined;
  queueChunks: number;
  highWaterMarkChunks: number;
}

/**
 * The optional dry path (docs/SWAP.md, crash section): an unprocessed copy of
 * every chunk, flagged DRY, PUSHed straight to playback, which plays it only
 * where a processed chunk is missing (`--conceal dry`). Its own socket and
 * bounded queue: a slow or absent playback costs dry drops, never a wait on
 * the processed path.
 */
export class DryPath {
  readonly #socket: zmq.Push;
  readonly #queue: SendQueue;
  readonly #header: FrameHeader = { v: PROTOCOL_VERSION, stream: 0, seq: 0, ts: 0, captureTimeUs: 0, sampleRateHz: 0, channelCount: 0, frameCount: 0, flags: FrameFlags.DRY, delayFrames: 0 };
  /** Dry copies dropped because the queue was full. */
  dropCount = 0;

  private constructor(socket: zmq.Push, queueChunks: number) {
    this.#socket = socket;
    this.#queue = new SendQueue(socket, queueChunks);
  }

  static async open(o: DryPathOptions): Promise<DryPath> {
    const socket = createPushSocket({ highWaterMarkChunks: o.highWaterMarkChunks, curve: o.curve });
    await attach(socket, o.endpoint, 'connect');
    return new DryPath(socket, o.queueChunks);
  }

  /** Copies handed to the socket. */
  get sentCount(): number {
    return this.#queue.sentCount;
  }

  /**
   * Queues the dry copy of the chunk just stamped: `wet` is its header (read,
   * not kept), `samples` its samples part, shared with the processed copy
   * (neither is written after sending). Never waits.
   */
  offer(wet: FrameHeader, samples: Buffer): void {
    const h = this.#header;
    copyFrameHeader(wet, h);
    h.flags = FrameFlags.DRY;
    h.delayFrames = 0;
    if (!this.#queue.offer([encodeHeader(h), samples])) this.dropCount++;
  }

  async close(): Promise<void> {
    await this.#queue.drain(200);
    await this.#queue.close();
    this.#socket.close();
  }
}
