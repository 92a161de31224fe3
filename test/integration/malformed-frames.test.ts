import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import type * as zmq from 'zeromq';
import { StageProcess, type StageMessage } from '@quell/cli';
import { createPushSocket, defaultLinkSecurity, readWav, scrapeMetrics } from '@quell/runtime';
import { malformedMessages, validChunk } from '../helpers/frames.js';
import { metric, tempDir } from '../helpers/pipeline.js';

const CHUNKS = 100;

/** Sends `CHUNKS` valid chunks of `stream`, paced at 2 ms, with every malformed kind after every tenth chunk. */
async function sendMixed(socket: zmq.Push, stream: number): Promise<Map<string, number>> {
  const sentBad = new Map<string, number>();
  for (let seq = 0; seq < CHUNKS; seq++) {
    await socket.send(validChunk(stream, seq, seq === CHUNKS - 1));
    if (seq % 10 === 5) {
      for (const { reason, parts } of malformedMessages(stream, seq + 1)) {
        await socket.send(parts);
        sentBad.set(reason, (sentBad.get(reason) ?? 0) + 1);
      }
    }
    await sleep(2);
  }
  return sentBad;
}

describe('malformed frames', { timeout: 60_000 }, () => {
  it('are counted by reason and ignored by inference and playback; every valid frame around them arrives', async () => {
    const dir = await tempDir();
    // The test's sockets prove this user's local key, as the stages' own peers do: they test what an insider's bad frames cost.
    const security = await defaultLinkSecurity('test', [{ endpoint: 'tcp://127.0.0.1:*', mode: 'bind' }, { endpoint: 'tcp://127.0.0.1:*', mode: 'connect' }]);
    const fakeCapture = createPushSocket({ highWaterMarkChunks: 1000, curve: security.curve[0] });
    await fakeCapture.bind('tcp://127.0.0.1:*');
    const playback = new StageProcess('playback', ['--endpoint', 'tcp://127.0.0.1:*', '--output', join(dir, 'out-{stream}.wav'), '--metrics-port', '0', '--log-level', 'warn']);
    const ends = new Map<number, StageMessage>();
    playback.onMessage((m) => m.type === 'stream-end' && ends.set(m.streamId as number, m));
    const pbInfo = await playback.ready;
    const inference = new StageProcess('inference', [
      '--control', '',
      '--input-endpoint', fakeCapture.lastEndpoint!,
      '--output-endpoint', String(pbInfo.endpoint),
      '--model', 'passthrough',
      '--metrics-port', '0',
      '--log-level', 'warn',
    ]);
    const infInfo = await inference.ready;
    // A second sender talks straight to playback, as a rogue or broken peer would.
    const direct = createPushSocket({ highWaterMarkChunks: 1000, curve: security.curve[1] });
    direct.connect(String(pbInfo.endpoint));
    try {
      const [viaInference, straight] = await Promise.all([sendMixed(fakeCapture, 1), sendMixed(direct, 2)]);
      for (let i = 0; i < 100 && ends.size < 2; i++) await sleep(100);
      assert.equal(ends.size, 2, 'both streams ended');
      for (const id of [1, 2]) {
        const end = ends.get(id)!;
        assert.equal(end.framesPlayed, CHUNKS * 480, `stream ${id} frames`);
        assert.equal(end.gaps, 0, `stream ${id} gaps`);
        const out = await readWav(join(dir, `out-${id}.wav`));
        const expected = Float32Array.from({ length: CHUNKS * 480 }, (_, i) => (i % 1000) / 2000 + id / 100);
        assert.ok(out.samples.every((x, i) => x === expected[i]), `stream ${id} samples intact`);
      }
      const inf = await scrapeMetrics(`http://127.0.0.1:${infInfo.metricsPort}/metrics`);
      const pb = await scrapeMetrics(`http://127.0.0.1:${pbInfo.metricsPort}/metrics`);
      for (const [reason, count] of viaInference) assert.equal(metric(inf, 'quell_inference_rejected_messages_total', { reason }), count, `inference ${reason}`);
      for (const [reason, count] of straight) assert.equal(metric(pb, 'quell_playback_rejected_messages_total', { reason }), count, `playback ${reason}`);
      assert.equal(metric(inf, 'quell_inference_chunks_received_total'), CHUNKS);
      assert.equal(metric(pb, 'quell_playback_chunks_received_total'), 2 * CHUNKS);
    } finally {
      fakeCapture.close();
      direct.close();
      await security.close();
      await Promise.all([inference.stop(), playback.stop()]);
    }
  });
});
