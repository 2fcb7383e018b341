// The evidence store's part of the task and auditor policies: the bucket (preflight, prefixed objects), its SSE-KMS
import type { PolicyStatement, PolicyTarget } from "./policy-model.js";
// key (GenerateDataKey through S3 only) and the manifest signing key, each scoped to its ARN.

/** The store's own calls (src/store/preflight.ts, src/store/s3.ts, the manifest signer in src/sign.ts), not any collector's. */
export const STORE_ACTIONS = [
  "s3:GetBucketObjectLockConfiguration",
  "s3:GetBucketPolicy",
  "s3:GetBucketPublicAccessBlock",
  "s3:GetBucketVersioning",
  "s3:GetEncryptionConfiguration",
  "s3:ListBucket",
  "s3:GetObject",
  "s3:PutObject",
  "s3:PutObjectRetention",
  "s3:AbortMultipartUpload",
  "kms:GenerateDataKey",
  "kms:DescribeKey",
  "kms:GetPublicKey",
  "kms:Sign",
] as const;

export interface Bucket {
  arn: string;
  prefix: string;
  region: string;
}

export function bucketOf(target: PolicyTarget): Bucket | undefined {
  const name = target.bucket ?? target.config.store.bucket;
  if (!name) return undefined;
  const raw = target.prefix ?? target.config.store.prefix ?? "";
  const prefix = raw && !raw.endsWith("/") ? `${raw}/` : raw;
  return {
    arn: `arn:${target.partition ?? "aws"}:s3:::${name}`,
    prefix,
    region: target.storeRegion ?? target.config.scope.regions[0] ?? "us-east-1",
  };
}

/** The KMS key resource (and alias condition) for a key named any way KMS accepts. */
function keyResource(
  key: string,
  partition: string,
  region: string,
): Pick<PolicyStatement, "Resource" | "Condition"> {
  if (/^arn:[^:]+:kms:[^:]+:\d{12}:key\//.test(key)) return { Resource: key };
  const alias = /^arn:[^:]+:kms:([^:]+):(\d{12}):(alias\/.+)$/.exec(key);
  if (alias) {
    return {
      Resource: `arn:${partition}:kms:${alias[1]}:${alias[2]}:key/*`,
      Condition: { "ForAnyValue:StringEquals": { "kms:ResourceAliases": alias[3] as string } },
    };
  }
  if (key.startsWith("alias/")) {
    return {
      Resource: `arn:${partition}:kms:${region}:*:key/*`,
      Condition: { "ForAnyValue:StringEquals": { "kms:ResourceAliases": key } },
    };
  }
  return { Resource: `arn:${partition}:kms:${region}:*:key/${key}` };
}

export const evidencePrefixes = (bucket: Bucket) => [
  `${bucket.prefix}packages/*`,
  `${bucket.prefix}snapshots/*`,
];

export function storeStatements(target: PolicyTarget, bucket: Bucket): PolicyStatement[] {
  const partition = target.partition ?? "aws";
  const objects = evidencePrefixes(bucket).map((prefix) => `${bucket.arn}/${prefix}`);
  const statements: PolicyStatement[] = [
    {
      Sid: "EvidenceBucketPreflight",
      Effect: "Allow",
      Action: [
        "s3:GetBucketLocation",
        "s3:GetBucketObjectLockConfiguration",
        "s3:GetBucketPolicy",
        "s3:GetBucketPublicAccessBlock",
        "s3:GetBucketVersioning",
        "s3:GetEncryptionConfiguration",
      ],
      Resource: bucket.arn,
    },
    {
      // StringLike, not StringLikeIfExists: a request without a prefix may not list the bucket. The store sends none:
      // the preflight uses GetBucketLocation, exists() a ListObjectsV2 with the key as prefix (src/store/s3.ts).
      Sid: "EvidenceBucketList",
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: bucket.arn,
      Condition: { StringLike: { "s3:prefix": evidencePrefixes(bucket) } },
    },
    {
      Sid: "EvidenceObjects",
      Effect: "Allow",
      // AbortMultipartUpload: a failed large upload (src/store/s3.ts) cleans up its parts.
      Action: [
        "s3:AbortMultipartUpload",
        "s3:GetObject",
        "s3:PutObject",
        ...(target.config.store.retainDays !== undefined ? ["s3:PutObjectRetention"] : []),
      ],
      Resource: objects,
    },
  ];
  if (target.bucketKmsKey) {
    // S3 asks KMS for a data key on the writer's behalf; only through S3, only for this bucket's objects.
    statements.push({
      Sid: "EvidenceEncryption",
      Effect: "Allow",
      Action: ["kms:GenerateDataKey"],
      ...keyResource(target.bucketKmsKey, partition, bucket.region),
      Condition: {
        StringEquals: { "kms:ViaService": `s3.${bucket.region}.amazonaws.com` },
        StringLike: { "kms:EncryptionContext:aws:s3:arn": [bucket.arn, `${bucket.arn}/${bucket.prefix}*`] },
      },
    });
  }
  return statements;
}

export function signingStatement(
  target: PolicyTarget,
  actions: string[],
  sid: string,
  region: string,
): PolicyStatement[] {
  const key = target.signingKey ?? target.config.store.signingKey;
  return key
    ? [{ Sid: sid, Effect: "Allow", Action: actions, ...keyResource(key, target.partition ?? "aws", region) }]
    : [];
}
