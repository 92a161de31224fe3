import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { StageProcess, type StageMessage } from '@quell/cli';
import { readWav, RETIRED_EXIT_CODE, scrapeMetrics, writeWav } from '@quell/runtime';
import { metric, startPipeline, tempDir } from '../helpers/pipeline.js';
import { startPlaybackAlone } from '../helpers/playback-alone.js';
import { pythonExample, startPython, waitFor, type PythonProcess } from '../helpers/python-kit.js';
import { quell } from '../helpers/run.js';

// A Python inference node written with the kit (clients/python) in a live pipeline of Quell's own stages.

const RATE = 48_000;
const LOCAL = ['--metrics-port', '0', '--log-level', 'warn'];

async function sineFile(dir: string, seconds: number): Promise<{ path: string; samples: Float32Array }> {
  const samples = new Float32Array(RATE * seconds);
  for (let i = 0; i < samples.length; i++) samples[i] = 0.5 * Math.sin((2 * Math.PI * 440 * i) / RATE);
  const path = join(dir, 'sine.wav');
  await writeWav(path, samples, RATE, 1, 'float32');
  return { path, samples };
}

function maxDiff(a: Float32Array, b: Float32Array, scale = 1): number {
  let d = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) d = Math.max(d, Math.abs(a[i] - b[i] * scale));
  return d;
}

const rejected = (s: StageMessage | Record<string, unknown>): number => Object.values((s.rejected ?? {}) as Record<string, number>).reduce((a, b) => a + b, 0);

