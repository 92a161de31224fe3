import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { ledgerImbalances, StageProcess, streamLedgers, type StreamLedger } from '@quell/cli';
import { readWav, scrapeMetrics, type MetricSample } from '@quell/runtime';
import { metric, startPipeline, tempDir, type RunningPipeline } from '../helpers/pipeline.js';
import { quell } from '../helpers/run.js';
import { writeTestSignal } from '../helpers/signals.js';

const RATE = 48_000;
const CHUNK_FRAMES = 480;
const LOCAL = ['--metrics-port', '0', '--log-level', 'warn'];

/** 4.0031 s: the last chunk is partial, so frame counts are checked, not only chunk counts. */
const SECONDS = 4.0031;

/** Chunks capture reads for `frames`: whole chunks, then the partial (or empty) last one that ends the stream. */
function chunksFor(frames: number): number {
  return Math.floor(frames / CHUNK_FRAMES) + 1;
}

/** Scrapes the three stages (every inference node given) and returns stream 1's ledger. */
async function ledgerOf(p: RunningPipeline, nodes: StageProcess[]): Promise<{ ledger: StreamLedger; capture: MetricSample[]; inference: MetricSample[]; playback: MetricSample[] }> {
  const inference: MetricSample[][] = [];
  for (const n of nodes) inference.push(await scrapeMetrics(`http://127.0.0.1:${(await n.ready).metricsPort}/metrics`));
  const [capture, playback] = await Promise.all([p.scrape('capture'), p.scrape('playback')]);
  const ledgers = streamLedgers({ capture, inference, playback });
  assert.deepEqual(ledgers.map((l) => l.stream), ['1']);
  return { ledger: ledgers[0], capture, inference: inference.flat(), playback };
}

/** Every stage of the stream balances by itself (and nothing is still held). */
function assertStagesBalance(l: StreamLedger): void {
  for (const stage of ['capture', 'inference', 'playback'] as const) {
    const a = l[stage];
    assert.ok(a, `${stage} exports the stream`);
    assert.deepEqual(a.missing, { chunks: 0, frames: 0 }, `${stage}: ${JSON.stringify(a)}`);
    assert.equal(a.heldChunks, 0);
  }
}

function startNode(p: RunningPipeline, nodeId: string, args: string[]): StageProcess {
  return new StageProcess('inference', ['--control', String(p.info.capture.control), '--output-endpoint', String(p.info.playback.endpoint), '--node-id', nodeId, ...LOCAL, ...args]);
}

