// Verdicts on IAM Access Analyzer facts, pure: region coverage, each analyzer, each finding, archive-rule attribution.
import type { AnalyzerSummary, ArchiveRuleSummary, Criterion, FindingDetails, FindingSummaryV2 } from "@aws-sdk/client-accessanalyzer";
import type { Period, Verdict } from "../src/core/model.js";
import { daysBetween } from "../src/core/period.js";

export interface FindingParams {
  maxOpenFindingAgeDays: number;
}

/** Zones of trust that find external access; the others find unused or internal access. */
export const EXTERNAL_ACCESS_TYPES: readonly string[] = ["ACCOUNT", "ORGANIZATION"];
const UNUSED_ACCESS_TYPES: readonly string[] = ["ACCOUNT_UNUSED_ACCESS", "ORGANIZATION_UNUSED_ACCESS"];

export interface AnalyzerFacts {
  analyzerArn: string;
  analyzerName: string;
  analyzerType: string;
  status: string;
  statusReason?: string;
  createdAt?: string;
}

export function analyzerFacts(analyzer: AnalyzerSummary): AnalyzerFacts {
  return {
    analyzerArn: String(analyzer.arn),
    analyzerName: String(analyzer.name),
    analyzerType: String(analyzer.type),
    status: String(analyzer.status),
    ...(analyzer.statusReason?.code ? { statusReason: analyzer.statusReason.code } : {}),
    ...(analyzer.createdAt ? { createdAt: analyzer.createdAt.toISOString() } : {}),
  };
}

export const isExternalAccess = (analyzer: AnalyzerFacts): boolean =>
  EXTERNAL_ACCESS_TYPES.includes(analyzer.analyzerType);

/** Only an ACTIVE external-access analyzer generates findings; a CREATING, FAILED or DISABLED one watches nothing. */
export const coversRegion = (analyzer: AnalyzerFacts): boolean =>
  isExternalAccess(analyzer) && analyzer.status === "ACTIVE";

export function judgeCoverage(region: string, analyzers: readonly AnalyzerFacts[]): Verdict {
  const covering = analyzers.filter(coversRegion);
  if (covering.length === 0)
    return { status: "fail", reason: `no active external-access analyzer in ${region}` };
  return {
    status: "pass",
    reason: `${region} is watched by ${covering.map((a) => a.analyzerName).join(", ")}`,
  };
}

export function judgeAnalyzer(analyzer: AnalyzerFacts): Verdict {
  if (UNUSED_ACCESS_TYPES.includes(analyzer.analyzerType)) {
    return { status: "not_applicable", reason: "unused-access analyzer (reported, not judged)" };
  }
  if (!isExternalAccess(analyzer)) {
    return { status: "not_applicable", reason: `${analyzer.analyzerType} analyzer (reported, not judged)` };
  }
  if (analyzer.status !== "ACTIVE") {
    const why = analyzer.statusReason ? ` (${analyzer.statusReason})` : "";
    return {
      status: "fail",
      reason: `external-access analyzer is ${analyzer.status}${why}, so it generates no findings`,
    };
  }
  return { status: "pass", reason: `active external-access analyzer (${analyzer.analyzerType})` };
}

export interface FindingFacts {
  analyzerArn: string;
  analyzerType: string;
  findingId: string;
  status: string;
  findingType?: string;
  resource?: string;
  resourceType?: string;
  resourceOwnerAccount?: string;
  error?: string;
  /** From GetFindingV2's external-access details; absent when they were not read. */
  isPublic?: boolean;
  principal?: Record<string, string>;
  action?: string[];
  condition?: Record<string, string>;
  resourceControlPolicyRestriction?: string;
  createdAt?: string;
  updatedAt?: string;
  ageDays?: number;
  resolvedInDays?: number;
  /** ARCHIVED only: the archive rule whose filter matches, or why none could be named. */
  archiveRule?: string;
  archiveRuleFilter?: Record<string, Criterion>;
  archiveRuleKeysUnknown?: string[];
}

