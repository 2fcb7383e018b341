// Reads every complete snapshot of a period back from the store: day-by-day coverage and per-resource history.
import { createInterface } from "node:readline";
import { ENUMERATION_ERROR } from "../evidence.js";
import { daysOf } from "../period.js";
import type { EvidenceItem, Period, StoredFile } from "../model.js";
import type { SnapshotRecord } from "../snapshot.js";
import type { Store } from "../store/store.js";

export interface ResourceState {
  latest: EvidenceItem;
  latestRunId: string;
  /** One byte per period day: 1 when a complete snapshot observed the resource that day. */
  observed: Uint8Array;
  failDays: string[];
  errorDays: string[];
  dates: Set<string>;
  firstSeen: string;
  lastSeen: string;
}

export interface PeriodHistory {
  days: string[];
  snapshots: SnapshotRecord[];
  /** Each snapshot.json as read, so the manifest can hash the records too, not only the items. */
  records: Map<string, StoredFile>;
  /** Complete snapshots that include each collector use (collector id + control ids), by day index. */
  covered: Map<string, Uint8Array>;
  resources: Map<string, ResourceState>;
}

export const useKey = (collector: string, controlIds: readonly string[]) => `${collector}|${[...controlIds].sort().join(",")}`;

const resourceKey = (item: EvidenceItem) =>
  `${useKey(item.collector, item.controlIds)}|${item.account}|${item.region}|${item.resource.arn}|${item.resource.name}`;

/** Every complete snapshot (snapshot.json present) whose day falls in the period up to `through`. */
export async function listSnapshots(
  store: Store,
  period: Period,
  through: string,
): Promise<{ record: SnapshotRecord; file: StoredFile }[]> {
  const months = new Set(daysOf(period, through).map((day) => day.slice(0, 7)));
  const found: { record: SnapshotRecord; file: StoredFile }[] = [];
  for (const month of months) {
    const [year, mm] = month.split("-");
    for await (const key of store.list(`snapshots/${year}/${mm}/`)) {
      if (!key.endsWith("/snapshot.json")) continue;
      const { body, file } = await store.getFile(key);
      const record = JSON.parse(body.toString("utf8")) as SnapshotRecord;
      if (record.complete && record.day >= period.start && record.day <= through) found.push({ record, file });
    }
  }
  return found.sort((a, b) => a.record.startedAt.localeCompare(b.record.startedAt));
}

export interface HistoryOptions {
  /** Event dates an item shows (rotations), from the collector's period judge. */
  datesOf(item: EvidenceItem): string[];
}

export async function readHistory(
  store: Store,
  period: Period,
  through: string,
  options: HistoryOptions,
): Promise<PeriodHistory> {
  const days = daysOf(period, through);
  const dayIndex = new Map(days.map((day, index) => [day, index]));
  const listed = await listSnapshots(store, period, through);
  const snapshots = listed.map(({ record }) => record);
  const records = new Map(listed.map(({ record, file }) => [record.runId, file]));
  const covered = new Map<string, Uint8Array>();
  const resources = new Map<string, ResourceState>();
  // Errors that stood for a whole population (listing denied, account not entered): a later complete listing of the
  // same collector in the same account and region supersedes them, so a clean re-run clears them.
  const enumerationErrors = new Map<string, { region: string; key: string }[]>();
  for (const snapshot of snapshots) {
    const index = dayIndex.get(snapshot.day) as number;
    for (const use of snapshot.collectors) {
      if (!completePopulation(snapshot, use.id, use.controlIds)) continue;
      const key = useKey(use.id, use.controlIds);
      const days = covered.get(key) ?? new Uint8Array(dayIndex.size);
      days[index] = 1;
      covered.set(key, days);
    }
    for (const population of snapshot.populations) {
      if (!population.paginationComplete) continue;
      const owner = `${population.collector}|${population.account}`;
      const standing = enumerationErrors.get(owner) ?? [];
      const cleared = standing.filter((error) => error.region === "all" || error.region === population.region);
      for (const error of cleared) resources.delete(error.key);
      enumerationErrors.set(owner, standing.filter((error) => !cleared.includes(error)));
    }
    for (const file of new Set(snapshot.collectors.map((use) => use.file))) {
      const lines = createInterface({ input: await store.read(file), crlfDelay: Infinity });
      for await (const line of lines) {
        if (line.trim() === "") continue;
        const item = JSON.parse(line) as EvidenceItem;
        absorb(resources, item, snapshot, index, dayIndex.size, options);
        if (item.status === "error" && ENUMERATION_TYPES.has(item.resource.type)) {
          const owner = `${item.collector}|${item.account}`;
          enumerationErrors.set(owner, [...(enumerationErrors.get(owner) ?? []), { region: item.region, key: resourceKey(item) }]);
        }
      }
    }
  }
  return { days, snapshots, records, covered, resources };
}

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
  item: EvidenceItem,
  snapshot: SnapshotRecord,
  dayIndex: number,
  dayCount: number,
  options: HistoryOptions,
): void {
  const key = resourceKey(item);
  let state = resources.get(key);
  if (!state) {
    state = {
      latest: item,
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
  state.latest = item;
  state.latestRunId = snapshot.runId;
  state.lastSeen = snapshot.day;
  state.observed[dayIndex] = 1;
  if (item.status === "fail" && state.failDays.at(-1) !== snapshot.day) state.failDays.push(snapshot.day);
  if (item.status === "error" && state.errorDays.at(-1) !== snapshot.day) state.errorDays.push(snapshot.day);
  for (const date of options.datesOf(item)) state.dates.add(date);
}
