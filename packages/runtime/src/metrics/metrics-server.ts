import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/**
 * Serves `/metrics` (Prometheus text format) and `/healthz`. Port 0 picks a
 * free port; `listen()` resolves with the bound port.
 */
export class MetricsServer {
  readonly #server: Server;
  #closed = false;

  constructor(registry: Registry) {
    this.#server = createServer((req, res) => {
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
   * Stops taking new connections but answers the requests in flight (under
   * pm2 cluster mode a successor shares the port and takes the new ones);
   * close() ends the rest.
   */
  stopListening(): void {
    if (!this.#closed && this.#server.listening) this.#server.close();
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
