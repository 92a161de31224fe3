// A node pool under pm2 (ecosystem.config.js with QUELL_INFERENCE_NODES=2):
// two inference workers share four synth streams; `pm2 reload quell-inference`
// replaces both, one after the other, each handing its streams to the others.
// A file sink with the arrival clock writes what arrives, so a missing or
// doubled chunk shows in the output itself.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { readWav, sumSamples, type MetricSample } from '@quell/runtime';
import { streamNodes, streamsPerNode, tempDir } from '../helpers/pipeline.js';
import { Pm2Pipeline } from '../helpers/pm2-pipeline.js';

const RATE = 48_000;
const SECONDS = 14;
const AMPLITUDE = 0.25;
const FREQUENCY_HZ = 440;
const GAIN = 0.5;
const STREAMS = [1, 2, 3, 4];

describe('pm2 runs a pool of two inference nodes', { timeout: 180_000 }, () => {
  it('spreads four streams two and two, and a pm2 reload replaces both nodes with nothing missing, doubled or concealed', async () => {
    const dir = await tempDir();
    const p = await Pm2Pipeline.start(dir, 'gain', {
      QUELL_INFERENCE_NODES: '2',
      QUELL_CAPTURE_SOURCE: STREAMS.map(() => 'synth').join(','),
      QUELL_CAPTURE_SYNTH_DURATION_S: String(SECONDS),
      QUELL_CAPTURE_SYNTH_AMPLITUDE: String(AMPLITUDE),
      QUELL_CAPTURE_SYNTH_FREQUENCY_HZ: String(FREQUENCY_HZ),
      QUELL_INFERENCE_GAIN: String(GAIN),
      QUELL_PLAYBACK_SINK: 'file',
      QUELL_PLAYBACK_CLOCK: 'arrival',
    });
    try {
      let before: Record<string, string> = {};
      for (let i = 0; i < 100; i++) {
        before = streamNodes(await p.scrape('capture'));
        if (Object.keys(before).length === 4 && Object.values(streamsPerNode(before)).every((n) => n === 2)) break;
        await sleep(100);
      }
      assert.deepEqual(Object.values(streamsPerNode(before)).sort(), [2, 2], `two nodes serve two streams each: ${JSON.stringify(before)}`);
      const workers = (JSON.parse((await p.pm2('jlist')).stdout) as { name: string }[]).filter((a) => a.name === 'quell-inference');
      assert.equal(workers.length, 2, 'pm2 runs two inference workers');

      const reload = await p.pm2('reload', 'quell-inference');
      assert.equal(reload.code, 0, reload.stderr);
      await sleep(1000);
      const after = streamNodes(await p.scrape('capture'));
      console.log(`# before the reload ${JSON.stringify(before)}, after ${JSON.stringify(after)}`);
      assert.equal(Object.keys(after).length, 4, 'every stream is served');
      for (const node of Object.values(after)) assert.ok(!Object.values(before).includes(node), `stream served by a new node (${node})`);

      // Wait for the streams' end (capture's last chunks, flagged end-of-stream): playback then closes the WAVs.
      let pb: MetricSample[] | null = null;
      for (let i = 0; i < 300; i++) {
        pb = await p.scrape('playback');
        if (pb && sumSamples(pb, 'quell_playback_audio_frames_played_total') >= STREAMS.length * SECONDS * RATE && sumSamples(pb, 'quell_playback_streams_active') === 0) break;
        await sleep(100);
      }
      assert.ok(pb, 'playback answers');
      const cap = await p.scrape('capture');
      assert.ok(cap, 'capture answers');
      const moves = sumSamples(cap, 'quell_capture_stream_moves_total', { outcome: 'completed' });
      console.log(`# ${moves} stream moves completed; playback: ${sumSamples(pb, 'quell_playback_crossfades_total')} crossfade chunks`);
      assert.ok(moves >= 4, `every stream of the two old nodes moved (${moves} moves)`);
      assert.equal(sumSamples(cap, 'quell_capture_stream_moves_total', { outcome: 'rolled-back' }), 0);
      assert.equal(sumSamples(cap, 'quell_capture_node_failures_total'), 0, 'no node was lost');
      assert.equal(sumSamples(cap, 'quell_capture_drops_total'), 0, 'capture dropped nothing');
      assert.equal(sumSamples(pb, 'quell_playback_gaps_total'), 0, 'no seq missing');
      assert.equal(sumSamples(pb, 'quell_playback_underruns_total'), 0, 'nothing concealed');
      assert.equal(sumSamples(pb, 'quell_playback_drops_total'), 0, 'playback discarded nothing');
      for (const stream of STREAMS) {
        const out = (await readWav(p.env.QUELL_PLAYBACK_OUTPUT!.replace('{stream}', String(stream)))).samples;
        assert.equal(out.length, SECONDS * RATE, `stream ${stream}: every frame once`);
        let off = 0;
        for (let k = 0; k < out.length; k++) off = Math.max(off, Math.abs(out[k] - GAIN * AMPLITUDE * Math.sin(((2 * Math.PI) / RATE) * ((FREQUENCY_HZ * k) % RATE))));
        assert.ok(off < 1e-5, `stream ${stream}: output differs from the gained sine by up to ${off}`);
      }
    } finally {
      await p.close();
    }
  });
});
