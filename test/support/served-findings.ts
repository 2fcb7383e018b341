// What Access Analyzer does with findings: filter criteria, sorting, the v1/v2 summary shapes and statistics.
import type { Criterion, FindingDetails, FindingSummary, FindingSummaryV2, SortCriteria } from "@aws-sdk/client-accessanalyzer";

export type StoredFinding = FindingSummary &
  FindingSummaryV2 & { analyzerArn: string; findingDetails?: FindingDetails[] };

/** A filter key names a field (`status`) or a map entry (`principal.AWS`, `condition.aws:SourceVpc`). */
function valuesOf(finding: StoredFinding, key: string): string[] {
  const dot = key.indexOf(".");
  const record = finding as unknown as Record<string, unknown>;
  const container = dot > 0 ? record[key.slice(0, dot)] : record;
  const field = dot > 0 ? key.slice(dot + 1) : key;
  const value =
    container && typeof container === "object" ? (container as Record<string, unknown>)[field] : undefined;
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((item) => (item instanceof Date ? item.toISOString() : String(item)));
}

export function satisfies(finding: StoredFinding, key: string, criterion: Criterion): boolean {
  const values = valuesOf(finding, key);
  if (criterion.eq && !values.some((value) => criterion.eq?.includes(value))) return false;
  if (criterion.neq && values.some((value) => criterion.neq?.includes(value))) return false;
  if (criterion.contains && !values.some((v) => criterion.contains?.some((part) => v.includes(part))))
    return false;
  return criterion.exists === undefined || criterion.exists === values.length > 0;
}

export function sortBy(findings: StoredFinding[], sort: SortCriteria): StoredFinding[] {
  const key = sort.attributeName ?? "";
  const sign = sort.orderBy === "DESC" ? -1 : 1;
  return [...findings].sort(
    (a, b) => sign * (valuesOf(a, key)[0] ?? "").localeCompare(valuesOf(b, key)[0] ?? ""),
  );
}

export function summaryV1(f: StoredFinding): FindingSummary {
  const { id, principal, action, resource, isPublic, resourceType, condition, createdAt, analyzedAt } = f;
  const { updatedAt, status, resourceOwnerAccount, error, sources, resourceControlPolicyRestriction } = f;
  return {
    id,
    principal,
    action,
    resource,
    isPublic,
    resourceType,
    condition,
    createdAt,
    analyzedAt,
    updatedAt,
    status,
    resourceOwnerAccount,
    error,
    sources,
    resourceControlPolicyRestriction,
  } as FindingSummary;
}

export function summaryV2(f: StoredFinding): FindingSummaryV2 {
  const {
    analyzedAt,
    createdAt,
    error,
    id,
    resource,
    resourceType,
    resourceOwnerAccount,
    status,
    updatedAt,
  } = f;
  return {
    analyzedAt,
    createdAt,
    error,
    id,
    resource,
    resourceType,
    resourceOwnerAccount,
    status,
    updatedAt,
    findingType: f.findingType,
  } as FindingSummaryV2;
}

export function defaultDetails(f: StoredFinding): FindingDetails[] {
  if (f.findingType !== "ExternalAccess") return [];
  const { action, condition, isPublic, principal, sources, resourceControlPolicyRestriction } = f;
  return [
    {
      externalAccessDetails: {
        action,
        condition: condition ?? {},
        isPublic,
        principal,
        sources,
        resourceControlPolicyRestriction,
      },
    } as FindingDetails,
  ];
}

export function statistics(analyzerType: string, findings: StoredFinding[]) {
  const count = (status: string) => findings.filter((finding) => finding.status === status).length;
  const totals = {
    totalActiveFindings: count("ACTIVE"),
    totalArchivedFindings: count("ARCHIVED"),
    totalResolvedFindings: count("RESOLVED"),
  };
  const active = findings.filter((finding) => finding.status === "ACTIVE");
  if (analyzerType.endsWith("UNUSED_ACCESS")) {
    const types = [...new Set(active.map((finding) => finding.findingType ?? "UnusedPermission"))];
    const unusedAccessTypeStatistics = types.map((type) => ({
      unusedAccessType: type,
      total: active.filter((finding) => (finding.findingType ?? "UnusedPermission") === type).length,
    }));
    return { unusedAccessFindingsStatistics: { ...totals, unusedAccessTypeStatistics } };
  }
  const byType = (make: (list: StoredFinding[]) => Record<string, number>) =>
    Object.fromEntries(
      [...new Set(findings.map((f) => f.resourceType))].map((type) => [
        type,
        make(findings.filter((f) => f.resourceType === type)),
      ]),
    );
  if (analyzerType.endsWith("INTERNAL_ACCESS")) {
    const resourceTypeStatistics = byType((list) => ({
      totalActiveFindings: list.filter((f) => f.status === "ACTIVE").length,
      totalArchivedFindings: list.filter((f) => f.status === "ARCHIVED").length,
      totalResolvedFindings: list.filter((f) => f.status === "RESOLVED").length,
    }));
    return { internalAccessFindingsStatistics: { ...totals, resourceTypeStatistics } };
  }
  const resourceTypeStatistics = byType((list) => {
    const live = list.filter((f) => f.status === "ACTIVE");
    return {
      totalActivePublic: live.filter((f) => f.isPublic === true).length,
      totalActiveCrossAccount: live.filter((f) => f.isPublic !== true).length,
      totalActiveErrors: live.filter((f) => f.error !== undefined).length,
    };
  });
  return { externalAccessFindingsStatistics: { ...totals, resourceTypeStatistics } };
}
