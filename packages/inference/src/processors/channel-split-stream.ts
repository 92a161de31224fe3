import { PrefixViews } from '../dsp/prefix-views.js';
import type { StreamProcessor } from './processor.js';

/**
 * Runs one mono `StreamProcessor` per channel of an interleaved stream (each
 * channel keeps its own model state). All channels share one latency.
 */
export class ChannelSplitStream implements StreamProcessor {
  readonly latencyFrames: number;
  readonly #channels: StreamProcessor[];
  readonly #monoIn = new PrefixViews();
  readonly #monoOut = new PrefixViews();

  constructor(channels: StreamProcessor[]) {
    if (channels.length === 0) throw new TypeError('ChannelSplitStream needs at least one channel');
    this.#channels = channels;
    this.latencyFrames = channels[0].latencyFrames;
  }

  /** The quieter channel's local SNR estimate (the one a gate would act on), when the model makes one. */
  get lsnrDb(): number | undefined {
    let lowest: number | undefined;
    for (const c of this.#channels) {
      const v = c.lsnrDb;
      if (v !== undefined && (lowest === undefined || v < lowest)) lowest = v;
    }
    return lowest;
  }

  process(input: Float32Array, output: Float32Array): void {
    const n = this.#channels.length;
    const frames = input.length / n;
    if (!Number.isInteger(frames)) throw new TypeError(`chunk of ${input.length} samples is not whole frames of ${n} channels`);
    const monoIn = this.#monoIn.prefix(frames);
    const monoOut = this.#monoOut.prefix(frames);
    for (let c = 0; c < n; c++) {
      for (let i = 0; i < frames; i++) monoIn[i] = input[i * n + c];
      this.#channels[c].process(monoIn, monoOut);
      for (let i = 0; i < frames; i++) output[i * n + c] = monoOut[i];
    }
  }

  close(): void {
    for (const ch of this.#channels) ch.close();
  }
}
