// `schedule`: stays up and runs `collect --period current` on the cron from controls.yaml (or --cron), one run at a
// time; `--once` runs one tick and exits with its code (for EventBridge Scheduler -> ECS RunTask).
import type { Format } from "../../reports/renderer.js";
import { collectJob, exitCodeFor } from "../run/jobs.js";
import { UsageError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { parsePeriod } from "../core/period.js";
import { checkCron, cronTicks, runOnce, Scheduler, serve, type RunOutcome } from "../run/scheduler.js";
import { checkScopeOverrides, configFrom, formatsOf, list, loggerFor, parse, storeFrom, type Values } from "./options.js";

const SCHEDULE_OPTIONS = {
  cron: { type: "string" },
  once: { type: "boolean", default: false },
  "grace-seconds": { type: "string", default: "60" },
} as const;

export async function scheduleCommand(
  args: string[],
  now: () => Date,
  signal?: AbortSignal,
): Promise<number> {
  const { values, positionals } = parse(args, SCHEDULE_OPTIONS);
  if (positionals.length > 0)
    throw new UsageError(`schedule takes no arguments (got ${positionals.join(" ")})`);
  const graceSeconds = Number(values["grace-seconds"]);
  if (!Number.isInteger(graceSeconds) || graceSeconds < 0) {
    throw new UsageError(
      `--grace-seconds: "${String(values["grace-seconds"])}" is not a whole number of seconds`,
    );
  }
  checkScopeOverrides(values);
  const formats = formatsOf(values);
  const log = loggerFor(values);
  // Loaded once up front so a bad config or cron stops the process (exit 2) before it stays up; each run reloads it.
  const loaded = await configFrom(values, now(), log);
  const scheduler = new Scheduler({
    run: (_tick, runSignal) => collectCurrent(values, formats, now, log, runSignal),
    log,
    graceMs: graceSeconds * 1000,
  });
  if (values.once) return runOnce(scheduler, now(), signal);

  const expression = typeof values.cron === "string" ? values.cron : loaded.config.schedule;
  if (!expression)
    throw new UsageError(
      `no schedule: set "schedule:" in ${loaded.file} or pass --cron EXPR (or run one tick with --once)`,
    );
  const problem = checkCron(expression);
  if (problem)
    throw new UsageError(
      `${typeof values.cron === "string" ? "--cron" : `${loaded.file} schedule`}: ${problem}`,
    );
  log.info("schedule.start", { cron: expression, timezone: "UTC", graceSeconds, config: loaded.file });
  await serve(cronTicks(expression, log), scheduler, signal, log);
  return 0;
}

/** One tick: exactly what `collect --period current` does, reported as one summary line instead of stdout. */
async function collectCurrent(
  values: Values,
  formats: Format[],
  now: () => Date,
  log: Logger,
  signal: AbortSignal,
): Promise<RunOutcome> {
  const loaded = await configFrom(values, now(), log);
  const controls = list(values.controls);
  for (const id of controls ?? []) {
    if (!loaded.config.controls.some((control) => control.id === id))
      throw new UsageError(`--controls: no control "${id}" in ${loaded.file}`);
  }
  const fiscal = loaded.config.fiscalYearStartMonth;
  const period = parsePeriod("current", now(), fiscal ? { fiscalYearStartMonth: fiscal } : {});
  const store = await storeFrom(values, loaded);
  const accounts = list(values.accounts);
  const regions = list(values.regions);
  const { pkg, written, snapshot } = await collectJob(
    {
      config: loaded.config,
      store,
      log,
      now,
      signal,
      ...(accounts ? { accounts } : {}),
      ...(regions ? { regions } : {}),
      ...(controls ? { controls } : {}),
    },
    period,
    formats,
  );
  const root = store.location.replace(/\/$/, "");
  return {
    exitCode: exitCodeFor(pkg.summary.status),
    fields: {
      runId: snapshot.runId,
      period: pkg.period.label,
      status: pkg.summary.status,
      controls: pkg.summary.controls,
      items: snapshot.counts,
      package: `${root}/${written.prefix}`,
      manifest: `${root}/${written.manifestKey}`,
    },
  };
}
