import assert from 'node:assert/strict';
import { describe, it, before, after } from 'node:test';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readWav } from '@quell/runtime';
import { batchDtlnGraph } from '../models/dtln-batch-graph.js';
import { createSession } from '../onnx/session-factory.js';
import { DtlnBatch } from './dtln-batch.js';
import { HopStream } from './hop-stream.js';
import { resolveTestAudio } from '../testing/test-audio.js';
import { runOffline } from '../testing/run-offline.js';
import { prepareTestModels } from '../testing/test-models.js';
import type { Processor, StreamProcessor } from './processor.js';
import { createProcessor } from './processor-registry.js';

/**
 * Drives `streams` the way a node does, one chunk of one stream at a time in
 * turns (stream s takes chunks of `chunkFrames[s]`), and returns each
 * stream's output with its latency removed, like `runOffline`.
 */
function runInterleaved(streams: StreamProcessor[], inputs: Float32Array[], chunkFrames: number[]): Float32Array[] {
  const padded = inputs.map((input, s) => {
    const p = new Float32Array(input.length + streams[s].latencyFrames);
    p.set(input);
    return p;
  });
  const outs = padded.map((p) => new Float32Array(p.length));
  const pos = streams.map(() => 0);
  for (let active = streams.length; active > 0; ) {
    active = 0;
    for (let s = 0; s < streams.length; s++) {
      if (pos[s] >= padded[s].length) continue;
      active++;
      const len = Math.min(chunkFrames[s], padded[s].length - pos[s]);
      streams[s].process(padded[s].subarray(pos[s], pos[s] + len), outs[s].subarray(pos[s], pos[s] + len));
      pos[s] += len;
    }
  }
  return outs.map((out, s) => out.subarray(streams[s].latencyFrames));
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

describe('dtln with --batch-streams (DtlnBatch)', () => {
  let single: Processor;
  let batched: Processor;
  let speech: Float32Array;
  let modelDir: string;

  before(async () => {
    modelDir = await prepareTestModels(['dtln']);
    single = await createProcessor('dtln', { modelDir });
    batched = await createProcessor('dtln', { modelDir, batchStreams: true });
    // 2 s of noisy 16 kHz speech.
    speech = (await readWav(await resolveTestAudio('gtcrn_mix_16k.wav'))).samples.subarray(0, 32000);
  });
  after(async () => {
    await single.close();
    await batched.close();
  });

  it('one stream alone: the same output as unbatched DTLN, one hop (128 frames) later, bit for bit in any chunking', () => {
    const reference = runOffline(single.createStream(16000, 1), speech, 1, [160]);
    for (const chunks of [[160], [1600], [37, 512, 1]]) {
      const stream = batched.createStream(16000, 1);
      assert.equal(stream.latencyFrames, 511 + 128);
      const out = runOffline(stream, speech, 1, chunks);
      // Closed, so that its last hop, still waiting, does not join the next stream's batch (a batch of 2 rounds differently, ~2e-7).
      stream.close();
      assert.equal(maxAbsDiff(out, reference), 0, `chunks ${chunks.join(',')}`);
    }
  });

  it('12 streams in turns, each with its own audio and chunk size (some past the batch\'s hops at once): each stream\'s output is its own unbatched output (|diff| < 1e-5)', () => {
    const n = 12;
    const inputs = Array.from({ length: n }, (_, s) => speech.subarray(s * 1000, s * 1000 + 16000));
    const chunkFrames = Array.from({ length: n }, (_, s) => [160, 320, 37, 1600][s % 4]);
    const streams = Array.from({ length: n }, () => batched.createStream(16000, 1));
    const outs = runInterleaved(streams, inputs, chunkFrames);
    for (const stream of streams) stream.close();
    for (let s = 0; s < n; s++) {
      const reference = runOffline(single.createStream(16000, 1), inputs[s], 1, [160]);
      const diff = maxAbsDiff(outs[s], reference);
      assert.ok(diff < 1e-5, `stream ${s}: max |diff| ${diff}`);
    }
  });

  it('a stream closed while its hop waits in the batch leaves the others untouched; 48 kHz streams resample around the batch', () => {
    const speech48 = new Float32Array(48000);
    for (let i = 0; i < speech48.length; i++) speech48[i] = speech[Math.floor(i / 3)];
    const a = batched.createStream(48000, 1);
    const doomed = batched.createStream(48000, 1);
    const b = batched.createStream(48000, 1);
    // The doomed stream queues a hop, then closes before anyone runs the batch.
    doomed.process(speech48.subarray(0, 480), new Float32Array(480));
    doomed.close();
    const outs = runInterleaved([a, b], [speech48, speech48.subarray(4800)], [480, 480]);
    a.close();
    b.close();
    assert.ok(maxAbsDiff(outs[0], runOffline(single.createStream(48000, 1), speech48, 1, [480])) < 1e-5);
    assert.ok(maxAbsDiff(outs[1], runOffline(single.createStream(48000, 1), speech48.subarray(4800), 1, [480])) < 1e-5);
  });

  it('a batch that fills up (4 places, 10 streams) runs and goes on: every stream still gets its own output', async () => {
    const [stage1, stage2] = await Promise.all(['model_1.onnx', 'model_2.onnx'].map(async (file) => createSession(batchDtlnGraph(await readFile(join(modelDir, 'dtln', file))))));
    const batch = new DtlnBatch(stage1, stage2, 4);
    const n = 10;
    const inputs = Array.from({ length: n }, (_, s) => speech.subarray(s * 500, s * 500 + 8000));
    const outs = runInterleaved(Array.from({ length: n }, () => new HopStream(batch.createState())), inputs, Array<number>(n).fill(160));
    for (let s = 0; s < n; s++) {
      const diff = maxAbsDiff(outs[s], runOffline(single.createStream(16000, 1), inputs[s], 1, [160]));
      assert.ok(diff < 1e-5, `stream ${s}: max |diff| ${diff}`);
    }
    assert.ok(batch.waiting <= 4);
    stage1.release();
    stage2.release();
  });
});
