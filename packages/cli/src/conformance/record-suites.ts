import { FrameFlags, PROTOCOL_VERSION } from '@quell/protocol';
import { num, writeMsgpack, type Encoded } from './msgpack-writer.js';
import type { FrameCase, FrameReceiverSuite, SamplesSpec, ScriptSuite, Step } from './suite-types.js';

/**
 * Builds the recorded suites in conformance/ (run `node scripts/record-conformance.mjs` after changing this;
 * a test fails while the committed files differ).
 */

const RATE = 48_000;
const FRAMES = 480;
/** 2026-01-01T00:00:00Z in µs: a fixed capture time, so the recorded bytes never change (run the stage with its staleness check off). */
const CAPTURE_TIME_US = 1_767_225_600_000_000;

function compact(n: number): Encoded {
  if (n < 128) return num('fix', n);
  if (n < 256) return num('u8', n);
  if (n < 65_536) return num('u16', n);
  if (n < 2 ** 32) return num('u32', n);
  return num('u64', n);
}

type HeaderValues = Record<string, Encoded | undefined>;

/** A header's hex: the standard fields (compact integers, as most encoders write them), then `overrides` (undefined drops a field, new keys are appended). */
function header(stream: number, seq: number, overrides: HeaderValues = {}): string {
  const fields: HeaderValues = {
    v: compact(PROTOCOL_VERSION),
    stream: compact(stream),
    seq: compact(seq),
    ts: compact(seq * FRAMES),
    captureTimeUs: compact(CAPTURE_TIME_US),
    sampleRateHz: compact(RATE),
    channelCount: compact(1),
    frameCount: compact(FRAMES),
    flags: compact(0),
    delayFrames: compact(0),
    ...overrides,
  };
  const entries = Object.entries(fields).filter((e): e is [string, Encoded] => e[1] !== undefined);
  return writeMsgpack({ map: entries }).toString('hex');
}

const mono = (frames = FRAMES): SamplesSpec => ({ frames, channels: 1, fill: 0.25 });

