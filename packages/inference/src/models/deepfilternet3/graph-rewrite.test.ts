import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { DEFAULT_DFN3_MODEL_DIR } from '../../processors/deepfilternet3-processor.js';
import { rewriteForStreaming } from './graph-rewrite.js';
import { seededNoise } from '../../dsp/seeded-noise.js';

const FRAMES = 12;

/** Frame `t` of a [1, C, S, F] or [1, S, F] tensor (time on axis `axis`), as a tensor with S = 1. */
function frameOf(tensor: ort.Tensor, axis: number, t: number): ort.Tensor {
  const dims = [...tensor.dims];
  const frames = dims[axis];
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const data = tensor.data as Float32Array;
  const out = new Float32Array(outer * inner);
  for (let o = 0; o < outer; o++) out.set(data.subarray((o * frames + t) * inner, (o * frames + t + 1) * inner), o * inner);
  dims[axis] = 1;
  return new ort.Tensor('float32', out, dims);
}

/** Runs `bytes` frame by frame (carrying states when `streaming`) and returns the max abs difference to one run over all frames. */
async function frameByFrameDiff(fileName: string, inputs: Record<string, number[]>, streaming: boolean): Promise<number> {
  const original = await readFile(join(DEFAULT_DFN3_MODEL_DIR, fileName));
  const whole = await ort.InferenceSession.create(original, { logSeverityLevel: 3 });
  const rewritten = rewriteForStreaming(original);
  const stepper = await ort.InferenceSession.create(streaming ? rewritten.bytes : original, { logSeverityLevel: 3 });
  const feeds: Record<string, ort.Tensor> = {};
  let seed = 1;
  for (const [name, dims] of Object.entries(inputs)) {
    feeds[name] = new ort.Tensor('float32', seededNoise(dims.reduce((a, b) => a * b, 1), seed++), dims);
  }
  const reference = await whole.run(feeds);
  const states: Record<string, ort.Tensor> = {};
  for (const s of rewritten.states) states[s.inputName] = new ort.Tensor('float32', new Float32Array(s.dims.reduce((a, b) => a * b, 1)), s.dims);
  let maxDiff = 0;
  for (let t = 0; t < FRAMES; t++) {
    const step: Record<string, ort.Tensor> = streaming ? { ...states } : {};
    for (const [name, dims] of Object.entries(inputs)) step[name] = frameOf(feeds[name], dims.indexOf(FRAMES), t);
    const result = await stepper.run(step);
    if (streaming) for (const s of rewritten.states) states[s.inputName] = result[s.outputName];
    for (const name of whole.outputNames) {
      const ref = reference[name];
      const expected = frameOf(ref, ref.dims.indexOf(FRAMES), t).data as Float32Array;
      const got = result[name].data as Float32Array;
      for (let i = 0; i < expected.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i] - expected[i]));
    }
  }
  await Promise.all([whole.release(), stepper.release()]);
  return maxDiff;
}

const GRAPHS: Array<[string, Record<string, number[]>]> = [
  ['enc.onnx', { feat_erb: [1, 1, FRAMES, 32], feat_spec: [1, 2, FRAMES, 96] }],
  ['erb_dec.onnx', { emb: [1, FRAMES, 512], e3: [1, 64, FRAMES, 8], e2: [1, 64, FRAMES, 8], e1: [1, 64, FRAMES, 16], e0: [1, 64, FRAMES, 32] }],
  ['df_dec.onnx', { emb: [1, FRAMES, 512], c0: [1, 64, FRAMES, 96] }],
];

describe('rewriteForStreaming()', () => {
  for (const [fileName, inputs] of GRAPHS) {
    it(`${fileName}: one frame per call with carried states equals one call over all frames`, async () => {
      const diff = await frameByFrameDiff(fileName, inputs, true);
      assert.ok(diff < 1e-4, `max abs diff ${diff}`);
    });
    it(`${fileName}: the original graph one frame per call does not (the states matter)`, async () => {
      const diff = await frameByFrameDiff(fileName, inputs, false);
      assert.ok(diff > 1e-3, `max abs diff only ${diff}`);
    });
  }

  it('exposes each GRU state and each convolution context as an input/output pair', async () => {
    const enc = rewriteForStreaming(await readFile(join(DEFAULT_DFN3_MODEL_DIR, 'enc.onnx')));
    assert.deepEqual(enc.states.map((s) => s.dims), [[1, 1, 256], [1, 1, 2, 32], [1, 2, 2, 96]]);
    const dfDec = rewriteForStreaming(await readFile(join(DEFAULT_DFN3_MODEL_DIR, 'df_dec.onnx')));
    assert.deepEqual(dfDec.states.map((s) => s.dims), [[1, 1, 256], [1, 1, 256], [1, 64, 4, 96]]);
  });
});
