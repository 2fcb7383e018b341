// Verdicts on secret facts, pure: does each secret rotate often enough and on time, today and over the period.
import type { Event } from "@aws-sdk/client-cloudtrail";
import type { CallTrace } from "../src/core/trace.js";
import type { SecretListEntry } from "@aws-sdk/client-secrets-manager";
import type { ResourceHistory } from "../src/core/collector.js";
import type { EvidenceItem, Period, PeriodVerdict, Verdict } from "../src/core/model.js";
import { daysBetween } from "../src/core/period.js";
import { judgeRotationHistory } from "./rotation-history.js";
import { parseWindow, ScheduleError, worstScheduleGap } from "./aws-cron.js";

export interface SecretsParams {
  maxIntervalDays: number;
  graceDays: number;
}

/** What ListSecrets (plus DescribeSecret's replica list) says about one secret; never its value. */
export interface SecretFacts {
  arn: string;
  name: string;
  region: string;
  kmsKeyId: string;
  kmsKeyManager: "aws-managed" | "customer-managed";
  primaryRegion: string;
  primaryArn?: string;
  replicaRegions?: string[];
  owningService?: string;
  rotationEnabled: boolean;
  rotationLambdaArn?: string;
  automaticallyAfterDays?: number;
  scheduleExpression?: string;
  duration?: string;
  lastRotatedDate?: string;
  nextRotationDate?: string;
  createdDate?: string;
  tags?: Record<string, string>;
  /** RotationSucceeded dates from CloudTrail (last 90 days), when LookupEvents could be read. */
  rotationEvents?: string[];
  rotationEventsUnavailable?: string;
  /** Start of the CloudTrail window the events were looked up in. */
  rotationEventsSince?: string;
}

export function secretFacts(entry: SecretListEntry, region: string): SecretFacts {
  const primaryRegion = entry.PrimaryRegion ?? region;
  const arn = String(entry.ARN);
  const kmsKeyId = entry.KmsKeyId ?? "alias/aws/secretsmanager";
  return {
    arn,
    name: String(entry.Name),
    region,
    kmsKeyId,
    // ListSecrets omits KmsKeyId for the AWS-managed aws/secretsmanager key.
    kmsKeyManager: /(^|:)alias\/aws\//.test(kmsKeyId) ? "aws-managed" : "customer-managed",
    primaryRegion,
    ...(primaryRegion !== region ? { primaryArn: arn.replace(`:${region}:`, `:${primaryRegion}:`) } : {}),
    owningService: entry.OwningService,
    rotationEnabled: entry.RotationEnabled ?? false,
    rotationLambdaArn: entry.RotationLambdaARN || undefined,
    automaticallyAfterDays: entry.RotationRules?.AutomaticallyAfterDays,
    scheduleExpression: entry.RotationRules?.ScheduleExpression,
    duration: entry.RotationRules?.Duration,
    lastRotatedDate: entry.LastRotatedDate?.toISOString(),
    nextRotationDate: entry.NextRotationDate?.toISOString(),
    createdDate: entry.CreatedDate?.toISOString(),
    // Tag names and values only (never the secret's value): the Vanta secret resource's owner comes from one.
    ...(entry.Tags?.length ? { tags: Object.fromEntries(entry.Tags.map((tag) => [String(tag.Key), String(tag.Value ?? "")])) } : {}),
  };
}

export interface RotationInterval {
  source: "AutomaticallyAfterDays" | "rate" | "cron";
  /** Largest time between two rotation windows opening, and the window of the later one. */
  gapHours: number;
  windowHours: number;
  worstCaseHours: number;
  /**
   * Whole days that can pass between two rotations: a window closes before its end instant, so a worst case of
   * exactly 91 days (rate(90 days), window to midnight) means rotations at most 90 calendar days apart.
   */
  intervalDays: number;
  gapFrom?: string;
  gapTo?: string;
}

