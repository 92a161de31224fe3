import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { readWav } from '@quell/runtime';
import { RealFft } from '../dsp/real-fft.js';
import { resolveTestAudio } from '../testing/test-audio.js';
import type { Processor } from './processor.js';
import { createProcessor } from './processor-registry.js';
import { runOffline } from '../testing/run-offline.js';
import { prepareTestModels } from '../testing/test-models.js';

/**
 * The DTLN reference loop written plainly (fresh arrays every block, ORT's
 * default session options and public async API): whole signal in, output
 * lagging by 384 samples. It uses the processor's FFT (real-fft.test.ts checks
 * that against a direct DFT) so the outputs can be compared sample for sample.
 */
async function referenceDtln(modelDir: string, audio: Float32Array): Promise<Float32Array> {
  const s1 = await ort.InferenceSession.create(join(modelDir, 'dtln', 'model_1.onnx'));
  const s2 = await ort.InferenceSession.create(join(modelDir, 'dtln', 'model_2.onnx'));
  const fft = RealFft.ofSize(512);
  const blockCount = Math.floor(audio.length / 128);
  const out = new Float32Array(blockCount * 128);
  let inBuffer = new Float32Array(512);
  let outBuffer = new Float32Array(512);
  let state1: ort.Tensor = new ort.Tensor('float32', new Float32Array(512), [1, 2, 128, 2]);
  let state2: ort.Tensor = new ort.Tensor('float32', new Float32Array(512), [1, 2, 128, 2]);
  for (let b = 0; b < blockCount; b++) {
    const nextIn = new Float32Array(512);
    nextIn.set(inBuffer.subarray(128));
    nextIn.set(audio.subarray(b * 128, b * 128 + 128), 384);
    inBuffer = nextIn;
    const spec = new Float32Array(514);
    fft.forward(inBuffer, spec);
    const mag = new Float32Array(257);
    for (let k = 0; k < 257; k++) mag[k] = Math.sqrt(spec[2 * k] ** 2 + spec[2 * k + 1] ** 2);
    const r1 = await s1.run({ input_2: new ort.Tensor('float32', mag, [1, 1, 257]), input_3: state1 });
    const mask = r1.activation_2.data as Float32Array;
    state1 = r1.tf_op_layer_stack_2;
    const masked = new Float32Array(514);
    for (let k = 0; k < 257; k++) {
      masked[2 * k] = spec[2 * k] * mask[k];
      masked[2 * k + 1] = spec[2 * k + 1] * mask[k];
    }
    const block = new Float32Array(512);
    fft.inverse(masked, block, 1 / 512);
    const r2 = await s2.run({ input_4: new ort.Tensor('float32', block, [1, 1, 512]), input_5: state2 });
    state2 = r2.tf_op_layer_stack_5;
    const y = r2.conv1d_3.data as Float32Array;
    const nextOut = new Float32Array(512);
    nextOut.set(outBuffer.subarray(128));
    for (let i = 0; i < 512; i++) nextOut[i] += y[i];
    outBuffer = nextOut;
    out.set(outBuffer.subarray(0, 128), b * 128);
  }
  await s1.release();
  await s2.release();
  return out;
}

describe('dtln processor', () => {
  let processor: Processor;
  let modelDir: string;
  let audio: Float32Array;
  let expected: Float32Array;

  before(async () => {
    modelDir = await prepareTestModels(['dtln']);
    processor = await createProcessor('dtln', { modelDir });
    // 2 s of the GTCRN mixture: noisy 16 kHz speech.
    audio = (await readWav(await resolveTestAudio('gtcrn_mix_16k.wav'))).samples.subarray(0, 32000);
    expected = (await referenceDtln(modelDir, audio)).subarray(384);
  });
  after(async () => {
    await processor.close();
  });

  for (const chunks of [[160], [320], [112], [37], [1]]) {
    it(`process() in ${chunks[0]}-frame chunks equals the reference loop sample for sample`, () => {
      const stream = processor.createStream(16000, 1);
      assert.equal(stream.latencyFrames, 511);
      const out = runOffline(stream, audio, 1, chunks);
      const n = expected.length;
      let maxDiff = 0;
      for (let i = 0; i < n; i++) maxDiff = Math.max(maxDiff, Math.abs(out[i] - expected[i]));
      assert.equal(maxDiff, 0, `max abs diff ${maxDiff}`);
    });
  }

  it('process() at 48 kHz (resampling both ways and the high band) gives the same output, bit for bit, in 10 ms chunks as in 100 ms and uneven ones', async () => {
    // `quell process --fast` moves 100 ms chunks, real time 10 ms: the output must not depend on it.
    const speech = (await readWav(await resolveTestAudio('speech_noisy_snr0_48k.wav'))).samples.subarray(0, 3 * 48_000 + 321);
    const reference = runOffline(processor.createStream(48_000, 1), speech, 1, [480]);
    for (const chunks of [[4800], [4800, 37, 9600, 1]]) {
      const out = runOffline(processor.createStream(48_000, 1), speech, 1, chunks);
      const firstDiff = out.findIndex((x, i) => x !== reference[i]);
      assert.equal(firstDiff, -1, `chunks ${chunks.join(',')}: first difference at ${firstDiff}`);
    }
  });

  it('a stereo stream processes each channel like a mono stream', () => {
    const mono = runOffline(processor.createStream(16000, 1), audio.subarray(0, 8000), 1, [160]);
    const stereo = new Float32Array(16000);
    for (let i = 0; i < 8000; i++) {
      stereo[2 * i] = audio[i];
      stereo[2 * i + 1] = audio[i];
    }
    const out = runOffline(processor.createStream(16000, 2), stereo, 2, [160]);
    for (let i = 0; i < 8000; i++) {
      assert.equal(out[2 * i], mono[i]);
      assert.equal(out[2 * i + 1], mono[i]);
    }
  });
});
