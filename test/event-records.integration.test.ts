// CloudTrail event history in one run: each event name is looked up once per account-region, whichever collectors
// read it, and every reader judges, counts and cites exactly what it would have reading alone.
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { describe, expect, it } from "vitest";
import { findCollector } from "../collectors/index.js";
import { ExceptionBook } from "../src/config/exceptions.js";
import type { EvidenceItem, ItemDraft, Period } from "../src/core/model.js";
import { runTasks, type PlannedTask } from "../src/run/runner.js";
import { collectAll, testContext } from "./support/context.js";
import { clientConfig, DEFAULT_ACCOUNT, useEmulator } from "./support/emulator.js";
import type { SeedEvent } from "./support/served-lookup-events.js";
import { compliant, EVIDENCE_BUCKET, secretEvent, seedTrails } from "./fixtures/trails.js";
import { secretRead } from "./fixtures/secret-reads.js";

const emulator = useEmulator();
const REGION = "us-east-1";
const A = DEFAULT_ACCOUNT;
const DAY_MS = 86_400_000;
// LookupEvents is served against the wall clock (90 days back from it), so the run's clock is today.
const NOW = new Date();
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY_MS);
const PERIOD: Period = { label: "last-30-days", start: daysAgo(30).toISOString().slice(0, 10), end: NOW.toISOString().slice(0, 10) };
const READERS = ["cloudtrail-data-events", "secrets-access-review", "secrets-rotation", "secrets-hygiene"];
const app = `arn:aws:iam::${A}:role/app`;

const rotationSucceeded = (secretArn: string, at: Date): SeedEvent => ({
  EventName: "RotationSucceeded",
  EventSource: "secretsmanager.amazonaws.com",
  EventTime: at,
  CloudTrailEvent: { eventName: "RotationSucceeded", eventType: "AwsServiceEvent", additionalEventData: { SecretId: secretArn } },
});
const deleteSecret = (name: string, at: Date, recoveryWindowInDays: number): SeedEvent => ({
  EventName: "DeleteSecret",
  EventSource: "secretsmanager.amazonaws.com",
  EventTime: at,
  Username: "admin",
  Resources: [{ ResourceType: "AWS::SecretsManager::Secret", ResourceName: name }],
  CloudTrailEvent: { eventName: "DeleteSecret", requestParameters: { secretId: name, recoveryWindowInDays } },
});

/** A trail, one secret, and events of every name its readers look up: 61 reads (2 pages), some outside the period. */
async function seedEstate(): Promise<string> {
  await seedTrails(emulator(), [compliant("org-trail")], NOW);
  const sm = new SecretsManagerClient(clientConfig(emulator(), REGION));
  const secret = String((await sm.send(new CreateSecretCommand({ Name: "prod/db", SecretString: "seed-not-a-real-value" }))).ARN);
  sm.destroy();
  emulator().proxy.seed.cloudTrailEvents(A, REGION, [
    ...Array.from({ length: 60 }, (_, index) => secretRead(REGION, app, secret, daysAgo(1 + index / 10))),
    secretRead(REGION, `arn:aws:iam::${A}:user/alice`, secret, daysAgo(3)),
    // Before the period, inside the 90 days: secrets-rotation dates it, the period's activity does not count it.
    rotationSucceeded(secret, daysAgo(60)),
    rotationSucceeded(secret, daysAgo(5)),
    secretEvent("RotateSecret", `arn:aws:iam::${A}:role/admin`, daysAgo(5)),
    deleteSecret("prod/old", daysAgo(10), 7),
    deleteSecret("prod/older", daysAgo(45), 30),
  ]);
  return secret;
}

/** The readers as one run plans them: one cell, so one set of shared reads. */
async function runTogether(): Promise<EvidenceItem[]> {
  const ctx = testContext(emulator(), { now: NOW, region: REGION, period: PERIOD });
  const tasks: PlannedTask[] = READERS.map((id) => {
    const registered = findCollector(id);
    if (!registered) throw new Error(`${id} is not in the registry`);
    return { ...registered.bind({}), controlIds: ["CC6.1"], account: A, region: REGION };
  });
  const items: EvidenceItem[] = [];
  await runTasks(tasks, {
    clients: ctx.clients,
    partition: "aws",
    regions: [REGION],
    now: () => NOW,
    log: ctx.log,
    exceptions: new ExceptionBook([], PERIOD.end),
    evidenceBucket: EVIDENCE_BUCKET,
    period: PERIOD,
    concurrency: 1,
  }, (item) => void items.push(item));
  ctx.clients.destroy();
  return items;
}

/** Each reader on its own, with no run around it: every one looks up what it reads itself. */
async function runAlone(): Promise<(ItemDraft & { collector: string })[]> {
  const items: (ItemDraft & { collector: string })[] = [];
  for (const id of READERS) {
    const registered = findCollector(id);
    if (!registered) throw new Error(`${id} is not in the registry`);
    const ctx = { ...testContext(emulator(), { now: NOW, region: REGION, period: PERIOD }), evidenceBucket: EVIDENCE_BUCKET };
    for (const item of await collectAll(registered, ctx)) items.push({ ...item, collector: id });
    ctx.clients.destroy();
  }
  return items;
}

/** What an item concludes, without the calls behind it (request ids differ from run to run). */
const verdicts = (items: readonly (ItemDraft & { collector: string })[]) =>
  new Map(items.map((item) => [`${item.collector} ${item.resource.arn}`, { status: item.status, reason: item.reason, observed: item.observed }]));

