// The live progress line on a terminal: what a run has done so far and what is left, redrawn in place.
// It reads the same events the JSON log carries (debug-level collector.item / aws.call / package.* included), so a
// ten-minute collection shows movement between finished cells; off a TTY nothing here runs.

/** ANSI: carriage return, then erase the whole line (ECMA-48 EL, CSI 2 K). */
const CLEAR = "\r\x1b[2K";
/** Redraws at most this often; the line is also drawn on every finished cell. */
const REDRAW_MS = 200;

export interface ProgressOptions {
  /** Raw terminal writer: no newline added. */
  write: (text: string) => void;
  now?: () => number;
  /** Terminal width; the line is cut to fit so it never wraps (a wrapped line cannot be redrawn in place). */
  columns?: () => number | undefined;
}

interface Counts {
  started: number;
  tasks: number;
  cellsDone: number;
  resources: number;
  calls: number;
  throttles: number;
  /** When the last throttled call came back: the SDK is backing off while this is recent. */
  lastThrottle: number | undefined;
}

export const formatDuration = (ms: number): string => {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes}m${String(seconds % 60).padStart(2, "0")}s` : `${seconds}s`;
};

/** What is left, from the share of cells done so far; unknown until the first cell is done. */
export function estimateLeft(elapsedMs: number, done: number, total: number): number | undefined {
  if (done <= 0 || total <= 0) return undefined;
  return (elapsedMs / done) * Math.max(0, total - done);
}

export class ProgressLine {
  private readonly now: () => number;
  private counts: Counts | undefined;
  private phase: { label: string; done: number; total: number } | undefined;
  private shown = "";
  private lastDraw = 0;

  constructor(private readonly options: ProgressOptions) {
    this.now = options.now ?? (() => Date.now());
  }

  /** Takes one run event; redraws when it moved the line. */
  observe(name: string, fields: Record<string, unknown>): void {
    const now = this.now();
    switch (name) {
      case "snapshot.start":
        this.counts = { started: now, tasks: Number(fields.tasks ?? 0), cellsDone: 0, resources: 0, calls: 0, throttles: 0, lastThrottle: undefined };
        this.draw(true);
        return;
      case "collector.item":
        if (this.counts) this.counts.resources += 1;
        break;
      case "aws.call":
        if (!this.counts) return;
        this.counts.calls += 1;
        if (fields.throttled === true) {
          this.counts.throttles += 1;
          this.counts.lastThrottle = now;
        }
        break;
      case "collector.done":
        if (this.counts) this.counts.cellsDone += 1;
        this.draw(true);
        return;
      case "snapshot.done":
      case "package.done":
        this.counts = undefined;
        this.phase = undefined;
        this.clear();
        return;
      case "package.read":
        this.phase = { label: "reading snapshots", done: Number(fields.done ?? 0), total: Number(fields.total ?? 0) };
        this.counts = undefined;
        break;
      case "package.render":
        this.phase = { label: `rendering ${fields.format}`, done: Number(fields.done ?? 0), total: Number(fields.total ?? 0) };
        break;
      default:
        return;
    }
    this.draw(false);
  }

  /** The line as it would be drawn now, or "" when nothing is in progress. */
  text(): string {
    const now = this.now();
    if (this.counts) {
      const c = this.counts;
      const elapsed = now - c.started;
      const perSecond = elapsed > 0 ? (c.calls * 1000) / elapsed : 0;
      const left = estimateLeft(elapsed, c.cellsDone, c.tasks);
      const backingOff = c.lastThrottle !== undefined && now - c.lastThrottle < 5_000;
      return [
        `[${c.cellsDone}/${c.tasks}] ${c.resources} resources`,
        `${perSecond.toFixed(1)} calls/s`,
        ...(c.throttles > 0 ? [`${c.throttles} throttled${backingOff ? ", backing off" : ""}`] : []),
        `${formatDuration(elapsed)} elapsed`,
        left === undefined ? "estimating" : `~${formatDuration(left)} left`,
      ].join(" | ");
    }
    if (this.phase) {
      const { label, done, total } = this.phase;
      return total > 0 ? `${label} ${done}/${total}` : label;
    }
    return "";
  }

  /** Erases the line so a permanent line can be printed; call redraw() after it. */
  clear(): void {
    if (this.shown === "") return;
    this.options.write(CLEAR);
    this.shown = "";
  }

  redraw(): void {
    this.draw(true);
  }

  private draw(force: boolean): void {
    const now = this.now();
    if (!force && now - this.lastDraw < REDRAW_MS) return;
    // A pty without a size (script, some CI runners) reports 0 columns: draw the line whole then.
    const width = this.options.columns?.() || 200;
    const line = this.text().slice(0, Math.max(10, width - 1));
    if (line === this.shown) return;
    this.lastDraw = now;
    this.options.write(`${CLEAR}${line}`);
    this.shown = line;
  }
}
