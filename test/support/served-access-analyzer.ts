// IAM Access Analyzer (restJson1), which moto lacks, served from seeded analyzers, archive rules and findings.
import type { AnalyzerSummary, ArchiveRuleSummary, Criterion, FindingDetails, FindingSummary, FindingSummaryV2, SortCriteria } from "@aws-sdk/client-accessanalyzer";
import { errorReply, jsonReply, toDate, withWireDates, type Reply } from "./aws-protocol.js";
import type { CallInfo } from "./proxy-identify.js";
import { defaultDetails, satisfies, sortBy, statistics, summaryV1, summaryV2, type StoredFinding } from "./served-findings.js";
import { paginate } from "./served-paging.js";

type Dated<T, K extends keyof T> = Omit<T, K> & { [P in K]?: Date | string };

export type SeedAnalyzer = Dated<Partial<AnalyzerSummary>, "createdAt" | "lastResourceAnalyzedAt"> & {
  name: string;
};
export type SeedArchiveRule = Dated<Partial<ArchiveRuleSummary>, "createdAt" | "updatedAt"> & {
  analyzerName: string;
  ruleName: string;
};
/** A finding as a fixture writes it: FindingSummary (v1) and FindingSummaryV2 fields; status defaults to ACTIVE. */
export type SeedFinding = Dated<
  Partial<FindingSummary & FindingSummaryV2>,
  "createdAt" | "updatedAt" | "analyzedAt"
> & {
  id: string;
  resourceType: string;
  /** The analyzer that reported it (ARN or name); default the scope's first external-access analyzer. */
  analyzerArn?: string;
  analyzerName?: string;
  /** What GetFindingV2 returns; default built from the v1 fields for external-access findings. */
  findingDetails?: FindingDetails[];
};

export interface AccessAnalyzerSeed {
  analyzers?: SeedAnalyzer[];
  archiveRules?: SeedArchiveRule[];
  findings?: SeedFinding[];
}

type StoredRule = ArchiveRuleSummary & { analyzerName: string };
interface Scope {
  analyzers: AnalyzerSummary[];
  rules: StoredRule[];
  findings: StoredFinding[];
}
interface FindingsRequest {
  analyzerArn?: string;
  filter?: Record<string, Criterion>;
  sort?: SortCriteria;
  maxResults?: number;
  nextToken?: string;
}

const DEFAULT_PAGE = 100;
const EXTERNAL = new Set(["ACCOUNT", "ORGANIZATION"]);

export class AccessAnalyzerService {
  private readonly scopes = new Map<string, Scope>();

  seed(account: string, region: string, seed: AccessAnalyzerSeed): void {
    const scope = this.scope(account, region);
    for (const analyzer of seed.analyzers ?? []) {
      const type = analyzer.type ?? "ACCOUNT";
      scope.analyzers.push({
        ...analyzer,
        arn: analyzer.arn ?? `arn:aws:access-analyzer:${region}:${account}:analyzer/${analyzer.name}`,
        type,
        status: analyzer.status ?? "ACTIVE",
        createdAt: toDate(analyzer.createdAt ?? new Date()),
        lastResourceAnalyzedAt: optionalDate(analyzer.lastResourceAnalyzedAt),
      });
    }
    for (const rule of seed.archiveRules ?? []) {
      const createdAt = toDate(rule.createdAt ?? new Date());
      scope.rules.push({ filter: {}, ...rule, createdAt, updatedAt: toDate(rule.updatedAt ?? createdAt) });
    }
    for (const finding of seed.findings ?? []) {
      const analyzer = scope.analyzers.find((candidate) =>
        finding.analyzerArn || finding.analyzerName
          ? candidate.arn === finding.analyzerArn || candidate.name === finding.analyzerName
          : EXTERNAL.has(candidate.type ?? ""),
      );
      if (!analyzer?.arn)
        throw new Error(`seed finding ${finding.id}: no analyzer for it in ${account}/${region}`);
      const createdAt = toDate(finding.createdAt ?? new Date());
      const updatedAt = toDate(finding.updatedAt ?? createdAt);
      scope.findings.push({
        condition: {},
        status: "ACTIVE",
        resourceOwnerAccount: account,
        findingType: EXTERNAL.has(analyzer.type ?? "") ? "ExternalAccess" : undefined,
        ...finding,
        analyzerArn: analyzer.arn,
        createdAt,
        updatedAt,
        analyzedAt: toDate(finding.analyzedAt ?? updatedAt),
      });
    }
  }

  /** A finding changing state, as Access Analyzer changes it when a policy is fixed (status, updatedAt). */
  update(account: string, region: string, id: string, change: { status: string; updatedAt: Date }): void {
    const found = this.scope(account, region).findings.find((finding) => finding.id === id);
    if (!found) throw new Error(`no served finding ${id} in ${account}/${region}`);
    Object.assign(found, { status: change.status, updatedAt: change.updatedAt, analyzedAt: change.updatedAt });
  }

  reset(): void {
    this.scopes.clear();
  }

