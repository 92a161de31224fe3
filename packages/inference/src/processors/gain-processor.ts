import type { Processor, ProcessorOptions, StreamProcessor } from './processor.js';
import { DEFAULT_OUTPUT_LIMIT } from '../runner/sample-limits.js';
import { checkStreamArgs } from './stream-args.js';

class GainStream implements StreamProcessor {
  readonly latencyFrames = 0;
  readonly #gain: number;
  constructor(gain: number) {
    this.#gain = gain;
  }
  process(input: Float32Array, output: Float32Array): void {
    const g = this.#gain;
    for (let i = 0; i < input.length; i++) output[i] = input[i] * g;
  }
  close(): void {}
}

/** Multiplies every sample by `options.gain` (default 0.5): latency 0, any rate and channel count. */
export class GainProcessor implements Processor {
  readonly name = 'gain';
  readonly nativeRateHz = 0;
  readonly hopFrames = 1;
  readonly gain: number;
  readonly outputLimit: number;

  constructor(options: Partial<ProcessorOptions> = {}) {
    const gain = options.gain ?? 0.5;
    if (!Number.isFinite(gain)) throw new TypeError(`gain must be a finite number, got ${gain}`);
    this.gain = gain;
    this.outputLimit = Math.max(DEFAULT_OUTPUT_LIMIT, Math.abs(gain));
  }

  createStream(sampleRateHz: number, channelCount: number): StreamProcessor {
    checkStreamArgs(sampleRateHz, channelCount);
    return new GainStream(this.gain);
  }

  async close(): Promise<void> {}
}
