import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { StageProcess } from '@quell/cli';
import { readWav, sumSamples, type MetricSample } from '@quell/runtime';
import { metric, startPipeline, tempDir } from '../helpers/pipeline.js';
import { quell } from '../helpers/run.js';
import { Pm2Pipeline } from '../helpers/pm2-pipeline.js';

const RATE = 48_000;
const SECONDS = 14;
const AMPLITUDE = 0.25;
const FREQUENCY_HZ = 440;
const GAIN = 0.5;

/** Largest difference between `out` and the synth's sine times the gain (crossfades of two equal gains mix equal signals). */
function offGainedSine(out: Float32Array): number {
  let worst = 0;
  for (let k = 0; k < out.length; k++) {
    const expected = GAIN * AMPLITUDE * Math.sin(((2 * Math.PI) / RATE) * ((FREQUENCY_HZ * k) % RATE));
    worst = Math.max(worst, Math.abs(out[k] - expected));
  }
  return worst;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The node id (host:pid) in a scrape of the inference port: which worker answered. */
function answeringNode(m: MetricSample[]): string {
  return m.find((s) => s.name === 'quell_inference_model_info')?.labels.node ?? '?';
}

/**
 * Runs one pm2 reload command while scraping the shared inference metrics
 * port every 50 ms; returns how long the command took, which nodes answered
 * (in order of first answer) and how many scrapes got no answer.
 */
async function reloadWatching(p: Pm2Pipeline, args: string[]): Promise<{ ms: number; code: number | null; stderr: string; answered: string[]; unanswered: number }> {
  const answered: string[] = [];
  let unanswered = 0;
  let reloading = true;
  const watch = (async () => {
    while (reloading) {
      const m = await p.scrape('inference', 2000);
      if (!m) unanswered++;
      else if (!answered.includes(answeringNode(m))) answered.push(answeringNode(m));
      await sleep(50);
    }
  })();
  const started = performance.now();
  const r = await p.pm2('reload', ...args);
  const ms = performance.now() - started;
  // The old worker is stopped when the command returns; a few more scrapes show who answers now.
  await sleep(300);
  reloading = false;
  await watch;
  return { ms, code: r.code, stderr: r.stderr, answered, unanswered };
}

describe('pm2 reload of the inference app', { timeout: 180_000 }, () => {
  it('hands the stream to the new worker twice with no gap, no duplicate, nothing concealed; the pid changes, the metrics port always answers', async () => {
    const dir = await tempDir();
    // A file sink plays what arrives (no playout clock), so any missing or doubled chunk shows in the output itself.
    const p = await Pm2Pipeline.start(dir, 'gain', {
      QUELL_CAPTURE_SYNTH_DURATION_S: String(SECONDS),
      QUELL_CAPTURE_SYNTH_AMPLITUDE: String(AMPLITUDE),
      QUELL_CAPTURE_SYNTH_FREQUENCY_HZ: String(FREQUENCY_HZ),
      QUELL_INFERENCE_GAIN: String(GAIN),
      QUELL_PLAYBACK_SINK: 'file',
      QUELL_PLAYBACK_CLOCK: 'arrival',
    });
    try {
      const before = await p.apps();
      const pids = [before.get('inference')!.pid];
      const reloads = [['quell-inference'], ['ecosystem.config.js', '--only', 'quell-inference']];
      for (const args of reloads) {
        const pb = await p.scrape('playback');
        assert.equal(pb && sumSamples(pb, 'quell_playback_streams_active'), 1, 'the stream is still live when the reload starts');
        const r = await reloadWatching(p, args);
        assert.equal(r.code, 0, r.stderr);
        const pid = (await p.apps()).get('inference')!.pid;
        console.log(`# pm2 reload ${args.join(' ')}: ${r.ms.toFixed(0)} ms; pid ${pids.at(-1)} → ${pid}; metrics port answered by ${r.answered.join(' then ')}, ${r.unanswered} scrapes unanswered`);
        assert.notEqual(pid, pids.at(-1), 'a new inference process serves');
        assert.equal(alive(pids.at(-1)!), false, 'the old inference process is gone');
        assert.equal(r.unanswered, 0, 'the shared metrics port answered every scrape during the reload');
        assert.equal(r.answered.at(-1)?.endsWith(`:${pid}`), true, `the new worker answers on the metrics port (${r.answered.join(', ')})`);
        pids.push(pid);
        await sleep(1500);
      }
      // Wait for the stream's end (capture's last chunk, flagged end-of-stream): playback then closes the WAV.
      const frames = SECONDS * RATE;
      let pb: MetricSample[] | null = null;
      for (let i = 0; i < 200; i++) {
        pb = await p.scrape('playback');
        if (pb && sumSamples(pb, 'quell_playback_audio_frames_played_total') >= frames && sumSamples(pb, 'quell_playback_streams_active') === 0) break;
        await sleep(100);
      }
      assert.ok(pb, 'playback answers');
      const cap = await p.scrape('capture');
      assert.ok(cap, 'capture answers');
      assert.equal(sumSamples(cap, 'quell_capture_swaps_total', { outcome: 'completed' }), 2, 'each reload was a hand-over');
      assert.equal(sumSamples(cap, 'quell_capture_swaps_total', { outcome: 'rolled-back' }), 0);
      assert.equal(sumSamples(cap, 'quell_capture_drops_total'), 0, 'capture dropped nothing');
      console.log(`# capture: hello to hand-over done ${sumSamples(cap, 'quell_capture_swap_duration_seconds_sum').toFixed(3)} s for both reloads`);
      assert.equal(sumSamples(pb, 'quell_playback_gaps_total'), 0, 'no seq missing');
      assert.equal(sumSamples(pb, 'quell_playback_underruns_total'), 0, 'nothing concealed');
      assert.equal(sumSamples(pb, 'quell_playback_drops_total', { reason: 'duplicate' }), 0, 'no seq played twice');
      assert.equal(sumSamples(pb, 'quell_playback_drops_total'), 0, 'playback discarded nothing');
      assert.equal(sumSamples(pb, 'quell_playback_crossfades_total'), 10, 'two 5-chunk crossfades');
      assert.equal(sumSamples(pb, 'quell_playback_audio_frames_played_total'), frames);
      const apps = await p.apps();
      for (const stage of ['capture', 'playback']) assert.equal(apps.get(stage)!.pid, before.get(stage)!.pid, `${stage} untouched`);
      assert.equal(apps.get('inference')!.pm2_env.status, 'online');
      // Both workers run the same gain: the output is the synth's sine times the gain, every frame of it, once.
      const out = (await readWav(join(p.env.QUELL_PLAYBACK_OUTPUT!.replace('{stream}', '1')))).samples;
      assert.equal(out.length, frames, 'every frame once');
      const off = offGainedSine(out);
      assert.ok(off < 1e-5, `output differs from the gained sine by up to ${off}`);
    } finally {
      await p.close();
    }
  });

  it('an old node stopped (SIGINT, as pm2 sends) while its hand-over is still running keeps serving until the crossfade is done', async () => {
    const dir = await tempDir();
    const seconds = 8;
    // An 80-chunk (0.8 s) crossfade outlasts the old shutdown's 0.6 s wait for quiet input: the old node must wait for capture's drain.
    const fadeChunks = 80;
    const p = await startPipeline({
      capture: ['--source', 'synth', '--synth-duration-s', String(seconds), '--synth-amplitude', String(AMPLITUDE), '--synth-frequency-hz', String(FREQUENCY_HZ), '--fade-chunks', String(fadeChunks)],
      inference: ['--model', 'gain', '--gain', String(GAIN), '--node-id', 'old'],
      playback: ['--output', join(dir, 'out-{stream}.wav')],
    });
    let candidate: StageProcess | null = null;
    try {
      await sleep(1500);
      candidate = new StageProcess('inference', ['--control', String(p.info.capture.control), '--output-endpoint', String(p.info.playback.endpoint), '--node-id', 'new', '--metrics-port', '0', '--log-level', 'warn', '--model', 'gain', '--gain', String(GAIN)]);
      let registered = false;
      for (let i = 0; i < 1000 && !registered; i++) {
        registered = metric(await p.scrape('capture'), 'quell_capture_inference_nodes', { role: 'candidate' }) === 1;
        if (!registered) await sleep(10);
      }
      assert.ok(registered, 'the candidate registered');
      p.inference.child.kill('SIGINT');
      await candidate.ready;
      assert.equal(await p.inference.exited, 0, 'the old node drained and exited 0');
      const end = await p.streamEnded(1);
      const [cap, pb] = await Promise.all([p.scrape('capture'), p.scrape('playback')]);
      assert.equal(metric(cap, 'quell_capture_swaps_total', { outcome: 'completed' }), 1);
      assert.equal(metric(cap, 'quell_capture_drops_total'), 0);
      assert.equal(end.gaps, 0);
      assert.equal(end.framesPlayed, seconds * RATE);
      assert.equal(metric(pb, 'quell_playback_drops_total'), 0, 'no late, duplicate or resync drop');
      assert.equal(metric(pb, 'quell_playback_crossfades_total'), fadeChunks, 'the old node served through the whole crossfade');
      const out = (await readWav(join(dir, 'out-1.wav'))).samples;
      assert.equal(out.length, seconds * RATE);
      const off = offGainedSine(out);
      assert.ok(off < 1e-5, `output differs from the gained sine by up to ${off}`);
    } finally {
      candidate?.child.kill('SIGKILL');
      await p.stop();
    }
  });

  it('quell swap next to a pm2-run node: the retired node exits 3 and pm2 leaves it stopped, so the streams stay on the new node', async () => {
    const dir = await tempDir();
    const p = await Pm2Pipeline.start(dir, 'passthrough');
    let newPid = 0;
    try {
      const controlPort = /:(\d+)$/.exec(String(p.env.QUELL_CAPTURE_CONTROL))?.[1];
      assert.ok(controlPort, `control endpoint in ${p.env.QUELL_CAPTURE_CONTROL}`);
      const swap = await quell(['swap', '--control', `tcp://127.0.0.1:${controlPort}`, '--model', 'gain', '--node-id', 'swapped-in', '--log-dir', join(dir, 'logs'), '--json'], { timeoutMs: 60_000 });
      const result = JSON.parse(swap.stdout.trim().split('\n').at(-1) ?? '{}') as { outcome?: string; pid?: number };
      assert.equal(result.outcome, 'completed', swap.stdout + swap.stderr);
      newPid = result.pid ?? 0;
      // Long enough for pm2 to have restarted the old node (and for a restarted node to take the streams back).
      await sleep(3000);
      const app = (await p.apps()).get('inference')!;
      assert.equal(app.pm2_env.restart_time, 0, 'pm2 did not restart the retired node');
      assert.notEqual(app.pm2_env.status, 'online');
      const cap = await p.scrape('capture');
      assert.ok(cap);
      const serving = cap.filter((s) => s.name === 'quell_capture_stream_node_info' && s.value === 1).map((s) => s.labels.node);
      assert.deepEqual(serving, ['swapped-in'], 'the stream stays on the swapped-in node');
      assert.equal(sumSamples(cap, 'quell_capture_swaps_total', { outcome: 'completed' }), 1, 'no swap back');
    } finally {
      // Gone already when the test failed because the streams were taken back (the new node then retired).
      if (newPid && alive(newPid)) process.kill(newPid, 'SIGTERM');
      await p.close();
    }
  });
});
