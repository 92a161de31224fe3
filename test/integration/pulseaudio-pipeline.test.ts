import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { sumSamples, writeWav } from '@quell/runtime';
import { alignedNcc, ensureTestPulse, makeTones, pactl, recordSource } from '@quell/runtime/testing';
import { segmentNcc, waitForPlayback, waitForSettled } from '../helpers/device-pipeline.js';
import { startPipeline, tempDir, type RunningPipeline } from '../helpers/pipeline.js';
import { freePort } from '../helpers/ports.js';
import { HostStallWatch } from '../helpers/host-stall.js';
import { maxStep, silentRuns } from '../helpers/signals.js';
import { run } from '../helpers/run.js';

const RATE_HZ = 48_000;
// Sinks of this run only: other test runs may use the shared quell_test_in/out of the same daemon at the same time.
const SINK_IN = `quell_it_${process.pid}_in`;
const SINK_OUT = `quell_it_${process.pid}_out`;
// The dry-path test's own output sink, so its kill -9 leaves nothing behind on the others.
const SINK_DRY = `quell_it_${process.pid}_dry`;

/**
 * Capture from this run's input sink's monitor → passthrough → playback on its output sink (through ALSA 'pulse').
 * Start a low-latency recorder on the input monitor first: an idle null sink otherwise renders up to 2 s
 * ahead and hands its monitor's recorders that audio in bursts (and a 2 s stall when a player connects and it
 * rewinds), which real devices never do.
 */
function startDevicePipeline(playbackArgs: string[] = []): Promise<RunningPipeline> {
  process.env.PULSE_SINK = SINK_OUT;
  // Niceness -10, as ecosystem.config.js runs the stages: the device clock does not wait for a busy machine.
  const priority = '--priority=-10';
  return startPipeline({
    capture: ['--source', 'device', '--pulse-source', `${SINK_IN}.monitor`, '--device-channels', '2', priority],
    inference: ['--model', 'passthrough', priority],
    playback: ['--sink', 'device', '--device', 'pulse', priority, ...playbackArgs],
  });
}

function metric(samples: Awaited<ReturnType<RunningPipeline['scrape']>>, name: string): number {
  return sumSamples(samples, name);
}

