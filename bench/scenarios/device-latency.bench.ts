/**
 * Device latency benchmark: how long a sound takes from one audio device to another through Quell, next to
 * PulseAudio's own `module-loopback` between the same two devices as the floor.
 *
 * Emulates the desktop routing: apps play into a sink, Quell captures its monitor (device source through the ALSA
 * 'pulse' device, 48 kHz, 10 ms chunks, stereo downmixed to mono), runs the passthrough model, and plays to a
 * second sink (device sink, drift-corrected). Both sinks are private null sinks of the headless daemon of
 * scripts/pulse-up.sh. A click (1 ms, 2 kHz burst) every 700 ms is played into the first sink with paplay; the
 * monitors of both sinks are recorded with parec; each click's onset time in the output minus its onset time in
 * the input is one latency sample.
 * Variants:
 * - `quell`: capture (device) → inference (passthrough) → playback (device), default targets.
 * - `module-loopback`: `pactl load-module module-loopback latency_msec=10` between the same sinks.
 * Sound server: QUELL_BENCH_SERVER=pulseaudio (default: the daemon of scripts/pulse-up.sh) or `pipewire`: a private
 * headless PipeWire + WirePlumber + pipewire-pulse (packages/runtime/src/testing/pipewire-env.ts) with its own null
 * sinks, which Quell reaches the same way (ALSA 'pulse' → libpulse → pipewire-pulse). There `module-loopback` is
 * PipeWire's own loopback (pipewire-pulse loads libpipewire-module-loopback for it), the yardstick on that server,
 * and a further variant `pw-loopback` runs the same module as PipeWire's native client (`pw-loopback --latency 10`,
 * capturing the first sink's monitor), without the PulseAudio layer.
 * Output fields (all ms):
 * - clicks: clicks matched; p50_ms / p99_ms / max_ms: device-to-device latency (within ±1 ms or so: the two
 *   recorders' time stamps are estimates, so a 0 ms path may read slightly negative);
 * - Quell's break-down (means over the run, from the stages' /metrics): capture_chunking_ms (half a chunk: a
 *   sound waits on average half a chunk for its chunk to complete), capture_callback_to_send_ms (device callback
 *   to send queue), transport_inference_jitter_ms (send to jitter-buffer read: both ZeroMQ hops, the model and
 *   the wait in the jitter buffer), of which inference_ms (model time per chunk), jitter_level_ms (the level the
 *   drift corrector holds: jitter buffer + resampler input) and jitter_target_ms, and device_buffers_ms (what is
 *   left of p50: the ALSA/PulseAudio buffers of both devices, the device sink queue and naudiodon's blocks).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LATENCY_MODES, scrapeMetrics, sumSamples, writeWav, type MetricSample } from '@quell/runtime';
import { createTestPipeWire, ensureTestPulse, pactl, recordSource, type TestPipeWire } from '@quell/runtime/testing';
import { percentiles, printTable, writeResult } from '../lib/results.js';

const RATE_HZ = 48_000;
const CHUNK_MS = 10;
const CLICK_EVERY_MS = 700;
const CLICKS = 40;
const STAMP_TOLERANCE_MS = 5;
const SINK_IN = `quell_bench_${process.pid}_in`;
const SINK_OUT = `quell_bench_${process.pid}_out`;

/** Onset times (ms, on the recorder's clock) of clicks: first sample above 0.1 after 200 ms of quiet. */
function onsetsMs(x: Float32Array, startMs: number): number[] {
  const out: number[] = [];
  const quiet = (RATE_HZ * 200) / 1000;
  let last = -quiet;
  for (let i = 0; i < x.length; i++) {
    if (Math.abs(x[i]) < 0.1) continue;
    if (i - last >= quiet) out.push(startMs + (i / RATE_HZ) * 1000);
    last = i;
  }
  return out;
}

function clickTrain(): Float32Array {
  const out = new Float32Array(Math.round(((CLICKS * CLICK_EVERY_MS + 1000) * RATE_HZ) / 1000));
  const burst = RATE_HZ / 1000;
  for (let c = 0; c < CLICKS; c++) {
    const at = Math.round(((500 + c * CLICK_EVERY_MS) * RATE_HZ) / 1000);
    for (let i = 0; i < burst; i++) out[at + i] = 0.6 * Math.sin((2 * Math.PI * 2000 * i) / RATE_HZ) * Math.sin((Math.PI * i) / burst);
  }
  return out;
}

