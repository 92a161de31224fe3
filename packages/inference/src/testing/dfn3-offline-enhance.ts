import * as ort from 'onnxruntime-node';
import type { Dfn3Config } from '../models/deepfilternet3/config.js';
import { Dfn3Dsp } from '../models/deepfilternet3/dfn3-dsp.js';

export interface Dfn3OfflineResult {
  /** Enhanced samples, hopCount * hopSize long, lagging the input by `delayFrames`. */
  samples: Float32Array;
  /** Local SNR estimate per hop, in dB. */
  lsnrDb: Float32Array;
  delayFrames: number;
}

/**
 * The reference for the streaming processor: runs the original, unrewritten
 * graphs once over all hops of `input` (time axis S = hop count) and the same
 * DSP as the stream around them. Only whole hops are processed; pad the input
 * to push out the tail. Slow and memory-hungry on long files: for tests.
 */
export async function enhanceOffline(
  graphs: { enc: Uint8Array; erbDec: Uint8Array; dfDec: Uint8Array },
  config: Dfn3Config,
  input: Float32Array,
): Promise<Dfn3OfflineResult> {
  const { hopSize, nbErb, nbDf } = config;
  const hops = Math.floor(input.length / hopSize);
  // Features for all hops come first; a second DSP instance then analyses
  // again hop by hop, interleaved with synthesis, so that its ring of noisy
  // spectra holds the frames each synthesis step needs.
  const featureDsp = new Dfn3Dsp(config);
  const dsp = new Dfn3Dsp(config);
  const featErb = new Float32Array(hops * nbErb);
  const featSpec = new Float32Array(2 * hops * nbDf);
  const specHop = new Float32Array(2 * nbDf);
  for (let t = 0; t < hops; t++) {
    featureDsp.analyse(input.subarray(t * hopSize, (t + 1) * hopSize), featErb.subarray(t * nbErb, (t + 1) * nbErb), specHop);
    // feat_spec is [1, 2, S, nbDf]: all real parts over time, then all imaginary parts.
    featSpec.set(specHop.subarray(0, nbDf), t * nbDf);
    featSpec.set(specHop.subarray(nbDf), (hops + t) * nbDf);
  }
  const options: ort.InferenceSession.SessionOptions = { executionProviders: ['cpu'], intraOpNumThreads: 1, logSeverityLevel: 3 };
  const [enc, erbDec, dfDec] = await Promise.all([
    ort.InferenceSession.create(graphs.enc, options),
    ort.InferenceSession.create(graphs.erbDec, options),
    ort.InferenceSession.create(graphs.dfDec, options),
  ]);
  try {
    const e = await enc.run({
      feat_erb: new ort.Tensor('float32', featErb, [1, 1, hops, nbErb]),
      feat_spec: new ort.Tensor('float32', featSpec, [1, 2, hops, nbDf]),
    });
    const m = await erbDec.run({ emb: e.emb, e3: e.e3, e2: e.e2, e1: e.e1, e0: e.e0 }, ['m']);
    const c = await dfDec.run({ emb: e.emb, c0: e.c0 }, ['coefs']);
    const gains = m.m.data as Float32Array;
    const coefs = c.coefs.data as Float32Array;
    const perHopCoefs = coefs.length / hops;
    const samples = new Float32Array(hops * hopSize);
    const unusedErb = new Float32Array(nbErb);
    for (let t = 0; t < hops; t++) {
      dsp.analyse(input.subarray(t * hopSize, (t + 1) * hopSize), unusedErb, specHop);
      dsp.synthesise(
        gains.subarray(t * nbErb, (t + 1) * nbErb),
        coefs.subarray(t * perHopCoefs, (t + 1) * perHopCoefs),
        samples.subarray(t * hopSize, (t + 1) * hopSize),
      );
    }
    return { samples, lsnrDb: Float32Array.from(e.lsnr.data as Float32Array), delayFrames: dsp.delayFrames };
  } finally {
    await Promise.all([enc.release(), erbDec.release(), dfDec.release()]);
  }
}
