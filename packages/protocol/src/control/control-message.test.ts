import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Packr } from 'msgpackr';
import { decodeControl, encodeControl, MAX_CONTROL_BYTES, readControl, type ControlMessage } from './control-message.js';

const VALID: ControlMessage[] = [
  { type: 'hello', node: 'n1', model: 'dtln', nativeRateHz: 16_000, pid: 42, metricsPort: 9102, outputEndpoint: 'tcp://127.0.0.1:5556' },
  { type: 'heartbeat', node: 'n1', streams: [[1, 99]] },
  { type: 'warmed', node: 'n1', stream: 1, seq: 100 },
  { type: 'progress', node: 'n1', stream: 1, seq: 105 },
  { type: 'drained', node: 'n1' },
  { type: 'bye', node: 'n1' },
  { type: 'leaving', node: 'n1' },
  { type: 'welcome', inputEndpoint: 'tcp://127.0.0.1:40000', role: 'candidate' },
  { type: 'warm-up', stream: 1, lastSeq: 4_294_967_295 },
  { type: 'promote' },
  { type: 'abort', reason: 'too slow' },
  { type: 'drain' },
  { type: 'no-successor' },
  { type: 'unknown-node' },
  { type: 'status-request' },
  { type: 'status', nodes: [{ node: 'n1', model: 'gain', role: 'active', nativeRateHz: 48_000, pid: 1, metricsPort: 0, outputEndpoint: 'x', silentMs: 12 }], streams: [{ stream: 1, node: 'n1', model: 'gain', seq: 7 }] },
  { type: 'watch' },
  { type: 'swap', outcome: 'rolled-back', from: 'a', to: 'b', reason: 'lag', durationS: 1.5 },
];

describe('control messages', () => {
  it('decodeControl() round-trips every message type', () => {
    for (const m of VALID) assert.deepEqual(decodeControl(encodeControl(m)), m);
  });

  it('decodeControl() returns null for unknown types, bad fields, junk and oversize input, and never throws', () => {
    const bad: unknown[] = [
      { type: 'launch' },
      { type: 'warmed', node: 'n1', stream: -1, seq: 1 },
      { type: 'warmed', node: '', stream: 1, seq: 1 },
      { type: 'hello', node: 'x'.repeat(65), model: 'm', nativeRateHz: 1, pid: 1, metricsPort: 1, outputEndpoint: '' },
      { type: 'heartbeat', node: 'n', streams: [[1]] },
      { type: 'leaving' },
      { type: 'welcome', inputEndpoint: 'e', role: 'boss' },
      { type: 'swap', outcome: 'maybe', from: '', to: '', reason: '', durationS: 0 },
      [1, 2, 3],
      'hello',
      null,
    ];
    for (const b of bad) assert.equal(decodeControl(encodeControl(b as ControlMessage)), null, JSON.stringify(b));
    assert.equal(decodeControl(undefined), null);
    assert.equal(decodeControl(Buffer.alloc(0)), null);
    assert.equal(decodeControl(Buffer.alloc(MAX_CONTROL_BYTES + 1, 0x80)), null);
    let seed = 7;
    for (let i = 0; i < 2000; i++) {
      const bytes = Buffer.alloc(1 + (i % 64));
      for (let k = 0; k < bytes.length; k++) bytes[k] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
      assert.doesNotThrow(() => decodeControl(bytes));
    }
  });

  it('readControl() names the refused field, and accepts 64-bit and float encodings of numbers', () => {
    assert.deepEqual(readControl(encodeControl({ type: 'warmed', stream: 1, seq: 1 } as never)), { ok: false, reason: 'field', type: 'warmed', field: 'node' });
    assert.deepEqual(readControl(encodeControl({ type: 'heartbeat', node: 'n', streams: [[1]] } as never)), { ok: false, reason: 'field', type: 'heartbeat', field: 'streams' });
    assert.deepEqual(readControl(encodeControl({ type: 'launch' } as never)), { ok: false, reason: 'type' });
    assert.deepEqual(readControl(Buffer.from([0xc1])), { ok: false, reason: 'decode' });
    assert.deepEqual(readControl(Buffer.alloc(0)), { ok: false, reason: 'size' });
    const wide = new Packr({ useRecords: false }).pack({ type: 'warmed', node: 'n1', stream: 1n, seq: 4_294_967_295n });
    assert.deepEqual(decodeControl(wide), { type: 'warmed', node: 'n1', stream: 1, seq: 4_294_967_295 });
    assert.deepEqual(decodeControl(new Packr({ useRecords: false }).pack({ type: 'warm-up', stream: 2.0, lastSeq: 7.0 })), { type: 'warm-up', stream: 2, lastSeq: 7 });
    assert.equal(decodeControl(new Packr({ useRecords: false }).pack({ type: 'warm-up', stream: 2.5, lastSeq: 7 })), null);
  });
});
