import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { StageProcess } from '@quell/cli';
import { readWav, RETIRED_EXIT_CODE, sumSamples, writeWav } from '@quell/runtime';
import { resampleWhole, testAudio } from '../helpers/audio-fixtures.js';
import { metric, startPipeline, tempDir, type RunningPipeline } from '../helpers/pipeline.js';
import { killQuietly, quell } from '../helpers/run.js';
import { maxStep } from '../helpers/signals.js';

const RATE = 48_000;
const LOCAL = ['--metrics-port', '0', '--log-level', 'warn'];

/** A sine WAV of `seconds` at 48 kHz; returns its path and samples. */
async function sineFile(dir: string, seconds: number, frequencyHz = 440, amplitude = 0.5): Promise<{ path: string; samples: Float32Array }> {
  const samples = new Float32Array(Math.round(RATE * seconds));
  for (let i = 0; i < samples.length; i++) samples[i] = amplitude * Math.sin((2 * Math.PI * frequencyHz * i) / RATE);
  const path = join(dir, 'sine.wav');
  await writeWav(path, samples, RATE, 1, 'float32');
  return { path, samples };
}

/** Starts another inference node beside the pipeline's; its `ready` resolves once it serves (the swap completed). */
function startNode(p: RunningPipeline, nodeId: string, args: string[]): StageProcess {
  return new StageProcess('inference', ['--control', String(p.info.capture.control), '--output-endpoint', String(p.info.playback.endpoint), '--node-id', nodeId, ...LOCAL, ...args]);
}

interface SwapJson {
  outcome: string;
  from: string;
  to: string;
  reason: string;
  durationS: number;
  pid: number;
  status: { streams: { stream: number; node: string; model: string }[] } | null;
}

async function swapCli(p: RunningPipeline, args: string[], dir: string): Promise<{ code: number | null; result: SwapJson; stderr: string }> {
  const run = await quell(['swap', '--control', String(p.info.capture.control), '--log-dir', join(dir, 'logs'), '--json', ...args], { timeoutMs: 60_000 });
  const line = run.stdout.trim().split('\n').at(-1) ?? '{}';
  return { code: run.code, result: JSON.parse(line) as SwapJson, stderr: run.stderr };
}

/** Largest step within ±`radius` frames of each index in `at`, and the largest step elsewhere. */
function seamSteps(x: Float32Array, at: number[], radius: number): { seam: number; elsewhere: number } {
  const near = new Uint8Array(x.length);
  for (const a of at) for (let i = Math.max(0, a - radius); i < Math.min(x.length, a + radius); i++) near[i] = 1;
  let seam = 0;
  let elsewhere = 0;
  for (let i = 1; i < x.length; i++) {
    const step = Math.abs(x[i] - x[i - 1]);
    if (near[i]) seam = Math.max(seam, step);
    else elsewhere = Math.max(elsewhere, step);
  }
  return { seam, elsewhere };
}