/** The schedule's worst case; ScheduleExpression wins, since AWS derives AutomaticallyAfterDays from it. */
export function rotationInterval(
  facts: SecretFacts,
  now: Date,
): RotationInterval | { invalid: string } | undefined {
  try {
    const window = facts.duration ? parseWindow(facts.duration) : undefined;
    if (facts.scheduleExpression) {
      const gap = worstScheduleGap(facts.scheduleExpression, now, window);
      const { from, to, ...rest } = gap;
      return interval({ ...rest, source: gap.kind, ...(from && to ? { gapFrom: from, gapTo: to } : {}) });
    }
    if (facts.automaticallyAfterDays) {
      // Rotation falls at some hour of the due day.
      return interval({
        source: "AutomaticallyAfterDays",
        gapHours: facts.automaticallyAfterDays * 24,
        windowHours: window ?? 24,
      });
    }
    return undefined;
  } catch (error) {
    if (error instanceof ScheduleError) return { invalid: error.message };
    throw error;
  }
}

function interval(parts: Omit<RotationInterval, "worstCaseHours" | "intervalDays">): RotationInterval {
  const worstCaseHours = parts.gapHours + parts.windowHours;
  return { ...parts, worstCaseHours, intervalDays: Math.max(0, Math.ceil(worstCaseHours / 24 - 1e-9) - 1) };
}

export const describeInterval = (interval: RotationInterval): string =>
  interval.intervalDays >= 1
    ? `${interval.intervalDays} days`
    : `${Math.round(interval.gapHours)} hours (window ${interval.windowHours}h)`;

export function judgeSecret(facts: SecretFacts, params: SecretsParams, now: Date): Verdict {
  if (facts.primaryArn) {
    return {
      status: "not_applicable",
      reason: `replica of ${facts.primaryArn}; judged in its primary region ${facts.primaryRegion}`,
    };
  }
  if (!facts.rotationEnabled) return { status: "fail", reason: "rotation disabled" };
  const interval = rotationInterval(facts, now);
  if (!interval) return { status: "fail", reason: "rotation enabled but no rotation schedule is set" };
  if ("invalid" in interval) {
    return { status: "fail", reason: `rotation schedule is invalid: ${interval.invalid}` };
  }
  if (interval.intervalDays > params.maxIntervalDays) {
    return {
      status: "fail",
      reason: `rotates every ${describeInterval(interval)}, policy is ${params.maxIntervalDays}`,
    };
  }
  const allowed = interval.intervalDays + params.graceDays;
  const last = lastRotation(facts);
  if (last && daysBetween(last, now) > allowed) {
    return {
      status: "fail",
      reason: `rotation enabled but last succeeded ${Math.floor(daysBetween(last, now))} days ago`,
    };
  }
  if (!last && facts.createdDate && daysBetween(facts.createdDate, now) > allowed) {
    const age = Math.floor(daysBetween(facts.createdDate, now));
    return { status: "fail", reason: `rotation enabled but never succeeded; created ${age} days ago` };
  }
  return {
    status: "pass",
    reason: last
      ? `rotates every ${describeInterval(interval)}; last rotated ${last.slice(0, 10)}`
      : `rotates every ${describeInterval(interval)}; first rotation due within ${allowed} days of creation`,
  };
}

/** The newest rotation on record: LastRotatedDate, or a later RotationSucceeded event. */
function lastRotation(facts: SecretFacts): string | undefined {
  const dates = [facts.lastRotatedDate, ...(facts.rotationEvents ?? [])].filter(
    (date): date is string => !!date,
  );
  return dates.sort().at(-1);
}

export function rotationDates(item: EvidenceItem): string[] {
  const { lastRotatedDate, rotationEvents } = item.observed;
  return [
    ...(typeof lastRotatedDate === "string" ? [lastRotatedDate] : []),
    ...(Array.isArray(rotationEvents) ? rotationEvents.filter((date) => typeof date === "string") : []),
  ];
}

export function judgeSecretPeriod(
  history: ResourceHistory,
  period: Period,
  through: string,
  params: SecretsParams,
): PeriodVerdict {
  const facts = history.latest.observed as Partial<SecretFacts>;
  return judgeRotationHistory(history, period, through, {
    origin: facts.createdDate,
    visibleFrom: secretVisibility(history.first, history.latest),
    allowedDays: params.maxIntervalDays + params.graceDays,
    rotationDisabled: facts.rotationEnabled === false,
    ...(history.latest.status === "not_applicable" ? { notApplicable: history.latest.reason } : {}),
  });
}

