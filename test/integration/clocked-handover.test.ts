// Issue 17: `quell swap` and `pm2 reload` while playback runs on a clock (the null sink's real-time clock, and a
// PulseAudio device under pm2): no late drop, no underrun, nothing heard missing. A new node starting beside a
// running pipeline on 2 cores once cost 4-9 late drops and underruns; the pm2-reload test plays into a file,
// which has no clock, so it could not see that.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { sumSamples, type MetricSample } from '@quell/runtime';
import { ensureTestPulse, pactl, recordSource } from '@quell/runtime/testing';
import { HostStallWatch } from '../helpers/host-stall.js';
import { tempDir } from '../helpers/pipeline.js';
import { Pm2Pipeline } from '../helpers/pm2-pipeline.js';
import { killQuietly, quell } from '../helpers/run.js';
import { silentRuns } from '../helpers/signals.js';

const RATE_HZ = 48_000;
const SINK = `quell_handover_${process.pid}`;

/** What playback counted so far: every drop by reason, underruns (its own and the device's), gaps, device stalls and PortAudio's output underflows. */
function playbackCounts(pb: MetricSample[]): Record<string, number> {
  const counts: Record<string, number> = {
    underruns: sumSamples(pb, 'quell_playback_underruns_total') + sumSamples(pb, 'quell_playback_device_underruns_total'),
    gaps: sumSamples(pb, 'quell_playback_gaps_total'),
    deviceStalls: sumSamples(pb, 'quell_playback_device_stalls_total'),
    deviceOutputUnderflows: sumSamples(pb, 'quell_playback_device_output_underflows_total'),
    deviceOverflows: sumSamples(pb, 'quell_playback_device_overflows_total'),
  };
  for (const s of pb) if (s.name === 'quell_playback_drops_total') counts[`drop:${s.labels.reason}`] = s.value;
  return counts;
}

function nonZeroDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).filter(([k, v]) => v - (before[k] ?? 0) !== 0).map(([k, v]) => [k, v - (before[k] ?? 0)]));
}

/**
 * Two pm2 reloads of the inference app and one `quell swap`, 2 s apart. Returns the swaps capture completed and
 * the pid of the node `quell swap` started (outside pm2: the caller kills it).
 */
async function handOverThreeTimes(p: Pm2Pipeline, dir: string): Promise<{ swaps: number; swappedInPid: number }> {
  for (let i = 0; i < 2; i++) {
    const r = await p.pm2('reload', 'quell-inference');
    assert.equal(r.code, 0, r.stderr);
    await sleep(2000);
  }
  const controlPort = /:(\d+)$/.exec(String(p.env.QUELL_CAPTURE_CONTROL))?.[1];
  const swap = await quell(['swap', '--control', `tcp://127.0.0.1:${controlPort}`, '--model', 'gain', '--node-id', 'swapped-in', '--log-dir', join(dir, 'logs'), '--json'], { timeoutMs: 60_000 });
  const result = JSON.parse(swap.stdout.trim().split('\n').at(-1) ?? '{}') as { outcome?: string; pid?: number };
  assert.equal(result.outcome, 'completed', swap.stdout + swap.stderr);
  await sleep(2000);
  return { swaps: await p.metric('capture', 'quell_capture_swaps_total', { outcome: 'completed' }), swappedInPid: result.pid ?? 0 };
}

