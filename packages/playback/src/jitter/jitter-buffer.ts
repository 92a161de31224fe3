import { seqAdd, seqSub } from '@quell/protocol';

export type WriteStatus = 'ok' | 'late' | 'duplicate' | 'overflow' | 'resync';

/**
 * What the next read found:
 * - `ok`: the expected chunk, in `chunk`;
 * - `missing`: the expected chunk is given up on (lost, or not there when the
 *   clock needed it): the caller conceals `frames` frames;
 * - `underrun`: like missing, but nothing newer had arrived either (the
 *   buffer ran dry);
 * - `prefilling`: not started yet (clocked reads play silence);
 * - `wait`: arrival-driven read: nothing to emit yet.
 */
export type ReadStatus = 'ok' | 'missing' | 'underrun' | 'prefilling' | 'wait';

/** A buffered chunk; `samples` is the received view, never copied. */
export interface BufferedChunk {
  seq: number;
  samples: Float32Array;
  frameCount: number;
  captureTimeUs: number;
  delayFrames: number;
  endOfStream: boolean;
  present: boolean;
}

export interface JitterBufferOptions {
  /** Slots; a chunk further ahead than this is an overflow. */
  capacityChunks: number;
  /** Chunks buffered before a clocked read starts playing. */
  prefillChunks: number;
  /** Arrival-driven reads give up on a missing chunk once this many newer ones wait. */
  reorderWindowChunks: number;
  /**
   * A chunk too far ahead to fit evicts the oldest buffered ones instead of being dropped itself: a clocked
   * reader that stopped for a while (a device that stalled) then finds the newest audio, not a run of holes
   * that it would conceal later, on top of the latency. Default false.
   */
  evictOldest?: boolean;
  /**
   * Told of buffered chunks that will never play: `overflow`, evicted to make room (`evictOldest`,
   * `evictOlderThan`); `flushed`, still held when a resync restarted the timeline. Once per event, not per chunk.
   */
  onLoss?: (reason: JitterLoss, chunks: number, frames: number) => void;
}

export type JitterLoss = 'overflow' | 'flushed';

/**
 * Reorders one stream's chunks by seq and decides, read by read, what plays
 * next. Two drivers share it: a clock (device or paced sink) calls
 * `readClocked()` once per chunk period; an arrival-driven sink (file) calls
 * `readReady()` after each write until it answers `wait`.
 *
 * A chunk that arrives after its slot was played or concealed is `late`; one
 * that is more than `capacityChunks` away from the play position in either
 * direction restarts the timeline at it (`resync`: the sender restarted). So
 * does a chunk whose seq is older than the newest one written but which was
 * captured after it: reordered chunks are older in both, and chunks that
 * were held up upstream (played past by the clock) are newer in both, so
 * only a sender that restarted its seq (e.g. capture restarted by pm2 within
 * `capacityChunks` of the old position) gives this.
 */
const NO_SAMPLES = new Float32Array(0);

export class JitterBuffer {
  readonly #slots: BufferedChunk[];
  readonly #options: JitterBufferOptions;
  #started = false;
  #prefilling = true;
  #nextSeq = 0;
  #newestSeq = 0;
  #endSeq = -1;
  #buffered = 0;
  #lastFrames = 0;
  #hold: ((seq: number) => boolean) | null = null;
  #maxHoldChunks = 0;
  /** Newest capture time written since the last reset, µs: tells a restarted sender from late chunks. */
  #newestCaptureUs = 0;
  /** The slot the last read handed out: its samples are released at the next read (the caller is done with them by then). */
  #handedOut: BufferedChunk | null = null;

