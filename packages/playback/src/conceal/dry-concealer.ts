import { rise, type Concealer } from './concealer.js';
import { DryRing } from './dry-ring.js';

/**
 * `--conceal dry` for one stream: a missing processed (wet) chunk is played
 * as the dry signal of the same stream positions instead of a fade to
 * silence (the inference node crashed, stalled, or a swap failed). The dry
 * signal is delayed by the wet stream's `delayFrames` (that of the last wet
 * chunk played), so it lines up with the wet signal. Joins have no click:
 * wet → dry splices from the last wet chunk's reversed tail (the concealer's
 * fade) into the dry; dry → wet crossfades the aligned dry chunk into the
 * wet one; both over the concealer's fade length. Without the dry frames
 * (not arrived, or delay unknown before the first wet chunk) it falls back to
 * the concealer's fade to silence.
 */
export class DryConcealer {
  readonly ring: DryRing;
  readonly #concealer: Concealer;
  readonly #channelCount: number;
  readonly #fadeFrames: number;
  /** delayFrames of the last wet chunk played; -1 before the first. */
  #delayFrames = -1;
  #playingDry = false;

  constructor(concealer: Concealer, channelCount: number, fadeFrames: number, capacityChunks: number) {
    this.#concealer = concealer;
    this.#channelCount = channelCount;
    this.#fadeFrames = Math.max(1, Math.round(fadeFrames));
    this.ring = new DryRing(channelCount, capacityChunks);
  }

  /** True while the output is the dry signal. */
  get playingDry(): boolean {
    return this.#playingDry;
  }

  /** True when a missing wet chunk `seq` of `frames` frames would be filled with dry. */
  canConceal(seq: number, frames: number): boolean {
    return this.#delayFrames >= 0 && frames > 0 && this.ring.covers(seq, this.#delayFrames, frames);
  }

  /** Writes wet chunk `seq` to `out`, crossfading from the dry signal if that was playing. */
  play(seq: number, wet: Float32Array, delayFrames: number, out: Float32Array): void {
    if (!this.#playingDry) {
      this.#concealer.play(wet, out);
    } else if (this.ring.read(seq, this.#delayFrames, out)) {
      // out holds the dry chunk aligned as the one before it: crossfade it into the wet one.
      const ch = this.#channelCount;
      const n = Math.min(this.#fadeFrames, wet.length / ch);
      for (let f = 0; f < n; f++) {
        const g = rise(f + 1, n);
        for (let c = 0; c < ch; c++) {
          const i = f * ch + c;
          out[i] = out[i] * (1 - g) + wet[i] * g;
        }
      }
      out.set(wet.subarray(n * ch), n * ch);
      this.#concealer.play(out, out);
    } else {
      this.#concealer.splice(wet, out);
    }
    this.#playingDry = false;
    this.#delayFrames = delayFrames;
  }

  /**
   * Fills `out` for missing wet chunk `seq`: true when with the dry signal,
   * false when with the concealer's fade to silence.
   */
  conceal(seq: number, out: Float32Array): boolean {
    if (this.#delayFrames < 0 || !this.ring.read(seq, this.#delayFrames, out)) {
      this.#concealer.conceal(out);
      this.#playingDry = false;
      return false;
    }
    if (this.#playingDry) this.#concealer.play(out, out);
    else this.#concealer.splice(out, out);
    this.#playingDry = true;
    return true;
  }
}
