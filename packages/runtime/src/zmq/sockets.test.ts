import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import * as zmq from 'zeromq';
import { createPullSocket, createPushSocket, MAX_DATA_PART_BYTES, receiveMessages } from './sockets.js';

describe('data sockets against oversized messages', () => {
  it('a peer sending parts over the cap is cut off; a good peer beside it gets every message through receiveMessages', async () => {
    const pull = createPullSocket({ highWaterMarkChunks: 1000 });
    await pull.bind('tcp://127.0.0.1:*');
    const good = createPushSocket({ highWaterMarkChunks: 1000 });
    const bad = new zmq.Push({ linger: 0, sendTimeout: 200 });
    good.connect(pull.lastEndpoint!);
    bad.connect(pull.lastEndpoint!);
    const got: string[] = [];
    let wakes = 0;
    const loop = (async () => {
      for await (const [part] of receiveMessages(pull, () => wakes++)) got.push(part.toString());
    })();
    const huge = Buffer.alloc(MAX_DATA_PART_BYTES + 1024);
    try {
      for (let i = 0; i < 100; i++) {
        if (i % 10 === 0) {
          await bad.send(huge).catch(() => undefined);
          // Reconnect, so each oversized message meets a fresh connection (libzmq drops the one that carried it).
          bad.disconnect(pull.lastEndpoint!);
          bad.connect(pull.lastEndpoint!);
        }
        await good.send(`m${i}`);
      }
      for (let i = 0; i < 100 && got.length < 100; i++) await sleep(20);
      assert.deepEqual(got, Array.from({ length: 100 }, (_, i) => `m${i}`));
    } finally {
      good.close();
      bad.close();
      pull.close();
      await loop;
    }
  });
});

describe('receiveMessages', () => {
  it('skips a receive that fails with EAGAIN (a wake-up for a message that was gone, seen in CI after an oversized one) and ends when the socket closes', async () => {
    // The race is libzmq's and cannot be caused on demand, so a stand-in socket fails the way playback's did.
    const script: (Buffer[] | Error)[] = [[Buffer.from('a')], Object.assign(new Error('Operation was not possible or timed out'), { code: 'EAGAIN' }), [Buffer.from('b')]];
    const socket = {
      closed: false,
      async receive(): Promise<Buffer[]> {
        const next = script.shift();
        if (!next) {
          socket.closed = true;
          throw Object.assign(new Error('Socket is closed'), { code: 'EBADF' });
        }
        if (next instanceof Error) throw next;
        return next;
      },
    };
    let wakes = 0;
    const got: string[] = [];
    for await (const [part] of receiveMessages(socket as unknown as zmq.Pull, () => wakes++)) got.push(part.toString());
    assert.deepEqual(got, ['a', 'b']);
    assert.equal(wakes, 1);
  });

  it('any other receive error ends the loop with that error', async () => {
    const socket = { closed: false, receive: async () => Promise.reject(Object.assign(new Error('boom'), { code: 'EFAULT' })) };
    await assert.rejects(
      (async () => {
        for await (const _ of receiveMessages(socket as unknown as zmq.Pull));
      })(),
      /boom/,
    );
  });
});
