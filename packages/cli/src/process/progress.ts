import cliProgress from 'cli-progress';

/** One input as progress counts it. */
export interface ProgressFile {
  /** Shown on its line (the file's base name). */
  name: string;
  frameCount: number;
  sampleRateHz: number;
}

export interface ProgressOptions {
  /** auto: bars on a terminal, plain lines otherwise (logs, CI); quiet: nothing (`--json`). */
  mode: 'auto' | 'quiet';
  /** Where progress goes; default process.stderr. Bars only when it is a TTY. */
  out?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Clock in ms; default performance.now. */
  nowMs?: () => number;
  /** Plain mode: least ms between two progress lines; default 2000. */
  plainIntervalMs?: number;
}

/** `seconds` as `12 s`, `3 min 05 s` or `1 h 02 min`; `?` while there is no rate to go by. */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.ceil(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

const BAR_FORMAT = '{label} [{bar}] {percentage}% | {detail}';

/**
 * Shows how far `quell process` is, per file and in total, with an ETA: on a
 * terminal a bar for the total and one for each file in progress (a line for
 * each file done); otherwise a line every few seconds with the total, the
 * ETA and each file in progress, and a line for each file done; nothing with
 * `quiet`. Progress is counted in seconds of audio, so files of different
 * rates weigh by their length; the ETA is the audio left at the rate of audio
 * done so far (from the first progress report, so start-up does not count).
 */
export class ProgressReporter {
  readonly #files: ProgressFile[];
  readonly #doneS: Float64Array;
  readonly #finished: Uint8Array;
  readonly #totalS: number;
  readonly #out: NodeJS.WritableStream;
  readonly #now: () => number;
  readonly #plain: boolean;
  readonly #plainIntervalMs: number;
  readonly #multi: cliProgress.MultiBar | null;
  readonly #totalBar: cliProgress.SingleBar | null;
  readonly #fileBars = new Map<number, cliProgress.SingleBar>();
  #finishedCount = 0;
  #firstMs = -1;
  #firstDoneS = 0;
  #lastPlainMs = -Infinity;
  #stopped = false;

  constructor(files: ProgressFile[], options: ProgressOptions) {
    this.#files = files;
    this.#doneS = new Float64Array(files.length);
    this.#finished = new Uint8Array(files.length);
    this.#totalS = files.reduce((sum, f) => sum + f.frameCount / f.sampleRateHz, 0);
    this.#out = options.out ?? process.stderr;
    this.#now = options.nowMs ?? (() => performance.now());
    this.#plainIntervalMs = options.plainIntervalMs ?? 2000;
    const tty = options.mode === 'auto' && (options.out ?? process.stderr).isTTY === true;
    this.#plain = options.mode === 'auto' && !tty;
    this.#multi = tty ? new cliProgress.MultiBar({ stream: this.#out, format: BAR_FORMAT, hideCursor: true, clearOnComplete: false, autopadding: true }, cliProgress.Presets.shades_classic) : null;
    this.#totalBar = this.#multi?.create(this.#barTotal(this.#totalS), 0, { label: 'total', detail: this.#totalDetail() }) ?? null;
  }

  /** `framesDone` of file `index` are written (its stream's frames played so far). */
  update(index: number, framesDone: number): void {
    if (this.#stopped || this.#finished[index]) return;
    const file = this.#files[index];
    this.#doneS[index] = Math.min(framesDone, file.frameCount) / file.sampleRateHz;
    this.#started();
    if (this.#multi) {
      let bar = this.#fileBars.get(index);
      if (!bar) {
        bar = this.#multi.create(this.#barTotal(file.frameCount / file.sampleRateHz), 0, { label: file.name, detail: '' });
        this.#fileBars.set(index, bar);
      }
      bar.update(this.#barValue(this.#doneS[index]), { label: file.name, detail: `${this.#doneS[index].toFixed(1)} / ${(file.frameCount / file.sampleRateHz).toFixed(1)} s` });
      this.#updateTotal();
    }
    this.#plainLine(false);
  }

  /** File `index` is done (its output written and checked, or failed): its line goes, a line says so. */
  finish(index: number): void {
    if (this.#stopped || this.#finished[index]) return;
    const file = this.#files[index];
    this.#finished[index] = 1;
    this.#finishedCount++;
    this.#doneS[index] = file.frameCount / file.sampleRateHz;
    this.#started();
    const line = `quell process: ${file.name} done (${this.#finishedCount}/${this.#files.length} files)\n`;
    if (this.#multi) {
      const bar = this.#fileBars.get(index);
      if (bar) this.#multi.remove(bar);
      this.#fileBars.delete(index);
      this.#multi.log(line);
      this.#updateTotal();
    } else if (this.#plain) {
      this.#out.write(line);
      this.#plainLine(this.#finishedCount === this.#files.length);
    }
  }

  /** Seconds of audio done, all files together. */
  get doneS(): number {
    let sum = 0;
    for (const s of this.#doneS) sum += s;
    return sum;
  }

  /** Estimated seconds left at the rate so far; NaN until there is a rate. */
  etaS(): number {
    if (this.#firstMs < 0) return NaN;
    const elapsedS = (this.#now() - this.#firstMs) / 1000;
    const rate = (this.doneS - this.#firstDoneS) / elapsedS;
    return rate > 0 ? (this.#totalS - this.doneS) / rate : NaN;
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#multi?.stop();
  }

  #started(): void {
    if (this.#firstMs >= 0) return;
    this.#firstMs = this.#now();
    this.#firstDoneS = this.doneS;
  }

  // Bars count ms of audio, so they move in whole steps.
  #barTotal(seconds: number): number {
    return Math.max(1, Math.round(seconds * 1000));
  }

  #barValue(seconds: number): number {
    return Math.round(seconds * 1000);
  }

  #totalDetail(): string {
    return `${this.doneS.toFixed(1)} / ${this.#totalS.toFixed(1)} s audio | ${this.#finishedCount}/${this.#files.length} files | eta ${formatEta(this.etaS())}`;
  }

  #updateTotal(): void {
    this.#totalBar?.update(this.#barValue(this.doneS), { label: 'total', detail: this.#totalDetail() });
  }

  #plainLine(force: boolean): void {
    if (!this.#plain) return;
    const now = this.#now();
    if (!force && now - this.#lastPlainMs < this.#plainIntervalMs) return;
    this.#lastPlainMs = now;
    const percent = this.#totalS > 0 ? (100 * this.doneS) / this.#totalS : 100;
    const inProgress: string[] = [];
    for (let i = 0; i < this.#files.length; i++) {
      if (this.#finished[i] || this.#doneS[i] === 0) continue;
      const f = this.#files[i];
      inProgress.push(`${f.name} ${((100 * this.#doneS[i] * f.sampleRateHz) / f.frameCount).toFixed(0)}%`);
    }
    this.#out.write(
      `quell process: ${percent.toFixed(1)}% of ${this.#totalS.toFixed(1)} s audio, ${this.#finishedCount}/${this.#files.length} files, eta ${formatEta(this.etaS())}` +
        (inProgress.length > 0 ? `; ${inProgress.join(', ')}` : '') +
        '\n',
    );
  }
}
