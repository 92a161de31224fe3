import { ConfigError, parseDeviceTarget, stageDeviceTarget, type DeviceTarget } from '@quell/runtime';
import type { CaptureConfig } from '../config.js';

/** One entry of `--source`, with the stream id(s) it sends. */
export type CaptureInput =
  | { readonly kind: 'synth'; readonly firstStreamId: number }
  /** WAV files sent one after another, each its own stream (ids consecutive). */
  | { readonly kind: 'files'; readonly paths: readonly string[]; readonly firstStreamId: number }
  /** An input device, clocked by the device: one endless stream. */
  | { readonly kind: 'device'; readonly target: DeviceTarget; readonly firstStreamId: number };

const SOURCE_FORMS = "synth, file, file:PATH, device, device:NAME or pulse:SOURCE";

/**
 * The inputs `--source` names, in order, each with its stream ids: consecutive from `--stream-id` (u32,
 * wrapping), an entry taking as many as it sends streams. Throws ConfigError naming the fix.
 */
export function captureInputs(config: Pick<CaptureConfig, 'source' | 'files' | 'device' | 'pulseSource' | 'streamId'>): CaptureInput[] {
  if (config.source.length === 0) throw new ConfigError(`--source is empty: give at least one of ${SOURCE_FORMS}`);
  const inputs: CaptureInput[] = [];
  let next = config.streamId;
  const take = (count: number): number => {
    const first = next;
    next = (next + count) >>> 0;
    return first;
  };
  for (const entry of config.source) {
    if (entry === 'synth') inputs.push({ kind: 'synth', firstStreamId: take(1) });
    else if (entry === 'file') {
      // An empty --files is refused at start-up, with the fix (openInputs).
      inputs.push({ kind: 'files', paths: config.files, firstStreamId: take(Math.max(1, config.files.length)) });
    } else if (entry.startsWith('file:')) inputs.push({ kind: 'files', paths: [entry.slice('file:'.length)], firstStreamId: take(1) });
    else if (entry === 'device') {
      inputs.push({ kind: 'device', target: stageDeviceTarget(config.device, config.pulseSource), firstStreamId: take(1) });
    } else {
      const target = parseDeviceTarget(entry);
      if (!target) throw new ConfigError(`--source entry '${entry}' is not one of ${SOURCE_FORMS}`);
      inputs.push({ kind: 'device', target, firstStreamId: take(1) });
    }
  }
  return inputs;
}
