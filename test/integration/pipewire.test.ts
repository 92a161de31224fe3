import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { sumSamples, writeWav } from '@quell/runtime';
import { alignedNcc, createTestPipeWire, makeTones, recordSource, type TestPipeWire } from '@quell/runtime/testing';
import { segmentNcc, waitForPlayback, waitForSettled } from '../helpers/device-pipeline.js';
import { startPipeline, tempDir } from '../helpers/pipeline.js';
import { quell, run } from '../helpers/run.js';

const RATE_HZ = 48_000;

function names(list: string): string[] {
  return list
    .split('\n')
    .map((line) => line.split('\t')[1])
    .filter((name): name is string => Boolean(name));
}

/** Rows of `quell devices` (ID NAME HOST API IN OUT RATE DEFAULT) whose name is exactly `name`. */
function deviceRows(table: string, name: string): string[][] {
  return table
    .split('\n')
    .slice(1)
    .map((line) => line.split(/ {2,}/))
    .filter((cells) => cells[1] === name);
}

/**
 * The desktop of Ubuntu from 22.10, Fedora and Debian 12 GNOME: PipeWire with WirePlumber and its PulseAudio server,
 * run headless in a private runtime dir (packages/runtime/src/testing/pipewire-env.ts). Quell reaches it as it reaches
 * PulseAudio: PortAudio → ALSA 'pulse' device → libpulse → pipewire-pulse, and pactl for the virtual devices.
 */
