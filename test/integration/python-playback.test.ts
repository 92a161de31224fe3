import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { StageProcess } from '@quell/cli';
import { createCurveKeyPair, createPushSocket, loadLocalKeyPair, readWav, scrapeMetrics, writeWav, type CurveSocketOptions } from '@quell/runtime';
import { validChunk } from '../helpers/frames.js';
import { metric, tempDir } from '../helpers/pipeline.js';
import { freePort } from '../helpers/ports.js';
import { pythonExample, startPython, type PythonProcess } from '../helpers/python-kit.js';

// The kit's playback receiver (clients/python) behind Quell's own capture and inference node.

const RATE = 48_000;
const LOCAL = ['--metrics-port', '0', '--log-level', 'warn'];

interface ReceiverSummary {
  ended: boolean;
  rejected: Record<string, number>;
  streams: { stream: number; chunks: number; copies: number; missing: number[]; duplicates: number; ended: boolean; frames: number; nodes: Record<string, number> }[];
}

for (const auth of ['curve', 'off'] as const) {
  describe(`Python playback receiver (clients/python), --local-auth ${auth}`, { timeout: 60_000 }, () => {
    it('receives every chunk of a stream from a Quell gain node: 0 rejected, 0 missing, 0 duplicates, the gained input out', async () => {
      const dir = await tempDir();
      const input = new Float32Array(RATE * 2 + 123);
      for (let i = 0; i < input.length; i++) input[i] = 0.6 * Math.sin((2 * Math.PI * 330 * i) / RATE);
      const inputPath = join(dir, 'in.wav');
      await writeWav(inputPath, input, RATE, 1, 'float32');
      const endpoint = `tcp://127.0.0.1:${await freePort()}`;
      const authArgs = ['--local-auth', auth];
      const receiver: PythonProcess = startPython([pythonExample('receive_wav.py'), '--bind', endpoint, '--out', join(dir, 'py-{stream}.wav'), ...authArgs]);
      const capture = new StageProcess('capture', ['--control', 'tcp://127.0.0.1:*', '--source', 'file', '--files', inputPath, ...LOCAL, ...authArgs]);
      let inference: StageProcess | null = null;
      // Peers without the local key (plaintext, or a key of their own) send stream 99 first: with CURVE the receiver must never see it.
      const local = await loadLocalKeyPair();
      const intruders: (CurveSocketOptions | undefined)[] = [undefined, { role: 'client', ...createCurveKeyPair(), serverKey: local.publicKey }];
      const sockets = intruders.map((curve) => createPushSocket({ highWaterMarkChunks: 64, curve }));
      try {
        for (const socket of sockets) {
          socket.connect(endpoint);
          // One send at a time (zeromq.js); a send that never finds a peer ends when the socket closes.
          void (async () => {
            for (let seq = 0; seq < 20; seq++) await socket.send(validChunk(99, seq));
          })().catch(() => undefined);
        }
        const cap = await capture.ready;
        inference = new StageProcess('inference', ['--control', String(cap.control), '--output-endpoint', endpoint, '--model', 'gain', '--gain', '0.5', '--node-id', 'quell-gain', ...LOCAL, ...authArgs]);
        const inf = await inference.ready;
        const { code, stderr } = await receiver.exited;
        assert.equal(code, 0, stderr);
        const summary = (await receiver.summary()) as unknown as ReceiverSummary;
        const chunks = Math.floor(input.length / 480) + 1;
        console.log(`# python receiver (auth ${auth}): ${JSON.stringify(summary.streams)}`);
        assert.deepEqual(summary.rejected, {}, 'the receiver rejected nothing');
        // Without CURVE the intruders' stream gets in (so the check can fail); with it, nothing does.
        assert.deepEqual(summary.streams.map((x) => x.stream).sort((a, b) => a - b), auth === 'curve' ? [1] : [1, 99], 'with CURVE nothing from peers without the key');
        const s = summary.streams.find((x) => x.stream === 1)!;
        assert.deepEqual([s.stream, s.chunks, s.copies, s.missing, s.duplicates, s.ended, s.frames], [1, chunks, chunks, [], 0, true, input.length]);
        assert.deepEqual(s.nodes, { 'quell-gain': chunks }, 'every chunk stamped by the node that made it');
        const out = (await readWav(join(dir, 'py-1.wav'))).samples;
        assert.equal(out.length, input.length);
        assert.ok(out.every((x, i) => x === input[i] * 0.5), 'the gained input, sample for sample');
        const im = await scrapeMetrics(`http://127.0.0.1:${inf.metricsPort}/metrics`);
        assert.equal(metric(im, 'quell_inference_drops_total'), 0);
        assert.equal(metric(im, 'quell_inference_rejected_messages_total'), 0);
      } finally {
        receiver.kill();
        for (const socket of sockets) socket.close();
        await Promise.all([capture.stop(), inference?.stop()]);
      }
    });
  });
}
