// One snapshot: every planned collector run now, streamed to JSON lines, then snapshot.json written last.
import { PART_RECORD, partPrefix, SNAPSHOT_RECORD, snapshotPrefix } from "../core/store-layout.js";
import { randomBytes } from "node:crypto";
import { createWriteStream, type WriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EvidenceItem, ItemStatus, StoredFile } from "../core/model.js";
import { runTasks, type PlannedCollector, type PlannedTask, type RunContext } from "./runner.js";
import type { Store } from "../store/store.js";
import { TOOL } from "../core/version.js";
import { checkRunId } from "./shard.js";
import type { CallerIdentity } from "../core/model.js";
import type { Shard, SnapshotRecord } from "../core/package-model.js";
import { stopIfAborted, type PhaseHook } from "../core/stop.js";
import { LineBatch } from "./line-batch.js";


export function newRunId(now: Date): string {
  return `${now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}-${randomBytes(3).toString("hex")}`;
}


export interface SnapshotInput {
  planned: PlannedCollector[];
  tasks: PlannedTask[];
  run: RunContext;
  store: Store;
  caller: CallerIdentity;
  accounts: string[];
  skippedAccounts: { account: string; reason: string }[];
  runId?: string;
  shard?: Shard;
  /** Test hook: awaited at a named phase, so a test can hold the run there and signal it. */
  hooks?: PhaseHook;
}

export async function takeSnapshot(input: SnapshotInput): Promise<SnapshotRecord> {
  const started = input.run.now();
  // The day is the UTC day the snapshot was taken, from the clock; a run id is only a name and dates nothing.
  const runId = input.runId === undefined ? newRunId(started) : checkRunId(input.runId);
  const day = started.toISOString().slice(0, 10);
  const prefix = input.shard ? partPrefix(day, runId, input.shard) : snapshotPrefix(day, runId);
  const workdir = await mkdtemp(join(tmpdir(), "soc2-evidence-"));
  // Each collector's item file: its stream, and the batch that gathers its lines.
  const outputs = new Map<string, { stream: WriteStream; batch: LineBatch }>();
  // A stream error (a full disk, a stream destroyed by a stop) is kept and rethrown, never left unhandled.
  let streamError: Error | undefined;
  const counts: Record<ItemStatus, number> = { pass: 0, fail: 0, excepted: 0, not_applicable: 0, error: 0 };
  try {
    for (const { collector } of input.planned) {
      if (outputs.has(collector.id)) continue;
      const stream = createWriteStream(join(workdir, `${collector.id}.jsonl`));
      stream.on("error", (error) => {
        streamError ??= error;
      });
      outputs.set(collector.id, { stream, batch: new LineBatch(stream) });
    }
    const sink = async (item: EvidenceItem) => {
      if (streamError) throw streamError;
      counts[item.status] += 1;
      const { batch } = outputs.get(item.collector) as { batch: LineBatch };
      await batch.push(JSON.stringify(item));
    };
    const populations = await runTasks(input.tasks, input.run, sink);
    stopIfAborted(input.run.signal);
    input.run.exceptions.assertShares();
    for (const { batch } of outputs.values()) await batch.flush();
    await Promise.all([...outputs.values()].map(({ stream }) => new Promise<void>((resolve, reject) => {
      stream.once("error", reject);
      stream.end(() => resolve());
    })));
    if (streamError) throw streamError;
    await input.hooks?.("snapshot.writing");
    stopIfAborted(input.run.signal);
    const files: StoredFile[] = [];
    for (const id of outputs.keys()) {
      files.push(await input.store.putFile(`${prefix}${id}.jsonl`, join(workdir, `${id}.jsonl`), "application/x-ndjson"));
    }
    const record: SnapshotRecord = {
      runId,
      day,
      startedAt: started.toISOString(),
      finishedAt: input.run.now().toISOString(),
      complete: true,
      ...(input.shard ? { shard: input.shard } : {}),
      tool: TOOL,
      caller: input.caller,
      scope: { accounts: input.accounts, regions: input.run.regions, skippedAccounts: input.skippedAccounts },
      collectors: input.planned.map((planned) => ({
        id: planned.collector.id,
        params: planned.params,
        controlIds: planned.controlIds,
        file: `${prefix}${planned.collector.id}.jsonl`,
      })),
      populations: populations.sort((a, b) => `${a.collector}${a.account}${a.region}`.localeCompare(`${b.collector}${b.account}${b.region}`)),
      counts,
      calls: input.run.clients.ledger.summary(),
      files,
    };
    // Written last: a snapshot folder without snapshot.json is an abandoned run and is never packaged.
    const recordName = input.shard ? PART_RECORD : SNAPSHOT_RECORD;
    stopIfAborted(input.run.signal);
    await input.store.put(`${prefix}${recordName}`, JSON.stringify(record, null, 2), "application/json");
    return record;
  } finally {
    // An abandoned run (SIGTERM, a failed store) leaves writes pending: destroying the stream fails them with
    // ERR_STREAM_DESTROYED, heard by each stream's error listener above (unheard it would crash instead of exit 3).
    for (const { stream } of outputs.values()) stream.destroy();
    await rm(workdir, { recursive: true, force: true });
  }
}
