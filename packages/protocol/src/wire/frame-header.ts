/** Version of the wire format; a receiver rejects any other value. */
export const PROTOCOL_VERSION = 1;

/** Bit flags of {@link FrameHeader.flags}. */
export const FrameFlags = {
  /** Last chunk of the stream: receivers flush and finalise after it. */
  END_OF_STREAM: 1,
  /**
   * Warm-up input for an inference node that is about to take a stream over
   * (docs/SWAP.md): the node runs it through the model to settle its state and
   * sends nothing back. Only capture sets it, only inference reads it.
   */
  WARM_UP: 2,
  /**
   * Dry path (docs/SWAP.md, crash section): an unprocessed copy of a chunk that
   * capture PUSHes straight to playback (`--dry-endpoint`), same stream, seq
   * and ts, delayFrames 0. Playback keeps it only to fill a missing processed
   * chunk (`--conceal dry`); it never carries END_OF_STREAM.
   */
  DRY: 4,
} as const;

/** Every defined {@link FrameFlags} bit; a frame with any other bit set is rejected. */
export const FRAME_FLAGS_MASK = FrameFlags.END_OF_STREAM | FrameFlags.WARM_UP | FrameFlags.DRY;

/**
 * A hand-over in progress, stamped by capture on every chunk it sends to both
 * inference nodes (and carried through to playback): from `atSeq` on playback
 * crossfades from node `from` to node `to` over `fadeChunks` chunks, then
 * plays `to` only. See docs/SWAP.md.
 */
export interface HandoverInfo {
  /** Node id of the node giving the stream up. */
  from: string;
  /** Node id of the node taking it over. */
  to: string;
  /** First seq both nodes process live; the crossfade starts here (u32). */
  atSeq: number;
  /** Chunks the crossfade lasts, 1 … 1000. */
  fadeChunks: number;
}

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
  /** Longest node id in a header or a control message. */
  maxNodeIdLength: 64,
  /** Longest crossfade of a hand-over, chunks. */
  maxFadeChunks: 1000,
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
  /** Optional: set while a hand-over is in progress (validated when present). */
  handover?: HandoverInfo;
  /** Optional: id of the inference node that produced this chunk (1 … 64 characters). */
  node?: string;
}

/**
 * Copies the required fields of `from` into `to` (optional fields untouched),
 * so a preallocated header can be reused on the hot path without allocating.
 */
export function copyFrameHeader(from: FrameHeader, to: FrameHeader): void {
  to.v = from.v;
  to.stream = from.stream;
  to.seq = from.seq;
  to.ts = from.ts;
  to.captureTimeUs = from.captureTimeUs;
  to.sampleRateHz = from.sampleRateHz;
  to.channelCount = from.channelCount;
  to.frameCount = from.frameCount;
  to.flags = from.flags;
  to.delayFrames = from.delayFrames;
}
