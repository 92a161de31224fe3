import { FrameFlags, seqAdd, seqSub, type FrameHeader, type HandoverInfo } from '@quell/protocol';
import type { BufferedChunk, WriteStatus } from '../jitter/jitter-buffer.js';

/** The jitter-buffer calls the mixer needs (JitterBuffer implements them). */
export interface MixTarget {
  write(seq: number, samples: Float32Array, frameCount: number, captureTimeUs: number, delayFrames: number, endOfStream: boolean): WriteStatus;
  peek(seq: number): BufferedChunk | null;
  replace(seq: number, samples: Float32Array): boolean;
}

/**
 * What became of one arriving chunk: the jitter buffer's own verdict, or
 * - `mixed`: it was the second half of a crossfade chunk, now mixed in place;
 * - `replaced`: it took over a slot the other node had filled (it is the preferred one);
 * - `overlap`: the other node's copy is the one to play, this one is not needed
 *   (also a preferred copy that came too late: counted in `fallbacks`);
 * - `mismatch`: its frame count differs from the copy already buffered (two models
 *   with different latency end a stream on chunks of their own length, or a
 *   hostile sender), so it can neither be mixed nor replace it: the buffered copy plays.
 */
export type MixStatus = WriteStatus | 'mixed' | 'replaced' | 'overlap' | 'mismatch';

/** Marker for a slot that already holds a crossfade of both nodes (never a node id). */
const MIXED: unique symbol = Symbol('mixed');

/**
 * Playback's side of a hand-over between two inference nodes (docs/SWAP.md),
 * for one stream. Both nodes send every chunk from `atSeq` on, stamped with
 * their node id and the hand-over. Chunk by chunk, whichever copy arrives first
 * goes into the jitter buffer, so a missing copy never leaves a hole; when the
 * second arrives:
 * - before `atSeq` the old node's copy is kept;
 * - for `atSeq … atSeq + fadeChunks − 1` the two are crossfaded in place with
 *   raised-cosine weights (sin², cos²: they sum to 1, which keeps the level of
 *   two correlated signals, as two denoisers of the same input are);
 * - from `atSeq + fadeChunks` on the new node's copy replaces the old one.
 * The crossfade is aligned by seq, not by content: two models whose latencies
 * differ by Δ frames are mixed Δ frames apart during the fade (a short comb
 * filter, no step), and the stream's delay changes by Δ afterwards.
 *
 * A chunk from the old node at or past `atSeq` without the hand-over stamp
 * means capture rolled the swap back: the old node is preferred again.
 */
export class HandoverMixer {
  readonly #channelCount: number;
  readonly #slotSeq: Float64Array;
  readonly #slotNode: (string | typeof MIXED | undefined)[];
  #window: HandoverInfo | null = null;
  /** Preferred copies that came too late: the other node's copy or concealment played instead. */
  fallbacks = 0;

  constructor(channelCount: number, capacityChunks: number) {
    this.#channelCount = channelCount;
    this.#slotSeq = new Float64Array(capacityChunks).fill(-1);
    this.#slotNode = new Array<string | typeof MIXED | undefined>(capacityChunks);
  }

  /**
   * Writes one arriving chunk from `node` into `target` under the hand-over
   * rules. Chunks without a node id (direct mode) go straight through.
   */
  receive(target: MixTarget, header: FrameHeader, samples: Float32Array): MixStatus {
    const { node, handover, seq, frameCount } = header;
    if (handover) this.#learn(handover);
    else if (this.#window && node === this.#window.from && seqSub(seq, this.#window.atSeq) >= 0) this.#window = null;
    const w = this.#window;
    const index = seq % this.#slotSeq.length;
    const existing = node === undefined || !w ? null : target.peek(seq);
    if (!existing) {
      const status = target.write(seq, samples, frameCount, header.captureTimeUs, header.delayFrames, (header.flags & FrameFlags.END_OF_STREAM) !== 0);
      if (status === 'ok' || status === 'resync') {
        this.#slotSeq[index] = seq;
        this.#slotNode[index] = node;
      } else if (status === 'late' && w && node !== undefined && handover) {
        // A hand-over copy that missed its slot: expected for the copy that is not needed, a fallback for the one that is.
        if (this.#preferred(w, seq) !== w.from && node === w.to) this.fallbacks++;
        return 'overlap';
      }
      return status;
    }
    const holder = this.#slotSeq[index] === seq ? this.#slotNode[index] : undefined;
    if (holder === node || holder === MIXED) return holder === MIXED ? 'overlap' : 'duplicate';
    if (existing.frameCount !== frameCount) return 'mismatch';
    const preferred = this.#preferred(w!, seq);
    if (preferred === undefined && (node === w!.to || node === w!.from)) {
      const oldSamples = node === w!.to ? existing.samples : samples;
      const newSamples = node === w!.to ? samples : existing.samples;
      target.replace(seq, this.#mix(w!, seq, oldSamples, newSamples, frameCount));
      this.#slotNode[index] = MIXED;
      return 'mixed';
    }
    if (node === (preferred ?? w!.to)) {
      target.replace(seq, samples);
      this.#slotNode[index] = node;
      return 'replaced';
    }
    return 'overlap';
  }

  /**
   * Arrival-driven playout waits on a chunk while its better copy is still
   * expected: a crossfade chunk with one half, or a chunk past the crossfade
   * that only the old node has delivered.
   */
  waitsFor(seq: number): boolean {
    const w = this.#window;
    if (!w) return false;
    const index = seq % this.#slotSeq.length;
    if (this.#slotSeq[index] !== seq) return false;
    const holder = this.#slotNode[index];
    if (holder === MIXED || holder === undefined) return false;
    const preferred = this.#preferred(w, seq);
    return preferred === undefined || holder !== preferred;
  }

  #learn(h: HandoverInfo): void {
    const w = this.#window;
    if (w && w.to === h.to && w.from === h.from && w.atSeq === h.atSeq) return;
    this.#window = { from: h.from, to: h.to, atSeq: h.atSeq, fadeChunks: h.fadeChunks };
  }

  /** The node whose copy plays at `seq`; undefined inside the crossfade. */
  #preferred(w: HandoverInfo, seq: number): string | undefined {
    if (seqSub(seq, w.atSeq) < 0) return w.from;
    if (seqSub(seq, seqAdd(w.atSeq, w.fadeChunks)) >= 0) return w.to;
    return undefined;
  }

  /** Raised-cosine crossfade of one chunk: position k of fadeChunks, per frame. */
  #mix(w: HandoverInfo, seq: number, oldSamples: Float32Array, newSamples: Float32Array, frameCount: number): Float32Array {
    const k = seqSub(seq, w.atSeq);
    const total = w.fadeChunks * frameCount;
    const ch = this.#channelCount;
    // The one allocation of a crossfade chunk (fadeChunks per hand-over): the jitter slot keeps a view of it.
    const out = new Float32Array(frameCount * ch);
    for (let f = 0; f < frameCount; f++) {
      const t = (k * frameCount + f + 0.5) / total;
      const wNew = 0.5 - 0.5 * Math.cos(Math.PI * t);
      const wOld = 1 - wNew;
      for (let c = 0; c < ch; c++) {
        const i = f * ch + c;
        out[i] = wOld * oldSamples[i] + wNew * newSamples[i];
      }
    }
    return out;
  }
}
