import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrameFlags, PROTOCOL_VERSION, type FrameHeader, type HandoverInfo } from '@quell/protocol';
import { parsePlaybackConfig } from '../config.js';
import { PlaybackMetrics } from '../metrics.js';
import { NullSink } from '../sinks/null-sink.js';
import { StreamPlayout } from './stream-playout.js';

function playout(clock: 'realtime' | 'arrival'): { stream: StreamPlayout; metrics: PlaybackMetrics; sink: NullSink } {
  const config = parsePlaybackConfig({}, ['--sink', clock === 'realtime' ? 'null' : 'file', '--clock', clock === 'realtime' ? 'realtime' : 'auto', '--prefill-chunks', '1']);
  const metrics = new PlaybackMetrics({ depth: 0, streamCount: 0 }, config.prefillChunks);
  const sink = new NullSink(1);
  return { stream: new StreamPlayout({ streamId: 42, sampleRateHz: 48_000, channelCount: 1, sink, options: config, fadeFrames: 480, metrics }), metrics, sink };
}

const handover = { from: 'A', to: 'B', atSeq: 10, fadeChunks: 5 };
const now = (): number => Math.round((performance.timeOrigin + performance.now()) * 1000);

/** A received chunk's header: stream 42 at 48 kHz mono, stamped by `node` under `fade`. */
function header(seq: number, frameCount: number, node: string, fade: HandoverInfo, end = false): FrameHeader {
  return { v: PROTOCOL_VERSION, stream: 42, seq, ts: seq * 480, captureTimeUs: now(), sampleRateHz: 48_000, channelCount: 1, frameCount, flags: end ? FrameFlags.END_OF_STREAM : 0, delayFrames: 0, node, handover: fade };
}

describe('StreamPlayout: copies of one chunk with different lengths', () => {
  for (const clock of ['arrival', 'realtime'] as const) {
    it(`${clock}: seq 10 from A (480 frames), seq 10 from B (4800), seq 11 from A: the longer copy is refused and counted, nothing throws`, () => {
      const { stream, metrics, sink } = playout(clock);
      assert.equal(stream.receive(header(10, 480, 'A', handover), new Float32Array(480).fill(0.1)), 'ok');
      assert.equal(stream.receive(header(10, 4800, 'B', handover), new Float32Array(4800).fill(0.2)), 'mismatch');
      assert.equal(stream.receive(header(11, 480, 'A', handover, true), new Float32Array(480).fill(0.1)), 'ok');
      if (clock === 'arrival') stream.drainReady();
      else for (let i = 0; i < 4; i++) stream.tick();
      assert.equal(sink.framesWritten, 960);
      assert.equal(metrics.drops.mismatch, 1);
      assert.ok(stream.finished);
    });
  }

  it('inside the crossfade, copies of different lengths are not mixed either', () => {
    const { stream, metrics, sink } = playout('arrival');
    const fade = { ...handover, atSeq: 0 };
    stream.receive(header(0, 480, 'A', fade), new Float32Array(480));
    assert.equal(stream.receive(header(0, 960, 'B', fade, true), new Float32Array(960)), 'mismatch');
    stream.receive(header(1, 480, 'A', fade, true), new Float32Array(480));
    stream.drainReady();
    assert.equal(sink.framesWritten, 960);
    assert.equal(metrics.crossfades, 0);
  });
});

describe('StreamPlayout pulled by the device (no sink)', () => {
  it('pullClocked returns each period played: nothing while prefilling, the chunks, then a concealed period (an underrun, counted)', () => {
    const config = parsePlaybackConfig({}, ['--sink', 'device', '--prefill-chunks', '2']);
    const metrics = new PlaybackMetrics({ depth: 0, streamCount: 0 }, config.prefillChunks);
    const stream = new StreamPlayout({ streamId: 42, sampleRateHz: 48_000, channelCount: 1, destination: 'test device', options: config, fadeFrames: 48, metrics });
    const chunk = (seq: number): FrameHeader => ({ v: PROTOCOL_VERSION, stream: 42, seq, ts: seq * 480, captureTimeUs: now(), sampleRateHz: 48_000, channelCount: 1, frameCount: 480, flags: 0, delayFrames: 0 });
    stream.receive(chunk(0), new Float32Array(480).fill(0.25));
    assert.equal(stream.pullClocked(), null, 'one chunk of two to prefill: nothing played');
    stream.receive(chunk(1), new Float32Array(480).fill(0.5));
    assert.equal(stream.pullClocked()?.[240], 0.25);
    assert.equal(stream.pullClocked()?.[240], 0.5);
    const concealed = stream.pullClocked();
    assert.equal(concealed?.length, 480, 'the missing period is concealed, one chunk long');
    assert.equal(concealed?.[479], 0, 'faded to silence');
    assert.equal(metrics.underruns, 1);
    assert.equal(stream.summary().chunksPlayed, 3);
    assert.equal(stream.summary().destination, 'test device');
    assert.throws(() => stream.tick(), /no sink/);
  });
});
