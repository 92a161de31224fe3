import { decodeControl, encodeControl, type ControlMessage, type ControlOf } from '@quell/protocol';
import { ControlSender, createDealerSocket, QuellError, receiveMessages, type CurveSocketOptions } from '@quell/runtime';
import type * as zmq from 'zeromq';

/**
 * A client of capture's control socket (docs/SWAP.md): asks for the routing
 * table and listens for swap outcomes. It proves the same key as the stages
 * (by default this user's local key, docs/SECURITY.md): capture answers no
 * one else.
 */
export class ControlClient {
  readonly #socket: zmq.Dealer;
  readonly #waiters = new Set<(m: ControlMessage) => void>();
  readonly #loop: Promise<void>;
  readonly #sender: ControlSender;
  #closed = false;

  constructor(endpoint: string, curve: CurveSocketOptions | undefined) {
    this.#socket = createDealerSocket({ curve });
    this.#sender = new ControlSender(this.#socket);
    this.#socket.connect(endpoint);
    this.#loop = this.#receive();
  }

  async #receive(): Promise<void> {
    try {
      for await (const [payload] of receiveMessages(this.#socket)) {
        const m = decodeControl(payload);
        if (m) for (const w of [...this.#waiters]) w(m);
      }
    } catch {
      // Closed.
    }
  }

  send(message: ControlMessage): void {
    this.#sender.send(encodeControl(message));
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
    await this.#sender.settled();
    this.#socket.close();
    await this.#loop;
  }
}
