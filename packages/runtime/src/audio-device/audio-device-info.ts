/** One PortAudio device as Quell sees it. `id` is PortAudio's index and is only stable until devices change. */
export interface AudioDeviceInfo {
  id: number;
  name: string;
  /** Host API name, e.g. 'ALSA', 'Core Audio', 'Windows WASAPI'. */
  hostApi: string;
  maxInputChannels: number;
  maxOutputChannels: number;
  defaultSampleRateHz: number;
  isDefaultInput: boolean;
  isDefaultOutput: boolean;
}

/** Which side of a device a stream uses. */
export type AudioDirection = 'input' | 'output';

/** Channels the device offers in `direction`; 0 means it cannot be used that way. */
export function channelsFor(device: AudioDeviceInfo, direction: AudioDirection): number {
  return direction === 'input' ? device.maxInputChannels : device.maxOutputChannels;
}
