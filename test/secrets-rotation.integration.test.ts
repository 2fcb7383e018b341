import { describe, expect, it } from "vitest";
import secretsRotation from "../collectors/secrets-rotation.js";
import type { ItemDraft } from "../src/core/model.js";
import { useEmulator } from "./support/emulator.js";
import { collectAll, testContext } from "./support/context.js";
import { ACCOUNT, daysBefore, rotationLambda, rotationSucceeded, seedSecrets, type SecretSeed } from "./fixtures/secrets.js";

const emulator = useEmulator();
const REGION = "us-east-1";
const REPLICA_REGION = "us-west-2";
const CMK = `arn:aws:kms:${REGION}:${ACCOUNT}:key/7d0c2b9e-3f4a-4b5c-8d6e-1a2b3c4d5e6f`;

const ESTATE: SecretSeed[] = [
  {
    name: "prod/rotating",
    rotation: { AutomaticallyAfterDays: 30 },
    lastRotatedDaysAgo: 10,
    createdDaysAgo: 400,
  },
  { name: "prod/never-configured", createdDaysAgo: 200 },
  { name: "prod/slow", rotation: { ScheduleExpression: "rate(120 days)" }, lastRotatedDaysAgo: 5 },
  {
    name: "prod/overdue",
    rotation: { AutomaticallyAfterDays: 90 },
    lastRotatedDaysAgo: 131,
    createdDaysAgo: 400,
  },
  {
    name: "prod/monthly-cron",
    kmsKeyId: CMK,
    rotation: { ScheduleExpression: "cron(0 4 1 * ? *)", Duration: "2h" },
    lastRotatedDaysAgo: 20,
    createdDaysAgo: 300,
  },
  {
    name: "prod/replicated",
    replicaRegions: [REPLICA_REGION],
    rotation: { AutomaticallyAfterDays: 30 },
    lastRotatedDaysAgo: 3,
  },
];

const byName = (items: ItemDraft[]) => new Map(items.map((item) => [item.resource.name, item]));

