import { decodeControl, encodeControl, type ControlMessage, type ControlOf } from '@quell/protocol';
import { createDealerSocket, QuellError } from '@quell/runtime';
import type * as zmq from 'zeromq';

/**
 * A client of capture's control socket (docs/SWAP.md): asks for the routing
 * table and listens for swap outcomes. Plain (no CURVE): with CURVE on, the
 * control socket only accepts keys on capture's allow-list.
 */
export class ControlClient {
  readonly #socket: zmq.Dealer;
  readonly #waiters = new Set<(m: ControlMessage) => void>();
  readonly #loop: Promise<void>;
  #sending: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(endpoint: string) {
    this.#socket = createDealerSocket({});
    this.#socket.connect(endpoint);
    this.#loop = this.#receive();
  }

  async #receive(): Promise<void> {
    try {
      for await (const [payload] of this.#socket) {
        const m = decodeControl(payload);
        if (m) for (const w of [...this.#waiters]) w(m);
      }
    } catch {
      // Closed.
    }
  }

  send(message: ControlMessage): void {
    const part = encodeControl(message);
    this.#sending = this.#sending.then(() => this.#socket.send(part)).catch(() => undefined);
  }

  /** The next message of `type` that `accept` takes, or null after `timeoutMs`. */
  next<T extends ControlMessage['type']>(type: T, timeoutMs: number, accept: (m: ControlOf<T>) => boolean = () => true): Promise<ControlOf<T> | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        resolve(null);
      }, timeoutMs);
      const waiter = (m: ControlMessage): void => {
        if (m.type !== type || !accept(m as ControlOf<T>)) return;
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        resolve(m as ControlOf<T>);
      };
      this.#waiters.add(waiter);
    });
  }

  /** Capture's routing table; rejects with QuellError when capture does not answer. */
  async status(timeoutMs = 2000): Promise<ControlOf<'status'>> {
    const answer = this.next('status', timeoutMs);
    this.send({ type: 'status-request' });
    const status = await answer;
    if (!status) throw new QuellError('ERR_NO_CAPTURE', `capture does not answer on its control socket within ${timeoutMs} ms: is it running in routed mode (--control)?`);
    return status;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#sending;
    this.#socket.close();
    await this.#loop;
  }
}
