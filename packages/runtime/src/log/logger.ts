import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * One logger for all stages: JSON lines on stdout (pm2 collects them), fixed
 * message strings with the data in fields. Never log per chunk.
 * Level from QUELL_LOG_LEVEL is read by main.ts and passed in.
 */
export function createLogger(stage: string, level = 'info'): Logger {
  return pino({ name: `quell-${stage}`, level, base: { stage, pid: process.pid } });
}
