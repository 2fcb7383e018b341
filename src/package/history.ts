// Reads every complete snapshot of a period back from the store: day-by-day coverage and per-resource history.
import { RunError } from "../core/errors.js";
import { SNAPSHOT_RECORD, snapshotMonthPrefix } from "../core/store-layout.js";
import type { BoundCollector, RegisteredCollector } from "../core/collector.js";
import { ownerKey, resourceKey, useKey } from "../core/resource-key.js";
import { ENUMERATION_ERROR } from "../core/evidence.js";
import { daysOf } from "../core/period.js";
import type { EvidenceItem, Period, StoredFile } from "../core/model.js";
import type { Store } from "../store/store.js";
import type { SnapshotRecord } from "../core/package-model.js";
import { HistorySpool, type GarbageLimit } from "./history-spool.js";
import { readLines } from "./read-lines.js";

export interface ResourceState {
  /** The newest snapshot's item, as its line in the history's spool (PeriodHistory.item parses it). */
  latest: number;
  /** The item of the first snapshot in the period that saw the resource (the same line when only one did). */
  first: number;
  /** The resource's place in package order: collector, account, region, ARN (all part of its key, so fixed). */
  order: readonly [collector: string, account: string, region: string, arn: string];
  latestRunId: string;
  /** The collector as the latest snapshot ran it: bound to the parameters that snapshot.json records. */
  latestUse?: BoundCollector;
  /** One byte per period day: 1 when a complete snapshot observed the resource that day. */
  observed: Uint8Array;
  failDays: string[];
  errorDays: string[];
  dates: Set<string>;
  firstSeen: string;
  lastSeen: string;
}

export interface UseCoverage {
  collector: string;
  controlIds: readonly string[];
  /** One byte per period day: 1 when a complete snapshot listed this use's every population that day. */
  days: Uint8Array;
  /** The parameters the newest snapshot of this use recorded. */
  params: Readonly<Record<string, unknown>>;
}

export interface PeriodHistory {
  days: string[];
  snapshots: SnapshotRecord[];
  /** Each snapshot.json as read, so the manifest can hash the records too, not only the items. */
  records: Map<string, StoredFile>;
  /** Complete snapshots that include each collector use, by day index; keyed by useKey. */
  covered: Map<string, UseCoverage>;
  resources: Map<string, ResourceState>;
  /** Parses one item a state points at (`state.latest`, `state.first`). */
  item(line: number): EvidenceItem;
  /** Deletes the spool the items are parked in; the caller that read the history disposes it once packaged. */
  dispose(): void;
}


/** Every complete snapshot (snapshot.json present) whose day falls in the period up to `through`. */
export async function listSnapshots(store: Store, period: Period, through: string): Promise<ListedSnapshot[]> {
  return readRecords(store, await recordKeys(store, period, through), period, through);
}

export interface ListedSnapshot {
  record: SnapshotRecord;
  file: StoredFile;
}

/** The key of every snapshot.json in the months of the period up to `through`: a listing, nothing read. */
async function recordKeys(store: Store, period: Period, through: string): Promise<string[]> {
  const months = new Set(daysOf(period, through).map((day) => day.slice(0, 7)));
  const keys: string[] = [];
  for (const month of months) {
    for await (const key of store.list(snapshotMonthPrefix(month))) if (key.endsWith(`/${SNAPSHOT_RECORD}`)) keys.push(key);
  }
  return keys;
}

/** The complete snapshots among these records whose day falls in the period up to `through`, oldest first. */
async function readRecords(store: Store, keys: readonly string[], period: Period, through: string): Promise<ListedSnapshot[]> {
  const found: ListedSnapshot[] = [];
  for (const key of keys) {
    const { body, file } = await store.getFile(key);
    const record = JSON.parse(body.toString("utf8")) as SnapshotRecord;
    refuseMisdated(key, record);
    if (record.complete && record.day >= period.start && record.day <= through) found.push({ record, file });
  }
  return found.sort((a, b) => a.record.startedAt.localeCompare(b.record.startedAt));
}

const FILED_DAY = /^(?:.*\/)?snapshots\/(\d{4})\/(\d{2})\/(\d{2})\//;

/** The day a record's folder files it under (refuseMisdated holds its own day and start to it). */
function filedDay(key: string): string | undefined {
  const folder = FILED_DAY.exec(key);
  return folder ? `${folder[1]}-${folder[2]}-${folder[3]}` : undefined;
}

/**
 * A snapshot counts for the UTC day it was taken: its folder, its recorded day and its own startedAt must agree.
 * One that does not (a backdated or moved snapshot) is refused: packaging stops rather than count a day it cannot prove.
 */
export function refuseMisdated(key: string, record: SnapshotRecord): void {
  const folderDay = filedDay(key);
  const startedDay = typeof record.startedAt === "string" ? record.startedAt.slice(0, 10) : undefined;
  if (record.day === startedDay && (folderDay === undefined || folderDay === record.day)) return;
  throw new RunError(
    `${key}: the snapshot is filed under ${folderDay ?? "?"} and records day ${String(record.day)}, but it was started ${String(record.startedAt)}; ` +
      "a snapshot counts only for the day it was taken, so no package was written",
  );
}

