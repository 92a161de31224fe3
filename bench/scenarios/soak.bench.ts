/**
 * Soak benchmark: DTLN in the three-process pipeline in real time for an
 * hour (QUELL_SOAK_S overrides the length), playback on a clocked null sink.
 * Fields: drops, gaps, underruns; per stage RSS and heap growth after a
 * 20 s warm-up (MiB), worst event-loop p99 (ms), GC pauses (count, total ms);
 * end-to-end latency per minute (ms) and first-vs-last-minute creep (goal:
 * under 2 ms). Not part of `npm test`: run `npm run bench -- soak`.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// The soak driver is shared with test/integration/soak.test.ts; it is loaded
// from the compiled tests at run time (bench/dist and test/dist are siblings).
const { growth, runSoak } = (await import(new URL('../../../test/dist/helpers/soak.js', import.meta.url).href)) as typeof import('../../test/dist/helpers/soak.js');
import { printTable, writeResult } from '../lib/results.js';

const seconds = Number(process.env.QUELL_SOAK_S ?? 3600);
const report = await runSoak(await mkdtemp(join(tmpdir(), 'quell-soak-')), 'dtln', seconds, (r) => {
  const s = r.samples.playback[r.samples.playback.length - 1];
  if (s && Math.round(s.atS) % 300 < 10) console.log(`t=${s.atS.toFixed(0)} s, latency by minute (ms): ${r.latencyByMinuteS.slice(-5).map((x) => (x * 1000).toFixed(2)).join(' ')}`);
});
const rows = (['capture', 'inference', 'playback'] as const).map((stage) => {
  const samples = report.samples[stage];
  const last = samples[samples.length - 1];
  return {
    stage,
    rss_growth_mib: growth(samples, 'rssBytes') / 1048576,
    heap_growth_mib: growth(samples, 'heapUsedBytes') / 1048576,
    eventloop_p99_max_ms: Math.max(...samples.map((s) => s.eventLoopP99S)) * 1000,
    gc_pauses: last.gcPauseCount,
    gc_total_ms: last.gcPauseSumS * 1000,
  };
});
const lat = report.latencyByMinuteS;
const creepMs = (lat[lat.length - 1] - lat[0]) * 1000;
printTable(`soak: ${seconds} s of DTLN, drops ${report.drops}, gaps ${report.gaps}, underruns ${report.underruns}, latency first ${(lat[0] * 1000).toFixed(2)} ms last ${(lat[lat.length - 1] * 1000).toFixed(2)} ms (creep ${creepMs.toFixed(2)} ms)`, rows);
console.log(`\nwrote ${writeResult('soak', { seconds, model: 'dtln', sink: 'null (clocked)', prefillChunks: 8, priority: -10 }, { drops: report.drops, dropsByReason: report.dropsByReason, gaps: report.gaps, underruns: report.underruns, chunksPlayed: report.chunksPlayed, latencyByMinuteMs: lat.map((x) => x * 1000), creepMs, stages: rows })}`);
