// Passes a secret when everyone who can read it did, everyone who did could, and no read came from an unexpected
// region or a non-production account; the rows are the quarterly access review (access-review.csv, report.pdf).
// Minimum calls for an account with M secrets over its regions: the facts of secrets-access-policy, read once in a
// run for both (GetAccountAuthorizationDetails pages, ListSecrets pages, one GetResourcePolicy per secret, DescribeKey
// and GetKeyPolicy per key in use), DescribeOrganization (in an organization: ListPoliciesForTarget, DescribePolicy and ListParents per
// level up to the root), per region ListTaskDefinitionFamilies pages plus one DescribeTaskDefinition per family (its
// roles), and per region ceil(E / 50) LookupEvents pages for E GetSecretValue events in the period's part of the 90 days:
// the region's shared read (event-records.ts), made once in a run for this collector and cloudtrail-data-events.
import { ACCESS_REVIEW_COLLECTOR, type DayRead, type ReadTally } from "../src/core/access-review.js";
import { CallTrace, awsErrorCode } from "../src/core/trace.js";
import { defineCollector, type CollectContext } from "../src/core/collector.js";
import { coveredSpan, EVENT_HISTORY_DAYS, EVENT_HISTORY_MS, eventsWithin, recordPages, type EventHistory } from "./event-history.js";
import { sharedEvents } from "./event-records.js";
import { compilePolicy, type CompiledStatement } from "./iam-evaluation.js";
import {
  ACCESS_FACTS_PERMISSIONS,
  sharedAuthorizationDetails,
  sharedSecretsFeed,
  sourceWith,
} from "./secrets-access-facts.js";
import {
  indexPrincipals,
  isProduction,
  judgeReview,
  readsOf,
  reviewSecret,
} from "./secrets-access-review.judge.js";
import { judgeReviewPeriod, reviewReadDates } from "./secrets-access-review.period.js";
import { tallySecretRead, type SecretRead } from "./secret-reads.js";
import { sdk } from "../src/core/sdk.js";

const { DescribeTaskDefinitionCommand, paginateListTaskDefinitionFamilies } = sdk("@aws-sdk/client-ecs");
const { DescribeOrganizationCommand, DescribePolicyCommand, ListParentsCommand, paginateListPoliciesForTarget } = sdk("@aws-sdk/client-organizations");

const params = {
  expectedRegions: {
    type: "string[]",
    default: [],
    description: "Regions reads may come from; empty means the scope regions.",
  },
  productionEnvironment: {
    type: "string",
    default: "prod",
    description: "First name segment or `environment` tag value that marks a production secret.",
  },
  nonProductionAccounts: {
    type: "string[]",
    default: [],
    description: "Accounts that must not read production secrets.",
  },
} as const;

