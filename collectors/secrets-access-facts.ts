// What both secrets-access collectors read: IAM authorization details (iam-authorization-details.ts, re-exported), the
// secrets with their resource policies, and the policies of the keys that encrypt them. Reads only; the judging is in
// the *.judge.ts modules.
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { awsErrorCode, type CallTrace } from "../src/core/trace.js";
import type { CollectContext } from "../src/core/collector.js";
import { mapConcurrent } from "../src/core/concurrency.js";
import { Replay } from "../src/core/replay.js";
import { sharedRead } from "../src/core/shared-reads.js";
import { parsePolicyDocument } from "./iam-evaluation.js";
import { tagsOf } from "./iam-authorization-details.js";
import { sdk } from "../src/core/sdk.js";

const { DescribeKeyCommand, GetKeyPolicyCommand } = sdk("@aws-sdk/client-kms");
const { GetResourcePolicyCommand, paginateListSecrets } = sdk("@aws-sdk/client-secrets-manager");

export { authorizationDetails, sharedAuthorizationDetails, type AuthorizationDetails, type IamPrincipal } from "./iam-authorization-details.js";

/** The calls of authorizationDetails and readSecretsFeed, plus DescribeOrganization (both collectors
 * read the organization): every collector built on these facts declares them. */
export const ACCESS_FACTS_PERMISSIONS = [
  "iam:GetAccountAuthorizationDetails",
  "secretsmanager:ListSecrets",
  "secretsmanager:GetResourcePolicy",
  "kms:DescribeKey",
  "kms:GetKeyPolicy",
  "organizations:DescribeOrganization",
] as const;

/**
 * GetResourcePolicy calls in flight or waiting for their turn, per region: two seconds of its published 50/s
 * (src/aws/quotas.ts), the second its bucket holds and one more. The pacing, not this window, keeps the rate: at 25 ms
 * latency one or two are in flight. The window is for a stall: while the service (or a call ahead of these) answers
 * nothing, calls still go out at the paced rate, so the server's bucket is spent as it refills instead of overflowing,
 * for a second beyond the first second's burst. moto answering one 5,000-role GetAccountAuthorizationDetails holds
 * every call for 1.3 to 2 s (call logs of `npm run bench:access-review -- --keep`); the GetResourcePolicy stream
 * ended 1.36 s later than its quota allows with 8 slots that also waited on the key, 0.56 to 1.05 s with 50 that did
 * not (three runs), and 0.32 and 0.25 s with 100 (two runs).
 */
const RESOURCE_POLICY_CONCURRENCY = 100;

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
 * The account's secrets, each with its resource policy and its key, as they are read. ListSecrets does not say whether
 * a secret has a resource policy, so each needs a GetResourcePolicy: 1,000 secrets take 20 s at its 50/s quota.
 * Readers need not wait for the last one: the access review evaluates each secret as it arrives, on CPU that is idle
 * while the quota paces the calls (it spent 3 s evaluating 1,000 secrets after the last call, CPU profile of
 * `npm run bench:access-review`).
 */
export interface SecretsFeed {
  /** Each secret once its resource policy and its key are read, `keyArn` the key's ARN; every walk sees all. */
  secrets: Replay<SecretAccessEntry>;
  /** Each key in use by ARN, set before the first secret it encrypts is pushed. */
  keys: ReadonlyMap<string, KeyEntry>;
  /** The calls behind each secret and key, set before the secret is pushed. */
  calls: ResourceCalls;
  /** The whole read, once every secret and key is in (rejects as the read failed). */
  done: Promise<SecretsAndKeys>;
}

/**
 * Starts reading every secret in the regions. Regions are read at once: each has its own GetResourcePolicy quota
 * (50/s), so one region after another would take the sum of their times where the slowest alone is needed. A key is
 * read (one DescribeKey and one GetKeyPolicy, PolicyName "default" being the only name) when a secret first names it,
 * beside that secret's GetResourcePolicy, so no key waits for the last secret to be listed.
 */
