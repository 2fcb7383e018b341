// kms-key-rotation against the emulator through the real SDK: verdicts per key, throttling and denied calls.
import { CreateKeyCommand, DisableKeyCommand, EnableKeyRotationCommand, KMSClient, ScheduleKeyDeletionCommand } from "@aws-sdk/client-kms";
import { describe, expect, it } from "vitest";
import kmsKeyRotation from "../collectors/kms-key-rotation.js";
import type { ItemDraft } from "../src/core/model.js";
import { clientConfig, useEmulator } from "./support/emulator.js";
import { collectAll, testContext } from "./support/context.js";

const emulator = useEmulator();
const NOW = new Date();

async function seedKeys() {
  const kms = new KMSClient(clientConfig(emulator()));
  const create = async (input: ConstructorParameters<typeof CreateKeyCommand>[0] = {}) =>
    (await kms.send(new CreateKeyCommand(input))).KeyMetadata?.KeyId as string;
  const keys = {
    rotating: await create({ Description: "rotating" }),
    slow: await create({ Description: "rotation period too long" }),
    off: await create({ Description: "rotation off" }),
    stale: await create({ Description: "old key, rotation on but never happened" }),
    signing: await create({ KeySpec: "RSA_2048", KeyUsage: "SIGN_VERIFY" }),
    disabled: await create({ Description: "disabled" }),
    deleting: await create({ Description: "pending deletion" }),
  };
  await kms.send(new EnableKeyRotationCommand({ KeyId: keys.rotating, RotationPeriodInDays: 180 }));
  await kms.send(new EnableKeyRotationCommand({ KeyId: keys.slow, RotationPeriodInDays: 730 }));
  await kms.send(new EnableKeyRotationCommand({ KeyId: keys.stale }));
  await kms.send(new DisableKeyCommand({ KeyId: keys.disabled }));
  await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keys.deleting, PendingWindowInDays: 7 }));
  // moto cannot age a key: the answer to DescribeKey is patched to say it was created 500 days ago.
  const longAgo = (NOW.getTime() - 500 * 86_400_000) / 1000;
  emulator().proxy.patch("kms", "DescribeKey", (body: { KeyMetadata?: { KeyId?: string; CreationDate?: number } }) => {
    if (body.KeyMetadata?.KeyId === keys.stale) body.KeyMetadata.CreationDate = longAgo;
    return body;
  });
  return keys;
}

const byKey = (items: ItemDraft[]) => Object.fromEntries(items.map((item) => [item.resource.name, item]));

describe("kms-key-rotation against the emulator", () => {
  it("judges every key and traces each verdict to its API calls", async () => {
    const keys = await seedKeys();
    const items = byKey(await collectAll(kmsKeyRotation, testContext(emulator(), { now: NOW })));
    expect(Object.keys(items)).toHaveLength(7);
    expect(items[keys.rotating]).toMatchObject({ status: "pass", observed: { rotationEnabled: true, rotationPeriodInDays: 180 } });
    expect(items[keys.slow]).toMatchObject({ status: "fail", reason: "rotates every 730 days, policy is 365" });
    expect(items[keys.off]).toMatchObject({ status: "fail", observed: { rotationEnabled: false } });
    expect(items[keys.stale]?.status).toBe("fail");
    expect(items[keys.stale]?.reason).toMatch(/rotation enabled but not happening: created 500 days ago/);
    expect(items[keys.signing]).toMatchObject({ status: "not_applicable", observed: { scope: "asymmetric" } });
    expect(items[keys.disabled]).toMatchObject({ status: "not_applicable", observed: { scope: "disabled" } });
    expect(items[keys.deleting]).toMatchObject({ status: "not_applicable", observed: { scope: "pending-deletion" } });
    const source = items[keys.rotating]?.source;
    expect(source?.operations).toEqual(["ListAliases", "ListKeys", "DescribeKey", "GetKeyRotationStatus", "ListKeyRotations"]);
    expect(source?.requestIds.length).toBeGreaterThanOrEqual(5);
    expect(emulator().proxy.count("ListKeyRotations")).toBe(4);
  });

  it("rides out throttling with retries and loses no key", async () => {
    await seedKeys();
    emulator().proxy.inject({ service: "kms", operation: "DescribeKey", kind: "throttle", times: 4 });
    const items = await collectAll(kmsKeyRotation, testContext(emulator(), { now: NOW, maxAttempts: 6 }));
    expect(items).toHaveLength(7);
    expect(items.filter((item) => item.status === "error")).toEqual([]);
    const throttled = emulator().proxy.calls.filter((call) => call.operation === "DescribeKey" && call.status === 400);
    expect(throttled.length).toBe(4);
  });

  it("marks exactly the keys whose calls stayed throttled until the run deadline as errors, saying so", async () => {
    const keys = await seedKeys();
    emulator().proxy.inject({ service: "kms", operation: "GetKeyRotationStatus", kind: "throttle" });
    const ctx = testContext(emulator(), { now: NOW, maxAttempts: 2, deadline: Date.now() });
    const items = byKey(await collectAll(kmsKeyRotation, ctx));
    const errors = Object.values(items).filter((item) => item.status === "error").map((item) => item.resource.name);
    expect(errors.sort()).toEqual([keys.rotating, keys.slow, keys.off, keys.stale].sort());
    expect(items[keys.rotating]?.observed.errorCode).toBe("RunDeadlineExceeded");
    expect(items[keys.signing]?.status).toBe("not_applicable");
  });

  it("turns a denied per-key call into error items and goes on", async () => {
    const keys = await seedKeys();
    emulator().proxy.inject({ service: "kms", operation: "ListKeyRotations", kind: "deny" });
    const items = byKey(await collectAll(kmsKeyRotation, testContext(emulator(), { now: NOW })));
    expect(items[keys.rotating]).toMatchObject({ status: "error", observed: { errorCode: "AccessDeniedException" } });
    expect(items[keys.disabled]?.status).toBe("not_applicable");
  });

  it("stops with the AWS error when the keys cannot be listed, for the runner to record", async () => {
    await seedKeys();
    emulator().proxy.inject({ service: "kms", operation: "ListKeys", kind: "deny" });
    await expect(collectAll(kmsKeyRotation, testContext(emulator(), { now: NOW }))).rejects.toMatchObject({ name: "AccessDeniedException" });
  });
});
