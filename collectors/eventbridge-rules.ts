// EventBridge rules of one region with their targets: ListRules and ListTargetsByRule, paged (the SDK has no paginator).
import type { Rule, Target } from "@aws-sdk/client-eventbridge";
import type { CollectContext } from "../src/core/collector.js";
import type { CallTrace } from "../src/core/trace.js";
import { sdk } from "../src/core/sdk.js";

const { ListRulesCommand, ListTargetsByRuleCommand } = sdk("@aws-sdk/client-eventbridge");

/** The IAM actions `rulesWithTargets` sends: every collector that calls it declares them. */
export const EVENTBRIDGE_RULE_PERMISSIONS = ["events:ListRules", "events:ListTargetsByRule"] as const;

export interface RuleWithTargets {
  rule: Rule;
  targets: Target[];
}

/** Rules on one event bus (the default bus unless named), each with every target. */
export async function* rulesWithTargets(ctx: CollectContext, trace: CallTrace, bus?: string): AsyncGenerator<RuleWithTargets> {
  const client = ctx.clients.eventBridge(ctx.account, ctx.region);
  const onBus = bus ? { EventBusName: bus } : {};
  let next: string | undefined;
  do {
    const page = await client.send(new ListRulesCommand({ Limit: 100, ...onBus, ...(next ? { NextToken: next } : {}) }));
    trace.record("ListRules", page);
    for (const rule of page.Rules ?? []) {
      const targets: Target[] = [];
      let targetsNext: string | undefined;
      do {
        const targetPage = await client.send(
          new ListTargetsByRuleCommand({ Rule: rule.Name, Limit: 100, ...onBus, ...(targetsNext ? { NextToken: targetsNext } : {}) }),
        );
        trace.record("ListTargetsByRule", targetPage);
        targets.push(...(targetPage.Targets ?? []));
        targetsNext = targetPage.NextToken;
      } while (targetsNext);
      yield { rule, targets };
    }
    next = page.NextToken;
  } while (next);
}
