import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createCurveKeyPair, formatKeyPairFile, formatPublicKeyFile, QuellError, type CurveKeyPair } from '@quell/runtime';

export interface KeyFilesOptions {
  /** Folder to write into; created when missing. */
  outDir: string;
  /** File name stem: NAME.key and NAME.pub. Letters, digits, '.', '_' and '-' only. */
  name: string;
  /** Replace existing files instead of refusing. */
  force?: boolean;
  /** Key pair to write; a fresh one from libzmq when omitted (tests pass a fixed one). */
  pair?: CurveKeyPair;
}

export interface KeyFiles {
  keyPath: string;
  pubPath: string;
  publicKey: string;
}

/**
 * Writes a new CURVE key pair: NAME.key (public and secret key, mode 0600,
 * for the stage's --curve-key-file) and NAME.pub (the public key alone, for
 * peers' --curve-allowed-keys and --curve-server-key). Refuses to replace
 * existing files unless `force`, so a key in use is never lost by accident.
 */
export async function writeKeyFiles(options: KeyFilesOptions): Promise<KeyFiles> {
  if (!/^[A-Za-z0-9._-]+$/.test(options.name) || options.name.startsWith('.')) {
    throw new QuellError('ERR_KEY_NAME', `key name '${options.name}' may use only letters, digits, '.', '_' and '-' (and not start with '.')`);
  }
  const pair = options.pair ?? createCurveKeyPair();
  await mkdir(options.outDir, { recursive: true });
  const keyPath = join(options.outDir, `${options.name}.key`);
  const pubPath = join(options.outDir, `${options.name}.pub`);
  const flag = options.force ? 'w' : 'wx';
  try {
    await writeFile(keyPath, formatKeyPairFile(pair, options.name), { mode: 0o600, flag });
    // writeFile's mode applies only when it creates the file; --force may replace a looser one.
    await chmod(keyPath, 0o600);
    await writeFile(pubPath, formatPublicKeyFile(pair, options.name), { mode: 0o644, flag });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new QuellError('ERR_KEY_EXISTS', `${(err as NodeJS.ErrnoException).path ?? keyPath} exists: pick another --name, or pass --force to replace it`);
    throw new QuellError('ERR_KEY_WRITE', `cannot write keys to ${options.outDir} (${(err as Error).message})`);
  }
  return { keyPath, pubPath, publicKey: pair.publicKey };
}