/** Plays the click train into SINK_IN while both monitors record; returns the per-click latencies, ms. */
async function measure(wavPath: string): Promise<number[]> {
  const input = recordSource(`${SINK_IN}.monitor`, RATE_HZ);
  const output = recordSource(`${SINK_OUT}.monitor`, RATE_HZ);
  await sleep(1000);
  await new Promise((resolve) => spawn('paplay', [`--device=${SINK_IN}`, wavPath]).on('close', resolve));
  await sleep(1500);
  const [recIn, recOut] = await Promise.all([input.stop(), output.stop()]);
  const ins = onsetsMs(recIn, input.startMs);
  const outs = onsetsMs(recOut, output.startMs);
  const latencies: number[] = [];
  for (const t of ins) {
    // PipeWire's native loopback moves a click within one graph cycle (0 ms), and the two recorders' time stamps
    // agree only to a few ms: an output onset up to STAMP_TOLERANCE_MS before the input's is that click.
    const next = outs.find((o) => o > t - STAMP_TOLERANCE_MS && o < t + CLICK_EVERY_MS - STAMP_TOLERANCE_MS);
    if (next !== undefined) latencies.push(next - t);
  }
  return latencies;
}

function mean(samples: MetricSample[], name: string): number {
  const count = sumSamples(samples, `${name}_count`);
  return count > 0 ? (sumSamples(samples, `${name}_sum`) / count) * 1000 : 0;
}

// The test helpers are compiled to test/dist; the path differs between this source and bench/dist, so resolve it at run time.
type PipelineHelpers = typeof import('../../test/dist/helpers/pipeline.js');
const { startPipeline, tempDir } = (await import(new URL('../../../test/dist/helpers/pipeline.js', import.meta.url).href)) as PipelineHelpers;

const SERVERS = ['pulseaudio', 'pipewire'] as const;
const server = (process.env.QUELL_BENCH_SERVER ?? 'pulseaudio') as (typeof SERVERS)[number];
if (!SERVERS.includes(server)) throw new TypeError(`QUELL_BENCH_SERVER must be one of ${SERVERS.join(', ')}, not ${server}`);
let pipewire: TestPipeWire | undefined;
if (server === 'pipewire') {
  pipewire = await createTestPipeWire({ rateHz: RATE_HZ });
  // pactl, paplay, parec and the stages are children of this process and reach PipeWire through its env.
  Object.assign(process.env, pipewire.env);
} else {
  await ensureTestPulse();
}
const modules: string[] = [];
for (const name of [SINK_IN, SINK_OUT]) {
  modules.push((await pactl('load-module', 'module-null-sink', `sink_name=${name}`, `rate=${RATE_HZ}`, 'format=float32le', 'channels=2')).trim());
}
const dir = await tempDir('quell-bench-');
const wavPath = join(dir, 'clicks.wav');
await writeWav(wavPath, clickTrain(), RATE_HZ, 1);
const rows: Record<string, string | number>[] = [];

