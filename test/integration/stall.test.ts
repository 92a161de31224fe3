/**
 * Stalls: SIGSTOP a stage for 2 s during a real-time run, then SIGCONT. The
 * stall shows in metrics (input idle gauge while it lasts, a counted input
 * stall, underruns), queues stay bounded (memory flat), and on resumption
 * the backlog is dropped as stale by policy instead of being played late:
 * end-to-end latency is back to normal within about a second.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import type { MetricSample } from '@quell/runtime';
import { LatencyWindows } from '../helpers/faults.js';
import { metric, startPipeline } from '../helpers/pipeline.js';

const STALL_MS = 2000;
/** After this long past SIGCONT, every chunk played must have normal latency. */
const SETTLE_MS = 1000;

const rss = (m: MetricSample[]): number => metric(m, 'process_resident_memory_bytes');

describe('stall: SIGSTOP a stage for 2 s', { timeout: 120_000 }, () => {
  for (const stage of ['inference', 'playback'] as const) {
    it(`${stage} stopped for 2 s: the stall is detected, memory stays flat, the backlog is dropped as stale and latency is normal within 1 s`, async () => {
      const pipeline = await startPipeline({
        capture: ['--source', 'synth'],
        inference: ['--model', 'gain'],
        playback: ['--sink', 'null', '--clock', 'realtime', '--prefill-chunks', '3'],
      });
      try {
        const windows = new LatencyWindows(0.1);
        const lateWindows = new LatencyWindows(0.5);
        await sleep(2000);
        let pb = await pipeline.scrape('playback');
        windows.next(pb);
        lateWindows.next(pb);
        await sleep(1000);
        pb = await pipeline.scrape('playback');
        const baseline = windows.next(pb);
        lateWindows.next(pb);
        const [infBefore, pbBefore] = [await pipeline.scrape('inference'), pb];
        assert.ok(baseline.count > 50 && baseline.over === 0, `baseline ${JSON.stringify(baseline)}`);

        const pid = pipeline[stage].child.pid!;
        process.kill(pid, 'SIGSTOP');
        let maxIdleS = 0;
        try {
          for (const end = performance.now() + STALL_MS; performance.now() < end; ) {
            await sleep(200);
            // Playback shows an upstream stall while it lasts; a stopped playback cannot answer, so it shows it afterwards.
            if (stage === 'inference') maxIdleS = Math.max(maxIdleS, metric(await pipeline.scrape('playback'), 'quell_playback_input_idle_seconds'));
          }
        } finally {
          process.kill(pid, 'SIGCONT');
        }
        const resumedAt = performance.now();
        const settled = { count: 0, over: 0, meanSum: 0 };
        let lateAfterResume = 0;
        while (performance.now() - resumedAt < 3000) {
          await sleep(250);
          const m = await pipeline.scrape('playback');
          const w = windows.next(m);
          lateAfterResume += lateWindows.next(m).over;
          if (performance.now() - 250 - resumedAt >= SETTLE_MS) {
            settled.count += w.count;
            settled.over += w.over;
            settled.meanSum += w.meanS * w.count;
          }
        }
        const [inf, pbAfter] = [await pipeline.scrape('inference'), await pipeline.scrape('playback')];
        const delta = (after: MetricSample[], before: MetricSample[], name: string, labels?: Record<string, string>): number => metric(after, name, labels) - metric(before, name, labels);
        const staleInference = delta(inf, infBefore, 'quell_inference_drops_total', { reason: 'stale' });
        const stalePlayback = delta(pbAfter, pbBefore, 'quell_playback_drops_total', { reason: 'stale' });
        const underruns = delta(pbAfter, pbBefore, 'quell_playback_underruns_total');
        const stalls = delta(pbAfter, pbBefore, 'quell_playback_input_stalls_total');
        const settledMeanS = settled.meanSum / Math.max(1, settled.count);
        process.stdout.write(
          `# ${stage} stall: idle gauge max ${maxIdleS.toFixed(2)} s, input stalls ${stalls}, underruns ${underruns}, stale drops inference ${staleInference} playback ${stalePlayback}, ` +
            `latency baseline ${(baseline.meanS * 1000).toFixed(1)} ms, after ${SETTLE_MS} ms ${(settledMeanS * 1000).toFixed(1)} ms (${settled.over}/${settled.count} over 100 ms), ` +
            `chunks over 500 ms after resume ${lateAfterResume}, RSS inference ${((rss(inf) - rss(infBefore)) / 2 ** 20).toFixed(1)} MiB playback ${((rss(pbAfter) - rss(pbBefore)) / 2 ** 20).toFixed(1)} MiB\n`,
        );
        if (stage === 'inference') assert.ok(maxIdleS >= 1.5, `playback idle gauge reached only ${maxIdleS} s`);
        assert.ok(stalls >= 1, 'playback counted the input stall');
        assert.ok(underruns >= 1, 'playback counted the underrun');
        assert.ok(stage === 'inference' ? staleInference > 0 : stalePlayback > 0, 'the backlog was dropped as stale');
        assert.equal(lateAfterResume, 0, 'no chunk was played more than 500 ms after capture');
        assert.ok(settled.count > 100, `${settled.count} chunks played after settling`);
        assert.ok(settled.over <= settled.count / 100, `${settled.over} of ${settled.count} chunks over 100 ms after settling`);
        assert.ok(settledMeanS < baseline.meanS + 0.02, `latency after settling ${settledMeanS} s vs baseline ${baseline.meanS} s`);
        for (const [name, after, before] of [['inference', inf, infBefore], ['playback', pbAfter, pbBefore]] as const) {
          assert.ok(rss(after) - rss(before) < 16 * 2 ** 20, `${name} RSS grew ${rss(after) - rss(before)} bytes`);
        }
      } finally {
        await pipeline.stop();
      }
    });
  }
});
