// A scrape flood against a live pipeline: eight clients asking playback for
// /metrics as fast as it answers. At 6ab8ae7 that took playback's only thread
// (which also runs the audio clock) to 100% CPU. Renders are now shared, at
// most one per 25 ms, and a scrape waits for the next render: each client is
// paced to 40 answers a second, and the clocked stream beside it must not
// underrun. (Answering cached text at once still took 2,822 answers/s and a
// third of a core, and underran the stream twice in a fresh-clone run.)
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { metric, startPipeline } from '../helpers/pipeline.js';

const FLOOD_CLIENTS = 8;
const FLOOD_S = 4;

describe('metrics endpoint under a scrape flood', { timeout: 90_000 }, () => {
  it(`${FLOOD_CLIENTS} clients scraping playback for ${FLOOD_S} s: 0 underruns and 0 gaps in the clocked stream, playback CPU well below a core`, async () => {
    const pipeline = await startPipeline({
      capture: ['--source', 'synth', '--synth-duration-s', '0'],
      inference: ['--model', 'passthrough'],
      playback: ['--sink', 'null', '--clock', 'realtime'],
    });
    try {
      const url = `http://127.0.0.1:${pipeline.info.playback.metricsPort}/metrics`;
      for (let i = 0; i < 100 && metric(await pipeline.scrape('playback'), 'quell_playback_chunks_played_total') < 100; i++) await sleep(50);
      const before = await pipeline.scrape('playback');
      const started = performance.now();
      let scrapes = 0;
      await Promise.all(
        Array.from({ length: FLOOD_CLIENTS }, async () => {
          while (performance.now() - started < FLOOD_S * 1000) {
            await (await fetch(url)).text();
            scrapes++;
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const after = await pipeline.scrape('playback');
      const cpuCores = (metric(after, 'process_cpu_seconds_total') - metric(before, 'process_cpu_seconds_total')) / seconds;
      const report = JSON.stringify({ scrapes, perSecond: Math.round(scrapes / seconds), cpuCores: Number(cpuCores.toFixed(2)) });
      assert.ok(scrapes > 100, `the flood got few answers: ${report}`);
      assert.equal(metric(after, 'quell_playback_underruns_total') - metric(before, 'quell_playback_underruns_total'), 0, `underruns: ${report}`);
      assert.equal(metric(after, 'quell_playback_gaps_total') - metric(before, 'quell_playback_gaps_total'), 0, `gaps: ${report}`);
      assert.ok(cpuCores < 0.6, `playback used ${cpuCores.toFixed(2)} cores during the flood: ${report}`);
      console.log(`scrape flood: ${report}`);
    } finally {
      await pipeline.stop();
    }
  });
});
