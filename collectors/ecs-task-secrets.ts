// Passes a task definition revision in use whose credentials come through `secrets`, read by the execution role.
// Minimum calls for a region: ListClusters pages, per cluster ListServices pages and ceil(S / 10) DescribeServices,
// ListRules pages and ListTargetsByRule per rule (scheduled tasks), ListTaskDefinitionFamilies pages, and one
// DescribeTaskDefinition per revision in use (the containers' environment and secrets are only there); when a revision
// injects a Secrets Manager secret through a role, ceil(N / 1000) GetAccountAuthorizationDetails pages for the account
// (N roles, users, groups and policies), read once per run and shared with secrets-access-policy and -review
// (src/core/shared-reads.ts), to evaluate which role may read each secret.
import type { TaskDefinition } from "@aws-sdk/client-ecs";
import { defineCollector, type CollectContext } from "../src/core/collector.js";
import { mapConcurrent } from "../src/core/concurrency.js";
import { errorItem } from "../src/core/evidence.js";
import { CallTrace, awsErrorCode } from "../src/core/trace.js";
import { DEFAULT_ALLOW, DEFAULT_NAME_PATTERNS, PatternError, patternSet } from "./credential-patterns.js";
import { EVENTBRIDGE_RULE_PERMISSIONS, rulesWithTargets } from "./eventbridge-rules.js";
import { needsRoles, roleGrantsOf, roleIndex, type RoleGrants, type RoleIndex } from "./ecs-task-roles.js";
import { sharedAuthorizationDetails } from "./iam-authorization-details.js";
import { judgeTaskDefinition, judgeTaskDefinitionPeriod, observedTaskDefinition, plaintextDates, taskDefinitionFacts } from "./ecs-task-secrets.judge.js";
import { sdk } from "../src/core/sdk.js";

const { DescribeServicesCommand, DescribeTaskDefinitionCommand, paginateListClusters, paginateListServices, paginateListTaskDefinitionFamilies } = sdk("@aws-sdk/client-ecs");

const PER_DEFINITION_CONCURRENCY = 8;
const TASK_DEFINITION = "AWS::ECS::TaskDefinition";
/** DescribeServices takes at most 10 services per call (ECS API reference). */
const SERVICES_PER_CALL = 10;

const params = {
  namePatterns: {
    type: "string[]",
    default: DEFAULT_NAME_PATTERNS,
    description: "Variable names that hold credentials (globs, case-insensitive, * any characters).",
  },
  allow: {
    type: "string[]",
    default: DEFAULT_ALLOW,
    description: "NAME=value globs that are settings, not credentials (MYSQL_ALLOW_EMPTY_PASSWORD=*).",
  },
} as const;

export default defineCollector({
  id: "ecs-task-secrets",
  title: "ECS task definitions in use inject credentials through secrets, never plaintext environment",
  docsUrl: "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/specifying-sensitive-data.html",
  criteria: ["CC6.1"],
  service: "ecs",
  scope: "region",
  permissions: [
    "ecs:ListClusters",
    "ecs:ListServices",
    "ecs:DescribeServices",
    "ecs:ListTaskDefinitionFamilies",
    "ecs:DescribeTaskDefinition",
    ...EVENTBRIDGE_RULE_PERMISSIONS,
    "iam:GetAccountAuthorizationDetails",
  ],
  params,
  async *collect(ctx, { namePatterns, allow }) {
    const expected = { namePatterns, allow, secretsFrom: ["secretsmanager", "ssm"], readBy: "executionRole" };
    const listing = new CallTrace("ecs", ctx.now);
    let patterns;
    try {
      patterns = patternSet(namePatterns, allow);
    } catch (error) {
      if (!(error instanceof PatternError)) throw error;
      const resource = { arn: `arn:${ctx.partition}:ecs:${ctx.region}:${ctx.account}:task-definition/*`, type: TASK_DEFINITION, name: "configuration" };
      yield { resource, status: "error", reason: `invalid parameter: ${error.message}`, observed: {}, expected, source: listing.source() };
      return;
    }
    const inUse = await definitionsInUse(ctx, listing);
    // "api:2", "api" (latest ACTIVE) and the full ARN may name one revision: described first, then merged by ARN.
    const resolved = new Map<string, { definition: TaskDefinition; usedBy: Set<string>; trace: CallTrace }>();
    const client = ctx.clients.ecs(ctx.account, ctx.region);
    for await (const outcome of mapConcurrent(inUse.entries(), PER_DEFINITION_CONCURRENCY, async ([reference, usedBy]) => {
      const trace = listing.fork();
      try {
        const described = await client.send(new DescribeTaskDefinitionCommand({ taskDefinition: reference }));
        trace.record("DescribeTaskDefinition", described);
        return { reference, usedBy, trace, definition: described.taskDefinition ?? {} };
      } catch (error) {
        return { reference, usedBy, trace, error };
      }
    })) {
      if ("error" in outcome) {
        const resource = { arn: outcome.reference, type: TASK_DEFINITION, name: outcome.reference.split("/").at(-1) ?? outcome.reference };
        yield errorItem(resource, outcome.error, outcome.trace, expected);
        continue;
      }
      const arn = String(outcome.definition.taskDefinitionArn);
      const seen = resolved.get(arn);
      if (seen) for (const use of outcome.usedBy) seen.usedBy.add(use);
      else resolved.set(arn, { definition: outcome.definition, usedBy: new Set(outcome.usedBy), trace: outcome.trace });
    }
    const judged = [...resolved].map(([arn, { definition, usedBy, trace }]) => ({ arn, trace, facts: taskDefinitionFacts(definition, [...usedBy], patterns) }));
    const iam = judged.some(({ facts }) => needsRoles(facts)) ? await rolesOf(ctx, listing.blank()) : undefined;
    for (const { arn, trace, facts } of judged) {
      const resource = { arn, type: TASK_DEFINITION, name: `${facts.family}:${facts.revision}` };
      let grants: RoleGrants | undefined;
      if (iam && needsRoles(facts)) {
        trace.absorb(iam.trace);
        grants = "index" in iam ? roleGrantsOf(facts, iam.index) : { notEvaluated: iam.notEvaluated };
      }
      yield { resource, ...judgeTaskDefinition(facts, grants), observed: observedTaskDefinition(facts, grants), expected, source: trace.source() };
    }
  },
  period: { dates: plaintextDates, judge: judgeTaskDefinitionPeriod },
});