  constructor(options: JitterBufferOptions) {
    if (options.capacityChunks < 2) throw new TypeError('capacityChunks must be at least 2');
    this.#options = options;
    this.#slots = Array.from({ length: options.capacityChunks }, () => ({
      seq: 0,
      samples: NO_SAMPLES,
      frameCount: 0,
      captureTimeUs: 0,
      delayFrames: 0,
      endOfStream: false,
      present: false,
    }));
  }

  /** Chunks held. */
  get depth(): number {
    return this.#buffered;
  }

  /** The seq the next read plays. */
  get nextSeq(): number {
    return this.#nextSeq;
  }

  /** Frame count used for a concealed chunk (the last real chunk's). */
  get concealFrames(): number {
    return this.#lastFrames;
  }

  /** True once the end-of-stream chunk has been read. */
  get finished(): boolean {
    return this.#endSeq >= 0 && seqSub(this.#nextSeq, this.#endSeq) > 0;
  }

  #slot(seq: number): BufferedChunk {
    return this.#slots[seq % this.#slots.length];
  }

  #reset(seq: number): void {
    let chunks = 0;
    let frames = 0;
    for (const s of this.#slots) {
      if (s.present) {
        chunks++;
        frames += s.frameCount;
      }
      s.present = false;
      s.samples = NO_SAMPLES;
    }
    if (chunks > 0) this.#options.onLoss?.('flushed', chunks, frames);
    this.#buffered = 0;
    this.#nextSeq = seq;
    this.#newestSeq = seq;
    this.#endSeq = -1;
    this.#prefilling = true;
    this.#newestCaptureUs = 0;
  }

  write(seq: number, samples: Float32Array, frameCount: number, captureTimeUs: number, delayFrames: number, endOfStream: boolean): WriteStatus {
    let status: WriteStatus = 'ok';
    if (!this.#started) {
      this.#started = true;
      this.#reset(seq);
    }
    const ahead = seqSub(seq, this.#nextSeq);
    if (ahead < 0) {
      if (-ahead < this.#slots.length && !this.#senderRestarted(seq, captureTimeUs)) return 'late';
      this.#reset(seq);
      status = 'resync';
    } else if (ahead >= this.#slots.length) {
      // Far ahead: either a burst larger than the buffer (overflow) or a new
      // timeline; a jump of more than twice the capacity is taken as the latter.
      if (ahead >= 2 * this.#slots.length) {
        this.#reset(seq);
        status = 'resync';
      } else if (this.#options.evictOldest) {
        this.#evictBefore(seqAdd(seq, 1 - this.#slots.length));
      } else {
        return 'overflow';
      }
    }
    const slot = this.#slot(seq);
    if (slot.present && slot.seq === seq) return 'duplicate';
    slot.seq = seq;
    slot.samples = samples;
    slot.frameCount = frameCount;
    slot.captureTimeUs = captureTimeUs;
    slot.delayFrames = delayFrames;
    slot.endOfStream = endOfStream;
    slot.present = true;
    this.#buffered++;
    if (seqSub(seq, this.#newestSeq) > 0) this.#newestSeq = seq;
    if (endOfStream) this.#endSeq = seq;
    if (captureTimeUs > this.#newestCaptureUs) this.#newestCaptureUs = captureTimeUs;
    if (this.#lastFrames === 0) this.#lastFrames = frameCount;
    return status;
  }

  #senderRestarted(seq: number, captureTimeUs: number): boolean {
    return seqSub(seq, this.#newestSeq) < 0 && captureTimeUs > this.#newestCaptureUs;
  }

  /**
   * The buffered chunk for `seq`, or null when its slot does not hold it (not
   * arrived, already played, or the slot reused). Valid until the next write.
   */
  peek(seq: number): BufferedChunk | null {
    const slot = this.#slot(seq);
    return slot.present && slot.seq === seq ? slot : null;
  }

  /** Swaps the samples of the buffered chunk for `seq`; false when it is not buffered or `samples` has another length. */
  replace(seq: number, samples: Float32Array): boolean {
    const slot = this.peek(seq);
    if (!slot || slot.samples.length !== samples.length) return false;
    slot.samples = samples;
    return true;
  }

  /**
   * Arrival-driven reads (`readReady`) wait on a present chunk while
   * `hold(seq)` is true (a better copy is on its way, e.g. during an
   * inference hand-over), but never once `maxHoldChunks` newer chunks wait
   * behind it or the end of the stream has arrived. Clocked reads never wait.
   */
  setHold(hold: (seq: number) => boolean, maxHoldChunks: number): void {
    this.#hold = hold;
    this.#maxHoldChunks = maxHoldChunks;
  }

  #isHeld(): boolean {
    if (!this.#hold || this.#endSeq >= 0) return false;
    return seqSub(this.#newestSeq, this.#nextSeq) < this.#maxHoldChunks && this.#hold(this.#nextSeq);
  }

  /**
   * Skips the play position forward to `keepChunks` before the newest chunk
   * written, dropping what is buffered before it, so a clock that runs behind
   * the stream (it started on a backlog, or playback was held up) plays fresh
   * audio again. Chunks skipped that arrive later are `late`. Does nothing
   * when the position is already there. Returns how many buffered chunks were dropped.
   */
  dropOldest(keepChunks: number): number {
    const target = seqAdd(this.#newestSeq, 1 - Math.max(1, keepChunks));
    let dropped = 0;
    while (seqSub(target, this.#nextSeq) > 0) {
      if (this.#expectedPresent()) {
        const slot = this.#slot(this.#nextSeq);
        slot.present = false;
        slot.samples = NO_SAMPLES;
        this.#buffered--;
        dropped++;
      }
      this.#nextSeq = seqAdd(this.#nextSeq, 1);
    }
    return dropped;
  }

  /**
   * Moves the play position to `keepChunks` chunk periods before the end of the newest chunk, evicting what is
   * buffered before it (told to `onLoss`). Returns the chunks evicted.
   */
  evictOlderThan(keepChunks: number): number {
    return this.#started ? this.#evictBefore(seqAdd(this.#newestSeq, 1 - Math.max(1, keepChunks))) : 0;
  }

  /** Moves the play position to `seq`, evicting what is buffered before it (told to `onLoss`); returns the chunks evicted. */
  #evictBefore(seq: number): number {
    let chunks = 0;
    let frames = 0;
    while (seqSub(seq, this.#nextSeq) > 0) {
      if (this.#expectedPresent()) {
        const slot = this.#slot(this.#nextSeq);
        chunks++;
        frames += slot.frameCount;
        slot.present = false;
        slot.samples = NO_SAMPLES;
        this.#buffered--;
      }
      this.#nextSeq = seqAdd(this.#nextSeq, 1);
    }
    if (chunks > 0) this.#options.onLoss?.('overflow', chunks, frames);
    return chunks;
  }

  /**
   * Drops the reference to the samples handed out by the previous read: a
   * chunk's memory (a view of its whole received message) goes once played,
   * instead of living on in its slot until the slot is reused.
   */
  #releaseHandedOut(): void {
    if (this.#handedOut && !this.#handedOut.present) this.#handedOut.samples = NO_SAMPLES;
    this.#handedOut = null;
  }

  /** Takes the expected chunk out of the buffer and advances. */
  #take(): BufferedChunk {
    const slot = this.#slot(this.#nextSeq);
    this.#handedOut = slot;
    slot.present = false;
    this.#buffered--;
    this.#lastFrames = slot.frameCount;
    this.#nextSeq = seqAdd(this.#nextSeq, 1);
    return slot;
  }

  /** Gives up on the expected chunk and advances past it. */
  #skip(): void {
    this.#nextSeq = seqAdd(this.#nextSeq, 1);
  }

  #expectedPresent(): boolean {
    const slot = this.#slot(this.#nextSeq);
    return slot.present && slot.seq === this.#nextSeq;
  }

  /**
   * Arrival-driven read. Returns the next chunk when it is there, `missing`
   * once `reorderWindowChunks` newer chunks wait behind a hole (or the end
   * arrived), else `wait`. The chunk is valid until the next write to its slot.
   */
  readReady(): { status: ReadStatus; chunk: BufferedChunk | null } {
    this.#releaseHandedOut();
    if (!this.#started || this.finished) return { status: 'wait', chunk: null };
    if (this.#expectedPresent()) {
      if (this.#isHeld()) return { status: 'wait', chunk: null };
      return { status: 'ok', chunk: this.#take() };
    }
    const behind = seqSub(this.#newestSeq, this.#nextSeq);
    const endArrived = this.#endSeq >= 0;
    if (this.#buffered > 0 && (behind >= this.#options.reorderWindowChunks || endArrived)) {
      this.#skip();
      return { status: 'missing', chunk: null };
    }
    return { status: 'wait', chunk: null };
  }

  /** Clocked read, once per chunk period. */
  readClocked(): { status: ReadStatus; chunk: BufferedChunk | null } {
    this.#releaseHandedOut();
    if (!this.#started || this.finished) return { status: 'prefilling', chunk: null };
    if (this.#prefilling) {
      if (this.#buffered < this.#options.prefillChunks && this.#endSeq < 0) return { status: 'prefilling', chunk: null };
      this.#prefilling = false;
    }
    if (this.#expectedPresent()) return { status: 'ok', chunk: this.#take() };
    const status: ReadStatus = this.#buffered > 0 ? 'missing' : 'underrun';
    this.#skip();
    return { status, chunk: null };
  }
}
