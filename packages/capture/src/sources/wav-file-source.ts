import type { PcmAudio } from '@quell/runtime';
import type { ChunkSource } from './chunk-source.js';

/**
 * Plays decoded WAV audio, optionally looping, converting the channel count
 * (stereo → mono averages, mono → stereo duplicates).
 */
export class WavFileSource implements ChunkSource {
  readonly sampleRateHz: number;
  readonly channelCount: number;
  readonly frameCount: number;
  readonly #audio: PcmAudio;
  readonly #loop: boolean;
  #position = 0;

  constructor(audio: PcmAudio, channelCount: number, loop: boolean) {
    if (channelCount !== 1 && channelCount !== 2) throw new TypeError('channelCount must be 1 or 2');
    this.#audio = audio;
    this.#loop = loop && audio.frameCount > 0;
    this.sampleRateHz = audio.sampleRateHz;
    this.channelCount = channelCount;
    this.frameCount = this.#loop ? Infinity : audio.frameCount;
  }

  read(out: Float32Array): number {
    const wanted = out.length / this.channelCount;
    const src = this.#audio.samples;
    const srcChannels = this.#audio.channelCount;
    let written = 0;
    while (written < wanted) {
      if (this.#position === this.#audio.frameCount) {
        if (!this.#loop) break;
        this.#position = 0;
      }
      const n = Math.min(wanted - written, this.#audio.frameCount - this.#position);
      for (let f = 0; f < n; f++) {
        const base = (this.#position + f) * srcChannels;
        const dst = (written + f) * this.channelCount;
        if (this.channelCount === srcChannels) {
          for (let c = 0; c < srcChannels; c++) out[dst + c] = src[base + c];
        } else if (this.channelCount === 1) {
          let sum = 0;
          for (let c = 0; c < srcChannels; c++) sum += src[base + c];
          out[dst] = sum / srcChannels;
        } else {
          for (let c = 0; c < this.channelCount; c++) out[dst + c] = src[base + Math.min(c, srcChannels - 1)];
        }
      }
      this.#position += n;
      written += n;
    }
    return written;
  }
}
