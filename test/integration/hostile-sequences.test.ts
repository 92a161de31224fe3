// Well-formed but unusual sequences against a real playback process (issue
// 15), sent by an insider (a process holding the local key: the frames are
// valid, only their order and shapes are hostile). Each reproduction knocked
// playback over at 6ab8ae7; here each must cost at most the offending
// chunks, counted by reason, with /metrics answering throughout.
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type * as zmq from 'zeromq';
import { StageProcess, type StageMessage } from '@quell/cli';
import { encodeFrame, FrameFlags, type FrameHeader } from '@quell/protocol';
import { createPushSocket, defaultLinkSecurity, readWav, scrapeMetrics, type LinkSecurity, type MetricSample } from '@quell/runtime';
import { chunkHeader } from '../helpers/frames.js';
import { metric } from '../helpers/pipeline.js';
import { startPlaybackAlone } from '../helpers/playback-alone.js';

interface Playback {
  process: StageProcess;
  push: zmq.Push;
  dir: string;
  ends: Map<number, StageMessage>;
  scrape(timeoutMs?: number): Promise<MetricSample[]>;
  send(header: FrameHeader, samples?: Float32Array): Promise<void>;
}

let security: LinkSecurity;

async function startPlayback(args: string[]): Promise<Playback> {
  const { process, endpoint, metricsUrl, dir, ends } = await startPlaybackAlone(args);
  const push = createPushSocket({ highWaterMarkChunks: 10_000, curve: security.curve[0] });
  push.connect(endpoint);
  return {
    process,
    push,
    dir,
    ends,
    scrape: (timeoutMs = 2000) => scrapeMetrics(metricsUrl, timeoutMs),
    send: (header, samples) => push.send(encodeFrame(header, samples ?? new Float32Array(header.frameCount * header.channelCount).fill(0.1))),
  };
}

async function stopPlayback(p: Playback): Promise<number | null> {
  p.push.close();
  return p.process.stop();
}

describe('hostile sequences against playback', { timeout: 120_000 }, () => {
  before(async () => {
    security = await defaultLinkSecurity('test', [{ endpoint: 'tcp://127.0.0.1:*', mode: 'connect' }]);
  });
  after(async () => {
    await security.close();
  });

  it('three frames (seq 10 from node A, 480 frames; seq 10 from B, 4800; seq 11 from A, with hand-over fields) cost one counted chunk; 50 later chunks all arrive', async () => {
    const p = await startPlayback(['--sink', 'file']);
    try {
      const handover = { from: 'A', to: 'B', atSeq: 10, fadeChunks: 5 };
      await p.send(chunkHeader(42, 10, { node: 'A', handover }));
      await p.send(chunkHeader(42, 10, { node: 'B', handover, frameCount: 4800, ts: 4800 }));
      await p.send(chunkHeader(42, 11, { node: 'A', handover }));
      for (let seq = 12; seq < 62; seq++) await p.send(chunkHeader(42, seq, { node: 'A', flags: seq === 61 ? FrameFlags.END_OF_STREAM : 0 }));
      for (let i = 0; i < 100 && !p.ends.has(42); i++) await sleep(50);
      const m = await p.scrape();
      assert.equal(p.ends.get(42)?.framesPlayed, 52 * 480, 'every chunk but the refused copy played');
      assert.equal(metric(m, 'quell_playback_drops_total', { reason: 'mismatch' }), 1);
      assert.equal(metric(m, 'quell_playback_chunks_received_total'), 53);
    } finally {
      assert.equal(await stopPlayback(p), 0);
    }
  });

  it('32 one-frame chunks at 384 kHz with new stream ids on a clocked sink are refused (format): /metrics answers within 100 ms and SIGTERM exits 0', async () => {
    const p = await startPlayback(['--sink', 'null', '--clock', 'realtime']);
    try {
      for (let stream = 100; stream < 132; stream++) await p.send(chunkHeader(stream, 0, { frameCount: 1, sampleRateHz: 384_000, ts: 0 }));
      await sleep(500);
      const started = performance.now();
      const m = await p.scrape(100);
      assert.ok(performance.now() - started < 100, `/metrics took ${(performance.now() - started).toFixed(0)} ms`);
      assert.equal(metric(m, 'quell_playback_drops_total', { reason: 'format' }), 32);
      assert.equal(metric(m, 'quell_playback_streams_active'), 0);
    } finally {
      assert.equal(await stopPlayback(p), 0);
    }
  });

  it('a clocked stream far behind its clock skips ahead instead of ticking through in microtasks (tiny chunks at the minimum length): /metrics keeps answering', async () => {
    const p = await startPlayback(['--sink', 'null', '--clock', 'realtime']);
    try {
      // 48 frames at 48 kHz (1 ms, the shortest a clocked stream may have): 1000 ticks a second per stream.
      for (let stream = 1; stream <= 20; stream++) await p.send(chunkHeader(stream, 0, { frameCount: 48, ts: 0 }));
      for (let i = 0; i < 10; i++) {
        const started = performance.now();
        await p.scrape(100);
        assert.ok(performance.now() - started < 100, 'scrape answered late');
        await sleep(100);
      }
    } finally {
      assert.equal(await stopPlayback(p), 0);
    }
  });

  it('file sink: a 16 kHz chunk 6.2 s into an 8 s recording is refused (format), and the file keeps all 8 s', async () => {
    const p = await startPlayback(['--sink', 'file']);
    try {
      const total = 800;
      for (let seq = 0; seq < total; seq++) {
        if (seq === 620) await p.send(chunkHeader(5, seq, { sampleRateHz: 16_000, frameCount: 160 }));
        await p.send(chunkHeader(5, seq, { flags: seq === total - 1 ? FrameFlags.END_OF_STREAM : 0 }));
      }
      for (let i = 0; i < 200 && !p.ends.has(5); i++) await sleep(50);
      const m = await p.scrape();
      assert.equal(metric(m, 'quell_playback_drops_total', { reason: 'format' }), 1);
      const wav = await readWav(join(p.dir, 'out-5.wav'));
      assert.equal(wav.sampleRateHz, 48_000);
      assert.equal(wav.frameCount, total * 480);
    } finally {
      assert.equal(await stopPlayback(p), 0);
    }
  });

  it('1000 chunks with new stream ids open at most --max-new-streams-per-s streams at once; the rest are refused and counted; files and RSS stay bounded', async () => {
    const p = await startPlayback(['--sink', 'file']);
    try {
      const before = await p.scrape();
      for (let stream = 1000; stream < 2000; stream++) await p.send(chunkHeader(stream, 0));
      await sleep(500);
      const m = await p.scrape();
      const opened = metric(m, 'quell_playback_streams_active');
      const refused = metric(m, 'quell_playback_drops_total', { reason: 'stream-rate' }) + metric(m, 'quell_playback_drops_total', { reason: 'stream-cap' });
      assert.ok(opened <= 64, `${opened} streams open`);
      assert.equal(opened + refused, 1000, `opened ${opened}, refused ${refused}`);
      assert.ok((await readdir(p.dir)).length <= 64, 'files on disk');
      const growthMiB = (metric(m, 'process_resident_memory_bytes') - metric(before, 'process_resident_memory_bytes')) / 2 ** 20;
      assert.ok(growthMiB < 100, `RSS +${growthMiB.toFixed(0)} MiB`);
    } finally {
      assert.equal(await stopPlayback(p), 0);
    }
  });
});
