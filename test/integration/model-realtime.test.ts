import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readWav } from '@quell/runtime';
import { metric, startPipeline, tempDir } from '../helpers/pipeline.js';
import { testAudio, writeMono } from '../helpers/audio-fixtures.js';

const SECONDS = 60;

/**
 * Each model inside the three-process pipeline, paced in real time at a
 * 48 kHz device rate for 60 s of speech (the shared recording looped):
 * nothing may be dropped, concealed or late anywhere.
 */
describe('models in real time', { timeout: 600_000 }, () => {
  for (const model of ['dtln', 'gtcrn', 'deepfilternet3']) {
    it(`${model} runs 60 s at 48 kHz inside the pipeline with zero drops`, async () => {
      const dir = await tempDir();
      const speech = (await testAudio('speech_noisy_snr0_48k.wav')).samples;
      const long = new Float32Array(48_000 * SECONDS);
      for (let i = 0; i < long.length; i++) long[i] = speech[i % speech.length];
      const input = await writeMono(dir, 'in.wav', long, 48_000);
      const pipeline = await startPipeline({
        capture: ['--source', 'file', '--files', input],
        inference: ['--model', model],
        playback: ['--output', join(dir, 'out-{stream}.wav')],
      });
      try {
        let lsnrSeen = false;
        const ended = pipeline.streamEnded(1);
        let done = false;
        void ended.then(() => (done = true));
        while (!done && model === 'deepfilternet3') {
          await new Promise((r) => setTimeout(r, 2000));
          const sample = (await pipeline.scrape('inference')).find((s) => s.name === 'quell_inference_lsnr_db' && s.labels.stream === '1');
          if (sample && Number.isFinite(sample.value) && sample.value > -30 && sample.value < 60) lsnrSeen = true;
        }
        const end = await ended;
        const [cap, inf, pb] = await Promise.all([pipeline.scrape('capture'), pipeline.scrape('inference'), pipeline.scrape('playback')]);
        const sent = metric(cap, 'quell_capture_chunks_sent_total');
        assert.equal(metric(cap, 'quell_capture_drops_total'), 0, 'capture drops');
        assert.equal(metric(inf, 'quell_inference_drops_total'), 0, 'inference drops');
        assert.equal(metric(inf, 'quell_inference_chunks_received_total'), sent);
        assert.equal(metric(pb, 'quell_playback_drops_total'), 0, 'playback drops (late, overflow...)');
        assert.equal(metric(pb, 'quell_playback_gaps_total'), 0, 'gaps');
        // The file sink drops the model's latency from the front, so the file is exactly as long as the input.
        assert.equal((await readWav(join(dir, 'out-1.wav'))).frameCount, long.length);
        if (model === 'deepfilternet3') {
          // The model's local SNR estimate is exported per stream while the stream lives (checked on the last scrape before the end).
          assert.ok(lsnrSeen, 'quell_inference_lsnr_db was exported for the stream');
        }
        const processing = metric(inf, 'quell_inference_chunk_processing_seconds_sum') / metric(inf, 'quell_inference_chunk_processing_seconds_count');
        process.stdout.write(`# ${model}: ${sent} chunks, mean processing ${(processing * 1e6).toFixed(0)} us per 10 ms chunk, latency p50 ${((end.latencyP50S as number) * 1000).toFixed(1)} ms p99 ${((end.latencyP99S as number) * 1000).toFixed(1)} ms\n`);
      } finally {
        await pipeline.stop();
      }
    });
  }
});
