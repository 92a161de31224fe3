import type { ChunkSource } from './chunk-source.js';

export interface SynthOptions {
  waveform: 'sine' | 'noise';
  frequencyHz: number;
  amplitude: number;
  sampleRateHz: number;
  channelCount: number;
  /** Length in seconds; 0 = endless. */
  durationS: number;
  /** Seed of the noise generator, so runs are reproducible. */
  seed?: number;
}

/** A sine or white-noise generator; phase is kept as an exact frame index. */
export class SynthSource implements ChunkSource {
  readonly sampleRateHz: number;
  readonly channelCount: number;
  readonly frameCount: number;
  readonly #options: SynthOptions;
  #frameIndex = 0;
  #noiseState: number;

  constructor(options: SynthOptions) {
    this.#options = options;
    this.sampleRateHz = options.sampleRateHz;
    this.channelCount = options.channelCount;
    this.frameCount = options.durationS > 0 ? Math.round(options.durationS * options.sampleRateHz) : Infinity;
    this.#noiseState = (options.seed ?? 0x2545f491) >>> 0 || 1;
  }

  read(out: Float32Array): number {
    const wanted = out.length / this.channelCount;
    const n = Math.min(wanted, this.frameCount - this.#frameIndex);
    const { amplitude, frequencyHz, sampleRateHz, waveform } = this.#options;
    // Phase = frac(f * k / rate), from the exact frame index: it never drifts.
    const radiansPerCycle = (2 * Math.PI) / sampleRateHz;
    for (let f = 0; f < n; f++) {
      let value: number;
      if (waveform === 'sine') {
        value = amplitude * Math.sin(radiansPerCycle * ((frequencyHz * (this.#frameIndex + f)) % sampleRateHz));
      } else {
        let x = this.#noiseState;
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        this.#noiseState = x >>> 0;
        value = amplitude * ((this.#noiseState / 0xffff_ffff) * 2 - 1);
      }
      for (let c = 0; c < this.channelCount; c++) out[f * this.channelCount + c] = value;
    }
    this.#frameIndex += n;
    return n;
  }
}
