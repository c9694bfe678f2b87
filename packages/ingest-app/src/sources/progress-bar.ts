import { performance } from 'node:perf_hooks';

/** Where progress goes: any writable text stream; `isTTY` decides redraw-in-place versus lines. */
export interface ProgressOutput {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

const WIDTH = 24;
const REDRAW_MS = 200;
/** Without a terminal each render is a new line, so render rarely. */
const LINE_MS = 5000;

function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/**
 * `replay [#######.........]  41.3%  1,234,567 trades  812,000 trades/s  ETA 00:42`
 * Progress is by bytes read from disk, the one measure known up front for compressed files too.
 */
export class ProgressBar {
  private readonly started: number;
  private lastRender = Number.NEGATIVE_INFINITY;
  private finished = false;

  constructor(
    private readonly out: ProgressOutput,
    private readonly label = 'replay',
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.started = clock();
  }

  /** Renders at most every REDRAW_MS (TTY) or LINE_MS (plain stream). */
  update(bytesDone: number, bytesTotal: number, items: number): void {
    const now = this.clock();
    if (this.finished || now - this.lastRender < (this.out.isTTY ? REDRAW_MS : LINE_MS)) return;
    this.lastRender = now;
    this.render(bytesDone, bytesTotal, items, now, false);
  }

  /** The last render, always written, ending the line. */
  finish(bytesDone: number, bytesTotal: number, items: number): void {
    if (this.finished) return;
    this.finished = true;
    this.render(bytesDone, bytesTotal, items, this.clock(), true);
  }

  /** The text of one render, without terminal control characters. */
  static format(label: string, bytesDone: number, bytesTotal: number, items: number, elapsedMs: number): string {
    const fraction = bytesTotal > 0 ? Math.min(1, bytesDone / bytesTotal) : 1;
    const filled = Math.round(fraction * WIDTH);
    const seconds = elapsedMs / 1000;
    const rate = seconds > 0 ? items / seconds : 0;
    const eta = fraction > 0 ? (seconds * (1 - fraction)) / fraction : Number.NaN;
    return (
      `${label} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${(fraction * 100).toFixed(1).padStart(5)}%` +
      `  ${Math.round(items).toLocaleString('en-US')} trades  ${Math.round(rate).toLocaleString('en-US')} trades/s  ETA ${duration(eta)}`
    );
  }

  private render(bytesDone: number, bytesTotal: number, items: number, now: number, last: boolean): void {
    const text = ProgressBar.format(this.label, bytesDone, bytesTotal, items, now - this.started);
    if (this.out.isTTY) this.out.write(`\r${text}\x1b[K${last ? '\n' : ''}`);
    else this.out.write(`${text}\n`);
  }
}

/** `true` means stderr when it is a terminal, else nothing; a stream is used as given. */
export function progressOutput(option: boolean | ProgressOutput | undefined): ProgressOutput | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true) return process.stderr.isTTY ? process.stderr : undefined;
  return option;
}
