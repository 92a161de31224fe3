import { readdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
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

/** The file a path names, through symlinks; a path that does not exist yet resolves through its folder. */
async function realFile(path: string): Promise<string> {
  return realpath(path).catch(async () => join(await realpath(dirname(path)).catch(() => dirname(path)), basename(path)));
}

/** True when `a` and `b` are one file: the same path after symlinks, or hard links to one inode. */
async function sameFile(a: string, b: string): Promise<boolean> {
  if ((await realFile(a)) === (await realFile(b))) return true;
  const [sa, sb] = await Promise.all([stat(a).catch(() => null), stat(b).catch(() => null)]);
  return sa !== null && sb !== null && sa.dev === sb.dev && sa.ino === sb.ino;
}

async function inputFiles(args: string[]): Promise<string[]> {
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
  return inputs;
}

/**
 * Turns `quell process` arguments into input → output pairs:
 * `IN.wav OUT.wav`, or any mix of files and folders with `--out-dir DIR`
 * (outputs keep the input file names), or files and folders with `inPlace`
 * (each output replaces its input, once complete and verified). An output
 * that is its input (the same path, through a symlink, or a hard link) is
 * refused without `inPlace`, as are two inputs with one output.
 */
export async function resolveJobs(args: string[], outDir: string | undefined, inPlace = false): Promise<FileJob[]> {
  if (args.length === 0) throw new UsageError('no input: quell process IN.wav OUT.wav, or quell process IN... --out-dir DIR');
  let jobs: FileJob[];
  if (inPlace) {
    if (outDir) throw new UsageError('--in-place replaces each input: it takes no --out-dir');
    // The real file is replaced, so a symlink keeps pointing at the cleaned audio.
    jobs = await Promise.all((await inputFiles(args)).map(async (input) => ({ input, output: await realFile(input) })));
    return jobs;
  }
  if (!outDir) {
    if (args.length !== 2 || (await isDirectory(args[0]))) throw new UsageError('several inputs or a folder need --out-dir DIR');
    jobs = [{ input: resolve(args[0]), output: resolve(args[1]) }];
  } else {
    jobs = (await inputFiles(args)).map((input) => ({ input, output: resolve(outDir, basename(input)) }));
  }
  const seen = new Map<string, string>();
  for (const job of jobs) {
    if (await sameFile(job.input, job.output)) {
      throw new UsageError(`output '${job.output}' is the input '${job.input}': pick another output, or --in-place to replace the input once the cleaned file is complete and verified`);
    }
    const real = await realFile(job.output);
    const other = seen.get(real);
    if (other !== undefined) throw new UsageError(`'${other}' and '${job.input}' would both be written to '${job.output}'`);
    seen.set(real, job.input);
  }
  return jobs;
}