export default defineCollector({
  id: ACCESS_REVIEW_COLLECTOR,
  title: "Quarterly access review: who can read each secret against who did",
  docsUrl:
    "https://docs.aws.amazon.com/secretsmanager/latest/userguide/determine-acccess_examine-iam-policies.html",
  criteria: ["CC6.2", "CC6.3"],
  service: "iam",
  scope: "account",
  permissions: [
    ...ACCESS_FACTS_PERMISSIONS,
    "organizations:ListParents",
    "organizations:ListPoliciesForTarget",
    "organizations:DescribePolicy",
    "ecs:ListTaskDefinitionFamilies",
    "ecs:DescribeTaskDefinition",
    "cloudtrail:LookupEvents",
  ],
  params,
  async *collect(ctx, { expectedRegions, productionEnvironment, nonProductionAccounts }) {
    const trace = new CallTrace("iam", ctx.now);
    // Independent reads at once: CloudTrail's 2/s LookupEvents pages need not wait for a GetResourcePolicy per secret,
    // and each secret is reviewed as its policy and key arrive, while the quota paces the calls for the rest.
    const [details, { secrets, keys, calls }, organization, ecsUse, { reads, byDay, window, unavailable }] = await Promise.all([
      sharedAuthorizationDetails(ctx, trace),
      sharedSecretsFeed(ctx, trace),
      serviceControlPolicies(ctx, trace),
      ecsRoles(ctx, trace),
      secretReads(ctx, trace),
    ]);
    const notRead = [
      ...(organization.scpLevels
        ? []
        : [`service control policies (${organization.error}): not applied, so access may be over-reported`]),
      ...unavailable.map(
        (region) => `CloudTrail in ${region.region} (${region.code}): reads there are missing`,
      ),
      ...ecsUse.unavailable.map((region) => `ECS task definitions in ${region.region} (${region.code})`),
    ];
    const inputs = {
      account: ctx.account,
      ...organization,
      principals: details.principals,
      documents: details.documents,
      keys,
      ecsUse: ecsUse.roles,
      reads,
    };
    const index = indexPrincipals(inputs);
    const reviewParams = {
      expectedRegions: expectedRegions.length ? expectedRegions : ctx.regions,
      productionEnvironment,
      nonProductionAccounts,
    };
    for await (const secret of secrets) {
      const review = reviewSecret(secret, index, inputs, reviewParams);
      const key = keys.get(secret.keyArn);
      const unreadable = [
        ...notRead,
        ...(secret.resourcePolicyError ? [`resource policy (${secret.resourcePolicyError})`] : []),
        ...(key?.policyError ? [`key policy of ${secret.keyArn} (${key.policyError})`] : []),
      ];
      yield {
        resource: { arn: secret.arn, type: "AWS::SecretsManager::Secret", name: secret.name },
        region: secret.region,
        ...judgeReview(review),
        observed: {
          keyArn: secret.keyArn,
          readWindow: window,
          readWindowNote: `CloudTrail event history keeps ${EVENT_HISTORY_DAYS} days; the period review adds the reads earlier snapshots recorded for days before it`,
          production: isProduction(secret, productionEnvironment),
          readsByDay: [...byDay]
            .sort(([left], [right]) => left.localeCompare(right))
            .flatMap(([day, dayReads]) =>
              [...readsOf(secret, dayReads)].map(([principal, tally]): DayRead => ({
                day,
                principal,
                ...tally,
              })),
            ),
          evaluated: [
            "identity policies",
            "permission boundaries",
            "resource policy",
            "key policy",
            ...(organization.scpLevels ? ["service control policies"] : []),
          ],
          notRead: unreadable,
          review,
        },
        expected: {
          everyReaderGranted: true,
          everyGrantUsed: true,
          expectedRegions: reviewParams.expectedRegions,
        },
        source: sourceWith(trace, calls, secret.arn, secret.keyArn),
      };
    }
  },
  // Reads before CloudTrail's window come from the snapshots that still held them (secrets-access-review.period.ts).
  period: {
    dates: reviewReadDates,
    judge: (history, period, through, { expectedRegions, productionEnvironment, nonProductionAccounts }) =>
      judgeReviewPeriod(history, period, through, {
        expectedRegions,
        productionEnvironment,
        nonProductionAccounts,
      }),
  },
});

/** SCPs from the account up to the root, one level each; unreadable outside the management or delegated account. */
async function serviceControlPolicies(
  ctx: CollectContext,
  trace: CallTrace,
): Promise<{ organizationId?: string; scpLevels?: CompiledStatement[][]; error?: string }> {
  const client = ctx.clients.organizations(ctx.account, "us-east-1");
  try {
    const described = await client.send(new DescribeOrganizationCommand({}));
    trace.record("DescribeOrganization", described);
    const levels: CompiledStatement[][] = [];
    let target = ctx.account;
    for (let depth = 0; depth < 7 && target; depth += 1) {
      const level: CompiledStatement[] = [];
      for await (const page of paginateListPoliciesForTarget(
        { client },
        { TargetId: target, Filter: "SERVICE_CONTROL_POLICY" },
      )) {
        trace.record("ListPoliciesForTarget", page);
        for (const summary of page.Policies ?? []) {
          const policy = await client.send(new DescribePolicyCommand({ PolicyId: summary.Id }));
          trace.record("DescribePolicy", policy);
          level.push(...compilePolicy(JSON.parse(policy.Policy?.Content ?? "{}"), "scp", String(summary.Id)));
        }
      }
      levels.unshift(level);
      if (target.startsWith("r-")) break;
      const parents = await client.send(new ListParentsCommand({ ChildId: target }));
      trace.record("ListParents", parents);
      target = parents.Parents?.[0]?.Id ?? "";
    }
    return {
      ...(described.Organization?.Id ? { organizationId: described.Organization.Id } : {}),
      scpLevels: levels,
    };
  } catch (error) {
    trace.record(undefined, error);
    return { error: awsErrorCode(error) };
  }
}

