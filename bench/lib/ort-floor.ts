import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { createFloatTensor, createSession, Dfn3Networks, parseDfn3Config, type OrtSession } from '@quell/inference/testing';

/**
 * The floor for each model: the bare onnxruntime-node calls one hop needs,
 * on the same graphs, with the recurrent state fed back and no DSP, no
 * resampling, no framing. Session options match Quell's (one intra-op
 * thread, sequential, full optimisation) so the ratio measures Quell's own
 * overhead. Two kinds:
 * - `public`: onnxruntime-node's documented async `session.run()` with fresh
 *   outputs, what a plain integration would call;
 * - `native`: the same native session run synchronously into preallocated
 *   outputs (Quell's OrtSession), the least the runtime itself costs.
 * Returns a function that runs one hop.
 */
export type FloorKind = 'public' | 'native';

const OPTIONS: ort.InferenceSession.SessionOptions = {
  executionProviders: ['cpu'],
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
  logSeverityLevel: 3,
};

const zeros = (dims: number[]): ort.Tensor => new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)), dims);

/** One graph call with its state tensors fed back: `state` maps each state input to the output that updates it. */
async function graphCall(kind: FloorKind, path: string, inputs: Record<string, number[]>, state: Record<string, string>): Promise<() => Promise<void> | void> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, dims] of Object.entries(inputs)) feeds[name] = zeros(dims);
  if (kind === 'public') {
    const s = await ort.InferenceSession.create(path, OPTIONS);
    return async () => {
      const r = await s.run(feeds);
      for (const [input, output] of Object.entries(state)) feeds[input] = r[output];
    };
  }
  const s: OrtSession = await createSession(path);
  const probe = s.runAllocating(feeds);
  const fetches = [0, 1].map(() => Object.fromEntries(s.outputNames.map((n) => [n, createFloatTensor(probe[n].dims)])));
  const feedSets = [feeds, { ...feeds }];
  // Double-buffered like Quell's model states: run n reads set n%2 and writes the other.
  for (const [input, output] of Object.entries(state)) {
    feedSets[0][input] = fetches[1][output];
    feedSets[1][input] = fetches[0][output];
  }
  let half = 0;
  return () => {
    s.run(feedSets[half], fetches[half]);
    half ^= 1;
  };
}

export async function floorHop(model: string, modelDir: string, kind: FloorKind): Promise<() => Promise<void> | void> {
  if (model === 'dtln') {
    const stage1 = await graphCall(kind, join(modelDir, 'dtln', 'model_1.onnx'), { input_2: [1, 1, 257], input_3: [1, 2, 128, 2] }, { input_3: 'tf_op_layer_stack_2' });
    const stage2 = await graphCall(kind, join(modelDir, 'dtln', 'model_2.onnx'), { input_4: [1, 1, 512], input_5: [1, 2, 128, 2] }, { input_5: 'tf_op_layer_stack_5' });
    return kind === 'public'
      ? async () => {
          await stage1();
          await stage2();
        }
      : () => {
          void stage1();
          void stage2();
        };
  }
  if (model === 'gtcrn') {
    return graphCall(
      kind,
      join(modelDir, 'gtcrn', 'gtcrn_simple.onnx'),
      { mix: [1, 257, 1, 2], conv_cache: [2, 1, 16, 16, 33], tra_cache: [2, 3, 1, 1, 16], inter_cache: [2, 1, 33, 16] },
      { conv_cache: 'conv_cache_out', tra_cache: 'tra_cache_out', inter_cache: 'inter_cache_out' },
    );
  }
  if (model === 'deepfilternet3') {
    // The three rewritten graphs with their states carried: the network half of a hop (native sessions only:
    // the streaming rewrite exists in Quell, there is no public-API equivalent to compare with).
    const dir = join(modelDir, 'deepfilternet3');
    const read = (f: string): Promise<Buffer> => readFile(join(dir, f));
    const config = parseDfn3Config((await read('config.ini')).toString());
    const networks = await Dfn3Networks.load({ enc: await read('enc.onnx'), erbDec: await read('erb_dec.onnx'), dfDec: await read('df_dec.onnx') }, config);
    const state = networks.createState();
    return () => state.run();
  }
  throw new TypeError(`no floor for ${model}`);
}