/**
 * From when the secret's rotation history is visible, per source, as the first snapshot of the period saw it.
 * "snapshots": the store's snapshots from the first one; its LastRotatedDate says no rotation came after that date,
 * and a LastRotatedDate absent says the secret never rotated ("null if the secret hasn't ever rotated",
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_SecretListEntry.html), so its whole life is
 * visible. "cloudtrail": LookupEvents covers the 90 days before each call
 * (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/view-cloudtrail-events.html).
 */
export function secretVisibility(first: EvidenceItem, latest: EvidenceItem): Record<string, string> {
  const seen = first.observed as Partial<SecretFacts>;
  const snapshots = seen.lastRotatedDate ?? seen.createdDate ?? first.source.collectedAt;
  const since = [first, latest].map((item) => (item.observed as Partial<SecretFacts>).rotationEventsSince).find((date) => typeof date === "string");
  return { snapshots, ...(since ? { cloudtrail: since } : {}) };
}

/** What evidence records for a secret: the facts plus the interval the verdict used. */
export function observedFacts(facts: SecretFacts, now: Date): Record<string, unknown> {
  const interval = rotationInterval(facts, now);
  const schedule =
    interval && !("invalid" in interval)
      ? { intervalSource: interval.source, intervalDays: interval.intervalDays, schedule: interval }
      : { scheduleInvalid: interval?.invalid };
  return { ...facts, ...schedule };
}

const SECRET_RESOURCE = "AWS::SecretsManager::Secret";

/**
 * The secret a RotationSucceeded event is about. The records AWS publishes (eventType AwsServiceEvent,
 * requestParameters null) carry it in additionalEventData.SecretId; other shapes seen in the wild are fallbacks.
 */
export function rotatedSecretId(event: Event): string | undefined {
  let record: Record<string, Record<string, unknown> | undefined> = {};
  try {
    record = JSON.parse(event.CloudTrailEvent ?? "{}") as typeof record;
  } catch {
    // a malformed record still has Resources
  }
  const candidates = [
    record.additionalEventData?.SecretId,
    record.additionalEventData?.secretId,
    record.serviceEventDetails?.secretId,
    record.serviceEventDetails?.SecretId,
    record.requestParameters?.secretId,
    event.Resources?.find((resource) => resource.ResourceType === SECRET_RESOURCE)?.ResourceName,
  ];
  return candidates.find(
    (candidate): candidate is string => typeof candidate === "string" && candidate !== "",
  );
}

/** Keys a secret may be named by in an event: full ARN, ARN without the random suffix, or name. */
const secretKeys = (facts: Pick<SecretFacts, "arn" | "name">): string[] => [
  facts.arn,
  facts.arn.replace(/-[A-Za-z0-9]{6}$/, ""),
  facts.name,
];

export interface RotationEvents {
  since: string;
  /** Dates per secret id, with the pages that named it (their request ids are the source). */
  bySecret: Map<string, { dates: string[]; pages: unknown[] }>;
  unavailable?: { code: string; error: unknown };
}

/** Puts the secret's RotationSucceeded dates into its facts, and the pages that named it into its source. */
export function withEvents(facts: SecretFacts, trace: CallTrace, events: RotationEvents): void {
  if (events.unavailable) {
    trace.record("LookupEvents", events.unavailable.error);
    facts.rotationEventsUnavailable = events.unavailable.code;
    return;
  }
  trace.record("LookupEvents", undefined);
  const dates = new Set<string>();
  for (const key of secretKeys(facts)) {
    const entry = events.bySecret.get(key);
    for (const date of entry?.dates ?? []) dates.add(date);
    for (const page of entry?.pages ?? []) trace.record("LookupEvents", page);
  }
  facts.rotationEvents = [...dates].sort();
  facts.rotationEventsSince = events.since;
}
