import type { KeyMetadata } from "@aws-sdk/client-kms";
import { describe, expect, it } from "vitest";
import { judgeKey, judgeKeyPeriod, keyFacts, type KeyFacts } from "../collectors/kms-key-rotation.judge.js";
import type { EvidenceItem } from "../src/core/model.js";

const NOW = new Date("2026-11-25T00:00:00Z");
const PARAMS = { maxRotationPeriodDays: 365, graceDays: 7 };

const metadata = (overrides: Partial<KeyMetadata> = {}): KeyMetadata => ({
  KeyId: "k1",
  Arn: "arn:aws:kms:us-east-1:123456789012:key/k1",
  KeyManager: "CUSTOMER",
  KeyState: "Enabled",
  KeySpec: "SYMMETRIC_DEFAULT",
  KeyUsage: "ENCRYPT_DECRYPT",
  Origin: "AWS_KMS",
  CreationDate: new Date("2026-06-01T00:00:00Z"),
  ...overrides,
});

const rotatable = (overrides: Partial<KeyFacts> = {}): KeyFacts => ({
  ...keyFacts(metadata(), false),
  rotationEnabled: true,
  rotationPeriodInDays: 365,
  rotations: [],
  ...overrides,
});

describe("which keys must rotate", () => {
  it.each([
    ["a customer symmetric key", {}, false, "rotatable"],
    ["an AWS-managed key", { KeyManager: "AWS" as const }, false, "aws-managed"],
    ["a key behind an alias/aws/ alias (moto marks these CUSTOMER)", {}, true, "aws-managed"],
    ["a disabled key", { KeyState: "Disabled" as const }, false, "disabled"],
    ["a key pending deletion", { KeyState: "PendingDeletion" as const }, false, "pending-deletion"],
    ["an RSA key", { KeySpec: "RSA_2048" as const, KeyUsage: "SIGN_VERIFY" as const }, false, "asymmetric"],
    ["an HMAC key", { KeySpec: "HMAC_256" as const, KeyUsage: "GENERATE_VERIFY_MAC" as const }, false, "hmac"],
    ["imported key material", { Origin: "EXTERNAL" as const }, false, "imported-material"],
    ["a CloudHSM key store key", { Origin: "AWS_CLOUDHSM" as const }, false, "custom-key-store"],
    ["an external key store key", { Origin: "EXTERNAL_KEY_STORE" as const }, false, "custom-key-store"],
  ])("classifies %s", (_name, overrides, awsAlias, scope) => {
    expect(keyFacts(metadata(overrides), awsAlias).scope).toBe(scope);
  });

  it("judges a multi-Region replica on its primary", () => {
    const facts = keyFacts(
      metadata({
        MultiRegionConfiguration: {
          MultiRegionKeyType: "REPLICA",
          PrimaryKey: { Arn: "arn:aws:kms:us-west-2:123456789012:key/mrk-1", Region: "us-west-2" },
        },
      }),
      false,
    );
    expect(facts).toMatchObject({ scope: "rotatable", primaryRegion: "us-west-2" });
    expect(judgeKey({ ...facts, rotationEnabled: false }, PARAMS, NOW).reason).toContain("primary key arn:aws:kms:us-west-2");
  });
});

describe("judgeKey", () => {
  it.each([
    ["passes a key rotating yearly, created recently", rotatable(), "pass"],
    ["fails a key with rotation off", rotatable({ rotationEnabled: false }), "fail"],
    ["fails a key rotating every 730 days against a 365-day policy", rotatable({ rotationPeriodInDays: 730 }), "fail"],
    ["passes a key rotating every 90 days", rotatable({ rotationPeriodInDays: 90, rotations: ["2026-10-01T00:00:00.000Z"] }), "pass"],
    [
      "fails a key whose rotation is enabled but has not happened in 500 days",
      rotatable({ creationDate: "2025-01-01T00:00:00.000Z", rotations: ["2025-07-13T00:00:00.000Z"] }),
      "fail",
    ],
    ["fails a two-year-old key that never rotated", rotatable({ creationDate: "2024-11-01T00:00:00.000Z" }), "fail"],
    ["passes a key last rotated 370 days ago within the 7-day grace", rotatable({ creationDate: "2024-01-01T00:00:00.000Z", rotations: ["2025-11-20T00:00:00.000Z"] }), "pass"],
    ["marks an asymmetric key not applicable", { ...rotatable(), scope: "asymmetric" as const }, "not_applicable"],
  ])("%s", (_name, facts, status) => {
    expect(judgeKey(facts, PARAMS, NOW).status).toBe(status);
  });

  it("says the period when the period is too long", () => {
    expect(judgeKey(rotatable({ rotationPeriodInDays: 730 }), PARAMS, NOW).reason).toBe("rotates every 730 days, policy is 365");
  });

  it("says rotation is not happening, with the age", () => {
    const verdict = judgeKey(rotatable({ creationDate: "2024-11-01T00:00:00.000Z" }), PARAMS, NOW);
    expect(verdict.reason).toMatch(/^rotation enabled but not happening: created 754 days ago and never rotated/);
  });
});

