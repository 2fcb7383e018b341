// Least-privilege IAM policies built from the collectors' declared permissions: the task role (collectors + store),
// the member-account reader role (collectors only) and the auditor's read-only role. Never GetSecretValue or Decrypt.
import { UsageError } from "../core/errors.js";
import { bucketOf, evidencePrefixes, signingStatement, storeStatements } from "./store-statements.js";
import { planCollectors } from "../run/runner.js";
import type { PolicyDocument, PolicyStatement, PolicyTarget } from "./policy-model.js";

export { STORE_ACTIONS } from "./store-statements.js";



/** Actions no policy of this tool may grant, whatever a collector declares (SPEC section 5). */
export const FORBIDDEN_ACTIONS = [
  "secretsmanager:GetSecretValue",
  "secretsmanager:BatchGetSecretValue",
  "kms:Decrypt",
] as const;

/**
 * Resource types of the collector actions that support resource-level permissions, per the Service Authorization
 * Reference (checked for each action). Region and account stay `*`: a replica key's primary or a trail's home region
 * can lie outside the scope regions, and the same statements serve the reader role in every member account.
 * Every other action (ListKeys, ListAliases, ListSecrets, DescribeTrails, LookupEvents, ListAnalyzers,
 * ListAllMyBuckets, ListAccounts) has no resource type and must stay "*".
 */
const RESOURCE_TYPES = {
  ReadKmsKeys: (p: string) => `arn:${p}:kms:*:*:key/*`,
  ReadSecretMetadata: (p: string) => `arn:${p}:secretsmanager:*:*:secret:*`,
  ReadTrails: (p: string) => `arn:${p}:cloudtrail:*:*:trail/*`,
  ReadAnalyzers: (p: string) => `arn:${p}:access-analyzer:*:*:analyzer/*`,
  ReadBucketSettings: (p: string) => `arn:${p}:s3:::*`,
} as const;

const SCOPED: Record<string, keyof typeof RESOURCE_TYPES> = {
  "kms:DescribeKey": "ReadKmsKeys",
  "kms:GetKeyRotationStatus": "ReadKmsKeys",
  "kms:ListKeyRotations": "ReadKmsKeys",
  "secretsmanager:DescribeSecret": "ReadSecretMetadata",
  "cloudtrail:GetTrail": "ReadTrails",
  "cloudtrail:GetTrailStatus": "ReadTrails",
  "cloudtrail:GetEventSelectors": "ReadTrails",
  "access-analyzer:GetAnalyzer": "ReadAnalyzers",
  "access-analyzer:ListArchiveRules": "ReadAnalyzers",
  "access-analyzer:ListFindings": "ReadAnalyzers",
  "access-analyzer:GetFinding": "ReadAnalyzers",
  "s3:GetBucketLocation": "ReadBucketSettings",
  "s3:GetBucketPolicy": "ReadBucketSettings",
  "s3:GetBucketPolicyStatus": "ReadBucketSettings",
  "s3:GetBucketPublicAccessBlock": "ReadBucketSettings",
};


const sortedUnique = (values: Iterable<string>) => [...new Set(values)].sort();

/** Every action the planned collectors declare, checked against the forbidden list. */
export function collectorActions(target: PolicyTarget): string[] {
  const actions = sortedUnique(
    planCollectors(target.config, target.controls).flatMap((planned) => planned.collector.permissions),
  );
  const forbidden = actions.filter((action) =>
    FORBIDDEN_ACTIONS.some((banned) => actionMatches(action, banned)),
  );
  if (forbidden.length > 0)
    throw new UsageError(`a collector declares ${forbidden.join(", ")}, which this tool never grants`);
  return actions;
}

/** The statements a role needs to run the collectors: scoped where the action allows, "*" where it cannot be. */
export function collectorStatements(target: PolicyTarget): PolicyStatement[] {
  const partition = target.partition ?? "aws";
  const groups = new Map<string, string[]>();
  for (const action of collectorActions(target)) {
    const sid = SCOPED[action] ?? "ReadWithoutResourceLevelPermissions";
    groups.set(sid, [...(groups.get(sid) ?? []), action]);
  }
  return [...groups].map(([sid, actions]) => ({
    Sid: sid,
    Effect: "Allow",
    Action: actions,
    Resource: sid in RESOURCE_TYPES ? RESOURCE_TYPES[sid as keyof typeof RESOURCE_TYPES](partition) : "*",
  }));
}

