import { describe, expect, it } from "vitest";
import { judgeSecretEncryption, type KeyFacts } from "../collectors/secrets-encryption.judge.js";

const KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const key = (overrides: Partial<KeyFacts> = {}): KeyFacts => ({ arn: KEY, keyManager: "CUSTOMER", keyState: "Enabled", keySpec: "SYMMETRIC_DEFAULT", rotationEnabled: true, rotationPeriodInDays: 365, ...overrides });
const secret = { arn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/api/db-AbCdEf", name: "prod/api/db" };

describe("secret encryption verdicts", () => {
  it.each([
    { case: "a rotating customer-managed key", kmsKeyId: KEY, key: key(), status: "pass", reason: "rotates automatically every 365 days" },
    { case: "no KmsKeyId (aws/secretsmanager)", kmsKeyId: undefined, key: undefined, status: "fail", reason: "AWS managed key alias/aws/secretsmanager" },
    { case: "the aws/secretsmanager alias named", kmsKeyId: "alias/aws/secretsmanager", key: undefined, status: "fail", reason: "AWS managed key" },
    { case: "an alias that resolves to an AWS managed key", kmsKeyId: "alias/shared", key: key({ keyManager: "AWS" }), status: "fail", reason: "KeyManager AWS" },
    { case: "a customer key with rotation off", kmsKeyId: KEY, key: key({ rotationEnabled: false }), status: "fail", reason: "automatic rotation off" },
    { case: "a customer key pending deletion", kmsKeyId: KEY, key: key({ keyState: "PendingDeletion" }), status: "fail", reason: "is PendingDeletion" },
    { case: "a key that could not be described", kmsKeyId: KEY, key: undefined, status: "error", reason: "could not be described" },
  ])("$case: $status", ({ kmsKeyId, key: facts, status, reason }) => {
    const verdict = judgeSecretEncryption({ ...secret, ...(kmsKeyId ? { kmsKeyId } : {}), ...(facts ? { key: facts } : {}) });
    expect(verdict.status).toBe(status);
    expect(verdict.reason).toContain(reason);
  });
});
