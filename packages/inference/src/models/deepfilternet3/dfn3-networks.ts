import { createFloatTensor, createSession, type OrtFeeds, type OrtSession, type SessionTuning } from '../../onnx/session-factory.js';
import { FeedbackRun } from '../../onnx/feedback-run.js';
import type { Dfn3Config } from './config.js';
import { rewriteForStreaming, type StreamingState } from './graph-rewrite.js';

type Feeds = OrtFeeds;

/** One of the three graphs, rewritten to run one hop per call. */
interface StreamingSession {
  session: OrtSession;
  states: StreamingState[];
  /** Output name -> dims of a one-hop run (states included). */
  outputDims: Map<string, number[]>;
}

export interface Dfn3NetworkOptions {
  /** ORT intra-op threads per session (default 1). */
  intraOpThreads?: number;
}

const ENC_OUTPUTS = ['e0', 'e1', 'e2', 'e3', 'emb', 'c0', 'lsnr'] as const;

async function loadStreaming(
  bytes: Uint8Array,
  tuning: SessionTuning,
  oneHopInputs: Record<string, number[]>,
): Promise<StreamingSession> {
  const { bytes: rewritten, states } = rewriteForStreaming(bytes);
  const session = await createSession(rewritten, tuning);
  // One zero run learns every output's one-hop shape and warms the session up.
  const feeds: Feeds = {};
  for (const [name, dims] of Object.entries(oneHopInputs)) feeds[name] = createFloatTensor(dims);
  for (const s of states) feeds[s.inputName] = createFloatTensor(s.dims);
  const results = session.runAllocating(feeds);
  const outputDims = new Map<string, number[]>();
  for (const name of session.outputNames) outputDims.set(name, [...results[name].dims]);
  return { session, states, outputDims };
}

/**
 * The three DeepFilterNet3 graphs (enc, erb_dec, df_dec), rewritten so the
 * GRU states and convolution context pass between one-hop calls. Load once per
 * process; `createState()` gives each stream its own tensors.
 */
export class Dfn3Networks {
  readonly #enc: StreamingSession;
  readonly #erbDec: StreamingSession;
  readonly #dfDec: StreamingSession;
  readonly #config: Dfn3Config;
  #closed = false;

  private constructor(config: Dfn3Config, enc: StreamingSession, erbDec: StreamingSession, dfDec: StreamingSession) {
    this.#config = config;
    this.#enc = enc;
    this.#erbDec = erbDec;
    this.#dfDec = dfDec;
  }

  static async load(
    graphs: { enc: Uint8Array; erbDec: Uint8Array; dfDec: Uint8Array },
    config: Dfn3Config,
    options: Dfn3NetworkOptions = {},
  ): Promise<Dfn3Networks> {
    const sessionOptions: SessionTuning = { intraOpThreads: options.intraOpThreads ?? 1 };
    const { nbErb, nbDf } = config;
    const enc = await loadStreaming(graphs.enc, sessionOptions, {
      feat_erb: [1, 1, 1, nbErb],
      feat_spec: [1, 2, 1, nbDf],
    });
    const encDims = (name: string): number[] => {
      const dims = enc.outputDims.get(name);
      if (!dims) throw new Error(`Dfn3Networks: enc.onnx has no output ${name}`);
      return dims;
    };
    const erbDec = await loadStreaming(graphs.erbDec, sessionOptions, {
      emb: encDims('emb'),
      e3: encDims('e3'),
      e2: encDims('e2'),
      e1: encDims('e1'),
      e0: encDims('e0'),
    });
    const dfDec = await loadStreaming(graphs.dfDec, sessionOptions, { emb: encDims('emb'), c0: encDims('c0') });
    return new Dfn3Networks(config, enc, erbDec, dfDec);
  }

  /** Creates one stream's tensors, states all zero. */
  createState(): Dfn3NetworkState {
    if (this.#closed) throw new Error('Dfn3Networks.createState() after close()');
    return new Dfn3NetworkState(this.#config, this.#enc, this.#erbDec, this.#dfDec);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#enc.session.release();
    this.#erbDec.session.release();
    this.#dfDec.session.release();
  }
}

/**
 * One stream's network tensors, all allocated here and reused every hop;
 * the recurrent and context states pass between hops through FeedbackRun.
 */
export class Dfn3NetworkState {
  /** Encoder input: ERB features [1, 1, 1, nbErb]. */
  readonly featErb: Float32Array;
  /** Encoder input: complex features [1, 2, 1, nbDf] (real parts, then imaginary parts). */
  readonly featSpec: Float32Array;
  /** ERB gains of the last run [nbErb]. */
  readonly gains: Float32Array;
  /** Deep filter coefficients of the last run [nbDf][dfOrder][2]. */
  readonly coefs: Float32Array;
  readonly #lsnr: Float32Array;
  readonly #runs: FeedbackRun[];

  constructor(config: Dfn3Config, enc: StreamingSession, erbDec: StreamingSession, dfDec: StreamingSession) {
    const dims = (s: StreamingSession, name: string): number[] => {
      const d = s.outputDims.get(name);
      if (!d) throw new Error(`Dfn3NetworkState: graph has no output ${name}`);
      return d;
    };
    const encOut: Feeds = {};
    for (const name of ENC_OUTPUTS) encOut[name] = createFloatTensor(dims(enc, name));
    const featErb = createFloatTensor([1, 1, 1, config.nbErb]);
    const featSpec = createFloatTensor([1, 2, 1, config.nbDf]);
    const m = createFloatTensor(dims(erbDec, 'm'));
    const coefs = createFloatTensor(dims(dfDec, 'coefs'));
    this.featErb = featErb.data as Float32Array;
    this.featSpec = featSpec.data as Float32Array;
    this.gains = m.data as Float32Array;
    this.coefs = coefs.data as Float32Array;
    this.#lsnr = encOut.lsnr.data as Float32Array;

    this.#runs = [
      new FeedbackRun(enc.session, { feat_erb: featErb, feat_spec: featSpec }, encOut, enc.states),
      new FeedbackRun(erbDec.session, { emb: encOut.emb, e3: encOut.e3, e2: encOut.e2, e1: encOut.e1, e0: encOut.e0 }, { m }, erbDec.states),
      new FeedbackRun(dfDec.session, { emb: encOut.emb, c0: encOut.c0 }, { coefs }, dfDec.states),
    ];
  }

  /** Local SNR estimate of the last run, in dB. */
  get lsnrDb(): number {
    return this.#lsnr[0];
  }

  /** Runs enc, then erb_dec and df_dec, on the current features; fills `gains`, `coefs` and the lsnr. */
  run(): void {
    for (const graph of this.#runs) graph.run();
  }
}
