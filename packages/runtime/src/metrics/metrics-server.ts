import { createServer, type Server, type ServerResponse } from 'node:http';
import { Server as NetServer, type AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { TokenBucket } from '../rate/token-bucket.js';

/**
 * After stopListening, how long close() lets the connections already open ask once more (and get `connection:
 * close`) before it cuts them: a scraper reusing a pooled connection the moment it is cut gets a reset, not an answer.
 */
const STOPPED_LINGER_MS = 250;

/** A scrape within this long of the last render gets that render (every request within it shares one). */
export const METRICS_MIN_RENDER_INTERVAL_MS = 100;

/**
 * Answers a second across all connections, sustained, and at once: beyond, a request waits its turn (never
 * refused). Far above what Prometheus, Grafana and `quell status` ask, or a scraper asking back to back (the
 * sequence fuzzer: ~130 a second across three stages); far below a flood (8 clients took 2,822 a second).
 */
export const METRICS_ANSWERS_PER_S = 200;
export const METRICS_ANSWER_BURST = 50;

/** Open connections at most: with the answers budgeted, this bounds what a flood of scrapers holds. */
const MAX_CONNECTIONS = 64;

/** Requests waiting for an answer at most; beyond, 503 at once (each costs nothing but its socket meanwhile). */
const MAX_WAITING = 256;

export interface MetricsServerOptions {
  minRenderIntervalMs?: number;
  answersPerS?: number;
  answerBurst?: number;
}

/**
 * Serves `/metrics` (Prometheus text format) and `/healthz`, to GET and HEAD
 * only (anything else: 405). Port 0 picks a free port; `listen()` resolves
 * with the bound port. It runs on the stage's only thread, beside the audio,
 * so what a scrape flood can take is bounded twice: the registry is rendered
 * at most once per `minRenderIntervalMs` (a render costs milliseconds;
 * concurrent and close requests share one), and answers leave at most at
 * `answersPerS` (a token bucket across all connections; a request beyond it
 * waits its turn, which paces the flood instead of serving it at full speed:
 * answering cached text at once still cost playback a third of a core at
 * 2,822 answers a second, and underran its clock twice in a fresh-clone run).
 */
export class MetricsServer {
  readonly #server: Server;
  readonly #registry: Registry;
  readonly #minRenderIntervalMs: number;
  readonly #answers: TokenBucket;
  readonly #waiting: (() => void)[] = [];
  #drainTimer: NodeJS.Timeout | null = null;
  #closed = false;
  #stoppedListening = false;
  #stoppedAtMs = 0;
  #render: Promise<string> | null = null;
  #renderedAtMs = -Infinity;
  /** Renders of the registry so far (a flood of scrapes must not raise it beyond one per interval). */
  renderCount = 0;
  /** Requests that waited for the answer budget. */
  pacedCount = 0;

  constructor(registry: Registry, options: MetricsServerOptions = {}) {
    this.#registry = registry;
    this.#minRenderIntervalMs = options.minRenderIntervalMs ?? METRICS_MIN_RENDER_INTERVAL_MS;
    this.#answers = new TokenBucket(options.answersPerS ?? METRICS_ANSWERS_PER_S, options.answerBurst ?? METRICS_ANSWER_BURST);
    this.#server = createServer((req, res) => {
      // Once a successor takes new connections, each open one ends after its next answer.
      if (this.#stoppedListening) res.setHeader('connection', 'close');
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' });
        res.end();
        return;
      }
      if (req.url === '/metrics') {
        this.#inTurn(res, () =>
          this.#rendered().then(
            (text) => {
              res.writeHead(200, { 'content-type': registry.contentType });
              res.end(req.method === 'HEAD' ? undefined : text);
            },
            (err: Error) => {
              res.writeHead(500);
              res.end(err.message);
            },
          ),
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

  /** Runs `answer` now if the budget allows and nobody waits, else when its turn comes (FIFO); 503 when too many wait. */
  #inTurn(res: ServerResponse, answer: () => void): void {
    if (this.#waiting.length === 0 && this.#answers.take(performance.now())) return answer();
    if (this.#waiting.length >= MAX_WAITING) {
      res.writeHead(503, { 'retry-after': '1' });
      res.end();
      return;
    }
    this.pacedCount++;
    this.#waiting.push(answer);
    this.#scheduleDrain();
  }

  #scheduleDrain(): void {
    if (this.#drainTimer || this.#closed) return;
    this.#drainTimer = setTimeout(() => {
      this.#drainTimer = null;
      const nowMs = performance.now();
      while (this.#waiting.length > 0 && this.#answers.take(nowMs)) this.#waiting.shift()!();
      if (this.#waiting.length > 0) this.#scheduleDrain();
    }, Math.max(1, this.#answers.msUntilToken(performance.now())));
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
    if (this.#drainTimer) clearTimeout(this.#drainTimer);
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