/** What ListFindingsV2 says of a finding (it carries no principal, action, condition or public flag). */
export function listedFacts(summary: FindingSummaryV2, analyzer: AnalyzerFacts, now: Date): FindingFacts {
  const createdAt = summary.createdAt?.toISOString();
  const updatedAt = summary.updatedAt?.toISOString();
  const resolved = createdAt && updatedAt && summary.status === "RESOLVED";
  return {
    analyzerArn: analyzer.analyzerArn,
    analyzerType: analyzer.analyzerType,
    findingId: String(summary.id),
    status: String(summary.status),
    ...(summary.findingType ? { findingType: summary.findingType } : {}),
    ...(summary.resource ? { resource: summary.resource } : {}),
    ...(summary.resourceType ? { resourceType: summary.resourceType } : {}),
    ...(summary.resourceOwnerAccount ? { resourceOwnerAccount: summary.resourceOwnerAccount } : {}),
    ...(summary.error ? { error: summary.error } : {}),
    ...(createdAt ? { createdAt, ageDays: wholeDays(createdAt, now) } : {}),
    ...(updatedAt ? { updatedAt } : {}),
    ...(resolved ? { resolvedInDays: wholeDays(createdAt, updatedAt) } : {}),
  };
}

/** Whole days from `from` to `to`. */
export const wholeDays = (from: string, to: string | Date): number => Math.floor(daysBetween(from, to));

/** Merges every external-access detail of a finding (there is usually one). */
export function externalAccessFacts(details: readonly FindingDetails[]): Partial<FindingFacts> {
  const external = details.flatMap((detail) =>
    detail.externalAccessDetails ? [detail.externalAccessDetails] : [],
  );
  if (external.length === 0) return {};
  return {
    isPublic: external.some((detail) => detail.isPublic === true),
    principal: merged(external.map((detail) => detail.principal)),
    action: [...new Set(external.flatMap((detail) => detail.action ?? []))],
    condition: merged(external.map((detail) => detail.condition)),
    ...(external[0]?.resourceControlPolicyRestriction
      ? { resourceControlPolicyRestriction: external[0].resourceControlPolicyRestriction }
      : {}),
  };
}

const merged = (records: (Record<string, string> | undefined)[]): Record<string, string> =>
  Object.assign({}, ...records.map((record) => record ?? {})) as Record<string, string>;

/** RESOLVED findings are evidence when resolved inside the period, or in the last 90 days when no period is set. */
export function resolvedWindow(period: Period | undefined, now: Date): { from: string; to: string } {
  if (period) return { from: `${period.start}T00:00:00.000Z`, to: `${period.end}T23:59:59.999Z` };
  return { from: new Date(now.getTime() - 90 * 86_400_000).toISOString(), to: now.toISOString() };
}

/** ACTIVE and ARCHIVED findings are always evidence; RESOLVED ones only when resolved inside the window. */
export function isEvidence(summary: FindingSummaryV2, window: { from: string; to: string }): boolean {
  if (summary.status !== "RESOLVED") return true;
  const resolvedAt = summary.updatedAt?.toISOString();
  return resolvedAt !== undefined && resolvedAt >= window.from && resolvedAt <= window.to;
}

export function judgeFinding(facts: FindingFacts, params: FindingParams, now: Date): Verdict {
  if (facts.status === "ARCHIVED") return judgeArchived(facts);
  if (facts.status === "RESOLVED") {
    const days = facts.createdAt && facts.updatedAt ? wholeDays(facts.createdAt, facts.updatedAt) : undefined;
    return { status: "pass", reason: days === undefined ? "resolved" : `resolved in ${days} days` };
  }
  const error = facts.error ? `; analysis error ${facts.error}` : "";
  if (facts.isPublic) {
    const who = facts.principal ? ` to ${JSON.stringify(facts.principal)}` : "";
    return { status: "fail", reason: `public access${who} (finding ${facts.findingId})${error}` };
  }
  const age = facts.createdAt ? wholeDays(facts.createdAt, now) : undefined;
  if (age === undefined) return { status: "fail", reason: `active finding with no creation date${error}` };
  if (age > params.maxOpenFindingAgeDays) {
    return {
      status: "fail",
      reason: `open ${age} days, longer than the ${params.maxOpenFindingAgeDays} allowed${error}`,
    };
  }
  return {
    status: "pass",
    reason: `open ${age} days, within the ${params.maxOpenFindingAgeDays} allowed${error}`,
  };
}