export interface HistoryOptions {
  /** The registered collector with this id, to bind to the parameters a snapshot recorded. */
  collector(id: string): RegisteredCollector | undefined;
  /** Called after each snapshot is read: done of total. */
  progress?: (done: number, total: number) => void;
  /** When the spool of items is compacted (tests set it low to compact after every snapshot). */
  garbage?: GarbageLimit;
}

export async function readHistory(
  store: Store,
  period: Period,
  through: string,
  options: HistoryOptions,
): Promise<PeriodHistory> {
  const builder = new HistoryBuilder(daysOf(period, through), options);
  return builder.absorbAll(store, () => listSnapshots(store, period, through));
}

/** A period's history as it is built: complete snapshots absorbed one at a time, oldest first. */
class HistoryBuilder {
  private readonly dayIndex: Map<string, number>;
  readonly snapshots: SnapshotRecord[] = [];
  private readonly records = new Map<string, StoredFile>();
  private readonly covered = new Map<string, UseCoverage>();
  private readonly resources = new Map<string, ResourceState>();
  // Errors that stood for a whole population (listing denied, account not entered): a later complete listing of the
  // same collector in the same account and region supersedes them, so a clean re-run clears them.
  private readonly enumerationErrors = new Map<string, { region: string; key: string }[]>();
  // Each item is parked on disk as the line it was read as, and parsed again only to be judged: held as objects, the
  // history of 42,000 items took the heap from 27 MB to 101 MB, and the build peaked at 207 MB of heap and buffers. The spool is compacted
  // when lines that no state points at any more (superseded by a later snapshot) outgrow the live ones.
  private readonly spool: HistorySpool;

  constructor(
    private readonly days: string[],
    private readonly options: HistoryOptions,
  ) {
    this.dayIndex = new Map(days.map((day, index) => [day, index]));
    this.spool = new HistorySpool(options.garbage);
  }

  /** Absorbs one complete snapshot; each must have started after the one before it. */
  async absorb(store: Store, { record: snapshot, file }: ListedSnapshot, stop?: () => void): Promise<void> {
    const { covered, resources, enumerationErrors, spool } = this;
    this.snapshots.push(snapshot);
    this.records.set(snapshot.runId, file);
    const index = this.dayIndex.get(snapshot.day) as number;
    const bound = new Map<string, BoundCollector>();
    for (const use of snapshot.collectors) {
      const key = useKey(use.id, use.controlIds);
      const registered = this.options.collector(use.id);
      if (registered) bound.set(key, registered.bind(use.params));
      if (!completePopulation(snapshot, use.id, use.controlIds)) continue;
      const coverage = covered.get(key) ?? { collector: use.id, controlIds: use.controlIds, days: new Uint8Array(this.dayIndex.size), params: use.params };
      coverage.days[index] = 1;
      coverage.params = use.params;
      covered.set(key, coverage);
    }
    for (const population of snapshot.populations) {
      if (!population.paginationComplete) continue;
      const owner = ownerKey(population.collector, population.account);
      const standing = enumerationErrors.get(owner) ?? [];
      const cleared = standing.filter((error) => error.region === "all" || error.region === population.region);
      for (const error of cleared) resources.delete(error.key);
      enumerationErrors.set(owner, standing.filter((error) => !cleared.includes(error)));
    }
    for (const itemsFile of new Set(snapshot.collectors.map((use) => use.file))) {
      for await (const line of readLines(await store.read(itemsFile))) {
        stop?.();
        if (line.trim() === "") continue;
        const item = JSON.parse(line) as EvidenceItem;
        absorb(resources, spool, line, item, snapshot, index, this.dayIndex.size, bound.get(useKey(item.collector, item.controlIds)));
        if (item.status === "error" && ENUMERATION_TYPES.has(item.resource.type)) {
          const owner = ownerKey(item.collector, item.account);
          enumerationErrors.set(owner, [...(enumerationErrors.get(owner) ?? []), { region: item.region, key: resourceKey(item) }]);
        }
      }
    }
    spool.compact(resources);
  }

  /**
   * Absorbs the listed snapshots, reporting progress as if `before` had been absorbed ahead of them, and returns the
   * history; on a failure the spool is deleted and the failure thrown.
   */
  async absorbAll(store: Store, list: () => Promise<ListedSnapshot[]>, before = 0): Promise<PeriodHistory> {
    try {
      const listed = await list();
      const total = before + listed.length;
      for (const [read, snapshot] of listed.entries()) {
        this.options.progress?.(before + read, total);
        await this.absorb(store, snapshot);
      }
      this.options.progress?.(total, total);
    } catch (error) {
      this.dispose();
      throw error;
    }
    return this.history();
  }

  history(): PeriodHistory {
    const { days, snapshots, records, covered, resources, spool } = this;
    return { days, snapshots, records, covered, resources, item: (line) => spool.item(line), dispose: () => spool.dispose() };
  }

  dispose(): void {
    this.spool.dispose();
  }
}

