import { readControl, describeControlReject, type ControlMessage } from '@quell/protocol';
import { matches } from './matcher.js';

interface Received {
  message: ControlMessage;
  /** The ROUTER identity it came from (node suite), else empty. */
  identity: Buffer;
  consumed: boolean;
}

/** Control messages the peer under test sent, waiting to be matched by the script's `expect` steps. */
export class ControlInbox {
  readonly #received: Received[] = [];
  /** Parts the peer sent that are not valid control messages (each one fails the suite). */
  readonly malformed: string[] = [];

  add(part: Buffer | undefined, identity: Buffer = Buffer.alloc(0)): void {
    const read = readControl(part);
    if (read.ok) this.#received.push({ message: read.message, identity, consumed: false });
    else this.malformed.push(describeControlReject(read));
  }

  /** The first unconsumed message matching `pattern`, waiting up to `withinMs`; consumed when found. */
  async next(pattern: Record<string, unknown>, vars: Readonly<Record<string, unknown>>, withinMs: number): Promise<Received | null> {
    const end = performance.now() + withinMs;
    for (;;) {
      const found = this.#received.find((r) => !r.consumed && matches(pattern, r.message, vars));
      if (found) {
        found.consumed = true;
        return found;
      }
      if (performance.now() > end) return null;
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Messages other than heartbeats that arrived unconsumed during the next `forMs`. */
  async arrivingWithin(forMs: number): Promise<ControlMessage[]> {
    const start = this.#received.length;
    await new Promise((r) => setTimeout(r, forMs));
    return this.#received.slice(start).filter((r) => r.message.type !== 'heartbeat').map((r) => r.message);
  }

  /** Types of the messages no step matched (heartbeats left out), for a failure's detail. */
  unmatched(): string[] {
    return this.#received.filter((r) => !r.consumed && r.message.type !== 'heartbeat').map((r) => r.message.type);
  }
}