describe('the ledger across the three stages (/metrics, per stream)', { timeout: 240_000 }, () => {
  it('clean run through DTLN: every chunk and frame accounted for at each stage and on each link; the latency tail is the one extra chunk', async () => {
    const dir = await tempDir();
    const input = await writeTestSignal(join(dir, 'in.wav'), RATE, SECONDS);
    const p = await startPipeline({
      capture: ['--source', 'file', '--files', join(dir, 'in.wav'), '--chunk-frames', String(CHUNK_FRAMES)],
      inference: ['--model', 'dtln'],
      playback: ['--output', join(dir, 'out-{stream}.wav')],
    });
    try {
      await p.streamEnded(1);
      const { ledger: l, inference } = await ledgerOf(p, [p.inference]);
      assert.deepEqual(ledgerImbalances(l), []);
      assertStagesBalance(l);
      assert.deepEqual(l.capture!.in, { chunks: chunksFor(input.length), frames: input.length });
      assert.deepEqual(l.capture!.dropped, { chunks: 0, frames: 0 });
      assert.deepEqual(l.links.captureToInference, { chunks: 0, frames: 0 });
      assert.deepEqual(l.links.inferenceToPlayback, { chunks: 0, frames: 0 });
      assert.deepEqual(l.inTransit, { chunks: 0, frames: 0 });
      // The tail: one extra chunk of the model's latency (38.4 ms at 48 kHz).
      const tailFrames = metric(inference, 'quell_inference_stream_tail_audio_frames_total', { stream: '1' });
      assert.ok(tailFrames > 0.03 * RATE && tailFrames < 0.04 * RATE, `tail ${tailFrames} frames`);
      assert.deepEqual(l.inference!.out, { chunks: chunksFor(input.length) + 1, frames: input.length + tailFrames });
      assert.deepEqual(l.playback!.out, l.inference!.out);
      assert.equal((await readWav(join(dir, 'out-1.wav'))).frameCount, input.length);
    } finally {
      await p.stop();
    }
  });

  it('injected loss (--test-drop-rate 0.05): every lost chunk is an inference drop by reason injected, and each is a concealed gap in playback', async () => {
    const dir = await tempDir();
    const input = await writeTestSignal(join(dir, 'in.wav'), RATE, SECONDS);
    const p = await startPipeline({
      capture: ['--source', 'file', '--files', join(dir, 'in.wav'), '--chunk-frames', String(CHUNK_FRAMES)],
      inference: ['--model', 'gain', '--test-drop-rate', '0.05'],
      playback: ['--output', join(dir, 'out-{stream}.wav'), '--stream-idle-timeout-s', '2'],
    });
    try {
      await p.streamEnded(1);
      const { ledger: l, playback } = await ledgerOf(p, [p.inference]);
      assertStagesBalance(l);
      assert.deepEqual(l.links.captureToInference, { chunks: 0, frames: 0 });
      assert.deepEqual(l.links.inferenceToPlayback, { chunks: 0, frames: 0 });
      const injected = l.inference!.dropsByReason.injected;
      assert.ok(injected > 0, 'some chunks were dropped');
      assert.equal(l.inference!.dropped.chunks, injected);
      assert.equal(l.capture!.in.frames, input.length);
      assert.equal(l.playback!.in.chunks, chunksFor(input.length) - injected);
      // Every chunk inference dropped is a gap playback concealed at its place (but the last, which nothing follows).
      const concealed = metric(playback, 'quell_playback_stream_chunks_concealed_total', { stream: '1' });
      assert.ok(concealed === injected || concealed === injected - 1, `concealed ${concealed}, injected ${injected}`);
      assert.equal(metric(playback, 'quell_playback_stream_gaps_total', { stream: '1' }), concealed);
    } finally {
      await p.stop();
    }
  });

  it('an inference node killed mid-stream and a new one started: capture and the new node balance, and what the dead node took is the in-transit loss, no more', async () => {
    const dir = await tempDir();
    const input = await writeTestSignal(join(dir, 'in.wav'), RATE, 6);
    const p = await startPipeline({
      capture: ['--source', 'file', '--files', join(dir, 'in.wav'), '--chunk-frames', String(CHUNK_FRAMES)],
      inference: ['--model', 'gain', '--node-id', 'first'],
      playback: ['--output', join(dir, 'out-{stream}.wav'), '--stream-idle-timeout-s', '3'],
    });
    let second: StageProcess | undefined;
    try {
      await sleep(2000);
      p.inference.child.kill('SIGKILL');
      second = startNode(p, 'second', ['--model', 'gain']);
      await second.ready;
      await p.streamEnded(1);
      const { ledger: l, capture, playback } = await ledgerOf(p, [second]);
      assertStagesBalance(l);
      assert.ok(metric(capture, 'quell_capture_node_failures_total') >= 1, 'capture declared the first node dead');
      assert.equal(l.capture!.in.frames, input.length);
      // Capture sent on to the first node until it was declared dead (then dropped as no-node): every one of those chunks
      // is either in the second node's account or in what the first node took with it.
      const transit = l.inTransit!;
      console.log(`# killed node: capture read ${l.capture!.in.chunks}, dropped ${JSON.stringify(l.capture!.dropsByReason)}; second node received ${l.inference!.in.chunks}; taken by the dead node ${transit.chunks} chunks (${transit.frames} frames)`);
      assert.ok(transit.chunks > 0, `the dead node took ${transit.chunks} chunks`);
      assert.ok(transit.chunks <= l.capture!.out.chunks - l.inference!.in.chunks + 1);
      // And nothing lost without a word: each chunk playback concealed at its place has a counted cause upstream.
      const concealed = metric(playback, 'quell_playback_stream_chunks_concealed_total', { stream: '1' });
      const counted = l.capture!.dropped.chunks + l.inference!.dropped.chunks + transit.chunks + l.playback!.dropped.chunks;
      assert.ok(concealed <= counted, `concealed ${concealed}, counted losses ${counted}`);
      assert.ok(metric(playback, 'quell_playback_stream_chunks_played_total', { stream: '1' }) <= l.capture!.in.chunks);
    } finally {
      second?.child.kill('SIGKILL');
      await p.stop();
    }
  });

  it('a swap mid-stream (gain → gain at another level): the hand-over copies are the second node\'s extra input and playback\'s merged chunks; nothing missing in transit', async () => {
    const dir = await tempDir();
    const input = await writeTestSignal(join(dir, 'in.wav'), RATE, 6);
    const p = await startPipeline({
      capture: ['--source', 'file', '--files', join(dir, 'in.wav'), '--chunk-frames', String(CHUNK_FRAMES)],
      inference: ['--model', 'gain', '--gain', '1', '--node-id', 'old'],
      playback: ['--output', join(dir, 'out-{stream}.wav')],
    });
    let candidate: StageProcess | undefined;
    try {
      await sleep(2000);
      candidate = startNode(p, 'new', ['--model', 'gain', '--gain', '0.5']);
      await candidate.ready;
      await p.streamEnded(1);
      // The old node drained and exited: only the new one is there to scrape.
      const { ledger: l, capture } = await ledgerOf(p, [candidate]);
      assertStagesBalance(l);
      assert.equal(metric(capture, 'quell_capture_swaps_total', { outcome: 'completed' }), 1);
      const copies = metric(capture, 'quell_capture_stream_handover_copies_total', { stream: '1' });
      assert.ok(copies > 0, 'the crossfade sent chunks to both nodes');
      console.log(`# swap: ${copies} hand-over copies, ${l.playback!.other.chunks} merged in playback; links ${JSON.stringify(l.links)}`);
      assert.equal(l.playback!.other.chunks, copies, 'each second copy merged in playback');
      assert.deepEqual(l.inTransit, { chunks: 0, frames: 0 });
      assert.deepEqual(l.capture!.dropped, { chunks: 0, frames: 0 });
      assert.deepEqual(l.playback!.out, { chunks: chunksFor(input.length), frames: input.length });
      assert.equal((await readWav(join(dir, 'out-1.wav'))).frameCount, input.length);
    } finally {
      candidate?.child.kill('SIGKILL');
      await p.stop();
    }
  });

  it('--fast (capture unpaced, inference blocking): nothing dropped anywhere, every link balanced', async () => {
    const dir = await tempDir();
    const input = await writeTestSignal(join(dir, 'in.wav'), RATE, 20.0031);
    const p = await startPipeline({
      capture: ['--source', 'file', '--files', join(dir, 'in.wav'), '--chunk-frames', String(CHUNK_FRAMES), '--pace', 'fast'],
      inference: ['--model', 'dtln', '--backpressure', 'block'],
      playback: ['--output', join(dir, 'out-{stream}.wav')],
    });
    try {
      await p.streamEnded(1);
      const { ledger: l } = await ledgerOf(p, [p.inference]);
      assert.deepEqual(ledgerImbalances(l), []);
      assertStagesBalance(l);
      for (const stage of ['capture', 'inference', 'playback'] as const) assert.deepEqual(l[stage]!.dropped, { chunks: 0, frames: 0 }, stage);
      assert.deepEqual(l.inTransit, { chunks: 0, frames: 0 });
      assert.equal(l.capture!.in.frames, input.length);
      assert.equal((await readWav(join(dir, 'out-1.wav'))).frameCount, input.length);
    } finally {
      await p.stop();
    }
  });

  it('quell process --fast reports each file\'s ledger balanced, frames in = frames written', async () => {
    const dir = await tempDir();
    const input = await writeTestSignal(join(dir, 'in.wav'), RATE, SECONDS);
    const result = await quell(['process', join(dir, 'in.wav'), join(dir, 'out.wav'), '--fast', '--json', '--model', 'dtln']);
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout) as { framesIn: number; framesWritten: number; results: { input: string; framesIn: number; framesWritten: number; imbalances: string[] }[] };
    assert.equal(summary.framesIn, input.length);
    assert.equal(summary.framesWritten, input.length);
    assert.deepEqual(summary.results.map((f) => f.imbalances), [[]]);
  });
});