describe('hand-over with a clocked playback (issue 17)', { timeout: 240_000 }, () => {
  let moduleId = '';
  before(async () => {
    await ensureTestPulse();
    moduleId = (await pactl('load-module', 'module-null-sink', `sink_name=${SINK}`, `rate=${RATE_HZ}`, 'format=float32le', 'channels=2')).trim();
  });
  after(async () => {
    await pactl('unload-module', moduleId).catch(() => undefined);
  });

  // Not met reliably yet, so a todo (it runs and its result shows): 5 of 5 runs clean here, but CI saw 1 late drop and
  // 1 underrun during the hand-overs.
  it('null sink on its real-time clock: two pm2 reloads and a quell swap, no drop, no underrun, no gap', { todo: 'issue 17: CI saw 1 late drop and 1 underrun during the hand-overs (5 of 5 clean on an idle machine)' }, async (t) => {
    const dir = await tempDir();
    const p = await Pm2Pipeline.start(dir, 'gain', { QUELL_CAPTURE_SYNTH_DURATION_S: '60' });
    let pid = 0;
    try {
      await sleep(2000);
      const before = playbackCounts((await p.scrape('playback'))!);
      const { swaps, swappedInPid } = await handOverThreeTimes(p, dir);
      pid = swappedInPid;
      const delta = nonZeroDelta(before, playbackCounts((await p.scrape('playback'))!));
      t.diagnostic(`swaps completed ${swaps}; playback counts during them: ${JSON.stringify(delta)}`);
      assert.equal(swaps, 3);
      assert.deepEqual(delta, {}, 'nothing dropped, late, concealed or missing while the node changed three times');
    } finally {
      killQuietly(pid);
      await p.close();
    }
  });

  // Not met yet, so reported as a todo (it runs, and its result shows): on this 2-core machine about 1 run in 4 has
  // one underrun and a 10 ms silence during the hand-overs, and with two busy loops beside it most runs hear 6-90 ms.
  it('PulseAudio device under pm2: two pm2 reloads and a quell swap, no drop, no underrun, no device stall, nothing heard missing', { todo: 'issue 17: about 1 run in 4 has an underrun and a 10 ms silence during the hand-overs' }, async (t) => {
    const dir = await tempDir();
    // Recorded from before playback opens the sink (an app on the virtual microphone): see pulseaudio-pipeline.test.ts.
    const output = recordSource(`${SINK}.monitor`, RATE_HZ);
    const p = await Pm2Pipeline.start(dir, 'gain', {
      QUELL_CAPTURE_SYNTH_DURATION_S: '60',
      QUELL_PLAYBACK_SINK: 'device',
      QUELL_PLAYBACK_DEVICE: 'pulse',
      PULSE_SINK: SINK,
    });
    let pid = 0;
    try {
      // Past the device's start (an idle null sink's first seconds stall: counted, and not what is judged here).
      await sleep(4000);
      const before = playbackCounts((await p.scrape('playback'))!);
      const fromMs = performance.now();
      // A stall of the whole machine stalls PulseAudio's clock too, which no pipeline can hide: watched, and reported.
      const hostStalls = new HostStallWatch();
      const { swaps, swappedInPid } = await handOverThreeTimes(p, dir);
      const hostStallMs = hostStalls.stallMs;
      hostStalls.stop();
      pid = swappedInPid;
      const toMs = performance.now();
      const delta = nonZeroDelta(before, playbackCounts((await p.scrape('playback'))!));
      const recorded = await output.stop();
      const heard = silentRuns(recorded, RATE_HZ)
        .map((gap) => ({ atMs: output.startMs + (gap.startFrame / RATE_HZ) * 1000, ms: (gap.frames / RATE_HZ) * 1000 }))
        .filter((gap) => gap.atMs >= fromMs && gap.atMs < toMs);
      t.diagnostic(`swaps completed ${swaps}; playback counts during them: ${JSON.stringify(delta)}; silent runs heard: ${JSON.stringify(heard.map((g) => Math.round(g.ms)))}`);
      assert.equal(swaps, 3);
      if (hostStallMs > 0) {
        t.skip(`not judged: the machine stalled for ${hostStallMs} ms during the hand-overs (the runner's own timer was that late)`);
        return;
      }
      assert.deepEqual(delta, {}, 'nothing dropped, late, concealed, stalled or missing while the node changed three times');
      assert.deepEqual(heard, [], 'no silence in the recorded output while the node changed');
    } finally {
      await output.stop();
      killQuietly(pid);
      await p.close();
    }
  });
});
