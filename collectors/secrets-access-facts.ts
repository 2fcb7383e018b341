// What both secrets-access collectors read: IAM authorization details (iam-authorization-details.ts, re-exported), the
// secrets with their resource policies, and the policies of the keys that encrypt them. Reads only; the judging is in
// the *.judge.ts modules.
import { DescribeKeyCommand, GetKeyPolicyCommand } from "@aws-sdk/client-kms";
import { GetResourcePolicyCommand, paginateListSecrets } from "@aws-sdk/client-secrets-manager";
import { awsErrorCode, type CallTrace } from "../src/core/trace.js";
import type { CollectContext } from "../src/core/collector.js";
import { mapConcurrent, runConcurrent } from "../src/core/concurrency.js";
import { sharedRead } from "../src/core/shared-reads.js";
import { parsePolicyDocument } from "./iam-evaluation.js";
import { tagsOf } from "./iam-authorization-details.js";

export { authorizationDetails, sharedAuthorizationDetails, type AuthorizationDetails, type IamPrincipal } from "./iam-authorization-details.js";

/** The calls of authorizationDetails, secretsWithPolicies and keysInUse, plus DescribeOrganization (both collectors
 * read the organization): every collector built on these facts declares them. */
export const ACCESS_FACTS_PERMISSIONS = [
  "iam:GetAccountAuthorizationDetails",
  "secretsmanager:ListSecrets",
  "secretsmanager:GetResourcePolicy",
  "kms:DescribeKey",
  "kms:GetKeyPolicy",
  "organizations:DescribeOrganization",
] as const;

/** GetResourcePolicy shares 50 RPS with Put/Delete/ValidateResourcePolicy (src/aws/quotas.ts): stay well under. */
const RESOURCE_POLICY_CONCURRENCY = 8;
const KEY_CONCURRENCY = 8;

export interface SecretAccessEntry {
  arn: string;
  name: string;
  region: string;
  /** The key ARN that encrypts it (DescribeKey resolves an alias or a key ID), or the alias when that failed. */
  keyArn: string;
  tags: Record<string, string>;
  resourcePolicy?: unknown;
  resourcePolicyError?: string;
}

export interface KeyEntry {
  arn: string;
  region: string;
  manager?: string;
  policy?: unknown;
  policyError?: string;
}

/**
 * The calls behind one resource of a shared read, by ARN: a secret's ListSecrets page and GetResourcePolicy, a key's
 * DescribeKey and GetKeyPolicy. Kept apart from the read's trace so that an item names its own calls, not the calls
 * behind every other resource of the account (thousands of request ids on each of thousands of items).
 */
export type ResourceCalls = Map<string, CallTrace>;

/**
 * Every secret in the regions, with its resource policy: ListSecrets does not say whether one exists, so one call each.
 * Regions are read at once: each has its own GetResourcePolicy quota (50/s), so one region after another would take
 * the sum of their times where the slowest alone is needed. The result keeps the order of ctx.regions.
 */
export async function secretsWithPolicies(ctx: CollectContext, trace: CallTrace, calls: ResourceCalls = new Map()): Promise<SecretAccessEntry[]> {
  const byRegion = await Promise.all(ctx.regions.map(async (region) => {
    const found: SecretAccessEntry[] = [];
    const client = ctx.clients.secretsManager(ctx.account, region);
    const listed = async function* () {
      for await (const page of paginateListSecrets({ client, pageSize: 100 }, {})) {
        for (const secret of page.SecretList ?? []) yield { secret, own: trace.blank().record("ListSecrets", page) };
      }
    };
    for await (const entry of mapConcurrent(listed(), RESOURCE_POLICY_CONCURRENCY, async ({ secret, own }): Promise<SecretAccessEntry> => {
      const base = { arn: String(secret.ARN), name: String(secret.Name), region, keyArn: secret.KmsKeyId ?? "alias/aws/secretsmanager", tags: tagsOf(secret.Tags) };
      calls.set(base.arn, own);
      try {
        const policy = await client.send(new GetResourcePolicyCommand({ SecretId: base.arn }));
        own.record("GetResourcePolicy", policy);
        return policy.ResourcePolicy ? { ...base, resourcePolicy: parsePolicyDocument(policy.ResourcePolicy) } : base;
      } catch (error) {
        own.record("GetResourcePolicy", error);
        return { ...base, resourcePolicyError: awsErrorCode(error) };
      }
    })) {
      found.push(entry);
    }
    return found;
  }));
  return byRegion.flat();
}

