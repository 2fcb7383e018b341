// Passes a region with an alert on unexpected GetSecretValue calls and a redeploy wired to rotation success.
// Minimum calls for a region: ListRules pages on the default bus, and ListTargetsByRule pages per rule (the target
// decides whether a rule alerts or redeploys).
// Only the default bus is read, which is where these events arrive: CloudTrail sends "AWS API Call via CloudTrail" and
// "AWS Service Event via CloudTrail" events to the default event bus, and an AWS service's events go to the account's
// default bus (EventBridge User Guide, https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html
// and https://docs.aws.amazon.com/eventbridge/latest/userguide/event-types.html). A rule that forwards them to another
// bus (often a central security account's) counts as alerting, and the evidence says that bus's rules are not seen.
import { defineCollector } from "../src/core/collector.js";
import { errorItem } from "../src/core/evidence.js";
import { CallTrace } from "../src/core/trace.js";
import { EVENTBRIDGE_RULE_PERMISSIONS, rulesWithTargets } from "./eventbridge-rules.js";
import { accessObserved, judgeAccessAlerting, judgeRotationRedeploy, ruleCandidate, type RuleCandidate } from "./secrets-monitoring.judge.js";

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
  permissions: [...EVENTBRIDGE_RULE_PERMISSIONS],
  params,
  async *collect(ctx, values) {
    const trace = new CallTrace("events", ctx.now);
    const bus = `arn:${ctx.partition}:events:${ctx.region}:${ctx.account}:event-bus/default`;
    const access = { arn: `${bus}#access-alerting`, type: BUS, name: "GetSecretValue alerting" };
    const redeploy = { arn: `${bus}#rotation-redeploy`, type: BUS, name: "RotationSucceeded redeploy" };
    const candidates: RuleCandidate[] = [];
    try {
      for await (const { rule, targets } of rulesWithTargets(ctx, trace)) candidates.push(ruleCandidate(rule, targets));
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
