// Passes a region with an alert on unexpected GetSecretValue calls and a redeploy wired to rotation success.
// Minimum calls for a region: ListEventBuses pages, then per bus ListRules pages and ListTargetsByRule pages per rule
// (the target decides whether a rule alerts or redeploys).
// Every bus that can receive AWS events is read: AWS services send their events to the default bus (EventBridge User
// Guide, https://docs.aws.amazon.com/eventbridge/latest/userguide/event-types.html), and rules on the default or a custom
// bus can take CloudTrail's management events, read-only ones such as GetSecretValue only in state
// ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail-management.html).
// A rule that forwards them to a bus in another account (often a central security account's) counts as alerting, and
// the evidence says that bus's rules are not seen.
import { defineCollector, type CollectContext } from "../src/core/collector.js";
import { errorItem } from "../src/core/evidence.js";
import { CallTrace } from "../src/core/trace.js";
import { EVENTBRIDGE_RULE_PERMISSIONS, rulesWithTargets } from "./eventbridge-rules.js";
import { accessObserved, judgeAccessAlerting, judgeRotationRedeploy, ruleCandidate, type RuleCandidate } from "./secrets-monitoring.judge.js";
import { sdk } from "../src/core/sdk.js";

const { ListEventBusesCommand } = sdk("@aws-sdk/client-eventbridge");

const BUS = "AWS::Events::EventBus";

const params = {
  expectedRegions: { type: "string[]", default: [], description: "Regions secrets are read from; empty means the region itself." },
  anomalyFields: {
    type: "string[]",
    default: ["detail.sourceIPAddress", "detail.userIdentity.arn", "detail.userIdentity.principalId", "detail.vpcEndpointId"],
    description: "Pattern fields (dotted paths) that make a GetSecretValue rule an anomaly alert without a region filter.",
  },
  alertTargetServices: { type: "string[]", default: ["sns", "lambda", "sqs", "states", "events"], description: "Target services that count as alerting." },
  redeployTargetServices: { type: "string[]", default: ["lambda", "states", "ecs"], description: "Target services that can force a new ECS deployment." },
} as const;

export default defineCollector({
  id: "secrets-monitoring",
  title: "EventBridge alerts on unexpected secret reads and redeploys services when a secret rotates",
  docsUrl: "https://docs.aws.amazon.com/secretsmanager/latest/userguide/monitoring-eventbridge.html",
  criteria: ["CC7.2", "CC7.3"],
  service: "events",
  scope: "region",
  permissions: ["events:ListEventBuses", ...EVENTBRIDGE_RULE_PERMISSIONS],
  params,
  async *collect(ctx, values) {
    const trace = new CallTrace("events", ctx.now);
    const bus = `arn:${ctx.partition}:events:${ctx.region}:${ctx.account}:event-bus/default`;
    const access = { arn: `${bus}#access-alerting`, type: BUS, name: "GetSecretValue alerting" };
    const redeploy = { arn: `${bus}#rotation-redeploy`, type: BUS, name: "RotationSucceeded redeploy" };
    const candidates: RuleCandidate[] = [];
    try {
      for (const name of await eventBuses(ctx, trace)) {
        for await (const { rule, targets } of rulesWithTargets(ctx, trace, name === "default" ? undefined : name)) candidates.push(ruleCandidate(rule, targets));
      }
    } catch (error) {
      yield errorItem(access, error, trace.fork(), { ...values });
      yield errorItem(redeploy, error, trace.fork(), { ...values });
      return;
    }
    const source = trace.source();
    const alerting = judgeAccessAlerting(candidates, values, ctx.region);
    yield { resource: access, ...alerting.verdict, observed: accessObserved(alerting), expected: { expectedRegions: values.expectedRegions, anomalyFields: values.anomalyFields, alertTargetServices: values.alertTargetServices }, source };
    const rotation = judgeRotationRedeploy(candidates, values, ctx.region);
    yield { resource: redeploy, ...rotation.verdict, observed: { rulesJudged: rotation.rules.length, rules: rotation.rules }, expected: { redeployTargetServices: values.redeployTargetServices }, source };
  },
});

/**
 * The region's event buses that can receive AWS events: the default bus and custom buses (rules on either may take
 * CloudTrail's management events, EventBridge User Guide, eb-service-event-cloudtrail-management.html); partner buses
 * (`aws.partner/...`) receive no AWS events and are left out. ListEventBuses, paged by NextToken.
 */
async function eventBuses(ctx: CollectContext, trace: CallTrace): Promise<string[]> {
  const client = ctx.clients.eventBridge(ctx.account, ctx.region);
  const names: string[] = [];
  let next: string | undefined;
  do {
    const page = await client.send(new ListEventBusesCommand({ Limit: 100, ...(next ? { NextToken: next } : {}) }));
    trace.record("ListEventBuses", page);
    for (const bus of page.EventBuses ?? []) if (bus.Name && !bus.Name.startsWith("aws.partner/")) names.push(bus.Name);
    next = page.NextToken;
  } while (next);
  return names.includes("default") ? names : ["default", ...names];
}

