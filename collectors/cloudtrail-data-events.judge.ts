// Verdicts on CloudTrail trail facts, pure: what one trail logs, whether the account has a trail that logs enough.
import type { Event, GetEventSelectorsResponse, GetTrailStatusResponse, Trail } from "@aws-sdk/client-cloudtrail";
import type { Period, Verdict } from "../src/core/model.js";
import { secretReadOf } from "./secret-reads.js";
import { ACCESSES, covers, summarise, type Access, type Selectors, type Target } from "./cloudtrail-selectors.js";

export interface CloudTrailParams {
  dataResourceTypes: readonly string[];
  dataResourceArns: readonly string[];
  maxDeliveryAgeHours: number;
}

/** What every trail is held to: the data events it must log, and how fresh its last delivery must be. */
export interface Requirement {
  dataTargets: Array<Extract<Target, { category: "Data" }>>;
  maxDeliveryAgeHours: number;
}

export interface TrailFacts {
  arn: string;
  name: string;
  homeRegion: string;
  multiRegion: boolean;
  organizationTrail: boolean;
  logging: boolean;
  logFileValidation: boolean;
  kmsKeyId?: string;
  hasCustomEventSelectors?: boolean;
  latestDeliveryTime?: string;
  latestDeliveryError?: string;
  latestDigestDeliveryTime?: string;
  latestDigestDeliveryError?: string;
  selectors: Selectors;
}

/**
 * One entry per trail from the regions' DescribeTrails answers: a multi-Region or organization trail is listed in
 * every region (as a shadow outside its home region), and must be judged, and counted, once.
 */
export function uniqueTrails(listings: ReadonlyArray<readonly Trail[]>): {
  trails: Trail[];
  shadowTrailsSkipped: number;
} {
  const byArn = new Map<string, Trail>();
  let listed = 0;
  for (const trail of listings.flat()) {
    if (!trail.TrailARN) continue;
    listed += 1;
    // A shadow carries its trail's settings; status and selectors are read from the home region either way.
    if (!byArn.has(trail.TrailARN)) byArn.set(trail.TrailARN, trail);
  }
  return { trails: [...byArn.values()], shadowTrailsSkipped: listed - byArn.size };
}

/** The facts judged, from DescribeTrails (any region) and the home region's status and selectors. */
export function trailFacts(
  trail: Trail,
  status: GetTrailStatusResponse,
  selectors: GetEventSelectorsResponse,
  homeRegion: string,
): TrailFacts {
  const arn = String(trail.TrailARN);
  return {
    arn,
    name: trail.Name ?? arn,
    homeRegion,
    multiRegion: trail.IsMultiRegionTrail ?? false,
    organizationTrail: trail.IsOrganizationTrail ?? false,
    logging: status.IsLogging ?? false,
    logFileValidation: trail.LogFileValidationEnabled ?? false,
    kmsKeyId: trail.KmsKeyId || undefined,
    hasCustomEventSelectors: trail.HasCustomEventSelectors,
    latestDeliveryTime: status.LatestDeliveryTime?.toISOString(),
    latestDeliveryError: status.LatestDeliveryError || undefined,
    latestDigestDeliveryTime: status.LatestDigestDeliveryTime?.toISOString(),
    latestDigestDeliveryError: status.LatestDigestDeliveryError || undefined,
    selectors: { classic: selectors.EventSelectors ?? [], advanced: selectors.AdvancedEventSelectors ?? [] },
  };
}

export interface Coverage {
  management: Record<Access, boolean>;
  data: Array<{ target: string } & Record<Access, boolean>>;
}

export interface TrailVerdict extends Verdict {
  /** Every requirement the trail fails, in the words of the reason. */
  missing: string[];
  coverage: Coverage;
}

const serviceOfType = (type: string): string => (type.split("::")[1] ?? "").toLowerCase();
const serviceOfArn = (arn: string): string => arn.split(":")[2] ?? "";

/**
 * Configured ARNs go to the resource type of their service (an ARN no configured type matches may be covered by
 * any); with no ARNs configured, S3 objects mean the evidence bucket when there is one; any other type, any resource.
 */
export function requirementOf(
  params: CloudTrailParams,
  evidenceBucket: string | undefined,
  partition: string,
): Requirement {
  const arns =
    params.dataResourceArns.length > 0
      ? params.dataResourceArns
      : evidenceBucket && params.dataResourceTypes.includes("AWS::S3::Object")
        ? [`arn:${partition}:s3:::${evidenceBucket}/`]
        : [];
  const dataTargets: Requirement["dataTargets"] = [];
  for (const type of params.dataResourceTypes) {
    const own = arns.filter((arn) => serviceOfArn(arn) === serviceOfType(type));
    if (own.length === 0) dataTargets.push({ category: "Data", type });
    for (const arn of own) dataTargets.push({ category: "Data", type, arn });
  }
  const claimed = new Set(dataTargets.map((target) => target.arn));
  for (const arn of arns) if (!claimed.has(arn)) dataTargets.push({ category: "Data", arn });
  return { dataTargets, maxDeliveryAgeHours: params.maxDeliveryAgeHours };
}

export const describeTarget = (target: Extract<Target, { category: "Data" }>): string =>
  target.arn ?? `any ${target.type ?? "resource"}`;

const HOUR_MS = 3_600_000;

function notLogged(subject: string, flags: Record<Access, boolean>): string[] {
  const absent = ACCESSES.filter((access) => !flags[access]);
  return absent.length ? [`${subject} ${absent.join(" and ")} not logged`] : [];
}

