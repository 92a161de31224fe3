import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tempDir } from '../helpers/pipeline.js';
import { growth, runSoak } from '../helpers/soak.js';

/** RSS may grow this much after warm-up in 3 minutes; a leak of one chunk (2 KiB) per chunk would be 35 MiB. */
const RSS_BOUND_BYTES = 24 * 1024 * 1024;
const HEAP_BOUND_BYTES = 8 * 1024 * 1024;

describe('3 minute real-time soak (DTLN)', { timeout: 400_000 }, () => {
  it('drops nothing, never underruns after prefill, keeps memory flat and latency steady', async () => {
    const report = await runSoak(await tempDir(), 'dtln', 180);
    assert.equal(report.drops, 0, `drops ${JSON.stringify(report.dropsByReason)}`);
    assert.equal(report.gaps, 0, 'gaps');
    assert.equal(report.underruns, 0, 'underruns after prefill');
    assert.ok(report.chunksPlayed >= 17_500, `${report.chunksPlayed} chunks played`);
    const lines: string[] = [];
    for (const stage of ['capture', 'inference', 'playback'] as const) {
      const samples = report.samples[stage];
      const rss = growth(samples, 'rssBytes');
      const heap = growth(samples, 'heapUsedBytes');
      const last = samples[samples.length - 1];
      const worstLoop = Math.max(...samples.map((s) => s.eventLoopP99S));
      lines.push(`${stage}: rss +${(rss / 1048576).toFixed(1)} MiB, heap +${(heap / 1048576).toFixed(1)} MiB, event-loop p99 max ${(worstLoop * 1000).toFixed(1)} ms, GC ${last.gcPauseCount} pauses / ${(last.gcPauseSumS * 1000).toFixed(0)} ms total`);
      assert.ok(rss < RSS_BOUND_BYTES, `${stage} RSS grew ${rss} bytes`);
      assert.ok(heap < HEAP_BOUND_BYTES, `${stage} heap grew ${heap} bytes`);
    }
    const lat = report.latencyByMinuteS;
    lines.push(`latency by minute: ${lat.map((s) => (s * 1000).toFixed(2)).join(', ')} ms`);
    process.stdout.write(lines.map((l) => `# ${l}\n`).join(''));
    assert.ok(Math.abs(lat[lat.length - 1] - lat[0]) < 0.002, 'latency does not creep');
  });
});
