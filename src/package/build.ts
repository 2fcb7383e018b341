// Turns a period's history into the package: per-resource period verdicts, coverage, and control status.
import type { ControlsConfig } from "../config/types.js";
import { compileGlob } from "../config/exceptions.js";
import type { ControlStatus, ItemStatus, Period, PeriodVerdict } from "../core/model.js";
import { TOOL } from "../core/version.js";
import { useKey } from "../core/resource-key.js";
import type { PeriodHistory, ResourceState } from "./history.js";
import type { ControlResult, EvidencePackage, ExceptionUse, PackageItem, StatusCounts } from "../core/package-model.js";
import type { CallTally, CallerIdentity } from "../core/model.js";
import type { StoreFacts } from "../core/package-model.js";

export interface BuildInput {
  config: ControlsConfig;
  controlIds?: readonly string[];
  period: Period;
  through: string;
  history: PeriodHistory;
  runId: string;
  now: Date;
  caller: CallerIdentity;
  store: StoreFacts;
  calls: CallTally[];
  notes?: string[];
}

const emptyCounts = (): StatusCounts => ({ pass: 0, fail: 0, excepted: 0, not_applicable: 0, error: 0 });

export function buildPackage(input: BuildInput): EvidencePackage {
  const { history, period, through } = input;
  const items = [...history.resources.values()].map((state) => packageItem(state, input)).sort(byResource);
  const coverageDays = history.days.map((day) => ({
    day,
    runIds: history.snapshots.filter((snapshot) => snapshot.day === day).map((snapshot) => snapshot.runId),
  }));
  const controls = input.config.controls
    .filter((control) => !input.controlIds || input.controlIds.includes(control.id))
    .map((control) => controlResult(control, items, history));
  const latest = history.snapshots.at(-1);
  const controlCounts: Record<ControlStatus, number> = { effective: 0, deficient: 0, incomplete: 0 };
  for (const control of controls) controlCounts[control.status] += 1;
  const itemCounts = emptyCounts();
  for (const item of items) itemCounts[item.status] += 1;
  return {
    schemaVersion: 1,
    tool: { ...TOOL },
    organization: input.config.organization,
    runId: input.runId,
    generatedAt: input.now.toISOString(),
    period: { ...period, through, days: history.days.length },
    scope: {
      accounts: latest?.scope.accounts ?? [],
      regions: latest?.scope.regions ?? input.config.scope.regions,
      skippedAccounts: latest?.scope.skippedAccounts ?? [],
      caller: input.caller,
    },
    store: input.store,
    summary: {
      status: controlCounts.deficient > 0 ? "deficient" : controlCounts.incomplete > 0 ? "incomplete" : "effective",
      controls: controlCounts,
      items: itemCounts,
    },
    coverage: {
      days: coverageDays.map((day) => ({ ...day, covered: day.runIds.length > 0 })),
      covered: coverageDays.filter((day) => day.runIds.length > 0).length,
      missing: coverageDays.filter((day) => day.runIds.length === 0).map((day) => day.day),
    },
    controls,
    items,
    populations: latest?.populations ?? [],
    exceptions: exceptionUses(input.config, items, through),
    snapshots: history.snapshots.map((snapshot) => ({
      runId: snapshot.runId,
      day: snapshot.day,
      startedAt: snapshot.startedAt,
      finishedAt: snapshot.finishedAt,
      files: [...snapshot.files, ...[history.records.get(snapshot.runId)].filter((file) => file !== undefined)],
    })),
    calls: input.calls,
    notes: input.notes ?? [],
  };
}

const byResource = (a: PackageItem, b: PackageItem) =>
  a.collector.localeCompare(b.collector) ||
  a.account.localeCompare(b.account) ||
  a.region.localeCompare(b.region) ||
  a.resource.arn.localeCompare(b.resource.arn);

function packageItem(state: ResourceState, input: BuildInput): PackageItem {
  const { latest } = state;
  const observedDays = input.history.days.filter((_, index) => state.observed[index] === 1);
  const coveredMask = input.history.covered.get(useKey(latest.collector, latest.controlIds))?.days;
  const coveredDays = input.history.days.filter((_, index) => coveredMask?.[index] === 1);
  // Judged with the parameters recorded in the snapshot that produced the latest item, not today's config.
  const judge = state.latestUse?.period;
  let period: PeriodVerdict = judge
    ? judge.judge(
        {
          latest,
          first: state.first,
          dates: [...state.dates].sort(),
          daysObserved: observedDays,
          daysCovered: coveredDays,
          periodDays: input.history.days,
          failDays: state.failDays,
        },
        input.period,
        input.through,
      )
    : dailyVerdict(state, observedDays.length, latest.status);
  // An approved exception covers the resource's history as well as today's state.
  if (latest.status === "excepted" && period.status === "fail") {
    period = { ...period, status: "excepted", reason: `${period.reason} (covered by the exception)` };
  }
  const status = combine(latest.status, period.status);
  const reason = status === latest.status ? latest.reason : `${period.reason} (today: ${latest.reason})`;
  return {
    ...latest,
    status,
    reason,
    snapshot: { runId: state.latestRunId, status: latest.status, reason: latest.reason, collectedAt: latest.source.collectedAt },
    period,
    seen: { first: state.firstSeen, last: state.lastSeen, days: observedDays.length },
  };
}

