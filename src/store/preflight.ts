// Checks an evidence bucket before anything is written: versioning is required; lock, encryption, public access and TLS are recorded.
import type { ObjectLockConfiguration, ObjectLockRetentionMode, PublicAccessBlockConfiguration, S3Client } from "@aws-sdk/client-s3";
import { StoreError } from "../core/errors.js";
import { callFailureHint } from "../core/trace.js";
import type { StoreFacts } from "../core/package-model.js";
import { sdk } from "../core/sdk.js";

const { GetBucketEncryptionCommand, GetBucketLocationCommand, GetBucketPolicyCommand, GetBucketVersioningCommand, GetObjectLockConfigurationCommand, GetPublicAccessBlockCommand } = sdk("@aws-sdk/client-s3");

export interface BucketInspection {
  facts: StoreFacts;
  /** Object Lock headers for every write; absent when the bucket has no Object Lock or it could not be read. */
  lock?: { mode: ObjectLockRetentionMode; retainDays?: number };
}

const DENIED = new Set([
  "AccessDenied",
  "Forbidden",
  "AllAccessDisabled",
  "InvalidAccessKeyId",
  "ExpiredToken",
]);
const statusOf = (error: unknown) =>
  (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
const nameOf = (error: unknown) => (error as Error).name;
const isDenied = (error: unknown) => DENIED.has(nameOf(error)) || statusOf(error) === 403;

export const partitionOf = (region: string) =>
  region.startsWith("cn-") ? "aws-cn" : region.startsWith("us-gov-") ? "aws-us-gov" : "aws";

/** Fails (StoreError, exit 3) unless the bucket exists, can be read and keeps versions. */
async function requireVersioning(
  client: S3Client,
  bucket: string,
): Promise<{ region?: string; versioning: string }> {
  let region: string | undefined;
  try {
    // GetBucketLocation, not HeadBucket: S3 authorizes HeadBucket as s3:ListBucket with no s3:prefix, which the task
    // role's StringLike prefix condition refuses; and its answer has a body, so a 403 names its code (a refused
    // signature is not mistaken for access denied). A null constraint is us-east-1 and "EU" is eu-west-1 (S3 API
    // Reference, GetBucketLocation).
    const constraint = (await client.send(new GetBucketLocationCommand({ Bucket: bucket }))).LocationConstraint;
    region = !constraint ? "us-east-1" : constraint === "EU" ? "eu-west-1" : constraint;
  } catch (error) {
    const hint = callFailureHint(error);
    if (hint) throw new StoreError(`cannot reach evidence bucket ${bucket}: ${hint}`, { cause: error });
    if (nameOf(error) === "NotFound" || nameOf(error) === "NoSuchBucket" || statusOf(error) === 404) {
      throw new StoreError(
        `evidence bucket ${bucket} does not exist: create it with versioning and Object Lock ` +
          `(aws s3api create-bucket --bucket ${bucket} --object-lock-enabled-for-bucket), or fix --bucket / store.bucket`,
        { cause: error },
      );
    }
    if (isDenied(error)) {
      throw new StoreError(
        `access denied to evidence bucket ${bucket} (${nameOf(error)}): the tool's role needs s3:GetBucketLocation, ` +
          `s3:GetBucketVersioning, s3:ListBucket (on its prefixes) and s3:PutObject on it; check the credentials, the bucket policy and --bucket`,
        { cause: error },
      );
    }
    throw new StoreError(`cannot reach evidence bucket ${bucket}: ${nameOf(error)}`, { cause: error });
  }
  let status: string | undefined;
  try {
    status = (await client.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status;
  } catch (error) {
    const what = callFailureHint(error) ?? (isDenied(error) ? "access denied; grant s3:GetBucketVersioning" : nameOf(error));
    throw new StoreError(`cannot read versioning of evidence bucket ${bucket}: ${what}`, { cause: error });
  }
  if (status !== "Enabled") {
    throw new StoreError(
      `evidence bucket ${bucket} has versioning ${status ?? "never enabled"}; evidence needs a versioned bucket. ` +
        `Fix: aws s3api put-bucket-versioning --bucket ${bucket} --versioning-configuration Status=Enabled`,
    );
  }
  return { ...(region ? { region } : {}), versioning: status };
}

/** Runs one optional read; a missing configuration is a value, a denied or failed call a warning. */
async function optional<T>(
  read: () => Promise<T>,
  notConfigured: string,
  onMissing: () => T,
  what: string,
  warnings: string[],
): Promise<{ value: T } | undefined> {
  try {
    return { value: await read() };
  } catch (error) {
    if (nameOf(error) === notConfigured) return { value: onMissing() };
    warnings.push(`could not read the bucket's ${what} (${nameOf(error)}); it is not recorded`);
    return undefined;
  }
}

export async function inspectBucket(
  client: S3Client,
  bucket: string,
  options: { region: string; retainDays?: number },
): Promise<BucketInspection> {
  const { region, versioning } = await requireVersioning(client, bucket);
  const home = region ?? options.region;
  const warnings: string[] = [];
  const facts: StoreFacts = {
    kind: "s3",
    location: `s3://${bucket}/`,
    bucket,
    region: home,
    versioning,
    warnings,
  };

  const lockConfig = await optional<ObjectLockConfiguration>(
    async () =>
      (await client.send(new GetObjectLockConfigurationCommand({ Bucket: bucket })))
        .ObjectLockConfiguration ?? {},
    "ObjectLockConfigurationNotFoundError",
    () => ({}),
    "Object Lock configuration",
    warnings,
  );
  let lock: BucketInspection["lock"];
  if (lockConfig) {
    const retention = lockConfig.value.Rule?.DefaultRetention;
    const enabled = lockConfig.value.ObjectLockEnabled === "Enabled";
    facts.objectLock = {
      enabled,
      ...(retention?.Mode ? { mode: retention.Mode } : {}),
      ...(retention?.Days ? { days: retention.Days } : {}),
      ...(retention?.Years ? { years: retention.Years } : {}),
    };
    if (!enabled) {
      warnings.push(
        `bucket ${bucket} has no Object Lock: versions can be deleted by anyone allowed to; evidence is tamper-evident, not tamper-proof`,
      );
    } else if (options.retainDays === undefined && !retention) {
      warnings.push(
        "Object Lock is enabled but neither store.retainDays nor a bucket default retention is set: objects are not retained",
      );
    } else {
      // GOVERNANCE unless the bucket's own default says COMPLIANCE: the tool never hardens retention past the owner's choice.
      lock = {
        mode: retention?.Mode ?? "GOVERNANCE",
        ...(options.retainDays !== undefined ? { retainDays: options.retainDays } : {}),
      };
    }
  }

  const encryption = await optional(
    async () =>
      (await client.send(new GetBucketEncryptionCommand({ Bucket: bucket })))
        .ServerSideEncryptionConfiguration?.Rules?.[0],
    "ServerSideEncryptionConfigurationNotFoundError",
    () => undefined,
    "default encryption",
    warnings,
  );
  if (encryption) {
    const rule = encryption.value;
    const byDefault = rule?.ApplyServerSideEncryptionByDefault;
    // Since January 2023 S3 encrypts every new object with SSE-S3 when the bucket sets nothing.
    facts.encryption = {
      algorithm: byDefault?.SSEAlgorithm ?? "AES256",
      ...(byDefault?.KMSMasterKeyID ? { kmsKeyId: byDefault.KMSMasterKeyID } : {}),
      ...(rule?.BucketKeyEnabled !== undefined ? { bucketKeyEnabled: rule.BucketKeyEnabled } : {}),
    };
  }

  const publicAccess = await optional<PublicAccessBlockConfiguration>(
    async () =>
      (await client.send(new GetPublicAccessBlockCommand({ Bucket: bucket })))
        .PublicAccessBlockConfiguration ?? {},
    "NoSuchPublicAccessBlockConfiguration",
    () => ({}),
    "Block Public Access configuration",
    warnings,
  );
  if (publicAccess) {
    const config = publicAccess.value;
    const flags = [
      "BlockPublicAcls",
      "IgnorePublicAcls",
      "BlockPublicPolicy",
      "RestrictPublicBuckets",
    ] as const;
    facts.publicAccessBlock = Object.fromEntries(flags.map((flag) => [flag, config[flag] === true]));
    const open = flags.filter((flag) => config[flag] !== true);
    if (open.length > 0)
      warnings.push(`Block Public Access is off on bucket ${bucket} for ${open.join(", ")}`);
  }

  const policy = await optional(
    async () => (await client.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy,
    "NoSuchBucketPolicy",
    () => undefined,
    "bucket policy",
    warnings,
  );
  // Recorded as read; whether it enforces TLS is a judgement made above the store (src/run/store-transport.ts).
  if (policy) facts.bucketPolicy = policy.value ?? null;
  return { facts, ...(lock ? { lock } : {}) };
}
