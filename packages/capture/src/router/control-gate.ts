import { TokenBucket, zeroCounts, type ReasonCounts } from '@quell/runtime';

/**
 * Why capture's control socket refused a message, each counted in
 * `quell_capture_control_rejected_total{reason}` (docs/SECURITY.md):
 * - malformed: not a valid control message;
 * - unregistered: a node message from a peer that is not that registered node;
 * - rate-limited: the peer sent more than its share (token bucket per peer);
 * - peer-cap: too many distinct peers are being tracked already;
 * - busy: a hello while another node's registration is being set up;
 * - swap-in-progress: a hello while a swap runs (one at a time);
 * - node-cap: a hello with --max-nodes nodes registered already;
 * - duplicate-node: a hello for a node id another peer holds;
 * - no-data-key: a hello without the key its data socket must admit (CURVE on);
 * - no-data-port: a hello when every port of --data-ports is taken;
 * - watch-cap: a `watch` with --max-watchers watching already.
 */
export const CONTROL_REFUSALS = ['malformed', 'unregistered', 'rate-limited', 'peer-cap', 'busy', 'swap-in-progress', 'node-cap', 'duplicate-node', 'no-data-key', 'no-data-port', 'watch-cap'] as const;
export type ControlRefusal = (typeof CONTROL_REFUSALS)[number];

export interface ControlGateOptions {
  /** Messages a peer may send per second, sustained. */
  ratePerS: number;
  /** Messages a peer may send at once (the bucket's size). */
  burst: number;
  /** Distinct peers tracked at once; a peer idle with a full bucket is forgotten on prune(). */
  maxPeers: number;
  /** Clients watching for swap outcomes at once. */
  maxWatchers: number;
  /** A watch lasts this long unless renewed, ms. */
  watchTtlMs: number;
}

/**
 * The control socket's admission: a token bucket per peer (its ZeroMQ routing
 * identity), the bounded list of clients watching for swap outcomes, and the
 * count of every refusal by reason. Pure: the caller passes the time.
 */
export class ControlGate {
  readonly #o: ControlGateOptions;
  readonly #peers = new Map<string, TokenBucket>();
  readonly #watchers = new Map<string, { identity: Buffer; untilMs: number }>();
  readonly refused: ReasonCounts<ControlRefusal> = zeroCounts(CONTROL_REFUSALS);

  constructor(options: ControlGateOptions) {
    this.#o = options;
  }

  get peerCount(): number {
    return this.#peers.size;
  }

  get watcherCount(): number {
    return this.#watchers.size;
  }

  /** Takes one token from the peer's bucket; false (counted) when it has none or too many peers are tracked. */
  admit(identity: Buffer, nowMs: number): boolean {
    const key = identity.toString('base64');
    let bucket = this.#peers.get(key);
    if (!bucket) {
      if (this.#peers.size >= this.#o.maxPeers) return this.refuse('peer-cap');
      bucket = new TokenBucket(this.#o.ratePerS, this.#o.burst, nowMs);
      this.#peers.set(key, bucket);
    }
    return bucket.take(nowMs) || this.refuse('rate-limited');
  }

  /** Counts a refusal; always false, so a caller can `return gate.refuse(...)`. */
  refuse(reason: ControlRefusal): false {
    this.refused[reason]++;
    return false;
  }

  /** Adds or renews a watcher until `nowMs + watchTtlMs`; false (counted) when the list is full. */
  watch(identity: Buffer, nowMs: number): boolean {
    const key = identity.toString('base64');
    const known = this.#watchers.get(key);
    if (!known && this.#watchers.size >= this.#o.maxWatchers) return this.refuse('watch-cap');
    this.#watchers.set(key, { identity: known?.identity ?? Buffer.from(identity), untilMs: nowMs + this.#o.watchTtlMs });
    return true;
  }

  /** The identities watching now. */
  watchers(nowMs: number): Buffer[] {
    const out: Buffer[] = [];
    for (const w of this.#watchers.values()) if (w.untilMs >= nowMs) out.push(w.identity);
    return out;
  }

  /** Forgets expired watchers and peers whose bucket has refilled (as good as new: a new bucket starts full). */
  prune(nowMs: number): void {
    for (const [key, w] of this.#watchers) if (w.untilMs < nowMs) this.#watchers.delete(key);
    for (const [key, bucket] of this.#peers) if (bucket.isFull(nowMs)) this.#peers.delete(key);
  }
}
