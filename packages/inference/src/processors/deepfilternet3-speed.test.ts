// Measures DeepFilterNet3's cost per 10 ms hop on this machine and prints it;
// it asserts no timing (machines differ), only that the measurement ran.
// Printed fields, all in microseconds per hop, over HOPS hops after WARMUP_HOPS:
//   stream: DeepFilterNet3Stream.process() on one 480-frame chunk (DSP + 3 ORT runs);
//   ortFloor: the three session.run() calls alone, with the same preallocated tensors.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readWav } from '@quell/runtime';
import { parseDfn3Config } from '../models/deepfilternet3/config.js';
import { Dfn3Networks } from '../models/deepfilternet3/dfn3-networks.js';
import { readDfn3Files } from '../models/deepfilternet3/model-files.js';
import { resolveTestAudio } from '../models/test-audio.js';
import { DEFAULT_DFN3_MODEL_DIR, createDeepFilterNet3Processor, type DeepFilterNet3Processor } from './deepfilternet3-processor.js';

const WARMUP_HOPS = 20;
const HOPS = 300;

function summary(us: number[]): { meanUs: number; p50Us: number; p99Us: number; maxUs: number } {
  const sorted = [...us].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const mean = us.reduce((a, b) => a + b, 0) / us.length;
  return { meanUs: Math.round(mean), p50Us: Math.round(at(0.5)), p99Us: Math.round(at(0.99)), maxUs: Math.round(sorted[sorted.length - 1]) };
}

describe('deepfilternet3 speed (printed, not asserted)', () => {
  let processor: DeepFilterNet3Processor;
  let input: Float32Array;

  before(async () => {
    processor = await createDeepFilterNet3Processor({ modelDir: DEFAULT_DFN3_MODEL_DIR });
    input = (await readWav(await resolveTestAudio('speech_noisy_snr0_48k.wav'))).samples;
  });
  after(async () => {
    await processor.close();
  });

  it('measures microseconds per 10 ms hop for process() and for the bare ORT runs', async () => {
    const hop = processor.hopFrames;
    const stream = processor.createStream(48000, 1);
    const out = new Float32Array(hop);
    const streamUs: number[] = [];
    for (let h = 0; h < WARMUP_HOPS + HOPS; h++) {
      const t0 = performance.now();
      await stream.process(input.subarray(h * hop, (h + 1) * hop), out);
      if (h >= WARMUP_HOPS) streamUs.push((performance.now() - t0) * 1000);
    }
    stream.close();

    const files = await readDfn3Files(DEFAULT_DFN3_MODEL_DIR);
    const networks = await Dfn3Networks.load(files, parseDfn3Config(files.configText));
    const state = networks.createState();
    state.featErb.fill(0.1);
    state.featSpec.fill(0.1);
    const ortUs: number[] = [];
    for (let h = 0; h < WARMUP_HOPS + HOPS; h++) {
      const t0 = performance.now();
      await state.run();
      if (h >= WARMUP_HOPS) ortUs.push((performance.now() - t0) * 1000);
    }
    await networks.close();

    const result = { hopUs: 10000, stream: summary(streamUs), ortFloor: summary(ortUs) };
    console.log(`dfn3 speed ${JSON.stringify(result)}`);
    assert.ok(Number.isFinite(result.stream.meanUs) && Number.isFinite(result.ortFloor.meanUs));
  });
});
