/**
 * Overload: inference cannot keep up (a model made heavier by the test hook
 * --test-model-load-ms, then starved of CPU by SIGSTOP/SIGCONT pulses at 60%
 * duty). With --overload-policy passthrough the stage degrades instead of
 * crackling: it sends the delayed unprocessed signal while behind, shows it
 * in metrics (quell_inference_degraded, degraded chunks, transitions; the
 * one log line per transition is checked in overload-guard.test.ts), keeps
 * latency and memory bounded, and goes
 * back to the model by itself when the load goes away. Playback holds 100 ms
 * (prefill 10) so the 60 ms pulses alone do not make chunks late. The same run with
 * --overload-policy none is printed for comparison.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import type { MetricSample } from '@quell/runtime';
import { LatencyWindows } from '../helpers/faults.js';
import { metric, startPipeline } from '../helpers/pipeline.js';

const PULSE_MS = 100;
const DUTY = 0.6;
const OVERLOAD_MS = 5000;

interface OverloadRun {
  sawDegraded: boolean;
  transitions: number;
  degradedChunks: number;
  recoveredAfterMs: number;
  gaps: number;
  staleDrops: number;
  queueFullDrops: number;
  chunksOver300Ms: number;
  chunksDuringLoad: number;
  rssGrowthBytes: number;
}

/** Stops and continues `pid` in pulses (`DUTY` of each `PULSE_MS` stopped) until the time `until` (performance.now() ms). */
async function pulse(pid: number, until: number): Promise<void> {
  while (performance.now() < until) {
    process.kill(pid, 'SIGSTOP');
    await sleep(PULSE_MS * DUTY);
    process.kill(pid, 'SIGCONT');
    await sleep(PULSE_MS * (1 - DUTY));
  }
}

async function overloadRun(policy: 'none' | 'passthrough'): Promise<OverloadRun> {
  const pipeline = await startPipeline({
    capture: ['--source', 'synth', '--synth-waveform', 'noise'],
    inference: ['--model', 'dtln', '--test-model-load-ms', '6', '--overload-policy', policy],
    playback: ['--sink', 'null', '--clock', 'realtime', '--prefill-chunks', '10'],
  });
  const inference = pipeline.inference.child;
  try {
    const infScrape = (): Promise<MetricSample[]> => pipeline.scrape('inference');
    const pbScrape = (): Promise<MetricSample[]> => pipeline.scrape('playback');
    await sleep(3000);
    const windows = new LatencyWindows(0.3);
    const [infBefore, pbBefore] = [await infScrape(), await pbScrape()];
    windows.next(pbBefore);
    assert.equal(metric(infBefore, 'quell_inference_degraded'), 0, 'not degraded before the load');

    const loadEnds = performance.now() + OVERLOAD_MS;
    const pulses = pulse(inference.pid!, loadEnds);
    let sawDegraded = false;
    while (performance.now() < loadEnds) {
      await sleep(500);
      if (metric(await infScrape(), 'quell_inference_degraded') === 1) sawDegraded = true;
    }
    await pulses;
    const duringLoad = windows.next(await pbScrape());
    // The load is gone: the model must come back by itself (recovery hold 1 s, doubled per relapse).
    const loadGoneAt = performance.now();
    let recoveredAfterMs = -1;
    while (performance.now() - loadGoneAt < 12_000) {
      await sleep(100);
      if (metric(await infScrape(), 'quell_inference_degraded') === 0) {
        recoveredAfterMs = performance.now() - loadGoneAt;
        break;
      }
    }
    await sleep(1500);
    const [inf, pb] = [await infScrape(), await pbScrape()];
    const delta = (after: MetricSample[], before: MetricSample[], name: string, labels?: Record<string, string>): number => metric(after, name, labels) - metric(before, name, labels);
    return {
      sawDegraded,
      transitions: metric(inf, 'quell_inference_overload_transitions_total'),
      degradedChunks: metric(inf, 'quell_inference_degraded_chunks_total'),
      recoveredAfterMs,
      gaps: delta(pb, pbBefore, 'quell_playback_gaps_total'),
      staleDrops: delta(inf, infBefore, 'quell_inference_drops_total', { reason: 'stale' }) + delta(pb, pbBefore, 'quell_playback_drops_total', { reason: 'stale' }),
      queueFullDrops: delta(inf, infBefore, 'quell_inference_drops_total', { reason: 'queue-full' }),
      chunksOver300Ms: duringLoad.over,
      chunksDuringLoad: duringLoad.count,
      rssGrowthBytes: metric(inf, 'process_resident_memory_bytes') - metric(infBefore, 'process_resident_memory_bytes'),
    };
  } finally {
    inference.kill('SIGCONT');
    await pipeline.stop();
  }
}

function print(policy: string, r: OverloadRun): void {
  process.stdout.write(
    `# policy ${policy}: degraded seen ${r.sawDegraded}, transitions ${r.transitions}, degraded chunks ${r.degradedChunks}, back to the model ${r.recoveredAfterMs.toFixed(0)} ms after the load went, ` +
      `gaps ${r.gaps}, stale drops ${r.staleDrops}, queue-full ${r.queueFullDrops}, ` +
      `chunks over 300 ms ${r.chunksOver300Ms}/${r.chunksDuringLoad}, inference RSS +${(r.rssGrowthBytes / 2 ** 20).toFixed(1)} MiB\n`,
  );
}

describe('overload: inference starved of CPU (SIGSTOP pulses at 60% duty, DTLN + 6 ms per chunk)', { timeout: 120_000 }, () => {
  it('--overload-policy passthrough degrades (visible in metrics), keeps latency and memory bounded, and recovers by itself', async () => {
    const r = await overloadRun('passthrough');
    print('passthrough', r);
    assert.ok(r.sawDegraded, 'quell_inference_degraded was 1 under load');
    assert.ok(r.transitions >= 1 && r.transitions <= 4, `${r.transitions} transitions`);
    assert.ok(r.degradedChunks > 100, `${r.degradedChunks} degraded chunks`);
    assert.ok(r.recoveredAfterMs >= 0 && r.recoveredAfterMs < 10_000, `recovered after ${r.recoveredAfterMs} ms`);
    assert.ok(r.chunksDuringLoad > 200, `${r.chunksDuringLoad} chunks played under load`);
    assert.ok(r.chunksOver300Ms <= r.chunksDuringLoad / 20, `${r.chunksOver300Ms} of ${r.chunksDuringLoad} chunks over 300 ms`);
    assert.ok(r.rssGrowthBytes < 16 * 2 ** 20, `inference RSS grew ${r.rssGrowthBytes} bytes`);
  });

  it('--overload-policy none never degrades (for comparison: the stale policy is all that bounds latency)', async () => {
    const r = await overloadRun('none');
    print('none', r);
    assert.equal(r.transitions, 0);
    assert.equal(r.degradedChunks, 0);
  });
});
