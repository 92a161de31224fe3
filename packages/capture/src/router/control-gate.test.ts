import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ControlGate } from './control-gate.js';

const OPTIONS = { ratePerS: 10, burst: 5, maxPeers: 3, maxWatchers: 2, watchTtlMs: 1000 };
const peer = (n: number): Buffer => Buffer.from([0, n]);

describe('ControlGate', () => {
  it('lets a peer send its burst, then its rate, and counts the rest', () => {
    const gate = new ControlGate(OPTIONS);
    const admitted = Array.from({ length: 8 }, () => gate.admit(peer(1), 0)).filter(Boolean).length;
    assert.equal(admitted, 5);
    assert.equal(gate.refused['rate-limited'], 3);
    // 10 per second: one more token every 100 ms.
    assert.equal(gate.admit(peer(1), 50), false);
    assert.equal(gate.admit(peer(1), 160), true);
    assert.equal(gate.admit(peer(1), 170), false);
    assert.equal(gate.refused['rate-limited'], 5);
  });

  it("one peer's flood does not use another's tokens", () => {
    const gate = new ControlGate(OPTIONS);
    for (let i = 0; i < 100; i++) gate.admit(peer(1), 0);
    assert.equal(gate.admit(peer(2), 0), true);
  });

  it('tracks at most maxPeers and forgets on prune the ones whose bucket has refilled', () => {
    const gate = new ControlGate(OPTIONS);
    for (let n = 0; n < 3; n++) assert.equal(gate.admit(peer(n), 0), true);
    assert.equal(gate.admit(peer(9), 0), false);
    assert.equal(gate.refused['peer-cap'], 1);
    // Each took 1 of 5 tokens at 10/s: full again (as good as new, so forgotten) 100 ms later.
    gate.prune(50);
    assert.equal(gate.peerCount, 3);
    gate.prune(100);
    assert.equal(gate.peerCount, 0);
    assert.equal(gate.admit(peer(9), 100), true);
  });

  it('keeps at most maxWatchers, renews a known one, and prunes expired ones', () => {
    const gate = new ControlGate(OPTIONS);
    assert.equal(gate.watch(peer(1), 0), true);
    assert.equal(gate.watch(peer(2), 0), true);
    assert.equal(gate.watch(peer(3), 0), false);
    assert.equal(gate.refused['watch-cap'], 1);
    assert.equal(gate.watch(peer(1), 800), true, 'renewing is not a new watcher');
    assert.deepEqual(gate.watchers(1500).map((b) => b[1]), [1]);
    gate.prune(1500);
    assert.equal(gate.watcherCount, 1);
    assert.equal(gate.watch(peer(3), 1500), true);
  });
});
