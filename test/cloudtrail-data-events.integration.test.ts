import { expectDeclaredCalls } from "./support/permissions.js";
import { probeTls } from "../src/aws/tls-probe.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import collector from "../collectors/cloudtrail-data-events.js";
import { AwsClients } from "../src/aws/clients.js";
import { defaultsOf, type CollectContext } from "../src/core/collector.js";
import { silentLogger } from "../src/cli/log.js";
import type { ItemDraft, Period } from "../src/core/model.js";
import { useEmulator } from "./support/emulator.js";
import { ACCOUNT, compliant, EVIDENCE_ARN, EVIDENCE_BUCKET, REGIONS, secretEvent, seedTrails, trailArn, type TrailSeed } from "./fixtures/trails.js";

const emulator = useEmulator();
// LookupEvents is served against the wall clock (90 days back from now), so the tests' clock is today.
const NOW = new Date();
const DAY_MS = 86_400_000;
let clients: AwsClients;

beforeEach(() => {
  Object.assign(process.env, emulator().env);
  clients = new AwsClients({ callerAccount: ACCOUNT, partition: "aws", maxAttempts: 2 });
});
afterEach(() => clients.destroy());

const context = (period?: Period): CollectContext => ({
  account: ACCOUNT,
  region: "us-east-1",
  regions: REGIONS,
  partition: "aws",
  clients,
  now: () => NOW,
  log: silentLogger,
  probeTls,
  evidenceBucket: EVIDENCE_BUCKET,
  ...(period ? { period } : {}),
});

async function collect(period?: Period): Promise<Map<string, ItemDraft>> {
  const items = new Map<string, ItemDraft>();
  for await (const item of collector.collect(context(period), defaultsOf(collector.params))) {
    items.set(item.resource.name, item);
  }
  expectDeclaredCalls(collector, clients.ledger);
  return items;
}

/** One passing trail among four that each miss something, two of them homed in us-east-2. */
const ESTATE: TrailSeed[] = [
  compliant("org-trail"),
  { ...compliant("regional", "us-east-2"), multiRegion: false, validation: false },
  {
    ...compliant("write-only"),
    eventSelectors: [{ ReadWriteType: "WriteOnly", IncludeManagementEvents: true }],
  },
  {
    ...compliant("excludes-evidence", "us-east-2"),
    eventSelectors: undefined,
    advancedEventSelectors: [
      { Name: "management", FieldSelectors: [{ Field: "eventCategory", Equals: ["Management"] }] },
      {
        Name: "S3 except evidence",
        FieldSelectors: [
          { Field: "eventCategory", Equals: ["Data"] },
          { Field: "resources.type", Equals: ["AWS::S3::Object"] },
          { Field: "resources.ARN", NotStartsWith: [EVIDENCE_ARN] },
        ],
      },
    ],
  },
  { ...compliant("defaults"), multiRegion: false, eventSelectors: undefined, deliveredHoursAgo: 30 },
];