/** Settings weighed side by side (issue 17); QUELL_BENCH_VARIANTS=a,b picks some. */
const VARIANTS: Record<string, { capture: string[]; playback: string[]; env?: Record<string, string> }> = Object.fromEntries(
  LATENCY_MODES.map((mode) => [`latency=${mode}`, { capture: ['--latency', mode], playback: ['--latency', mode] }]),
);
const FLOORS = server === 'pipewire' ? ['module-loopback', 'pw-loopback'] : ['module-loopback'];
const picked = process.env.QUELL_BENCH_VARIANTS?.split(',') ?? [...Object.keys(VARIANTS), ...FLOORS];
try {
  for (const name of picked.filter((n) => n in VARIANTS)) {
    const variant = VARIANTS[name];
    // A recorder on the input monitor first keeps the idle null sink from rendering seconds ahead.
    const warm = recordSource(`${SINK_IN}.monitor`, RATE_HZ);
    process.env.PULSE_SINK = SINK_OUT;
    for (const [k, v] of Object.entries(variant.env ?? {})) process.env[k] = v;
    const p = await startPipeline({
      capture: ['--source', 'device', '--pulse-source', `${SINK_IN}.monitor`, '--device-channels', '2', '--chunk-ms', String(CHUNK_MS), ...variant.capture],
      inference: ['--model', 'passthrough'],
      playback: ['--sink', 'device', '--device', 'pulse', ...variant.playback],
    });
    try {
      await sleep(8000);
      const latencies = await measure(wavPath);
      const [cap, inf, pb] = await Promise.all([p.scrape('capture'), p.scrape('inference'), p.scrape('playback')]);
      const lat = percentiles(latencies);
      const callbackToSend = mean(cap, 'quell_capture_device_to_send_seconds');
      const transportInferenceJitter = mean(pb, 'quell_playback_latency_seconds');
      rows.push({
        variant: name,
        clicks: lat.count,
        p50_ms: lat.p50,
        p99_ms: lat.p99,
        max_ms: lat.max,
        capture_chunking_ms: CHUNK_MS / 2,
        capture_callback_to_send_ms: callbackToSend,
        transport_inference_jitter_ms: transportInferenceJitter,
        inference_ms: mean(inf, 'quell_inference_chunk_processing_seconds'),
        jitter_level_ms: sumSamples(pb, 'quell_playback_device_buffer_level_seconds') * 1000,
        jitter_target_ms: sumSamples(pb, 'quell_playback_device_buffer_target_seconds') * 1000,
        device_buffers_ms: lat.p50 - CHUNK_MS / 2 - callbackToSend - transportInferenceJitter,
        drops: sumSamples(cap, 'quell_capture_drops_total') + sumSamples(pb, 'quell_playback_drops_total'),
        underruns: sumSamples(pb, 'quell_playback_device_underruns_total'),
      });
    } finally {
      await p.stop();
      await warm.stop();
      delete process.env.PULSE_SINK;
      for (const k of Object.keys(variant.env ?? {})) delete process.env[k];
    }
  }

  // The floor: PulseAudio moving the same audio between the same sinks by itself.
  if (picked.includes('module-loopback')) {
  const loopback = (await pactl('load-module', 'module-loopback', `source=${SINK_IN}.monitor`, `sink=${SINK_OUT}`, 'latency_msec=10')).trim();
  try {
    await sleep(3000);
    const lat = percentiles(await measure(wavPath));
    rows.push({ variant: 'module-loopback', clicks: lat.count, p50_ms: lat.p50, p99_ms: lat.p99, max_ms: lat.max });
  } finally {
    await pactl('unload-module', loopback).catch(() => undefined);
  }
  }
  // PipeWire's loopback as a native PipeWire client: the floor without the PulseAudio protocol in between.
  if (pipewire && picked.includes('pw-loopback')) {
    const loopback = spawn('pw-loopback', ['--latency', '10', '--capture-props', `target.object=${SINK_IN} stream.capture.sink=true`, '--playback-props', `target.object=${SINK_OUT}`], { stdio: 'ignore' });
    const exited = new Promise((resolve) => loopback.on('close', resolve));
    loopback.on('error', (err) => console.error(`pw-loopback: ${err.message}`));
    try {
      await sleep(3000);
      const lat = percentiles(await measure(wavPath));
      rows.push({ variant: 'pw-loopback', clicks: lat.count, p50_ms: lat.p50, p99_ms: lat.p99, max_ms: lat.max });
    } finally {
      loopback.kill('SIGTERM');
      await exited;
    }
  }
} finally {
  for (const id of modules) await pactl('unload-module', id).catch(() => undefined);
  await pipewire?.close();
}
printTable(
  `device latency on ${pipewire?.serverName ?? 'PulseAudio'}: sink monitor → Quell (passthrough) → sink, vs module-loopback`,
  rows.map((r) => ({ variant: r.variant, clicks: r.clicks, p50_ms: r.p50_ms, p99_ms: r.p99_ms, max_ms: r.max_ms })),
);
printTable('Quell break-down (means, ms)', rows.filter((r) => !String(r.variant).endsWith('loopback')).map(({ clicks: _c, p99_ms: _p, max_ms: _m, ...rest }) => rest));
console.log(
  `\nwrote ${writeResult('device-latency', { sampleRateHz: RATE_HZ, chunkMs: CHUNK_MS, clicks: CLICKS, clickEveryMs: CLICK_EVERY_MS, audio: `${pipewire ? `PipeWire null sinks (${pipewire.serverName})` : 'PulseAudio null sinks'} via ALSA pulse (PortAudio)`, server, loopbackLatencyMs: 10 }, { variants: rows })}`,
);
