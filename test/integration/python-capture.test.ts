import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { StageProcess } from '@quell/cli';
import { readWav, scrapeMetrics, writeWav } from '@quell/runtime';
import { testAudio } from '../helpers/audio-fixtures.js';
import { metric, tempDir } from '../helpers/pipeline.js';
import { startPlaybackAlone } from '../helpers/playback-alone.js';
import { freePort } from '../helpers/ports.js';
import { pythonExample, runPython, waitFor } from '../helpers/python-kit.js';
import { quell } from '../helpers/run.js';

// The kit's capture sender (clients/python) feeding Quell's own DTLN node (direct mode) and playback.

const RATE = 16_000;
const CHUNK = 160;

describe('Python capture sender (clients/python) feeding DTLN', { timeout: 120_000 }, () => {
  it('4 s of speech at real time: every chunk reaches inference and playback, 0 rejected, 0 dropped, 0 gaps; the output matches quell process', async () => {
    const dir = await tempDir();
    const speech = (await testAudio('gtcrn_enh_stream_16k.wav')).samples.slice(0, 4 * RATE + 77);
    const inputPath = join(dir, 'speech.wav');
    await writeWav(inputPath, speech, RATE, 1, 'float32');
    const playback = await startPlaybackAlone([]);
    const port = await freePort();
    const inference = new StageProcess('inference', [
      '--control', '', '--input-endpoint', `tcp://127.0.0.1:${port}`, '--output-endpoint', playback.endpoint,
      '--model', 'dtln', '--metrics-port', '0', '--log-level', 'warn',
    ]);
    try {
      const inf = await inference.ready;
      const sent = await runPython([pythonExample('send_wav.py'), inputPath, '--bind', `tcp://127.0.0.1:${port}`, '--chunk-frames', String(CHUNK)], 60_000);
      assert.equal(sent.code, 0, sent.stderr);
      const ledger = JSON.parse(sent.stdout.trim()) as { stream: number; chunksSent: number; drops: number; frames: number };
      const chunks = Math.floor(speech.length / CHUNK) + 1;
      assert.deepEqual(ledger, { stream: 1, chunksSent: chunks, drops: 0, frames: speech.length });
      assert.ok(await waitFor(async () => playback.ends.has(1), 10_000), 'the stream ended at playback');
      const end = playback.ends.get(1)!;
      const [im, pm] = await Promise.all([scrapeMetrics(`http://127.0.0.1:${inf.metricsPort}/metrics`), scrapeMetrics(playback.metricsUrl)]);
      console.log(`# python capture → dtln → playback: ${ledger.chunksSent} chunks sent, ${metric(im, 'quell_inference_chunks_received_total')} received by inference, ${end.chunksPlayed} played, ${end.gaps} gaps`);
      assert.equal(metric(im, 'quell_inference_rejected_messages_total'), 0, 'inference rejected nothing');
      assert.equal(metric(im, 'quell_inference_chunks_received_total'), chunks);
      assert.equal(metric(im, 'quell_inference_drops_total'), 0);
      assert.equal(metric(pm, 'quell_playback_rejected_messages_total'), 0, 'playback rejected nothing');
      assert.equal(metric(pm, 'quell_playback_drops_total'), 0);
      assert.equal(end.gaps, 0);
      const out = (await readWav(join(playback.dir, 'out-1.wav'))).samples;
      assert.equal(out.length, speech.length, 'as long as the input (the model latency flushed and trimmed)');

      // The same file through Quell's own capture: the same DTLN output.
      const ref = await quell(['process', inputPath, join(dir, 'ref.wav'), '--model', 'dtln', '--fast'], { timeoutMs: 60_000 });
      assert.equal(ref.code, 0, ref.stderr);
      const expected = (await readWav(join(dir, 'ref.wav'))).samples;
      let off = 0;
      let energy = 0;
      for (let i = 0; i < expected.length; i++) {
        off = Math.max(off, Math.abs(out[i] - expected[i]));
        energy += out[i] * out[i];
      }
      console.log(`# output against quell process: max difference ${off}, rms ${Math.sqrt(energy / out.length).toFixed(4)}`);
      assert.ok(energy > 0, 'not silence');
      assert.ok(off < 1e-4, `differs from quell process by up to ${off}`);
    } finally {
      await Promise.all([inference.stop(), playback.process.stop()]);
    }
  });
});
