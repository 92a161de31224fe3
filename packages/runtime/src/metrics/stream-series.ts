/** How many streams a stage exports per-stream series for, live and ended together. */
export const STREAM_SERIES_CAPACITY = 64;
/** How long an ended stream's series stay exported, so a scraper (5 s interval) reads their final values. */
export const STREAM_SERIES_LINGER_MS = 30_000;

export interface StreamSeriesOptions {
  capacity?: number;
  lingerMs?: number;
  /** Monotonic clock, ms (tests pass their own). */
  now?: () => number;
}

/** One tracked stream: its `stream` label value and its entry. */
export interface TrackedStream<E> {
  readonly entry: E;
  readonly label: string;
  /** When the stream ended, ms; -1 while it is live. */
  endedAtMs: number;
}

/**
 * Per-stream counters for the metrics of one stage: an entry (plain numbers
 * the hot path bumps) per stream id, exported with a `stream` label at
 * scrape time. A stage opens a stream's entry when the stream starts and ends
 * it when the stream ends; an ended stream's series stay for `lingerMs`, then
 * go. At most `capacity` streams are tracked: when full, the oldest ended
 * stream goes first, and a stream that finds every slot live gets a detached
 * entry that is never exported (its chunks still count in the stage totals).
 */
export class StreamSeries<E> {
  readonly #create: () => E;
  readonly #tracked = new Map<number, TrackedStream<E>>();
  readonly #capacity: number;
  readonly #lingerMs: number;
  readonly #now: () => number;
  /** Streams that got a detached entry because every slot was live. */
  untracked = 0;

  constructor(create: () => E, options: StreamSeriesOptions = {}) {
    this.#create = create;
    this.#capacity = options.capacity ?? STREAM_SERIES_CAPACITY;
    this.#lingerMs = options.lingerMs ?? STREAM_SERIES_LINGER_MS;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Streams tracked now, live and lingering. */
  get size(): number {
    return this.#tracked.size;
  }

  /**
   * The entry of a stream that starts. A stream that starts again while its
   * series linger gets the same entry back, so its counters keep rising.
   */
  open(streamId: number): E {
    const tracked = this.#tracked.get(streamId);
    if (tracked) {
      tracked.endedAtMs = -1;
      return tracked.entry;
    }
    if (this.#tracked.size >= this.#capacity) this.#makeRoom();
    const entry = this.#create();
    if (this.#tracked.size >= this.#capacity) {
      this.untracked++;
      return entry;
    }
    this.#tracked.set(streamId, { entry, label: String(streamId), endedAtMs: -1 });
    return entry;
  }

  /** The entry of a tracked stream (live or lingering), else undefined. */
  get(streamId: number): E | undefined {
    return this.#tracked.get(streamId)?.entry;
  }

  /** Marks a stream ended: its series go `lingerMs` from now. */
  end(streamId: number): void {
    const tracked = this.#tracked.get(streamId);
    if (tracked && tracked.endedAtMs < 0) tracked.endedAtMs = this.#now();
  }

  /** Every exported stream's label and entry, after removing those that ended more than `lingerMs` ago. */
  exported(): IterableIterator<TrackedStream<E>> {
    this.#sweep();
    return this.#tracked.values();
  }

  #sweep(): void {
    const cutoff = this.#now() - this.#lingerMs;
    for (const [id, t] of this.#tracked) if (t.endedAtMs >= 0 && t.endedAtMs <= cutoff) this.#tracked.delete(id);
  }

  #makeRoom(): void {
    this.#sweep();
    if (this.#tracked.size < this.#capacity) return;
    let oldest: number | undefined;
    let oldestEndMs = Infinity;
    for (const [id, t] of this.#tracked) {
      if (t.endedAtMs >= 0 && t.endedAtMs < oldestEndMs) {
        oldest = id;
        oldestEndMs = t.endedAtMs;
      }
    }
    if (oldest !== undefined) this.#tracked.delete(oldest);
  }
}