function scopeStatements(target: PolicyTarget): PolicyStatement[] {
  const { accounts, assumeRole } = target.config.scope;
  const partition = target.partition ?? "aws";
  const statements: PolicyStatement[] = [];
  const others = Array.isArray(accounts)
    ? accounts.filter((account) => account !== "current")
    : accounts === "organization"
      ? ["*"]
      : [];
  if (others.length > 0 && assumeRole) {
    const roles = others.map((account) => `arn:${partition}:iam::${account}:role/${assumeRole}`);
    statements.push({
      Sid: "AssumeReaderRole",
      Effect: "Allow",
      Action: ["sts:AssumeRole"],
      Resource: roles.length === 1 ? (roles[0] as string) : roles,
    });
  }
  if (accounts === "organization") {
    statements.push({
      Sid: "ListOrganizationAccounts",
      Effect: "Allow",
      Action: ["organizations:ListAccounts"],
      Resource: "*",
    });
  }
  return statements;
}

/** The ECS task role: collectors, scope (AssumeRole, ListAccounts), the evidence bucket, the signing key. */
export function taskRolePolicy(target: PolicyTarget): PolicyDocument {
  const bucket = bucketOf(target);
  const region = bucket?.region ?? target.config.scope.regions[0] ?? "us-east-1";
  const config = target.configObject
    ? [
        {
          Sid: "ReadConfig",
          Effect: "Allow" as const,
          Action: ["s3:GetObject"],
          Resource: `arn:${target.partition ?? "aws"}:s3:::${target.configObject.bucket}/${target.configObject.key}`,
        },
      ]
    : [];
  return document([
    ...collectorStatements(target),
    ...scopeStatements(target),
    ...(bucket ? storeStatements(target, bucket) : []),
    ...signingStatement(
      target,
      ["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign"],
      "ManifestSigning",
      region,
    ),
    ...config,
  ]);
}

/** The role assumed in each member account (scope.assumeRole): the collectors' reads only. */
export function readerRolePolicy(target: PolicyTarget): PolicyDocument {
  return document(collectorStatements(target));
}

/** The auditor: read and verify packages and snapshots, nothing else. */
export function auditorPolicy(target: PolicyTarget): PolicyDocument {
  const bucket = bucketOf(target);
  if (!bucket) throw new UsageError("--auditor needs the evidence bucket: set store.bucket or pass --bucket");
  return document([
    {
      Sid: "ReadEvidence",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:GetObjectVersion"],
      Resource: evidencePrefixes(bucket).map((prefix) => `${bucket.arn}/${prefix}`),
    },
    {
      Sid: "ListEvidence",
      Effect: "Allow",
      Action: ["s3:ListBucket", "s3:ListBucketVersions"],
      Resource: bucket.arn,
      Condition: { StringLike: { "s3:prefix": evidencePrefixes(bucket) } },
    },
    ...signingStatement(target, ["kms:GetPublicKey", "kms:Verify"], "VerifyManifestSignature", bucket.region),
  ]);
}

function document(statements: PolicyStatement[]): PolicyDocument {
  const policy: PolicyDocument = {
    Version: "2012-10-17",
    Statement: statements.map((s) => ({ ...s, Action: sortedUnique(s.Action) })),
  };
  const granted = policy.Statement.flatMap((statement) => statement.Action);
  const forbidden = granted.filter((action) =>
    FORBIDDEN_ACTIONS.some((banned) => actionMatches(action, banned)),
  );
  if (forbidden.length > 0) throw new Error(`internal error: the policy would grant ${forbidden.join(", ")}`);
  return policy;
}

/** IAM action matching: case-insensitive, `*` and `?` wildcards in the policy's action. */
export function actionMatches(pattern: string, action: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
    "i",
  );
  return regex.test(action);
}

/** Every action the policy allows by name (wildcards unexpanded), for tests and reviews. */
export const allowedActions = (policy: PolicyDocument): string[] =>
  sortedUnique(policy.Statement.flatMap((statement) => statement.Action));
