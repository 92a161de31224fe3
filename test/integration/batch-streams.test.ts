import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readWav, writeWav } from '@quell/runtime';
import { testAudio } from '../helpers/audio-fixtures.js';
import { metric, startPipeline, tempDir } from '../helpers/pipeline.js';
import { quell } from '../helpers/run.js';

// Issue 19: one DTLN node runs several live streams' hops through one batched ONNX Runtime call (--batch-streams).

const RATE = 48_000;
const STREAMS = 4;
const SECONDS = 3;

describe('--batch-streams: DTLN batched across live streams', { timeout: 180_000 }, () => {
  it(`${STREAMS} streams at real time through one batched DTLN node: nothing lost, each output within 1e-4 of its own unbatched quell process output, hops ran in batches of more than one stream`, async () => {
    const dir = await tempDir();
    const speech = (await testAudio('speech_noisy_snr0_48k.wav')).samples;
    const inputs: string[] = [];
    for (let s = 0; s < STREAMS; s++) {
      // Each stream its own stretch of speech, and its own length, so no two streams are alike.
      const path = join(dir, `in-${s + 1}.wav`);
      await writeWav(path, speech.slice(s * RATE, s * RATE + SECONDS * RATE + 97 * s), RATE, 1, 'float32');
      inputs.push(path);
    }
    const p = await startPipeline({
      capture: ['--source', inputs.map((path) => `file:${path}`).join(',')],
      inference: ['--model', 'dtln', '--batch-streams'],
      playback: ['--output', join(dir, 'out-{stream}.wav')],
    });
    try {
      const ends = await Promise.all(Array.from({ length: STREAMS }, (_, s) => p.streamEnded(s + 1)));
      const [cap, inf, pb] = await Promise.all([p.scrape('capture'), p.scrape('inference'), p.scrape('playback')]);
      const calls = metric(inf, 'quell_inference_batch_calls_total');
      const hops = metric(inf, 'quell_inference_batched_hops_total');
      console.log(`# ${STREAMS} streams: ${hops} hops in ${calls} batch calls (mean batch ${(hops / calls).toFixed(2)}); gaps ${ends.map((e) => e.gaps).join(',')}`);
      for (const end of ends) assert.equal(end.gaps, 0);
      assert.equal(metric(cap, 'quell_capture_drops_total') + metric(inf, 'quell_inference_drops_total') + metric(pb, 'quell_playback_drops_total'), 0, 'nothing dropped');
      assert.ok(calls > 0 && hops / calls > 1.5, `hops ran in batches (mean ${hops / calls})`);

      const ref = await quell(['process', ...inputs, '--out-dir', join(dir, 'ref'), '--model', 'dtln', '--fast', '--jobs', '1'], { timeoutMs: 120_000 });
      assert.equal(ref.code, 0, ref.stderr);
      for (let s = 0; s < STREAMS; s++) {
        const out = (await readWav(join(dir, `out-${s + 1}.wav`))).samples;
        const expected = (await readWav(join(dir, 'ref', `in-${s + 1}.wav`))).samples;
        assert.equal(out.length, expected.length, `stream ${s + 1}: as long as its input (the longer latency flushed and trimmed)`);
        let diff = 0;
        let energy = 0;
        for (let i = 0; i < out.length; i++) {
          diff = Math.max(diff, Math.abs(out[i] - expected[i]));
          energy += out[i] * out[i];
        }
        assert.ok(energy > 0, `stream ${s + 1} is not silence`);
        assert.ok(diff < 1e-4, `stream ${s + 1} differs from its unbatched output by up to ${diff}`);
      }
    } finally {
      await p.stop();
    }
  });
});
