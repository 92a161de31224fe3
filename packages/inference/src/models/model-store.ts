import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile, access } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelError } from './model-errors.js';
import { MODEL_MANIFEST, MODEL_NAMES, type ModelManifestEntry } from './model-manifest.js';

/** The repository root (this file is packages/inference/{src,dist}/models/). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
/** Default store: git-ignored `<repo>/models/`, one folder per model. */
export const DEFAULT_MODEL_STORE_DIR = join(REPO_ROOT, 'models');
/** Default mirror: `<repo>/../shared/models` (the CLI passes $QUELL_MODEL_MIRROR instead when set). */
export const DEFAULT_MODEL_MIRROR_DIR = resolve(REPO_ROOT, '../shared/models');

export interface FetchModelsOptions {
  /** Folder with `<model>/<file>` copies, used before the upstream URL (default `DEFAULT_MODEL_MIRROR_DIR`). */
  mirrorDir?: string;
  /** Where models are stored (default `<repo>/models`). */
  storeDir?: string;
  /** Skip the upstream download (tests). Default false. */
  offline?: boolean;
}

export interface FetchedModel {
  readonly name: string;
  readonly dir: string;
  /** Per file: where it came from ('store' when already present and valid). */
  readonly sources: readonly ('store' | 'mirror' | 'upstream')[];
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function getManifestEntry(name: string): ModelManifestEntry {
  const entry = MODEL_MANIFEST[name];
  if (entry === undefined) {
    throw new ModelError('MODEL_UNKNOWN', `unknown model '${name}': known models are ${MODEL_NAMES.join(', ')}`);
  }
  return entry;
}

async function readIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function download(url: string): Promise<Buffer> {
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'follow' });
  } catch (err) {
    throw new ModelError('MODEL_FETCH_FAILED', `download of ${url} failed: check the network or set QUELL_MODEL_MIRROR`, { cause: err });
  }
  if (!res.ok) throw new ModelError('MODEL_FETCH_FAILED', `download of ${url} failed with HTTP ${res.status}: set QUELL_MODEL_MIRROR`);
  return Buffer.from(await res.arrayBuffer());
}

/**
 * Makes each named model present and verified in the store: keeps a valid
 * stored file, else copies it from the mirror, else downloads it; every file
 * is checked against its sha256 before it is stored (written to a temporary
 * name, then renamed, so a crash never leaves a half file).
 * Rejects with `ModelError` (`MODEL_UNKNOWN`, `MODEL_CORRUPT` when a mirror or
 * download has the wrong bytes, `MODEL_FETCH_FAILED`).
 */
export async function fetchModels(names: readonly string[], options: FetchModelsOptions = {}): Promise<FetchedModel[]> {
  const storeDir = options.storeDir ?? DEFAULT_MODEL_STORE_DIR;
  const mirrorDir = options.mirrorDir ?? DEFAULT_MODEL_MIRROR_DIR;
  const fetched: FetchedModel[] = [];
  for (const name of names) {
    const entry = getManifestEntry(name);
    const dir = join(storeDir, name);
    await mkdir(dir, { recursive: true });
    const sources: ('store' | 'mirror' | 'upstream')[] = [];
    for (const file of entry.files) {
      const target = join(dir, file.fileName);
      const stored = await readIfExists(target);
      if (stored !== undefined && sha256Hex(stored) === file.sha256) {
        sources.push('store');
        continue;
      }
      let data = await readIfExists(join(mirrorDir, name, file.fileName));
      let source: 'mirror' | 'upstream' = 'mirror';
      if (data === undefined) {
        if (options.offline === true) {
          throw new ModelError('MODEL_FETCH_FAILED', `model '${name}' file ${file.fileName} is not in mirror ${mirrorDir} and downloads are off`);
        }
        data = await download(file.url);
        source = 'upstream';
      }
      const actual = sha256Hex(data);
      if (actual !== file.sha256) {
        throw new ModelError('MODEL_CORRUPT', `model '${name}' file ${file.fileName} from the ${source} has sha256 ${actual}, expected ${file.sha256}: replace the ${source} copy and run 'quell models fetch ${name}'`);
      }
      const tmp = `${target}.tmp-${process.pid}`;
      await writeFile(tmp, data);
      await rename(tmp, target);
      sources.push(source);
    }
    fetched.push({ name, dir, sources });
  }
  return fetched;
}

/**
 * Checks that a model is in the store with the right bytes and returns its
 * folder. Rejects with `ModelError` `MODEL_NOT_INSTALLED` or `MODEL_CORRUPT`,
 * whose message names the fix.
 */
export async function requireInstalledModel(name: string, storeDir: string = DEFAULT_MODEL_STORE_DIR): Promise<string> {
  const entry = getManifestEntry(name);
  const dir = join(storeDir, name);
  for (const file of entry.files) {
    const data = await readIfExists(join(dir, file.fileName));
    if (data === undefined) {
      throw new ModelError('MODEL_NOT_INSTALLED', `model '${name}' is not installed: run 'quell models fetch ${name}'`);
    }
    if (sha256Hex(data) !== file.sha256) {
      throw new ModelError('MODEL_CORRUPT', `model '${name}' file ${file.fileName} is corrupt: run 'quell models fetch ${name}'`);
    }
  }
  return dir;
}

/** Names of the manifest's models whose files are all present in the store (not hashed: a quick listing). */
export async function listInstalledModels(storeDir: string = DEFAULT_MODEL_STORE_DIR): Promise<string[]> {
  const installed: string[] = [];
  for (const name of MODEL_NAMES) {
    let all = true;
    for (const file of MODEL_MANIFEST[name].files) {
      try {
        await access(join(storeDir, name, file.fileName));
      } catch {
        all = false;
        break;
      }
    }
    if (all) installed.push(name);
  }
  return installed;
}
