// `collect --period P` and `snapshot`: the evidence jobs, with the exit codes of SPEC section 3.
import { assembleJob, collectJob, exitCodeFor, snapshotJob, type JobOptions } from "../run/jobs.js";
import { checkRunId, parseShard } from "../run/shard.js";
import { UsageError } from "../core/errors.js";
import { parsePeriod } from "../core/period.js";
import { checkScopeOverrides, configFrom, formatsOf, list, loggerFor, parse, phaseHold, storeFrom, type Values } from "./options.js";

/** Longest period packaged without --allow-long-period: a year and a month's grace. */
export const MAX_PERIOD_DAYS = 400;

async function jobOptions(values: Values, now: () => Date, signal?: AbortSignal) {
  checkScopeOverrides(values);
  const log = loggerFor(values);
  const loaded = await configFrom(values, now(), log);
  const controls = list(values.controls);
  for (const id of controls ?? []) {
    if (!loaded.config.controls.some((control) => control.id === id)) {
      throw new UsageError(`--controls: no control "${id}" in ${loaded.file}`);
    }
  }
  const options: JobOptions = {
    config: loaded.config,
    store: await storeFrom(values, loaded),
    log,
    now,
    ...(list(values.accounts) ? { accounts: list(values.accounts) } : {}),
    ...(list(values.regions) ? { regions: list(values.regions) } : {}),
    ...(controls ? { controls } : {}),
    ...(signal ? { signal } : {}),
    ...(phaseHold(signal) ? { hooks: phaseHold(signal) } : {}),
  };
  return { options, loaded };
}

export async function collectCommand(args: string[], now: () => Date, signal?: AbortSignal): Promise<number> {
  const { values } = parse(args, {
    period: { type: "string" },
    "run-id": { type: "string" },
    shards: { type: "string" },
    "allow-long-period": { type: "boolean", default: false },
  });
  if (typeof values.period !== "string") throw new UsageError("collect needs --period (Q1..Q4, 2026-Q3, 2026-H1, 2026, A..B, current)");
  const formats = formatsOf(values);
  const { options, loaded } = await jobOptions(values, now, signal);
  const fiscal = loaded.config.fiscalYearStartMonth;
  const period = parsePeriod(values.period, now(), fiscal ? { fiscalYearStartMonth: fiscal } : {});
  const days = (Date.parse(`${period.end}T00:00:00Z`) - Date.parse(`${period.start}T00:00:00Z`)) / 86_400_000 + 1;
  if (days > MAX_PERIOD_DAYS && !values["allow-long-period"]) {
    throw new UsageError(`--period ${values.period} is ${days} days, longer than ${MAX_PERIOD_DAYS} (a Type II period is at most a year); pass --allow-long-period to package it anyway`);
  }
  const shards = values.shards === undefined ? undefined : Number(values.shards);
  if (shards !== undefined && (!Number.isInteger(shards) || shards < 1 || typeof values["run-id"] !== "string")) {
    throw new UsageError("--shards N packages a sharded run: give a whole number and the run's --run-id");
  }
  if (typeof values["run-id"] === "string" && shards === undefined) {
    throw new UsageError("--run-id names a sharded run to package: give --shards N too (an unsharded collect names its own run)");
  }
  if (typeof values["run-id"] === "string") checkRunId(values["run-id"]);
  const result =
    shards !== undefined
      ? await assembleJob(options, period, formats, values["run-id"] as string, shards)
      : await collectJob(options, period, formats);
  const { pkg, written } = result;
  const location = `${options.store.location.replace(/\/$/, "")}/${written.prefix}`;
  if (values.json) {
    process.stdout.write(
      JSON.stringify({
        period: pkg.period,
        runId: pkg.runId,
        status: pkg.summary.status,
        controls: pkg.controls.map(({ id, status, counts, reason }) => ({ id, status, reason, counts })),
        items: pkg.summary.items,
        coverage: { covered: pkg.coverage.covered, days: pkg.period.days, missing: pkg.coverage.missing },
        package: location,
        manifest: `${options.store.location.replace(/\/$/, "")}/${written.manifestKey}`,
        files: written.manifest.files.map((file) => file.path),
      }) + "\n",
    );
  } else if (!values.quiet) {
    const lines = [
      `${pkg.organization}: ${pkg.period.label} (${pkg.period.start}..${pkg.period.through}) ${pkg.summary.status.toUpperCase()}`,
      ...pkg.controls.map((control) => `  ${control.id.padEnd(8)} ${control.status.padEnd(10)} ${control.reason}`),
      `package: ${location}`,
      ...written.manifest.files.filter((file) => !file.path.includes("/")).map((file) => `  ${file.path}`),
    ];
    process.stdout.write(lines.join("\n") + "\n");
  }
  return exitCodeFor(pkg.summary.status);
}

export async function snapshotCommand(args: string[], now: () => Date, signal?: AbortSignal): Promise<number> {
  const { values } = parse(args, { shard: { type: "string" }, "run-id": { type: "string" } });
  const shard = typeof values.shard === "string" ? parseShard(values.shard) : undefined;
  if (shard && typeof values["run-id"] !== "string") throw new UsageError("--shard needs --run-id, shared by every shard of the run");
  if (typeof values["run-id"] === "string") checkRunId(values["run-id"]);
  const { options: base } = await jobOptions(values, now, signal);
  const options = { ...base, ...(shard ? { shard } : {}), ...(typeof values["run-id"] === "string" ? { runId: values["run-id"] } : {}) };
  const { snapshot } = await snapshotJob(options);
  if (values.json) process.stdout.write(JSON.stringify({ runId: snapshot.runId, day: snapshot.day, counts: snapshot.counts, populations: snapshot.populations }) + "\n");
  else if (!values.quiet) process.stdout.write(`snapshot ${snapshot.runId}: ${JSON.stringify(snapshot.counts)}\n`);
  return exitCodeFor(snapshot.counts);
}
