import assert from 'node:assert/strict';
import { access, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import * as zmq from 'zeromq';
import { parseCaptureConfig } from '@quell/capture';
import { StageProcess, type StageMessage } from '@quell/cli';
import { parseInferenceConfig } from '@quell/inference';
import { parsePlaybackConfig } from '@quell/playback';
import { encodeFrame, FrameFlags } from '@quell/protocol';
import { createCurveKeyPair, defaultLinkSecurity, isLoopbackEndpoint, scrapeMetrics } from '@quell/runtime';
import { chunkHeader, validChunk } from '../helpers/frames.js';
import { metric, startPipeline, tempDir } from '../helpers/pipeline.js';
import { makeKeys } from '../helpers/keys.js';
import { quell } from '../helpers/run.js';
import { createTcpTap } from '../helpers/tcp-tap.js';

const LOCAL = ['--metrics-port', '0', '--log-level', 'warn'];

/** A 480-sample chunk whose samples nothing else produces; its bytes are what a wire listener would look for. */
function distinctiveSamples(): Float32Array {
  return Float32Array.from({ length: 480 }, (_, i) => Math.sin(i * 0.7361 + 0.1234) * 0.4321);
}

function portOf(endpoint: unknown): number {
  return Number(/:(\d+)$/.exec(String(endpoint))![1]);
}

describe('link security defaults', () => {
  it('every stage binds, connects and serves metrics on loopback by default, its links under the local key, with no opt-out', () => {
    const capture = parseCaptureConfig({}, []);
    const inference = parseInferenceConfig({}, []);
    const playback = parsePlaybackConfig({}, []);
    for (const e of [capture.control, capture.endpoint, inference.control, inference.inputEndpoint, inference.outputEndpoint, playback.endpoint]) assert.ok(isLoopbackEndpoint(e), e);
    for (const c of [capture, inference, playback]) {
      assert.equal(c.metricsHost, '127.0.0.1');
      assert.equal(c.curveKeyFile, '');
      assert.equal(c.localAuth, 'curve');
      assert.equal(c.insecureAllowRemote, false);
    }
  });
});

describe('non-loopback addresses without CURVE', { timeout: 60_000 }, () => {
  const cases: [string, string[]][] = [
    ['capture', ['capture', '--control', 'tcp://0.0.0.0:*']],
    ['playback', ['playback', '--endpoint', 'tcp://0.0.0.0:*']],
    ['inference', ['inference', '--control', 'tcp://10.0.0.1:5557', '--model', 'passthrough']],
  ];
  for (const [stage, args] of cases) {
    it(`${stage} refuses to bind tcp://0.0.0.0 with one line on stderr and exit code 2`, async () => {
      const result = await quell([...args, ...LOCAL], { timeoutMs: 20_000 });
      assert.equal(result.code, 2, result.stderr);
      const lines = result.stderr.trim().split('\n');
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0], /without CURVE/);
      assert.match(lines[0], /--insecure-allow-remote/);
    });
  }

  it('playback binds tcp://0.0.0.0 when the user opts out with --insecure-allow-remote', async () => {
    const playback = new StageProcess('playback', ['--endpoint', 'tcp://0.0.0.0:*', '--insecure-allow-remote', '--sink', 'null', ...LOCAL]);
    try {
      await playback.ready;
    } finally {
      assert.equal(await playback.stop(), 0);
    }
  });
});

