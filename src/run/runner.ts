// Runs the plan (controls x collectors x accounts x regions) with bounded concurrency; a failure is evidence, not a crash.
import { SharedReads, type SharedRead } from "../core/shared-reads.js";
import type { AwsClients } from "../aws/clients.js";
import { probeTls } from "../aws/tls-probe.js";
import type { TlsProbe } from "../core/tls.js";
import { awsErrorCode } from "../core/trace.js";
import type { BoundCollector } from "../core/collector.js";
import type { ControlsConfig } from "../config/types.js";
import { runConcurrent } from "../core/concurrency.js";
import { ENUMERATION_ERROR } from "../core/evidence.js";
import type { ExceptionBook } from "../config/exceptions.js";
import type { Logger } from "../core/log.js";
import type { EvidenceItem, ItemDraft, Period, Population } from "../core/model.js";

/** One collector with one set of parameters, serving every control that asks for exactly that. */
export interface PlannedCollector extends BoundCollector {
  controlIds: string[];
}

export interface PlannedTask extends PlannedCollector {
  account: string;
  region: string;
}

export function planCollectors(config: ControlsConfig, onlyControls?: readonly string[]): PlannedCollector[] {
  const planned = new Map<string, PlannedCollector>();
  for (const control of config.controls) {
    if (onlyControls && !onlyControls.includes(control.id)) continue;
    for (const use of control.collectors) {
      const key = `${JSON.stringify(use.use)}:${JSON.stringify(use.with, Object.keys(use.with).sort())}`;
      const entry = planned.get(key) ?? { ...use.collector, controlIds: [] };
      if (!entry.controlIds.includes(control.id)) entry.controlIds.push(control.id);
      planned.set(key, entry);
    }
  }
  return [...planned.values()];
}

export function planTasks(collectors: PlannedCollector[], accounts: string[], regions: string[]): PlannedTask[] {
  return collectors.flatMap((planned) =>
    accounts.flatMap((account) =>
      (planned.collector.scope === "account" ? regions.slice(0, 1) : regions).map((region) => ({ ...planned, account, region })),
    ),
  );
}

export interface RunContext {
  clients: AwsClients;
  /** The account whose own credentials run the tool; every other account is reached by AssumeRole. */
  callerAccount?: string;
  partition: string;
  regions: string[];
  now: () => Date;
  log: Logger;
  exceptions: ExceptionBook;
  evidenceBucket?: string;
  evidenceBucketAccount?: string;
  period?: Period;
  concurrency: number;
  signal?: AbortSignal;
  /** The endpoint every client is pointed at (AWS_ENDPOINT_URL), when set. */
  endpoint?: string;
  /** The TLS probe collectors use; the real one unless a test hands another. */
  probeTls?: TlsProbe;
}

export type ItemSink = (item: EvidenceItem) => Promise<void> | void;

/** Runs every task; returns one population record per task. Items go to `sink` as they are produced. */
export async function runTasks(tasks: PlannedTask[], run: RunContext, sink: ItemSink): Promise<Population[]> {
  const populations: Population[] = [];
  const unreachable = await unreachableAccounts(tasks, run);
  for (const [account, error] of unreachable) {
    populations.push(...(await reportUnreachable(account, error, tasks, run, sink)));
  }
  const reachable = tasks.filter((task) => !unreachable.has(task.account));
  // AWS meters quotas per account x region, so a cell's collectors share nothing but their own buckets: every
  // collector of a cell runs at once, and `concurrency` bounds the cells in flight. The slowest bucket of each cell
  // (Access Analyzer, LookupEvents) then starts at once instead of waiting behind faster collectors for a slot.
  const cells = cellsOf(reachable);
  const reads = accountReads(cells);
  await runConcurrent(cells, run.concurrency, async (cell) => {
    if (run.signal?.aborted) throw run.signal.reason ?? new Error("run abandoned");
    const account = cell[0]?.account ?? "";
    const shared = reads.take(account);
    try {
      const results = await Promise.all(cell.map((task) => runTask(task, run, sink, shared)));
      populations.push(...results);
    } finally {
      reads.release(account);
    }
  });
  return populations;
}

/**
 * Reads an account's collectors need alike (the secrets-access collectors and ecs-task-secrets read the same IAM
 * authorization details; the first two the same secret and key policies) are made once per account, whichever
 * region's cell asks first, and let go when the account's last cell is done.
 */
export function accountReads(cells: readonly PlannedTask[][]): { take(account: string): SharedRead; release(account: string): void } {
  const left = new Map<string, number>();
  for (const cell of cells) if (cell[0]) left.set(cell[0].account, (left.get(cell[0].account) ?? 0) + 1);
  const reads = new Map<string, SharedRead>();
  return {
    take(account) {
      let read = reads.get(account);
      if (!read) reads.set(account, (read = new SharedReads().read));
      return read;
    },
    release(account) {
      const remaining = (left.get(account) ?? 1) - 1;
      left.set(account, remaining);
      if (remaining <= 0) reads.delete(account);
    },
  };
}

/** Tasks grouped by account x region, in a stable order. */
export function cellsOf(tasks: readonly PlannedTask[]): PlannedTask[][] {
  const cells = new Map<string, PlannedTask[]>();
  for (const task of tasks) {
    const key = `${task.account}|${task.region}`;
    cells.set(key, [...(cells.get(key) ?? []), task]);
  }
  return [...cells.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, cell]) => cell);
}

