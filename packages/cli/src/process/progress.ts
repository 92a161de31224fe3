import cliProgress from 'cli-progress';

/**
 * Shows how far `quell process` is: a progress bar on a terminal, plain
 * lines every few seconds otherwise (logs, CI), nothing with `quiet`.
 */
export class ProgressReporter {
  readonly #total: number;
  readonly #bar: cliProgress.SingleBar | null;
  readonly #plain: boolean;
  #lastPlainMs = 0;

  constructor(totalFrames: number, mode: 'auto' | 'quiet') {
    this.#total = Math.max(1, totalFrames);
    const tty = mode === 'auto' && process.stderr.isTTY === true;
    this.#plain = mode === 'auto' && !tty;
    this.#bar = tty
      ? new cliProgress.SingleBar({ stream: process.stderr, format: 'quell process [{bar}] {percentage}% | {value}/{total} frames | eta {eta}s', hideCursor: true }, cliProgress.Presets.shades_classic)
      : null;
    this.#bar?.start(this.#total, 0);
  }

  update(framesDone: number): void {
    const done = Math.min(framesDone, this.#total);
    this.#bar?.update(done);
    if (this.#plain && performance.now() - this.#lastPlainMs > 2000) {
      this.#lastPlainMs = performance.now();
      process.stderr.write(`quell process: ${((100 * done) / this.#total).toFixed(1)}% (${done}/${this.#total} frames)\n`);
    }
  }

  stop(): void {
    this.#bar?.stop();
  }
}
