/**
 * Many streams on one inference node (issue 19): how many real-time 48 kHz streams one node serves cleanly, and
 * what each costs as N grows.
 *
 * One capture sends N live streams at once (`--source synth,synth,…`, white noise, 10 ms chunks, paced by the
 * clock), one inference node runs the model on all of them (each stream its own model state), playback plays
 * them on a clocked null sink (each stream its own playout clock, where underruns happen). After a 4 s settle,
 * each row counts over `QUELL_BENCH_SECONDS` (default 20 s): drops in every stage, playback gaps and underruns,
 * chunks the overload policy sent unprocessed (`degraded`), the inference node's CPU in cores and per stream,
 * and its chunk-processing p50/p99, and capture's and playback's CPU in cores. A row is clean when all the counts are 0. Per model, N grows until two rows
 * in a row are not clean.
 *
 * `QUELL_BENCH_MODELS` (default dtln,dtln+batch,gtcrn,deepfilternet3) and `QUELL_BENCH_STREAMS` (default
 * 4,8,12,16,20,24,28,32) pick the rows; `MODEL+batch` runs the node with `--batch-streams` (DTLN's hops of all
 * streams in one ONNX Runtime call).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { sumSamples, type MetricSample } from '@quell/runtime';
import { printTable, writeResult } from '../lib/results.js';

// The test helpers are compiled to test/dist; the path differs between this source and bench/dist, so resolve it at run time.
type PipelineHelpers = typeof import('../../test/dist/helpers/pipeline.js');
const { startPipeline } = (await import(new URL('../../../test/dist/helpers/pipeline.js', import.meta.url).href)) as PipelineHelpers;

const models = (process.env.QUELL_BENCH_MODELS ?? 'dtln,dtln+batch,gtcrn,deepfilternet3').split(',');
const streamCounts = (process.env.QUELL_BENCH_STREAMS ?? '4,8,12,16,20,24,28,32').split(',').map(Number);
const seconds = Number(process.env.QUELL_BENCH_SECONDS ?? 20);
const chunkMs = Number(process.env.QUELL_BENCH_CHUNK_MS ?? 10);

/** The counters a row is judged on, summed across the stages. */
function counts(cap: MetricSample[], inf: MetricSample[], pb: MetricSample[]) {
  return {
    drops: sumSamples(cap, 'quell_capture_drops_total') + sumSamples(inf, 'quell_inference_drops_total') + sumSamples(pb, 'quell_playback_drops_total'),
    gaps: sumSamples(pb, 'quell_playback_gaps_total'),
    underruns: sumSamples(pb, 'quell_playback_underruns_total'),
    degraded: sumSamples(inf, 'quell_inference_degraded_chunks_total'),
    played: sumSamples(pb, 'quell_playback_chunks_played_total'),
    cpuS: sumSamples(inf, 'process_cpu_seconds_total'),
    captureCpuS: sumSamples(cap, 'process_cpu_seconds_total'),
    playbackCpuS: sumSamples(pb, 'process_cpu_seconds_total'),
  };
}

/** A quantile of inference's chunk-processing histogram between two scrapes, ms (bucket upper bound). */
function quantileMs(before: MetricSample[], after: MetricSample[], q: number): number {
  const name = 'quell_inference_chunk_processing_seconds_bucket';
  const buckets = after
    .filter((s) => s.name === name)
    .map((s) => ({ le: Number(s.labels.le), count: s.value - (before.find((b) => b.name === name && b.labels.le === s.labels.le)?.value ?? 0) }))
    .sort((a, b) => a.le - b.le);
  const total = buckets.at(-1)?.count ?? 0;
  const bucket = buckets.find((b) => b.count >= q * total);
  return bucket ? bucket.le * 1000 : Number.NaN;
}

/** Drops between two scrapes of the three stages, by stage and reason (only the non-zero ones). */
function dropReasons(first: MetricSample[][], last: MetricSample[][]): Record<string, number> {
  const out: Record<string, number> = {};
  ['capture', 'inference', 'playback'].forEach((stage, i) => {
    for (const s of last[i].filter((x) => x.name === `quell_${stage}_drops_total`)) {
      const before = first[i].find((x) => x.name === s.name && x.labels.reason === s.labels.reason)?.value ?? 0;
      if (s.value > before) out[`${stage}:${s.labels.reason}`] = s.value - before;
    }
  });
  return out;
}

const rows: Record<string, string | number>[] = [];
for (const model of models) {
  let troubled = 0;
  for (const n of streamCounts) {
    const p = await startPipeline({
      capture: ['--source', Array.from({ length: n }, () => 'synth').join(','), '--synth-waveform', 'noise', '--synth-duration-s', '0', '--chunk-ms', String(chunkMs)],
      inference: ['--model', model.replace(/\+batch$/, ''), ...(model.endsWith('+batch') ? ['--batch-streams'] : [])],
      playback: ['--sink', 'null', '--clock', 'realtime'],
    });
    try {
      await sleep(4000);
      const scrapeAll = () => Promise.all([p.scrape('capture'), p.scrape('inference'), p.scrape('playback')]);
      const first = await scrapeAll();
      const startedMs = performance.now();
      await sleep(seconds * 1000);
      const last = await scrapeAll();
      const elapsedS = (performance.now() - startedMs) / 1000;
      const [a, b] = [counts(...first), counts(...last)];
      const cores = (b.cpuS - a.cpuS) / elapsedS;
      const row = {
        model,
        streams: n,
        drops: b.drops - a.drops,
        gaps: b.gaps - a.gaps,
        underruns: b.underruns - a.underruns,
        degraded: b.degraded - a.degraded,
        chunks_played_per_s: Math.round((b.played - a.played) / elapsedS),
        node_cores: Number(cores.toFixed(2)),
        node_ms_per_stream_s: Number(((cores * 1000) / n).toFixed(1)),
        capture_cores: Number(((b.captureCpuS - a.captureCpuS) / elapsedS).toFixed(2)),
        playback_cores: Number(((b.playbackCpuS - a.playbackCpuS) / elapsedS).toFixed(2)),
        chunk_p50_ms: quantileMs(first[1], last[1], 0.5),
        chunk_p99_ms: quantileMs(first[1], last[1], 0.99),
      };
      const clean = row.drops === 0 && row.gaps === 0 && row.underruns === 0 && row.degraded === 0;
      rows.push({ ...row, clean: clean ? 'yes' : 'no' });
      console.log(JSON.stringify({ ...rows.at(-1), dropsByStageAndReason: dropReasons(first, last) }));
      troubled = clean ? 0 : troubled + 1;
    } finally {
      await p.stop();
    }
    if (troubled >= 2) break;
  }
}
printTable(`${seconds} s per row: N real-time 48 kHz streams in ${chunkMs} ms chunks through one inference node, null sink`, rows);
const clean = Object.fromEntries(models.map((m) => [m, Math.max(0, ...rows.filter((r) => r.model === m && r.clean === 'yes').map((r) => Number(r.streams)))]));
console.log(`most clean streams per node: ${JSON.stringify(clean)}`);
writeResult('streams', { models, streamCounts, seconds, chunkMs }, { rows, mostCleanStreams: clean });
