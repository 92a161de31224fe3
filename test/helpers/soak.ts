import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StageName } from '@quell/cli';
import { sumSamples, type MetricSample } from '@quell/runtime';
import { testAudio, writeMono } from './audio-fixtures.js';
import { startPipeline, type RunningPipeline } from './pipeline.js';

export interface StageSample {
  atS: number;
  rssBytes: number;
  heapUsedBytes: number;
  eventLoopP99S: number;
  gcPauseCount: number;
  gcPauseSumS: number;
}

export interface SoakReport {
  seconds: number;
  model: string;
  samples: Record<StageName, StageSample[]>;
  /** End-to-end latency (playback histogram) per minute: mean seconds. */
  latencyByMinuteS: number[];
  drops: number;
  /** Drops by `stage/reason`, zeros left out. */
  dropsByReason: Record<string, number>;
  gaps: number;
  underruns: number;
  chunksPlayed: number;
}

function stageSample(m: MetricSample[], atS: number): StageSample {
  return {
    atS,
    rssBytes: sumSamples(m, 'process_resident_memory_bytes'),
    heapUsedBytes: sumSamples(m, 'nodejs_heap_size_used_bytes'),
    eventLoopP99S: sumSamples(m, 'nodejs_eventloop_lag_p99_seconds'),
    gcPauseCount: sumSamples(m, 'nodejs_gc_duration_seconds_count'),
    gcPauseSumS: sumSamples(m, 'nodejs_gc_duration_seconds_sum'),
  };
}

/**
 * Runs speech (the shared recording, looped by the file source) through the
 * three stages in real time for `seconds`, with playback on a clocked null
 * sink (a stand-in for a device: reads happen on the clock, so underruns
 * count), sampling every stage's memory, event-loop delay and GC every 10 s.
 * The stages run at niceness -10 (`--priority`), as a real-time audio
 * pipeline should on a machine doing other work.
 */
export async function runSoak(dir: string, model: string, seconds: number, onSample?: (s: SoakReport) => void): Promise<SoakReport> {
  const speech = (await testAudio('speech_noisy_snr0_48k.wav')).samples;
  const input = await writeMono(dir, 'speech.wav', speech, 48_000);
  const priority = ['--priority=-10'];
  const pipeline: RunningPipeline = await startPipeline({
    capture: ['--source', 'file', '--files', input, '--loop', ...priority],
    inference: ['--model', model, ...priority],
    // 80 ms of playout buffer: what a device path runs with on a loaded 2-core machine (the device sink adapts its
    // target to measured jitter; the clocked null sink has a fixed one).
    playback: ['--sink', 'null', '--clock', 'realtime', '--prefill-chunks', '8', ...priority],
  });
  const report: SoakReport = { seconds, model, samples: { capture: [], inference: [], playback: [] }, latencyByMinuteS: [], drops: 0, dropsByReason: {}, gaps: 0, underruns: 0, chunksPlayed: 0 };
  const started = performance.now();
  const elapsedS = (): number => (performance.now() - started) / 1000;
  let lastLatencySum = 0;
  let lastLatencyCount = 0;
  let minuteMark = 60;
  try {
    for (let finished = false; !finished; ) {
      await sleep(Math.min(10_000, Math.max(0, (seconds - elapsedS()) * 1000)));
      const atS = elapsedS();
      // Timers may fire a little early; the last round is the one that reaches `seconds`.
      finished = atS >= seconds - 0.1;
      for (const stage of ['capture', 'inference', 'playback'] as const) report.samples[stage].push(stageSample(await pipeline.scrape(stage), atS));
      const pb = await pipeline.scrape('playback');
      if (atS >= minuteMark || finished) {
        const sum = sumSamples(pb, 'quell_playback_latency_seconds_sum');
        const count = sumSamples(pb, 'quell_playback_latency_seconds_count');
        if (count > lastLatencyCount) report.latencyByMinuteS.push((sum - lastLatencySum) / (count - lastLatencyCount));
        lastLatencySum = sum;
        lastLatencyCount = count;
        minuteMark += 60;
      }
      onSample?.(report);
    }
    const [cap, inf, pb] = await Promise.all([pipeline.scrape('capture'), pipeline.scrape('inference'), pipeline.scrape('playback')]);
    for (const [stage, m] of [['capture', cap], ['inference', inf], ['playback', pb]] as const) {
      for (const sample of m) {
        if (sample.name !== `quell_${stage}_drops_total` || sample.value === 0) continue;
        report.dropsByReason[`${stage}/${sample.labels.reason}`] = sample.value;
        report.drops += sample.value;
      }
    }
    report.gaps = sumSamples(pb, 'quell_playback_gaps_total');
    report.underruns = sumSamples(pb, 'quell_playback_underruns_total');
    report.chunksPlayed = sumSamples(pb, 'quell_playback_chunks_played_total');
    return report;
  } finally {
    await pipeline.stop();
  }
}

/** Growth of a stage's memory between the first sample after warm-up and the last, bytes. */
export function growth(samples: StageSample[], key: 'rssBytes' | 'heapUsedBytes', warmupS = 20): number {
  const steady = samples.filter((s) => s.atS >= warmupS);
  if (steady.length < 2) return 0;
  return steady[steady.length - 1][key] - steady[0][key];
}

export { join };
