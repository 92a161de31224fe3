import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { Gauge, Registry } from 'prom-client';
import { MetricsServer } from './metrics-server.js';

/** Sends one keep-alive GET on `socket` and resolves with the raw response head and body once `marker` arrives. */
async function get(socket: Socket, path: string, marker: string, method = 'GET'): Promise<string> {
  let text = '';
  const onData = (chunk: Buffer): void => {
    text += chunk.toString();
  };
  socket.on('data', onData);
  socket.write(`${method} ${path} HTTP/1.1\r\nhost: localhost\r\nconnection: keep-alive\r\n\r\n`);
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

describe('MetricsServer: methods and load', () => {
  it('answers GET and HEAD, and 405 to POST, TRACE, PUT and DELETE', async () => {
    const registry = new Registry();
    const server = new MetricsServer(registry);
    const port = await server.listen('127.0.0.1', 0);
    try {
      for (const method of ['GET', 'HEAD']) assert.equal((await fetch(`http://127.0.0.1:${port}/metrics`, { method })).status, 200, method);
      for (const method of ['POST', 'TRACE', 'PUT', 'DELETE']) {
        const res = await fetch(`http://127.0.0.1:${port}/metrics`, { method }).catch((err: Error) => err);
        // fetch refuses to send TRACE itself: a raw request shows the server's answer.
        const status = res instanceof Response ? res.status : await rawStatus(port, method);
        assert.equal(status, 405, method);
      }
    } finally {
      await server.close();
    }
  });

  it('a flood of scrapes: at most one render per interval, and answers paced to the budget across all connections (none refused)', async () => {
    const registry = new Registry();
    let renders = 0;
    registry.registerMetric(new Gauge({ name: 'x_renders', help: 'h', registers: [], collect() { this.set(++renders); } }));
    const server = new MetricsServer(registry, { minRenderIntervalMs: 100, answersPerS: 100, answerBurst: 10 });
    const port = await server.listen('127.0.0.1', 0);
    try {
      const started = performance.now();
      let answered = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (performance.now() - started < 1000) {
            const res = await fetch(`http://127.0.0.1:${port}/metrics`);
            assert.equal(res.status, 200);
            assert.match(await res.text(), /x_renders \d+/);
            answered++;
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      assert.ok(answered > 50, `only ${answered} answers`);
      // The burst, the rate over the run, and the last answer of each client that asked just before the end.
      assert.ok(answered <= 10 + Math.ceil(seconds * 100) + 8, `${answered} answers in ${seconds.toFixed(2)} s: the budget is 100 a second`);
      assert.ok(server.pacedCount > 0, 'some requests waited their turn');
      assert.ok(server.renderCount <= Math.ceil(seconds * 10) + 1, `${server.renderCount} renders for ${answered} scrapes in ${seconds.toFixed(2)} s`);
      assert.equal(renders, server.renderCount);
    } finally {
      await server.close();
    }
  });

  it('a scraper asking back to back within the budget is answered at once, never paced', async () => {
    const server = new MetricsServer(new Registry(), { answersPerS: 200, answerBurst: 50 });
    const port = await server.listen('127.0.0.1', 0);
    try {
      for (let i = 0; i < 40; i++) {
        await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.equal(server.pacedCount, 0);
    } finally {
      await server.close();
    }
  });

  it('close() ends a scrape that waits its turn', async () => {
    const server = new MetricsServer(new Registry(), { answersPerS: 0.01, answerBurst: 1 });
    const port = await server.listen('127.0.0.1', 0);
    await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const waiting = fetch(`http://127.0.0.1:${port}/metrics`).then(
      () => 'answered',
      () => 'cut',
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(server.pacedCount, 1);
    const closedAt = performance.now();
    await server.close();
    assert.equal(await waiting, 'cut');
    assert.ok(performance.now() - closedAt < 1000);
  });
});

/** Status code of one raw request with `method` (for methods fetch will not send). */
async function rawStatus(port: number, method: string): Promise<number> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const text = await get(socket, '/metrics', '\r\n\r\n', method);
  socket.destroy();
  return Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1]);
}