describe('devices through PulseAudio', () => {
  let dir = '';
  const modules: string[] = [];
  before(async () => {
    await ensureTestPulse();
    dir = await tempDir('quell-pulse-');
    for (const name of [SINK_IN, SINK_OUT, SINK_DRY]) {
      modules.push((await pactl('load-module', 'module-null-sink', `sink_name=${name}`, `rate=${RATE_HZ}`, 'format=float32le', 'channels=2')).trim());
    }
  });
  after(async () => {
    delete process.env.PULSE_SINK;
    for (const id of modules) await pactl('unload-module', id).catch(() => undefined);
  });

  it('a signal played into a null sink comes out of another through capture → passthrough → playback (NCC >= 0.95)', { timeout: 120_000 }, async (t) => {
    const reference = makeTones([440, 1000], 2000, RATE_HZ);
    const wavPath = join(dir, 'tones.wav');
    await writeWav(wavPath, reference, RATE_HZ, 1);
    // Both monitors recorded by the same kind of recorder: the lag between the two recordings is the
    // device-to-device latency of the pipeline.
    const input = recordSource(`${SINK_IN}.monitor`, RATE_HZ);
    // A fixed target: a moving one makes the corrector trim the ratio for a while, which time-stretches the tones
    // by a few hundred ppm, inaudible but enough to blur a 2 s correlation.
    const p = await startDevicePipeline(['--target-min-ms', '50', '--target-max-ms', '50']);
    try {
      await waitForPlayback(p);
      const output = recordSource(`${SINK_OUT}.monitor`, RATE_HZ);
      await waitForSettled(p);
      await run('paplay', [`--device=${SINK_IN}`, wavPath], { timeoutMs: 10_000 });
      await sleep(1000);
      const [recIn, recOut] = await Promise.all([input.stop(), output.stop()]);
      // Within 5 ms of the onsets: 440 + 1 000 Hz repeat every 25 ms, so a wider search can land whole periods off.
      const { ncc: globalNcc, lagFrames } = alignedNcc(reference, recOut, 240);
      const ncc = segmentNcc(reference, recOut, lagFrames, RATE_HZ);
      const inAt = alignedNcc(reference, recIn, 240);
      const latencyMs = output.startMs + (lagFrames / RATE_HZ) * 1000 - (input.startMs + (inAt.lagFrames / RATE_HZ) * 1000);
      const pb = await p.scrape('playback');
      t.diagnostic(`NCC ${ncc.toFixed(4)} (worst 250 ms segment; one global alignment ${globalNcc.toFixed(4)}; input monitor ${inAt.ncc.toFixed(4)}); end-to-end device latency ${latencyMs.toFixed(1)} ms`);
      t.diagnostic(`playback level ${(metric(pb, 'quell_playback_device_buffer_level_seconds') * 1e3).toFixed(1)} ms, target ${(metric(pb, 'quell_playback_device_buffer_target_seconds') * 1e3).toFixed(1)} ms, trim ${metric(pb, 'quell_playback_drift_trim_ppm').toFixed(1)} ppm`);
      assert.ok(inAt.ncc >= 0.95, `input monitor NCC ${inAt.ncc}`);
      assert.ok(ncc >= 0.95, `NCC ${ncc} < 0.95`);
      assert.ok(latencyMs > 0 && latencyMs < 500, `latency ${latencyMs} ms`);
    } finally {
      await p.stop();
      await input.stop();
    }
  });

  it('a missing device is an error counted and retried with backoff: the stages stay up and serve metrics', { timeout: 60_000 }, async () => {
    const p = await startPipeline({
      capture: ['--source', 'device', '--device', 'no-such-device-quell'],
      inference: ['--model', 'passthrough'],
      playback: ['--sink', 'device', '--device', 'no-such-device-quell'],
    });
    try {
      await sleep(2500);
      const [cap, pb] = await Promise.all([p.scrape('capture'), p.scrape('playback')]);
      // 100, 200, 400, 800 ms... between attempts: a few in 2.5 s, not hundreds.
      const captureErrors = metric(cap, 'quell_capture_device_errors_total');
      const playbackErrors = metric(pb, 'quell_playback_device_errors_total');
      assert.ok(captureErrors >= 2 && captureErrors <= 8, `capture device errors ${captureErrors}`);
      assert.ok(playbackErrors >= 2 && playbackErrors <= 8, `playback device errors ${playbackErrors}`);
      assert.equal(p.capture.child.exitCode, null, 'capture still running');
      assert.equal(p.playback.child.exitCode, null, 'playback still running');
    } finally {
      await p.stop();
    }
  });

  it('runs 3 minutes in real time: no drops, at most 1 underrun, bounded buffer depth', { timeout: 300_000 }, async (t) => {
    const durationS = Number(process.env.QUELL_TEST_LONG_RUN_S ?? 180);
    const input = recordSource(`${SINK_IN}.monitor`, RATE_HZ);
    // And one on the output, as an app records the virtual microphone: a null sink nobody records renders 2 s of
    // silence ahead whenever its one player misses a deadline, and takes nothing for those 2 s (a real device
    // does not; the hostile-device test covers that stall). Recorded from before playback starts (see above).
    const output = recordSource(`${SINK_OUT}.monitor`, RATE_HZ);
    const p = await startDevicePipeline();
    // A steady tone into the input sink for the whole run.
    const wavPath = join(dir, 'long.wav');
    await writeWav(wavPath, makeTones([440], (durationS + 10) * 1000, RATE_HZ, 0.2), RATE_HZ, 1);
    const player = spawn('paplay', [`--device=${SINK_IN}`, wavPath]);
    // A stall of the whole machine, which a real-time test cannot blame on the system under test.
    const hostStalls = new HostStallWatch();
    try {
      await waitForPlayback(p);
      await sleep(2000);
      const read = async () => {
        const [cap, inf, pb] = await Promise.all([p.scrape('capture'), p.scrape('inference'), p.scrape('playback')]);
        return {
          drops: metric(cap, 'quell_capture_drops_total') + metric(inf, 'quell_inference_drops_total') + metric(pb, 'quell_playback_drops_total'),
          underruns: metric(pb, 'quell_playback_underruns_total') + metric(pb, 'quell_playback_device_underruns_total'),
          stalls: metric(pb, 'quell_playback_device_stalls_total'),
          stalledMs: metric(pb, 'quell_playback_device_stalled_seconds_total') * 1e3,
          overflows: metric(pb, 'quell_playback_device_overflows_total'),
          levelMs: metric(pb, 'quell_playback_device_buffer_level_seconds') * 1e3,
          depth: metric(pb, 'quell_playback_jitter_buffer_depth_chunks'),
          targetMs: metric(pb, 'quell_playback_device_buffer_target_seconds') * 1e3,
          lagMs: metric(pb, 'nodejs_eventloop_lag_max_seconds') * 1e3,
          // Where a burst came from, when a window fails: chunks through each stage, device reopens, node failures.
          ledger: {
            captureRead: metric(cap, 'quell_capture_stream_chunks_read_total'),
            captureSent: metric(cap, 'quell_capture_chunks_sent_total'),
            captureOverflows: metric(cap, 'quell_capture_device_overflows_total'),
            captureReopens: metric(cap, 'quell_capture_device_reopens_total'),
            nodeFailures: metric(cap, 'quell_capture_node_failures_total'),
            inferenceReceived: metric(inf, 'quell_inference_chunks_received_total'),
            inferenceSent: metric(inf, 'quell_inference_chunks_sent_total'),
            playbackReceived: metric(pb, 'quell_playback_chunks_received_total'),
            playbackPlayed: metric(pb, 'quell_playback_chunks_played_total'),
            playbackReopens: metric(pb, 'quell_playback_device_reopens_total'),
            captureLagMs: metric(cap, 'nodejs_eventloop_lag_max_seconds') * 1e3,
            inferenceLagMs: metric(inf, 'nodejs_eventloop_lag_max_seconds') * 1e3,
            playbackDrops: Object.fromEntries(pb.filter((x) => x.name === 'quell_playback_drops_total' && x.value > 0).map((x) => [x.labels.reason, x.value])),
          },
        };
      };
      let last = await read();
      assert.equal(last.drops, 0, 'nothing dropped while the pipeline started');
      // One row per 5 s: drops, underruns and device overflows in it; level, jitter depth and target at its end;
      // playback's largest event-loop lag; how late the runner's own timer was at worst in it (a stall of the machine).
      const windows: (Awaited<ReturnType<typeof read>> & { t: number; hostStallMs: number; endMs: number; heardGapsMs: number[] })[] = [];
      for (let elapsed = 0; elapsed < durationS; elapsed += 5) {
        hostStalls.reset();
        await sleep(5000);
        const now = await read();
        const ledger = Object.fromEntries(Object.entries(now.ledger).map(([k, v]) => [k, typeof v === 'number' && !k.endsWith('LagMs') ? v - (last.ledger[k as keyof typeof last.ledger] as number) : v]));
        windows.push({
          ...now,
          ledger: ledger as typeof now.ledger,
          t: elapsed + 5,
          endMs: performance.now(),
          heardGapsMs: [],
          drops: now.drops - last.drops,
          underruns: now.underruns - last.underruns,
          overflows: now.overflows - last.overflows,
          stalls: now.stalls - last.stalls,
          stalledMs: now.stalledMs - last.stalledMs,
          hostStallMs: hostStalls.stallMs,
        });
        last = now;
      }
      // What a listener heard: every run of silence in the recorded output tone, placed in its window.
      const firstStartMs = windows[0].endMs - 5000;
      const recorded = await output.stop();
      for (const gap of silentRuns(recorded, RATE_HZ)) {
        const atMs = output.startMs + (gap.startFrame / RATE_HZ) * 1000;
        const w = windows.find((x) => atMs >= firstStartMs && atMs < x.endMs);
        w?.heardGapsMs.push(Math.round((gap.frames / RATE_HZ) * 1000));
      }
      // A stall of the whole machine stalls PulseAudio's clock too and no pipeline can hide it: a window that has
      // one, and the window after it (level and target settle back), is excused and reported, nothing else.
      const excused = windows.filter((w, i) => w.hostStallMs > 0 || (i > 0 && windows[i - 1].hostStallMs > 0));
      const judged = windows.filter((w) => !excused.includes(w));
      // Issue 17's goal for this run: 0 drops and at most 1 underrun in the 3 minutes (a stream's start is its most
      // bursty moment); no overflow, a bounded level and depth.
      const bad = judged.filter((w) => w.drops > 0 || w.overflows > 0 || w.levelMs >= 250 || w.depth > 25);
      const underruns = judged.reduce((sum, w) => sum + w.underruns, 0);
      // One disruption (a hiccup of the machine, an underrun) can leave several short silences while the buffer
      // recovers: the goal's "at most 1 underrun" is read as at most one window in which silence was heard.
      const windowsWithSilence = judged.filter((w) => w.heardGapsMs.length > 0);
      const [cap, pb] = await Promise.all([p.scrape('capture'), p.scrape('playback')]);
      const summary = {
        chunksSent: metric(cap, 'quell_capture_chunks_sent_total'),
        chunksPlayed: metric(pb, 'quell_playback_chunks_played_total'),
        playbackDropsByReason: Object.fromEntries(pb.filter((x) => x.name === 'quell_playback_drops_total' && x.value > 0).map((x) => [x.labels.reason, x.value])),
        gaps: metric(pb, 'quell_playback_gaps_total'),
        captureOverflows: metric(cap, 'quell_capture_device_overflows_total'),
        maxLevelMs: Math.max(...judged.map((w) => w.levelMs)),
        maxJitterDepthChunks: Math.max(...judged.map((w) => w.depth)),
        maxPlaybackLagMs: Math.max(...windows.map((w) => w.lagMs)),
        trimPpm: metric(pb, 'quell_playback_drift_trim_ppm'),
        hostStallsMs: windows.filter((w) => w.hostStallMs > 0).map((w) => w.hostStallMs),
        deviceStalls: windows.filter((w) => w.stalls > 0).map((w) => ({ t: w.t, stalls: w.stalls, stalledMs: Math.round(w.stalledMs) })),
        heardGaps: windows.filter((w) => w.heardGapsMs.length > 0).map((w) => ({ t: w.t, ms: w.heardGapsMs })),
        excusedWindows: excused,
      };
      t.diagnostic(JSON.stringify(summary));
      // The window before the first bad one too: what led up to it.
      const firstBad = windows.indexOf(bad[0]);
      assert.deepEqual(bad, [], `windows with drops, device overflows, a level of 250 ms or more or over 25 chunks of jitter buffer and no stall of the machine: ${JSON.stringify(bad)}; the window before the first: ${JSON.stringify(windows[firstBad - 1])}`);
      assert.ok(underruns <= 1, `${underruns} underruns in the judged windows: ${JSON.stringify(judged.filter((w) => w.underruns > 0))}`);
      assert.ok(windowsWithSilence.length <= 1, `silence heard in the output in ${windowsWithSilence.length} judged windows: ${JSON.stringify(windowsWithSilence)}`);
      assert.ok(excused.length <= 4, `the machine stalled in ${excused.length} of ${windows.length} windows: too few were judged (${JSON.stringify(excused)})`);
    } finally {
      hostStalls.stop();
      player.kill('SIGTERM');
      await p.stop();
      await input.stop();
      await output.stop();
    }
  });
  it('with --conceal dry, a kill -9 of inference plays the dry signal on the device: no silent 5 ms, no click', { timeout: 90_000 }, async (t) => {
    const dryAmplitude = 0.4;
    const wetAmplitude = dryAmplitude * 0.5;
    const frequencyHz = 440;
    const endpoint = `tcp://127.0.0.1:${await freePort()}`;
    process.env.PULSE_SINK = SINK_DRY;
    const priority = '--priority=-10';
    // Recording from before the pipeline starts, so no recorder joins the sink while it plays (an idle null sink
    // renders ahead and rewinds when clients join: see startDevicePipeline).
    const output = recordSource(`${SINK_DRY}.monitor`, RATE_HZ);
    // A synth source (inference halves it, so wet and dry differ by 6 dB) into the device sink under test.
    const p = await startPipeline({
      capture: ['--source', 'synth', '--synth-frequency-hz', String(frequencyHz), '--synth-amplitude', String(dryAmplitude), '--synth-duration-s', '0', '--dry-endpoint', endpoint, priority],
      inference: ['--model', 'gain', '--gain', '0.5', priority],
      playback: ['--endpoint', endpoint, '--sink', 'device', '--device', 'pulse', '--conceal', 'dry', priority],
    }).catch(async (err: unknown) => {
      await output.stop();
      throw err;
    });
    try {
      await waitForPlayback(p);
      await waitForSettled(p);
      await sleep(1000);
      const dryBefore = metric(await p.scrape('playback'), 'quell_playback_dry_concealed_chunks_total');
      const killedAtS = (performance.now() - output.startMs) / 1000;
      p.inference.child.kill('SIGKILL');
      await p.inference.exited;
      await sleep(2000);
      const dryConcealed = metric(await p.scrape('playback'), 'quell_playback_dry_concealed_chunks_total') - dryBefore;
      const recorded = await output.stop();
      // 5 ms windows: a missing 10 ms chunk played as silence would leave at least one of them silent wherever it falls.
      const window = RATE_HZ / 200;
      const peaks: number[] = [];
      for (let start = 0; start + window <= recorded.length; start += window) {
        let peak = 0;
        for (let i = start; i < start + window; i++) peak = Math.max(peak, Math.abs(recorded[i]));
        peaks.push(peak);
      }
      const first = peaks.findIndex((peak) => peak > wetAmplitude / 2);
      // The last window may hold the recorder's partial read.
      const heard = peaks.slice(first, -1);
      const near = (peak: number, amplitude: number): boolean => Math.abs(peak - amplitude) < 0.1 * amplitude;
      const silent = heard.filter((peak) => peak < wetAmplitude / 2).length;
      const dryWindows = heard.filter((peak) => near(peak, dryAmplitude)).length;
      const wetWindows = heard.filter((peak) => near(peak, wetAmplitude)).length;
      // Judged from 1 s before the kill: the claim is about the switch to dry audio. (The stream's onset is not: in 2
      // of about 9 runs its first samples stepped 0.027 out of silence; not yet explained.)
      const judgedFrom = Math.max(first * window + 1, Math.round((killedAtS - 1) * RATE_HZ));
      const step = maxStep(recorded, judgedFrom, recorded.length - window);
      const sineStep = dryAmplitude * 2 * Math.sin((Math.PI * frequencyHz) / RATE_HZ);
      // Where the steps beyond the sine's own are (s from the recording's start), to tell the kill's switch from other events.
      const clicksAtS: string[] = [];
      for (let i = first * window + 1; i < recorded.length - window && clicksAtS.length < 8; i++) {
        if (Math.abs(recorded[i] - recorded[i - 1]) > sineStep * 1.01) clicksAtS.push((i / RATE_HZ).toFixed(3));
      }
      t.diagnostic(`${heard.length} windows of 5 ms: ${wetWindows} wet, ${dryWindows} dry, ${silent} silent; ${dryConcealed} chunks concealed with dry audio in 2 s; max step ${step.toFixed(4)} vs the dry sine's ${sineStep.toFixed(4)}; kill at ${killedAtS.toFixed(3)} s, steps beyond the sine's at [${clicksAtS.join(', ')}] s`);
      assert.ok(first >= 0, 'the output sink played nothing');
      assert.equal(silent, 0, `${silent} silent 5 ms windows`);
      assert.ok(wetWindows >= 100, `${wetWindows} windows at the processed (wet) amplitude before the kill`);
      assert.ok(dryWindows >= 200, `${dryWindows} windows at the dry amplitude during the 2 s outage`);
      assert.ok(dryConcealed >= 150, `${dryConcealed} chunks concealed with dry audio`);
      // The drift corrector time-stretches by up to a few hundred ppm: the step may exceed the sine's by that much.
      assert.ok(step <= sineStep * 1.01, `no click: max step ${step} vs the sine's own ${sineStep}`);
    } finally {
      await output.stop();
      await p.stop();
    }
  });
});
