import { bool, list, oneOf, str, type ConfigOf } from './options.js';

/**
 * Options every stage takes for its ZeroMQ data links, declared once and
 * spread into each stage's option table (`...LINK_SECURITY_OPTIONS`), so the
 * flags are `--curve-key-file` etc. and the env names carry the stage's
 * prefix (`QUELL_PLAYBACK_CURVE_KEY_FILE`). See packages/runtime/README.md.
 */
export const LINK_SECURITY_OPTIONS = {
  curveKeyFile: str('', "This stage's CURVE key pair file (made by `quell keys`), for links between machines; '' = loopback links only, under this user's local key (see --local-auth)"),
  curveAllowedKeys: str('', 'File of client public keys (Z85, one a line, # comments) allowed to connect to the sockets this stage binds; needed with CURVE when the stage binds'),
  curveServerKey: list([], 'Public key (Z85, or a path to its .pub file) of the stage each connecting socket connects to; one entry for all, or one per connecting socket in data-path order'),
  localAuth: oneOf(
    ['curve', 'off'] as const,
    'curve',
    "Loopback links without --curve-key-file: curve = every socket authenticated and encrypted with this user's local key (only this user and root can read it; docs/SECURITY.md); off = plaintext, any local process may connect, listen or inject",
  ),
  linkKeyDir: str('', "Folder of this user's local link key (local.key, made on first start, folder 0700 and file 0600); '' = ~/.config/quell"),
  insecureAllowRemote: bool(false, 'Allow a non-loopback bind or connect address without CURVE (audio then crosses the network in plaintext, unauthenticated)'),
};

export type LinkSecurityConfig = ConfigOf<typeof LINK_SECURITY_OPTIONS>;
