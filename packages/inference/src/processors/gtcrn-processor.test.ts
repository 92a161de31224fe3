import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readWav } from '@quell/runtime';
import { resolveTestAudio } from '../testing/test-audio.js';
import type { Processor } from './processor.js';
import { createProcessor } from './processor-registry.js';
import { runOffline } from '../testing/run-offline.js';
import { prepareTestModels } from '../testing/test-models.js';
import { seededNoise } from '../dsp/seeded-noise.js';

/** Energy of (a - b) below the energy of b, in dB, over their common length. */
function differenceDb(a: Float32Array, b: Float32Array): number {
  const n = Math.min(a.length, b.length);
  let ref = 0;
  let diff = 0;
  for (let i = 0; i < n; i++) {
    ref += b[i] * b[i];
    diff += (a[i] - b[i]) ** 2;
  }
  return 10 * Math.log10(ref / diff);
}

describe('gtcrn processor', () => {
  let processor: Processor;
  let mix: Float32Array;

  before(async () => {
    const modelDir = await prepareTestModels(['gtcrn']);
    processor = await createProcessor('gtcrn', { modelDir });
    mix = (await readWav(await resolveTestAudio('gtcrn_mix_16k.wav'))).samples;
  });
  after(async () => {
    await processor.close();
  });

  it('process() at 16 kHz matches the upstream streaming output within 45 dB', async () => {
    const reference = (await readWav(await resolveTestAudio('gtcrn_enh_stream_16k.wav'))).samples;
    const stream = processor.createStream(16000, 1);
    assert.equal(stream.latencyFrames, 511);
    const out = runOffline(stream, mix, 1, [160]);
    // Lag 0 must be the best: the reported latency is the true one.
    let bestLag = 0;
    let bestDb = -Infinity;
    for (let lag = -3; lag <= 3; lag++) {
      const db = lag >= 0 ? differenceDb(out.subarray(lag), reference) : differenceDb(out, reference.subarray(-lag));
      if (db > bestDb) [bestDb, bestLag] = [db, lag];
    }
    console.log(`gtcrn conformance: ${bestDb.toFixed(2)} dB at lag ${bestLag}`);
    assert.equal(bestLag, 0);
    assert.ok(bestDb >= 45, `difference only ${bestDb.toFixed(2)} dB below the reference`);
  });

  it('process() output is identical for 10 ms, 20 ms, 7 ms, 37 and 1-frame chunks', () => {
    const input = mix.subarray(0, 16000);
    const base = runOffline(processor.createStream(16000, 1), input, 1, [160]);
    for (const chunks of [[320], [112], [37], [1], [1, 500, 3, 77]]) {
      const out = runOffline(processor.createStream(16000, 1), input, 1, chunks);
      assert.deepEqual(out, base, `chunks ${chunks.join(',')}`);
    }
  });

  it('createStream() throws TypeError for an unsupported rate', () => {
    assert.throws(() => processor.createStream(12345, 1), TypeError);
    assert.throws(() => processor.createStream(16000, 0), TypeError);
  });
});

describe('model behind the resampling wrapper', () => {
  let processor: Processor;
  before(async () => {
    processor = await createProcessor('gtcrn', { modelDir: await prepareTestModels(['gtcrn']) });
  });
  after(async () => {
    await processor.close();
  });

  for (const rateHz of [48000, 44100]) {
    it(`process() at ${rateHz} Hz is identical for 10 ms, 20 ms, 7 ms, 37 and 1-frame chunks`, () => {
      const input = seededNoise(rateHz, 12345, 0.025);
      for (let i = 0; i < input.length; i++) input[i] += 0.3 * Math.sin((2 * Math.PI * 440 * i) / rateHz);
      const stream = processor.createStream(rateHz, 1);
      assert.ok(Number.isInteger(stream.latencyFrames));
      const base = runOffline(stream, input, 1, [rateHz / 100]);
      let energy = 0;
      for (const v of base) energy += v * v;
      assert.ok(energy > 1, 'the model passed nothing through');
      for (const chunks of [[rateHz / 50], [Math.round((7 * rateHz) / 1000)], [37], [1]]) {
        const out = runOffline(processor.createStream(rateHz, 1), input, 1, chunks);
        assert.deepEqual(out, base, `chunks ${chunks.join(',')}`);
      }
    });
  }
});