describe('CURVE links', { timeout: 90_000 }, () => {
  it('a client with an unknown key delivers no frame and steals none; the rejections are counted; the real stream is intact', async () => {
    const dir = await tempDir();
    const keys = await makeKeys(dir, ['capture', 'inference', 'playback']);
    const allowed = join(dir, 'allowed-inference');
    await writeFile(allowed, `# only inference may connect\n${keys.inference.pair.publicKey}\n`);
    const pipeline = await startPipeline({
      capture: ['--synth-duration-s', '2', '--curve-key-file', keys.capture.key, '--curve-allowed-keys', allowed],
      inference: ['--model', 'passthrough', '--curve-key-file', keys.inference.key, '--curve-server-key', `${keys.capture.pub},${keys.playback.pub}`],
      playback: ['--output', join(dir, 'out-{stream}.wav'), '--curve-key-file', keys.playback.key, '--curve-allowed-keys', allowed],
    });
    const rogueKeys = { ...createCurveKeyPair() };
    // A rogue sender aimed at playback with a valid frame stream, and a rogue receiver trying to take capture's chunks.
    const rogueSender = new zmq.Push({ curvePublicKey: rogueKeys.publicKey, curveSecretKey: rogueKeys.secretKey, curveServerKey: keys.playback.pair.publicKey, sendTimeout: 0, linger: 0 });
    const rogueReceiver = new zmq.Pull({ curvePublicKey: rogueKeys.publicKey, curveSecretKey: rogueKeys.secretKey, curveServerKey: keys.capture.pair.publicKey, receiveTimeout: 0, linger: 0 });
    rogueSender.connect(String(pipeline.info.playback.endpoint));
    rogueReceiver.connect(String(pipeline.info.capture.control));
    let rogueSent = 0;
    let rogueRefused = 0;
    let stolen = 0;
    try {
      for (let seq = 0; seq < 100; seq++) {
        try {
          await rogueSender.send(validChunk(99, seq, seq === 99));
          rogueSent++;
        } catch {
          rogueRefused++;
        }
        try {
          await rogueReceiver.receive();
          stolen++;
        } catch {
          // EAGAIN: nothing to take, as it should be.
        }
        await sleep(10);
      }
      const end = await pipeline.streamEnded(1);
      await sleep(300);
      const [cap, pb] = await Promise.all([pipeline.scrape('capture'), pipeline.scrape('playback')]);
      const sent = metric(cap, 'quell_capture_chunks_sent_total');
      assert.equal(stolen, 0, 'rogue receiver got chunks');
      // The rogue socket may queue a few chunks locally before its handshake fails; none may arrive.
      assert.equal(rogueSent + rogueRefused, 100);
      await assert.rejects(access(join(dir, 'out-99.wav')), 'playback opened the rogue stream');
      assert.equal(metric(pb, 'quell_playback_chunks_received_total'), sent, 'playback received exactly what capture sent');
      assert.equal(metric(pb, 'quell_playback_streams_active'), 0);
      assert.equal(end.framesPlayed, 2 * 48_000);
      assert.equal(end.gaps, 0);
      assert.ok(metric(pb, 'quell_playback_auth_failures_total') >= 1, 'playback counted the rejection');
      assert.ok(metric(cap, 'quell_capture_auth_failures_total') >= 1, 'capture counted the rejection');
    } finally {
      rogueSender.close();
      rogueReceiver.close();
      await pipeline.stop();
    }
  });

  for (const mode of ['explicit', 'local', 'off'] as const) {
    const curve = mode !== 'off';
    it(`a listener on the wire ${curve ? 'sees no' : 'does see (control:'} plaintext samples${mode === 'explicit' ? ' with key files' : mode === 'local' ? ' by default (local key)' : ' --local-auth off)'}`, async () => {
      const dir = await tempDir();
      const keys = await makeKeys(dir, ['playback', 'sender']);
      const allowed = join(dir, 'allowed');
      await writeFile(allowed, `${keys.sender.pair.publicKey}\n`);
      const ends = new Map<number, StageMessage>();
      const playback = new StageProcess('playback', [
        '--endpoint', 'tcp://127.0.0.1:*',
        '--output', join(dir, 'out-{stream}.wav'),
        ...(mode === 'explicit' ? ['--curve-key-file', keys.playback.key, '--curve-allowed-keys', allowed] : mode === 'off' ? ['--local-auth', 'off'] : []),
        ...LOCAL,
      ]);
      playback.onMessage((m) => m.type === 'stream-end' && ends.set(m.streamId as number, m));
      const info = await playback.ready;
      const tap = await createTcpTap(portOf(info.endpoint));
      const local = await defaultLinkSecurity('test', [{ endpoint: tap.endpoint, mode: 'connect' }]);
      const sender = new zmq.Push({
        sendHighWaterMark: 1000,
        ...(mode === 'explicit' ? { curvePublicKey: keys.sender.pair.publicKey, curveSecretKey: keys.sender.pair.secretKey, curveServerKey: keys.playback.pair.publicKey } : {}),
        ...(mode === 'local' && local.curve[0]?.role === 'client' ? { curvePublicKey: local.curve[0].publicKey, curveSecretKey: local.curve[0].secretKey, curveServerKey: local.curve[0].serverKey } : {}),
      });
      sender.connect(tap.endpoint);
      const samples = distinctiveSamples();
      const CHUNKS = 20;
      try {
        for (let seq = 0; seq < CHUNKS; seq++) await sender.send(encodeFrame(chunkHeader(5, seq, { flags: seq === CHUNKS - 1 ? FrameFlags.END_OF_STREAM : 0 }), samples));
        for (let i = 0; i < 100 && !ends.has(5); i++) await sleep(50);
        assert.equal(ends.get(5)?.framesPlayed, CHUNKS * 480, 'every chunk went through the tap');
        const pb = await scrapeMetrics(`http://127.0.0.1:${info.metricsPort}/metrics`);
        assert.equal(metric(pb, 'quell_playback_chunks_received_total'), CHUNKS);
        const pattern = Buffer.from(samples.buffer, 0, 64);
        const wire = tap.clientToServer();
        assert.ok(wire.reduce((n, b) => n + b.length, 0) > CHUNKS * 1920, 'the tap saw the traffic');
        const hits = wire.filter((b) => b.includes(pattern)).length;
        if (curve) assert.equal(hits, 0, 'plaintext samples on the wire with CURVE on');
        else assert.ok(hits > 0, 'the control run must find the samples, or the check proves nothing');
      } finally {
        sender.close();
        await local.close();
        await tap.close();
        await playback.stop();
      }
    });
  }
});
