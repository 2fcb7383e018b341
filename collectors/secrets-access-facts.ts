// What both secrets-access collectors read: IAM authorization details, the secrets with their resource policies,
// and the policies of the keys that encrypt them. Reads only; the judging is in the *.judge.ts modules.
import { paginateGetAccountAuthorizationDetails, type ManagedPolicyDetail } from "@aws-sdk/client-iam";
import { DescribeKeyCommand, GetKeyPolicyCommand } from "@aws-sdk/client-kms";
import { GetResourcePolicyCommand, paginateListSecrets } from "@aws-sdk/client-secrets-manager";
import { awsErrorCode, type CallTrace } from "../src/core/trace.js";
import type { CollectContext } from "../src/core/collector.js";
import { mapConcurrent } from "../src/core/concurrency.js";
import { sharedRead } from "../src/core/shared-reads.js";
import { parsePolicyDocument } from "./iam-evaluation.js";

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

export interface IamPrincipal {
  arn: string;
  type: "role" | "user";
  name: string;
  /** Identity policy ids: managed policy ARNs, and `<principal or group ARN>#<inline name>`. */
  policies: string[];
  boundary?: string;
  groups: string[];
  tags: Record<string, string>;
}

export interface AuthorizationDetails {
  principals: IamPrincipal[];
  /** Policy id -> document, for every identity policy and boundary a principal uses. */
  documents: Map<string, unknown>;
  /** Customer-managed and inline policy ids (the ones secrets-access-policy judges; AWS managed ones are AWS's). */
  customerPolicies: string[];
  /** Group ARN by name. */
  groups: Map<string, string>;
}

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

const tagsOf = (tags: { Key?: string; Value?: string }[] | undefined): Record<string, string> =>
  Object.fromEntries((tags ?? []).map((tag) => [String(tag.Key), String(tag.Value ?? "")]));

const defaultVersion = (policy: ManagedPolicyDetail): unknown =>
  parsePolicyDocument(policy.PolicyVersionList?.find((version) => version.IsDefaultVersion)?.Document);

/** GetAccountAuthorizationDetails, paged; group membership comes from each user's GroupList. */
export async function authorizationDetails(ctx: CollectContext, trace: CallTrace): Promise<AuthorizationDetails> {
  const client = ctx.clients.iam(ctx.account, ctx.region);
  const documents = new Map<string, unknown>();
  const customerPolicies: string[] = [];
  const principals: IamPrincipal[] = [];
  const groups = new Map<string, { arn: string; policies: string[] }>();
  const users: { arn: string; name: string; policies: string[]; boundary?: string; groups: string[]; tags: Record<string, string> }[] = [];
  const inline = (owner: string, list: { PolicyName?: string; PolicyDocument?: string }[] | undefined) =>
    (list ?? []).map((entry) => {
      const id = `${owner}#${entry.PolicyName}`;
      documents.set(id, parsePolicyDocument(entry.PolicyDocument));
      customerPolicies.push(id);
      return id;
    });
  const filter = ["Role", "User", "Group", "LocalManagedPolicy", "AWSManagedPolicy"] as const;
  for await (const page of paginateGetAccountAuthorizationDetails({ client, pageSize: 1000 }, { Filter: [...filter] })) {
    trace.record("GetAccountAuthorizationDetails", page);
    for (const policy of page.Policies ?? []) {
      const arn = String(policy.Arn);
      const customer = !arn.includes(":iam::aws:policy/");
      // Unattached AWS managed policies (about 1,400) grant nobody anything: not kept.
      if (!customer && !policy.AttachmentCount) continue;
      documents.set(arn, defaultVersion(policy));
      if (customer) customerPolicies.push(arn);
    }
    for (const role of page.RoleDetailList ?? []) {
      const arn = String(role.Arn);
      const policies = [...inline(arn, role.RolePolicyList), ...(role.AttachedManagedPolicies ?? []).map((entry) => String(entry.PolicyArn))];
      const boundary = role.PermissionsBoundary?.PermissionsBoundaryArn;
      principals.push({ arn, type: "role", name: String(role.RoleName), policies, ...(boundary ? { boundary } : {}), groups: [], tags: tagsOf(role.Tags) });
    }
    for (const group of page.GroupDetailList ?? []) {
      const arn = String(group.Arn);
      groups.set(String(group.GroupName), { arn, policies: [...inline(arn, group.GroupPolicyList), ...(group.AttachedManagedPolicies ?? []).map((entry) => String(entry.PolicyArn))] });
    }
    for (const user of page.UserDetailList ?? []) {
      const arn = String(user.Arn);
      const boundary = user.PermissionsBoundary?.PermissionsBoundaryArn;
      users.push({ arn, name: String(user.UserName), policies: [...inline(arn, user.UserPolicyList), ...(user.AttachedManagedPolicies ?? []).map((entry) => String(entry.PolicyArn))], ...(boundary ? { boundary } : {}), groups: (user.GroupList ?? []).map(String), tags: tagsOf(user.Tags) });
    }
  }
  // Groups may come on a later page than their users: resolve membership once every page is in.
  for (const user of users) {
    const memberOf = user.groups.map((name) => groups.get(name)).filter((group) => group !== undefined);
    principals.push({ ...user, type: "user", policies: [...user.policies, ...memberOf.flatMap((group) => group.policies)], groups: memberOf.map((group) => group.arn) });
  }
  return { principals, documents, customerPolicies, groups: new Map([...groups].map(([name, group]) => [name, group.arn])) };
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

/** One DescribeKey and one GetKeyPolicy per distinct key in use (PolicyName "default" is the only name). */
export async function keysInUse(ctx: CollectContext, secrets: SecretAccessEntry[], trace: CallTrace, calls: ResourceCalls = new Map()): Promise<Map<string, KeyEntry>> {
  const keys = new Map<string, KeyEntry>();
  const byId = new Map<string, KeyEntry>();
  for (const secret of secrets) {
    const id = `${secret.region}|${secret.keyArn}`;
    let key = byId.get(id);
    if (!key) {
      const own = trace.blank();
      key = await readKey(ctx, secret.region, secret.keyArn, own);
      calls.set(key.arn, own);
      byId.set(id, key);
      keys.set(key.arn, key);
    }
    secret.keyArn = key.arn;
  }
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

/**
 * What both secrets-access collectors read first, made once per run: the account's IAM authorization details, and
 * its secrets with their resource policies and keys (GetResourcePolicy, one call per secret, is the run's slowest
 * bucket). Each caller's trace gets the calls behind the answer.
 */
export const sharedAuthorizationDetails = (ctx: CollectContext, trace: CallTrace): Promise<AuthorizationDetails> =>
  sharedRead(ctx, "iam:authorization-details", trace, (calls) => authorizationDetails(ctx, calls));

export interface SecretsAndKeys {
  secrets: SecretAccessEntry[];
  keys: Map<string, KeyEntry>;
  /** The calls behind each secret and key; an item's source adds them to the account-wide calls (sourceWith). */
  calls: ResourceCalls;
}

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
