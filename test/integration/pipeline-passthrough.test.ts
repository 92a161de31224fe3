import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readWav } from '@quell/runtime';
import { metric, startPipeline, tempDir } from '../helpers/pipeline.js';
import { maxStep, writeTestSignal } from '../helpers/signals.js';

const RATE = 48_000;
const SECONDS = 30;
const CHUNK = 480;

/** Chunks capture sends for `frames`: full chunks, then the partial (or empty) end-of-stream chunk. */
function expectedChunks(frames: number): number {
  return Math.floor(frames / CHUNK) + 1;
}

describe('three stages over TCP loopback, real time', { timeout: 120_000 }, () => {
  it('30 s of 48 kHz through passthrough comes out sample-identical with exact frame counts in /metrics', async () => {
    const dir = await tempDir();
    const input = await writeTestSignal(join(dir, 'in.wav'), RATE, SECONDS);
    const pipeline = await startPipeline({
      capture: ['--source', 'file', '--files', join(dir, 'in.wav'), '--chunk-frames', String(CHUNK)],
      inference: ['--model', 'passthrough'],
      playback: ['--output', join(dir, 'out-{stream}.wav')],
    });
    try {
      const end = await pipeline.streamEnded(1);
      const chunks = expectedChunks(input.length);
      const [cap, inf, pb] = await Promise.all([pipeline.scrape('capture'), pipeline.scrape('inference'), pipeline.scrape('playback')]);
      assert.equal(metric(cap, 'quell_capture_chunks_sent_total'), chunks);
      assert.equal(metric(cap, 'quell_capture_audio_frames_sent_total'), input.length);
      assert.equal(metric(cap, 'quell_capture_drops_total'), 0);
      assert.equal(metric(inf, 'quell_inference_chunks_received_total'), chunks);
      assert.equal(metric(inf, 'quell_inference_chunks_sent_total'), chunks);
      assert.equal(metric(inf, 'quell_inference_audio_frames_processed_total'), input.length);
      assert.equal(metric(pb, 'quell_playback_chunks_received_total'), chunks);
      assert.equal(metric(pb, 'quell_playback_chunks_played_total'), chunks);
      assert.equal(metric(pb, 'quell_playback_audio_frames_played_total'), input.length);
      assert.equal(metric(pb, 'quell_playback_gaps_total'), 0);
      assert.equal(metric(pb, 'quell_playback_drops_total'), 0);
      assert.equal(end.gaps, 0);
      const output = await readWav(join(dir, 'out-1.wav'));
      assert.equal(output.sampleRateHz, RATE);
      assert.equal(output.frameCount, input.length);
      assert.ok(output.samples.every((x, i) => x === input[i]), 'output differs from input');
    } finally {
      await pipeline.stop();
    }
  });

  it('gain with 5% injected loss: every gap fades out and back, the loss shows in the metrics', async () => {
    const dir = await tempDir();
    const input = await writeTestSignal(join(dir, 'in.wav'), RATE, SECONDS);
    const gain = 0.5;
    const pipeline = await startPipeline({
      capture: ['--source', 'file', '--files', join(dir, 'in.wav'), '--chunk-frames', String(CHUNK)],
      inference: ['--model', 'gain', '--gain', String(gain), '--test-drop-rate', '0.05'],
      playback: ['--output', join(dir, 'out-{stream}.wav')],
    });
    try {
      await pipeline.streamEnded(1);
      const [inf, pb] = await Promise.all([pipeline.scrape('inference'), pipeline.scrape('playback')]);
      const injected = metric(inf, 'quell_inference_drops_total', { reason: 'injected' });
      const chunks = expectedChunks(input.length);
      assert.ok(injected > chunks * 0.03 && injected < chunks * 0.07, `injected ${injected} of ${chunks}`);
      assert.equal(metric(pb, 'quell_playback_gaps_total'), injected);
      const output = (await readWav(join(dir, 'out-1.wav'))).samples;
      assert.equal(output.length, input.length);
      // Chunks that differ from input * gain are the concealed ones (and the fade-ins after them).
      const gapChunks: number[] = [];
      for (let k = 0; k * CHUNK < input.length; k++) {
        let differs = false;
        for (let i = k * CHUNK; i < Math.min((k + 1) * CHUNK, input.length); i++) if (output[i] !== Math.fround(input[i] * gain)) differs = true;
        if (differs) gapChunks.push(k);
      }
      assert.ok(gapChunks.length >= injected, `${gapChunks.length} altered chunks for ${injected} losses`);
      // The reference is the undamaged signal over ±100 ms around the gap: the
      // concealed stretch may not be rougher than the audio it stands in for.
      const expected = input.map((x) => Math.fround(x * gain));
      let worstRatio = 0;
      for (const k of gapChunks) {
        const from = k * CHUNK;
        const to = Math.min((k + 1) * CHUNK + 1, output.length);
        const around = maxStep(expected, Math.max(1, from - 4800), Math.min(output.length, to + 4800));
        const atGap = maxStep(output, from, to);
        worstRatio = Math.max(worstRatio, atGap / around);
        assert.ok(atGap <= around, `chunk ${k}: step ${atGap} at the gap vs ${around} around it`);
        assert.ok(output.subarray(from, to).every(Number.isFinite));
      }
      process.stdout.write(`# worst gap step / surrounding step: ${worstRatio.toFixed(3)} over ${gapChunks.length} altered chunks\n`);
    } finally {
      await pipeline.stop();
    }
  });
});
