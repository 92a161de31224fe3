import type * as zmq from 'zeromq';

export type MessageParts = [Buffer, Buffer];

/**
 * A bounded queue in front of one socket with exactly one sending loop.
 * zeromq.js rejects a second concurrent send (EBUSY), so every part of a
 * stage hands its messages to this queue instead of calling send().
 *
 * `offer()` never waits: when the queue is full it returns false and the
 * caller counts a drop (real-time stages). `put()` waits for room (offline
 * `--fast` processing, where no frame may be dropped).
 */
export class SendQueue {
  readonly #socket: zmq.Writable;
  readonly #ring: (MessageParts | undefined)[];
  #head = 0;
  #size = 0;
  #closed = false;
  #wakeSender: (() => void) | null = null;
  #roomWaiters: (() => void)[] = [];
  #emptyWaiters: (() => void)[] = [];
  readonly #loop: Promise<void>;
  /** Messages the socket accepted. */
  sentCount = 0;
  /** Send failures (socket closed under us, etc.). */
  errorCount = 0;

  constructor(socket: zmq.Writable, capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new TypeError('capacity must be a positive integer');
    this.#socket = socket;
    this.#ring = new Array(capacity);
    this.#loop = this.#run();
  }

  get depth(): number {
    return this.#size;
  }

  get capacity(): number {
    return this.#ring.length;
  }

  /** Enqueues without waiting; false when full or closed (the caller counts the drop). */
  offer(parts: MessageParts): boolean {
    if (this.#closed || this.#size === this.#ring.length) return false;
    this.#ring[(this.#head + this.#size) % this.#ring.length] = parts;
    this.#size++;
    const wake = this.#wakeSender;
    if (wake) {
      this.#wakeSender = null;
      wake();
    }
    return true;
  }

  /** Enqueues, waiting for room; resolves false only if the queue closed. */
  async put(parts: MessageParts): Promise<boolean> {
    while (!this.offer(parts)) {
      if (this.#closed) return false;
      await new Promise<void>((resolve) => this.#roomWaiters.push(resolve));
    }
    return true;
  }

  /** Resolves when everything queued has been handed to the socket, or after timeoutMs. */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.#size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const emptied = new Promise<boolean>((resolve) => this.#emptyWaiters.push(() => resolve(true)));
    const result = await Promise.race([emptied, timedOut]);
    clearTimeout(timer);
    return result;
  }

  /** Stops the loop; queued messages are discarded. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return this.#loop;
    this.#closed = true;
    this.#wakeSender?.();
    for (const w of this.#roomWaiters.splice(0)) w();
    for (const w of this.#emptyWaiters.splice(0)) w();
    return this.#loop;
  }

  async #run(): Promise<void> {
    while (!this.#closed) {
      if (this.#size === 0) {
        await new Promise<void>((resolve) => (this.#wakeSender = resolve));
        continue;
      }
      const parts = this.#ring[this.#head]!;
      try {
        await this.#socket.send(parts);
        this.sentCount++;
      } catch {
        if (this.#closed) return;
        this.errorCount++;
      }
      this.#ring[this.#head] = undefined;
      this.#head = (this.#head + 1) % this.#ring.length;
      this.#size--;
      const room = this.#roomWaiters.shift();
      room?.();
      if (this.#size === 0) for (const w of this.#emptyWaiters.splice(0)) w();
    }
  }
}