export function judgeTrail(facts: TrailFacts, requirement: Requirement, now: Date): TrailVerdict {
  const flags = (target: Target) =>
    Object.fromEntries(ACCESSES.map((access) => [access, covers(facts.selectors, target, access)])) as Record<
      Access,
      boolean
    >;
  const coverage: Coverage = {
    management: flags({ category: "Management" }),
    data: requirement.dataTargets.map((target) => ({ target: describeTarget(target), ...flags(target) })),
  };
  const missing: string[] = [];
  if (!facts.multiRegion) missing.push("not multi-Region");
  if (!facts.logging) missing.push("not logging");
  if (!facts.logFileValidation) missing.push("log file validation off");
  if (!facts.kmsKeyId) missing.push("not KMS-encrypted");
  missing.push(...notLogged("management events", coverage.management));
  for (const data of coverage.data) missing.push(...notLogged(`data events for ${data.target}`, data));
  const ageHours = facts.latestDeliveryTime
    ? (now.getTime() - Date.parse(facts.latestDeliveryTime)) / HOUR_MS
    : undefined;
  if (ageHours === undefined) missing.push("no log delivery recorded");
  else if (ageHours > requirement.maxDeliveryAgeHours) {
    missing.push(`last log delivery ${Math.floor(ageHours)}h ago (max ${requirement.maxDeliveryAgeHours}h)`);
  }
  if (facts.latestDeliveryError) missing.push(`log delivery error ${facts.latestDeliveryError}`);
  if (facts.logFileValidation && facts.latestDigestDeliveryError) {
    missing.push(`digest delivery error ${facts.latestDigestDeliveryError}`);
  }
  if (missing.length > 0) return { status: "fail", reason: missing.join("; "), missing, coverage };
  const data = coverage.data.map((entry) => entry.target).join(", ");
  return {
    status: "pass",
    reason:
      `multi-Region, logging, validated, KMS-encrypted; management events and data events for ${data} ` +
      `read and write logged; last delivery ${Math.max(0, Math.floor(ageHours ?? 0))}h ago`,
    missing,
    coverage,
  };
}

/** The facts as evidence: selectors summarised, not copied, next to what they were found to cover. */
export function observedTrail(facts: TrailFacts, verdict: TrailVerdict): Record<string, unknown> {
  const { selectors, ...rest } = facts;
  return { ...rest, selectors: summarise(selectors), coverage: verdict.coverage, missing: verdict.missing };
}

export interface TrailOutcome {
  arn: string;
  name: string;
  status: Verdict["status"];
  missing: string[];
}

/** The account needs one trail that meets everything; a trail that could not be read might have been that one. */
export function judgeAccount(trails: readonly TrailOutcome[], regionsScanned: readonly string[]): Verdict {
  const passing = trails.filter((trail) => trail.status === "pass");
  if (passing.length > 0) {
    return {
      status: "pass",
      reason: `${passing.map((trail) => trail.name).join(", ")} meets every logging requirement`,
    };
  }
  const unread = trails.filter((trail) => trail.status === "error");
  if (regionsScanned.length === 0) return { status: "error", reason: "no region's trails could be listed" };
  if (unread.length > 0) {
    return {
      status: "error",
      reason: `no trail confirmed to meet the logging requirement; could not read ${unread.map((trail) => trail.name).join(", ")}`,
    };
  }
  const [closest] = [...trails].sort((a, b) => a.missing.length - b.missing.length);
  if (!closest) return { status: "fail", reason: `no CloudTrail trail in ${regionsScanned.join(", ")}` };
  const others = trails.length > 1 ? ` (closest of ${trails.length} trails)` : "";
  return {
    status: "fail",
    reason: `no trail meets every requirement: ${closest.name}${others}: ${closest.missing.join("; ")}`,
  };
}

const DAY_MS = 86_400_000;
/** CloudTrail event history (LookupEvents) keeps 90 days of management events. */
export const LOOKUP_RETENTION_DAYS = 90;

export interface LookupWindow {
  /** Null when none of the period is within the retention. */
  window: { start: string; end: string } | null;
  /** Set when part or all of the period could not be queried. */
  note?: string;
}

/** The part of the period CloudTrail can still answer for: the period intersected with the last 90 days. */
export function lookupWindow(period: Period, now: Date): LookupWindow {
  const periodStart = Date.parse(`${period.start}T00:00:00Z`);
  const periodEnd = Date.parse(`${period.end}T00:00:00Z`) + DAY_MS;
  const retained = now.getTime() - LOOKUP_RETENTION_DAYS * DAY_MS;
  const start = Math.max(periodStart, retained);
  const end = Math.min(periodEnd, now.getTime());
  if (start >= end) {
    return {
      window: null,
      note: `period ${period.label} is older than CloudTrail's ${LOOKUP_RETENTION_DAYS}-day event history`,
    };
  }
  const window = { start: new Date(start).toISOString(), end: new Date(end).toISOString() };
  if (periodStart >= retained) return { window };
  const note =
    `period starts ${period.start} but CloudTrail event history keeps ${LOOKUP_RETENTION_DAYS} days: ` +
    `events before ${window.start.slice(0, 10)} are not counted`;
  return { window, note };
}

/** Who made the call: the role behind an assumed-role session, else the identity ARN, else the user name. */
export const principalOf = (event: Event): string => secretReadOf(event).principal;
