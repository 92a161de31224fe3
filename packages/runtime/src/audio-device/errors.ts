import { QuellError } from '../errors.js';
import type { AudioDeviceInfo } from './audio-device-info.js';

/** Stable codes of audio-device failures; tests and callers branch on these, never on messages. */
export type AudioDeviceErrorCode =
  | 'ERR_AUDIO_BACKEND_UNAVAILABLE'
  | 'ERR_AUDIO_DEVICE_NOT_FOUND'
  | 'ERR_AUDIO_DEVICE_AMBIGUOUS'
  | 'ERR_AUDIO_DEVICE_OPEN'
  | 'ERR_AUDIO_DEVICE_IO'
  | 'ERR_AUDIO_DEVICE_CLOSED';

/** An operational audio-device failure: `code` is stable; `retryable` says whether trying again may help. */
export class AudioDeviceError extends QuellError {
  declare readonly code: AudioDeviceErrorCode;

  constructor(code: AudioDeviceErrorCode, message: string, retryable: boolean, options?: { cause?: unknown }) {
    super(code, message, { cause: options?.cause, retryable });
  }
}

/**
 * A device spec matched no device or several. The one-line message lists the candidates
 * (`id: name`) so the user can pick one; `candidates` holds them for programs.
 */
export class DeviceSelectionError extends AudioDeviceError {
  readonly candidates: readonly AudioDeviceInfo[];

  constructor(code: 'ERR_AUDIO_DEVICE_NOT_FOUND' | 'ERR_AUDIO_DEVICE_AMBIGUOUS', message: string, candidates: readonly AudioDeviceInfo[]) {
    super(code, message, false);
    this.candidates = candidates;
  }
}
