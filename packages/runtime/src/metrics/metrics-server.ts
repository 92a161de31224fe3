import { createServer, type Server } from 'node:http';
import { Server as NetServer, type AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/**
 * After stopListening, how long close() lets the connections already open ask once more (and get `connection:
 * close`) before it cuts them: a scraper reusing a pooled connection the moment it is cut gets a reset, not an answer.
 */
const STOPPED_LINGER_MS = 250;

/**
 * Renders start at least this far apart; a scrape that arrives sooner waits for the next one (shared by all that
 * wait). Short enough that a scraper asking back to back still gets each answer well within 100 ms (the sequence
 * fuzzer's bound; 100 ms here timed its scrapes out), long enough that eight flooding clients cost little.
 */
export const METRICS_MIN_RENDER_INTERVAL_MS = 25;

/** Open connections at most: with every answer paced, this bounds what a flood of scrapers costs the stage. */
const MAX_CONNECTIONS = 64;

/**
 * Serves `/metrics` (Prometheus text format) and `/healthz`, to GET and HEAD
 * only (anything else: 405). Port 0 picks a free port; `listen()` resolves
 * with the bound port. Rendering runs on the stage's only thread, beside the
 * audio, so it happens at most once per `minRenderIntervalMs` however many
 * scrapers ask. Every answer is rendered after its request arrived (never
 * stale); one that arrives within the interval waits for the next render,
 * shared by all requests waiting for it. That paces each connection to one
 * answer per interval, so a flood of scrapers costs the stage little
 * (answering cached text at full speed still cost playback a third of a core
 * and underran its clock on a 2-core machine).
 */
export class MetricsServer {
  readonly #server: Server;
  readonly #registry: Registry;
  readonly #minRenderIntervalMs: number;
  #closed = false;
  #stoppedListening = false;
  #stoppedAtMs = 0;
  #renderedAtMs = -Infinity;
  /** The render that requests arriving now wait for, not started yet. */
  #nextRender: Promise<string> | null = null;
  #nextRenderTimer: NodeJS.Timeout | null = null;
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

  /** The registry's text, rendered now or, within the interval since the last render, at its end. */
  #rendered(): Promise<string> {
    if (this.#nextRender) return this.#nextRender;
    const waitMs = this.#renderedAtMs + this.#minRenderIntervalMs - performance.now();
    if (waitMs <= 0) return this.#renderNow();
    this.#nextRender = new Promise<string>((resolve, reject) => {
      this.#nextRenderTimer = setTimeout(() => {
        this.#nextRender = null;
        this.#nextRenderTimer = null;
        this.#renderNow().then(resolve, reject);
      }, waitMs);
    });
    return this.#nextRender;
  }

  #renderNow(): Promise<string> {
    this.#renderedAtMs = performance.now();
    this.renderCount++;
    return this.#registry.metrics();
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.maxConnections = MAX_CONNECTIONS;
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
    if (this.#nextRenderTimer) clearTimeout(this.#nextRenderTimer);
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
