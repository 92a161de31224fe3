import { channelsFor, type AudioDeviceInfo, type AudioDirection } from './audio-device-info.js';
import { DeviceSelectionError } from './errors.js';
import { listDevices } from './list-devices.js';

/**
 * A device spec: a PortAudio id (number or digits), a case-insensitive name or name substring,
 * or undefined / '' for the system default of the direction.
 */
export type DeviceSpec = number | string | undefined;

/**
 * Resolves `spec` against the current devices that can work in `direction`.
 * Rejects with DeviceSelectionError: 'ERR_AUDIO_DEVICE_NOT_FOUND' or 'ERR_AUDIO_DEVICE_AMBIGUOUS'.
 */
export async function selectDevice(spec: DeviceSpec, direction: AudioDirection): Promise<AudioDeviceInfo> {
  return pickDevice(spec, direction, await listDevices());
}

/**
 * selectDevice on a given list. An exact (case-insensitive) name wins over substring matches, so
 * 'default' picks ALSA's "default" although "sysdefault" also contains it.
 * @throws DeviceSelectionError listing the usable candidates when nothing or several match.
 */
export function pickDevice(spec: DeviceSpec, direction: AudioDirection, devices: readonly AudioDeviceInfo[]): AudioDeviceInfo {
  const usable = devices.filter((device) => channelsFor(device, direction) > 0);
  const text = typeof spec === 'string' ? spec.trim() : spec;

  let matches: AudioDeviceInfo[];
  if (text === undefined || text === '') {
    matches = usable.filter((device) => (direction === 'input' ? device.isDefaultInput : device.isDefaultOutput));
    // Some host APIs report no default; a single usable device is then the obvious one.
    if (matches.length === 0 && usable.length === 1) matches = usable;
  } else if (typeof text === 'number' || /^\d+$/.test(text)) {
    const id = Number(text);
    matches = usable.filter((device) => device.id === id);
  } else {
    const wanted = text.toLowerCase();
    const exact = usable.filter((device) => device.name.toLowerCase() === wanted);
    matches = exact.length > 0 ? exact : usable.filter((device) => device.name.toLowerCase().includes(wanted));
  }

  if (matches.length === 1) return matches[0];
  const shown = String(text === undefined || text === '' ? '(default)' : text);
  const list = (matches.length > 1 ? matches : usable).map((device) => `${device.id}: ${device.name}`).join(', ');
  if (matches.length === 0) {
    throw new DeviceSelectionError(
      'ERR_AUDIO_DEVICE_NOT_FOUND',
      `no ${direction} device matches '${shown}'; ${direction} devices: ${list || 'none'}`,
      usable,
    );
  }
  throw new DeviceSelectionError('ERR_AUDIO_DEVICE_AMBIGUOUS', `'${shown}' matches several ${direction} devices: ${list}`, matches);
}
