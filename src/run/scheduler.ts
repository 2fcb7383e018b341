// The scheduler behind `schedule`: one run at a time on a cron; a tick during a run is skipped; a stop lets the run
// in flight finish within a grace period, then abandons it (its abort signal fires, so no manifest is written).
import cron from "node-cron";
import { exitCodeOf } from "../core/errors.js";
import { redact } from "../cli/log.js";
import type { Logger } from "../core/log.js";

/** What a finished run reports: its exit code and the facts for its one summary line. */
export interface RunOutcome {
  exitCode: number;
  fields: Record<string, unknown>;
}

export type ScheduledRun = (tick: Date, signal: AbortSignal) => Promise<RunOutcome>;

/** Calls `tick` on schedule once started; the returned function stops it. */
export interface TickSource {
  start(tick: (at: Date) => void): () => void;
}

/** Waits `ms`, or less if `signal` aborts; injected so tests never sleep. */
export type Wait = (ms: number, signal: AbortSignal) => Promise<void>;

export const realWait: Wait = (ms, signal) =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });

export class RunAbandonedError extends Error {
  override name = "RunAbandonedError";
  readonly exitCode = 3;
}

/** `cron` is 5 fields (minute first) or 6 (second first), read in UTC. */
export function checkCron(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/).length;
  if (fields !== 5 && fields !== 6)
    return `"${expression}" has ${fields} fields; a cron has 5 (m h dom mon dow) or 6 (s m h dom mon dow)`;
  return cron.validate(expression) ? undefined : `"${expression}" is not a valid cron expression`;
}

export function cronTicks(expression: string, log: Logger): TickSource {
  return {
    start(tick) {
      const task = cron.schedule(expression, (context) => tick(context.date), {
        name: "soc2-evidence",
        timezone: "UTC",
        // Overlap is this module's decision (and log line), so node-cron must always call us.
        noOverlap: false,
        logger: {
          info: () => {},
          debug: () => {},
          warn: (message) => log.warn("schedule.cron", { message }),
          error: (message) => log.error("schedule.cron", { message: String(message) }),
        },
      });
      return () => void task.destroy();
    },
  };
}

interface InFlight {
  tick: Date;
  controller: AbortController;
  done: Promise<RunOutcome>;
}

export interface SchedulerOptions {
  run: ScheduledRun;
  log: Logger;
  /** How long a stop waits for the run in flight before abandoning it. */
  graceMs: number;
  /** After abandoning, how long the run may take to unwind before the stop returns anyway. */
  unwindMs?: number;
  wait?: Wait;
  /** Monotonic milliseconds, for durations. */
  clock?: () => number;
}

export class Scheduler {
  private current: InFlight | undefined;
  private stopping = false;
  readonly stats = { runs: 0, skipped: 0, abandoned: 0 };

  constructor(private readonly options: SchedulerOptions) {}

  get busy(): boolean {
    return this.current !== undefined;
  }

  /** Starts a run for this tick, or skips the tick when one is in flight or a stop began. */
  tick(at: Date): Promise<RunOutcome> | undefined {
    const { log } = this.options;
    if (this.stopping) return undefined;
    if (this.current) {
      this.stats.skipped += 1;
      log.warn("schedule.skipped", {
        tick: at.toISOString(),
        running: this.current.tick.toISOString(),
        reason: "a run is still in flight",
      });
      return undefined;
    }
    const clock = this.options.clock ?? (() => performance.now());
    const controller = new AbortController();
    const started = clock();
    this.stats.runs += 1;
    log.info("schedule.run.start", { tick: at.toISOString() });
    const done = Promise.resolve()
      .then(() => this.options.run(at, controller.signal))
      .catch((error: unknown): RunOutcome => {
        const abandoned = controller.signal.aborted;
        return {
          exitCode: exitCodeOf(error),
          fields: {
            outcome: abandoned ? "abandoned" : "failed",
            error: redact(error instanceof Error ? error.message : String(error)),
          },
        };
      })
      .then((outcome) => {
        this.current = undefined;
        log.info("schedule.run", {
          tick: at.toISOString(),
          outcome: "complete",
          ...outcome.fields,
          durationMs: Math.round(clock() - started),
          exitCode: outcome.exitCode,
        });
        return outcome;
      });
    this.current = { tick: at, controller, done };
    return done;
  }

  /**
   * Takes no more ticks; lets the run in flight finish within the grace period, else aborts it and gives it
   * `unwindMs` to stop. Resolves with what happened to the run, once it is settled or given up on.
   */
  async stop(reason: string): Promise<"idle" | "finished" | "abandoned"> {
    this.stopping = true;
    const current = this.current;
    if (!current) return "idle";
    const { log, graceMs } = this.options;
    const wait = this.options.wait ?? realWait;
    log.info("schedule.stopping", {
      reason,
      running: current.tick.toISOString(),
      graceSeconds: graceMs / 1000,
    });
    if (await settlesWithin(current.done, graceMs, wait)) return "finished";
    this.stats.abandoned += 1;
    log.warn("schedule.abandoning", {
      running: current.tick.toISOString(),
      note: "grace period over: the run is abandoned and writes no manifest",
    });
    current.controller.abort(
      new RunAbandonedError(`run of ${current.tick.toISOString()} abandoned: ${reason}`),
    );
    await settlesWithin(current.done, this.options.unwindMs ?? 10_000, wait);
    return "abandoned";
  }
}

async function settlesWithin(done: Promise<unknown>, ms: number, wait: Wait): Promise<boolean> {
  const timer = new AbortController();
  try {
    return await Promise.race([done.then(() => true), wait(ms, timer.signal).then(() => false)]);
  } finally {
    timer.abort();
  }
}

/** Resolves when `signal` aborts (SIGTERM/SIGINT), with its reason as text. */
export const stopRequested = (signal: AbortSignal | undefined): Promise<string> =>
  new Promise((resolve) => {
    if (!signal) return;
    const reason = () =>
      resolve(
        signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? "stop requested"),
      );
    if (signal.aborted) reason();
    else signal.addEventListener("abort", reason, { once: true });
  });

/** Long-running mode: ticks until a stop is requested, then drains or abandons the run in flight. */
export async function serve(
  ticks: TickSource,
  scheduler: Scheduler,
  signal: AbortSignal | undefined,
  log: Logger,
): Promise<void> {
  const stopTicks = ticks.start((at) => void scheduler.tick(at));
  const reason = await stopRequested(signal);
  stopTicks();
  const fate = await scheduler.stop(reason);
  log.info("schedule.stopped", { reason, inFlight: fate, ...scheduler.stats });
}

/** `--once`: one run now; a stop request drains or abandons it like in long-running mode. */
export async function runOnce(
  scheduler: Scheduler,
  at: Date,
  signal: AbortSignal | undefined,
): Promise<number> {
  const done = scheduler.tick(at) as Promise<RunOutcome>;
  void stopRequested(signal).then((reason) => scheduler.stop(reason));
  return (await done).exitCode;
}
