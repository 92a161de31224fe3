import { WireLimits } from '@quell/protocol';
import { SUPPORTED_RATES_HZ } from '../resampling/polyphase-resampler.js';

/** Throws `TypeError` for a rate or channel count no processor takes (channels: as many as the wire carries). */
export function checkStreamArgs(sampleRateHz: number, channelCount: number): void {
  if (!SUPPORTED_RATES_HZ.includes(sampleRateHz)) {
    throw new TypeError(`unsupported sample rate ${sampleRateHz} Hz: use one of ${SUPPORTED_RATES_HZ.join(', ')}`);
  }
  if (!Number.isInteger(channelCount) || channelCount < 1 || channelCount > WireLimits.maxChannelCount) {
    throw new TypeError(`unsupported channel count ${channelCount}: use 1 to ${WireLimits.maxChannelCount}`);
  }
}
