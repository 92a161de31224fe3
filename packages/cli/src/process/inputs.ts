import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { QuellError } from '@quell/runtime';

export interface FileJob {
  input: string;
  output: string;
}

/** A usage problem with `quell process` arguments: one line, exit 2. */
export class UsageError extends QuellError {
  constructor(message: string) {
    super('ERR_USAGE', message);
  }
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/**
 * Turns `quell process` arguments into input → output pairs:
 * `IN.wav OUT.wav`, or any mix of files and folders with `--out-dir DIR`
 * (outputs keep the input file names).
 */
export async function resolveJobs(args: string[], outDir: string | undefined): Promise<FileJob[]> {
  if (args.length === 0) throw new UsageError('no input: quell process IN.wav OUT.wav, or quell process IN... --out-dir DIR');
  if (!outDir) {
    if (args.length !== 2 || (await isDirectory(args[0]))) throw new UsageError('several inputs or a folder need --out-dir DIR');
    return [{ input: resolve(args[0]), output: resolve(args[1]) }];
  }
  const inputs: string[] = [];
  for (const arg of args) {
    if (await isDirectory(arg)) {
      const names = (await readdir(arg)).filter((n) => extname(n).toLowerCase() === '.wav').sort();
      inputs.push(...names.map((n) => resolve(join(arg, n))));
    } else {
      inputs.push(resolve(arg));
    }
  }
  if (inputs.length === 0) throw new UsageError(`no .wav files in ${args.join(', ')}`);
  return inputs.map((input) => ({ input, output: resolve(outDir, basename(input)) }));
}
