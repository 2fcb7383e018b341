// Verdicts on EventBridge wiring, pure: an alert on unexpected secret reads, and a redeploy on rotation, by pattern content.
import type { Rule, Target } from "@aws-sdk/client-eventbridge";
import type { Verdict } from "../src/core/model.js";
import { matchEvent, parsePattern, PatternParseError, type Event, type Pattern } from "./event-pattern.js";

export interface MonitoringParams {
  expectedRegions: readonly string[];
  anomalyFields: readonly string[];
  alertTargetServices: readonly string[];
  redeployTargetServices: readonly string[];
}

export interface RuleFacts {
  name: string;
  arn: string;
  state: string;
  targets: string[];
  /** Set when the pattern could not be read or judged: the rule is never counted. */
  problem?: string;
  /** Dotted paths the pattern filters on beyond the candidate event (a secret's ARN, a principal). */
  filtersOn?: string[];
  matches?: boolean;
  /** For the access alert: the pattern tells an unexpected read from an expected one. */
  discriminates?: boolean;
  /** Targets that are event buses (target service `events`): the alert is decided by rules on that bus, not seen here. */
  forwardedTo?: string[];
}

export interface RuleCandidate {
  facts: RuleFacts;
  pattern?: Pattern;
}

export function ruleCandidate(rule: Rule, targets: Target[]): RuleCandidate {
  const facts: RuleFacts = { name: String(rule.Name), arn: String(rule.Arn), state: String(rule.State), targets: targets.map((target) => String(target.Arn)) };
  try {
    return { facts, pattern: parsePattern(rule.EventPattern) };
  } catch (error) {
    if (!(error instanceof PatternParseError)) throw error;
    return { facts: { ...facts, problem: error.message } };
  }
}

/** A GetSecretValue record as EventBridge delivers it (detail-type "AWS API Call via CloudTrail"). */
export const secretReadEvent = (region: string): Event => ({
  source: "aws.secretsmanager",
  "detail-type": "AWS API Call via CloudTrail",
  region,
  detail: { eventSource: "secretsmanager.amazonaws.com", eventName: "GetSecretValue", awsRegion: region, eventType: "AwsApiCall" },
});

/** RotationSucceeded is an AwsServiceEvent: EventBridge delivers it as "AWS Service Event via CloudTrail". */
export const rotationSucceededEvent = (region: string): Event => ({
  source: "aws.secretsmanager",
  "detail-type": "AWS Service Event via CloudTrail",
  region,
  detail: { eventSource: "secretsmanager.amazonaws.com", eventName: "RotationSucceeded", awsRegion: region, eventType: "AwsServiceEvent" },
});

const UNEXPECTED_REGION = "unexpected-region-1";
const targetService = (arn: string): string => arn.split(":")[2] ?? "";
/** An event bus target, `arn:<partition>:events:<region>:<account>:event-bus/<name>` (EventBridge PutTargets API reference). */
const isEventBus = (arn: string): boolean => targetService(arn) === "events" && /:event-bus\//.test(arn);
const accountOf = (arn: string): string => arn.split(":")[4] ?? "";
/** A bus of the rule's own account is read and its rules judged in their own right: forwarding there alerts no one by itself. */
const forwardsOut = (target: string, rule: string): boolean => isEventBus(target) && accountOf(target) !== accountOf(rule);

/** Why a rule that forwards counts as alerting while the alert itself is not seen. */
export const forwardedNote = (buses: readonly string[]): string => `forwarded to ${buses.join(", ")}: its rules are outside this account's view`;

/** Read-only Get* events reach a rule only in state ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS (EventBridge User Guide). */
const READS_DELIVERED = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS";

export interface AccessAlerting {
  verdict: Verdict;
  rules: RuleFacts[];
  /** The passing rule's event bus targets, when it forwards. */
  forwardedTo?: string[];
}

/** What the access-alerting evidence records: the rules judged, and where the passing rule forwards, that it is not seen. */
export function accessObserved(alerting: AccessAlerting): Record<string, unknown> {
  const { rules, forwardedTo } = alerting;
  return { rulesJudged: rules.length, rules, ...(forwardedTo ? { forwardedTo, forwarded: forwardedNote(forwardedTo) } : {}) };
}

