import * as zmq from 'zeromq';
import { StartupError } from '../lifecycle/run-stage.js';
import { z85Encode } from './curve-keys.js';

/** Where libzmq sends ZAP requests (ZeroMQ RFC 27); one handler per context, here the global one. */
export const ZAP_ENDPOINT = 'inproc://zeromq.zap.01';

/** Handshakes the handler rejected in this process (every domain), for `quell_<stage>_auth_failures_total`. */
let rejectedTotal = 0;

/** Handshakes rejected by this process's ZAP handler so far; 0 when CURVE is off. */
export function zapRejections(): number {
  return rejectedTotal;
}

/** One allow-list registered with the handler; close() unregisters it and releases the handler. */
export interface ZapRegistration {
  readonly domain: string;
  close(): Promise<void>;
}

/**
 * The process's ZAP handler: a REP socket at {@link ZAP_ENDPOINT} that
 * answers every CURVE handshake libzmq starts on a socket with `curveServer`
 * set. It accepts a client only when the ZAP domain of the server socket is
 * registered and the client's public key is on that domain's allow-list;
 * everything else (unknown key, unknown domain, another mechanism) gets
 * status 400 and is counted. zeromq.js has no built-in handler, and without
 * one libzmq lets every CURVE client in, so the handler is bound before any
 * CURVE server socket binds.
 */
class ZapHandler {
  readonly #socket: zmq.Reply;
  readonly #domains = new Map<string, Set<string>>();
  readonly #loop: Promise<void>;
  acceptedCount = 0;

  private constructor(socket: zmq.Reply) {
    this.#socket = socket;
    this.#loop = this.#run();
  }

  static async open(): Promise<ZapHandler> {
    const socket = new zmq.Reply({ linger: 0 });
    try {
      await socket.bind(ZAP_ENDPOINT);
    } catch (err) {
      socket.close();
      throw new StartupError('ERR_ZAP', `cannot start the CURVE authentication handler at ${ZAP_ENDPOINT} (${(err as Error).message})`);
    }
    return new ZapHandler(socket);
  }

  get domainCount(): number {
    return this.#domains.size;
  }

  allow(domain: string, publicKeys: readonly string[]): void {
    if (this.#domains.has(domain)) throw new TypeError(`ZAP domain '${domain}' is already registered`);
    this.#domains.set(domain, new Set(publicKeys));
  }

  forget(domain: string): void {
    this.#domains.delete(domain);
  }

  /** Status code, text and user id for one request (RFC 27 frames after the request id). */
  #decide(domain: string, mechanism: string, credentials: Buffer[]): [string, string, string] {
    const allowed = this.#domains.get(domain);
    if (!allowed) return ['400', 'unknown ZAP domain', ''];
    if (mechanism !== 'CURVE' || credentials.length !== 1 || credentials[0].length !== 32) return ['400', 'CURVE required', ''];
    const key = z85Encode(credentials[0]);
    return allowed.has(key) ? ['200', 'OK', key] : ['400', 'client key not allowed', ''];
  }

  async #run(): Promise<void> {
    try {
      for await (const [version, requestId, domain, , , mechanism, ...credentials] of this.#socket) {
        const [status, text, userId] =
          version?.toString() === '1.0' && mechanism !== undefined ? this.#decide(domain?.toString() ?? '', mechanism.toString(), credentials) : ['500', 'bad ZAP request', ''];
        if (status === '200') this.acceptedCount++;
        else rejectedTotal++;
        await this.#socket.send(['1.0', requestId ?? '', status, text, userId, '']);
      }
    } catch (err) {
      // Closing the socket ends the loop; anything else is a bug in this handler.
      if (!this.#socket.closed) throw err;
    }
  }

  async close(): Promise<void> {
    this.#socket.close();
    await this.#loop;
  }
}

let shared: Promise<ZapHandler> | null = null;

/**
 * Registers `publicKeys` as the allow-list of ZAP `domain`, starting the
 * process's handler on first use; the handler closes when the last
 * registration does. Resolves once the handler is bound, so a CURVE server
 * socket created afterwards is always checked.
 */
export async function registerZapDomain(domain: string, publicKeys: readonly string[]): Promise<ZapRegistration> {
  shared ??= ZapHandler.open();
  let handler: ZapHandler;
  try {
    handler = await shared;
  } catch (err) {
    shared = null;
    throw err;
  }
  handler.allow(domain, publicKeys);
  let closed: Promise<void> | null = null;
  return {
    domain,
    close() {
      closed ??= (async () => {
        handler.forget(domain);
        if (handler.domainCount === 0) {
          shared = null;
          await handler.close();
        }
      })();
      return closed;
    },
  };
}
