import { SUPPORTED_RATES_HZ } from '../resampling/polyphase-resampler.js';

/** Most channels a stream may have. */
export const MAX_CHANNEL_COUNT = 8;

/** Throws `TypeError` for a rate or channel count no processor takes. */
export function checkStreamArgs(sampleRateHz: number, channelCount: number): void {
  if (!SUPPORTED_RATES_HZ.includes(sampleRateHz)) {
    throw new TypeError(`unsupported sample rate ${sampleRateHz} Hz: use one of ${SUPPORTED_RATES_HZ.join(', ')}`);
  }
  if (!Number.isInteger(channelCount) || channelCount < 1 || channelCount > MAX_CHANNEL_COUNT) {
    throw new TypeError(`unsupported channel count ${channelCount}: use 1 to ${MAX_CHANNEL_COUNT}`);
  }
}
