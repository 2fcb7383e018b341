// One Access Analyzer finding as evidence: its listed facts, its details where needed, and the archive rule behind it.
import type { AccessAnalyzerClient, ArchiveRuleSummary, FindingDetails, FindingSummary, FindingSummaryV2 } from "@aws-sdk/client-accessanalyzer";
import type { CallTrace } from "../src/core/trace.js";
import { errorItem } from "../src/core/evidence.js";
import type { ItemDraft } from "../src/core/model.js";
import { archiveFacts, externalAccessFacts, judgeFinding, listedFacts, rulesNeedDetails, type AnalyzerFacts } from "./access-analyzer-findings.judge.js";
import { sdk } from "../src/core/sdk.js";

const { paginateGetFindingV2 } = sdk("@aws-sdk/client-accessanalyzer");

/** Neither the model nor the API reference gives a maximum page size; 100 is a judgement. */
export const PAGE_SIZE = 100;

export interface FindingScope {
  client: AccessAnalyzerClient;
  analyzer: AnalyzerFacts;
  rules: { rules: ArchiveRuleSummary[] } | { error: unknown };
  trace: CallTrace;
  now: () => Date;
  maxOpenFindingAgeDays: number;
}

/** A finding as ListFindings lists it: the V2 summary fields, and its external-access details when listed. */
export interface ListedFinding {
  summary: FindingSummaryV2;
  details?: FindingDetails[];
}

/** ListFindings (V1) lists only external-access findings, each with the details GetFindingV2 would return. */
export function listedFinding(finding: FindingSummary): ListedFinding {
  const { id, resource, resourceType, resourceOwnerAccount, status, createdAt, updatedAt, analyzedAt, error } = finding;
  const summary: FindingSummaryV2 = {
    id, resource, resourceType, resourceOwnerAccount, status, createdAt, updatedAt, analyzedAt, error,
    findingType: "ExternalAccess",
  };
  if (finding.isPublic === undefined) return { summary };
  const { isPublic, principal, action, condition, sources, resourceControlPolicyRestriction } = finding;
  return {
    summary,
    details: [{ externalAccessDetails: { isPublic, principal, action, condition, sources, resourceControlPolicyRestriction } }],
  };
}

export async function findingItem(listed: ListedFinding, scope: FindingScope): Promise<ItemDraft> {
  const { summary } = listed;
  const { client, analyzer, rules, now, maxOpenFindingAgeDays } = scope;
  const trace = scope.trace.fork();
  const facts = listedFacts(summary, analyzer, now());
  const resource = {
    arn: summary.resource ?? `${analyzer.analyzerArn}/finding/${facts.findingId}`,
    type: summary.resourceType ?? "AWS::AccessAnalyzer::Finding",
    name: `${summary.resource?.split(/[:/]/).at(-1) ?? "resource"} (finding ${facts.findingId})`,
  };
  const expected = { maxOpenFindingAgeDays };
  try {
    const archived = facts.status === "ARCHIVED";
    // Without the rules an archived finding's reason is unknown: a failed read, not an exception.
    if (archived && "error" in rules) throw rules.error;
    const ruleList = "rules" in rules ? rules.rules : [];
    if (listed.details) {
      Object.assign(facts, externalAccessFacts(listed.details));
    } else if (facts.status === "ACTIVE" || (archived && rulesNeedDetails(ruleList))) {
      // Listed without details (an analysis error): only GetFindingV2 can say who has access.
      const pages = paginateGetFindingV2(
        { client, pageSize: PAGE_SIZE },
        { analyzerArn: analyzer.analyzerArn, id: facts.findingId },
      );
      Object.assign(
        facts,
        externalAccessFacts(await drain(pages, "GetFindingV2", trace, (p) => p.findingDetails)),
      );
    }
    if (archived) Object.assign(facts, archiveFacts(ruleList, facts));
    const verdict = judgeFinding(facts, expected, now());
    return { resource, ...verdict, observed: { ...facts }, expected, source: trace.source() };
  } catch (error) {
    return errorItem(resource, error, trace, expected);
  }
}

export /** Every element of every page, each page recorded as evidence of the call. */
async function drain<P, T>(
  pages: AsyncIterable<P>,
  operation: string,
  trace: CallTrace,
  pick: (page: P) => T[] | undefined,
): Promise<T[]> {
  const all: T[] = [];
  for await (const page of pages) {
    trace.record(operation, page);
    all.push(...(pick(page) ?? []));
  }
  return all;
}