/** Without a period rule, a resource fails the period if any day's snapshot failed it. */
function dailyVerdict(state: ResourceState, observedDays: number, today: ItemStatus): PeriodVerdict {
  const observed = { failDays: state.failDays, errorDays: state.errorDays, daysObserved: observedDays };
  if (state.failDays.length > 0) {
    return { status: "fail", reason: `failed on ${state.failDays.length} of ${observedDays} observed days, first ${state.failDays[0]}`, observed };
  }
  if (state.errorDays.length > 0) {
    return { status: "error", reason: `could not be read on ${state.errorDays.length} of ${observedDays} observed days`, observed };
  }
  if (today === "not_applicable") return { status: "not_applicable", reason: "not held to the rule", observed };
  if (today === "excepted") return { status: "excepted", reason: "covered by an approved exception", observed };
  return { status: "pass", reason: `held on every one of ${observedDays} observed days`, observed };
}

/** Excepted and not-applicable resources keep that status; otherwise the worse of today and the period. */
function combine(today: ItemStatus, period: ItemStatus): ItemStatus {
  if (today === "excepted" || today === "not_applicable") return today;
  if (today === "fail" || period === "fail") return "fail";
  if (today === "error" || period === "error") return "error";
  return today;
}

function controlResult(
  control: ControlsConfig["controls"][number],
  items: PackageItem[],
  history: PeriodHistory,
): ControlResult {
  const mine = items.filter((item) => item.controlIds.includes(control.id));
  const counts = { ...emptyCounts(), population: mine.length };
  for (const item of mine) counts[item.status] += 1;
  const uses = control.collectors.map((use) =>
    [...history.covered.values()].find((coverage) => coverage.collector === use.use && coverage.controlIds.includes(control.id)),
  );
  const missing = history.days.filter((_, index) => uses.some((coverage) => coverage?.days[index] !== 1));
  const unread = counts.error > 0 ? `${counts.error} resource${counts.error === 1 ? "" : "s"} could not be read` : undefined;
  const uncovered = missing.length > 0 ? `${missing.length} of ${history.days.length} days have no complete snapshot` : undefined;
  const statuses: ControlStatus[] = [
    ...(counts.fail > 0 ? (["deficient"] as const) : []),
    ...(unread || uncovered ? (["incomplete"] as const) : []),
  ];
  const status: ControlStatus = statuses[0] ?? "effective";
  const reason =
    statuses.length > 0
      ? [counts.fail > 0 ? `${counts.fail} of ${counts.population} resources failed` : undefined, unread, uncovered].filter((part) => part !== undefined).join("; ")
      : `every resource passed, was excepted or not applicable on all ${history.days.length} days`;
  return {
    id: control.id,
    title: control.title,
    ...(control.description ? { description: control.description } : {}),
    status,
    statuses: statuses.length > 0 ? statuses : ["effective"],
    reason,
    // The parameters the newest snapshot recorded: what the items were judged against, not today's config.
    collectors: control.collectors.map((use, index) => ({
      id: use.use,
      title: use.collector.collector.title,
      params: { ...(uses[index]?.params ?? use.with) },
      permissions: [...use.collector.collector.permissions],
    })),
    counts,
    coverage: { covered: history.days.length - missing.length, days: history.days.length, missing },
    ...(control.platforms ? { platforms: control.platforms } : {}),
  };
}

/** Exceptions as of the package's last day, the day the items were judged. */
function exceptionUses(config: ControlsConfig, items: PackageItem[], today: string): ExceptionUse[] {
  return config.exceptions.map((exception) => {
    const pattern = compileGlob(exception.resource);
    // Counted where it decided a verdict: an item it excepts, or one it would have excepted had it not expired.
    const decided = (item: PackageItem) => item.exception !== undefined || item.observed.expiredException !== undefined;
    const matched = items.filter((item) => item.collector === exception.collector && pattern.test(item.resource.arn) && decided(item)).length;
    return {
      collector: exception.collector,
      resource: exception.resource,
      reason: exception.reason,
      approvedBy: exception.approvedBy,
      ...(exception.ticket ? { ticket: exception.ticket } : {}),
      expires: exception.expires,
      state: exception.expires < today ? "expired" : "active",
      matched,
    };
  });
}
