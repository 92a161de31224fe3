import { join } from 'node:path';
import { parseDfn3Config, type Dfn3Config } from '../models/deepfilternet3/config.js';
import { Dfn3Dsp } from '../models/deepfilternet3/dfn3-dsp.js';
import { Dfn3Networks, type Dfn3NetworkState } from '../models/deepfilternet3/dfn3-networks.js';
import { readDfn3Files } from '../models/deepfilternet3/model-files.js';
import { DEFAULT_MODEL_MIRROR_DIR } from '../models/model-store.js';
import { ResamplingStream } from '../resampling/resampling-stream.js';
import { ChannelSplitStream } from './channel-split-stream.js';
import type { Processor, StreamProcessor } from './processor.js';
import { checkStreamArgs } from './stream-args.js';

/** Where the files are read from when no folder is given: the shared mirror. */
export const DEFAULT_DFN3_MODEL_DIR = join(DEFAULT_MODEL_MIRROR_DIR, 'deepfilternet3');

export interface DeepFilterNet3Options {
  /** Folder with enc.onnx, erb_dec.onnx, df_dec.onnx and config.ini (default `DEFAULT_DFN3_MODEL_DIR`). */
  modelDir?: string;
  /** ORT intra-op threads per session (default 1). */
  intraOpThreads?: number;
  /**
   * Voice-activity gate: hops whose local SNR estimate is below `thresholdDb`
   * are muted. Off when absent (the default); libDF mutes below -10 dB.
   */
  vadGate?: { thresholdDb: number };
}

/**
 * DeepFilterNet3 (48 kHz full band) as a streaming processor, with the DSP of
 * its training pipeline (libDF) and the released graphs rewritten to carry
 * their GRU states and convolution context from hop to hop. Loads and checks
 * the model files once; `createStream()` gives each stream its own state.
 */
export class DeepFilterNet3Processor implements Processor {
  readonly name = 'deepfilternet3';
  readonly nativeRateHz: number;
  readonly hopFrames: number;
  readonly config: Dfn3Config;
  readonly #networks: Dfn3Networks;
  readonly #vadThresholdDb: number | undefined;
  readonly #streams = new Set<DeepFilterNet3Stream>();
  #closed = false;

  private constructor(config: Dfn3Config, networks: Dfn3Networks, vadThresholdDb: number | undefined) {
    this.config = config;
    this.nativeRateHz = config.sampleRateHz;
    this.hopFrames = config.hopSize;
    this.#networks = networks;
    this.#vadThresholdDb = vadThresholdDb;
  }

  /**
   * Reads, checks (sha256) and loads the model. Rejects with `ModelError`
   * (`MODEL_NOT_INSTALLED`, `MODEL_CORRUPT`) when a file is missing or wrong,
   * and with `TypeError` for bad options or a config.ini that lacks a key.
   */
  static async create(options: DeepFilterNet3Options = {}): Promise<DeepFilterNet3Processor> {
    const threshold = options.vadGate?.thresholdDb;
    if (threshold !== undefined && !Number.isFinite(threshold)) {
      throw new TypeError('DeepFilterNet3: vadGate.thresholdDb must be a finite number of dB');
    }
    const threads = options.intraOpThreads ?? 1;
    if (!Number.isInteger(threads) || threads < 1) {
      throw new TypeError('DeepFilterNet3: intraOpThreads must be an integer >= 1');
    }
    const files = await readDfn3Files(options.modelDir ?? DEFAULT_DFN3_MODEL_DIR);
    const config = parseDfn3Config(files.configText);
    const networks = await Dfn3Networks.load(files, config, { intraOpThreads: threads });
    return new DeepFilterNet3Processor(config, networks, threshold);
  }