describe('devices through PipeWire (pipewire-pulse, WirePlumber)', () => {
  let pw: TestPipeWire | undefined;
  const saved = new Map<string, string | undefined>();
  before(async () => {
    pw = await createTestPipeWire({ rateHz: RATE_HZ });
    // The stages, quell, paplay and parec are children of this process: they reach PipeWire through its env.
    for (const [key, value] of Object.entries(pw.env)) {
      saved.set(key, process.env[key]);
      process.env[key] = value;
    }
  });
  after(async () => {
    for (const [key, value] of saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    delete process.env.PULSE_SINK;
    await pw?.close();
  });

  it('pactl info answers from PipeWire, not PulseAudio', (t) => {
    t.diagnostic(`server: ${pw?.serverName}`);
    assert.match(pw?.serverName ?? '', /on PipeWire \d/);
  });

  it("quell devices lists the ALSA 'pulse' device (input and output) through PipeWire, and not when no server answers", { timeout: 60_000 }, async () => {
    const listed = await quell(['devices']);
    assert.equal(listed.code, 0, listed.stderr);
    const [pulse] = deviceRows(listed.stdout, 'pulse');
    assert.ok(pulse, `no 'pulse' row in:\n${listed.stdout}`);
    assert.ok(Number(pulse[3]) > 0 && Number(pulse[4]) > 0, `'pulse' has no input or no output channels: ${pulse.join(' | ')}`);

    // The same command with nothing behind PULSE_SERVER: PortAudio cannot open 'pulse', so the row above came from PipeWire.
    const without = await quell(['devices'], { env: { PULSE_SERVER: `unix:${pw?.dir}/no-such-socket` } });
    assert.equal(without.code, 0, without.stderr);
    assert.equal(deviceRows(without.stdout, 'pulse').length, 0, `'pulse' listed with no server:\n${without.stdout}`);
  });

  it('virtual-devices up creates "Quell Input" and "Quell Microphone" on PipeWire, a second up is harmless, down removes them', { timeout: 60_000 }, async () => {
    const pactl = pw!.pactl;
    const env = { HOME: await tempDir('quell-pw-vdev-') };
    const first = await quell(['virtual-devices', 'up'], { env });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /created: quell_input, quell_mic_sink, quell_microphone;/);
    const sinks = names(await pactl('list', 'short', 'sinks'));
    const sources = names(await pactl('list', 'short', 'sources'));
    assert.ok(sinks.includes('quell_input') && sinks.includes('quell_mic_sink'), sinks.join(', '));
    assert.ok(sources.includes('quell_input.monitor') && sources.includes('quell_microphone'), sources.join(', '));
    // What a call app's device menu shows.
    assert.match(await pactl('list', 'sources'), /Description: Quell Microphone$/m);
    assert.match(await pactl('list', 'sinks'), /Description: Quell Input$/m);

    const second = await quell(['virtual-devices', 'up'], { env });
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /created: nothing/);

    const down = await quell(['virtual-devices', 'down'], { env });
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stdout, /removed: quell_microphone, quell_mic_sink, quell_input/);
    const left = [...names(await pactl('list', 'short', 'sinks')), ...names(await pactl('list', 'short', 'sources'))];
    assert.deepEqual(left.filter((n) => n.startsWith('quell_input') || n.startsWith('quell_mic')), [], 'all removed');
    const again = await quell(['virtual-devices', 'down'], { env });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /removed: nothing/);
  });

  it('a signal played into "Quell Input" comes out of "Quell Microphone" through capture → passthrough → playback (NCC >= 0.95)', { timeout: 120_000 }, async (t) => {
    const env = { HOME: await tempDir('quell-pw-mic-') };
    const dir = await tempDir('quell-pw-');
    const up = await quell(['virtual-devices', 'up'], { env });
    assert.equal(up.code, 0, up.stderr);
    const reference = makeTones([440, 1000], 2000, RATE_HZ);
    const wavPath = join(dir, 'tones.wav');
    await writeWav(wavPath, reference, RATE_HZ, 1);
    // The routing README.md gives for a call app: Quell captures the input sink's monitor and plays into the
    // microphone's sink; the app records "Quell Microphone". Both ends recorded the same way: their lag is the latency.
    const input = recordSource('quell_input.monitor', RATE_HZ);
    let microphone: ReturnType<typeof recordSource> | undefined;
    process.env.PULSE_SINK = 'quell_mic_sink';
    const priority = '--priority=-10';
    const p = await startPipeline({
      capture: ['--source', 'device', '--pulse-source', 'quell_input.monitor', '--device-channels', '2', priority],
      inference: ['--model', 'passthrough', priority],
      // A fixed target, so the drift corrector does not time-stretch while the tones play (see pulseaudio-pipeline.test.ts).
      playback: ['--sink', 'device', '--device', 'pulse', '--target-min-ms', '50', '--target-max-ms', '50', priority],
    });
    try {
      await waitForPlayback(p);
      microphone = recordSource('quell_microphone', RATE_HZ);
      await waitForSettled(p);
      await run('paplay', ['--device=quell_input', wavPath], { timeoutMs: 10_000 });
      await sleep(1000);
      const [recIn, recOut] = await Promise.all([input.stop(), microphone.stop()]);
      // Within 5 ms of the onsets: 440 + 1 000 Hz repeat every 25 ms, so a wider search can land whole periods off.
      const { ncc: globalNcc, lagFrames } = alignedNcc(reference, recOut, 240);
      const ncc = segmentNcc(reference, recOut, lagFrames, RATE_HZ);
      const inAt = alignedNcc(reference, recIn, 240);
      const latencyMs = microphone.startMs + (lagFrames / RATE_HZ) * 1000 - (input.startMs + (inAt.lagFrames / RATE_HZ) * 1000);
      const pb = await p.scrape('playback');
      t.diagnostic(`NCC ${ncc.toFixed(4)} (worst 250 ms segment; one global alignment ${globalNcc.toFixed(4)}; input monitor ${inAt.ncc.toFixed(4)}); Quell Input → Quell Microphone ${latencyMs.toFixed(1)} ms`);
      t.diagnostic(`playback level ${(sumSamples(pb, 'quell_playback_device_buffer_level_seconds') * 1e3).toFixed(1)} ms, underruns ${sumSamples(pb, 'quell_playback_device_underruns_total')}, drops ${sumSamples(pb, 'quell_playback_drops_total')}`);
      assert.ok(inAt.ncc >= 0.95, `input monitor NCC ${inAt.ncc}`);
      assert.ok(ncc >= 0.95, `NCC ${ncc} < 0.95`);
      assert.ok(latencyMs > 0 && latencyMs < 500, `latency ${latencyMs} ms`);
    } finally {
      await p.stop();
      await input.stop();
      await microphone?.stop();
      delete process.env.PULSE_SINK;
      await quell(['virtual-devices', 'down'], { env });
    }
  });
});
