// Passes a region with an ACTIVE external-access analyzer, and each active finding neither public nor open too long.
import type { AccessAnalyzerClient } from "@aws-sdk/client-accessanalyzer";
import { CallTrace } from "../src/core/trace.js";
import { defineCollector } from "../src/core/collector.js";
import { mapConcurrent } from "../src/core/concurrency.js";
import { analyzerFacts, EXTERNAL_ACCESS_TYPES, isEvidence, isExternalAccess, judgeAnalyzer, judgeCoverage, resolvedWindow, type AnalyzerFacts } from "./access-analyzer-findings.judge.js";
import { drain, findingItem, listedFinding, PAGE_SIZE, type FindingScope } from "./access-analyzer-finding.js";
import { sdk } from "../src/core/sdk.js";

const { paginateListAnalyzers, paginateListArchiveRules, paginateListFindings } = sdk("@aws-sdk/client-accessanalyzer");

// Minimum calls for F evidence findings under Z analyzers in a region (all on one assumed 5 RPS bucket):
// ceil(Z / 100) ListAnalyzers pages; per external-access analyzer one ListArchiveRules page (100 rules) and
// ceil(F / 100) ListFindings pages. ListFindings (V1, external-access analyzers only) carries isPublic, principal,
// action, condition, sources and the RCP restriction of each finding, which is every fact a verdict or an archive
// rule reads, so there is no GetFindingV2 per finding. ListFindingsV2 would not: its summary has no details.
// GetFindingV2 stays only for a finding listed without details (an analysis error) that a verdict needs them for.
// Source: https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_FindingSummary.html
/** Access Analyzer publishes no TPS; the rate limiter paces the assumed 5 RPS, this bounds sockets. */
const DETAIL_CONCURRENCY = 4;
const ANALYZER = "AWS::AccessAnalyzer::Analyzer";

const params = {
  maxOpenFindingAgeDays: {
    type: "integer",
    default: 30,
    min: 0,
    max: 3650,
    description: "Days an active finding may stay open before it fails.",
  },
} as const;

export default defineCollector({
  id: "access-analyzer-findings",
  title: "IAM Access Analyzer watches every region and its findings are resolved in time",
  docsUrl: "https://docs.aws.amazon.com/IAM/latest/UserGuide/what-is-access-analyzer.html",
  criteria: ["CC6.3"],
  service: "access-analyzer",
  scope: "region",
  // ListFindingsV2 and GetFindingV2 are authorized by the V1 action names.
  permissions: [
    "access-analyzer:ListAnalyzers",
    "access-analyzer:ListFindings",
    "access-analyzer:GetFinding",
    "access-analyzer:ListArchiveRules",
  ],
  params,
  async *collect(ctx, { maxOpenFindingAgeDays }) {
    const client = ctx.clients.accessAnalyzer(ctx.account, ctx.region);
    const listing = new CallTrace("access-analyzer", ctx.now);
    const pages = paginateListAnalyzers({ client, pageSize: PAGE_SIZE }, {});
    const analyzers = (await drain(pages, "ListAnalyzers", listing, (page) => page.analyzers)).map(
      analyzerFacts,
    );
    const source = listing.source();
    const expected = {
      maxOpenFindingAgeDays,
      analyzerTypes: EXTERNAL_ACCESS_TYPES,
      analyzerStatus: "ACTIVE",
    };
    const coverage = judgeCoverage(ctx.region, analyzers);
    if (coverage.status === "fail") {
      const arn = `arn:${ctx.partition}:access-analyzer:${ctx.region}:${ctx.account}:analyzer/*`;
      const resource = { arn, type: ANALYZER, name: `external-access analyzer in ${ctx.region}` };
      const seen = analyzers.map(({ analyzerArn, analyzerType, status }) => ({
        analyzerArn,
        analyzerType,
        status,
      }));
      yield { resource, ...coverage, observed: { region: ctx.region, analyzers: seen }, expected, source };
    }
    for (const analyzer of analyzers) {
      const resource = { arn: analyzer.analyzerArn, type: ANALYZER, name: analyzer.analyzerName };
      yield { resource, ...judgeAnalyzer(analyzer), observed: { ...analyzer }, expected, source };
    }
    const window = resolvedWindow(ctx.period, ctx.now());
    // CREATING and FAILED analyzers have no findings to list; a DISABLED one keeps the findings it made.
    const reporting = analyzers.filter(
      (a) => isExternalAccess(a) && a.status !== "CREATING" && a.status !== "FAILED",
    );
    for (const analyzer of reporting) {
      const trace = listing.fork();
      const rules = await archiveRules(client, analyzer, trace);
      const findings = async function* () {
        const query = { analyzerArn: analyzer.analyzerArn };
        for await (const page of paginateListFindings({ client, pageSize: PAGE_SIZE }, query)) {
          trace.record("ListFindings", page);
          yield* (page.findings ?? []).map(listedFinding).filter((listed) => isEvidence(listed.summary, window));
        }
      };
      const scope: FindingScope = { client, analyzer, rules, trace, now: ctx.now, maxOpenFindingAgeDays };
      yield* mapConcurrent(findings(), DETAIL_CONCURRENCY, (listed) => findingItem(listed, scope));
    }
  },
});

/** A failed ListArchiveRules spoils only the archived findings' attribution, so it is kept, not thrown. */
async function archiveRules(client: AccessAnalyzerClient, analyzer: AnalyzerFacts, trace: CallTrace) {
  const pages = paginateListArchiveRules(
    { client, pageSize: PAGE_SIZE },
    { analyzerName: analyzer.analyzerName },
  );
  try {
    return { rules: await drain(pages, "ListArchiveRules", trace, (page) => page.archiveRules) };
  } catch (error) {
    return { error };
  }
}
