import { ResamplingStream, type HighBandMode } from '../resampling/resampling-stream.js';
import type { OrtSession } from '../onnx/session-factory.js';
import { ChannelSplitStream } from './channel-split-stream.js';
import type { HopModelState } from './hop-model.js';
import { HopStream } from './hop-stream.js';
import type { BatchCounts, Processor, StreamProcessor } from './processor.js';
import { checkStreamArgs } from './stream-args.js';

/**
 * A `Processor` for a mono hop model at a fixed native rate. Each stream gets
 * one model state per channel; a device rate other than the native one goes
 * through a `ResamplingStream`. The sessions are shared by all streams.
 */
export class HopModelProcessor implements Processor {
  readonly name: string;
  readonly nativeRateHz: number;
  readonly hopFrames: number;
  readonly batchCounts: BatchCounts | undefined;
  readonly #sessions: OrtSession[];
  readonly #createState: () => HopModelState;
  readonly #highBand: HighBandMode;
  #closed = false;

  /**
   * `options.highBand` says what happens above the native Nyquist frequency at higher device rates (default
   * 'model-gain'); `options.batchCounts`, the counts of the batch the states share, if they do.
   */
  constructor(name: string, nativeRateHz: number, hopFrames: number, sessions: OrtSession[], createState: () => HopModelState, options: { highBand?: HighBandMode; batchCounts?: BatchCounts } = {}) {
    this.batchCounts = options.batchCounts;
    this.name = name;
    this.nativeRateHz = nativeRateHz;
    this.hopFrames = hopFrames;
    this.#sessions = sessions;
    this.#createState = createState;
    this.#highBand = options.highBand ?? 'model-gain';
  }

  createStream(sampleRateHz: number, channelCount: number): StreamProcessor {
    if (this.#closed) throw new Error(`${this.name} processor is closed`);
    checkStreamArgs(sampleRateHz, channelCount);
    const channels: StreamProcessor[] = [];
    for (let c = 0; c < channelCount; c++) {
      const hop = new HopStream(this.#createState());
      channels.push(sampleRateHz === this.nativeRateHz ? hop : new ResamplingStream(hop, sampleRateHz, this.nativeRateHz, { highBand: this.#highBand }));
    }
    return channelCount === 1 ? channels[0] : new ChannelSplitStream(channels);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of this.#sessions) s.release();
  }
}
