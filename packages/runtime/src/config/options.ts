import { parseArgs } from 'node:util';
import { QuellError } from '../errors.js';

/** A configuration problem; main.ts prints the message as one line and exits with code 2. */
export class ConfigError extends QuellError {
  constructor(message: string) {
    super('ERR_QUELL_CONFIG', message);
  }
}

/** `--help` (or `-h`) was asked for: runStage prints `text` on stdout and exits 0. */
export class HelpRequested extends Error {
  constructor(readonly text: string) {
    super('help requested');
  }
}

/** Exit code for bad configuration, so pm2 and tests can tell it from a crash. */
export const CONFIG_EXIT_CODE = 2;

type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };
type Check<T> = (raw: string) => Parsed<T>;

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(problem: string): Parsed<T> => ({ ok: false, problem });

/** One option: how to read it from a string, its default and its doc. */
export interface OptionSpec<T> {
  kind: 'string' | 'boolean';
  parse: Check<T>;
  defaultValue: T;
  doc: string;
}

export function num(defaultValue: number, doc: string, range: { min?: number; max?: number; int?: boolean } = {}): OptionSpec<number> {
  return {
    kind: 'string',
    defaultValue,
    doc,
    parse(raw) {
      const value = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(value)) return bad(`must be a number, got '${raw}'`);
      if (range.int && !Number.isInteger(value)) return bad(`must be a whole number, got '${raw}'`);
      if (range.min !== undefined && value < range.min) return bad(`must be >= ${range.min}, got ${value}`);
      if (range.max !== undefined && value > range.max) return bad(`must be <= ${range.max}, got ${value}`);
      return ok(value);
    },
  };
}

export function str(defaultValue: string, doc: string, pattern?: RegExp, hint?: string): OptionSpec<string> {
  return {
    kind: 'string',
    defaultValue,
    doc,
    parse(raw) {
      if (pattern && !pattern.test(raw)) return bad(`${hint ?? `must match ${pattern}`}, got '${raw}'`);
      return ok(raw);
    },
  };
}

export function oneOf<const V extends string>(values: readonly V[], defaultValue: V, doc: string): OptionSpec<V> {
  return {
    kind: 'string',
    defaultValue,
    doc,
    parse(raw) {
      return (values as readonly string[]).includes(raw) ? ok(raw as V) : bad(`must be one of ${values.join(', ')}, got '${raw}'`);
    },
  };
}

export function bool(defaultValue: boolean, doc: string): OptionSpec<boolean> {
  return {
    kind: 'boolean',
    defaultValue,
    doc,
    parse(raw) {
      if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return ok(true);
      if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return ok(false);
      return bad(`must be true or false, got '${raw}'`);
    },
  };
}

/** Comma-separated list of strings, or a JSON array (for items that contain commas). */
export function list(defaultValue: string[], doc: string): OptionSpec<string[]> {
  return {
    kind: 'string',
    defaultValue,
    doc,
    parse(raw) {
      if (raw.startsWith('[')) {
        try {
          const items: unknown = JSON.parse(raw);
          if (Array.isArray(items) && items.every((x) => typeof x === 'string')) return ok(items as string[]);
        } catch {
          // Reported below.
        }
        return bad('must be a JSON array of strings');
      }
      return ok(raw === '' ? [] : raw.split(',').map((s) => s.trim()));
    },
  };
}

/** ZeroMQ endpoint (tcp://host:port or ipc://path). */
export function endpoint(defaultValue: string, doc: string): OptionSpec<string> {
  return str(defaultValue, doc, /^(tcp:\/\/[^:]+:(\d+|\*)|ipc:\/\/.+|inproc:\/\/.+)$/, 'must be a ZeroMQ endpoint like tcp://127.0.0.1:5555');
}

export type OptionTable = Record<string, OptionSpec<unknown>>;
export type ConfigOf<T extends OptionTable> = { [K in keyof T]: T[K] extends OptionSpec<infer V> ? V : never };

export function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

export function envName(prefix: string, key: string): string {
  return `${prefix}_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/**
 * Reads every option of `table` from argv flags (`--chunk-ms 10`), then env
 * (`QUELL_CAPTURE_CHUNK_MS`), then the default; reports all problems at once
 * as a single-line ConfigError. Options are declared once; flag and env names
 * are derived from the key.
 */
export function parseConfig<T extends OptionTable>(table: T, envPrefix: string, env: NodeJS.ProcessEnv, argv: string[]): ConfigOf<T> {
  if (argv.includes('--help') || argv.includes('-h')) throw new HelpRequested(formatHelp(table, envPrefix));
  const argOptions: Record<string, { type: 'string' | 'boolean' }> = {};
  for (const [key, spec] of Object.entries(table)) argOptions[flagName(key)] = { type: spec.kind };
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: argv, options: argOptions, strict: true, allowPositionals: false }).values as typeof values;
  } catch (err) {
    throw new ConfigError(`${(err as Error).message.split('\n')[0]} (known flags: ${Object.keys(argOptions).map((f) => `--${f}`).join(' ')})`);
  }
  const problems: string[] = [];
  const config: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(table)) {
    const flag = flagName(key);
    const envKey = envName(envPrefix, key);
    const fromFlag = values[flag];
    const raw = fromFlag !== undefined ? String(fromFlag) : env[envKey];
    if (raw === undefined) {
      config[key] = spec.defaultValue;
      continue;
    }
    const parsed = spec.parse(raw);
    if (parsed.ok) config[key] = parsed.value;
    else problems.push(`--${flag} (${envKey}) ${parsed.problem}`);
  }
  if (problems.length > 0) throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  return config as ConfigOf<T>;
}

/** Every option as terminal text: flag, env name, default and meaning (`--help`). */
export function formatHelp(table: OptionTable, envPrefix: string): string {
  const program = envPrefix.replace(/^QUELL_/, '').toLowerCase();
  const lines = [`usage: quell-${program} [--flag value]...  (every flag can also be set by its environment variable)`, ''];
  for (const [key, spec] of Object.entries(table)) {
    const value = spec.kind === 'boolean' ? '' : ' <value>';
    lines.push(`  --${flagName(key)}${value}  (${envName(envPrefix, key)}, default ${JSON.stringify(spec.defaultValue)})`, `      ${spec.doc}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Markdown table of the options, for package READMEs. */
export function describeOptions(table: OptionTable, envPrefix: string): string {
  const rows = Object.entries(table).map(
    ([key, spec]) => `| \`--${flagName(key)}\` | \`${envName(envPrefix, key)}\` | \`${JSON.stringify(spec.defaultValue)}\` | ${spec.doc} |`,
  );
  return ['| flag | env | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}