function judgeArchived(facts: FindingFacts): Verdict {
  if (facts.archiveRule) return { status: "excepted", reason: `archived by rule ${facts.archiveRule}` };
  const unknown = facts.archiveRuleKeysUnknown?.length
    ? ` (no rule matches on the keys read; unevaluated keys: ${facts.archiveRuleKeysUnknown.join(", ")})`
    : "";
  return { status: "excepted", reason: `archived manually${unknown}` };
}

/** Filter keys answered by ListFindingsV2 alone; every other key needs GetFindingV2's details. */
const LISTED_KEYS = new Set([
  "id",
  "status",
  "findingType",
  "resource",
  "resourceType",
  "resourceOwnerAccount",
  "error",
]);

/** True when some rule can only be evaluated with a finding's external-access details. */
export const rulesNeedDetails = (rules: readonly ArchiveRuleSummary[]): boolean =>
  rules.some((rule) => Object.keys(rule.filter ?? {}).some((key) => !LISTED_KEYS.has(key)));

/** A finding as the filter keys see it: each key to its values, absent when the finding has none. */
export function filterFields(facts: FindingFacts): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  const put = (key: string, value: string | boolean | undefined) => {
    if (value !== undefined) fields.set(key, [...(fields.get(key) ?? []), String(value)]);
  };
  put("id", facts.findingId);
  put("status", facts.status);
  put("findingType", facts.findingType);
  put("resource", facts.resource);
  put("resourceType", facts.resourceType);
  put("resourceOwnerAccount", facts.resourceOwnerAccount);
  put("error", facts.error);
  put("isPublic", facts.isPublic);
  put("resourceControlPolicyRestriction", facts.resourceControlPolicyRestriction);
  for (const action of facts.action ?? []) put("action", action);
  for (const [key, value] of Object.entries(facts.principal ?? {})) put(`principal.${key}`, value);
  for (const [key, value] of Object.entries(facts.condition ?? {})) put(`condition.${key}`, value);
  return fields;
}

/** Names the archive rule that explains an ARCHIVED finding, or the keys that kept every rule from being evaluated. */
export function archiveFacts(
  rules: readonly ArchiveRuleSummary[],
  facts: FindingFacts,
): Partial<FindingFacts> {
  const match = matchArchiveRule(rules, facts);
  if (match.rule)
    return { archiveRule: String(match.rule.ruleName), archiveRuleFilter: match.rule.filter ?? {} };
  return match.unknownKeys.length > 0 ? { archiveRuleKeysUnknown: match.unknownKeys } : {};
}

export interface RuleMatch {
  rule?: ArchiveRuleSummary;
  /** Keys no rule could be evaluated on, because the finding's details were not read. */
  unknownKeys: string[];
}

/** The first archive rule whose every criterion holds for the finding (AND across keys, OR within a list). */
export function matchArchiveRule(rules: readonly ArchiveRuleSummary[], facts: FindingFacts): RuleMatch {
  const fields = filterFields(facts);
  // isPublic is set exactly when GetFindingV2's external-access details were read.
  const detailsRead = facts.isPublic !== undefined;
  const unknownKeys = new Set<string>();
  for (const rule of rules) {
    const criteria = Object.entries(rule.filter ?? {});
    const unknown = criteria.filter(([key]) => !detailsRead && !LISTED_KEYS.has(key)).map(([key]) => key);
    if (unknown.length > 0) {
      unknown.forEach((key) => unknownKeys.add(key));
      continue;
    }
    if (criteria.every(([key, criterion]) => criterionHolds(criterion, fields.get(key)))) {
      return { rule, unknownKeys: [] };
    }
  }
  return { unknownKeys: [...unknownKeys].sort() };
}

export function criterionHolds(criterion: Criterion, values: readonly string[] | undefined): boolean {
  const present = values ?? [];
  if (criterion.exists !== undefined && criterion.exists !== present.length > 0) return false;
  if (criterion.eq && !present.some((value) => criterion.eq?.includes(value))) return false;
  if (criterion.neq && present.some((value) => criterion.neq?.includes(value))) return false;
  if (
    criterion.contains &&
    !present.some((value) => criterion.contains?.some((part) => value.includes(part)))
  ) {
    return false;
  }
  return true;
}
