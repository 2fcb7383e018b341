import { expectDeclaredCalls } from "./support/permissions.js";
import { probeTls } from "../src/aws/tls-probe.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import collector from "../collectors/access-analyzer-findings.js";
import { findCollector } from "../collectors/index.js";
import { AwsClients } from "../src/aws/clients.js";
import { defaultsOf, type CollectContext } from "../src/core/collector.js";
import { ExceptionBook } from "../src/config/exceptions.js";
import { silentLogger } from "../src/cli/log.js";
import type { EvidenceItem, ItemDraft, Period } from "../src/core/model.js";
import { runTasks } from "../src/run/runner.js";
import { useEmulator } from "./support/emulator.js";
import type { AccessAnalyzerSeed } from "./support/served-access-analyzer.js";
import { ACCOUNT, NOW, analyzer, analyzerArn, archiveRule, daysAgo, finding, manyFindings, typicalEstate } from "./fixtures/findings.js";

const emulator = useEmulator();
let clients: AwsClients;

beforeEach(() => {
  Object.assign(process.env, emulator().env);
  clients = new AwsClients({ callerAccount: ACCOUNT, partition: "aws", maxAttempts: 2 });
});
afterEach(() => clients.destroy());

const seed = (region: string, estate: AccessAnalyzerSeed) =>
  emulator().proxy.seed.accessAnalyzer(ACCOUNT, region, estate);

const context = (region: string, period?: Period): CollectContext => ({
  account: ACCOUNT,
  region,
  regions: ["us-east-1", "us-east-2"],
  partition: "aws",
  clients,
  now: () => NOW,
  log: silentLogger,
  probeTls,
  ...(period ? { period } : {}),
});

async function collect(region: string, period?: Period): Promise<ItemDraft[]> {
  const items: ItemDraft[] = [];
  for await (const item of collector.collect(context(region, period), defaultsOf(collector.params))) {
    items.push(item);
  }
  expectDeclaredCalls(collector, clients.ledger);
  return items;
}

/** Items by the finding id in their name, or by resource name for analyzers. */
function byName(items: ItemDraft[]): Map<string, ItemDraft> {
  return new Map(
    items.map((item) => [/\(finding (.+)\)$/.exec(item.resource.name)?.[1] ?? item.resource.name, item]),
  );
}

