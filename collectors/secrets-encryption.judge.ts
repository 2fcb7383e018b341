// Verdicts on a secret's encryption key, pure: a customer-managed KMS key, enabled, with automatic rotation on.
import type { KeyMetadata } from "@aws-sdk/client-kms";
import type { Verdict } from "../src/core/model.js";

/** What DescribeKey and GetKeyRotationStatus say about one key, read once however many secrets use it. */
export interface KeyFacts {
  arn: string;
  keyManager: string;
  keyState: string;
  keySpec?: string;
  rotationEnabled?: boolean;
  rotationPeriodInDays?: number;
}

export interface SecretEncryptionFacts {
  arn: string;
  name: string;
  /** KmsKeyId as ListSecrets gives it (key ID, key ARN or alias); absent means aws/secretsmanager. */
  kmsKeyId?: string;
  key?: KeyFacts;
}

export const AWS_MANAGED_SECRETS_KEY = "alias/aws/secretsmanager";

/** True when the listed key is AWS managed without asking KMS: absent (the default) or an `alias/aws/` alias. */
export const isAwsManagedReference = (kmsKeyId: string | undefined): boolean => !kmsKeyId || /(^|:)alias\/aws\//.test(kmsKeyId);

export function keyFacts(metadata: KeyMetadata): KeyFacts {
  return {
    arn: String(metadata.Arn),
    keyManager: String(metadata.KeyManager),
    keyState: String(metadata.KeyState),
    ...(metadata.KeySpec ? { keySpec: metadata.KeySpec } : {}),
  };
}

export function judgeSecretEncryption(facts: SecretEncryptionFacts): Verdict {
  if (isAwsManagedReference(facts.kmsKeyId)) {
    return { status: "fail", reason: `encrypted with the AWS managed key ${AWS_MANAGED_SECRETS_KEY}, not a customer-managed key` };
  }
  const key = facts.key;
  if (!key) return { status: "error", reason: `key ${facts.kmsKeyId} could not be described` };
  if (key.keyManager !== "CUSTOMER") return { status: "fail", reason: `encrypted with ${key.arn}, an AWS managed key (KeyManager ${key.keyManager})` };
  if (key.keyState !== "Enabled") return { status: "fail", reason: `customer-managed key ${key.arn} is ${key.keyState}` };
  if (!key.rotationEnabled) return { status: "fail", reason: `customer-managed key ${key.arn} has automatic rotation off` };
  const period = key.rotationPeriodInDays ? ` every ${key.rotationPeriodInDays} days` : "";
  return { status: "pass", reason: `customer-managed key ${key.arn} rotates automatically${period}` };
}