/** The account's roles from the run's shared IAM read; where it fails, why (the verdicts then claim nothing about roles). */
async function rolesOf(ctx: CollectContext, trace: CallTrace): Promise<{ trace: CallTrace } & ({ index: RoleIndex } | { notEvaluated: string })> {
  let details: Awaited<ReturnType<typeof sharedAuthorizationDetails>>;
  try {
    details = await sharedAuthorizationDetails(ctx, trace);
  } catch (error) {
    trace.record("GetAccountAuthorizationDetails", error);
    ctx.log.warn("ecs-task-secrets.iam-unavailable", { code: awsErrorCode(error) });
    return { trace, notEvaluated: `iam:GetAccountAuthorizationDetails failed (${awsErrorCode(error)})` };
  }
  // Outside the try: a fault in the index is the tool's, and must fail the run, not read as "IAM not evaluated".
  return { trace, index: roleIndex(details, ctx.account) };
}

/** Revisions in use, by the reference that names them: services' deployments, scheduled rules' ECS targets, and each family's latest ACTIVE revision. */
async function definitionsInUse(ctx: CollectContext, listing: CallTrace): Promise<Map<string, Set<string>>> {
  const client = ctx.clients.ecs(ctx.account, ctx.region);
  const inUse = new Map<string, Set<string>>();
  const use = (reference: string | undefined, by: string) => {
    if (!reference) return;
    const uses = inUse.get(reference) ?? new Set<string>();
    uses.add(by);
    inUse.set(reference, uses);
  };
  for await (const clusters of paginateListClusters({ client, pageSize: 100 }, {})) {
    listing.record("ListClusters", clusters);
    for (const cluster of clusters.clusterArns ?? []) {
      for await (const services of paginateListServices({ client, pageSize: 100 }, { cluster })) {
        listing.record("ListServices", services);
        const arns = services.serviceArns ?? [];
        for (let at = 0; at < arns.length; at += SERVICES_PER_CALL) {
          const described = await client.send(new DescribeServicesCommand({ cluster, services: arns.slice(at, at + SERVICES_PER_CALL) }));
          listing.record("DescribeServices", described);
          for (const service of described.services ?? []) {
            const by = `service:${service.serviceArn}`;
            use(service.taskDefinition, by);
            for (const deployment of service.deployments ?? []) use(deployment.taskDefinition, by);
          }
        }
      }
    }
  }
  // Scheduled tasks: an EventBridge rule whose target runs a task definition.
  for await (const { rule, targets } of rulesWithTargets(ctx, listing)) {
    for (const target of targets) use(target.EcsParameters?.TaskDefinitionArn, `rule:${rule.Arn}`);
  }
  // A family name alone describes its latest ACTIVE revision (DescribeTaskDefinition API reference).
  for await (const page of paginateListTaskDefinitionFamilies({ client, pageSize: 100 }, { status: "ACTIVE" })) {
    listing.record("ListTaskDefinitionFamilies", page);
    for (const family of page.families ?? []) use(family, "latest-active");
  }
  return inUse;
}
