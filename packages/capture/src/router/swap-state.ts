import { seqAdd, seqSub, type HandoverInfo } from '@quell/protocol';

/** The bounds a swap must keep (see capture's config.ts for the defaults). */
export interface SwapLimits {
  /** A candidate must have warmed up every stream within this, ms. */
  warmUpTimeoutMs: number;
  /** A whole swap (hello → completed) must end within this, ms. */
  swapTimeoutMs: number;
  /** A candidate whose processed seq trails capture by more than this many chunks fails the swap. */
  maxLagChunks: number;
  /** Chunks the crossfade lasts. */
  fadeChunks: number;
}

/** One stream's part in a hand-over. */
interface StreamSwap {
  /** Seq of the last warm-up chunk the candidate must ack. */
  readonly lastWarmSeq: number;
  /** Set once warmed: from `atSeq` on, both nodes get live chunks. */
  handover: HandoverInfo | null;
  done: boolean;
}

/** How the candidate gets a stream's next live chunk. */
export type CandidateCopy = 'warm-up' | 'handover' | 'none' | 'new-stream';

/** What the router reads of the live streams while judging a swap. */
export interface SwapView {
  /** The seq capture sends next on the stream; undefined once it ended. */
  nextSeq(streamId: number): number | undefined;
  /** The last seq the candidate reported processing on the stream; undefined before its first heartbeat with it. */
  processed(streamId: number): number | undefined;
}

/**
 * One hand-over from the active node to a candidate (docs/SWAP.md), as a pure
 * state machine: no sockets, no timers, time passed in. Every stream warms up
 * (the candidate gets its last ~1 s flagged WARM_UP and acks the last seq),
 * then goes live on both nodes from `atSeq` and is done once the candidate
 * has processed past the crossfade, or the stream ended. The swap is complete
 * when every stream is done; `check()` says why it must be rolled back.
 */
export class SwapState {
  readonly candidate: string;
  readonly startedMs: number;
  readonly #limits: SwapLimits;
  readonly #streams = new Map<number, StreamSwap>();

  constructor(candidate: string, startedMs: number, limits: SwapLimits) {
    this.candidate = candidate;
    this.startedMs = startedMs;
    this.#limits = limits;
  }

  /** The streams in the swap. */
  get streamCount(): number {
    return this.#streams.size;
  }

  /** True when every stream is done (a swap with no stream is complete at once). */
  get complete(): boolean {
    for (const s of this.#streams.values()) if (!s.done) return false;
    return true;
  }

  /** Starts warming `streamId` up, whose next live chunk is `nextSeq`; returns the seq that ends its warm-up. */
  warmUp(streamId: number, nextSeq: number): number {
    const lastWarmSeq = seqAdd(nextSeq, -1 >>> 0);
    this.#streams.set(streamId, { lastWarmSeq, handover: null, done: false });
    return lastWarmSeq;
  }

  /** How the candidate gets the stream's next live chunk: a stream new to the swap must be warmed up first. */
  copyFor(streamId: number): CandidateCopy {
    const s = this.#streams.get(streamId);
    if (!s) return 'new-stream';
    if (s.handover) return 'handover';
    return s.done ? 'none' : 'warm-up';
  }

  /** The hand-over stamped on the stream's chunks from its `atSeq` on, once warmed; null before. */
  handover(streamId: number): HandoverInfo | null {
    return this.#streams.get(streamId)?.handover ?? null;
  }

  /**
   * The candidate acked the stream's warm-up up to `ackedSeq`: live on both nodes from `nextSeq` (the next chunk,
   * so its input stays contiguous), crossfaded from `from`. Returns the hand-over, or null when there is none to
   * start: the stream is not in the swap, already warmed, the ack is short of this warm-up's last seq (a late ack
   * of an earlier warm-up of the stream), or the stream ended (`nextSeq` undefined: then it is done).
   */
  warmed(streamId: number, ackedSeq: number, nextSeq: number | undefined, from: string): HandoverInfo | null {
    const s = this.#streams.get(streamId);
    if (!s || s.handover || seqSub(ackedSeq, s.lastWarmSeq) < 0) return null;
    if (nextSeq === undefined) {
      s.done = true;
      return null;
    }
    s.handover = { from, to: this.candidate, atSeq: nextSeq, fadeChunks: this.#limits.fadeChunks };
    return s.handover;
  }

  /** The candidate processed `seq` of the stream: done once past the crossfade. */
  progress(streamId: number, seq: number): void {
    const s = this.#streams.get(streamId);
    if (s?.handover && seqSub(seq, seqAdd(s.handover.atSeq, s.handover.fadeChunks)) >= 0) s.done = true;
  }

  /** The stream ended (end-of-stream): nothing more to hand over. */
  ended(streamId: number): void {
    const s = this.#streams.get(streamId);
    if (s) s.done = true;
  }

  /** The active node is gone: the candidate takes every stream at once, with nothing to crossfade from. */
  activeGone(): void {
    for (const s of this.#streams.values()) s.done = true;
  }

  /** Why the swap must roll back at `nowMs`, or null while it may go on. */
  check(nowMs: number, view: SwapView): string | null {
    const l = this.#limits;
    const ageMs = nowMs - this.startedMs;
    let warming = false;
    for (const s of this.#streams.values()) if (!s.handover && !s.done) warming = true;
    if (warming && ageMs > l.warmUpTimeoutMs) return `the candidate did not warm up within ${l.warmUpTimeoutMs} ms`;
    if (ageMs > l.swapTimeoutMs) return `the swap did not complete within ${l.swapTimeoutMs} ms`;
    for (const [streamId, s] of this.#streams) {
      const nextSeq = view.nextSeq(streamId);
      const processed = view.processed(streamId);
      if (!s.handover || nextSeq === undefined || processed === undefined) continue;
      const lag = seqSub(nextSeq, processed) - 1;
      if (lag > l.maxLagChunks) return `the candidate lags ${lag} chunks behind the live stream (limit ${l.maxLagChunks})`;
    }
    return null;
  }
}
