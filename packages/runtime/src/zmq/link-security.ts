import { stat } from 'node:fs/promises';
import { LINK_SECURITY_OPTIONS, type LinkSecurityConfig } from '../config/link-security.js';
import { ConfigError, parseConfig } from '../config/options.js';
import { createCurveKeyPair, isCurveKey, readKeyPairFile, readPublicKeyList, type CurveKeyPair } from './curve-keys.js';
import { isLoopbackEndpoint } from './endpoint-scope.js';
import { loadLocalKeyPair } from './local-keys.js';
import type { CurveSocketOptions } from './sockets.js';
import { registerZapDomain, type ZapRegistration } from './zap-handler.js';

/** One data socket of a stage, as the topology opens it. */
export interface LinkSpec {
  endpoint: string;
  mode: 'bind' | 'connect';
}

/** How a stage's links are secured: explicit key files (links between machines), the user's local key, or not at all. */
export type LinkSecurityMode = 'explicit' | 'local' | 'off';

/** A CURVE server socket's settings with an allow-list of its own, and the registration to release with the socket. */
export interface DedicatedServer {
  readonly curve: CurveSocketOptions;
  close(): Promise<void>;
}

/** The CURVE settings for a stage's links and the ZAP registration behind them. */
export interface LinkSecurity {
  /** True when the links use CURVE. */
  readonly enabled: boolean;
  readonly mode: LinkSecurityMode;
  /** Per link, in the order given: the socket's CURVE settings, or undefined when CURVE is off. */
  readonly curve: readonly (CurveSocketOptions | undefined)[];
  /**
   * Server settings for one more bound socket that admits only `clientKeys` (a
   * per-node data socket admits just that node's key); undefined when CURVE is off.
   */
  dedicatedServer(clientKeys: readonly string[]): Promise<DedicatedServer | undefined>;
  /**
   * Client settings for a socket that connects where link `index` connects but
   * proves a fresh key pair of its own (the node's data input): its public key
   * goes to the server, which admits only it. Undefined when CURVE is off.
   */
  freshClient(index: number): CurveSocketOptions | undefined;
  /** Unregisters the allow-lists (and stops the ZAP handler when it was the last). Safe to call twice. */
  close(): Promise<void>;
}

const ZAP_DOMAIN_PREFIX = 'quell';
let domainCounter = 0;

/** A server key entry: the Z85 key itself, or the path of a .pub file holding exactly one key. */
async function serverKey(entry: string): Promise<string> {
  // A file first: a path of exactly 40 characters is also valid Z85 ('/', '.', '-' are in its alphabet), and taken
  // as a key it would make every handshake with that server fail without a word.
  const isFile = await stat(entry).then((s) => s.isFile(), () => false);
  if (!isFile && isCurveKey(entry)) return entry;
  const keys = await readPublicKeyList(entry);
  if (keys.length !== 1) throw new ConfigError(`--curve-server-key file '${entry}' must hold exactly one key, found ${keys.length}`);
  return keys[0];
}

/**
 * Checks the link-security options against the stage's links and prepares
 * each socket's CURVE settings (docs/SECURITY.md). Call it before creating any
 * socket. Three modes:
 * - explicit (`curveKeyFile` set): the key files of `quell keys`, for links
 *   between machines; bound sockets admit the allow-list, connecting ones
 *   expect their server's key;
 * - local (the default for loopback links): every socket proves this user's
 *   local key pair (`~/.config/quell/local.key`, made on first use) and
 *   admits only it, so other users and anything without the key can neither
 *   connect, listen nor inject;
 * - off: plaintext, for `--local-auth off`, or a non-loopback endpoint with
 *   `--insecure-allow-remote`.
 * Throws ConfigError (exit 2) for a non-loopback endpoint without explicit
 * CURVE unless `insecureAllowRemote`, stray CURVE options without a key
 * file, missing allow-lists or server keys, and unreadable, malformed or
 * too-open key files.
 */