export function judgeAccessAlerting(candidates: RuleCandidate[], params: MonitoringParams, region: string): AccessAlerting {
  const expected = params.expectedRegions.length ? params.expectedRegions : [region];
  const rules = candidates.map(({ facts, pattern }): RuleFacts => {
    if (!pattern) return facts;
    const unexpected = matchEvent(pattern, secretReadEvent(UNEXPECTED_REGION));
    if (unexpected.unjudged) return { ...facts, problem: unexpected.unjudged };
    const ordinary = expected.map((one) => matchEvent(pattern, secretReadEvent(one)));
    const anomaly = unexpected.assumed.some((path) => params.anomalyFields.includes(path));
    const buses = facts.targets.filter((arn) => forwardsOut(arn, facts.arn));
    return { ...facts, matches: unexpected.matches, filtersOn: unexpected.assumed, discriminates: anomaly || ordinary.every((one) => !one.matches), ...(buses.length ? { forwardedTo: buses } : {}) };
  });
  const matching = rules.filter((rule) => rule.matches && rule.discriminates);
  const alerts = (rule: RuleFacts, direct: boolean) =>
    rule.state === READS_DELIVERED &&
    rule.targets.some((arn) => params.alertTargetServices.includes(targetService(arn)) && (direct ? !isEventBus(arn) : !isEventBus(arn) || forwardsOut(arn, rule.arn)));
  // A rule whose alert this account sees wins over one that only forwards to another bus.
  const passing = matching.find((rule) => alerts(rule, true)) ?? matching.find((rule) => alerts(rule, false));
  if (passing) {
    const forwarded = passing.forwardedTo?.length ? `; ${forwardedNote(passing.forwardedTo)}` : "";
    return { rules, verdict: { status: "pass", reason: `rule ${passing.name} alerts ${passing.targets.join(", ")} on GetSecretValue outside ${expected.join(", ")}${forwarded}` }, ...(passing.forwardedTo ? { forwardedTo: passing.forwardedTo } : {}) };
  }
  const near = matching[0];
  if (near && near.state !== READS_DELIVERED) {
    return { rules, verdict: { status: "fail", reason: `rule ${near.name} matches GetSecretValue but is ${near.state}: read-only events reach it only in ${READS_DELIVERED}` } };
  }
  if (near) return { rules, verdict: { status: "fail", reason: `rule ${near.name} matches GetSecretValue but targets no alerting service (${params.alertTargetServices.join(", ")})` } };
  const unfiltered = rules.find((rule) => rule.matches && !rule.discriminates);
  return {
    rules,
    verdict: {
      status: "fail",
      reason: unfiltered
        ? `rule ${unfiltered.name} matches every GetSecretValue: no filter on region outside ${expected.join(", ")} or on ${params.anomalyFields.join(", ") || "a configured anomaly field"}`
        : `no rule matches Secrets Manager GetSecretValue from outside ${expected.join(", ")}${problems(rules)}`,
    },
  };
}

export function judgeRotationRedeploy(candidates: RuleCandidate[], params: MonitoringParams, region: string): { verdict: Verdict; rules: RuleFacts[] } {
  const rules = candidates.map(({ facts, pattern }): RuleFacts => {
    if (!pattern) return facts;
    const result = matchEvent(pattern, rotationSucceededEvent(region));
    return result.unjudged ? { ...facts, problem: result.unjudged } : { ...facts, matches: result.matches, filtersOn: result.assumed };
  });
  const matching = rules.filter((rule) => rule.matches && rule.state !== "DISABLED");
  const passing = matching.find((rule) => rule.targets.some((arn) => params.redeployTargetServices.includes(targetService(arn))));
  if (passing) {
    return { rules, verdict: { status: "pass", reason: `rule ${passing.name} sends RotationSucceeded to ${passing.targets.join(", ")} (the target's code is not read)` } };
  }
  const near = matching[0];
  return {
    rules,
    verdict: {
      status: "fail",
      reason: near
        ? `rule ${near.name} matches RotationSucceeded but no target can redeploy (${params.redeployTargetServices.join(", ")})`
        : `no enabled rule matches RotationSucceeded ("AWS Service Event via CloudTrail"): running tasks keep stale credentials${problems(rules)}`,
    },
  };
}

const problems = (rules: RuleFacts[]): string => {
  const bad = rules.filter((rule) => rule.problem);
  return bad.length ? `; ${bad.length} rule(s) not judged: ${bad.slice(0, 3).map((rule) => `${rule.name} (${rule.problem})`).join("; ")}` : "";
};
