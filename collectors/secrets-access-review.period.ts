// The review over the period, pure: CloudTrail's event history keeps 90 days, so reads on earlier days of the
// period come from what earlier snapshots recorded (each snapshot keeps its CloudTrail reads per day and principal).
// The latest snapshot's rows (who can read today) stay; reads are added, and the actions recomputed. The period
// verdict keeps only the rows that differ from the snapshot's (`reviewChanges`), so a package holds each row once;
// overlayReview (src/core/access-review.ts) lays the changes over the snapshot's rows.
import { byPrincipal, type DayRead, type ReadSources, type ReviewRow } from "../src/core/access-review.js";
import type { ResourceHistory } from "../src/core/collector.js";
import type { EvidenceItem, Period, PeriodVerdict } from "../src/core/model.js";
import { judgeReview, reviewAction, type ReviewParams } from "./secrets-access-review.judge.js";

const dayReadsOf = (item: EvidenceItem): DayRead[] => (Array.isArray(item.observed.readsByDay) ? (item.observed.readsByDay as DayRead[]) : []);

/** Each day's reads an item records, one text per (day, principal), for the history to gather across snapshots. */
export const reviewReadDates = (item: EvidenceItem): string[] => dayReadsOf(item).map((read) => JSON.stringify([read.day, read.principal, read.count, read.last, read.regions, read.sourceIps]));

function decode(text: string): DayRead | undefined {
  try {
    const [day, principal, count, last, regions, sourceIps] = JSON.parse(text) as [string, string, number, string, string[], string[]];
    return typeof day === "string" && typeof principal === "string" && typeof count === "number" ? { day, principal, count, last, regions, sourceIps } : undefined;
  } catch {
    return undefined;
  }
}

const union = (left: readonly string[], right: readonly string[]): string[] => [...new Set([...left, ...right])].sort();

export function judgeReviewPeriod(history: ResourceHistory, period: Period, through: string, params: ReviewParams): PeriodVerdict {
  const latest = history.latest;
  const rows = Array.isArray(latest.observed.review) ? (latest.observed.review as ReviewRow[]) : [];
  const window = (latest.observed.readWindow ?? {}) as { start?: string; end?: string };
  const from = (window.start ?? `${period.start}T00:00:00Z`).slice(0, 10);
  const sources: ReadSources = { cloudTrail: { from, to: (window.end ?? through).slice(0, 10) }, snapshotDays: [] };
  // Latest counts per (day, principal): what CloudTrail still holds; only the excess of an earlier snapshot is added.
  const held = new Map(dayReadsOf(latest).map((read) => [`${read.day}|${read.principal}`, read.count]));
  const earliest = new Map<string, DayRead>();
  for (const read of history.dates.map(decode)) {
    if (!read || read.day < period.start || read.day > through || read.day > from) continue;
    const key = `${read.day}|${read.principal}`;
    if ((earliest.get(key)?.count ?? -1) < read.count) earliest.set(key, read);
  }
  const added = new Map<string, DayRead & { days: string[] }>();
  for (const [key, read] of earliest) {
    const extra = read.count - (held.get(key) ?? 0);
    if (extra <= 0) continue;
    const before = added.get(read.principal);
    added.set(read.principal, before
      ? { ...before, count: before.count + extra, last: [before.last, read.last].sort().at(-1) as string, regions: union(before.regions, read.regions), sourceIps: union(before.sourceIps, read.sourceIps), days: [...before.days, read.day] }
      : { ...read, count: extra, days: [read.day] });
  }
  const expectedRegions = params.expectedRegions.length ? params.expectedRegions : ((latest.expected.expectedRegions as string[] | undefined) ?? []);
  const production = latest.observed.production === true;
  const merged = rows.map((row) => {
    const more = added.get(row.principal);
    if (!more) return row;
    added.delete(row.principal);
    const regions = union(row.sourceRegions, more.regions);
    return {
      ...row,
      didRead: true,
      reads: row.reads + more.count,
      lastRead: [row.lastRead ?? "", more.last].sort().at(-1) as string,
      sourceRegions: regions,
      sourceIps: union(row.sourceIps, more.sourceIps),
      snapshotReadDays: more.days.sort(),
      action: reviewAction(row.principal, row.canRead, { regions }, production, { ...params, expectedRegions }),
    };
  });
  // Readers only earlier snapshots saw: no grant today the tool can see.
  for (const [principal, more] of added) {
    merged.push({
      secret: latest.resource.arn,
      principal,
      principalType: "unknown",
      canRead: false,
      didRead: true,
      reads: more.count,
      lastRead: more.last,
      grantedBy: [],
      sourceRegions: more.regions,
      sourceIps: more.sourceIps,
      action: reviewAction(principal, false, more, production, { ...params, expectedRegions }),
      snapshotReadDays: more.days.sort(),
    });
  }
  merged.sort(byPrincipal);
  sources.snapshotDays = [...new Set(merged.flatMap((row) => row.snapshotReadDays ?? []))].sort();
  const verdict = latest.status === "error" ? { status: latest.status, reason: latest.reason } : judgeReview(merged);
  // A row the period leaves alone is the snapshot's own object; a changed one is new and differs (it adds reads).
  const unchanged = new Set(rows);
  const reviewChanges = merged.filter((row) => !unchanged.has(row));
  return { ...verdict, observed: { reviewChanges, readSources: sources } };
}
