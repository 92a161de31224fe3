import type { Logger } from '@quell/runtime';

/** What inference does when it falls behind real time. */
export type OverloadPolicy = 'none' | 'passthrough';

export interface OverloadGuardOptions {
  /** `none`: never degrade; `passthrough`: send the delayed dry input while behind. */
  policy: OverloadPolicy;
  /** Input age above which the stage counts as behind, ms. */
  enterAgeMs: number;
  /** How long the age must stay above `enterAgeMs` before degrading, ms (a short stall is not overload). */
  holdMs: number;
  /** Input age below which the stage counts as caught up, ms. */
  exitAgeMs: number;
  /** First recovery hold: time below `exitAgeMs` before the model comes back, ms (default 1000). */
  recoverMs?: number;
  /** Longest recovery hold; the hold doubles on each relapse within `relapseWindowMs`, ms (default 16 000). */
  maxRecoverMs?: number;
  /** A relapse this soon after recovering doubles the hold, ms (default 10 000). */
  relapseWindowMs?: number;
  /** Crossfade between processed and dry audio, ms (default 10). */
  fadeMs?: number;
  /** After a model reset, the model runs this long on the input (output still dry) before fading in, ms (default 100). */
  warmUpMs?: number;
}

/** A guard that never degrades (offline runs): with policy `none` the thresholds are never read. */
export const OVERLOAD_GUARD_OFF: Readonly<OverloadGuardOptions> = Object.freeze({ policy: 'none', enterAgeMs: 0, holdMs: 0, exitAgeMs: 0 });

/** The guard's counters, read by the stage's metrics at scrape time. */
export interface OverloadCounts {
  degraded: number;
  degradedChunks: number;
  transitions: number;
}

/** `plan()` flag: run the model on this chunk. */
export const RUN_MODEL = 1;
/** `plan()` flag: reset the stream's model state first (it missed the audio of the degraded period). */
export const RESET_MODEL = 2;

/** One stream's bypass: a delay line as long as the model's latency and the current wet gain. */
interface Bypass {
  readonly channelCount: number;
  readonly delay: Float32Array;
  pos: number;
  /** Gain of the processed signal, 0 (dry) .. 1 (processed); ramps towards `target`. */
  gain: number;
  target: number;
  /** Gain change per frame: 1 / fade frames. */
  readonly step: number;
  /** Frames the reset model still runs with the output dry. */
  warmFramesLeft: number;
  readonly warmFrames: number;
  /** The guard's recovery count this stream last handled. */
  recoveries: number;
  lastSeenMs: number;
}

/**
 * Degrades inference by policy when it falls behind real time, instead of
 * letting queues fill and chunks drop (crackling).
 *
 * Behind means the input age (wall clock minus capture time when the chunk
 * is taken) stayed above `enterAgeMs` for `holdMs`. Then, under
 * `passthrough`, every stream sends its input unprocessed, delayed by the
 * model's `latencyFrames` so the timeline stays continuous, crossfaded from
 * the processed signal over `fadeMs`; skipping the model lets the stage
 * catch up. Once the age has stayed below `exitAgeMs` for the recovery hold,
 * each stream's model state is reset (it missed the audio in between), the
 * model warms up on the input for `warmUpMs` while the output stays dry,
 * and the processed signal fades back in. A relapse soon after recovering
 * doubles the hold, so a model that is simply too heavy settles in the
 * degraded state instead of flapping. Each transition logs one line.
 *
 * The per-chunk path allocates nothing; a stream's delay line is allocated
 * on its first chunk.
 */
export class OverloadGuard {
  readonly #options: Required<OverloadGuardOptions>;
  readonly #log: Logger;
  readonly #streams = new Map<number, Bypass>();
  readonly counts: OverloadCounts = { degraded: 0, degradedChunks: 0, transitions: 0 };
  #degraded = false;
  #aboveSinceMs = -1;
  #belowSinceMs = -1;
  #recoverMs: number;
  #enteredMs = 0;
  #lastRecoveryMs = Number.NEGATIVE_INFINITY;
  #recoveries = 0;

  constructor(options: OverloadGuardOptions, log: Logger) {
    if (options.exitAgeMs > options.enterAgeMs) throw new TypeError('exitAgeMs must not exceed enterAgeMs');
    this.#options = { recoverMs: 1000, maxRecoverMs: 16_000, relapseWindowMs: 10_000, fadeMs: 10, warmUpMs: 100, ...options };
    this.#recoverMs = this.#options.recoverMs;
    this.#log = log;
  }

  get enabled(): boolean {
    return this.#options.policy !== 'none';
  }

  /** True while audio passes through unprocessed. */
  get degraded(): boolean {
    return this.#degraded;
  }

