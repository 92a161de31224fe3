import { seqAdd, seqSub } from '@quell/protocol';

/**
 * The last `capacityChunks` dry chunks of one stream (capture's unprocessed
 * copy, `FrameFlags.DRY`), copied by seq into preallocated slots and read back
 * by stream position: `read(seq, delayFrames, out)` gives the dry frames that
 * the processed chunk `seq` would have carried, i.e. the dry signal delayed
 * by the processed stream's `delayFrames`, so the two line up with no echo or
 * jump. A read that needs a chunk the ring does not hold (never arrived,
 * already overwritten) fails as a whole.
 */
export class DryRing {
  readonly #channelCount: number;
  readonly #slotSeq: Float64Array;
  readonly #slotTs: Float64Array;
  readonly #slotFrames: Int32Array;
  /** Slot i holds frames [i × slotFrames, …) × channels; reallocated only when a longer chunk than ever arrives. */
  #samples = new Float32Array(0);
  #slotCapacityFrames = 0;
  #newestSeq = -1;

  constructor(channelCount: number, capacityChunks: number) {
    if (capacityChunks < 2) throw new TypeError('capacityChunks must be at least 2');
    this.#channelCount = channelCount;
    this.#slotSeq = new Float64Array(capacityChunks).fill(-1);
    this.#slotTs = new Float64Array(capacityChunks);
    this.#slotFrames = new Int32Array(capacityChunks);
  }

  /** Forgets every chunk. */
  clear(): void {
    this.#slotSeq.fill(-1);
    this.#newestSeq = -1;
  }

  /** Keeps a copy of one dry chunk (`ts`: stream position of its first frame, as on the wire). */
  write(seq: number, ts: number, samples: Float32Array, frameCount: number): void {
    const capacity = this.#slotSeq.length;
    if (frameCount > this.#slotCapacityFrames) {
      this.#slotCapacityFrames = frameCount;
      this.#samples = new Float32Array(capacity * frameCount * this.#channelCount);
      this.clear();
    }
    if (this.#newestSeq >= 0) {
      const ahead = seqSub(seq, this.#newestSeq);
      // Far from everything held: a new timeline (capture restarted). Older within the ring is a reordered chunk.
      if (ahead >= capacity || ahead <= -capacity) this.clear();
    }
    if (this.#newestSeq < 0 || seqSub(seq, this.#newestSeq) > 0) this.#newestSeq = seq;
    const slot = seq % capacity;
    this.#slotSeq[slot] = seq;
    this.#slotTs[slot] = ts;
    this.#slotFrames[slot] = frameCount;
    const ch = this.#channelCount;
    this.#samples.set(samples.subarray(0, frameCount * ch), slot * this.#slotCapacityFrames * ch);
  }

  /** True when read() would succeed for `frames` frames. */
  covers(seq: number, delayFrames: number, frames: number): boolean {
    return this.#walk(seq, delayFrames, frames, null);
  }

  /**
   * Fills `out` (frames × channels) with the dry frames that line up with
   * processed chunk `seq` delayed by `delayFrames`. False (out partly
   * written) when any of them is not held.
   */
  read(seq: number, delayFrames: number, out: Float32Array): boolean {
    return this.#walk(seq, delayFrames, out.length / this.#channelCount, out);
  }

  #holds(seq: number): boolean {
    return this.#slotSeq[seq % this.#slotSeq.length] === seq;
  }

  #walk(seq: number, delayFrames: number, frames: number, out: Float32Array | null): boolean {
    if (this.#newestSeq < 0) return false;
    const capacity = this.#slotSeq.length;
    // The anchor: chunk `seq` itself when held, else the newest, assuming every chunk has the newest's length.
    const anchor = this.#holds(seq) ? seq : this.#newestSeq;
    if (!this.#holds(anchor)) return false;
    const anchorSlot = anchor % capacity;
    const chunkFrames = this.#slotFrames[anchorSlot];
    if (chunkFrames === 0) return false;
    const anchorTs = this.#slotTs[anchorSlot];
    // Stream position of the first frame wanted, relative to the anchor's first frame.
    const offset = seqSub(seq, anchor) * chunkFrames - delayFrames;
    const k = Math.floor(offset / chunkFrames);
    let m = seqAdd(anchor, k);
    let at = offset - k * chunkFrames;
    let start = seqAdd(anchorTs, k * chunkFrames);
    const ch = this.#channelCount;
    let done = 0;
    while (done < frames) {
      const slot = m % capacity;
      if (this.#slotSeq[slot] !== m || this.#slotTs[slot] !== start || this.#slotFrames[slot] <= at) return false;
      const n = Math.min(this.#slotFrames[slot] - at, frames - done);
      if (out) {
        const from = (slot * this.#slotCapacityFrames + at) * ch;
        out.set(this.#samples.subarray(from, from + n * ch), done * ch);
      }
      done += n;
      start = seqAdd(start, this.#slotFrames[slot]);
      m = seqAdd(m, 1);
      at = 0;
    }
    return true;
  }
}
