// Several processes collecting one run: each takes a deterministic slice of account x region, then one assembles.
import { PART_RECORD, partPrefix, SNAPSHOT_RECORD, snapshotPrefix } from "../core/store-layout.js";
import { RunError, UsageError } from "../core/errors.js";
import type { ItemStatus, StoredFile } from "../core/model.js";
import type { PlannedTask } from "./runner.js";
import type { Store } from "../store/store.js";
import type { Shard, SnapshotRecord } from "../core/package-model.js";


export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || count > 1000 || index < 1 || index > count) {
    throw new UsageError(`--shard "${text}": expected i/n with 1 <= i <= n, e.g. 2/3`);
  }
  return { index, count };
}

/** A run id is a name only (letters, digits, . _ -): the day a snapshot files under comes from the clock, never from it. */
export function checkRunId(runId: string): string {
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(runId) || /^\.+$/.test(runId)) {
    throw new UsageError(`--run-id "${runId}": use 1-100 letters, digits, . _ - only (and not only dots)`);
  }
  return runId;
}

const dayBefore = (day: string): string => new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);

/** The tasks of one shard: account x region pairs dealt round-robin in sorted order, so every shard agrees. */
export function selectShard(tasks: PlannedTask[], shard: Shard): PlannedTask[] {
  const pairs = [...new Set(tasks.map((task) => `${task.account}|${task.region}`))].sort();
  const mine = new Set(pairs.filter((_, position) => position % shard.count === shard.index - 1));
  return tasks.filter((task) => mine.has(`${task.account}|${task.region}`));
}

/**
 * Joins the parts of a sharded run into its snapshot.json; refuses while any part has not finished, and when the
 * parts were taken on different UTC days (each files under the day it was taken: `today`, or the day before when
 * the assembly runs after midnight).
 */
export async function assembleRun(store: Store, runId: string, count: number, today: string): Promise<SnapshotRecord> {
  checkRunId(runId);
  const days = [today, dayBefore(today)];
  for (const day of days) {
    const key = `${snapshotPrefix(day, runId)}${SNAPSHOT_RECORD}`;
    if (await store.exists(key)) return JSON.parse((await store.get(key)).toString("utf8")) as SnapshotRecord;
  }
  const found = new Map<number, { day: string; part: SnapshotRecord }>();
  const missing: number[] = [];
  for (let index = 1; index <= count; index += 1) {
    let hit: { day: string; part: SnapshotRecord } | undefined;
    for (const day of days) {
      const key = `${partPrefix(day, runId, { index, count })}${PART_RECORD}`;
      if (!hit && (await store.exists(key))) hit = { day, part: JSON.parse((await store.get(key)).toString("utf8")) as SnapshotRecord };
    }
    if (hit) found.set(index, hit);
    else missing.push(index);
  }
  if (missing.length > 0) {
    throw new RunError(`run ${runId} is not complete: shard ${missing.map((index) => `${index}/${count}`).join(", ")} has not finished; no package was written`);
  }
  const byDay = new Map<string, number[]>();
  for (const [index, { day, part }] of found) {
    if (part.day !== day || part.startedAt.slice(0, 10) !== day) {
      throw new RunError(`run ${runId}: shard ${index}/${count} is filed under ${day} but records day ${part.day}, started ${part.startedAt}; no package was written`);
    }
    byDay.set(day, [...(byDay.get(day) ?? []), index]);
  }
  if (byDay.size > 1) {
    const which = [...byDay].map(([day, indexes]) => `shard ${indexes.map((index) => `${index}/${count}`).join(", ")} on ${day}`).join("; ");
    throw new RunError(`run ${runId}: the shards of one run must be taken on one UTC day, but ${which}; take the run again; no package was written`);
  }
  const day = [...byDay.keys()][0] as string;
  const prefix = snapshotPrefix(day, runId);
  const parts = [...found.values()].map(({ part }) => part);
  const first = parts[0] as SnapshotRecord;
  const counts: Record<ItemStatus, number> = { pass: 0, fail: 0, excepted: 0, not_applicable: 0, error: 0 };
  for (const part of parts) for (const status of Object.keys(counts) as ItemStatus[]) counts[status] += part.counts[status];
  const record: SnapshotRecord = {
    ...first,
    shard: undefined,
    startedAt: parts.map((part) => part.startedAt).sort()[0] as string,
    finishedAt: parts.map((part) => part.finishedAt).sort().at(-1) as string,
    collectors: parts.flatMap((part) => part.collectors),
    populations: parts.flatMap((part) => part.populations),
    counts,
    calls: parts.flatMap((part) => part.calls),
    files: parts.flatMap((part): StoredFile[] => part.files),
  };
  delete record.shard;
  await store.put(`${prefix}${SNAPSHOT_RECORD}`, JSON.stringify(record, null, 2), "application/json");
  return record;
}
