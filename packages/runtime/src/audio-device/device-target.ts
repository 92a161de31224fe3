import type { DeviceSpec } from './select-device.js';

/**
 * One audio device named in a stage's config: `device` (the stage's
 * `--device`, else the default), `device:NAME` (a PortAudio device by id or
 * name substring, as `quell devices` lists them) or `pulse:NAME` (a
 * PulseAudio source or sink, opened through PortAudio's ALSA 'pulse' device).
 */
export interface DeviceTarget {
  /** What DeviceLink opens (undefined: the default device). */
  readonly device: DeviceSpec;
  /** The PulseAudio source or sink for the 'pulse' device (DeviceLink's pulseDevice). */
  readonly pulseDevice: string | undefined;
  /** As written, for logs and errors. */
  readonly label: string;
}

/** The target `text` names, or null when it is none of `device`, `device:NAME`, `pulse:NAME`. */
export function parseDeviceTarget(text: string): DeviceTarget | null {
  if (text === 'device') return { device: undefined, pulseDevice: undefined, label: text };
  const match = /^(device|pulse):(.+)$/.exec(text);
  if (!match) return null;
  const [, kind, name] = match;
  if (kind === 'pulse') return { device: 'pulse', pulseDevice: name, label: text };
  return { device: name, pulseDevice: undefined, label: text };
}

/** The `device` target: the stage's own `--device` (and, for capture, `--pulse-source`, which implies the 'pulse' device). */
export function stageDeviceTarget(device: string, pulseDevice = ''): DeviceTarget {
  return { device: device || (pulseDevice ? 'pulse' : undefined), pulseDevice: pulseDevice || undefined, label: 'device' };
}
