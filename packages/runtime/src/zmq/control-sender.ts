import type * as zmq from 'zeromq';

/**
 * The one way to send on a control socket (capture's ROUTER, a node's or a
 * client's DEALER): one send at a time, since zeromq.js refuses a concurrent
 * send (EBUSY), and at most `maxPending` waiting. A message beyond that, or
 * one the socket refuses (a ROUTER with sendTimeout 0 facing a gone or full
 * peer), is dropped and counted instead of growing a promise chain without
 * bound.
 */
export class ControlSender {
  readonly #socket: zmq.Writable;
  readonly #maxPending: number;
  #pending = 0;
  #chain: Promise<void> = Promise.resolve();
  /** Messages dropped: too many waiting, or refused by the socket. */
  droppedCount = 0;

  constructor(socket: zmq.Writable, maxPending = 256) {
    if (!Number.isInteger(maxPending) || maxPending < 1) throw new TypeError('maxPending must be a positive integer');
    this.#socket = socket;
    this.#maxPending = maxPending;
  }

  get pending(): number {
    return this.#pending;
  }

  /** Queues `parts` for sending; false (and counted) when too many are waiting already. */
  send(parts: zmq.MessageLike | zmq.MessageLike[]): boolean {
    if (this.#pending >= this.#maxPending) {
      this.droppedCount++;
      return false;
    }
    this.#pending++;
    this.#chain = this.#chain
      .then(() => this.#socket.send(parts))
      .catch(() => {
        this.droppedCount++;
      })
      .finally(() => {
        this.#pending--;
      });
    return true;
  }

  /** Resolves once every queued message has been sent or dropped. */
  settled(): Promise<void> {
    return this.#chain;
  }
}