describe("secrets-rotation against the emulator", () => {
  it("judges every seeded secret from ListSecrets and never reads a value", async () => {
    const now = new Date();
    const arns = await seedSecrets(emulator(), REGION, ESTATE, now);
    const rotating = String(arns.get("prod/rotating"));
    emulator().proxy.seed.cloudTrailEvents(ACCOUNT, REGION, [
      rotationSucceeded(rotating, daysBefore(now, 40), REGION),
      rotationSucceeded(rotating, daysBefore(now, 100), REGION), // past CloudTrail's 90 days: never returned
    ]);
    const items = byName(await collectAll(secretsRotation, testContext(emulator(), { now, region: REGION })));

    expect([...items.keys()].sort()).toEqual(ESTATE.map((seed) => seed.name).sort());
    expect(items.get("prod/rotating")).toMatchObject({
      status: "pass",
      observed: {
        intervalSource: "AutomaticallyAfterDays",
        intervalDays: 30,
        rotationLambdaArn: rotationLambda(REGION),
        rotationEvents: [daysBefore(now, 40).toISOString()],
      },
    });
    expect(items.get("prod/never-configured")).toMatchObject({ status: "fail", reason: "rotation disabled" });
    expect(items.get("prod/slow")).toMatchObject({
      status: "fail",
      reason: "rotates every 120 days, policy is 90",
    });
    expect(items.get("prod/overdue")).toMatchObject({
      status: "fail",
      reason: "rotation enabled but last succeeded 131 days ago",
      observed: { rotationEvents: [] },
    });
    expect(items.get("prod/monthly-cron")).toMatchObject({
      status: "pass",
      observed: {
        scheduleExpression: "cron(0 4 1 * ? *)",
        duration: "2h",
        intervalSource: "cron",
        intervalDays: 31,
        kmsKeyId: CMK,
        kmsKeyManager: "customer-managed",
      },
    });
    expect(items.get("prod/replicated")).toMatchObject({
      status: "pass",
      observed: { primaryRegion: REGION, kmsKeyManager: "aws-managed" },
    });
    // Its replica is listed, and judged, in REPLICA_REGION: no DescribeSecret for ReplicationStatus.
    expect(items.get("prod/replicated")?.observed).not.toHaveProperty("replicaRegions");
    expect(items.get("prod/rotating")?.source.operations).toEqual([
      "ListSecrets",
      "LookupEvents",
    ]);
    // The ListSecrets page and the LookupEvents page that named the secret.
    expect(items.get("prod/rotating")?.source.requestIds).toHaveLength(2);

    const proxy = emulator().proxy;
    expect(proxy.count("GetSecretValue") + proxy.count("BatchGetSecretValue")).toBe(0);
    expect(proxy.count("DescribeSecret"), "ListSecrets pages only").toBe(0);
    expect(proxy.count("LookupEvents", { region: REGION })).toBe(1);
    expect(JSON.stringify([...items.values()])).not.toContain("seed-prod/");
  });

  it("leaves a replica to its primary region, by name", async () => {
    const now = new Date();
    const arns = await seedSecrets(emulator(), REGION, ESTATE.slice(-1), now);
    const items = await collectAll(secretsRotation, testContext(emulator(), { now, region: REPLICA_REGION }));

    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ status: "not_applicable", observed: { primaryRegion: REGION } });
    expect(items[0]?.reason).toContain(String(arns.get("prod/replicated")));
    expect(emulator().proxy.count("DescribeSecret")).toBe(0);
  });

  it("still judges every secret when LookupEvents is denied, and says why events are missing", async () => {
    const now = new Date();
    await seedSecrets(emulator(), REGION, ESTATE, now);
    emulator().proxy.inject({ service: "cloudtrail", operation: "LookupEvents", kind: "deny" });
    const items = await collectAll(secretsRotation, testContext(emulator(), { now, region: REGION }));

    expect(items).toHaveLength(ESTATE.length);
    expect(items.filter((item) => item.status === "error")).toEqual([]);
    for (const item of items) expect(item.observed.rotationEventsUnavailable).toBe("AccessDeniedException");
    expect(byName(items).get("prod/overdue")).toMatchObject({
      reason: "rotation enabled but last succeeded 131 days ago",
    });
  });

  it("never needs DescribeSecret: denying it changes no verdict", async () => {
    const now = new Date();
    await seedSecrets(emulator(), REGION, ESTATE, now);
    emulator().proxy.inject({ service: "secretsmanager", operation: "DescribeSecret", kind: "deny" });
    const items = await collectAll(secretsRotation, testContext(emulator(), { now, region: REGION }));

    expect(items).toHaveLength(ESTATE.length);
    expect(items.filter((item) => item.status === "error")).toEqual([]);
  });

  it("retries a throttled ListSecrets past maxAttempts until answered, and judges every secret", async () => {
    const now = new Date();
    await seedSecrets(emulator(), REGION, ESTATE, now);
    const proxy = emulator().proxy;
    proxy.inject({ service: "secretsmanager", operation: "ListSecrets", kind: "throttle", times: 5 });
    const items = await collectAll(
      secretsRotation,
      testContext(emulator(), { now, region: REGION, maxAttempts: 2 }),
    );

    expect(proxy.count(undefined, { fault: "throttle" })).toBe(5);
    expect(items).toHaveLength(ESTATE.length);
    expect(items.filter((item) => item.status === "error")).toEqual([]);
    expect(byName(items).get("prod/rotating")?.status).toBe("pass");
  });

  it("fails the collector, not silently, when ListSecrets is denied", async () => {
    await seedSecrets(emulator(), REGION, ESTATE.slice(0, 1), new Date());
    emulator().proxy.inject({ service: "secretsmanager", operation: "ListSecrets", kind: "deny" });
    const ctx = testContext(emulator(), { region: REGION });

    await expect(collectAll(secretsRotation, ctx)).rejects.toMatchObject({ name: "AccessDeniedException" });
  });
});
