import type { FrameHeader } from '@quell/protocol';
import { TokenBucket } from '@quell/runtime';

/** Why playback would not open a stream for a chunk; each is a `quell_playback_drops_total` reason. */
export type AdmissionRefusal = 'stream-cap' | 'stream-rate' | 'format' | 'unplayable';

export interface StreamAdmissionOptions {
  /** Streams open at once. */
  maxStreams: number;
  /** New streams opened per second, sustained (and at most this many at once). */
  maxNewStreamsPerS: number;
  /** A clocked stream's first chunk must last at least this long, s (its clock ticks once per chunk); 0 = no minimum. */
  minChunkS: number;
  /** A stream the sink refused (device: other rate or channels) is not retried for this long, ms. */
  unplayableForMs: number;
}

/** Ids remembered as unplayable at most; the oldest are forgotten first. */
const MAX_UNPLAYABLE = 1024;

/**
 * Which chunks may open a new stream in playback (docs/SECURITY.md, issue 15):
 * a cap on open streams, a token bucket on new streams per second, a minimum
 * chunk length for clocked playout (a 1-frame chunk at 384 kHz would tick the
 * clock 384 000 times a second), and a bounded, expiring memory of streams the
 * sink could not play. Pure: the caller passes the time.
 */
export class StreamAdmission {
  readonly #o: StreamAdmissionOptions;
  readonly #newStreams: TokenBucket;
  readonly #unplayableUntil = new Map<number, number>();

  constructor(options: StreamAdmissionOptions) {
    this.#o = options;
    this.#newStreams = new TokenBucket(options.maxNewStreamsPerS, options.maxNewStreamsPerS);
  }

  /** Null when `h` may open a stream now (a token is taken), else why not. */
  admit(h: FrameHeader, openStreams: number, nowMs: number): AdmissionRefusal | null {
    const until = this.#unplayableUntil.get(h.stream);
    if (until !== undefined) {
      if (nowMs < until) return 'unplayable';
      this.#unplayableUntil.delete(h.stream);
    }
    if (openStreams >= this.#o.maxStreams) return 'stream-cap';
    if (this.#o.minChunkS > 0 && h.frameCount < this.#o.minChunkS * h.sampleRateHz) return 'format';
    return this.#newStreams.take(nowMs) ? null : 'stream-rate';
  }

  /** Remembers that the sink could not play `stream`, for unplayableForMs. */
  markUnplayable(stream: number, nowMs: number): void {
    this.#unplayableUntil.delete(stream);
    this.#unplayableUntil.set(stream, nowMs + this.#o.unplayableForMs);
    if (this.#unplayableUntil.size > MAX_UNPLAYABLE) this.#unplayableUntil.delete(this.#unplayableUntil.keys().next().value!);
  }
}
