/**
 * Why a received frame was rejected. Each stage counts rejections by this
 * label (`quell_<stage>_rejected_frames_total{reason}`) and keeps going.
 */
export const REJECT_REASONS = [
  'part-count',
  'header-size',
  'header-decode',
  'version',
  'field',
  'sample-rate',
  'channel-count',
  'frame-count',
  'length-mismatch',
  'non-finite',
] as const;

export type RejectReason = (typeof REJECT_REASONS)[number];