function frameCases(): FrameCase[] {
  const cases: Omit<FrameCase, 'stream'>[] = [];
  const accept = (name: string, seq: number, overrides: HeaderValues, samples = mono(), extra: Partial<Extract<FrameCase['expect'], { accept: true }>> = {}): void => {
    cases.push({ name, seq, header: '', samples, expect: { accept: true, ...extra }, overrides } as never);
  };
  const reject = (name: string, reason: string, overrides: HeaderValues, samples = mono(), field?: string): void => {
    cases.push({ name, seq: 5, header: '', samples, expect: { reject: reason, ...(field ? { field } : {}) }, overrides } as never);
  };
  accept('a frame with compact integers (fixint … uint32, uint64 captureTimeUs)', 0, {});
  accept('every number as uint64', 1, { v: num('u64', 1), seq: num('u64', 1), ts: num('u64', FRAMES), captureTimeUs: num('u64', CAPTURE_TIME_US), sampleRateHz: num('u64', RATE), channelCount: num('u64', 1), frameCount: num('u64', FRAMES), flags: num('u64', 0), delayFrames: num('u64', 0) });
  accept('every number as int64', 2, { v: num('i64', 1), seq: num('i64', 2), ts: num('i64', 2 * FRAMES), captureTimeUs: num('i64', CAPTURE_TIME_US), sampleRateHz: num('i64', RATE), channelCount: num('i64', 1), frameCount: num('i64', FRAMES), flags: num('i64', 0), delayFrames: num('i64', 0) });
  accept('every number as float64 with an integral value', 3, { v: num('f64', 1), seq: num('f64', 3), ts: num('f64', 3 * FRAMES), captureTimeUs: num('f64', CAPTURE_TIME_US + 0.5), sampleRateHz: num('f64', RATE), channelCount: num('f64', 1), frameCount: num('f64', FRAMES), flags: num('f64', 0), delayFrames: num('f64', 0) });
  accept('an unknown extra key is ignored', 0, { futureField: 'x', futureNumber: num('u8', 200) });
  accept('stereo at 44.1 kHz, 441 frames', 0, { sampleRateHz: compact(44_100), channelCount: compact(2), frameCount: compact(441), ts: compact(0) }, { frames: 441, channels: 2, fill: 0.1 });
  accept('a chunk of another length than the others', 0, { frameCount: compact(17) }, mono(17));
  accept('END_OF_STREAM on an empty chunk', 0, { frameCount: compact(0), flags: compact(FrameFlags.END_OF_STREAM) }, mono(0), { endOfStream: true });
  accept('a hand-over stamp is kept', 40, { handover: { map: [['from', 'node-a'], ['to', 'node-b'], ['atSeq', compact(40)], ['fadeChunks', compact(5)]] } }, mono(), { handover: true });
  accept('seq and ts near the u32 wrap', 4_294_967_295, { ts: num('u32', 4_294_967_000) });
  reject('version 2', 'version', { v: compact(2) }, mono(), 'v');
  reject('seq −1 (int8)', 'field', { seq: num('i8', -1) }, mono(), 'seq');
  reject('seq 4.5', 'field', { seq: num('f64', 4.5) }, mono(), 'seq');
  reject('stream 2^32 (uint64)', 'field', { stream: num('u64', 2 ** 32) }, mono(), 'stream');
  reject('captureTimeUs missing', 'field', { captureTimeUs: undefined }, mono(), 'captureTimeUs');
  reject('captureTimeUs as a string', 'field', { captureTimeUs: '1767225600000000' }, mono(), 'captureTimeUs');
  reject('an undefined flag bit (8)', 'field', { flags: compact(8) }, mono(), 'flags');
  reject('a node id of 65 characters', 'field', { node: 'n'.repeat(65) }, mono(), 'node');
  reject('a hand-over with fadeChunks 0', 'field', { handover: { map: [['from', 'a'], ['to', 'b'], ['atSeq', compact(1)], ['fadeChunks', compact(0)]] } }, mono(), 'handover');
  reject('sample rate 1000 Hz', 'sample-rate', { sampleRateHz: compact(1000) }, mono(), 'sampleRateHz');
  reject('9 channels', 'channel-count', { channelCount: compact(9) }, mono(), 'channelCount');
  reject('frameCount 384001', 'frame-count', { frameCount: num('u32', 384_001) }, mono(), 'frameCount');
  reject('samples one byte short', 'length-mismatch', {}, { bytes: FRAMES * 4 - 1 });
  reject('a NaN sample', 'non-finite', {}, { frames: FRAMES, channels: 1, fill: 0.25, nanAt: 100 });
  const numbered = cases.map((c, i) => {
    const stream = 1000 + i;
    const { overrides, ...rest } = c as unknown as FrameCase & { overrides: HeaderValues };
    return { ...rest, stream, header: header(stream, c.seq, overrides) };
  });
  // Malformed messages that no header override can make.
  const base = numbered.length;
  numbered.push({ name: 'one part only', stream: 1000 + base, seq: 5, header: header(1000 + base, 5), samples: null, expect: { reject: 'part-count' } });
  numbered.push({ name: 'three parts', stream: 1001 + base, seq: 5, header: header(1001 + base, 5), samples: mono(), extraParts: ['00'], expect: { reject: 'part-count' } });
  numbered.push({ name: 'a header that is an array, not a map', stream: 1002 + base, seq: 5, header: writeMsgpack([num('fix', 1), num('fix', 2)]).toString('hex'), samples: mono(), expect: { reject: 'header-decode' } });
  numbered.push({ name: 'a header of 600 bytes', stream: 1003 + base, seq: 5, header: header(1003 + base, 5, { padding: 'p'.repeat(200) }).padEnd(1200, '0'), samples: mono(), expect: { reject: 'header-size' } });
  return numbered;
}

/** The frame-receiver suite. */
export function frameReceiverSuite(): FrameReceiverSuite {
  return {
    suite: 'frame-receiver',
    description: 'Data frames to a stage that pulls frames and pushes what it accepts (an inference node in direct mode). Each case uses its own stream; after each, a valid probe frame must come out.',
    probe: { stream: 999_999, frames: FRAMES, sampleRateHz: RATE },
    cases: frameCases(),
  };
}

const chunks = (stream: number, fromSeq: number, count: number, extra: Partial<Extract<Step, { send: 'chunks' }>> = {}): Step => ({ send: 'chunks', stream, fromSeq, count, frames: FRAMES, sampleRateHz: RATE, ...extra });