describe('Python inference node (clients/python) in a live pipeline', { timeout: 120_000 }, () => {
  it('swapped in for a running Quell node and out again with quell swap: 0 gaps, 0 underruns, 0 drops, 0 rejects at every stage, the input out', async () => {
    const dir = await tempDir();
    const input = await sineFile(dir, 9);
    const p = await startPipeline({
      capture: ['--source', 'file', '--files', input.path, '--chunk-frames', '480'],
      inference: ['--model', 'passthrough', '--node-id', 'quell-a'],
      // A playout clock, so a chunk missing at its play time is an underrun, and the file to check every frame.
      playback: ['--output', join(dir, 'out-{stream}.wav'), '--clock', 'realtime', '--prefill-chunks', '10'],
    });
    let py: PythonProcess | null = null;
    let swappedPid = 0;
    try {
      await sleep(1500);
      const control = String(p.info.capture.control);
      py = startPython([pythonExample('gain_node.py'), '--control', control, '--output-endpoint', String(p.info.playback.endpoint), '--node-id', 'py-node', '--summary']);
      const swaps = async (): Promise<number> => metric(await p.scrape('capture'), 'quell_capture_swaps_total', { outcome: 'completed' });
      assert.ok(await waitFor(async () => (await swaps()) === 1, 15_000), 'the Python node took the stream over');
      assert.equal(await p.inference.exited, RETIRED_EXIT_CODE, 'the Quell node drained and retired');
      await sleep(2000);
      const run = await quell(['swap', '--control', control, '--model', 'passthrough', '--node-id', 'quell-b', '--log-dir', join(dir, 'logs'), '--json'], { timeoutMs: 30_000 });
      const swap = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as { outcome: string; from: string; pid: number; reason: string };
      swappedPid = swap.pid;
      assert.equal(run.code, 0, `${swap.reason} ${run.stderr}`);
      assert.equal(swap.outcome, 'completed');
      assert.equal(swap.from, 'py-node');
      const { code } = await py.exited;
      const summary = await py.summary();
      assert.equal(code, RETIRED_EXIT_CODE, 'the Python node drained and retired');
      assert.equal(summary.outcome, 'retired');
      assert.equal(rejected(summary), 0, 'the Python node rejected nothing');
      assert.deepEqual(summary.drops, {}, 'the Python node dropped nothing');
      assert.ok((summary.warmUpChunks as number) > 0, 'it warmed up on the ring');

      const end = await p.streamEnded(1);
      const [cap, pb] = await Promise.all([p.scrape('capture'), p.scrape('playback')]);
      console.log(`# python node: ${summary.chunksIn} chunks in (${summary.warmUpChunks} warm-up), ${summary.chunksOut} out; playback: ${end.chunksPlayed} chunks, ${end.gaps} gaps, ${end.underruns} underruns`);
      assert.equal(end.gaps, 0);
      assert.equal(end.underruns, 0);
      assert.equal(end.framesPlayed, input.samples.length);
      assert.equal(metric(pb, 'quell_playback_gaps_total'), 0);
      assert.equal(metric(pb, 'quell_playback_underruns_total'), 0);
      assert.equal(metric(pb, 'quell_playback_drops_total'), 0, 'no late, duplicate or stale chunk');
      assert.equal(metric(pb, 'quell_playback_rejected_messages_total'), 0);
      assert.equal(metric(pb, 'quell_playback_crossfades_total'), 10, 'two 5-chunk crossfades');
      assert.equal(metric(cap, 'quell_capture_swaps_total', { outcome: 'completed' }), 2);
      assert.equal(metric(cap, 'quell_capture_swaps_total', { outcome: 'rolled-back' }), 0);
      assert.equal(metric(cap, 'quell_capture_drops_total'), 0);
      assert.equal(metric(cap, 'quell_capture_control_rejected_total'), 0, 'capture refused no control message');
      const out = (await readWav(join(dir, 'out-1.wav'))).samples;
      assert.equal(out.length, input.samples.length);
      const off = maxDiff(out, input.samples);
      assert.ok(off < 1e-6, `the output differs from the input by up to ${off}`);
    } finally {
      py?.kill();
      if (swappedPid) process.kill(swappedPid, 'SIGKILL');
      await p.stop();
    }
  });

  it('as the only node, with a declared latency (a 300-frame delay line): delayFrames on every chunk, the tail flushed at end of stream, the input out exactly', async () => {
    const dir = await tempDir();
    const input = await sineFile(dir, 3);
    const playback = await startPlaybackAlone([]);
    const capture = new StageProcess('capture', ['--control', 'tcp://127.0.0.1:*', '--source', 'file', '--files', input.path, ...LOCAL]);
    let py: PythonProcess | null = null;
    try {
      const cap = await capture.ready;
      py = startPython([pythonExample('gain_node.py'), '--delay', '300', '--control', String(cap.control), '--output-endpoint', playback.endpoint, '--node-id', 'py-delay', '--summary']);
      assert.ok(await waitFor(async () => playback.ends.has(1), 20_000), 'the stream ended at playback');
      const end = playback.ends.get(1)!;
      const pb = await scrapeMetrics(playback.metricsUrl);
      assert.equal(end.gaps, 0);
      assert.equal(end.framesPlayed, input.samples.length + 300, 'every input frame and the flushed latency');
      assert.equal(metric(pb, 'quell_playback_rejected_messages_total'), 0);
      assert.equal(metric(pb, 'quell_playback_drops_total'), 0);
      // The file sink drops the first delayFrames: with the tail flushed the output is the input, sample for sample.
      const out = (await readWav(join(playback.dir, 'out-1.wav'))).samples;
      assert.equal(out.length, input.samples.length);
      assert.equal(maxDiff(out, input.samples), 0);
      py.child.kill('SIGTERM');
      const { code } = await py.exited;
      const summary = await py.summary();
      assert.equal(code, 0, 'stopped by SIGTERM: leaving, no successor, bye');
      assert.equal(summary.outcome, 'stopped');
      assert.equal(rejected(summary), 0);
      const capMetrics = await scrapeMetrics(`http://127.0.0.1:${cap.metricsPort}/metrics`);
      assert.equal(metric(capMetrics, 'quell_capture_control_rejected_total'), 0);
      assert.equal(metric(capMetrics, 'quell_capture_drops_total'), 0);
    } finally {
      py?.kill();
      await Promise.all([capture.stop(), playback.process.stop()]);
    }
  });
});
