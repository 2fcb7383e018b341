// Verdicts on secret hygiene, pure, one rule each: naming, unused, deletion safety, database credential rotation.
import type { Event } from "@aws-sdk/client-cloudtrail";
import type { SecretListEntry } from "@aws-sdk/client-secrets-manager";
import type { Verdict } from "../src/core/model.js";
import { daysBetween } from "../src/core/period.js";
import { describeInterval, rotationInterval, secretFacts } from "./secrets-rotation.judge.js";

/**
 * Each rule is its own item: the resource ARN carries `#<rule>`, so a controls.yaml exception on
 * `arn:...:secret:legacy-*#naming` excepts the name and leaves the other rules standing.
 */
export const HYGIENE_RULES = ["naming", "unused", "database-rotation", "deletion"] as const;
export type HygieneRule = (typeof HYGIENE_RULES)[number];
export const ruleArn = (arn: string, rule: HygieneRule): string => `${arn}#${rule}`;

export interface HygieneParams {
  namePattern: string;
  maxUnusedDays: number;
  minRecoveryWindowDays: number;
  databaseTags: readonly string[];
  databaseNamePattern: string;
  maxDatabaseRotationDays: number;
}

/** A user pattern compiled once; a malformed one becomes the reason of error items, never a crash. */
export function compilePattern(source: string): RegExp | { invalid: string } {
  try {
    return new RegExp(source);
  } catch (error) {
    return { invalid: `pattern ${JSON.stringify(source)} is not a valid regular expression: ${(error as Error).message}` };
  }
}

export function judgeName(name: string, pattern: RegExp | { invalid: string }): Verdict {
  if (!(pattern instanceof RegExp)) return { status: "error", reason: pattern.invalid };
  return pattern.test(name)
    ? { status: "pass", reason: `name ${name} follows the convention` }
    : { status: "fail", reason: `name ${name} does not follow the convention ${pattern.source}` };
}

/** LastAccessedDate is a day (AWS rounds it to midnight); absent means never read since creation. */
export function judgeUnused(entry: Pick<SecretListEntry, "LastAccessedDate" | "CreatedDate">, maxUnusedDays: number, now: Date): Verdict {
  const last = entry.LastAccessedDate ?? undefined;
  if (last) {
    const days = Math.floor(daysBetween(last, now));
    return days > maxUnusedDays
      ? { status: "fail", reason: `last accessed ${last.toISOString().slice(0, 10)}, ${days} days ago; allowed ${maxUnusedDays}` }
      : { status: "pass", reason: `last accessed ${last.toISOString().slice(0, 10)}` };
  }
  if (!entry.CreatedDate) return { status: "error", reason: "neither LastAccessedDate nor CreatedDate is reported" };
  const age = Math.floor(daysBetween(entry.CreatedDate, now));
  return age > maxUnusedDays
    ? { status: "fail", reason: `never accessed; created ${age} days ago; allowed ${maxUnusedDays}` }
    : { status: "pass", reason: `not accessed yet; created ${age} days ago` };
}

/** A database credential: a tag `key` or `key=value` of the list, or a name the pattern matches. */
export function isDatabaseCredential(entry: Pick<SecretListEntry, "Name" | "Tags">, tags: readonly string[], pattern: RegExp): string | undefined {
  for (const tag of entry.Tags ?? []) {
    for (const wanted of tags) {
      const [key, value] = wanted.split("=", 2);
      if (tag.Key === key && (value === undefined || tag.Value === value)) return `tag ${wanted}`;
    }
  }
  return pattern.test(String(entry.Name)) ? `name matches ${pattern.source}` : undefined;
}

export function judgeDatabaseRotation(entry: SecretListEntry, params: HygieneParams, pattern: RegExp | { invalid: string }, now: Date): Verdict {
  if (!(pattern instanceof RegExp)) return { status: "error", reason: pattern.invalid };
  const why = isDatabaseCredential(entry, params.databaseTags, pattern);
  if (!why) return { status: "not_applicable", reason: "not a database credential by tag or name" };
  const facts = secretFacts(entry, "");
  if (!facts.rotationEnabled) return { status: "fail", reason: `database credential (${why}) does not rotate` };
  const interval = rotationInterval(facts, now);
  if (!interval || "invalid" in interval) return { status: "fail", reason: `database credential (${why}) has no valid rotation schedule` };
  if (interval.intervalDays > params.maxDatabaseRotationDays) {
    return { status: "fail", reason: `database credential (${why}) rotates every ${describeInterval(interval)}; allowed ${params.maxDatabaseRotationDays}` };
  }
  const last = facts.lastRotatedDate;
  if (last && daysBetween(last, now) > params.maxDatabaseRotationDays) {
    return { status: "fail", reason: `database credential (${why}) last rotated ${last.slice(0, 10)}, over ${params.maxDatabaseRotationDays} days ago` };
  }
  return { status: "pass", reason: `database credential (${why}) rotates every ${describeInterval(interval)}` };
}

/** What a DeleteSecret record says: who deleted what, and with which recovery settings. */
export interface DeletionFacts {
  eventId: string;
  eventTime: string;
  secretId: string;
  username?: string;
  forceDeleteWithoutRecovery: boolean;
  /** AWS's default is 30 days when the request gives none (DeleteSecret API reference). */
  recoveryWindowInDays: number;
  /** Set when the record could not be read; the deletion still counts. */
  unreadable?: string;
}

export function deletionFacts(event: Event): DeletionFacts {
  const base = {
    eventId: String(event.EventId),
    eventTime: event.EventTime?.toISOString() ?? "",
    secretId: event.Resources?.find((resource) => resource.ResourceName)?.ResourceName ?? "unknown",
    ...(event.Username ? { username: event.Username } : {}),
    forceDeleteWithoutRecovery: false,
    recoveryWindowInDays: 30,
  };
  try {
    const record = JSON.parse(event.CloudTrailEvent ?? "") as { requestParameters?: Record<string, unknown> | null };
    const request = record.requestParameters ?? {};
    return {
      ...base,
      ...(typeof request.secretId === "string" ? { secretId: request.secretId } : {}),
      forceDeleteWithoutRecovery: request.forceDeleteWithoutRecovery === true || request.forceDeleteWithoutRecovery === "true",
      recoveryWindowInDays: Number(request.recoveryWindowInDays ?? 30),
    };
  } catch {
    return { ...base, unreadable: "CloudTrailEvent is not JSON" };
  }
}

export function judgeDeletion(facts: DeletionFacts, minRecoveryWindowDays: number): Verdict {
  const when = `deleted ${facts.eventTime.slice(0, 10)}${facts.username ? ` by ${facts.username}` : ""}`;
  if (facts.unreadable) return { status: "fail", reason: `${when}; recovery settings unknown: ${facts.unreadable}` };
  if (facts.forceDeleteWithoutRecovery) return { status: "fail", reason: `${when} with ForceDeleteWithoutRecovery: no recovery possible` };
  if (!(facts.recoveryWindowInDays >= minRecoveryWindowDays)) {
    return { status: "fail", reason: `${when} with a ${facts.recoveryWindowInDays}-day recovery window; minimum ${minRecoveryWindowDays}` };
  }
  return { status: "pass", reason: `${when} with a ${facts.recoveryWindowInDays}-day recovery window` };
}
