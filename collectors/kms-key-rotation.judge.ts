// Verdicts on KMS key facts, pure: which keys must rotate, and whether they do, today and over the period.
import type { KeyMetadata } from "@aws-sdk/client-kms";
import type { ResourceHistory } from "../src/core/collector.js";
import type { EvidenceItem, Period, PeriodVerdict, Verdict } from "../src/core/model.js";
import { daysBetween } from "../src/core/period.js";
import { judgeRotationHistory } from "./rotation-history.js";

export interface KmsParams {
  maxRotationPeriodDays: number;
  graceDays: number;
}

/** Why a key is or is not held to the rotation rule. */
export type KeyScope =
  | "rotatable"
  | "aws-managed"
  | "disabled"
  | "pending-deletion"
  | "asymmetric"
  | "hmac"
  | "imported-material"
  | "custom-key-store";

export interface KeyFacts {
  arn: string;
  keyId: string;
  scope: KeyScope;
  keyManager?: string;
  keyState?: string;
  keySpec?: string;
  origin?: string;
  creationDate?: string;
  multiRegionKeyType?: string;
  primaryArn?: string;
  primaryRegion?: string;
  rotationEnabled?: boolean;
  rotationPeriodInDays?: number;
  nextRotationDate?: string;
  rotations?: string[];
}

/** AWS rotates AWS-managed keys itself, and permits automatic rotation only on symmetric AWS_KMS keys. */
export function keyFacts(metadata: KeyMetadata, awsManagedAlias: boolean): KeyFacts {
  const replica = metadata.MultiRegionConfiguration?.MultiRegionKeyType === "REPLICA";
  const primary = metadata.MultiRegionConfiguration?.PrimaryKey;
  const base: Omit<KeyFacts, "scope"> = {
    arn: String(metadata.Arn),
    keyId: String(metadata.KeyId),
    keyManager: metadata.KeyManager,
    keyState: metadata.KeyState,
    keySpec: metadata.KeySpec,
    origin: metadata.Origin,
    creationDate: metadata.CreationDate?.toISOString(),
    multiRegionKeyType: metadata.MultiRegionConfiguration?.MultiRegionKeyType,
    ...(replica && primary ? { primaryArn: primary.Arn, primaryRegion: primary.Region } : {}),
  };
  return { ...base, scope: scopeOf(metadata, awsManagedAlias) };
}

function scopeOf(metadata: KeyMetadata, awsManagedAlias: boolean): KeyScope {
  if (metadata.KeyManager === "AWS" || awsManagedAlias) return "aws-managed";
  if (metadata.KeyState === "PendingDeletion" || metadata.KeyState === "PendingReplicaDeletion") {
    return "pending-deletion";
  }
  if (metadata.KeyState !== "Enabled") return "disabled";
  if (metadata.KeyUsage === "GENERATE_VERIFY_MAC" || metadata.KeySpec?.startsWith("HMAC")) return "hmac";
  if (metadata.KeySpec && metadata.KeySpec !== "SYMMETRIC_DEFAULT") return "asymmetric";
  if (metadata.Origin === "EXTERNAL") return "imported-material";
  if (metadata.Origin === "AWS_CLOUDHSM" || metadata.Origin === "EXTERNAL_KEY_STORE") return "custom-key-store";
  return "rotatable";
}

const NOT_APPLICABLE: Record<Exclude<KeyScope, "rotatable">, string> = {
  "aws-managed": "AWS-managed key: AWS rotates it every year and it cannot be configured",
  disabled: "key is disabled, so it protects no new data",
  "pending-deletion": "key is pending deletion",
  asymmetric: "asymmetric key: KMS does not support automatic rotation",
  hmac: "HMAC key: KMS does not support automatic rotation",
  "imported-material": "imported key material: KMS cannot rotate it automatically; rotate manually",
  "custom-key-store": "key in a custom key store: KMS cannot rotate it automatically",
};

export function judgeKey(facts: KeyFacts, params: KmsParams, now: Date): Verdict {
  if (facts.scope !== "rotatable") return { status: "not_applicable", reason: NOT_APPLICABLE[facts.scope] };
  const subject = facts.primaryArn ? `primary key ${facts.primaryArn}` : "key";
  if (!facts.rotationEnabled) return { status: "fail", reason: `automatic rotation is disabled on the ${subject}` };
  const period = facts.rotationPeriodInDays ?? 365;
  if (period > params.maxRotationPeriodDays) {
    return { status: "fail", reason: `rotates every ${period} days, policy is ${params.maxRotationPeriodDays}` };
  }
  const allowed = period + params.graceDays;
  const lastRotation = facts.rotations?.at(-1);
  const since = lastRotation ?? facts.creationDate;
  if (since && daysBetween(since, now) > allowed) {
    const days = Math.floor(daysBetween(since, now));
    const what = lastRotation ? `last rotated ${days} days ago` : `created ${days} days ago and never rotated`;
    return { status: "fail", reason: `rotation enabled but not happening: ${what}, period is ${period} days` };
  }
  return {
    status: "pass",
    reason: lastRotation
      ? `rotates every ${period} days; last rotated ${lastRotation.slice(0, 10)}`
      : `rotates every ${period} days; first rotation due within ${period} days of creation`,
  };
}

export function judgeKeyPeriod(
  history: ResourceHistory,
  period: Period,
  through: string,
  params: KmsParams,
): PeriodVerdict {
  const facts = history.latest.observed as Partial<KeyFacts>;
  const applicable = history.latest.status !== "not_applicable" && facts.scope === "rotatable";
  const rotationPeriod = Math.min(facts.rotationPeriodInDays ?? 365, params.maxRotationPeriodDays);
  return judgeRotationHistory(history, period, through, {
    origin: facts.creationDate,
    visibleFrom: keyVisibility(history.first),
    allowedDays: rotationPeriod + params.graceDays,
    rotationDisabled: facts.rotationEnabled === false,
    ...(applicable ? {} : { notApplicable: "not held to the rotation rule" }),
  });
}

/**
 * From when the key's rotation history is visible. ListKeyRotations lists every completed rotation of the key
 * (https://docs.aws.amazon.com/kms/latest/APIReference/API_ListKeyRotations.html), so once read its history starts at
 * the key's creation; otherwise only what the first snapshot saw.
 */
export function keyVisibility(first: EvidenceItem): Record<string, string> {
  const facts = first.observed as Partial<KeyFacts>;
  if (Array.isArray(facts.rotations) && facts.creationDate) return { "list-key-rotations": facts.creationDate };
  return { snapshots: first.source.collectedAt };
}
