import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as zmq from 'zeromq';
import { ControlSender } from './control-sender.js';

describe('ControlSender', () => {
  it('sends in order, one at a time, through a real DEALER to a ROUTER', async () => {
    const router = new zmq.Router({ linger: 0 });
    await router.bind('tcp://127.0.0.1:*');
    const dealer = new zmq.Dealer({ linger: 0 });
    dealer.connect(router.lastEndpoint!);
    const sender = new ControlSender(dealer);
    try {
      for (let i = 0; i < 50; i++) assert.equal(sender.send(Buffer.from(String(i))), true);
      const got: string[] = [];
      for (let i = 0; i < 50; i++) {
        const [, payload] = await router.receive();
        got.push(payload.toString());
      }
      assert.deepEqual(got, Array.from({ length: 50 }, (_, i) => String(i)));
      await sender.settled();
      assert.equal(sender.pending, 0);
      assert.equal(sender.droppedCount, 0);
    } finally {
      dealer.close();
      router.close();
    }
  });

  it('bounds what waits: beyond maxPending a message is dropped and counted', async () => {
    // A DEALER with no peer blocks its first send, so everything after it waits.
    const dealer = new zmq.Dealer({ linger: 0, sendTimeout: 300 });
    const sender = new ControlSender(dealer, 4);
    try {
      const accepted = Array.from({ length: 10 }, () => sender.send(Buffer.from('x'))).filter(Boolean).length;
      assert.equal(accepted, 4);
      assert.equal(sender.droppedCount, 6);
      await sender.settled();
      // The four queued ones timed out against the absent peer: dropped too, not kept.
      assert.equal(sender.droppedCount, 10);
      assert.equal(sender.pending, 0);
    } finally {
      dealer.close();
    }
  });
});
