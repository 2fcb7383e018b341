// Passes a customer-managed symmetric KMS key whose automatic rotation is on, within policy, and actually happening.
// Minimum calls for K keys in a region, R of them rotatable (customer-managed, enabled, symmetric, KMS material):
// ceil(A / 100) ListAliases pages (A aliases: which keys are AWS managed), ceil(K / 1000) ListKeys pages, K DescribeKey
// (ListKeys gives only ids; manager, spec, state and origin decide whether the rule applies), and per rotatable key one
// GetKeyRotationStatus (on, period, next date) and one ListKeyRotations page (the rotation dates the period verdict
// judges; nothing else lists them). Any other key (AWS managed, disabled, pending deletion, asymmetric, HMAC,
// imported or custom-store material) costs DescribeKey only.
// Source: https://docs.aws.amazon.com/kms/latest/APIReference/API_ListKeyRotations.html
import type { KeyMetadata } from "@aws-sdk/client-kms";
import { errorItem } from "../src/core/evidence.js";
import { CallTrace } from "../src/core/trace.js";
import { defineCollector, type CollectContext } from "../src/core/collector.js";
import { mapConcurrent } from "../src/core/concurrency.js";
import type { ItemDraft } from "../src/core/model.js";
import { judgeKey, judgeKeyPeriod, keyFacts, type KeyFacts } from "./kms-key-rotation.judge.js";
import { sdk } from "../src/core/sdk.js";

const { DescribeKeyCommand, GetKeyRotationStatusCommand, paginateListAliases, paginateListKeyRotations, paginateListKeys } = sdk("@aws-sdk/client-kms");

const PER_KEY_CONCURRENCY = 16;

const params = {
  maxRotationPeriodDays: {
    type: "integer",
    default: 365,
    min: 90,
    max: 2560,
    description: "Longest automatic rotation period allowed (AWS allows 90-2560 days).",
  },
  graceDays: {
    type: "integer",
    default: 7,
    min: 0,
    max: 90,
    description: "Days a scheduled rotation may be late before the key fails as not rotating.",
  },
} as const;

export default defineCollector({
  id: "kms-key-rotation",
  title: "KMS customer-managed keys rotate automatically",
  docsUrl: "https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html",
  criteria: ["CC6.1"],
  service: "kms",
  scope: "region",
  permissions: [
    "kms:ListKeys",
    "kms:ListAliases",
    "kms:DescribeKey",
    "kms:GetKeyRotationStatus",
    "kms:ListKeyRotations",
  ],
  params,
  async *collect(ctx, { maxRotationPeriodDays, graceDays }) {
    const client = ctx.clients.kms(ctx.account, ctx.region);
    const listing = new CallTrace("kms", ctx.now);
    const awsManaged = new Set<string>();
    for await (const page of paginateListAliases({ client, pageSize: 100 }, {})) {
      listing.record("ListAliases", page);
      for (const alias of page.Aliases ?? []) {
        if (alias.AliasName?.startsWith("alias/aws/") && alias.TargetKeyId) awsManaged.add(alias.TargetKeyId);
      }
    }
    const keys = async function* () {
      for await (const page of paginateListKeys({ client, pageSize: 1000 }, {})) {
        listing.record("ListKeys", page);
        yield* page.Keys ?? [];
      }
    };
    const expected = { maxRotationPeriodDays, graceDays };
    yield* mapConcurrent(keys(), PER_KEY_CONCURRENCY, async (key): Promise<ItemDraft> => {
      const trace = listing.fork();
      const resource = { arn: key.KeyArn ?? String(key.KeyId), type: "AWS::KMS::Key", name: String(key.KeyId) };
      try {
        const described = await client.send(new DescribeKeyCommand({ KeyId: key.KeyId }));
        trace.record("DescribeKey", described);
        const metadata = described.KeyMetadata as KeyMetadata;
        const facts = await rotationFacts(ctx, metadata, awsManaged.has(String(key.KeyId)), trace);
        const verdict = judgeKey(facts, expected, ctx.now());
        return { resource, ...verdict, observed: { ...facts }, expected, source: trace.source() };
      } catch (error) {
        return errorItem(resource, error, trace, expected);
      }
    });
  },
  period: {
    dates: (item) => (Array.isArray(item.observed.rotations) ? (item.observed.rotations as string[]) : []),
    judge: (history, period, through, { maxRotationPeriodDays, graceDays }) =>
      judgeKeyPeriod(history, period, through, { maxRotationPeriodDays, graceDays }),
  },
});

async function rotationFacts(
  ctx: CollectContext,
  metadata: KeyMetadata,
  awsManagedAlias: boolean,
  trace: CallTrace,
): Promise<KeyFacts> {
  const facts = keyFacts(metadata, awsManagedAlias);
  if (facts.scope !== "rotatable") return facts;
  // A replica's rotation is the primary's: read it where the primary lives.
  const primary = facts.primaryArn && facts.primaryRegion ? facts.primaryRegion : ctx.region;
  const client = ctx.clients.kms(ctx.account, primary);
  const keyId = facts.primaryArn ?? facts.arn;
  const status = await client.send(new GetKeyRotationStatusCommand({ KeyId: keyId }));
  trace.record("GetKeyRotationStatus", status);
  facts.rotationEnabled = status.KeyRotationEnabled ?? false;
  facts.rotationPeriodInDays = status.RotationPeriodInDays;
  facts.nextRotationDate = status.NextRotationDate?.toISOString();
  const rotations: string[] = [];
  for await (const page of paginateListKeyRotations({ client, pageSize: 1000 }, { KeyId: keyId })) {
    trace.record("ListKeyRotations", page);
    for (const rotation of page.Rotations ?? []) {
      if (rotation.RotationDate) rotations.push(rotation.RotationDate.toISOString());
    }
  }
  facts.rotations = rotations.sort();
  return facts;
}
