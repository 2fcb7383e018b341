// The jobs: snapshot now, and package a period from every snapshot of it in the store.
import { judgeStoreTransport } from "./store-transport.js";
import { findCollector } from "../../collectors/index.js";
import type { Format } from "../../reports/renderer.js";
import { AwsClients, emulatorEndpoint } from "../aws/clients.js";
import { CallLedger, isThrottle } from "../aws/ledger.js";
import { AdaptiveLimiter } from "../aws/rate-limiter.js";
import type { ControlsConfig } from "../config/types.js";
import { ExceptionBook } from "../config/exceptions.js";
import type { Logger } from "../core/log.js";
import type { ControlStatus, ItemStatus, Period } from "../core/model.js";
import { buildPackage } from "../package/build.js";
import { readHistory, readHistoryAhead, type HistoryAhead, type HistoryOptions } from "../package/history.js";
import type { EvidencePackage } from "../core/package-model.js";
import { loadRenderers, writePackage, type WrittenPackage } from "../package/write.js";
import { ItemSpool } from "../package/item-spool.js";
import { isoDay } from "../core/period.js";
import { planCollectors, planTasks } from "./runner.js";
import { callerIdentity, resolveAccounts } from "./scope.js";
import { assembleRun, selectShard } from "./shard.js";
import { takeSnapshot } from "./snapshot.js";
import { stopIfAborted, type PhaseHook } from "../core/stop.js";
import type { Store } from "../store/store.js";
import type { CallerIdentity } from "../core/model.js";
import type { Shard, SnapshotRecord, StoreFacts } from "../core/package-model.js";

export interface JobOptions {
  config: ControlsConfig;
  store: Store;
  log: Logger;
  now: () => Date;
  accounts?: string[];
  regions?: string[];
  controls?: string[];
  concurrency?: number;
  /** Ceiling of each AWS quota bucket as a share of its published rate (default 1: start at the full rate). */
  quotaShare?: number;
  /** Epoch ms after which a throttled call is not retried again (its item says the deadline stopped it). */
  deadline?: number;
  signal?: AbortSignal;
  /** Collect one slice of a run that several processes share (`--shard i/n --run-id R`). */
  shard?: Shard;
  runId?: string;
  /** Awaited at each writing phase (tests hold a run there, then signal it). */
  hooks?: PhaseHook;
  /**
   * Called once, when the snapshot's first AWS call after the caller's identity is answered: by then every
   * collector's first call is out, so work that can wait for the package (loading the renderers) starts without
   * delaying them.
   */
  whenCollecting?: () => void;
}

export interface SnapshotResult {
  snapshot: SnapshotRecord;
  storeFacts: StoreFacts;
  caller: CallerIdentity;
  calls: ReturnType<AwsClients["ledger"]["summary"]>;
}