describe('inference swap (hand-over)', { timeout: 240_000 }, () => {
  it('quell swap passthrough → gain mid-stream: no gap, no duplicate, the seam steps no more than the sine; the old node drains and exits as retired (3)', async () => {
    const dir = await tempDir();
    const input = await sineFile(dir, 6);
    const p = await startPipeline({
      capture: ['--source', 'file', '--files', input.path, '--chunk-frames', '480'],
      inference: ['--model', 'passthrough', '--node-id', 'old-passthrough'],
      playback: ['--output', join(dir, 'out-{stream}.wav')],
    });
    let pid = 0;
    try {
      await sleep(2000);
      const swap = await swapCli(p, ['--model', 'gain', '--node-id', 'new-gain'], dir);
      pid = swap.result.pid;
      assert.equal(swap.code, 0, `${swap.result.reason} ${swap.stderr}`);
      assert.equal(swap.result.outcome, 'completed');
      assert.equal(swap.result.from, 'old-passthrough');
      assert.deepEqual(swap.result.status?.streams.map((s) => [s.stream, s.node, s.model]), [[1, 'new-gain', 'gain']]);
      assert.equal(await p.inference.exited, RETIRED_EXIT_CODE, 'the old node drained and exited as retired');
      const end = await p.streamEnded(1);
      const [cap, pb] = await Promise.all([p.scrape('capture'), p.scrape('playback')]);
      assert.equal(end.gaps, 0);
      assert.equal(end.framesPlayed, input.samples.length);
      assert.equal(metric(pb, 'quell_playback_drops_total'), 0, 'no late, duplicate or resync drop');
      assert.equal(metric(pb, 'quell_playback_crossfades_total'), 5);
      assert.equal(metric(cap, 'quell_capture_drops_total'), 0);
      assert.equal(metric(cap, 'quell_capture_swaps_total', { outcome: 'completed' }), 1);
      const out = (await readWav(join(dir, 'out-1.wav'))).samples;
      assert.equal(out.length, input.samples.length);
      // Where the level changes from 0.5 to 0.25 is the seam.
      const seamAt = out.findIndex((_, i) => i > RATE && Math.abs(out[i]) < 0.2 && Math.abs(out[i]) > 0 && Math.max(...Array.from(out.subarray(i, i + 200), Math.abs)) < 0.26);
      assert.ok(seamAt > RATE, `seam found at ${seamAt}`);
      const signalStep = maxStep(input.samples);
      const { seam, elsewhere } = seamSteps(out, [seamAt], 4800);
      console.log(`# seam at frame ${seamAt}: max step ${seam.toFixed(5)} near the seam, ${elsewhere.toFixed(5)} elsewhere, sine ${signalStep.toFixed(5)}; swap ${swap.result.durationS.toFixed(3)} s`);
      assert.ok(seam <= elsewhere * 1.0001, `seam step ${seam} > ${elsewhere}`);
      assert.ok(maxStep(out) <= signalStep * 1.0001);
    } finally {
      killQuietly(pid);
      await p.stop();
    }
  });

  it('speech through DTLN swapped to GTCRN: no gap, and no step at the seam larger than in the rest of the output', async () => {
    const dir = await tempDir();
    const speech = await testAudio('gtcrn_enh_stream_16k.wav');
    const path = join(dir, 'speech.wav');
    await writeWav(path, speech.samples, speech.sampleRateHz, 1, 'float32');
    const p = await startPipeline({
      capture: ['--source', 'file', '--files', path],
      inference: ['--model', 'dtln', '--node-id', 'old-dtln'],
      playback: ['--output', join(dir, 'out-{stream}.wav')],
    });
    let pid = 0;
    try {
      await sleep(3000);
      const swap = await swapCli(p, ['--model', 'gtcrn', '--node-id', 'new-gtcrn'], dir);
      pid = swap.result.pid;
      assert.equal(swap.code, 0, `${swap.result.reason} ${swap.stderr}`);
      assert.equal(swap.result.status?.streams[0]?.model, 'gtcrn');
      const end = await p.streamEnded(1);
      const pb = await p.scrape('playback');
      assert.equal(end.gaps, 0);
      assert.equal(metric(pb, 'quell_playback_drops_total'), 0);
      assert.equal(metric(pb, 'quell_playback_crossfades_total'), 5);
      const out = (await readWav(join(dir, 'out-1.wav'))).samples;
      assert.equal(out.length, speech.samples.length);
      // The crossfade's place: capture switched at ~3 s plus the swap time; search the whole middle for the worst step instead of guessing.
      const seamFrom = Math.round(2.5 * speech.sampleRateHz);
      const seamTo = Math.round((3.5 + swap.result.durationS + 1) * speech.sampleRateHz);
      const seam = maxStep(out, seamFrom, seamTo);
      const before = maxStep(out, 1, seamFrom);
      const after = maxStep(out, seamTo);
      console.log(`# dtln → gtcrn: max step ${seam.toFixed(4)} around the seam, ${before.toFixed(4)} before, ${after.toFixed(4)} after; swap ${swap.result.durationS.toFixed(3)} s`);
      assert.ok(seam <= Math.max(before, after), `seam step ${seam} > signal steps ${before}, ${after}`);
    } finally {
      killQuietly(pid);
      await p.stop();
    }
  });

  it('16 kHz DTLN swapped to 48 kHz DeepFilterNet3 (different native rate and latency): no gap, no seam step larger than the signal', async () => {
    const dir = await tempDir();
    const speech = await testAudio('gtcrn_enh_stream_16k.wav');
    const speech48 = resampleWhole(speech.samples, speech.sampleRateHz, RATE);
    const path = join(dir, 'speech48.wav');
    await writeWav(path, speech48, RATE, 1, 'float32');
    const p = await startPipeline({
      capture: ['--source', 'file', '--files', path],
      inference: ['--model', 'dtln', '--node-id', 'old-dtln'],
      playback: ['--output', join(dir, 'out-{stream}.wav')],
    });
    let pid = 0;
    try {
      await sleep(3000);
      const swap = await swapCli(p, ['--model', 'deepfilternet3', '--node-id', 'new-dfn3'], dir);
      pid = swap.result.pid;
      assert.equal(swap.code, 0, `${swap.result.reason} ${swap.stderr}`);
      assert.equal(swap.result.status?.streams[0]?.model, 'deepfilternet3');
      const end = await p.streamEnded(1);
      assert.equal(end.gaps, 0);
      const out = (await readWav(join(dir, 'out-1.wav'))).samples;
      const seamFrom = Math.round(2.5 * RATE);
      const seamTo = Math.round((3.5 + swap.result.durationS + 1) * RATE);
      const seam = maxStep(out, seamFrom, seamTo);
      const before = maxStep(out, 1, seamFrom);
      const after = maxStep(out, seamTo);
      console.log(`# dtln (16 kHz) → deepfilternet3 (48 kHz): max step ${seam.toFixed(4)} around the seam, ${before.toFixed(4)} before, ${after.toFixed(4)} after; swap ${swap.result.durationS.toFixed(3)} s`);
      assert.ok(seam <= Math.max(before, after), `seam step ${seam} > signal steps ${before}, ${after}`);
    } finally {
      killQuietly(pid);
      await p.stop();
    }
  });

  it('a failing candidate (model missing) is rolled back with the reason, exit code 1, and nothing is lost', async () => {
    const dir = await tempDir();
    const input = await sineFile(dir, 4);
    const p = await startPipeline({
      capture: ['--source', 'file', '--files', input.path, '--chunk-frames', '480'],
      inference: ['--model', 'passthrough', '--node-id', 'keeper'],
      playback: ['--output', join(dir, 'out-{stream}.wav')],
    });
    try {
      await sleep(1000);
      const swap = await swapCli(p, ['--model', 'dtln', '--model-dir', '/nonexistent'], dir);
      assert.equal(swap.code, 1);
      assert.equal(swap.result.outcome, 'rolled-back');
      assert.match(swap.result.reason, /exited with code 2.*(model|dtln)/i);
      assert.deepEqual(swap.result.status?.streams.map((s) => s.node), ['keeper']);
      const end = await p.streamEnded(1);
      assert.equal(end.gaps, 0);
      assert.equal(end.framesPlayed, input.samples.length);
      const out = (await readWav(join(dir, 'out-1.wav'))).samples;
      assert.ok(out.every((x, i) => x === input.samples[i]), 'output is the input, untouched');
    } finally {
      await p.stop();
    }
  });

  it('a candidate SIGSTOPped during its hand-over is rolled back after the node timeout; the old node keeps the stream, zero lost frames', async () => {
    const dir = await tempDir();
    const input = await sineFile(dir, 6);
    const p = await startPipeline({
      // A 100-chunk crossfade keeps the swap open long enough to stop the candidate in the middle of it.
      capture: ['--source', 'file', '--files', input.path, '--chunk-frames', '480', '--fade-chunks', '100'],
      inference: ['--model', 'passthrough', '--node-id', 'keeper'],
      playback: ['--output', join(dir, 'out-{stream}.wav')],
    });
    let candidate: StageProcess | null = null;
    try {
      await sleep(1500);
      candidate = startNode(p, 'frozen', ['--model', 'gain', '--gain', '1']);
      const started = performance.now();
      let seen = false;
      while (!seen && performance.now() - started < 10_000) {
        const cap = await p.scrape('capture');
        seen = metric(cap, 'quell_capture_inference_nodes', { role: 'candidate' }) === 1;
        if (!seen) await sleep(20);
      }
      assert.ok(seen, 'the candidate registered');
      candidate.child.kill('SIGSTOP');
      void candidate.ready.catch(() => undefined);
      let cap = await p.scrape('capture');
      for (let i = 0; i < 80 && metric(cap, 'quell_capture_swaps_total', { outcome: 'rolled-back' }) === 0; i++) {
        await sleep(50);
        cap = await p.scrape('capture');
      }
      assert.equal(metric(cap, 'quell_capture_swaps_total', { outcome: 'rolled-back' }), 1);
      assert.equal(metric(cap, 'quell_capture_swaps_total', { outcome: 'completed' }), 0);
      const end = await p.streamEnded(1);
      assert.equal(end.gaps, 0);
      assert.equal(end.framesPlayed, input.samples.length);
      const out = (await readWav(join(dir, 'out-1.wav'))).samples;
      assert.ok(maxStep(out) <= maxStep(input.samples) * 1.0001, 'no step from the rollback');
    } finally {
      candidate?.child.kill('SIGKILL');
      await p.stop();
    }
  });

  it('20 swaps in a row during a 60 s stream: zero lost frames, every swap in the metrics', { timeout: 180_000 }, async () => {
    const dir = await tempDir();
    const input = await sineFile(dir, 60, 220);
    const p = await startPipeline({
      capture: ['--source', 'file', '--files', input.path, '--chunk-frames', '480'],
      inference: ['--model', 'gain', '--gain', '1', '--node-id', 'node-0'],
      playback: ['--output', join(dir, 'out-{stream}.wav')],
    });
    const nodes: StageProcess[] = [p.inference];
    const durations: number[] = [];
    try {
      for (let i = 1; i <= 20; i++) {
        const started = performance.now();
        // Alternate the level so each seam is a real crossfade between different outputs.
        const node = startNode(p, `node-${i}`, ['--model', 'gain', '--gain', i % 2 === 0 ? '1' : '0.5']);
        nodes.push(node);
        await node.ready;
        assert.equal(await nodes[i - 1].exited, RETIRED_EXIT_CODE, `node-${i - 1} drained and exited as retired`);
        durations.push((performance.now() - started) / 1000);
        await sleep(Math.max(0, 2500 - (performance.now() - started)));
      }
      const end = await p.streamEnded(1);
      const [cap, pb] = await Promise.all([p.scrape('capture'), p.scrape('playback')]);
      console.log(`# 20 swaps: node start to serving ${Math.min(...durations).toFixed(2)}…${Math.max(...durations).toFixed(2)} s; capture swap duration sum ${sumSamples(cap, 'quell_capture_swap_duration_seconds_sum').toFixed(2)} s`);
      assert.equal(metric(cap, 'quell_capture_swaps_total', { outcome: 'completed' }), 20);
      assert.equal(metric(cap, 'quell_capture_swaps_total', { outcome: 'rolled-back' }), 0);
      assert.equal(sumSamples(cap, 'quell_capture_swap_duration_seconds_count'), 20);
      assert.equal(metric(cap, 'quell_capture_drops_total'), 0);
      assert.equal(end.gaps, 0);
      assert.equal(end.framesPlayed, input.samples.length);
      assert.equal(metric(pb, 'quell_playback_drops_total'), 0);
      assert.equal(metric(pb, 'quell_playback_crossfades_total'), 100);
      const out = (await readWav(join(dir, 'out-1.wav'))).samples;
      assert.equal(out.length, input.samples.length);
      assert.ok(maxStep(out) <= maxStep(input.samples) * 1.0001, 'no seam steps more than the sine');
    } finally {
      for (const n of nodes) n.child.kill('SIGKILL');
      await p.stop();
    }
  });
});
