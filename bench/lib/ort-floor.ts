import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { Dfn3Networks, parseDfn3Config } from '@quell/inference';

/**
 * The floor for each model: the bare onnxruntime-node calls one hop needs,
 * on the same graphs, with the recurrent state fed back and no DSP, no
 * resampling, no framing. Session options match Quell's (one intra-op
 * thread, sequential, full optimisation) so the ratio measures Quell's own
 * overhead. Returns a function that runs one hop.
 */
const OPTIONS: ort.InferenceSession.SessionOptions = {
  executionProviders: ['cpu'],
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
  logSeverityLevel: 3,
};

const zeros = (dims: number[]): ort.Tensor => new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)), dims);

export async function floorHop(model: string, modelDir: string): Promise<() => Promise<void>> {
  if (model === 'dtln') {
    const s1 = await ort.InferenceSession.create(join(modelDir, 'dtln', 'model_1.onnx'), OPTIONS);
    const s2 = await ort.InferenceSession.create(join(modelDir, 'dtln', 'model_2.onnx'), OPTIONS);
    const mag = zeros([1, 1, 257]);
    const block = zeros([1, 1, 512]);
    let st1 = zeros([1, 2, 128, 2]);
    let st2 = zeros([1, 2, 128, 2]);
    return async () => {
      const a = await s1.run({ input_2: mag, input_3: st1 });
      st1 = a.tf_op_layer_stack_2;
      const b = await s2.run({ input_4: block, input_5: st2 });
      st2 = b.tf_op_layer_stack_5;
    };
  }
  if (model === 'gtcrn') {
    const s = await ort.InferenceSession.create(join(modelDir, 'gtcrn', 'gtcrn_simple.onnx'), OPTIONS);
    const mix = zeros([1, 257, 1, 2]);
    let conv = zeros([2, 1, 16, 16, 33]);
    let tra = zeros([2, 3, 1, 1, 16]);
    let inter = zeros([2, 1, 33, 16]);
    return async () => {
      const r = await s.run({ mix, conv_cache: conv, tra_cache: tra, inter_cache: inter });
      conv = r.conv_cache_out;
      tra = r.tra_cache_out;
      inter = r.inter_cache_out;
    };
  }
  if (model === 'deepfilternet3') {
    // The three rewritten graphs with their states carried: the network half of a hop.
    const dir = join(modelDir, 'deepfilternet3');
    const read = (f: string): Promise<Buffer> => readFile(join(dir, f));
    const config = parseDfn3Config((await read('config.ini')).toString());
    const networks = await Dfn3Networks.load({ enc: await read('enc.onnx'), erbDec: await read('erb_dec.onnx'), dfDec: await read('df_dec.onnx') }, config);
    const state = networks.createState();
    return () => state.run();
  }
  throw new TypeError(`no floor for ${model}`);
}
