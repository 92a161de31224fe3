import { randomBytes } from 'node:crypto';
import { chmod, link, lstat, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../config/options.js';
import { createCurveKeyPair, formatKeyPairFile, parseKeyPairFile, type CurveKeyPair } from './curve-keys.js';

/** The file of the local key pair inside the key folder. */
export const LOCAL_KEY_FILE = 'local.key';

/** Where the local key lives unless `--link-key-dir` says otherwise: `~/.config/quell`. */
export function defaultLinkKeyDir(): string {
  return join(homedir(), '.config', 'quell');
}

const uid = (): number => process.getuid?.() ?? -1;

/** Refuses a folder or file another user could read or replace; the owner's own loose folder is tightened. */
async function checkPrivate(path: string, kind: 'folder' | 'file'): Promise<void> {
  const stat = await lstat(path);
  const want = kind === 'folder' ? stat.isDirectory() : stat.isFile();
  if (!want) throw new ConfigError(`link key ${kind} '${path}' is not a plain ${kind}: remove it, or pass another --link-key-dir`);
  if (uid() >= 0 && stat.uid !== uid()) throw new ConfigError(`link key ${kind} '${path}' belongs to uid ${stat.uid}, not to this user (uid ${uid()}): remove it, or pass another --link-key-dir`);
  if ((stat.mode & 0o077) === 0) return;
  if (kind === 'folder') {
    await chmod(path, 0o700);
    return;
  }
  throw new ConfigError(`link key file '${path}' is readable by other users (mode ${(stat.mode & 0o777).toString(8)}): run 'chmod 600 ${path}', or delete it to get a new one`);
}

/**
 * The key pair every Quell process of this user proves on its local links
 * (docs/SECURITY.md): read from `<dir>/local.key`, or made there on first use.
 * The folder is mode 0700 and the file 0600, both owned by this user; anything
 * looser or foreign is refused with a ConfigError naming the fix. Several
 * stages starting at once agree on one key: each writes a candidate under a
 * private name and links it to `local.key`, which only the first can do.
 */
export async function loadLocalKeyPair(dir = defaultLinkKeyDir()): Promise<CurveKeyPair> {
  const path = join(dir, LOCAL_KEY_FILE);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await checkPrivate(dir, 'folder');
    const made = await createOnce(path);
    if (!made) await checkPrivate(path, 'file');
    return parseKeyPairFile(await readFile(path, 'utf8'), path);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`cannot read or make the link key '${path}' (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): check that this user can write ${dir}, or pass --link-key-dir`);
  }
}

/** Makes `path` with a fresh key pair unless it exists; true when this call made it. */
async function createOnce(path: string): Promise<boolean> {
  const candidate = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    await lstat(path);
    return false;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await writeFile(candidate, formatKeyPairFile(createCurveKeyPair(), 'local'), { mode: 0o600, flag: 'wx' });
  try {
    await link(candidate, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(candidate).catch(() => undefined);
  }
}