export async function createLinkSecurity(config: LinkSecurityConfig, stage: string, links: readonly LinkSpec[]): Promise<LinkSecurity> {
  if (!config.curveKeyFile) {
    const stray = [config.curveAllowedKeys && '--curve-allowed-keys', config.curveServerKey.length > 0 && '--curve-server-key'].filter(Boolean);
    if (stray.length > 0) throw new ConfigError(`${stray.join(' and ')} need --curve-key-file (make one with 'quell keys')`);
    const remote = links.find((l) => !isLoopbackEndpoint(l.endpoint));
    if (remote && !config.insecureAllowRemote) {
      throw new ConfigError(
        `refusing to ${remote.mode} non-loopback ${remote.endpoint} without CURVE: pass --curve-key-file (see 'quell keys'), or --insecure-allow-remote to send plaintext audio anyway`,
      );
    }
    if (remote || config.localAuth === 'off') return plaintext(links);
    const pair = await loadLocalKeyPair(config.linkKeyDir || undefined);
    return secured('local', stage, links, pair, [pair.publicKey], links.map(() => pair.publicKey));
  }

  const pair = await readKeyPairFile(config.curveKeyFile);
  const binds = links.filter((l) => l.mode === 'bind');
  const connects = links.filter((l) => l.mode === 'connect');
  if (connects.length > 0 && config.curveServerKey.length !== 1 && config.curveServerKey.length !== connects.length) {
    throw new ConfigError(
      `--curve-server-key needs the key of the server behind ${connects.map((l) => l.endpoint).join(', ')}: one entry for all or ${connects.length} in data-path order, got ${config.curveServerKey.length}`,
    );
  }
  const serverKeys = await Promise.all(config.curveServerKey.map(serverKey));
  let allowed: string[] = [];
  if (binds.length > 0) {
    if (!config.curveAllowedKeys) throw new ConfigError(`--curve-allowed-keys is needed to accept clients on ${binds.map((l) => l.endpoint).join(', ')} with CURVE`);
    allowed = await readPublicKeyList(config.curveAllowedKeys);
    if (allowed.length === 0) throw new ConfigError(`--curve-allowed-keys file '${config.curveAllowedKeys}' lists no keys: no client could connect`);
  }
  let connectIndex = 0;
  const linkServerKeys = links.map((link) => (link.mode === 'bind' ? '' : serverKeys.length === 1 ? serverKeys[0] : serverKeys[connectIndex++]));
  return secured('explicit', stage, links, pair, allowed, linkServerKeys);
}

function plaintext(links: readonly LinkSpec[]): LinkSecurity {
  return {
    enabled: false,
    mode: 'off',
    curve: links.map(() => undefined),
    dedicatedServer: async () => undefined,
    freshClient: () => undefined,
    close: async () => undefined,
  };
}

/** CURVE on every link: servers prove `pair` and admit `allowed`; clients prove `pair` and expect their link's server key. */
async function secured(mode: LinkSecurityMode, stage: string, links: readonly LinkSpec[], pair: CurveKeyPair, allowed: readonly string[], serverKeys: readonly string[]): Promise<LinkSecurity> {
  const registrations: ZapRegistration[] = [];
  const register = async (keys: readonly string[]): Promise<ZapRegistration> => {
    const registration = await registerZapDomain(`${ZAP_DOMAIN_PREFIX}.${stage}.${domainCounter++}`, keys);
    registrations.push(registration);
    return registration;
  };
  const zapDomain = links.some((l) => l.mode === 'bind') ? (await register(allowed)).domain : '';
  const curve = links.map((link, i): CurveSocketOptions =>
    link.mode === 'bind' ? { role: 'server', secretKey: pair.secretKey, zapDomain } : { role: 'client', publicKey: pair.publicKey, secretKey: pair.secretKey, serverKey: serverKeys[i] },
  );
  let closed = false;
  return {
    enabled: true,
    mode,
    curve,
    async dedicatedServer(clientKeys) {
      const registration = await register(clientKeys);
      return {
        curve: { role: 'server', secretKey: pair.secretKey, zapDomain: registration.domain },
        close: async () => {
          const i = registrations.indexOf(registration);
          if (i >= 0) registrations.splice(i, 1);
          await registration.close();
        },
      };
    },
    freshClient(index) {
      const link = curve[index];
      if (link?.role !== 'client') throw new TypeError(`link ${index} does not connect`);
      return { role: 'client', ...createCurveKeyPair(), serverKey: link.serverKey };
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const r of registrations.splice(0)) await r.close();
    },
  };
}

/**
 * The link security a stage gets with no options: this user's local key on
 * loopback links. For a program's own sockets that talk to stages run with
 * their defaults (benchmarks, tests, tools): pass its links as a stage would.
 */
export function defaultLinkSecurity(name: string, links: readonly LinkSpec[], localAuth: 'curve' | 'off' = 'curve'): Promise<LinkSecurity> {
  return createLinkSecurity(parseConfig(LINK_SECURITY_OPTIONS, 'QUELL', {}, ['--local-auth', localAuth]), name, links);
}
