// A pool of inference nodes (capture --node-pool): real processes, real sockets.
// Four endless 440 Hz streams (capture, dry path on) → node a (gain 0.5) →
// playback (--conceal dry, a realtime-clocked file sink, one file per stream).
// Node b joins: two streams move to it by hand-over, with nothing lost and no
// gap. Then node a is killed (-9): its streams move to b at once, the dry path
// covering the outage. Every stream's file is checked for silence and clicks.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { StageProcess } from '@quell/cli';
import { readWav, scrapeMetrics, type MetricSample } from '@quell/runtime';
import { metric, startPipeline, streamNodes, tempDir } from '../helpers/pipeline.js';
import { freePort } from '../helpers/ports.js';
import { firstQuietBlock, maxStep } from '../helpers/signals.js';

const RATE = 48_000;
const CHUNK = 480;
const FREQUENCY_HZ = 440;
const DRY_AMPLITUDE = 0.4;
const WET_AMPLITUDE = DRY_AMPLITUDE * 0.5;
const STREAMS = [1, 2, 3, 4];
const LOCAL = ['--metrics-port', '0', '--log-level', 'warn'];

const concealed = (playback: MetricSample[]): number => metric(playback, 'quell_playback_gaps_total') + metric(playback, 'quell_playback_underruns_total');

async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (performance.now() > deadline) assert.fail(`${what}: last ${JSON.stringify(value, (_, v: unknown) => (Array.isArray(v) && v.length > 0 && typeof v[0] === 'object' && v[0] !== null && 'name' in v[0] ? (v as MetricSample[]).filter((x) => /stream_node_info|moves|node_failures|drops_total|gaps|underruns/.test(x.name)) : v))}`);
    await sleep(100);
  }
}

describe('node pool: streams spread over two inference nodes, moved on join and on a crash', { timeout: 120_000 }, () => {
  it('a joining node takes half the streams without a gap; a killed node\'s streams move to the other with the dry path covering; no silence, no click', async () => {
    const dir = await tempDir();
    const endpoint = `tcp://127.0.0.1:${await freePort()}`;
    const output = join(dir, 'out-{stream}.wav');
    const p = await startPipeline({
      capture: ['--source', STREAMS.map(() => 'synth').join(','), '--synth-frequency-hz', String(FREQUENCY_HZ), '--synth-amplitude', String(DRY_AMPLITUDE), '--dry-endpoint', endpoint, '--node-pool'],
      inference: ['--model', 'gain', '--gain', '0.5', '--node-id', 'a'],
      playback: ['--endpoint', endpoint, '--sink', 'file', '--clock', 'realtime', '--output', output, '--conceal', 'dry'],
    });
    let nodeB: StageProcess | undefined;
    try {
      await until('every stream plays on a', () => p.scrape('capture'), (c) => Object.keys(streamNodes(c)).length === 4);
      await until('playback is under way', () => p.scrape('playback'), (pb) => metric(pb, 'quell_playback_chunks_played_total') >= 4 * 100);
      const beforeJoin = await p.scrape('playback');

      nodeB = new StageProcess('inference', ['--control', String(p.info.capture.control), '--output-endpoint', endpoint, '--node-id', 'b', '--model', 'gain', '--gain', '0.5', ...LOCAL]);
      await nodeB.ready;

      const afterJoin = await until('two streams moved to b', () => p.scrape('capture'), (c) => metric(c, 'quell_capture_stream_moves_total', { outcome: 'completed' }) >= 2);
      const onB = Object.entries(streamNodes(afterJoin)).filter(([, node]) => node === 'b').map(([stream]) => Number(stream));
      assert.equal(onB.length, 2, `two streams on b: ${JSON.stringify(streamNodes(afterJoin))}`);
      assert.equal(metric(afterJoin, 'quell_capture_stream_moves_total', { outcome: 'rolled-back' }), 0);
      await sleep(500);
      const moved = await p.scrape('playback');
      const bMetrics = await scrapeMetrics(`http://127.0.0.1:${(await nodeB.ready).metricsPort}/metrics`);
      console.log(`# after the join: placement ${JSON.stringify(streamNodes(afterJoin))}, b serves ${metric(bMetrics, 'quell_inference_streams_active')} streams, playback concealed ${concealed(moved) - concealed(beforeJoin)} chunks, dry-concealed ${metric(moved, 'quell_playback_dry_concealed_chunks_total') - metric(beforeJoin, 'quell_playback_dry_concealed_chunks_total')}`);
      assert.equal(concealed(moved), concealed(beforeJoin), 'the moves cost no gap and no underrun');
      assert.equal(metric(moved, 'quell_playback_dry_concealed_chunks_total'), metric(beforeJoin, 'quell_playback_dry_concealed_chunks_total'), 'no dry audio was needed for a move');
      assert.equal(metric(await p.scrape('capture'), 'quell_capture_drops_total'), 0, 'capture dropped nothing');

      const framesAtKill = metric(moved, 'quell_playback_audio_frames_played_total') / STREAMS.length;
      p.inference.child.kill('SIGKILL');
      await p.inference.exited;
      const afterKill = await until('every stream on b', () => p.scrape('capture'), (c) => Object.values(streamNodes(c)).filter((n) => n === 'b').length === 4);
      assert.equal(metric(afterKill, 'quell_capture_node_failures_total'), 1);
      await sleep(2000);
      const end = await p.scrape('playback');
      const framesAtEnd = metric(end, 'quell_playback_audio_frames_played_total') / STREAMS.length;
      const dryAfterKill = metric(end, 'quell_playback_dry_concealed_chunks_total') - metric(moved, 'quell_playback_dry_concealed_chunks_total');
      console.log(`# after the kill: ${dryAfterKill} chunks dry-concealed across the streams, capture counted ${metric(afterKill, 'quell_capture_drops_total')} drops`);
      assert.ok(dryAfterKill > 0, 'the outage was covered with dry audio');

      await nodeB.stop();
      await p.stop();
      const signalStep = DRY_AMPLITUDE * 2 * Math.sin((Math.PI * FREQUENCY_HZ) / RATE);
      for (const stream of STREAMS) {
        const wav = await readWav(output.replace('{stream}', String(stream)));
        const x = wav.samples;
        // Up to what had been played by the last scrape, from 200 ms in (the start of each stream is not under test).
        const to = Math.min(x.length, Math.floor(framesAtEnd) - CHUNK);
        const silentBlock = firstQuietBlock(x, CHUNK, WET_AMPLITUDE / 2, 20 * CHUNK, to);
        const step = maxStep(x, 20 * CHUNK, to);
        console.log(`# stream ${stream} (${onB.includes(stream) ? 'moved to b on join' : 'moved to b on the kill'}): ${(to / RATE).toFixed(2)} s checked, kill at ${(framesAtKill / RATE).toFixed(2)} s, max step ${step.toFixed(4)} vs the sine's ${signalStep.toFixed(4)}`);
        assert.equal(silentBlock, -1, `stream ${stream}: no silence (block ${silentBlock})`);
        assert.ok(step <= signalStep * 1.0001, `stream ${stream}: no click: max step ${step} vs the dry sine's own ${signalStep}`);
      }
    } finally {
      await nodeB?.stop();
      await p.stop();
    }
  });
});