export async function snapshotJob(options: JobOptions, period?: Period): Promise<SnapshotResult> {
  const { config, store, log } = options;
  const storeFacts = judgeStoreTransport(await store.preflight());
  for (const warning of storeFacts.warnings) log.warn("store.warning", { warning });
  const regions = options.regions ?? config.scope.regions;
  const home = regions[0] ?? "us-east-1";
  const caller = await callerIdentity(home);
  // Set once the caller's identity is recorded; the next call answered takes it.
  let onFirstAnswer: (() => void) | undefined;
  const clients = new AwsClients({
    callerAccount: caller.account,
    partition: caller.partition,
    ...(config.scope.assumeRole ? { assumeRole: config.scope.assumeRole } : {}),
    limiter: new AdaptiveLimiter(options.quotaShare ?? 1),
    ledger: new CallLedger((call) => {
      log.event("debug", "aws.call", { ...call, throttled: isThrottle(call.outcome) });
      const first = onFirstAnswer;
      onFirstAnswer = undefined;
      first?.();
    }),
    ...(options.deadline !== undefined ? { deadline: options.deadline } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  clients.ledger.record({ service: "sts", operation: "GetCallerIdentity", account: caller.account, region: home, outcome: "ok" });
  onFirstAnswer = options.whenCollecting;
  try {
    const scope = options.accounts
      ? { accounts: options.accounts, skipped: [] }
      : await resolveAccounts(config.scope.accounts, caller, clients, home);
    const planned = planCollectors(config, options.controls);
    const allTasks = planTasks(planned, scope.accounts, regions);
    const tasks = options.shard ? selectShard(allTasks, options.shard) : allTasks;
    log.info("snapshot.start", { accounts: scope.accounts.length, regions: regions.length, collectors: planned.length, tasks: tasks.length });
    const today = isoDay(options.now());
    const exceptions = new ExceptionBook(config.exceptions, today, config.maxExceptionShare);
    const snapshot = await takeSnapshot({
      planned,
      tasks,
      store,
      caller,
      accounts: scope.accounts,
      skippedAccounts: scope.skipped,
      ...(options.runId ? { runId: options.runId } : {}),
      ...(options.shard ? { shard: options.shard } : {}),
      ...(options.hooks ? { hooks: options.hooks } : {}),
      run: {
        clients,
        callerAccount: caller.account,
        partition: caller.partition,
        regions,
        now: options.now,
        log,
        exceptions,
        concurrency: options.concurrency ?? 16,
        ...((storeFacts.bucket ?? config.store.bucket) ? { evidenceBucket: storeFacts.bucket ?? config.store.bucket, evidenceBucketAccount: caller.account } : {}),
        ...(period ? { period } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(emulatorEndpoint() ? { endpoint: emulatorEndpoint() } : {}),
      },
    });
    for (const use of exceptions.usage()) {
      if (use.matched === 0 && !use.expired) {
        log.warn("exception.unused", { exception: use.exception.location, resource: use.exception.resource, note: "matched no failing resource in this snapshot" });
      }
    }
    log.info("snapshot.done", { runId: snapshot.runId, ...snapshot.counts });
    return { snapshot, storeFacts, caller, calls: clients.ledger.summary() };
  } finally {
    clients.destroy();
  }
}

export interface PackageResult extends SnapshotResult {
  /** The package without its items: they were spooled to a file for rendering and are in evidence.json. */
  pkg: Omit<EvidencePackage, "items">;
  written: WrittenPackage;
}

export async function collectJob(options: JobOptions, period: Period, formats: readonly Format[]): Promise<PackageResult> {
  // Loaded while the snapshot waits on AWS, after its first calls are out. Begun before them, the renderers' modules
  // (pdfkit, its fonts) held the first collector call back: against moto, three alternating runs each, it went out
  // 795-866 ms after the process started on Node 22 and 675-1,317 ms on Node 20 that way, 493-738 ms and 638-750 ms
  // this way. A failure to load is met again, and reported, when the package is written.
  //
  // The period's earlier days are read back from the store meanwhile too (readHistoryAhead): the snapshot waits on AWS
  // far more than it computes, and a daily run late in a quarter reads every earlier day's snapshot to package it.
  const today = isoDay(options.now());
  let ahead: HistoryAhead | undefined;
  const whenCollecting = () => {
    void loadRenderers().catch(() => undefined);
    ahead = readHistoryAhead(options.store, period, throughOf(period, today), today, historyOptions(options));
  };
  try {
    const result = await snapshotJob({ ...options, whenCollecting }, period);
    // A snapshot that began after midnight is another day's: its history is read as usual.
    const early = result.snapshot.day === today ? ahead : undefined;
    return { ...result, ...(await packageJob(options, period, formats, result, early)) };
  } finally {
    await ahead?.dispose();
  }
}

/** The package covers the period up to the snapshot's day, even when packaging finishes after midnight. */
const throughOf = (period: Period, today: string): string => (today < period.end ? today : period.end);

/** Progress is heard only while packaging: reading ahead reports none while the snapshot's own progress is shown. */
const historyOptions = (options: JobOptions): HistoryOptions => ({
  collector: findCollector,
  progress: (done, total) => options.log.event("debug", "package.read", { done, total }),
});

/** Packages a run whose shards were collected by other processes, once every part has finished. */
export async function assembleJob(options: JobOptions, period: Period, formats: readonly Format[], runId: string, shards: number) {
  const storeFacts = judgeStoreTransport(await options.store.preflight());
  const caller = await callerIdentity(options.regions?.[0] ?? options.config.scope.regions[0] ?? "us-east-1");
  const snapshot = await assembleRun(options.store, runId, shards, isoDay(options.now()));
  const base: SnapshotResult = { snapshot, storeFacts, caller, calls: snapshot.calls };
  return { ...base, ...(await packageJob(options, period, formats, base)) };
}

async function packageJob(options: JobOptions, period: Period, formats: readonly Format[], base: SnapshotResult, ahead?: HistoryAhead) {
  const now = options.now();
  const today = base.snapshot.day;
  const through = throughOf(period, today);
  const notes: string[] = [];
  if (period.end > today) notes.push(`The period runs to ${period.end}; this package covers it to date (${through}).`);
  // Neither the history nor the package holds its items in memory: the history parks them in a spool file until the
  // build has judged them, and the package's items go to another, read back one at a time by each renderer (42,000
  // items as objects: 101 MB of heap after the history, 148 MB after the build, against 27 MB at start).
  const spool = new ItemSpool();
  try {
    const pkg = await packageFromHistory(options, period, base, spool, { through, now, notes, ahead });
    stopIfAborted(options.signal);
    const written = await writePackage(pkg, options.store, formats, {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.hooks ? { hooks: options.hooks } : {}),
      log: options.log,
      progress: (format, done, total) => options.log.event("debug", "package.render", { format, done, total }),
    });
    options.log.info("package.done", { period: period.label, status: pkg.summary.status, manifest: written.manifestKey });
    const { items: _spooled, ...head } = pkg;
    return { pkg: head, written };
  } finally {
    spool.dispose();
  }
}

/** Reads the period's history and builds the package into `spool`; the history is gone before rendering starts. */
async function packageFromHistory(
  options: JobOptions,
  period: Period,
  base: SnapshotResult,
  spool: ItemSpool,
  { through, now, notes, ahead }: { through: string; now: Date; notes: string[]; ahead?: HistoryAhead | undefined },
) {
  const history = ahead ? await ahead.finish(through) : await readHistory(options.store, period, through, historyOptions(options));
  try {
    return buildPackage(
      {
        config: options.config,
        ...(options.controls ? { controlIds: options.controls } : {}),
        period,
        through,
        history,
        runId: base.snapshot.runId,
        now,
        caller: base.caller,
        store: base.storeFacts,
        calls: base.calls,
        notes,
      },
      spool,
    );
  } finally {
    history.dispose();
  }
}

export function exitCodeFor(status: ControlStatus | Record<ItemStatus, number>): number {
  if (typeof status === "string") return status === "effective" ? 0 : 1;
  return status.fail > 0 || status.error > 0 ? 1 : 0;
}
