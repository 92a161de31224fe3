import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { decodeControl, decodeFrame, encodeControl, encodeFrame, FrameFlags, PROTOCOL_VERSION, type ControlMessage, type FrameHeader } from '@quell/protocol';
import { createCurveKeyPair } from '@quell/runtime';
import { PYTHON_KIT, runPython } from '../helpers/python-kit.js';

// The Python kit's codec (clients/python/quell/codec.py): its own unit tests, and frames and control messages
// crossing between it and Quell's TypeScript codec in both directions.

const hex = (parts: Buffer[]): string[] => parts.map((p) => p.toString('hex'));
const unhex = (parts: string[]): Buffer[] => parts.map((p) => Buffer.from(p, 'hex'));

// Reads frames and control parts (hex, JSON on stdin), decodes each with the kit, re-encodes what it decoded and
// answers with the kit's own messages; a frame the kit rejects comes back as its reason.
const ROUND_TRIP = `
import json, sys
sys.path.insert(0, ${JSON.stringify(PYTHON_KIT)})
from quell.codec import Rejected, decode_control, decode_frame, encode_control, encode_frame
data = json.load(sys.stdin)
frames = []
for parts in data["frames"]:
    f = decode_frame([bytes.fromhex(p) for p in parts])
    if isinstance(f, Rejected):
        frames.append(f.reason)
    else:
        f.header.node = "py-node"
        f.header.delay_frames += 7
        frames.append([p.hex() for p in encode_frame(f.header, f.samples * 2)])
controls = [decode_control(bytes.fromhex(c)) for c in data["controls"]]
mine = [encode_control(m).hex() for m in [
    {"type": "hello", "node": "py", "model": "m", "nativeRateHz": 0, "pid": 12, "metricsPort": 0, "outputEndpoint": "tcp://127.0.0.1:5556", "dataKey": data["key"]},
    {"type": "heartbeat", "node": "py", "streams": [[1, 4294967295], [2, 0]]},
    {"type": "warmed", "node": "py", "stream": 1, "seq": 99},
    {"type": "progress", "node": "py", "stream": 1, "seq": 105},
    {"type": "drained", "node": "py"}, {"type": "bye", "node": "py"}, {"type": "leaving", "node": "py"},
]]
print(json.dumps({"frames": frames, "controls": controls, "mine": mine}))
`;

function header(overrides: Partial<FrameHeader>): FrameHeader {
  return { v: PROTOCOL_VERSION, stream: 9, seq: 0, ts: 0, captureTimeUs: Date.now() * 1000, sampleRateHz: 48_000, channelCount: 1, frameCount: 480, flags: 0, delayFrames: 0, ...overrides };
}

describe('Python kit codec', { timeout: 60_000 }, () => {
  it('passes its unit tests (python3 -m unittest)', async () => {
    const r = await runPython(['-m', 'unittest', 'discover', '-s', join(PYTHON_KIT, 'tests'), '-v']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^OK$/m);
  });

  it('decodes what Quell encodes and Quell decodes what it encodes, fields and samples intact, rejects named alike', async () => {
    const stereo = new Float32Array(2 * 441).map((_, i) => Math.sin(i / 10));
    const sent: { header: FrameHeader; samples: Float32Array }[] = [
      { header: header({ seq: 4_294_967_295, ts: 4_294_967_000, captureTimeUs: 1_765_000_000_123_456 }), samples: new Float32Array(480).fill(0.25) },
      { header: header({ seq: 17, ts: 7497, sampleRateHz: 44_100, channelCount: 2, frameCount: 441, delayFrames: 613, node: 'quell-a', handover: { from: 'quell-a', to: 'py-node', atSeq: 15, fadeChunks: 5 } }), samples: stereo },
      { header: header({ seq: 18, frameCount: 0, flags: FrameFlags.END_OF_STREAM }), samples: new Float32Array(0) },
      { header: header({ flags: FrameFlags.WARM_UP }), samples: new Float32Array(480) },
    ];
    const bad = [encodeFrame(header({ sampleRateHz: 7 }), new Float32Array(480)), [Buffer.from([0xc1]), Buffer.alloc(4)], encodeFrame(header({ v: 2 }), new Float32Array(480))];
    const key = createCurveKeyPair().publicKey;
    const controls: ControlMessage[] = [
      { type: 'welcome', inputEndpoint: 'tcp://127.0.0.1:40001', role: 'candidate' },
      { type: 'warm-up', stream: 9, lastSeq: 4_294_967_295 },
      { type: 'promote' }, { type: 'abort', reason: 'a swap is in progress' }, { type: 'drain' }, { type: 'no-successor' }, { type: 'unknown-node' },
    ];
    const input = JSON.stringify({ frames: [...sent.map((f) => hex(encodeFrame(f.header, f.samples))), ...bad.map(hex)], controls: controls.map((c) => encodeControl(c).toString('hex')), key });
    const r = await runPython(['-c', ROUND_TRIP], 30_000, input);
    assert.equal(r.code, 0, r.stderr);
    const back = JSON.parse(r.stdout) as { frames: (string[] | string)[]; controls: unknown[]; mine: string[] };
    assert.deepEqual(back.frames.slice(sent.length), ['sample-rate', 'header-decode', 'version'], 'the kit rejects with Quell’s reasons');
    sent.forEach((f, i) => {
      const decoded = decodeFrame(unhex(back.frames[i] as string[]));
      assert.ok(decoded.ok, `frame ${i}: Quell rejected the kit's frame (${decoded.ok ? '' : decoded.reason})`);
      assert.deepEqual(decoded.header, { ...f.header, node: 'py-node', delayFrames: f.header.delayFrames + 7 });
      assert.deepEqual(Array.from(decoded.samples), Array.from(f.samples, (x) => x * 2));
    });
    assert.deepEqual(back.controls, controls, 'the kit decodes every message capture sends a node');
    const mine = back.mine.map((m) => decodeControl(Buffer.from(m, 'hex')));
    assert.deepEqual(mine.map((m) => m?.type), ['hello', 'heartbeat', 'warmed', 'progress', 'drained', 'bye', 'leaving'], 'Quell accepts every message the kit sends');
    assert.equal((mine[0] as { dataKey?: string }).dataKey, key);
  });
});