describe("access-analyzer-findings against the emulator", () => {
  it("judges each analyzer and each finding of a typical region", async () => {
    seed("us-east-1", typicalEstate());
    const items = byName(await collect("us-east-1"));

    expect(items.get("external")).toMatchObject({ status: "pass" });
    expect(items.get("unused")).toMatchObject({
      status: "not_applicable",
      reason: "unused-access analyzer (reported, not judged)",
    });
    expect(items.get("fresh")).toMatchObject({ status: "pass", observed: { ageDays: 3, isPublic: false } });
    expect(items.get("stale")).toMatchObject({ status: "fail", observed: { ageDays: 45 } });
    expect(items.get("public")).toMatchObject({
      status: "fail",
      observed: { isPublic: true, principal: { AWS: "*" } },
    });
    expect(items.get("partner")).toMatchObject({
      status: "excepted",
      reason: "archived by rule trusted-partner",
      observed: { archiveRule: "trusted-partner" },
    });
    expect(items.get("manual")).toMatchObject({ status: "excepted", reason: "archived manually" });
    expect(items.get("fixed")).toMatchObject({ status: "pass", observed: { resolvedInDays: 20 } });
    expect(items.has("long-fixed")).toBe(false);
    expect(
      [...items.values()].some((item) => item.reason.includes("no active external-access analyzer")),
    ).toBe(false);
    expect(items.get("stale")?.resource).toMatchObject({
      arn: "arn:aws:s3:::bucket-stale",
      type: "AWS::S3::Bucket",
    });
    expect(items.get("stale")?.source.operations).toEqual([
      "ListAnalyzers",
      "ListArchiveRules",
      "ListFindings",
    ]);
  });

  it("reads every finding's details from ListFindings pages, with no GetFindingV2 per finding", async () => {
    seed("us-east-1", typicalEstate());
    const items = byName(await collect("us-east-1"));
    // The trusted-partner rule filters on principal.AWS: ListFindings lists it, so the rule is still evaluated.
    expect(items.get("partner")?.observed).toMatchObject({ archiveRule: expect.any(String) });
    expect(emulator().proxy.count("GetFindingV2")).toBe(0);
    expect(emulator().proxy.count("ListFindings")).toBe(1);

    await emulator().reset();
    seed("us-east-1", {
      ...typicalEstate(),
      archiveRules: [archiveRule("external", "sqs", { resourceType: { eq: ["AWS::SQS::Queue"] } })],
    });
    await collect("us-east-1");
    expect(emulator().proxy.count("GetFindingV2")).toBe(0);
  });

  it.each([
    ["no analyzer at all", []],
    ["only an unused-access analyzer", [analyzer("unused", { type: "ORGANIZATION_UNUSED_ACCESS" })]],
    ["an external analyzer still CREATING", [analyzer("new", { status: "CREATING" })]],
    ["an external analyzer that FAILED", [analyzer("broken", { type: "ORGANIZATION", status: "FAILED" })]],
  ])("fails a region with %s", async (_name, analyzers) => {
    seed("us-east-2", { analyzers });
    const items = await collect("us-east-2");
    expect(items[0]).toMatchObject({
      status: "fail",
      reason: "no active external-access analyzer in us-east-2",
      resource: {
        arn: "arn:aws:access-analyzer:us-east-2:123456789012:analyzer/*",
        type: "AWS::AccessAnalyzer::Analyzer",
      },
    });
    expect(items.filter((item) => item.status === "pass")).toEqual([]);
    expect(emulator().proxy.count("ListFindings")).toBe(0);
  });

  it("reads each region's findings from that region", async () => {
    seed("us-east-1", {
      analyzers: [analyzer("east1")],
      findings: [finding("in-east-1", { openedDaysAgo: 2 })],
    });
    seed("us-east-2", {
      analyzers: [analyzer("east2")],
      findings: [finding("in-east-2", { openedDaysAgo: 40 })],
    });
    const east1 = byName(await collect("us-east-1"));
    const east2 = byName(await collect("us-east-2"));
    expect([...east1.keys()].sort()).toEqual(["east1", "in-east-1"]);
    expect([...east2.keys()].sort()).toEqual(["east2", "in-east-2"]);
    expect(east2.get("in-east-2")).toMatchObject({ status: "fail" });
    const regions = emulator()
      .proxy.calls.filter((call) => call.operation === "ListFindings")
      .map((call) => call.region);
    expect(regions).toEqual(["us-east-1", "us-east-2"]);
  });

  it("pages through every finding at 100 a page", async () => {
    const sizes: unknown[] = [];
    emulator().proxy.patch("access-analyzer", "ListFindings", (body, request) => {
      sizes.push(request.body.maxResults);
      return body;
    });
    seed("us-east-1", { analyzers: [analyzer("external")], findings: manyFindings(230) });
    const items = await collect("us-east-1");
    expect(items.filter((item) => item.resource.name.includes("(finding bulk-"))).toHaveLength(230);
    expect(sizes).toEqual([100, 100, 100]);
  });

  it("lists findings resolved inside the period, not the 90 days before now", async () => {
    const q3: Period = { label: "2026-Q3", start: "2026-07-01", end: "2026-09-30" };
    seed("us-east-1", {
      analyzers: [analyzer("external")],
      findings: [
        finding("resolved-in-q3", { openedDaysAgo: 60, updatedDaysAgo: 41, status: "RESOLVED" }),
        finding("resolved-in-q2", { openedDaysAgo: 80, updatedDaysAgo: 56, status: "RESOLVED" }),
      ],
    });
    const items = byName(await collect("us-east-1", q3));
    expect(items.get("resolved-in-q3")).toMatchObject({ status: "pass", reason: "resolved in 19 days" });
    expect(items.has("resolved-in-q2")).toBe(false);
    expect(daysAgo(56).toISOString() < "2026-07-01").toBe(true);
  });

  it("retries throttled ListFindings past maxAttempts until answered, and judges every finding", async () => {
    seed("us-east-1", typicalEstate());
    emulator().proxy.inject({
      service: "access-analyzer",
      operation: "ListFindings",
      kind: "throttle",
      times: 8,
    });
    const items = await collect("us-east-1");
    expect(items.filter((item) => item.status === "error")).toEqual([]);
    expect(byName(items).get("stale")).toMatchObject({ status: "fail" });
    expect(emulator().proxy.count("ListFindings", { fault: "throttle" })).toBe(8);
  });

  it("makes error items of archived findings when the archive rules are denied", async () => {
    seed("us-east-1", typicalEstate());
    emulator().proxy.inject({ service: "access-analyzer", operation: "ListArchiveRules", kind: "deny" });
    const items = byName(await collect("us-east-1"));
    expect(items.get("partner")).toMatchObject({
      status: "error",
      observed: { errorCode: "AccessDeniedException" },
    });
    expect(items.get("manual")).toMatchObject({ status: "error" });
    expect(items.get("stale")).toMatchObject({ status: "fail" });
  });

  it("marks the population incomplete in a region where findings are denied, and runs the other region", async () => {
    seed("us-east-1", typicalEstate());
    seed("us-east-2", {
      analyzers: [analyzer("east2")],
      findings: [finding("in-east-2", { openedDaysAgo: 1 })],
    });
    emulator().proxy.inject({ operation: "ListFindings", region: "us-east-1", kind: "deny" });
    const items: EvidenceItem[] = [];
    const registered = findCollector("access-analyzer-findings");
    if (!registered) throw new Error("access-analyzer-findings is not in the registry");
    const planned = { ...registered.bind({}), controlIds: ["CC6.3"] };
    const populations = await runTasks(
      ["us-east-1", "us-east-2"].map((region) => ({ ...planned, account: ACCOUNT, region })),
      {
        clients,
        partition: "aws",
        regions: ["us-east-1", "us-east-2"],
        now: () => NOW,
        log: silentLogger,
        exceptions: new ExceptionBook([], "2026-08-15"),
        concurrency: 2,
      },
      (item) => void items.push(item),
    );
    const east1 = populations.find((population) => population.region === "us-east-1");
    expect(east1).toMatchObject({ paginationComplete: false, errors: 1 });
    expect(items.find((item) => item.region === "us-east-1" && item.status === "error")).toMatchObject({
      observed: { errorCode: "AccessDeniedException" },
    });
    expect(items.find((item) => item.resource.arn === analyzerArn("us-east-1", "external"))).toMatchObject({
      status: "pass",
    });
    expect(populations.find((population) => population.region === "us-east-2")).toMatchObject({
      paginationComplete: true,
    });
    expect(items.some((item) => item.resource.name === "bucket-in-east-2 (finding in-east-2)")).toBe(true);
  });
});
