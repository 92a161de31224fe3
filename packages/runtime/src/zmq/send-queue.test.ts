import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type * as zmq from 'zeromq';
import { SendQueue, type MessageParts } from './send-queue.js';

/** A socket whose sends complete only when the test releases them, one at a time. */
class GatedSocket {
  sent: MessageParts[] = [];
  concurrent = 0;
  maxConcurrent = 0;
  #release: (() => void)[] = [];
  async send(parts: MessageParts): Promise<void> {
    this.concurrent++;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.concurrent);
    await new Promise<void>((r) => this.#release.push(r));
    this.concurrent--;
    this.sent.push(parts);
  }
  releaseAll(): void {
    for (const r of this.#release.splice(0)) r();
  }
}

const msg = (i: number): MessageParts => [Buffer.from([i]), Buffer.alloc(0)];
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('SendQueue', () => {
  it('offer() returns false once full (the message in flight counts) and never runs two sends at once', async () => {
    const socket = new GatedSocket();
    const queue = new SendQueue(socket as unknown as zmq.Writable, 2);
    assert.equal(queue.offer(msg(1)), true);
    await tick();
    assert.equal(queue.offer(msg(2)), true);
    assert.equal(queue.offer(msg(3)), false);
    for (let i = 0; i < 5; i++) {
      socket.releaseAll();
      await tick();
    }
    assert.deepEqual(socket.sent.map((p) => p[0][0]), [1, 2]);
    assert.equal(socket.maxConcurrent, 1);
    assert.equal(queue.sentCount, 2);
    await queue.close();
  });

  it('put() waits for room instead of dropping', async () => {
    const socket = new GatedSocket();
    const queue = new SendQueue(socket as unknown as zmq.Writable, 1);
    const puts = [1, 2, 3, 4].map((i) => queue.put(msg(i)));
    for (let i = 0; i < 10; i++) {
      socket.releaseAll();
      await tick();
    }
    assert.deepEqual(await Promise.all(puts), [true, true, true, true]);
    assert.deepEqual(socket.sent.map((p) => p[0][0]), [1, 2, 3, 4]);
    await queue.close();
  });

  it('close() is safe twice and refuses later offers', async () => {
    const queue = new SendQueue(new GatedSocket() as unknown as zmq.Writable, 1);
    await queue.close();
    await queue.close();
    assert.equal(queue.offer(msg(1)), false);
  });
});
