import { MAX_CONTROL_BYTES, WireLimits } from '@quell/protocol';
import * as zmq from 'zeromq';

/** Room for CURVE's per-message overhead (command name, nonce, MAC) on top of a part's own bytes. */
const WIRE_OVERHEAD_BYTES = 64;

/**
 * Largest part a data socket takes: the samples of the largest valid frame
 * (a header is far smaller). libzmq disconnects a peer that sends more, before
 * allocating it, so a few huge messages cannot eat the receiver's memory.
 */
export const MAX_DATA_PART_BYTES = WireLimits.maxFrameCount * WireLimits.maxChannelCount * 4 + WIRE_OVERHEAD_BYTES;

/** Largest part a control socket takes (one control message). */
export const MAX_CONTROL_PART_BYTES = MAX_CONTROL_BYTES + WIRE_OVERHEAD_BYTES;

/**
 * CURVE settings of one socket (keys as 40-character Z85 text). A server
 * (a bound socket) proves `secretKey` and lets the process's ZAP handler
 * check each client against the allow-list of `zapDomain`; a client (a
 * connecting socket) proves its key pair and accepts only the server whose
 * public key is `serverKey`.
 */
export type CurveSocketOptions =
  | { role: 'server'; secretKey: string; zapDomain: string }
  | { role: 'client'; publicKey: string; secretKey: string; serverKey: string };

/** Socket settings fixed at creation (sizes in messages, i.e. chunks). */
export interface SocketOptions {
  /** Messages libzmq queues per peer before send waits (PUSH) or receive stops reading (PULL). */
  highWaterMarkChunks: number;
  /** How long close() may keep unsent messages, ms; small so SIGTERM exits promptly. */
  lingerMs?: number;
  /** CURVE encryption and authentication; undefined = none (ZeroMQ's NULL mechanism, plaintext). */
  curve?: CurveSocketOptions;
}

/** zeromq.js options for `curve`; none at all when it is undefined, so plain sockets stay exactly as before. */
function curveOptions(curve: CurveSocketOptions | undefined): Partial<Pick<zmq.Socket, 'curveServer' | 'curveSecretKey' | 'zapDomain' | 'curvePublicKey' | 'curveServerKey'>> {
  if (!curve) return {};
  if (curve.role === 'server') return { curveServer: true, curveSecretKey: curve.secretKey, zapDomain: curve.zapDomain };
  return { curvePublicKey: curve.publicKey, curveSecretKey: curve.secretKey, curveServerKey: curve.serverKey };
}

export function createPushSocket(opts: SocketOptions): zmq.Push {
  // `immediate` keeps messages off connections that are not up yet, so a dead
  // peer fills our bounded queue (counted drops) instead of a hidden one. With
  // CURVE a connection is up only once its handshake has been accepted.
  // A PUSH takes no messages; the cap (on every inbound frame, handshake commands included) bounds what a peer can make it buffer.
  return new zmq.Push({ sendHighWaterMark: opts.highWaterMarkChunks, linger: opts.lingerMs ?? 200, immediate: true, maxMessageSize: MAX_CONTROL_PART_BYTES, ...curveOptions(opts.curve) });
}

export function createPullSocket(opts: SocketOptions): zmq.Pull {
  return new zmq.Pull({ receiveHighWaterMark: opts.highWaterMarkChunks, linger: opts.lingerMs ?? 0, maxMessageSize: MAX_DATA_PART_BYTES, ...curveOptions(opts.curve) });
}

/** Binds or connects according to the endpoint's role in the topology. */
export async function attach(socket: zmq.Socket, endpoint: string, mode: 'bind' | 'connect'): Promise<void> {
  if (mode === 'bind') await socket.bind(endpoint);
  else socket.connect(endpoint);
}

/**
 * Capture's control socket: one ROUTER that inference nodes and clients
 * (`quell swap`, `quell status`) talk to. Messages to a peer that is gone are
 * dropped (`mandatory` off), so a dead node cannot block the router.
 */
export function createRouterSocket(opts: { curve?: CurveSocketOptions }): zmq.Router {
  return new zmq.Router({ linger: 0, sendHighWaterMark: 1000, receiveHighWaterMark: 1000, sendTimeout: 0, maxMessageSize: MAX_CONTROL_PART_BYTES, ...curveOptions(opts.curve) });
}

/** A DEALER that talks to capture's control ROUTER (an inference node or a client). */
export function createDealerSocket(opts: { curve?: CurveSocketOptions; routingId?: string }): zmq.Dealer {
  return new zmq.Dealer({ linger: 100, sendHighWaterMark: 1000, receiveHighWaterMark: 1000, maxMessageSize: MAX_CONTROL_PART_BYTES, ...(opts.routingId ? { routingId: opts.routingId } : {}), ...curveOptions(opts.curve) });
}

/**
 * Calls `count` for every link `socket` loses. libzmq cuts a link whose
 * message breaks the size cap before allocating it, and reports that only as
 * `disconnect`, the event a peer that exits also gives (no reason is
 * available): so a message over the cap shows as a closed link, the sender
 * reconnecting by itself, while every stage stays up.
 */
export function onLinkClosed(socket: zmq.Socket, count: () => void): void {
  socket.events.on('disconnect', count);
}

/** What the stage can read from: a socket that receives and knows whether it is closed. */
type ReceivingSocket = zmq.Readable & { readonly closed: boolean };

/**
 * Every message `socket` receives, until it is closed. libzmq can wake a
 * reader for a message that is gone by the time it is read (a peer cut off
 * mid-message, e.g. for breaking the size cap): receive() then fails with
 * EAGAIN, which ends zeromq.js's own iterator. A stage looping on that
 * iterator stopped hearing anyone after one oversized message; this one skips
 * the EAGAIN (counted in `onSpuriousWake`) and goes on.
 */
export async function* receiveMessages(socket: ReceivingSocket, onSpuriousWake: () => void = () => undefined): AsyncGenerator<Buffer[]> {
  for (;;) {
    let parts: Buffer[];
    try {
      parts = await socket.receive();
    } catch (err) {
      if (socket.closed) return;
      if ((err as { code?: string }).code !== 'EAGAIN') throw err;
      onSpuriousWake();
      // Never spin: let the event loop run before waiting again.
      await new Promise<void>((resolve) => setImmediate(resolve));
      continue;
    }
    yield parts;
  }
}