describe("cloudtrail-data-events against the emulator", () => {
  it("judges each trail once, from its home region, and passes the account on the one good trail", async () => {
    await seedTrails(emulator(), ESTATE, NOW);
    const items = await collect();

    expect(items.get("org-trail")).toMatchObject({
      status: "pass",
      region: "us-east-1",
      resource: { arn: trailArn("us-east-1", "org-trail"), type: "AWS::CloudTrail::Trail" },
    });
    expect(items.get("regional")).toMatchObject({
      status: "fail",
      region: "us-east-2",
      reason: "not multi-Region; log file validation off",
    });
    expect(items.get("write-only")).toMatchObject({ status: "fail" });
    expect(items.get("write-only")?.observed.missing).toEqual([
      "management events read not logged",
      `data events for ${EVIDENCE_ARN} read and write not logged`,
    ]);
    expect(items.get("excludes-evidence")).toMatchObject({
      status: "fail",
      region: "us-east-2",
      reason: `data events for ${EVIDENCE_ARN} read and write not logged`,
    });
    expect(items.get("excludes-evidence")?.observed.selectors).toContain(
      `advanced "S3 except evidence": eventCategory Equals Data; resources.type Equals AWS::S3::Object; ` +
        `resources.ARN NotStartsWith ${EVIDENCE_ARN}`,
    );
    // No selectors configured: AWS's default logs all management events, and no data events.
    expect(items.get("defaults")?.observed).toMatchObject({
      coverage: { management: { read: true, write: true } },
      missing: [
        "not multi-Region",
        `data events for ${EVIDENCE_ARN} read and write not logged`,
        "last log delivery 30h ago (max 24h)",
      ],
    });
    expect(items.get("logging requirement")).toMatchObject({
      status: "pass",
      region: "us-east-1",
      reason: "org-trail meets every logging requirement",
      observed: { regionsScanned: REGIONS, trailsFound: 5, shadowTrailsSkipped: 3 },
    });
    expect(items.size).toBe(6);

    const proxy = emulator().proxy;
    expect(proxy.count("DescribeTrails")).toBe(2);
    // Status and selectors once per trail, each asked of the trail's home region (moto answers nothing elsewhere).
    for (const region of REGIONS) {
      const homed = ESTATE.filter((seed) => seed.region === region).length;
      expect(proxy.count("GetTrailStatus", { region })).toBe(homed);
      expect(proxy.count("GetEventSelectors", { region })).toBe(homed);
    }
    expect(items.get("excludes-evidence")?.source.operations).toEqual([
      "DescribeTrails",
      "GetTrailStatus",
      "GetEventSelectors",
    ]);
  });

  it("reads advanced selectors as stored, including readOnly", async () => {
    const management = { Field: "eventCategory", Equals: ["Management"] };
    const evidenceData = [
      { Field: "eventCategory", Equals: ["Data"] },
      { Field: "resources.type", Equals: ["AWS::S3::Object"] },
      { Field: "resources.ARN", StartsWith: [EVIDENCE_ARN] },
    ];
    await seedTrails(
      emulator(),
      [
        {
          ...compliant("advanced"),
          eventSelectors: undefined,
          advancedEventSelectors: [{ FieldSelectors: [management] }, { FieldSelectors: evidenceData }],
        },
        {
          ...compliant("reads-only", "us-east-2"),
          eventSelectors: undefined,
          advancedEventSelectors: [
            { FieldSelectors: [management] },
            { FieldSelectors: [...evidenceData, { Field: "readOnly", Equals: ["true"] }] },
          ],
        },
      ],
      NOW,
    );
    const items = await collect();
    expect(items.get("advanced")).toMatchObject({ status: "pass" });
    expect(items.get("advanced")?.observed.selectors).toEqual([
      "advanced: eventCategory Equals Management",
      `advanced: eventCategory Equals Data; resources.type Equals AWS::S3::Object; resources.ARN StartsWith ${EVIDENCE_ARN}`,
    ]);
    expect(items.get("reads-only")).toMatchObject({
      status: "fail",
      reason: `data events for ${EVIDENCE_ARN} write not logged`,
    });
  });

  it("fails the account naming what the closest trail misses when no trail meets everything", async () => {
    await seedTrails(
      emulator(),
      [
        { ...compliant("stale"), deliveredHoursAgo: 48, deliveryError: "AccessDenied" },
        { ...compliant("not-logging", "us-east-2"), logging: false, kms: false, deliveredHoursAgo: null },
      ],
      NOW,
    );
    const account = (await collect()).get("logging requirement");
    expect(account).toMatchObject({ status: "fail" });
    expect(account?.reason).toContain(
      "stale (closest of 2 trails): last log delivery 48h ago (max 24h); log delivery error AccessDenied",
    );
  });

  it("fails the account when no region has a trail", async () => {
    const items = await collect();
    expect([...items.keys()]).toEqual(["logging requirement"]);
    expect(items.get("logging requirement")).toMatchObject({
      status: "fail",
      reason: "no CloudTrail trail in us-east-1, us-east-2",
      observed: { trailsFound: 0, shadowTrailsSkipped: 0 },
    });
  });

  it("retries a throttled call and still judges every trail", async () => {
    await seedTrails(emulator(), ESTATE, NOW);
    emulator().proxy.inject({
      service: "cloudtrail",
      operation: "GetTrailStatus",
      kind: "throttle",
      times: 1,
    });
    const items = await collect();
    expect([...items.values()].filter((item) => item.status === "error")).toEqual([]);
    expect(emulator().proxy.calls.filter((call) => call.fault === "throttle")).toHaveLength(1);
    expect(emulator().proxy.count("GetTrailStatus")).toBe(ESTATE.length + 1);
    expect(items.get("logging requirement")?.status).toBe("pass");
  });

  it("turns trails throttled until the run deadline into error items that say so, and goes on", async () => {
    clients.destroy();
    clients = new AwsClients({ callerAccount: ACCOUNT, partition: "aws", maxAttempts: 2, deadline: Date.now() });
    await seedTrails(emulator(), ESTATE, NOW);
    emulator().proxy.inject({
      service: "cloudtrail",
      operation: "GetEventSelectors",
      region: "us-east-2",
      kind: "throttle",
    });
    const items = await collect();
    for (const name of ["regional", "excludes-evidence"]) {
      expect(items.get(name)).toMatchObject({
        status: "error",
        observed: { errorCode: "RunDeadlineExceeded" },
      });
    }
    expect(items.get("org-trail")?.status).toBe("pass");
    expect(items.get("logging requirement")?.status).toBe("pass");
  });

  it("records a region whose trails cannot be listed and still judges the trails seen from the others", async () => {
    await seedTrails(emulator(), ESTATE, NOW);
    emulator().proxy.inject({
      service: "cloudtrail",
      operation: "DescribeTrails",
      region: "us-east-2",
      kind: "deny",
    });
    const items = await collect();
    expect(items.get("trails in us-east-2")).toMatchObject({
      status: "error",
      region: "us-east-2",
      observed: { errorCode: "AccessDeniedException" },
    });
    // The multi-Region trail homed in us-east-2 is still seen (as a shadow) from us-east-1; the regional one is not.
    expect(items.get("excludes-evidence")?.status).toBe("fail");
    expect(items.has("regional")).toBe(false);
    expect(items.get("logging requirement")).toMatchObject({
      status: "pass",
      observed: { regionsScanned: ["us-east-1"], regionsFailed: { "us-east-2": "AccessDeniedException" } },
    });
  });

  it("does not claim the requirement met when the trails' selectors cannot be read", async () => {
    await seedTrails(emulator(), [compliant("org-trail")], NOW);
    emulator().proxy.inject({ service: "cloudtrail", operation: "GetEventSelectors", kind: "deny" });
    const items = await collect();
    expect(items.get("org-trail")).toMatchObject({
      status: "error",
      observed: { errorCode: "AccessDeniedException" },
    });
    expect(items.get("logging requirement")).toMatchObject({ status: "error" });
  });
});