describe("judgeKeyPeriod", () => {
  const item = (facts: KeyFacts): EvidenceItem => ({
    collector: "kms-key-rotation",
    controlIds: ["CC6.1"],
    account: "123456789012",
    region: "us-east-1",
    resource: { arn: facts.arn, type: "AWS::KMS::Key", name: facts.keyId },
    status: "pass",
    reason: "",
    observed: { ...facts },
    expected: PARAMS,
    source: { service: "kms", operations: [], requestIds: [], collectedAt: NOW.toISOString() },
  });
  const q3 = { label: "2026-Q3", start: "2026-07-01", end: "2026-09-30" };
  const days = ["2026-07-01", "2026-07-02"];

  it("fails a 90-day key that went 120 days without rotating inside the quarter", () => {
    const rotations = ["2026-04-01T00:00:00.000Z", "2026-07-30T00:00:00.000Z", "2026-09-25T00:00:00.000Z"];
    const facts = rotatable({ creationDate: "2026-01-01T00:00:00.000Z", rotationPeriodInDays: 90, rotations });
    const verdict = judgeKeyPeriod({ latest: item(facts), first: item(facts), failDays: [], dates: rotations, daysObserved: days, daysCovered: days, periodDays: days }, q3, "2026-09-30", {
      ...PARAMS,
      maxRotationPeriodDays: 90,
    });
    expect(verdict.status).toBe("fail");
    expect(verdict.observed.largestGapDays).toBe(120);
    expect(verdict.observed.rotationsInPeriod).toEqual(rotations.slice(1));
  });

  it("passes a yearly key that rotated on schedule before the quarter", () => {
    const facts = rotatable({ creationDate: "2025-06-15T00:00:00.000Z", rotations: ["2026-06-15T00:00:00.000Z"] });
    const verdict = judgeKeyPeriod(
      { latest: item(facts), first: item(facts), failDays: [], dates: ["2026-06-15T00:00:00.000Z"], daysObserved: days, daysCovered: days, periodDays: [...days, "2026-07-03"] },
      q3,
      "2026-09-30",
      PARAMS,
    );
    expect(verdict.status).toBe("pass");
    expect(verdict.observed.daysNotObserved).toEqual(["2026-07-03"]);
  });
});

describe("judgeKeyPeriod with rotation switched off", () => {
  it("fails the period, whatever the history, when the newest snapshot shows rotation off", () => {
    const facts = { ...keyFacts(metadata(), false), rotationEnabled: false, rotations: [] };
    const latest: EvidenceItem = {
      collector: "kms-key-rotation",
      controlIds: ["CC6.1"],
      account: "123456789012",
      region: "us-east-1",
      resource: { arn: facts.arn, type: "AWS::KMS::Key", name: facts.keyId },
      status: "fail",
      reason: "automatic rotation is disabled on the key",
      observed: { ...facts },
      expected: PARAMS,
      source: { service: "kms", operations: [], requestIds: [], collectedAt: "2026-11-25T06:00:00.000Z" },
    };
    const days = ["2026-11-25"];
    const verdict = judgeKeyPeriod({ latest, first: latest, failDays: ["2026-11-25"], dates: [], daysObserved: days, daysCovered: days, periodDays: days }, { label: "2026-Q4", start: "2026-10-01", end: "2026-12-31" }, "2026-11-25", PARAMS);
    expect(verdict.status).toBe("fail");
    expect(verdict.reason).toMatch(/^automatic rotation is off as of 2026-11-25/);
  });
});