/** Role ARN -> task definition families using it as task role or execution role (latest active revision). */
async function ecsRoles(ctx: CollectContext, trace: CallTrace) {
  const roles = new Map<string, { task: string[]; execution: string[] }>();
  const unavailable: { region: string; code: string }[] = [];
  const use = (arn: string | undefined, kind: "task" | "execution", family: string) => {
    if (!arn) return;
    const entry = roles.get(arn) ?? { task: [], execution: [] };
    if (!entry[kind].includes(family)) entry[kind].push(family);
    roles.set(arn, entry);
  };
  for (const region of ctx.regions) {
    const client = ctx.clients.ecs(ctx.account, region);
    try {
      for await (const page of paginateListTaskDefinitionFamilies({ client }, { status: "ACTIVE" })) {
        trace.record("ListTaskDefinitionFamilies", page);
        for (const family of page.families ?? []) {
          const described = await client.send(new DescribeTaskDefinitionCommand({ taskDefinition: family }));
          trace.record("DescribeTaskDefinition", described);
          use(described.taskDefinition?.taskRoleArn, "task", family);
          use(described.taskDefinition?.executionRoleArn, "execution", family);
        }
      }
    } catch (error) {
      trace.record(undefined, error);
      unavailable.push({ region, code: awsErrorCode(error) });
    }
  }
  return { roles, unavailable };
}

/**
 * GetSecretValue events in the period's part of CloudTrail's 90 days, per secret id and principal: from the run's
 * shared read of each region (event-records.ts), over the span every region's read covers.
 */
async function secretReads(ctx: CollectContext, trace: CallTrace) {
  const end = ctx.now().getTime();
  const historyStart = end - EVENT_HISTORY_MS;
  const periodStart = ctx.period ? Date.parse(`${ctx.period.start}T00:00:00Z`) : historyStart;
  const histories: EventHistory<SecretRead>[] = [];
  const unavailable: { region: string; code: string }[] = [];
  for (const region of ctx.regions) {
    const history = await sharedEvents(ctx, region, "GetSecretValue");
    recordPages(trace, history);
    histories.push(history);
    if (history.error === undefined) continue;
    // The reads before the failed page still count, as they did when each collector paged alone.
    trace.record(undefined, history.error);
    unavailable.push({ region, code: awsErrorCode(history.error) });
  }
  const span = coveredSpan({ start: Math.max(historyStart, periodStart), end }, ...histories);
  const reads = new Map<string, Map<string, ReadTally>>();
  const byDay = new Map<string, Map<string, Map<string, ReadTally>>>();
  for (const history of histories) {
    for (const read of eventsWithin(history, span)) {
      const when = Number.isNaN(read.time) ? "" : new Date(read.time).toISOString();
      tallySecretRead(reads, read, when);
      const day = when.slice(0, 10);
      if (!byDay.has(day)) byDay.set(day, new Map());
      tallySecretRead(byDay.get(day) as Map<string, Map<string, ReadTally>>, read, when);
    }
  }
  return { reads, byDay, window: { start: new Date(span.start).toISOString(), end: new Date(span.end).toISOString() }, unavailable };
}
