import { copyFrameHeader, PROTOCOL_VERSION, seqAdd, type FrameHeader } from '@quell/protocol';

/** One remembered chunk: its own copy of the header fields and the (never written) samples part. */
export interface RingChunk {
  readonly header: FrameHeader;
  samples: Buffer;
}

/**
 * The last `capacityChunks` chunks of one stream as capture sent them, so a
 * new inference node can be warmed up on recent input before its output is
 * heard. Slots and their header objects are allocated once; `push()` copies
 * the fields and keeps a reference to the samples part (which nobody writes
 * after sending).
 */
export class StreamRing {
  readonly streamId: number;
  readonly #slots: RingChunk[];
  #head = 0;
  #size = 0;
  /** The seq capture sends next on this stream. */
  nextSeq = 0;

  constructor(streamId: number, capacityChunks: number) {
    if (!Number.isInteger(capacityChunks) || capacityChunks < 1) throw new TypeError('capacityChunks must be a positive integer');
    this.streamId = streamId;
    this.#slots = Array.from({ length: capacityChunks }, () => ({
      header: { v: PROTOCOL_VERSION, stream: streamId, seq: 0, ts: 0, captureTimeUs: 0, sampleRateHz: 8000, channelCount: 1, frameCount: 0, flags: 0, delayFrames: 0 },
      samples: Buffer.alloc(0),
    }));
  }

  get size(): number {
    return this.#size;
  }

  push(header: FrameHeader, samples: Buffer): void {
    const slot = this.#slots[(this.#head + this.#size) % this.#slots.length];
    if (this.#size === this.#slots.length) this.#head = (this.#head + 1) % this.#slots.length;
    else this.#size++;
    copyFrameHeader(header, slot.header);
    slot.samples = samples;
    this.nextSeq = seqAdd(header.seq, 1);
  }

  /** The remembered chunks, oldest first. */
  *chunks(): IterableIterator<RingChunk> {
    for (let i = 0; i < this.#size; i++) yield this.#slots[(this.#head + i) % this.#slots.length];
  }
}
