// Turns a period's history into the package: per-resource period verdicts, coverage, and control status.
import type { ControlsConfig } from "../config/types.js";
import { compileGlob, type GlobMatcher } from "../config/exceptions.js";
import type { ControlStatus, ItemStatus, Period, PeriodVerdict } from "../core/model.js";
import { TOOL } from "../core/version.js";
import { useKey } from "../core/resource-key.js";
import type { PeriodHistory, ResourceState } from "./history.js";
import type { ControlResult, EvidencePackage, ExceptionUse, PackageItem, PackageItems, StatusCounts } from "../core/package-model.js";
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

/** Where buildPackage puts the items, in package order: an array, or an ItemSpool at scale. */
export interface ItemSink extends PackageItems {
  push(item: PackageItem): void;
}

/** The package; its items go into `sink` one at a time, sorted, counted on the way for the controls and exceptions. */
export function buildPackage<Sink extends ItemSink = PackageItem[]>(input: BuildInput, sink?: Sink): EvidencePackage & { items: Sink } {
  const items = sink ?? ([] as PackageItem[] as unknown as Sink);
  const { history, period, through } = input;
  const configured = input.config.controls.filter((control) => !input.controlIds || input.controlIds.includes(control.id));
  const controlCounts = new Map(configured.map((control) => [control.id, { ...emptyCounts(), population: 0 }]));
  const exceptions = input.config.exceptions.map((exception) => ({ exception, pattern: compileGlob(exception.resource), matched: 0 }));
  const itemCounts = emptyCounts();
  const states = [...history.resources.values()].sort((a, b) => byOrder(a.order, b.order));
  for (const state of states) {
    const item = packageItem(state, input);
    items.push(item);
    itemCounts[item.status] += 1;
    for (const id of item.controlIds) {
      const counts = controlCounts.get(id);
      if (!counts) continue;
      counts.population += 1;
      counts[item.status] += 1;
    }
    for (const use of exceptions) if (exceptionDecided(use, item)) use.matched += 1;
  }
  const coverageDays = history.days.map((day) => ({
    day,
    runIds: history.snapshots.filter((snapshot) => snapshot.day === day).map((snapshot) => snapshot.runId),
  }));
  const controls = configured.map((control) => controlResult(control, controlCounts.get(control.id) as ControlResult["counts"], history));
  const latest = history.snapshots.at(-1);
  const statusCounts: Record<ControlStatus, number> = { effective: 0, deficient: 0, incomplete: 0 };
  for (const control of controls) statusCounts[control.status] += 1;
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
      status: statusCounts.deficient > 0 ? "deficient" : statusCounts.incomplete > 0 ? "incomplete" : "effective",
      controls: statusCounts,
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
    exceptions: exceptions.map((use) => exceptionUse(use.exception, use.matched, through)),
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

/** localeCompare's order (ECMA-402 defines localeCompare as this collator's compare), without a collator per call. */
const collate = new Intl.Collator().compare;

/** Package order: collector, account, region, ARN. */
const byOrder = (a: ResourceState["order"], b: ResourceState["order"]) =>
  collate(a[0], b[0]) || collate(a[1], b[1]) || collate(a[2], b[2]) || collate(a[3], b[3]);

function packageItem(state: ResourceState, input: BuildInput): PackageItem {
  const latest = input.history.item(state.latest);
  const observedDays = input.history.days.filter((_, index) => state.observed[index] === 1);
  const coveredMask = input.history.covered.get(useKey(latest.collector, latest.controlIds))?.days;
  const coveredDays = input.history.days.filter((_, index) => coveredMask?.[index] === 1);
  // Judged with the parameters recorded in the snapshot that produced the latest item, not today's config.
  const judge = state.latestUse?.period;
  let period: PeriodVerdict = judge
    ? judge.judge(
        {
          latest,
          first: state.first === state.latest ? latest : input.history.item(state.first),
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
  counts: ControlResult["counts"],
  history: PeriodHistory,
): ControlResult {
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

type ConfiguredException = ControlsConfig["exceptions"][number];

/** Counted where it decided a verdict: an item it excepts, or one it would have excepted had it not expired. */
function exceptionDecided(use: { exception: ConfiguredException; pattern: GlobMatcher }, item: PackageItem): boolean {
  const decided = item.exception !== undefined || item.observed.expiredException !== undefined;
  return decided && item.collector === use.exception.collector && use.pattern.test(item.resource.arn);
}

/** An exception as of the package's last day, the day the items were judged. */
function exceptionUse(exception: ConfiguredException, matched: number, today: string): ExceptionUse {
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
}
