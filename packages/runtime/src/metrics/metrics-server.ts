import { createServer, type Server } from 'node:http';
import { Server as NetServer, type AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/**
 * Serves `/metrics` (Prometheus text format) and `/healthz`. Port 0 picks a
 * free port; `listen()` resolves with the bound port.
 */
export class MetricsServer {
  readonly #server: Server;
  #closed = false;
  #stoppedListening = false;

  constructor(registry: Registry) {
    this.#server = createServer((req, res) => {
      // Once a successor takes new connections, each open one ends after its next answer.
      if (this.#stoppedListening) res.setHeader('connection', 'close');
      if (req.url === '/metrics') {
        registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'content-type': registry.contentType });
            res.end(text);
          },
          (err: Error) => {
            res.writeHead(500);
            res.end(err.message);
          },
        );
      } else if (req.url === '/healthz') {
        res.writeHead(200);
        res.end('ok\n');
      } else {
        res.writeHead(404);
        res.end();
      }
    });
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve((this.#server.address() as AddressInfo).port);
      });
    });
  }

  /**
   * Stops taking new connections (under pm2 cluster mode a successor shares
   * the port and takes them) but keeps answering on the connections already
   * open, each closed after its next answer; close() ends the rest.
   * http.Server.close() would also drop idle keep-alive connections at once,
   * and a scraper reusing one at that moment (Prometheus, fetch) got a reset
   * instead of an answer: so only the listening socket is closed here.
   */
  stopListening(): void {
    if (this.#closed || !this.#server.listening) return;
    this.#stoppedListening = true;
    NetServer.prototype.close.call(this.#server);
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