describe("period evidence from CloudTrail event history", () => {
  const app = `arn:aws:iam::${ACCOUNT}:role/app`;
  const admin = `arn:aws:iam::${ACCOUNT}:role/admin`;
  const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY_MS);
  const day = (date: Date) => date.toISOString().slice(0, 10);

  beforeEach(async () => {
    await seedTrails(emulator(), [compliant("org-trail")], NOW);
    const reads = Array.from({ length: 60 }, (_, index) =>
      secretEvent("GetSecretValue", app, daysAgo(1 + index / 10)),
    );
    emulator().proxy.seed.cloudTrailEvents(ACCOUNT, "us-east-1", [
      ...reads,
      secretEvent("GetSecretValue", admin, daysAgo(3)),
      secretEvent("GetSecretValue", admin, daysAgo(40)),
      secretEvent("RotationSucceeded", "arn:aws:iam::123456789012:role/rotation", daysAgo(5)),
      secretEvent("RotationSucceeded", "arn:aws:iam::123456789012:role/rotation", daysAgo(12)),
      secretEvent("RotateSecret", admin, daysAgo(12)),
    ]);
    emulator().proxy.seed.cloudTrailEvents(ACCOUNT, "us-east-2", [
      secretEvent("GetSecretValue", admin, daysAgo(2)),
    ]);
  });

  it("counts secret reads per principal and rotation events per region over the period, paging through", async () => {
    const period = { label: "last-30-days", start: day(daysAgo(30)), end: day(NOW) };
    const account = (await collect(period)).get("logging requirement");
    expect(account?.status).toBe("pass");
    expect(account?.observed).toMatchObject({
      lookupWindow: { start: `${period.start}T00:00:00.000Z`, end: NOW.toISOString() },
      secretReadsByPrincipal: { "us-east-1": { [app]: 60, [admin]: 1 }, "us-east-2": { [admin]: 1 } },
      rotationEvents: {
        "us-east-1": { RotationSucceeded: 2, RotateSecret: 1 },
        "us-east-2": { RotationSucceeded: 0, RotateSecret: 0 },
      },
    });
    expect(account?.observed.lookupNote).toBeUndefined();
    const proxy = emulator().proxy;
    // 61 reads in us-east-1 take two pages; then one page per rotation event name, and three calls in us-east-2.
    expect(proxy.count("LookupEvents", { region: "us-east-1" })).toBe(4);
    expect(proxy.count("LookupEvents", { region: "us-east-2" })).toBe(3);
    expect(proxy.count("GetSecretValue")).toBe(0);
    expect(account?.source.operations).toContain("LookupEvents");
  });

  it("queries only the last 90 days of a longer period, and says so", async () => {
    const period = { label: "year", start: day(daysAgo(200)), end: day(NOW) };
    const account = (await collect(period)).get("logging requirement");
    const window = account?.observed.lookupWindow as { start: string };
    expect(window.start).toBe(daysAgo(90).toISOString());
    expect(account?.observed.lookupNote).toContain("keeps 90 days");
    expect(account?.observed.secretReadsByPrincipal).toMatchObject({ "us-east-1": { [admin]: 2 } });
  });

  it("records a denied LookupEvents and still judges the trail configuration", async () => {
    emulator().proxy.inject({
      service: "cloudtrail",
      operation: "LookupEvents",
      region: "us-east-2",
      kind: "deny",
    });
    const period = { label: "last-30-days", start: day(daysAgo(30)), end: day(NOW) };
    const account = (await collect(period)).get("logging requirement");
    expect(account).toMatchObject({
      status: "pass",
      observed: {
        lookupEventsError: { "us-east-2": "AccessDeniedException" },
        secretReadsByPrincipal: { "us-east-1": { [admin]: 1 } },
      },
    });
    expect(account?.observed.secretReadsByPrincipal).not.toHaveProperty("us-east-2");
  });
});
