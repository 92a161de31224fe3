import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePlaybackConfig } from '../config.js';
import { PlaybackMetrics } from '../metrics.js';
import { NullSink } from '../sinks/null-sink.js';
import { StreamPlayout } from './stream-playout.js';

function playout(clock: 'realtime' | 'arrival'): { stream: StreamPlayout; metrics: PlaybackMetrics; sink: NullSink } {
  const config = parsePlaybackConfig({}, ['--sink', clock === 'realtime' ? 'null' : 'file', '--clock', clock === 'realtime' ? 'realtime' : 'auto', '--prefill-chunks', '1']);
  const metrics = new PlaybackMetrics({ depth: 0, streamCount: 0 }, config.prefillChunks);
  const sink = new NullSink(1);
  return { stream: new StreamPlayout(42, 48_000, 1, sink, config, 480, metrics), metrics, sink };
}

const handover = { from: 'A', to: 'B', atSeq: 10, fadeChunks: 5 };
const now = (): number => Math.round((performance.timeOrigin + performance.now()) * 1000);

describe('StreamPlayout: copies of one chunk with different lengths', () => {
  for (const clock of ['arrival', 'realtime'] as const) {
    it(`${clock}: seq 10 from A (480 frames), seq 10 from B (4800), seq 11 from A: the longer copy is refused and counted, nothing throws`, () => {
      const { stream, metrics, sink } = playout(clock);
      assert.equal(stream.receive(10, new Float32Array(480).fill(0.1), 480, now(), 0, false, 'A', handover), 'ok');
      assert.equal(stream.receive(10, new Float32Array(4800).fill(0.2), 4800, now(), 0, false, 'B', handover), 'mismatch');
      assert.equal(stream.receive(11, new Float32Array(480).fill(0.1), 480, now(), 0, true, 'A', handover), 'ok');
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
    stream.receive(0, new Float32Array(480), 480, now(), 0, false, 'A', fade);
    assert.equal(stream.receive(0, new Float32Array(960), 960, now(), 0, true, 'B', fade), 'mismatch');
    stream.receive(1, new Float32Array(480), 480, now(), 0, true, 'A', fade);
    stream.drainReady();
    assert.equal(sink.framesWritten, 960);
    assert.equal(metrics.crossfades, 0);
  });
});
