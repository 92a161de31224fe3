import type { WavStreamReader } from '@quell/runtime';
import type { ChunkSource } from './chunk-source.js';

/**
 * Plays a WAV file as it streams from disk (memory bounded whatever its
 * length), optionally looping, converting the channel count (stereo → mono
 * averages, more channels → the first two, mono → stereo duplicates).
 */
export class WavFileSource implements ChunkSource {
  readonly sampleRateHz: number;
  readonly channelCount: number;
  readonly frameCount: number;
  readonly #reader: WavStreamReader;
  readonly #loop: boolean;
  /** One chunk of the file's own channels, grown only if a larger chunk is asked for. */
  #scratch = new Float32Array(0);

  constructor(reader: WavStreamReader, channelCount: number, loop: boolean) {
    if (channelCount !== 1 && channelCount !== 2) throw new TypeError('channelCount must be 1 or 2');
    this.#reader = reader;
    this.#loop = loop && reader.format.frameCount > 0;
    this.sampleRateHz = reader.format.sampleRateHz;
    this.channelCount = channelCount;
    this.frameCount = this.#loop ? Infinity : reader.format.frameCount;
  }

  read(out: Float32Array): number {
    const wanted = out.length / this.channelCount;
    const srcChannels = this.#reader.format.channelCount;
    if (this.#scratch.length < wanted * srcChannels) this.#scratch = new Float32Array(wanted * srcChannels);
    const src = this.#scratch;
    let written = 0;
    while (written < wanted) {
      let n = this.#reader.read(src, wanted - written);
      if (n === 0) {
        if (!this.#loop) break;
        this.#reader.rewind();
        n = this.#reader.read(src, wanted - written);
      }
      for (let f = 0; f < n; f++) {
        const base = f * srcChannels;
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
      written += n;
    }
    return written;
  }

  close(): Promise<void> {
    return this.#reader.close();
  }
}
