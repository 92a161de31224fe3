import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { MetricsServer } from './metrics-server.js';

/** Sends one keep-alive GET on `socket` and resolves with the raw response head and body once `marker` arrives. */
async function get(socket: Socket, path: string, marker: string): Promise<string> {
  let text = '';
  const onData = (chunk: Buffer): void => {
    text += chunk.toString();
  };
  socket.on('data', onData);
  socket.write(`GET ${path} HTTP/1.1\r\nhost: localhost\r\nconnection: keep-alive\r\n\r\n`);
  const closed = once(socket, 'close');
  while (!text.includes(marker)) {
    const outcome = await Promise.race([once(socket, 'data').then(() => 'data'), closed.then(() => 'closed')]);
    if (outcome === 'closed' && !text.includes(marker)) break;
  }
  socket.off('data', onData);
  return text;
}

describe('MetricsServer', () => {
  it('after stopListening, answers on a keep-alive connection already open (then closes it) and refuses new connections', async () => {
    const registry = new Registry();
    const server = new MetricsServer(registry);
    const port = await server.listen('127.0.0.1', 0);
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    try {
      const first = await get(socket, '/healthz', 'ok\n');
      assert.match(first, /^HTTP\/1\.1 200/);
      assert.match(first, /keep-alive/i);
      server.stopListening();
      // A scraper reusing its pooled connection right now must still get an answer.
      const second = await get(socket, '/healthz', 'ok\n');
      assert.match(second, /^HTTP\/1\.1 200/, `the open connection was dropped instead of answered: ${JSON.stringify(second)}`);
      assert.match(second, /connection: close/i);
      const fresh = connect(port, '127.0.0.1');
      const [err] = (await once(fresh, 'error')) as [NodeJS.ErrnoException];
      assert.equal(err.code, 'ECONNREFUSED');
    } finally {
      socket.destroy();
      await server.close();
    }
  });
});