/** Assumes the scope role in every member account once, up front; an account it cannot enter is reported, not fatal. */
async function unreachableAccounts(tasks: PlannedTask[], run: RunContext): Promise<Map<string, unknown>> {
  const failed = new Map<string, unknown>();
  const members = [...new Set(tasks.map((task) => task.account))].filter((account) => account !== run.callerAccount);
  if (!run.callerAccount) return failed;
  await runConcurrent(members, Math.max(run.concurrency, 8), async (account) => {
    try {
      await run.clients.credentialsFor(account)();
    } catch (error) {
      failed.set(account, error);
    }
  });
  return failed;
}

/** One error item per collector for an account the tool could not enter, so each control it serves is incomplete. */
async function reportUnreachable(account: string, error: unknown, tasks: PlannedTask[], run: RunContext, sink: ItemSink) {
  const code = awsErrorCode(error);
  run.log.warn("account.unreachable", { account, error: code });
  const populations: Population[] = [];
  const seen = new Set<string>();
  for (const task of tasks.filter((candidate) => candidate.account === account)) {
    const key = `${task.collector.id}|${task.controlIds.join(",")}`;
    if (seen.has(key)) continue;
    seen.add(key);
    await sink({
      collector: task.collector.id,
      controlIds: task.controlIds,
      account,
      region: "all",
      resource: { arn: `arn:${run.partition}:iam::${account}:root`, type: ENUMERATION_ERROR.account, name: account },
      status: "error",
      reason: `could not enter account ${account} to run ${task.collector.id}: AssumeRole failed with ${code}`,
      observed: { errorCode: code },
      expected: task.params,
      source: { service: "sts", operations: ["AssumeRole"], requestIds: requestIdOf(error), collectedAt: run.now().toISOString() },
    });
    populations.push({ collector: task.collector.id, controlIds: task.controlIds, account, region: "all", enumerated: 0, paginationComplete: false, errors: 1, durationMs: 0 });
  }
  return populations;
}

async function runTask(task: PlannedTask, run: RunContext, sink: ItemSink, shared?: SharedRead): Promise<Population> {
  const started = Date.now();
  const population: Population = {
    collector: task.collector.id,
    controlIds: task.controlIds,
    account: task.account,
    region: task.collector.scope === "account" ? "all" : task.region,
    enumerated: 0,
    paginationComplete: false,
    errors: 0,
    durationMs: 0,
  };
  const emit = async (draft: ItemDraft) => {
    const item: EvidenceItem = run.exceptions.apply({
      ...draft,
      collector: task.collector.id,
      controlIds: task.controlIds,
      account: task.account,
      region: draft.region ?? task.region,
    });
    population.enumerated += 1;
    if (item.status === "error") population.errors += 1;
    run.log.event("debug", "collector.item", { collector: item.collector, account: item.account, region: item.region, status: item.status });
    await sink(item);
  };
  try {
    const ctx = {
      account: task.account,
      region: task.region,
      regions: run.regions,
      partition: run.partition,
      clients: run.clients,
      now: run.now,
      log: run.log,
      probeTls: run.probeTls ?? probeTls,
      ...(shared ? { shared } : {}),
      ...(run.endpoint ? { endpoint: run.endpoint } : {}),
      ...(run.evidenceBucket ? { evidenceBucket: run.evidenceBucket } : {}),
      ...(run.evidenceBucketAccount ? { evidenceBucketAccount: run.evidenceBucketAccount } : {}),
      ...(run.period ? { period: run.period } : {}),
    };
    for await (const draft of task.collect(ctx)) {
      if (run.signal?.aborted) throw run.signal.reason ?? new Error("run abandoned");
      await emit(draft);
    }
    population.paginationComplete = true;
  } catch (error) {
    if (run.signal?.aborted) throw error;
    // The collector stopped part-way: the population is incomplete, and the item says which call failed.
    const code = awsErrorCode(error);
    run.log.warn("collector.failed", { collector: task.collector.id, account: task.account, region: task.region, error: code });
    await emit({
      resource: {
        arn: `arn:${run.partition}:${task.collector.service}:${task.region}:${task.account}:*`,
        type: ENUMERATION_ERROR.population,
        name: `${task.collector.id} in ${task.account}/${population.region}`,
      },
      region: population.region,
      status: "error",
      reason: `could not enumerate ${task.collector.id} in ${task.account}/${population.region}: ${code}`,
      observed: { errorCode: code, enumeratedBeforeFailure: population.enumerated },
      expected: task.params,
      source: {
        service: task.collector.service,
        operations: [],
        requestIds: requestIdOf(error),
        collectedAt: run.now().toISOString(),
      },
    });
  }
  population.durationMs = Date.now() - started;
  run.log.info("collector.done", {
    collector: task.collector.id,
    account: task.account,
    region: population.region,
    resources: population.enumerated,
    errors: population.errors,
  });
  return population;
}

function requestIdOf(error: unknown): string[] {
  const id = (error as { $metadata?: { requestId?: string } })?.$metadata?.requestId;
  return id ? [id] : [];
}
