// The device sink (pm2's default) against well-formed but unwelcome streams
// (issue 15), on a real PulseAudio null sink: at 6ab8ae7 a second stream id
// restarted the device stream ~200 times a second (each new stream ended the
// other), and one chunk at a rate the device could not play silenced that
// stream id until restart. Now a live stream keeps the device, the intruder's
// chunks are refused and counted, and an unplayable stream is tried again.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { StageProcess, type StageMessage } from '@quell/cli';
import { encodeFrame, FrameFlags, Pacer, realTimeClock } from '@quell/protocol';
import { createPushSocket, defaultLinkSecurity, scrapeMetrics, sumSamples, type LinkSecurity } from '@quell/runtime';
import { ensureTestPulse, pactl } from '@quell/runtime/testing';
import { chunkHeader } from '../helpers/frames.js';

const SINK = 'quell_hostile_out';

describe('device sink against unwelcome streams (PulseAudio)', { timeout: 120_000 }, () => {
  let moduleId = '';
  let security: LinkSecurity;

  before(async () => {
    await ensureTestPulse();
    moduleId = (await pactl('load-module', 'module-null-sink', `sink_name=${SINK}`, 'rate=48000', 'format=float32le', 'channels=2')).trim();
    security = await defaultLinkSecurity('test', [{ endpoint: 'tcp://127.0.0.1:*', mode: 'connect' }]);
  });

  after(async () => {
    await security.close();
    await pactl('unload-module', moduleId).catch(() => undefined);
  });

  it('a second stream never evicts the live one (device-busy); a stream at a rate the device cannot play is refused, then admitted again 5 s later', async () => {
    const ends: StageMessage[] = [];
    const playback = new StageProcess('playback', ['--endpoint', 'tcp://127.0.0.1:*', '--sink', 'device', '--device', 'pulse', '--metrics-port', '0', '--log-level', 'warn'], { PULSE_SINK: SINK });
    playback.onMessage((m) => m.type === 'stream-end' && ends.push(m));
    const info = await playback.ready;
    const push = createPushSocket({ highWaterMarkChunks: 10_000, curve: security.curve[0] });
    push.connect(String(info.endpoint));
    const scrape = async (): Promise<Awaited<ReturnType<typeof scrapeMetrics>>> => scrapeMetrics(`http://127.0.0.1:${info.metricsPort}/metrics`);
    try {
      // A stream the device cannot play (44.1 kHz on a 48 kHz device) before anything else: refused and remembered.
      await push.send(encodeFrame(chunkHeader(3, 0, { sampleRateHz: 44_100, frameCount: 441 }), new Float32Array(441)));
      const pacer = new Pacer(realTimeClock, 480, 48_000);
      const LIVE_CHUNKS = 700;
      let intruderChunks = 0;
      for (let seq = 0; seq < LIVE_CHUNKS; seq++) {
        await pacer.next();
        await push.send(encodeFrame(chunkHeader(1, seq, { flags: seq === LIVE_CHUNKS - 1 ? FrameFlags.END_OF_STREAM : 0 }), new Float32Array(480).fill(0.1)));
        // From 1 s on, another stream pushes in at the same pace, and stream 3 tries again at the device's rate.
        if (seq >= 100 && seq < 300) {
          await push.send(encodeFrame(chunkHeader(2, seq - 100), new Float32Array(480).fill(-0.1)));
          intruderChunks++;
        }
        if (seq === 200) await push.send(encodeFrame(chunkHeader(3, 1), new Float32Array(480)));
      }
      for (let i = 0; i < 100 && !ends.some((e) => e.streamId === 1); i++) await sleep(50);
      const m = await scrape();
      const drops = (reason: string): number => sumSamples(m, 'quell_playback_drops_total', { reason });
      assert.equal(drops('device-busy'), intruderChunks + 1, 'every chunk of stream 2, and stream 3 while 1 plays, refused');
      assert.equal(drops('unplayable'), 1);
      const first = ends.find((e) => e.streamId === 1);
      assert.ok(first, 'stream 1 ended');
      assert.ok(!ends.some((e) => e.streamId === 2), 'stream 2 never got the device');
      assert.equal(ends.filter((e) => e.streamId === 1).length, 1, 'stream 1 ran once, from start to end (never restarted)');
      assert.equal(sumSamples(m, 'quell_playback_stream_chunks_received_total', { stream: '1' }), LIVE_CHUNKS, 'every chunk of stream 1 reached its stream');
      assert.ok((first.framesPlayed as number) > 0);
      // 7 s after it was refused, stream 3 may take the now idle device.
      const pacer3 = new Pacer(realTimeClock, 480, 48_000);
      for (let seq = 2; seq < 102; seq++) {
        await pacer3.next();
        await push.send(encodeFrame(chunkHeader(3, seq, { flags: seq === 101 ? FrameFlags.END_OF_STREAM : 0 }), new Float32Array(480)));
      }
      await sleep(300);
      const later = await scrape();
      assert.equal(sumSamples(later, 'quell_playback_stream_chunks_received_total', { stream: '3' }), 100, 'stream 3 took the device once playable and free');
      assert.equal(sumSamples(later, 'quell_playback_drops_total', { reason: 'unplayable' }), 1);
    } finally {
      push.close();
      assert.equal(await playback.stop(), 0);
    }
  });
});
