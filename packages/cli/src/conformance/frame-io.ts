import { decodeFrame, encodeFrame, PROTOCOL_VERSION, type FrameHeader } from '@quell/protocol';
import { receiveMessages } from '@quell/runtime';
import type * as zmq from 'zeromq';
import type { SamplesSpec } from './suite-types.js';

/** The samples part a recorded frame describes. */
export function samplesOf(spec: SamplesSpec): Buffer {
  if ('bytes' in spec) return Buffer.alloc(spec.bytes);
  const samples = new Float32Array(spec.frames * spec.channels).fill(spec.fill);
  if (spec.nanAt !== undefined) samples[spec.nanAt] = Number.NaN;
  return Buffer.from(samples.buffer);
}

/** A valid mono chunk's two parts (the runner's own chunks: live, warm-up or hand-over stamped). */
export function chunkParts(stream: number, seq: number, frames: number, sampleRateHz: number, flags = 0, handover?: FrameHeader['handover']): [Buffer, Buffer] {
  const header: FrameHeader = { v: PROTOCOL_VERSION, stream, seq, ts: (seq * frames) >>> 0, captureTimeUs: Date.now() * 1000, sampleRateHz, channelCount: 1, frameCount: frames, flags, delayFrames: 0, ...(handover ? { handover } : {}) };
  const samples = new Float32Array(frames);
  for (let i = 0; i < frames; i++) samples[i] = 0.25 * Math.sin((2 * Math.PI * 440 * (seq * frames + i)) / sampleRateHz);
  return encodeFrame(header, samples);
}

/** Everything the stage under test sends on its output: headers per stream, and what it sent that does not decode. */
export class OutputCollector {
  readonly byStream = new Map<number, FrameHeader[]>();
  readonly malformed: string[] = [];
  readonly #loop: Promise<void>;

  constructor(socket: zmq.Pull) {
    this.#loop = this.#receive(socket);
  }

  async #receive(socket: zmq.Pull): Promise<void> {
    try {
      for await (const parts of receiveMessages(socket)) {
        const frame = decodeFrame(parts);
        if (!frame.ok) {
          this.malformed.push(`${frame.reason}${frame.field ? ` (${frame.field})` : ''}`);
          continue;
        }
        const list = this.byStream.get(frame.header.stream) ?? [];
        list.push({ ...frame.header });
        this.byStream.set(frame.header.stream, list);
      }
    } catch {
      // Closed.
    }
  }

  of(stream: number): FrameHeader[] {
    return this.byStream.get(stream) ?? [];
  }

  /** Resolves true once `done()` holds, false after `withinMs`. */
  async until(done: () => boolean, withinMs: number): Promise<boolean> {
    const end = performance.now() + withinMs;
    while (!done()) {
      if (performance.now() > end) return false;
      await new Promise((r) => setTimeout(r, 5));
    }
    return true;
  }

  closed(): Promise<void> {
    return this.#loop;
  }
}