/**
 * One DescribeKey and one GetKeyPolicy per distinct key in use (PolicyName "default" is the only name), several keys
 * at once: one after another, 20 keys cost 40 round trips after the last secret was listed.
 */
export async function keysInUse(ctx: CollectContext, secrets: SecretAccessEntry[], trace: CallTrace, calls: ResourceCalls = new Map()): Promise<Map<string, KeyEntry>> {
  const ids = new Map<string, { region: string; keyArn: string }>();
  for (const secret of secrets) ids.set(`${secret.region}|${secret.keyArn}`, { region: secret.region, keyArn: secret.keyArn });
  const byId = new Map<string, KeyEntry>();
  await runConcurrent([...ids], KEY_CONCURRENCY, async ([id, { region, keyArn }]) => {
    const own = trace.blank();
    const key = await readKey(ctx, region, keyArn, own);
    calls.set(key.arn, own);
    byId.set(id, key);
  });
  // In the order the secrets first name them, as when they were read one by one.
  const keys = new Map<string, KeyEntry>();
  for (const id of ids.keys()) {
    const key = byId.get(id) as KeyEntry;
    keys.set(key.arn, key);
  }
  for (const secret of secrets) secret.keyArn = (byId.get(`${secret.region}|${secret.keyArn}`) as KeyEntry).arn;
  return keys;
}

async function readKey(ctx: CollectContext, region: string, keyId: string, trace: CallTrace): Promise<KeyEntry> {
  const client = ctx.clients.kms(ctx.account, region);
  try {
    const described = await client.send(new DescribeKeyCommand({ KeyId: keyId }));
    trace.record("DescribeKey", described);
    const arn = String(described.KeyMetadata?.Arn);
    const entry: KeyEntry = { arn, region, ...(described.KeyMetadata?.KeyManager ? { manager: described.KeyMetadata.KeyManager } : {}) };
    try {
      const policy = await client.send(new GetKeyPolicyCommand({ KeyId: arn, PolicyName: "default" }));
      trace.record("GetKeyPolicy", policy);
      return { ...entry, policy: parsePolicyDocument(policy.Policy) };
    } catch (error) {
      trace.record("GetKeyPolicy", error);
      return { ...entry, policyError: awsErrorCode(error) };
    }
  } catch (error) {
    trace.record("DescribeKey", error);
    return { arn: keyId, region, policyError: awsErrorCode(error) };
  }
}

export interface SecretsAndKeys {
  secrets: SecretAccessEntry[];
  keys: Map<string, KeyEntry>;
  /** The calls behind each secret and key; an item's source adds them to the account-wide calls (sourceWith). */
  calls: ResourceCalls;
}

/**
 * What both secrets-access collectors read after the IAM details (iam-authorization-details.ts), made once per run: the
 * account's secrets with their resource policies and keys (GetResourcePolicy, one call per secret, is the run's slowest
 * bucket). Each caller's trace gets the calls behind the answer.
 */
export const sharedSecretsAndKeys = (ctx: CollectContext, trace: CallTrace): Promise<SecretsAndKeys> =>
  sharedRead(ctx, "secretsmanager:secrets-with-policies", trace, async (listing) => {
    const calls: ResourceCalls = new Map();
    const secrets = await secretsWithPolicies(ctx, listing, calls);
    return { secrets, keys: await keysInUse(ctx, secrets, listing, calls), calls };
  });

/** An item's source: the account-wide calls of `trace` and the calls behind each named resource. */
export function sourceWith(trace: CallTrace, calls: ResourceCalls, ...arns: string[]) {
  const own = trace.fork();
  for (const arn of arns) {
    const behind = calls.get(arn);
    if (behind) own.absorb(behind);
  }
  return own.source();
}
