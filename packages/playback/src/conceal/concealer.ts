/** Raised-cosine gain rising from 0 (i = 0) towards 1 (i = n). */
export function rise(i: number, n: number): number {
  return 0.5 - 0.5 * Math.cos((Math.PI * i) / n);
}

/**
 * Hides missing chunks without clicks: a missing chunk becomes the previous
 * chunk played backwards (so the waveform continues from the last sample
 * with no step) under a raised-cosine fade to silence; the first real chunk
 * after a gap fades back in. Fades last `fadeFrames` (clamped to the chunk).
 */
export class Concealer {
  readonly #channelCount: number;
  readonly #fadeFrames: number;
  /** The tail of the last chunk written to the sink, kept for the backwards continuation. */
  readonly #history: Float32Array;
  #historyFrames = 0;
  #silent = false;

  constructor(channelCount: number, fadeFrames: number) {
    this.#channelCount = channelCount;
    this.#fadeFrames = Math.max(1, Math.round(fadeFrames));
    // Only the last fadeFrames are ever replayed, so that is all we keep.
    this.#history = new Float32Array(this.#fadeFrames * channelCount);
  }

  /** True while the output is faded out (after a concealed chunk). */
  get concealing(): boolean {
    return this.#silent;
  }

  /** Copies a real chunk to `out`, fading it in if it ends a gap, and remembers it. */
  play(samples: Float32Array, out: Float32Array): void {
    const ch = this.#channelCount;
    const frames = samples.length / ch;
    out.set(samples);
    if (this.#silent) {
      const n = Math.min(this.#fadeFrames, frames);
      for (let f = 0; f < n; f++) {
        const g = rise(f, n);
        for (let c = 0; c < ch; c++) out[f * ch + c] *= g;
      }
      this.#silent = false;
    }
    this.#remember(out, frames);
  }

  /**
   * Plays `next`, which does not continue the last chunk played (the dry
   * signal in place of a missing processed chunk, or back): the last chunk's
   * tail played backwards fades out while `next` fades in, so the join has no
   * step. After a concealed gap `next` just fades in, as in play(). `out` may
   * be `next` itself.
   */
  splice(next: Float32Array, out: Float32Array): void {
    if (this.#silent || this.#historyFrames === 0) {
      this.play(next, out);
      return;
    }
    const ch = this.#channelCount;
    const frames = next.length / ch;
    out.set(next);
    const n = Math.min(this.#fadeFrames, frames, this.#historyFrames);
    const h = this.#history;
    const last = this.#historyFrames - 1;
    for (let f = 0; f < n; f++) {
      const g = 1 - rise(f + 1, n);
      for (let c = 0; c < ch; c++) {
        const i = f * ch + c;
        out[i] = h[(last - f) * ch + c] * g + out[i] * (1 - g);
      }
    }
    this.#remember(out, frames);
  }

  /** Fills `out` (frames * channels) for a missing chunk. */
  conceal(out: Float32Array): void {
    const ch = this.#channelCount;
    const frames = out.length / ch;
    if (this.#silent || this.#historyFrames === 0) {
      out.fill(0);
      this.#silent = true;
      this.#historyFrames = 0;
      return;
    }
    const n = Math.min(this.#fadeFrames, frames, this.#historyFrames);
    const h = this.#history;
    const last = this.#historyFrames - 1;
    for (let f = 0; f < n; f++) {
      const g = 1 - rise(f + 1, n);
      for (let c = 0; c < ch; c++) out[f * ch + c] = h[(last - f) * ch + c] * g;
    }
    out.fill(0, n * ch);
    this.#silent = true;
    this.#historyFrames = 0;
  }

  #remember(chunk: Float32Array, frames: number): void {
    const keep = Math.min(frames, this.#history.length / this.#channelCount);
    this.#history.set(chunk.subarray((frames - keep) * this.#channelCount, frames * this.#channelCount));
    this.#historyFrames = keep;
  }
}
