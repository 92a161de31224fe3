import type { LinkSecurityConfig } from '../config/link-security.js';
import { ConfigError } from '../config/options.js';
import { isCurveKey, readKeyPairFile, readPublicKeyList } from './curve-keys.js';
import { isLoopbackEndpoint } from './endpoint-scope.js';
import type { CurveSocketOptions } from './sockets.js';
import { registerZapDomain, type ZapRegistration } from './zap-handler.js';

/** One data socket of a stage, as the topology opens it. */
export interface LinkSpec {
  endpoint: string;
  mode: 'bind' | 'connect';
}

/** The CURVE settings for a stage's links and the ZAP registration behind them. */
export interface LinkSecurity {
  /** True when the links use CURVE. */
  readonly enabled: boolean;
  /** Per link, in the order given: the socket's CURVE settings, or undefined when CURVE is off. */
  readonly curve: readonly (CurveSocketOptions | undefined)[];
  /** Unregisters the allow-list (and stops the ZAP handler when it was the last). Safe to call twice. */
  close(): Promise<void>;
}

const ZAP_DOMAIN_PREFIX = 'quell';
let domainCounter = 0;

/** A server key entry: the Z85 key itself, or the path of a .pub file holding exactly one key. */
async function serverKey(entry: string): Promise<string> {
  if (isCurveKey(entry)) return entry;
  const keys = await readPublicKeyList(entry);
  if (keys.length !== 1) throw new ConfigError(`--curve-server-key file '${entry}' must hold exactly one key, found ${keys.length}`);
  return keys[0];
}

/**
 * Checks the link-security options against the stage's links and prepares
 * each socket's CURVE settings. Call it before creating any socket: it
 * throws ConfigError (exit 2) for
 * - a non-loopback endpoint without CURVE, unless `insecureAllowRemote`;
 * - CURVE options without `curveKeyFile`;
 * - with CURVE, a bound link but no (or an empty) allow-list, or a
 *   connecting link without its server key;
 * - unreadable or malformed key files.
 * With CURVE, bound sockets are CURVE servers whose clients the process's
 * ZAP handler checks against the allow-list; connecting sockets are clients
 * that prove this stage's key and expect the server's.
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
    return { enabled: false, curve: links.map(() => undefined), close: async () => undefined };
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
  let registration: ZapRegistration | null = null;
  if (binds.length > 0) {
    if (!config.curveAllowedKeys) throw new ConfigError(`--curve-allowed-keys is needed to accept clients on ${binds.map((l) => l.endpoint).join(', ')} with CURVE`);
    const allowed = await readPublicKeyList(config.curveAllowedKeys);
    if (allowed.length === 0) throw new ConfigError(`--curve-allowed-keys file '${config.curveAllowedKeys}' lists no keys: no client could connect`);
    registration = await registerZapDomain(`${ZAP_DOMAIN_PREFIX}.${stage}.${domainCounter++}`, allowed);
  }
  const zapDomain = registration?.domain ?? '';
  let connectIndex = 0;
  const curve = links.map((link): CurveSocketOptions => {
    if (link.mode === 'bind') return { role: 'server', secretKey: pair.secretKey, zapDomain };
    const key = serverKeys.length === 1 ? serverKeys[0] : serverKeys[connectIndex];
    connectIndex++;
    return { role: 'client', publicKey: pair.publicKey, secretKey: pair.secretKey, serverKey: key };
  });
  return {
    enabled: true,
    curve,
    close: async () => registration?.close(),
  };
}