export function readSecretsFeed(ctx: CollectContext, trace: CallTrace): SecretsFeed {
  const secrets = new Replay<SecretAccessEntry>();
  const keys = new Map<string, KeyEntry>();
  const calls: ResourceCalls = new Map();
  // By region and the id a secret names (alias, key id or ARN), in the order secrets first name them.
  const keyReads = new Map<string, Promise<KeyEntry>>();
  const keyOf = (region: string, keyId: string) => {
    const id = `${region}|${keyId}`;
    let read = keyReads.get(id);
    if (!read) {
      const own = trace.blank();
      read = readKey(ctx, region, keyId, own).then((key) => {
        calls.set(key.arn, own);
        keys.set(key.arn, key);
        return key;
      });
      keyReads.set(id, read);
    }
    return read;
  };
  let failed = false;
  const readRegion = async (region: string) => {
    const client = ctx.clients.secretsManager(ctx.account, region);
    const listed = async function* () {
      for await (const page of paginateListSecrets({ client, pageSize: 100 }, {})) {
        for (const secret of page.SecretList ?? []) yield { secret, own: trace.blank().record("ListSecrets", page) };
      }
    };
    // A slot of the window is held for the GetResourcePolicy alone: a secret whose key is still being read waits for
    // it outside the window, so a slow KMS answer does not hold up Secrets Manager calls.
    const read = mapConcurrent(listed(), RESOURCE_POLICY_CONCURRENCY, async ({ secret, own }) => {
      const base = { arn: String(secret.ARN), name: String(secret.Name), region, keyArn: secret.KmsKeyId ?? "alias/aws/secretsmanager", tags: tagsOf(secret.Tags) };
      calls.set(base.arn, own);
      const key = keyOf(region, base.keyArn);
      return { entry: await withResourcePolicy(client, base, own), key };
    });
    let pushed = Promise.resolve();
    for await (const { entry, key } of read) {
      if (failed) return;
      pushed = pushed.then(async () => {
        const { arn } = await key;
        if (!failed) secrets.push({ ...entry, keyArn: arn });
      });
    }
    await pushed;
  };
  const done = Promise.all(ctx.regions.map(readRegion)).then(
    async () => {
      secrets.end();
      const ordered = new Map<string, KeyEntry>();
      for (const read of keyReads.values()) {
        const key = await read;
        ordered.set(key.arn, key);
      }
      return { secrets: await secrets.all(), keys: ordered, calls };
    },
    (error: unknown) => {
      failed = true;
      secrets.fail(error);
      throw error;
    },
  );
  // A reader that only walks `secrets` hears the failure there; `done` must not also crash the process unheard.
  done.catch(() => undefined);
  return { secrets, keys, calls, done };
}

async function withResourcePolicy(client: SecretsManagerClient, base: SecretAccessEntry, own: CallTrace): Promise<SecretAccessEntry> {
  try {
    const policy = await client.send(new GetResourcePolicyCommand({ SecretId: base.arn }));
    own.record("GetResourcePolicy", policy);
    return policy.ResourcePolicy ? { ...base, resourcePolicy: parsePolicyDocument(policy.ResourcePolicy) } : base;
  } catch (error) {
    own.record("GetResourcePolicy", error);
    return { ...base, resourcePolicyError: awsErrorCode(error) };
  }
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
  /** In the order the secrets first name them. */
  keys: Map<string, KeyEntry>;
  /** The calls behind each secret and key; an item's source adds them to the account-wide calls (sourceWith). */
  calls: ResourceCalls;
}

/**
 * What both secrets-access collectors read after the IAM details (iam-authorization-details.ts), made once per run: the
 * account's secrets with their resource policies and keys (GetResourcePolicy, one call per secret, is the run's slowest
 * bucket), as a feed every caller walks. An item names its own calls (calls by ARN), not the feed's.
 */
export const sharedSecretsFeed = (ctx: CollectContext, trace: CallTrace): Promise<SecretsFeed> =>
  sharedRead(ctx, "secretsmanager:secrets-with-policies", trace, async (listing) => readSecretsFeed(ctx, listing));

/** An item's source: the account-wide calls of `trace` and the calls behind each named resource. */
export function sourceWith(trace: CallTrace, calls: ResourceCalls, ...arns: string[]) {
  const own = trace.fork();
  for (const arn of arns) {
    const behind = calls.get(arn);
    if (behind) own.absorb(behind);
  }
  return own.source();
}