  handle(call: CallInfo, request: Record<string, unknown>): Reply {
    const scope = this.scope(call.account, call.region);
    const segments = call.path.split("/").map(decodeURIComponent);
    const maxResults = Number(call.query.get("maxResults") ?? request.maxResults ?? DEFAULT_PAGE);
    if (!Number.isInteger(maxResults) || maxResults < 1)
      return validation("maxResults must be a positive integer.");
    const nextToken = call.query.get("nextToken") ?? (request.nextToken as string | undefined);
    switch (call.operation) {
      case "ListAnalyzers": {
        const type = call.query.get("type") ?? undefined;
        const analyzers = scope.analyzers.filter((analyzer) => !type || analyzer.type === type);
        return pageReply("analyzers", analyzers, maxResults, nextToken, { type });
      }
      case "GetAnalyzer": {
        const analyzer = scope.analyzers.find((candidate) => candidate.name === segments[2]);
        return analyzer ? ok({ analyzer }) : notFound(`Analyzer ${segments[2]} not found.`);
      }
      case "ListArchiveRules":
      case "GetArchiveRule": {
        const name = segments[2];
        if (!scope.analyzers.some((analyzer) => analyzer.name === name))
          return notFound(`Analyzer ${name} not found.`);
        const rules = scope.rules
          .filter((rule) => rule.analyzerName === name)
          .map(({ analyzerName: _, ...r }) => r);
        if (call.operation === "ListArchiveRules")
          return pageReply("archiveRules", rules, maxResults, nextToken, name);
        const archiveRule = rules.find((rule) => rule.ruleName === segments[4]);
        return archiveRule ? ok({ archiveRule }) : notFound(`Archive rule ${segments[4]} not found.`);
      }
      case "ListFindings":
      case "ListFindingsV2":
        return this.listFindings(scope, call.operation, {
          ...(request as FindingsRequest),
          maxResults,
          nextToken,
        });
      case "GetFinding":
      case "GetFindingV2": {
        const analyzer = this.analyzer(scope, call.query.get("analyzerArn") ?? undefined);
        if ("status" in analyzer) return analyzer;
        const finding = scope.findings.find((f) => f.id === segments[2] && f.analyzerArn === analyzer.arn);
        if (!finding) return notFound(`Finding ${segments[2]} not found.`);
        if (call.operation === "GetFinding") return ok({ finding: summaryV1(finding) });
        return ok({
          ...summaryV2(finding),
          findingDetails: finding.findingDetails ?? defaultDetails(finding),
        });
      }
      case "GetFindingsStatistics": {
        const analyzer = this.analyzer(scope, request.analyzerArn as string | undefined);
        if ("status" in analyzer) return analyzer;
        const findings = scope.findings.filter((finding) => finding.analyzerArn === analyzer.arn);
        return ok({ findingsStatistics: [statistics(analyzer.type, findings)], lastUpdatedAt: new Date() });
      }
      default:
        return errorReply(
          "restJson",
          501,
          "NotImplemented",
          `test proxy does not serve ${call.method} ${call.path}`,
        );
    }
  }

  private listFindings(
    scope: Scope,
    operation: string,
    request: FindingsRequest & { maxResults: number },
  ): Reply {
    const analyzer = this.analyzer(scope, request.analyzerArn);
    if ("status" in analyzer) return analyzer;
    if (operation === "ListFindings" && !EXTERNAL.has(analyzer.type)) {
      return validation("ListFindings supports external access analyzers only; use ListFindingsV2.");
    }
    const matching = scope.findings
      .filter((finding) => finding.analyzerArn === analyzer.arn)
      .filter((finding) =>
        Object.entries(request.filter ?? {}).every(([key, c]) => satisfies(finding, key, c)),
      );
    const sorted = request.sort?.attributeName ? sortBy(matching, request.sort) : matching;
    const findings = operation === "ListFindings" ? sorted.map(summaryV1) : sorted.map(summaryV2);
    const query = { analyzerArn: analyzer.arn, filter: request.filter, sort: request.sort };
    return pageReply("findings", findings, request.maxResults, request.nextToken, query);
  }

  private analyzer(scope: Scope, arn: string | undefined): { arn: string; type: string } | Reply {
    if (!arn) return validation("analyzerArn is required.");
    const analyzer = scope.analyzers.find((candidate) => candidate.arn === arn);
    return analyzer ? { arn, type: analyzer.type ?? "ACCOUNT" } : notFound(`Analyzer ${arn} not found.`);
  }

  private scope(account: string, region: string): Scope {
    const key = `${account}|${region}`;
    let scope = this.scopes.get(key);
    if (!scope) this.scopes.set(key, (scope = { analyzers: [], rules: [], findings: [] }));
    return scope;
  }
}

function pageReply(
  field: string,
  items: unknown[],
  maxResults: number,
  token: string | undefined,
  query: unknown,
) {
  const page = paginate(items, maxResults, token, query);
  return page ? ok({ [field]: page.items, nextToken: page.nextToken }) : validation("Invalid nextToken.");
}

const ok = (body: unknown): Reply => jsonReply(200, withWireDates(body, "date-time"), "application/json");
const validation = (message: string): Reply => errorReply("restJson", 400, "ValidationException", message);
const notFound = (message: string): Reply =>
  errorReply("restJson", 404, "ResourceNotFoundException", message);
const optionalDate = (value: Date | string | undefined) => (value === undefined ? undefined : toDate(value));