/**
 * The history of the days before today, read while today's snapshot is being taken: a daily run packages the period
 * to date, and each earlier day's snapshot is read back whole (on the medium bench's estate, 31 days took 4.2 s to
 * read against 0.2 s for one, a packaging probe), so the reading is done by the time the collection is.
 */
export interface HistoryAhead {
  /**
   * The period's history through `through`: today's snapshots (those of `today` and later) absorbed after the days
   * read ahead. When the store no longer lists exactly the earlier snapshot records that were read (one finished after
   * the reading began, or was removed), when `through` is not the one read for, or when the reading failed, the whole
   * history is read again instead, so it is always what readHistory would return.
   */
  finish(through: string): Promise<PeriodHistory>;
  /** Stops the reading and deletes what it parked; the history is not wanted any more. */
  dispose(): Promise<void>;
}

export function readHistoryAhead(store: Store, period: Period, through: string, today: string, options: HistoryOptions): HistoryAhead {
  // Let go of once finish hands the history over: the caller holds this object until the package is written, and the
  // history's resources (a state per resource of the period) would otherwise stay in memory while every format renders.
  let builder: HistoryBuilder | undefined = new HistoryBuilder(daysOf(period, through), options);
  const earlier = (key: string) => (filedDay(key) ?? today) < today;
  let stopped = false;
  const stop = () => {
    if (stopped) throw new Error("the history read ahead was given up");
  };
  const reading = (async (target: HistoryBuilder) => {
    const keys = (await recordKeys(store, period, through)).filter(earlier);
    for (const snapshot of await readRecords(store, keys, period, through)) await target.absorb(store, snapshot, stop);
    return keys;
  })(builder);
  // Met again by finish, which then reads the whole history and reports whatever the store's problem is.
  reading.catch(() => undefined);
  let taken = false;
  return {
    async finish(finalThrough) {
      const held = builder;
      if (taken || !held) throw new Error("the history read ahead was already taken or given up");
      taken = true;
      try {
        const readKeys = await reading.catch(() => undefined);
        // Listed, not read again: snapshot records are written once, complete, and never replaced, so the same keys
        // are the same snapshots; on S3 each record read is a request, and a quarter has about 90 of them.
        const keys = readKeys && finalThrough === through ? await recordKeys(store, period, through) : undefined;
        const unchanged = readKeys !== undefined && keys !== undefined && sameKeys(keys.filter(earlier), readKeys);
        if (!keys || !unchanged) {
          held.dispose();
          return await readHistory(store, period, finalThrough, options);
        }
        return await held.absorbAll(store, () => readRecords(store, keys.filter((key) => !earlier(key)), period, through), held.snapshots.length);
      } finally {
        // The history returned owns the spool from here (its dispose deletes it); a failed absorbAll deleted it.
        builder = undefined;
      }
    },
    async dispose() {
      stopped = true;
      await reading.catch(() => undefined);
      builder?.dispose();
      builder = undefined;
    },
  };
}

const sameKeys = (left: readonly string[], right: readonly string[]): boolean => {
  const sorted = [...right].sort();
  return left.length === right.length && [...left].sort().every((key, index) => key === sorted[index]);
};

const ENUMERATION_TYPES = new Set<string>(Object.values(ENUMERATION_ERROR));

/** A day counts as covered for a collector use only if every one of its populations in the snapshot was listed whole. */
function completePopulation(snapshot: SnapshotRecord, collector: string, controlIds: readonly string[]): boolean {
  const mine = snapshot.populations.filter(
    (population) =>
      population.collector === collector && (!population.controlIds || useKey(collector, population.controlIds) === useKey(collector, controlIds)),
  );
  return mine.length > 0 && mine.every((population) => population.paginationComplete);
}

function absorb(
  resources: Map<string, ResourceState>,
  spool: HistorySpool,
  line: string,
  item: EvidenceItem,
  snapshot: SnapshotRecord,
  dayIndex: number,
  dayCount: number,
  use: BoundCollector | undefined,
): void {
  const key = resourceKey(item);
  let state = resources.get(key);
  const previous = state ? spool.lazyItem(state.latest) : undefined;
  const latest = spool.add(line);
  if (!state) {
    state = {
      latest,
      first: latest,
      order: [item.collector, item.account, item.region, item.resource.arn],
      latestRunId: snapshot.runId,
      observed: new Uint8Array(dayCount),
      failDays: [],
      errorDays: [],
      dates: new Set(),
      firstSeen: snapshot.day,
      lastSeen: snapshot.day,
    };
    resources.set(key, state);
  }
  for (const date of use?.period?.dates(item, previous) ?? []) state.dates.add(date);
  state.latest = latest;
  state.latestRunId = snapshot.runId;
  if (use) state.latestUse = use;
  else delete state.latestUse;
  state.lastSeen = snapshot.day;
  state.observed[dayIndex] = 1;
  if (item.status === "fail" && state.failDays.at(-1) !== snapshot.day) state.failDays.push(snapshot.day);
  if (item.status === "error" && state.errorDays.at(-1) !== snapshot.day) state.errorDays.push(snapshot.day);
}
