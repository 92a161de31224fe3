import { createServer, type Server } from 'node:http';
import { Server as NetServer, type AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/**
 * After stopListening, how long close() lets the connections already open ask once more (and get `connection:
 * close`) before it cuts them: a scraper reusing a pooled connection the moment it is cut gets a reset, not an answer.
 */
const STOPPED_LINGER_MS = 250;

/** A scrape within this long of the last render gets that render again (every request within it shares one). */
export const METRICS_MIN_RENDER_INTERVAL_MS = 100;

/**
 * Serves `/metrics` (Prometheus text format) and `/healthz`, to GET and HEAD
 * only (anything else: 405). Port 0 picks a free port; `listen()` resolves
 * with the bound port. Rendering runs on the stage's only thread, beside the
 * audio, so it happens at most once per `minRenderIntervalMs` however many
 * scrapers ask: concurrent and close requests share one render.
 */
export class MetricsServer {
  readonly #server: Server;
  readonly #registry: Registry;
  readonly #minRenderIntervalMs: number;
  #closed = false;
  #stoppedListening = false;
  #stoppedAtMs = 0;
  #render: Promise<string> | null = null;
  #renderedAtMs = -Infinity;
  /** Renders of the registry so far (a flood of scrapes must not raise it beyond one per interval). */
  renderCount = 0;

  constructor(registry: Registry, minRenderIntervalMs = METRICS_MIN_RENDER_INTERVAL_MS) {
    this.#registry = registry;
    this.#minRenderIntervalMs = minRenderIntervalMs;
    this.#server = createServer((req, res) => {
      // Once a successor takes new connections, each open one ends after its next answer.
      if (this.#stoppedListening) res.setHeader('connection', 'close');
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' });
        res.end();
        return;
      }
      if (req.url === '/metrics') {
        this.#rendered().then(
          (text) => {
            res.writeHead(200, { 'content-type': registry.contentType });
            res.end(req.method === 'HEAD' ? undefined : text);
          },
          (err: Error) => {
            res.writeHead(500);
            res.end(err.message);
          },
        );
      } else if (req.url === '/healthz') {
        res.writeHead(200);
        res.end(req.method === 'HEAD' ? undefined : 'ok\n');
      } else {
        res.writeHead(404);
        res.end();
      }
    });
  }

  /** The registry's text, rendered again only when the last render is older than the interval. */
  #rendered(): Promise<string> {
    const nowMs = performance.now();
    if (this.#render && nowMs - this.#renderedAtMs < this.#minRenderIntervalMs) return this.#render;
    this.#renderedAtMs = nowMs;
    this.renderCount++;
    const render = this.#registry.metrics();
    this.#render = render;
    // A failed render is not cached.
    render.catch(() => {
      if (this.#render === render) this.#render = null;
    });
    return render;
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
    this.#stoppedAtMs = performance.now();
    NetServer.prototype.close.call(this.#server);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#stoppedListening) {
      const lingerMs = this.#stoppedAtMs + STOPPED_LINGER_MS - performance.now();
      if (lingerMs > 0) await new Promise((resolve) => setTimeout(resolve, lingerMs));
    }
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
