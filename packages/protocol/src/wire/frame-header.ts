/** Version of the wire format; a receiver rejects any other value. */
export const PROTOCOL_VERSION = 1;

/** Bit flags of {@link FrameHeader.flags}. */
export const FrameFlags = {
  /** Last chunk of the stream: receivers flush and finalise after it. */
  END_OF_STREAM: 1,
} as const;

/** Limits a receiver enforces; anything outside is rejected as malformed. */
export const WireLimits = {
  minSampleRateHz: 8_000,
  maxSampleRateHz: 384_000,
  maxChannelCount: 8,
  /** One chunk may hold at most 1 s at the highest rate. */
  maxFrameCount: 384_000,
  /** A header is a handful of small fields; anything larger is garbage. */
  maxHeaderBytes: 512,
  maxU32: 0xffff_ffff,
} as const;

/**
 * The header of one data frame (MessagePack map, first part of a two-part
 * ZeroMQ message; the second part is the raw little-endian float32 samples).
 */
export interface FrameHeader {
  /** Protocol version, {@link PROTOCOL_VERSION}. */
  v: number;
  /** Stream id (u32), chosen by capture; one id per source, end to end. */
  stream: number;
  /** Chunk sequence number (u32, wraps), +1 per chunk of the stream. */
  seq: number;
  /** Stream position of the chunk's first frame, in frames (u32, wraps). */
  ts: number;
  /** Wall-clock capture time of the first frame, microseconds since the Unix epoch. */
  captureTimeUs: number;
  /** Sample rate of the samples, Hz. */
  sampleRateHz: number;
  /** Interleaved channels per frame. */
  channelCount: number;
  /** Frames in this chunk; the samples part holds frameCount * channelCount float32. */
  frameCount: number;
  /** {@link FrameFlags} bits. */
  flags: number;
  /** Frames the audio lags the capture position after processing so far (0 at capture). */
  delayFrames: number;
}
