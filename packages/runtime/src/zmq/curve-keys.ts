import { readFile } from 'node:fs/promises';
import * as zmq from 'zeromq';
import { ConfigError } from '../config/options.js';

/** A CURVE key pair, both halves as 40-character Z85 text (what zeromq.js takes). */
export interface CurveKeyPair {
  publicKey: string;
  secretKey: string;
}

/** A fresh key pair from libzmq's CSPRNG. */
export function createCurveKeyPair(): CurveKeyPair {
  return zmq.curveKeyPair();
}

const Z85_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';
const Z85_VALUE = new Map([...Z85_ALPHABET].map((c, i) => [c, i]));

/** Z85 (ZeroMQ RFC 32) text of `bytes`; the length must be a multiple of 4. */
export function z85Encode(bytes: Uint8Array): string {
  if (bytes.length % 4 !== 0) throw new TypeError('z85Encode needs a multiple of 4 bytes');
  let out = '';
  for (let i = 0; i < bytes.length; i += 4) {
    let value = ((bytes[i] << 24) | (bytes[i + 1] << 16) | (bytes[i + 2] << 8) | bytes[i + 3]) >>> 0;
    let block = '';
    for (let k = 0; k < 5; k++) {
      block = Z85_ALPHABET[value % 85] + block;
      value = Math.floor(value / 85);
    }
    out += block;
  }
  return out;
}

/** The bytes of Z85 text, or null when it is not valid Z85 (wrong length, character or overflow). */
export function z85Decode(text: string): Buffer | null {
  if (text.length % 5 !== 0) return null;
  const out = Buffer.alloc((text.length / 5) * 4);
  for (let i = 0; i < text.length; i += 5) {
    let value = 0;
    for (let k = 0; k < 5; k++) {
      const digit = Z85_VALUE.get(text[i + k]);
      if (digit === undefined) return null;
      value = value * 85 + digit;
    }
    if (value > 0xffff_ffff) return null;
    out.writeUInt32BE(value, (i / 5) * 4);
  }
  return out;
}

/** True for a 40-character Z85 text that decodes to a 32-byte CURVE key. */
export function isCurveKey(text: string): boolean {
  return text.length === 40 && z85Decode(text) !== null;
}

/**
 * Lines that carry data: trimmed, blank and `#` comment lines dropped. Z85 has '#', but never as a key's first
 * character (a 5-character block's first digit is at most 82 of 0..84, and '#' is 84), so no key line looks like a comment.
 */
function dataLines(text: string): { line: string; lineNo: number }[] {
  return text
    .split(/\r?\n/)
    .map((raw, i) => ({ line: raw.trim(), lineNo: i + 1 }))
    .filter(({ line }) => line !== '' && !line.startsWith('#'));
}

/** Text of a key-pair file (`NAME.key`): comments, then `public-key = …` and `secret-key = …`. */
export function formatKeyPairFile(pair: CurveKeyPair, name: string): string {
  return [
    `# Quell CURVE key pair '${name}'. SECRET: keep this file private (mode 0600); give out only ${name}.pub.`,
    `# Pass it to a stage with --curve-key-file; list ${name}.pub in its peers' --curve-allowed-keys file.`,
    `public-key = ${pair.publicKey}`,
    `secret-key = ${pair.secretKey}`,
    '',
  ].join('\n');
}

/** Text of a public-key file (`NAME.pub`): one comment and the key; such files concatenate into an allow-list. */
export function formatPublicKeyFile(pair: CurveKeyPair, name: string): string {
  return `# Quell CURVE public key '${name}'\n${pair.publicKey}\n`;
}

/** Parses a key-pair file; throws ConfigError naming the file and line on anything else. */
export function parseKeyPairFile(text: string, path: string): CurveKeyPair {
  const found: Partial<CurveKeyPair> = {};
  for (const { line, lineNo } of dataLines(text)) {
    const match = /^(public-key|secret-key)\s*=\s*(\S+)$/.exec(line);
    if (!match || !isCurveKey(match[2])) throw new ConfigError(`key file '${path}' line ${lineNo} is not 'public-key = <z85>' or 'secret-key = <z85>': make it with 'quell keys'`);
    found[match[1] === 'public-key' ? 'publicKey' : 'secretKey'] = match[2];
  }
  if (!found.publicKey || !found.secretKey) throw new ConfigError(`key file '${path}' needs both public-key and secret-key: make it with 'quell keys'`);
  return { publicKey: found.publicKey, secretKey: found.secretKey };
}

/** Parses a public-key list (one Z85 key a line, `#` comment lines); throws ConfigError on a line that is not a key. */
export function parsePublicKeyList(text: string, path: string): string[] {
  const keys: string[] = [];
  for (const { line, lineNo } of dataLines(text)) {
    if (!isCurveKey(line)) throw new ConfigError(`public key file '${path}' line ${lineNo} is not a 40-character Z85 key`);
    keys.push(line);
  }
  return keys;
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read ${what} '${path}' (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** Reads a key-pair file made by `quell keys`. */
export async function readKeyPairFile(path: string): Promise<CurveKeyPair> {
  return parseKeyPairFile(await readText(path, 'key file'), path);
}

/** Reads a public-key list (an allow-list, or a single `.pub` file). */
export async function readPublicKeyList(path: string): Promise<string[]> {
  return parsePublicKeyList(await readText(path, 'public key file'), path);
}
