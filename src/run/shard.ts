// Several processes collecting one run: each takes a deterministic slice of account x region, then one assembles.
import { PART_RECORD, partPrefix, snapshotPrefix } from "../core/store-layout.js";
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

/** Run ids of sharded runs start with the run's UTC date (YYYYMMDD), so every shard files under the same day. */
export function dayOfRun(runId: string): string {
  const match = /^(\d{4})(\d{2})(\d{2})/.exec(runId);
  const day = match ? `${match[1]}-${match[2]}-${match[3]}` : "";
  if (!match || Number.isNaN(Date.parse(`${day}T00:00:00Z`))) {
    throw new UsageError(`--run-id "${runId}" must start with the run's UTC date, e.g. $(date -u +%Y%m%dT%H%M%SZ)-daily`);
  }
  if (!/^[A-Za-z0-9._-]{8,100}$/.test(runId)) throw new UsageError(`--run-id "${runId}": use letters, digits, . _ - only`);
  return day;
}


/** The tasks of one shard: account x region pairs dealt round-robin in sorted order, so every shard agrees. */
export function selectShard(tasks: PlannedTask[], shard: Shard): PlannedTask[] {
  const pairs = [...new Set(tasks.map((task) => `${task.account}|${task.region}`))].sort();
  const mine = new Set(pairs.filter((_, position) => position % shard.count === shard.index - 1));
  return tasks.filter((task) => mine.has(`${task.account}|${task.region}`));
}

/** Joins the parts of a sharded run into its snapshot.json; refuses while any part has not finished. */
export async function assembleRun(store: Store, runId: string, count: number): Promise<SnapshotRecord> {
  const day = dayOfRun(runId);
  const prefix = snapshotPrefix(day, runId);
  if (await store.exists(`${prefix}snapshot.json`)) {
    return JSON.parse((await store.get(`${prefix}snapshot.json`)).toString("utf8")) as SnapshotRecord;
  }
  const parts: SnapshotRecord[] = [];
  const missing: number[] = [];
  for (let index = 1; index <= count; index += 1) {
    const key = `${partPrefix(day, runId, { index, count })}${PART_RECORD}`;
    if (await store.exists(key)) parts.push(JSON.parse((await store.get(key)).toString("utf8")) as SnapshotRecord);
    else missing.push(index);
  }
  if (missing.length > 0) {
    throw new RunError(`run ${runId} is not complete: shard ${missing.map((index) => `${index}/${count}`).join(", ")} has not finished; no package was written`);
  }
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
  await store.put(`${prefix}snapshot.json`, JSON.stringify(record, null, 2), "application/json");
  return record;
}
