// Issue 19: the microphone and system audio at once, through one pipeline. Capture records two PulseAudio
// sources (`--source pulse:…,pulse:…`), each its own stream; playback routes each stream to its own sink
// (`--route 1=pulse:…,2=pulse:…`), as a desktop user would send the clean microphone to "Quell Microphone" and
// the clean system audio to the speakers.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { sumSamples, writeWav } from '@quell/runtime';
import { alignedNcc, ensureTestPulse, makeTones, pactl, recordSource } from '@quell/runtime/testing';
import { segmentNcc } from '../helpers/device-pipeline.js';
import { startPipeline, tempDir } from '../helpers/pipeline.js';
import { run } from '../helpers/run.js';

const RATE_HZ = 48_000;
const SINKS = { micIn: 'in_mic', systemIn: 'in_system', micOut: 'out_mic', speakers: 'out_speakers' } as const;
const sinkName = (key: keyof typeof SINKS): string => `quell_2way_${process.pid}_${SINKS[key]}`;

describe('two directions at once through PulseAudio', () => {
  let dir = '';
  const modules: string[] = [];
  before(async () => {
    await ensureTestPulse();
    dir = await tempDir('quell-2way-');
    for (const key of Object.keys(SINKS) as (keyof typeof SINKS)[]) {
      modules.push((await pactl('load-module', 'module-null-sink', `sink_name=${sinkName(key)}`, `rate=${RATE_HZ}`, 'format=float32le', 'channels=2')).trim());
    }
  });
  after(async () => {
    for (const id of modules) await pactl('unload-module', id).catch(() => undefined);
  });

  it('capture --source pulse:A,pulse:B sends two streams; playback --route plays each on its own sink, none crossed (NCC >= 0.9 each, <= 0.3 crossed)', { timeout: 120_000 }, async (t) => {
    const micTone = makeTones([440], 2000, RATE_HZ);
    const systemTone = makeTones([1250], 2000, RATE_HZ);
    await writeWav(join(dir, 'mic.wav'), micTone, RATE_HZ, 1);
    await writeWav(join(dir, 'system.wav'), systemTone, RATE_HZ, 1);
    // Every monitor recorded from before the pipeline starts (an idle null sink renders ahead and rewinds when a
    // client joins; see pulseaudio-pipeline.test.ts).
    const recorders = [recordSource(`${sinkName('micIn')}.monitor`, RATE_HZ), recordSource(`${sinkName('systemIn')}.monitor`, RATE_HZ)];
    const micOut = recordSource(`${sinkName('micOut')}.monitor`, RATE_HZ);
    const speakersOut = recordSource(`${sinkName('speakers')}.monitor`, RATE_HZ);
    const p = await startPipeline({
      capture: ['--source', `pulse:${sinkName('micIn')}.monitor,pulse:${sinkName('systemIn')}.monitor`, '--device-channels', '2'],
      inference: ['--model', 'passthrough'],
      playback: ['--sink', 'device', '--device', 'pulse', '--route', `1=pulse:${sinkName('micOut')},2=pulse:${sinkName('speakers')}`, '--target-min-ms', '50', '--target-max-ms', '50'],
    });
    try {
      for (let i = 0; i < 150; i++) {
        const pb = await p.scrape('playback');
        const played = (stream: string) => pb.find((s) => s.name === 'quell_playback_stream_chunks_played_total' && s.labels.stream === stream)?.value ?? 0;
        if (played('1') > 50 && played('2') > 50) break;
        await sleep(100);
      }
      // Past the sinks' own start: a null sink can take nothing for up to 2 s after a player joins (it rendered
      // ahead); counted as a device stall, and not what this test is about.
      await sleep(4000);
      const stallsBefore = sumSamples(await p.scrape('playback'), 'quell_playback_device_stalls_total');
      await Promise.all([
        run('paplay', [`--device=${sinkName('micIn')}`, join(dir, 'mic.wav')], { timeoutMs: 10_000 }),
        run('paplay', [`--device=${sinkName('systemIn')}`, join(dir, 'system.wav')], { timeoutMs: 10_000 }),
      ]);
      await sleep(1000);
      const [cap, pb] = await Promise.all([p.scrape('capture'), p.scrape('playback')]);
      const [recMic, recSpeakers] = await Promise.all([micOut.stop(), speakersOut.stop()]);
      // Aligned within 5 ms of the onsets: a steady tone matches itself a whole number of periods later too, and over
      // ±100 ms the best lag was once exactly 100 ms off (4 800 frames, 125 periods of 1 250 Hz: the tone, time-stretched
      // a few frames by drift correction, matched that shift better), which left the first 250 ms segment at NCC 0.79
      // with the tone intact.
      const mic = alignedNcc(micTone, recMic, 240);
      const speakers = alignedNcc(systemTone, recSpeakers, 240);
      const result = {
        micNcc: segmentNcc(micTone, recMic, mic.lagFrames, RATE_HZ),
        speakersNcc: segmentNcc(systemTone, recSpeakers, speakers.lagFrames, RATE_HZ),
        systemToneOnMic: alignedNcc(systemTone, recMic, 4800).ncc,
        micToneOnSpeakers: alignedNcc(micTone, recSpeakers, 4800).ncc,
        captureDevicesOpen: sumSamples(cap, 'quell_capture_device_open'),
        playbackDevicesOpen: sumSamples(pb, 'quell_playback_device_open'),
        drops: sumSamples(pb, 'quell_playback_drops_total'),
        deviceStallsBefore: stallsBefore,
        deviceStallsDuring: sumSamples(pb, 'quell_playback_device_stalls_total') - stallsBefore,
      };
      t.diagnostic(JSON.stringify(result));
      assert.equal(result.captureDevicesOpen, 2, 'both input devices open');
      assert.equal(sumSamples(cap, 'quell_capture_devices_wanted'), 2);
      assert.equal(result.playbackDevicesOpen, 3, 'the default output and the two routed sinks');
      assert.ok(result.micNcc >= 0.9, `the microphone's stream on its sink: NCC ${result.micNcc}`);
      assert.ok(result.speakersNcc >= 0.9, `the system audio's stream on the speakers: NCC ${result.speakersNcc}`);
      assert.ok(Math.abs(result.systemToneOnMic) <= 0.3 && Math.abs(result.micToneOnSpeakers) <= 0.3, `crossed: ${JSON.stringify(result)}`);
      assert.equal(result.drops, 0, 'no stream refused (device-busy would mean they fought over one device)');
    } finally {
      await p.stop();
      for (const r of [...recorders, micOut, speakersOut]) await r.stop();
    }
  });
});