/** The node suite: the runner plays capture; the node under test goes candidate → hand-over → active → end of stream → drain. */
export function nodeSuite(): ScriptSuite {
  const S = 7;
  return {
    suite: 'node',
    description: "An inference node's life as capture drives it: registration as a candidate, warm-up, a hand-over, promotion, live chunks with heartbeats, a malformed frame, end of stream and drain.",
    steps: [
      { expect: 'control', message: { type: 'hello', node: '$any', model: '$any', nativeRateHz: '$any', pid: '$any', metricsPort: '$any', outputEndpoint: '$any' }, withinMs: 15_000 },
      { send: 'control', message: { type: 'welcome', inputEndpoint: '$input', role: 'candidate' } },
      { send: 'control', message: { type: 'warm-up', stream: S, lastSeq: 9 } },
      chunks(S, 0, 10, { flags: FrameFlags.WARM_UP, note: 'the last second of the stream' }),
      { expect: 'control', message: { type: 'warmed', node: '$node', stream: S, seq: { $atLeast: 9 } }, withinMs: 5000 },
      { expect: 'no-output', stream: S, forMs: 300, note: 'warm-up chunks give no output' },
      chunks(S, 10, 10, { handover: { from: 'conformance-old', to: '$node', atSeq: 10, fadeChunks: 5 } }),
      { expect: 'outputs', stream: S, fromSeq: 10, count: 10, node: true, handover: true, withinMs: 3000 },
      { expect: 'control', message: { type: 'progress', node: '$node', stream: S, seq: { $atLeast: 15 } }, withinMs: 3000 },
      { send: 'control', message: { type: 'promote' } },
      chunks(S, 20, 10),
      { expect: 'outputs', stream: S, fromSeq: 20, count: 10, node: true, withinMs: 3000 },
      { expect: 'control', message: { type: 'heartbeat', node: '$node', streams: { $includes: [S, { $atLeast: 29 }] } }, withinMs: 3000 },
      { send: 'frame-hex', header: header(8, 0, { v: compact(2) }), samples: mono(), note: 'a frame of protocol version 2' },
      chunks(S, 30, 2),
      { expect: 'outputs', stream: S, fromSeq: 30, count: 2, node: true, withinMs: 3000, note: 'still working after the bad frame' },
      chunks(S, 32, 1, { flags: FrameFlags.END_OF_STREAM }),
      { expect: 'outputs', stream: S, fromSeq: 32, count: 1, endOfStream: true, withinMs: 3000 },
      { send: 'control', message: { type: 'drain' } },
      { expect: 'control', message: { type: 'drained', node: '$node' }, withinMs: 5000 },
    ],
  };
}

/** The capture-control suite: the runner is a control client of a capture with no inference node. */
export function captureControlSuite(): ScriptSuite {
  const malformed = (delta: number): Step => ({ expect: 'counter', metric: 'quell_capture_control_rejected_total', labels: { reason: 'malformed' }, delta });
  return {
    suite: 'capture-control',
    description: "Control messages to capture's ROUTER from an authenticated client, with the replies (or silence) and refusal counts expected.",
    steps: [
      { send: 'control', message: { type: 'status-request' } },
      { expect: 'control', message: { type: 'status', nodes: '$any', streams: '$any' }, withinMs: 3000 },
      { send: 'control-hex', hex: writeMsgpack({ map: [['type', 'status-request'], ['futureField', num('u64', 7)]] }).toString('hex'), note: 'an unknown key is ignored' },
      { expect: 'control', message: { type: 'status' }, withinMs: 3000 },
      { send: 'control-hex', hex: 'c1', note: 'not MessagePack' },
      { expect: 'no-control', forMs: 300 },
      malformed(1),
      { send: 'control', message: { type: 'warmed', stream: 1, seq: 1 }, note: 'node missing' },
      { expect: 'no-control', forMs: 300 },
      malformed(2),
      { send: 'control', message: { type: 'launch' }, note: 'an unknown type' },
      { expect: 'no-control', forMs: 300 },
      malformed(3),
      { send: 'control', message: { type: 'heartbeat', node: 'conformance-ghost', streams: [] }, note: 'a node capture does not know' },
      { expect: 'control', message: { type: 'unknown-node' }, withinMs: 3000 },
      { expect: 'counter', metric: 'quell_capture_control_rejected_total', labels: { reason: 'unregistered' }, delta: 1 },
      { send: 'control', message: { type: 'hello', node: 'conformance-node', model: 'none', nativeRateHz: 0, pid: 0, metricsPort: 0, outputEndpoint: 'tcp://127.0.0.1:1', dataKey: '$dataKey' }, note: 'registers a node; dataKey is left out when CURVE is off' },
      { expect: 'control', message: { type: 'welcome', inputEndpoint: '$any', role: 'active' }, withinMs: 3000 },
      { expect: 'control', message: { type: 'promote' }, withinMs: 3000 },
      { send: 'control', message: { type: 'bye', node: 'conformance-node' } },
      { send: 'control', message: { type: 'status-request' } },
      { expect: 'control', message: { type: 'status', nodes: [] }, withinMs: 3000, note: 'bye removed the node' },
    ],
  };
}

/** Every suite by file name under conformance/. */
export function recordSuites(): Record<string, FrameReceiverSuite | ScriptSuite> {
  return { 'frame-receiver.json': frameReceiverSuite(), 'node.json': nodeSuite(), 'capture-control.json': captureControlSuite() };
}
