import { oneOf } from './options.js';

/** How much buffering the live path keeps: the trade of delay against robustness to a busy machine. */
export const LATENCY_MODES = ['low', 'balanced', 'safe'] as const;
export type LatencyMode = (typeof LATENCY_MODES)[number];

/** What a latency mode sets, unless a stage's own flag says otherwise. */
export interface LatencyPreset {
  /** Frames per device callback on both sides, as ms: the ALSA/PulseAudio buffers scale with it (3 periods out). */
  deviceBufferMs: number;
  /** Playback's smallest target level (jitter buffer + resampler), ms. */
  targetMinMs: number;
  /** Playback's margin over the measured arrival jitter, ms. */
  targetMarginMs: number;
}

/**
 * Chosen by `npm run bench -- device-latency`, which runs the three side by side (numbers in
 * packages/playback/README.md#latency). `safe` is what Quell used before (10 ms device blocks, 30 ms floor).
 */
export const LATENCY_PRESETS: Readonly<Record<LatencyMode, LatencyPreset>> = {
  low: { deviceBufferMs: 5, targetMinMs: 5, targetMarginMs: 10 },
  balanced: { deviceBufferMs: 5, targetMinMs: 10, targetMarginMs: 15 },
  safe: { deviceBufferMs: 10, targetMinMs: 30, targetMarginMs: 20 },
};

/** The `--latency` option, the same in capture and playback. */
export function latencyOption() {
  return oneOf(LATENCY_MODES, 'balanced', 'Live path buffering: low (least delay, needs an idle machine), balanced, safe (rides out a busy machine); sets the device block size and, in playback, the target buffer level (see the README of playback)');
}

/** Frames per device callback for `mode` at `rateHz`, unless `explicitFrames` (a flag) is set. */
export function deviceBufferFrames(mode: LatencyMode, rateHz: number, explicitFrames: number): number {
  return explicitFrames > 0 ? explicitFrames : Math.round((rateHz * LATENCY_PRESETS[mode].deviceBufferMs) / 1000);
}
