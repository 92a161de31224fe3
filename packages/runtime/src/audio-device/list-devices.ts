import type { AudioDeviceInfo } from './audio-device-info.js';
import { loadPortAudio, type PortAudioBinding } from './port-audio.js';

/**
 * Lists PortAudio's devices. The defaults are those of PortAudio's default host API.
 * Rejects with AudioDeviceError 'ERR_AUDIO_BACKEND_UNAVAILABLE' when naudiodon is not built.
 */
export async function listDevices(): Promise<AudioDeviceInfo[]> {
  return devicesFrom(await loadPortAudio());
}

/** Maps naudiodon's records to AudioDeviceInfo. Exported for tests with a fake binding. */
export function devicesFrom(portAudio: Pick<PortAudioBinding, 'getDevices' | 'getHostAPIs'>): AudioDeviceInfo[] {
  const hostApis = portAudio.getHostAPIs();
  const defaultHostApi = hostApis.HostAPIs.find((api) => api.id === hostApis.defaultHostAPI);
  return portAudio.getDevices().map((device) => ({
    id: device.id,
    name: device.name,
    hostApi: device.hostAPIName,
    maxInputChannels: device.maxInputChannels,
    maxOutputChannels: device.maxOutputChannels,
    defaultSampleRateHz: device.defaultSampleRate,
    isDefaultInput: defaultHostApi?.defaultInput === device.id,
    isDefaultOutput: defaultHostApi?.defaultOutput === device.id,
  }));
}
