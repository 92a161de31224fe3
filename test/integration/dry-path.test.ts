// The optional dry path (docs/SWAP.md, crash section): capture also sends the
// unprocessed signal to playback, which plays it where the processed signal
// is missing. Real processes, real sockets: a 440 Hz sine through capture
// (dry path on) → inference (gain 0.5, so wet and dry differ by 6 dB) →
// playback (--conceal dry, a realtime-clocked file sink, so the file is what
// a device would have played); kill -9 the inference node mid-run, then
// start a new one.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { StageProcess } from '@quell/cli';
import { readWav } from '@quell/runtime';
import { metric, startPipeline, tempDir } from '../helpers/pipeline.js';
import { freePort } from '../helpers/ports.js';
import { maxStep } from '../helpers/signals.js';

const RATE = 48_000;
const CHUNK = 480;
const FREQUENCY_HZ = 440;
const DRY_AMPLITUDE = 0.4;
const WET_AMPLITUDE = DRY_AMPLITUDE * 0.5;
const LOCAL = ['--metrics-port', '0', '--log-level', 'warn'];

/** Peak of each whole 10 ms block of `x` up to `frames`. */
function blockPeaks(x: Float32Array, frames: number): number[] {
  const peaks: number[] = [];
  for (let b = 0; (b + 1) * CHUNK <= Math.min(frames, x.length); b++) {
    let peak = 0;
    for (let i = b * CHUNK; i < (b + 1) * CHUNK; i++) peak = Math.max(peak, Math.abs(x[i]));
    peaks.push(peak);
  }
  return peaks;
}

const near = (peak: number, amplitude: number): boolean => Math.abs(peak - amplitude) < 0.1 * amplitude;

describe('dry path: kill -9 of the inference node with --conceal dry', { timeout: 90_000 }, () => {
  it('plays the aligned dry signal through the outage with no silence and no click, counts it, and goes back to wet once a new node serves', async () => {
    const dir = await tempDir();
    const endpoint = `tcp://127.0.0.1:${await freePort()}`;
    const output = join(dir, 'out-{stream}.wav');
    const p = await startPipeline({
      capture: ['--source', 'synth', '--synth-frequency-hz', String(FREQUENCY_HZ), '--synth-amplitude', String(DRY_AMPLITUDE), '--synth-duration-s', '0', '--dry-endpoint', endpoint],
      inference: ['--model', 'gain', '--gain', '0.5', '--node-id', 'a'],
      playback: ['--endpoint', endpoint, '--sink', 'file', '--clock', 'realtime', '--output', output, '--conceal', 'dry'],
    });
    let nodeB: StageProcess | undefined;
    try {
      let played = 0;
      for (let i = 0; i < 100 && played < 150; i++) {
        await sleep(100);
        played = metric(await p.scrape('playback'), 'quell_playback_chunks_played_total');
      }
      assert.ok(played >= 150, `playback played ${played} chunks before the kill`);
      const beforeKill = await p.scrape('playback');
      const framesAtKill = metric(beforeKill, 'quell_playback_audio_frames_played_total');
      const dryBeforeKill = metric(beforeKill, 'quell_playback_dry_concealed_chunks_total');
      const concealedBefore = metric(beforeKill, 'quell_playback_gaps_total') + metric(beforeKill, 'quell_playback_underruns_total');
      p.inference.child.kill('SIGKILL');
      await p.inference.exited;
      await sleep(1500);
      const duringOutage = await p.scrape('playback');
      const dryDuring = metric(duringOutage, 'quell_playback_dry_concealed_chunks_total') - dryBeforeKill;
      assert.ok(dryDuring >= 100, `${dryDuring} chunks concealed with dry audio in 1.5 s without inference`);
      assert.ok(metric(duringOutage, 'quell_playback_gaps_total') + metric(duringOutage, 'quell_playback_underruns_total') > concealedBefore, 'the gap in the processed stream is still counted');

      nodeB = new StageProcess('inference', ['--control', String(p.info.capture.control), '--output-endpoint', endpoint, '--node-id', 'b', '--model', 'gain', '--gain', '0.5', ...LOCAL]);
      await nodeB.ready;
      await sleep(1000);
      const dryAfterResume = metric(await p.scrape('playback'), 'quell_playback_dry_concealed_chunks_total');
      await sleep(1000);
      const end = await p.scrape('playback');
      const framesAtEnd = metric(end, 'quell_playback_audio_frames_played_total');
      const dryAtEnd = metric(end, 'quell_playback_dry_concealed_chunks_total');
      assert.ok(dryAtEnd - dryAfterResume <= 3, `wet audio is back: ${dryAtEnd - dryAfterResume} chunks concealed with dry in the last second`);
      assert.ok(metric(end, 'quell_playback_dry_chunks_received_total') > 0);
      assert.equal(metric(end, 'quell_playback_dry_drops_total', { reason: 'format' }), 0);
      assert.equal(metric(end, 'quell_playback_dry_drops_total', { reason: 'disabled' }), 0);
      const capture = await p.scrape('capture');
      assert.ok(metric(capture, 'quell_capture_dry_chunks_sent_total') > 0);
      assert.ok(metric(capture, 'quell_capture_drops_total') > 0, 'capture counted the processed chunks nobody took');

      await nodeB.stop();
      await p.stop();
      const wav = await readWav(output.replace('{stream}', '1'));
      assert.equal(wav.sampleRateHz, RATE);
      const x = wav.samples;
      // Only what had been played by the last scrape: the end of the run (stages stopping together) is not under test.
      const peaks = blockPeaks(x, framesAtEnd);
      const killBlock = Math.floor(framesAtKill / CHUNK);
      const dryBlocks = peaks.filter((peak) => near(peak, DRY_AMPLITUDE)).length;
      const silent = peaks.findIndex((peak) => peak < WET_AMPLITUDE / 2);
      const preKillDry = peaks.slice(0, killBlock).filter((peak) => peak > (WET_AMPLITUDE + DRY_AMPLITUDE) / 2).length;
      const lastSecond = peaks.slice(-100);
      const step = maxStep(x, 1, framesAtEnd);
      const signalStep = DRY_AMPLITUDE * 2 * Math.sin((Math.PI * FREQUENCY_HZ) / RATE);
      console.log(
        `# ${peaks.length} blocks: ${dryBlocks} at the dry amplitude (${dryDuring} dry-concealed in the first 1.5 s of the outage), ` +
          `${preKillDry} loud before the kill (dry-concealed then: ${dryBeforeKill}), max step ${step.toFixed(4)} vs the dry sine's ${signalStep.toFixed(4)}`,
      );
      assert.equal(silent, -1, `no silence: block ${silent} peaks at ${peaks[silent]}`);
      assert.ok(dryBlocks >= 100, `${dryBlocks} blocks at the dry amplitude`);
      assert.ok(preKillDry <= dryBeforeKill + 2, 'dry audio before the kill only where a wet chunk was missing');
      assert.ok(lastSecond.every((peak) => near(peak, WET_AMPLITUDE)), `wet audio again in the last second: peaks ${Math.min(...lastSecond)}..${Math.max(...lastSecond)}`);
      assert.ok(step <= signalStep * 1.0001, `no click: max step ${step} vs the sine's own ${signalStep}`);
    } finally {
      await nodeB?.stop();
      await p.stop();
    }
  });
});