  /** One mono stream at the model's own 48 kHz, exposing `lsnrDb`. Throws after `close()`. */
  createNativeStream(): DeepFilterNet3Stream {
    if (this.#closed) throw new Error('DeepFilterNet3Processor.createNativeStream() after close()');
    const stream = new DeepFilterNet3Stream(this.config, this.#networks.createState(), this.#vadThresholdDb, () =>
      this.#streams.delete(stream),
    );
    this.#streams.add(stream);
    return stream;
  }

  /**
   * A stream at any supported device rate and channel count: one model state
   * per channel, resampled to and from 48 kHz when the device runs at another rate.
   */
  createStream(sampleRateHz: number, channelCount: number): StreamProcessor {
    if (sampleRateHz === this.nativeRateHz && channelCount === 1) return this.createNativeStream();
    checkStreamArgs(sampleRateHz, channelCount);
    const channels: StreamProcessor[] = [];
    for (let c = 0; c < channelCount; c++) {
      const native = this.createNativeStream();
      // The model covers the full band, so nothing above its Nyquist needs carrying over.
      channels.push(sampleRateHz === this.nativeRateHz ? native : new ResamplingStream(native, sampleRateHz, this.nativeRateHz, { highBand: 'drop' }));
    }
    return channelCount === 1 ? channels[0] : new ChannelSplitStream(channels);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const stream of this.#streams) stream.close();
    await this.#networks.close();
  }
}

/**
 * One 48 kHz mono stream. Input gathers into 10 ms hops; each full hop runs
 * the networks, and its enhanced hop is played out while the next hop gathers,
 * so the output lags the input by a constant `latencyFrames` whatever the
 * chunking: one hop of gathering + fftSize - hop (STFT overlap) +
 * convLookahead hops (the networks' lookahead) = 480 + 480 + 960 = 1920 frames (40 ms).
 */
export class DeepFilterNet3Stream implements StreamProcessor {
  readonly latencyFrames: number;
  readonly #dsp: Dfn3Dsp;
  readonly #net: Dfn3NetworkState;
  readonly #vadThresholdDb: number | undefined;
  readonly #onClose: () => void;
  readonly #hopIn: Float32Array;
  readonly #hopOut: Float32Array;
  readonly #zeroGains: Float32Array;
  readonly #zeroCoefs: Float32Array;
  #fill = 0;
  #lsnrDb = Number.NaN;
  #closed = false;

  constructor(config: Dfn3Config, net: Dfn3NetworkState, vadThresholdDb: number | undefined, onClose: () => void) {
    this.#dsp = new Dfn3Dsp(config);
    this.#net = net;
    this.#vadThresholdDb = vadThresholdDb;
    this.#onClose = onClose;
    this.#hopIn = new Float32Array(config.hopSize);
    this.#hopOut = new Float32Array(config.hopSize);
    this.#zeroGains = new Float32Array(net.gains.length);
    this.#zeroCoefs = new Float32Array(net.coefs.length);
    this.latencyFrames = config.hopSize + this.#dsp.delayFrames;
  }

  /**
   * The network's local SNR estimate of the last finished hop, in dB
   * (about -15..35; it describes the hop `latencyFrames` behind the input).
   * NaN before the first full hop.
   */
  get lsnrDb(): number {
    return this.#lsnrDb;
  }

  process(input: Float32Array, output: Float32Array): void {
    if (this.#closed) throw new Error('DeepFilterNet3Stream.process() after close()');
    if (input.length !== output.length) throw new TypeError('DeepFilterNet3Stream.process(): input and output lengths differ');
    const hopIn = this.#hopIn;
    const hopOut = this.#hopOut;
    const hop = hopIn.length;
    let pos = 0;
    while (pos < input.length) {
      const take = Math.min(hop - this.#fill, input.length - pos);
      // Play out the previous hop's output at the same offsets before this hop overwrites it (plain copies: no views per hop).
      const fill = this.#fill;
      for (let i = 0; i < take; i++) {
        hopIn[fill + i] = input[pos + i];
        output[pos + i] = hopOut[fill + i];
      }
      this.#fill += take;
      pos += take;
      if (this.#fill === hop) {
        this.#runHop();
        this.#fill = 0;
      }
    }
  }

  #runHop(): void {
    const net = this.#net;
    this.#dsp.analyse(this.#hopIn, net.featErb, net.featSpec);
    net.run();
    this.#lsnrDb = net.lsnrDb;
    const gate = this.#vadThresholdDb;
    if (gate !== undefined && this.#lsnrDb < gate) {
      this.#dsp.synthesise(this.#zeroGains, this.#zeroCoefs, this.#hopOut);
    } else {
      this.#dsp.synthesise(net.gains, net.coefs, this.#hopOut);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#onClose();
  }
}

/** Creates the process-wide DeepFilterNet3 processor (see `DeepFilterNet3Processor.create`). */
export function createDeepFilterNet3Processor(options: DeepFilterNet3Options = {}): Promise<DeepFilterNet3Processor> {
  return DeepFilterNet3Processor.create(options);
}