/** LookupEvents requests by event name: how many started a sequence (no NextToken) and how many pages in all. */
function countLookups(): Map<string, { sequences: number; pages: number }> {
  const seen = new Map<string, { sequences: number; pages: number }>();
  emulator().proxy.patch("cloudtrail", "LookupEvents", (body, request) => {
    const name = String(request.body.LookupAttributes?.[0]?.AttributeValue);
    const entry = seen.get(name) ?? { sequences: 0, pages: 0 };
    entry.pages += 1;
    if (!request.body.NextToken) entry.sequences += 1;
    seen.set(name, entry);
    return body;
  });
  return seen;
}

const lookupIds = () => new Set(emulator().proxy.calls.filter((call) => call.operation === "LookupEvents").map((call) => String(call.requestId)));
const cited = (item: ItemDraft | undefined, ids: Set<string>) => (item?.source.requestIds ?? []).filter((id) => ids.has(id));

describe("CloudTrail event history shared by the collectors of one run", () => {
  it("looks up each event name once per account-region, and every reader concludes what it concluded alone", async () => {
    const secret = await seedEstate();
    const lookups = countLookups();
    const alone = verdicts(await runAlone());
    // Alone, the activity and the review each page through GetSecretValue, the activity and secrets-rotation each RotationSucceeded.
    expect(Object.fromEntries([...lookups].map(([name, { sequences }]) => [name, sequences]))).toEqual({ GetSecretValue: 2, RotationSucceeded: 2, RotateSecret: 1, DeleteSecret: 1 });
    lookups.clear();
    emulator().proxy.clearCalls();

    const together = await runTogether();
    expect(Object.fromEntries(lookups)).toEqual({
      GetSecretValue: { sequences: 1, pages: 2 },
      RotationSucceeded: { sequences: 1, pages: 1 },
      RotateSecret: { sequences: 1, pages: 1 },
      DeleteSecret: { sequences: 1, pages: 1 },
    });
    expect(emulator().proxy.count("LookupEvents")).toBe(5);
    expect(together.filter((item) => item.status === "error")).toEqual([]);
    expect(verdicts(together)).toEqual(alone);

    // Each reader's window, from the one read: the period's reads and rotations, secrets-rotation's 90 days.
    const item = (collector: string, name: string) => together.find((one) => one.collector === collector && one.resource.name === name);
    expect(item("cloudtrail-data-events", "logging requirement")?.observed).toMatchObject({
      secretReadsByPrincipal: { [REGION]: { [app]: 60, [`arn:aws:iam::${A}:user/alice`]: 1 } },
      rotationEvents: { [REGION]: { RotationSucceeded: 1, RotateSecret: 1 } },
    });
    expect(item("secrets-rotation", "prod/db")?.observed.rotationEvents).toEqual([daysAgo(60).toISOString(), daysAgo(5).toISOString()]);
    expect(item("secrets-hygiene", "DeleteSecret events")?.observed).toMatchObject({ deletions: 1, failing: 1 });
    expect(item("secrets-access-review", "prod/db")?.resource.arn).toBe(secret);

    // The evidence names the pages it depends on: the activity all of its three names, the review GetSecretValue's,
    // secrets-rotation the page that named the secret, the hygiene lookup DeleteSecret's. No page goes uncited.
    const ids = lookupIds();
    const activity = cited(item("cloudtrail-data-events", "logging requirement"), ids);
    const review = cited(item("secrets-access-review", "prod/db"), ids);
    const rotation = cited(item("secrets-rotation", "prod/db"), ids);
    const hygiene = cited(item("secrets-hygiene", "DeleteSecret events"), ids);
    expect([activity.length, review.length, rotation.length, hygiene.length]).toEqual([4, 2, 1, 1]);
    expect(activity).toEqual(expect.arrayContaining([...review, ...rotation]));
    expect(new Set([...activity, ...hygiene])).toEqual(ids);
  });

  it("gives every reader of a denied lookup the error evidence it gave alone, from one denied call per event name", async () => {
    await seedEstate();
    emulator().proxy.inject({ service: "cloudtrail", operation: "LookupEvents", kind: "deny" });
    const alone = verdicts(await runAlone());
    // Alone: GetSecretValue twice (the activity stops at its first denied name), RotationSucceeded, DeleteSecret.
    expect(emulator().proxy.count("LookupEvents", { fault: "deny" })).toBe(4);
    emulator().proxy.clearCalls();

    const together = await runTogether();
    expect(emulator().proxy.count("LookupEvents", { fault: "deny" })).toBe(3);
    expect(emulator().proxy.count("LookupEvents")).toBe(3);
    expect(verdicts(together)).toEqual(alone);
    const item = (collector: string, name: string) => together.find((one) => one.collector === collector && one.resource.name === name);
    const activity = item("cloudtrail-data-events", "logging requirement");
    const review = item("secrets-access-review", "prod/db");
    expect(activity?.observed.lookupEventsError).toEqual({ [REGION]: "AccessDeniedException" });
    expect(review?.observed.notRead).toContain(`CloudTrail in ${REGION} (AccessDeniedException): reads there are missing`);
    expect(item("secrets-rotation", "prod/db")?.observed.rotationEventsUnavailable).toBe("AccessDeniedException");
    expect(item("secrets-hygiene", "DeleteSecret events")).toMatchObject({ status: "error", observed: { errorCode: "AccessDeniedException" } });
    // The activity and the review cite the same denied GetSecretValue call.
    const ids = lookupIds();
    expect(cited(activity, ids)).toHaveLength(1);
    expect(cited(review, ids)).toEqual(cited(activity, ids));
  });
});