  /** Feeds one chunk's input age into the state machine (hysteresis: enter above `enterAgeMs`, leave below `exitAgeMs`). */
  observe(ageMs: number, nowMs: number): void {
    if (!this.enabled) return;
    const o = this.#options;
    if (!this.#degraded) {
      if (ageMs <= o.enterAgeMs) {
        this.#aboveSinceMs = -1;
        return;
      }
      if (this.#aboveSinceMs < 0) this.#aboveSinceMs = nowMs;
      if (nowMs - this.#aboveSinceMs < o.holdMs) return;
      this.#degraded = true;
      this.#belowSinceMs = -1;
      this.#enteredMs = nowMs;
      this.#recoverMs = nowMs - this.#lastRecoveryMs < o.relapseWindowMs ? Math.min(this.#recoverMs * 2, o.maxRecoverMs) : o.recoverMs;
      this.counts.degraded = 1;
      this.counts.transitions++;
      this.#log.warn({ inputAgeMs: Math.round(ageMs), recoverHoldMs: this.#recoverMs }, 'inference is behind real time: passing audio through unprocessed');
      return;
    }
    if (ageMs >= o.exitAgeMs) {
      this.#belowSinceMs = -1;
      return;
    }
    if (this.#belowSinceMs < 0) this.#belowSinceMs = nowMs;
    if (nowMs - this.#belowSinceMs < this.#recoverMs) return;
    this.#degraded = false;
    this.#aboveSinceMs = -1;
    this.#lastRecoveryMs = nowMs;
    this.#recoveries++;
    this.counts.degraded = 0;
    this.#log.info({ degradedMs: Math.round(nowMs - this.#enteredMs) }, 'inference caught up: model back (state reset, warming up)');
  }

  /**
   * What to do with one chunk of a stream: `RUN_MODEL`, plus `RESET_MODEL`
   * when the stream's model state must be recreated first. Call after
   * `observe()` and before `mix()`.
   */
  plan(streamId: number, sampleRateHz: number, channelCount: number, latencyFrames: number, nowMs: number): number {
    if (!this.enabled) return RUN_MODEL;
    const b = this.#bypass(streamId, sampleRateHz, channelCount, latencyFrames, nowMs);
    if (this.#degraded) {
      b.target = 0;
      // The processed signal is still needed while it fades out.
      return b.gain > 0 ? RUN_MODEL : 0;
    }
    let flags = RUN_MODEL;
    if (b.recoveries !== this.#recoveries) {
      b.recoveries = this.#recoveries;
      if (b.gain < 1) {
        flags |= RESET_MODEL;
        b.warmFramesLeft = b.warmFrames;
      }
    }
    b.target = b.warmFramesLeft > 0 ? 0 : 1;
    return flags;
  }

  /**
   * Pushes `input` through the stream's delay line and writes the chunk's
   * output: `output` holds the model's result when `modelRan`, and is
   * replaced by (or crossfaded with) the delayed dry input as the stream's
   * gain requires. `input` and `output` have the same length.
   */
  mix(streamId: number, input: Float32Array, output: Float32Array, modelRan: boolean): void {
    if (!this.enabled) return;
    const b = this.#streams.get(streamId);
    if (b === undefined) return;
    const ch = b.channelCount;
    const frames = input.length / ch;
    const delay = b.delay;
    const n = delay.length;
    const steady = b.gain === 1 && b.target === 1;
    if (!steady) this.counts.degradedChunks++;
    let pos = b.pos;
    let gain = b.gain;
    for (let f = 0; f < frames; f++) {
      if (gain < b.target) gain = Math.min(b.target, gain + b.step);
      else if (gain > b.target) gain = Math.max(b.target, gain - b.step);
      for (let c = 0; c < ch; c++) {
        const i = f * ch + c;
        let dry: number;
        if (n === 0) dry = input[i];
        else {
          dry = delay[pos];
          delay[pos] = input[i];
          pos = pos + 1 === n ? 0 : pos + 1;
        }
        if (steady) continue;
        const wet = modelRan ? output[i] : 0;
        output[i] = gain === 0 ? dry : gain * wet + (1 - gain) * dry;
      }
    }
    b.pos = pos;
    b.gain = gain;
    if (b.warmFramesLeft > 0) b.warmFramesLeft = Math.max(0, b.warmFramesLeft - frames);
  }

  /** Forgets a stream (end of stream). */
  forget(streamId: number): void {
    this.#streams.delete(streamId);
  }

  #bypass(streamId: number, sampleRateHz: number, channelCount: number, latencyFrames: number, nowMs: number): Bypass {
    let b = this.#streams.get(streamId);
    if (b !== undefined && b.channelCount === channelCount && b.delay.length === latencyFrames * channelCount) {
      b.lastSeenMs = nowMs;
      return b;
    }
    // A new stream (or a new format) is rare: sweep streams gone quiet for a minute so ids that never end cannot pile up.
    for (const [id, old] of this.#streams) if (nowMs - old.lastSeenMs > 60_000) this.#streams.delete(id);
    const o = this.#options;
    b = {
      channelCount,
      delay: new Float32Array(latencyFrames * channelCount),
      pos: 0,
      gain: this.#degraded ? 0 : 1,
      target: this.#degraded ? 0 : 1,
      step: 1 / Math.max(1, Math.round((o.fadeMs / 1000) * sampleRateHz)),
      warmFramesLeft: 0,
      warmFrames: Math.round(((o.warmUpMs / 1000) * sampleRateHz)) + latencyFrames,
      recoveries: this.#recoveries,
      lastSeenMs: nowMs,
    };
    this.#streams.set(streamId, b);
    return b;
  }
}
