/**
 * The conformance suites' JSON formats (conformance/*.json, conformance/README.md).
 * Language-neutral: MessagePack headers are recorded as hex bytes exactly as
 * sent, control messages as JSON maps any MessagePack writer can encode.
 */

/** The samples part of a recorded frame: `frames × channels` float32 of `fill` (NaN at `nanAt`), or `bytes` zero bytes. */
export type SamplesSpec = { frames: number; channels: number; fill: number; nanAt?: number } | { bytes: number };

/** What the stage under test must do with a frame. */
export type FrameExpectation =
  | { accept: true; endOfStream?: boolean; handover?: boolean }
  | { reject: string; field?: string };

export interface FrameCase {
  name: string;
  /** The stream id the case's frame uses (unique per case, so cases share no state). */
  stream: number;
  /** The seq the frame carries (an accepted frame comes out with it). */
  seq: number;
  /** Hex of the header part. */
  header: string;
  /** The samples part; null sends the header alone (a one-part message). */
  samples: SamplesSpec | null;
  /** Hex of further parts after the samples (a malformed message). */
  extraParts?: string[];
  expect: FrameExpectation;
}

/** Suite `frame-receiver`: a stage that takes data frames on a PULL and sends what it accepts on a PUSH. */
export interface FrameReceiverSuite {
  suite: 'frame-receiver';
  description: string;
  /** Hex of a valid header for the probe frame sent after each case (stream `probeStream`, seq = case index). */
  probe: { stream: number; frames: number; sampleRateHz: number };
  cases: FrameCase[];
}

/** One step of a scripted exchange. `$node` in a value stands for the node id from the hello, `$dataKey` for a fresh key. */
export type Step =
  | { expect: 'control'; message: Record<string, unknown>; withinMs: number; note?: string }
  | { send: 'control'; message: Record<string, unknown>; note?: string }
  | { send: 'control-hex'; hex: string; note?: string }
  | { send: 'chunks'; stream: number; fromSeq: number; count: number; frames: number; sampleRateHz: number; flags?: number; handover?: Record<string, unknown>; note?: string }
  | { send: 'frame-hex'; header: string; samples: SamplesSpec; note?: string }
  | { expect: 'outputs'; stream: number; fromSeq: number; count: number; node?: boolean; handover?: boolean; endOfStream?: boolean; withinMs: number; note?: string }
  | { expect: 'no-output'; stream: number; forMs: number; note?: string }
  | { expect: 'no-control'; forMs: number; note?: string }
  | { expect: 'counter'; metric: string; labels: Record<string, string>; delta: number; note?: string };

/** Suite `node` (the runner plays capture) or `capture-control` (the runner is a control client of capture). */
export interface ScriptSuite {
  suite: 'node' | 'capture-control';
  description: string;
  steps: Step[];
}

export type Suite = FrameReceiverSuite | ScriptSuite;
