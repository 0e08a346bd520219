// Training progress on stderr: on a terminal, a one-line bar redrawn in place (at most ~10 times
// a second) and a line per finished epoch; elsewhere (a pipe, a file, CI logs), one line per epoch.
import type { BatchLog, EpochLog } from '../entries/index.js';

const REDRAW_MS = 100;
const BAR_WIDTH = 20;

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600),
    m = Math.floor((s % 3600) / 60),
    r = s % 60;
  return h > 0
    ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}`
    : `${m}:${String(r).padStart(2, '0')}`;
}

export function formatRate(samplesPerSec: number): string {
  return `${Math.round(samplesPerSec).toLocaleString('en-US')} samples/s`;
}

export function epochLine(log: EpochLog, epochs: number): string {
  const parts = [`epoch ${log.epoch}/${epochs}`, `loss ${log.loss.toFixed(5)}`];
  if (log.valMse !== undefined)
    parts.push(`val MSE ${log.valMse.toFixed(5)}`, `val PSNR ${log.valPsnr!.toFixed(2)} dB`);
  parts.push(
    formatRate(log.samplesPerSec),
    log.seconds < 1 ? `${Math.round(log.seconds * 1000)} ms` : `${log.seconds.toFixed(2)} s`,
  );
  return parts.join('  ');
}

export class Progress {
  /** Whether the bar is drawn (a terminal) or only epoch lines are written. */
  readonly interactive: boolean;
  /** Epochs of this run that finished, and the batch reached in the one running. */
  epochsDone = 0;
  batchReached = 0;
  private readonly started = performance.now();
  private epochStarted = performance.now();
  private lastDraw = 0;
  private drawn = false;
  private lossSum = 0;
  private lossRows = 0;

  /** `epochs` of this run; logs number epochs over the model's life, so a resumed model's first
   *  is `firstEpoch` (its epochs so far + 1) and its lines read "epoch 6/10". */
  constructor(
    private readonly stream: ProgressStream,
    private readonly epochs: number,
    private readonly count: number,
    private readonly batchSize: number,
    private readonly firstEpoch = 1,
  ) {
    this.interactive = stream.isTTY === true;
  }

  private get lastEpoch(): number {
    return this.firstEpoch + this.epochs - 1;
  }

  /** fit's onBatchEnd; only a terminal needs it. */
  readonly onBatchEnd = (log: BatchLog): void => {
    this.batchReached = log.batch;
    const rows = Math.min(this.batchSize, this.count - (log.batch - 1) * this.batchSize);
    this.lossSum += log.loss * rows;
    this.lossRows += rows;
    const now = performance.now();
    if (now - this.lastDraw < REDRAW_MS && log.batch !== log.batches) return;
    this.lastDraw = now;
    const doneInEpoch = Math.min(this.count, log.batch * this.batchSize);
    const rate = doneInEpoch / Math.max(1e-3, (now - this.epochStarted) / 1000);
    const doneOverall = (log.epoch - this.firstEpoch) * this.count + doneInEpoch;
    const left = (((now - this.started) / 1000) * (this.epochs * this.count - doneOverall)) / doneOverall;
    const filled = Math.round((BAR_WIDTH * log.batch) / log.batches);
    const line = [
      `epoch ${log.epoch}/${this.lastEpoch} ${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)} batch ${log.batch}/${log.batches}`,
      `loss ${(this.lossSum / this.lossRows).toFixed(5)}`,
      formatRate(rate),
      `${formatDuration(left)} left`,
    ].join('  ');
    const columns = this.stream.columns && this.stream.columns > 10 ? this.stream.columns - 1 : 120;
    this.stream.write(`\r${line.slice(0, columns)}\x1b[K`);
    this.drawn = true;
  };

  readonly onEpochEnd = (log: EpochLog): void => {
    this.clear();
    this.stream.write(`${epochLine(log, this.lastEpoch)}\n`);
    this.epochsDone = log.epoch - this.firstEpoch + 1;
    this.batchReached = 0;
    this.lossSum = 0;
    this.lossRows = 0;
    this.epochStarted = performance.now();
  };

  /** Removes the bar, if drawn, so the next line starts clean. */
  clear(): void {
    if (!this.drawn) return;
    this.stream.write('\r\x1b[K');
    this.drawn = false;
  }
}
