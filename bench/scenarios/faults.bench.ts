/**
 * Faults benchmark: what a crash or a restart of one stage costs a running
 * stream, under pm2 as deployed (ecosystem.config.js, own PM2_HOME).
 *
 * Emulates a real-time stream (48 kHz synth tone, 10 ms chunks, model
 * `QUELL_FAULTS_MODEL`, default dtln as in the ecosystem) into a clocked null
 * sink. Variants, in this order on one pipeline (the kills first, while every
 * stage's counters still cover the same chunks):
 * - `kill -9 capture`, `kill -9 playback`: pm2 restarts the stage;
 * - `stop X; start Y`: `pm2 stop` stages, 1.5 s down, `pm2 start` them, in
 *   several orders.
 * (kill -9 of inference belongs to the inference hand-over, issue 5.)
 * Output fields, per fault:
 * - `recovery_ms`: fault (the kill, or the first `pm2 start`, which includes
 *   the process start-up pm2 waits for) to the first real chunk played again;
 * - `lost_chunks`: chunks sent upstream and never received downstream, from
 *   the counters around the killed stage (kills only; 10 ms each);
 * - `lost_bound_chunks`: what the killed stage's queues (and, for playback,
 *   the sender's pipe to it) can hold;
 * - `counted_drops`: chunks dropped and counted by reason while it lasted
 *   (queue-full upstream of a stopped stage, stale backlog, resync);
 * - `others_ok`: the stages not touched kept their pm2 restart count and
 *   answered /metrics throughout.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// The fault driver is shared with test/integration/faults.test.ts, loaded from the compiled tests (see soak.bench.ts).
const { killStage, Pm2Pipeline, stopStart } = (await import(new URL('../../../test/dist/helpers/pm2-pipeline.js', import.meta.url).href)) as typeof import('../../test/dist/helpers/pm2-pipeline.js');
import { printTable, writeResult } from '../lib/results.js';

type Report = Awaited<ReturnType<typeof killStage>>;

const model = process.env.QUELL_FAULTS_MODEL ?? 'dtln';
const pipeline = await Pm2Pipeline.start(await mkdtemp(join(tmpdir(), 'quell-faults-')), model);
const reports: Report[] = [];
try {
  await new Promise((resolve) => setTimeout(resolve, 2000));
  reports.push(await killStage(pipeline, 'capture'));
  reports.push(await killStage(pipeline, 'playback'));
  const orders: [('capture' | 'inference' | 'playback')[], ('capture' | 'inference' | 'playback')[]][] = [
    [['playback'], ['playback']],
    [['capture'], ['capture']],
    [['inference'], ['inference']],
    [['capture', 'playback'], ['playback', 'capture']],
    [['capture', 'playback'], ['capture', 'playback']],
    [['playback', 'inference'], ['inference', 'playback']],
    [['inference', 'capture'], ['capture', 'inference']],
    [['capture', 'inference', 'playback'], ['playback', 'inference', 'capture']],
  ];
  for (const [stopOrder, startOrder] of orders) reports.push(await stopStart(pipeline, stopOrder, startOrder));
} finally {
  await pipeline.close();
}
const rows = reports.map((r) => ({
  fault: r.fault,
  recovery_ms: Math.round(r.recoveryMs),
  lost_chunks: r.lostChunks ?? '-',
  lost_bound_chunks: r.lostBoundChunks ?? '-',
  counted_drops: Object.entries(r.countedDrops).map(([k, v]) => `${k}:${v}`).join(' ') || '-',
  others_ok: !r.othersRestarted && r.othersAnswered ? 'yes' : 'NO',
}));
printTable(`faults under pm2 (${model}, 48 kHz, 10 ms chunks, clocked null sink)`, rows);
console.log(`\nwrote ${writeResult('faults', { model, sampleRateHz: 48_000, chunkMs: 10, source: 'synth', sink: 'null (clocked, prefill 3)', supervisor: 'pm2' }, { faults: reports })}`);
