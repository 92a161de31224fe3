import * as zmq from 'zeromq';

/** Socket settings fixed at creation (sizes in messages, i.e. chunks). */
export interface SocketOptions {
  /** Messages libzmq queues per peer before send waits (PUSH) or receive stops reading (PULL). */
  highWaterMarkChunks: number;
  /** How long close() may keep unsent messages, ms; small so SIGTERM exits promptly. */
  lingerMs?: number;
}

export function createPushSocket(opts: SocketOptions): zmq.Push {
  // `immediate` keeps messages off connections that are not up yet, so a dead
  // peer fills our bounded queue (counted drops) instead of a hidden one.
  return new zmq.Push({ sendHighWaterMark: opts.highWaterMarkChunks, linger: opts.lingerMs ?? 200, immediate: true });
}

export function createPullSocket(opts: SocketOptions): zmq.Pull {
  return new zmq.Pull({ receiveHighWaterMark: opts.highWaterMarkChunks, linger: opts.lingerMs ?? 0 });
}

/** Binds or connects according to the endpoint's role in the topology. */
export async function attach(socket: zmq.Socket, endpoint: string, mode: 'bind' | 'connect'): Promise<void> {
  if (mode === 'bind') await socket.bind(endpoint);
  else socket.connect(endpoint);
}
