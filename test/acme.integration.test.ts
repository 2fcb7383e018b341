// The acme estate end to end, in process: snapshot and package over two accounts x two regions, every seeded
// resource judged as the estate says, populations per collector x account x region, evidence.json per its schema.
import { readdir, readFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectJob } from "../src/run/jobs.js";
import { readBack, type CollectedPackage } from "./support/read-back.js";
import { loadConfig } from "../src/config/load.js";
import type { Logger } from "../src/core/log.js";
import type { PackageItem } from "../src/core/package-model.js";
import { parsePeriod } from "../src/core/period.js";
import { LocalStore } from "../src/store/local.js";
import { ACME_CONTROLS, MAIN, MEMBER, REGIONS, seedAcme, type AcmeEstate, type ExpectedVerdict } from "./fixtures/acme.js";
import { useEmulator } from "./support/emulator.js";
import { validateEvidenceJson } from "./support/evidence-schema.js";

const emulator = useEmulator();
// Each collector's `scope` (collectors/*.ts): one population per region, or one per account.
const REGION_SCOPED = [
  "kms-key-rotation",
  "secrets-rotation",
  "access-analyzer-findings",
  "elb-listener-tls",
  "ecs-task-secrets",
  "secrets-encryption",
  "secrets-hygiene",
  "secrets-monitoring",
];
const ACCOUNT_SCOPED = ["tls-in-transit", "cloudtrail-data-events", "secrets-access-policy", "secrets-access-review"];

let folder: string;
let saved: NodeJS.ProcessEnv;
let estate: AcmeEstate;
let result: CollectedPackage;
let packageFolder: string;
let secretValueReads: number;
let assumedRoles: number;
/** Every event the run logged, debug included, before any redaction. */
const logged: string[] = [];
const capture = (level: string, event: string, fields?: Record<string, unknown>) =>
  void logged.push(JSON.stringify({ level, event, fields }));
const capturingLogger: Logger = {
  event: capture,
  info: (event, fields) => capture("info", event, fields),
  warn: (event, fields) => capture("warn", event, fields),
  error: (event, fields) => capture("error", event, fields),
};

// One run for the whole file: the emulator is reset before each test, so everything is collected here.
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "acme-"));
  saved = { ...process.env };
  Object.assign(process.env, emulator().env);
  estate = await seedAcme(emulator());
  const now = new Date();
  const { config } = await loadConfig(ACME_CONTROLS, now);
  const store = new LocalStore(folder, config.store.prefix);
  const options = { config, store, log: capturingLogger, now: () => new Date() };
  result = await readBack(store, collectJob(options, parsePeriod("current", now), ["json"]));
  packageFolder = join(store.location, result.written.prefix);
  secretValueReads = emulator().proxy.count("GetSecretValue") + emulator().proxy.count("BatchGetSecretValue");
  assumedRoles = emulator().proxy.count("AssumeRole", { account: MAIN });
}, 120_000);

afterAll(async () => {
  process.env = saved;
  await rm(folder, { recursive: true, force: true });
});

const matches = (item: PackageItem, expected: ExpectedVerdict) =>
  item.collector === expected.collector &&
  item.account === expected.account &&
  (item.resource.arn === expected.arnOrName || item.resource.name === expected.arnOrName);

/** What differs between an item and its expected verdict, in words; empty when it matches. */
function differences(expected: ExpectedVerdict, items: PackageItem[]): string[] {
  const found = items.filter((item) => matches(item, expected));
  const subject = `${expected.collector} ${expected.account} ${expected.arnOrName} (${expected.about})`;
  if (found.length !== 1) return [`${subject}: ${found.length} items`];
  const [item] = found as [PackageItem];
  const problems: string[] = [];
  if (item.snapshot.status !== expected.status)
    problems.push(`snapshot ${item.snapshot.status}: ${item.snapshot.reason}`);
  if (item.status !== expected.status) problems.push(`package ${item.status}: ${item.reason}`);
  if (item.region !== expected.region) problems.push(`region ${item.region}, expected ${expected.region}`);
  if (expected.reasonIncludes && !item.reason.includes(expected.reasonIncludes)) {
    problems.push(`reason "${item.reason}" lacks "${expected.reasonIncludes}"`);
  }
  return problems.map((problem) => `${subject}: expected ${expected.status}; ${problem}`);
}

describe("the acme estate, snapshot and package", () => {
  it("gives every seeded resource its expected verdict, today and over the period", () => {
    const problems = estate.expected.flatMap((expected) => differences(expected, result.pkg.items));
    expect(problems).toEqual([]);
    expect(new Set(estate.expected.map((expected) => expected.status))).toEqual(
      new Set(["pass", "fail", "excepted", "not_applicable"]),
    );
  });

  it("holds exactly the estate's resources, with no errors", () => {
    const unexpected = result.pkg.items.filter(
      (item) => !estate.expected.some((expected) => matches(item, expected)),
    );
    expect(unexpected.map((item) => `${item.collector} ${item.account} ${item.resource.arn}`)).toEqual([]);
    expect(result.pkg.items).toHaveLength(estate.expected.length);
    expect(result.pkg.summary.items.error).toBe(0);
  });

  it("has every outcome for every collector except the ones it cannot produce", () => {
    const outcomes = (collector: string) =>
      new Set(result.pkg.items.filter((item) => item.collector === collector).map((item) => item.status));
    for (const collector of [
      "kms-key-rotation",
      "secrets-rotation",
      "tls-in-transit",
      "access-analyzer-findings",
    ]) {
      expect(outcomes(collector), collector).toEqual(new Set(["pass", "fail", "excepted", "not_applicable"]));
    }
    // A trail is judged on what it logs; nothing about one is "not applicable".
    expect(outcomes("cloudtrail-data-events")).toEqual(new Set(["pass", "fail", "excepted"]));
    // Issue 19's collectors: a pass and a fail each; secrets-hygiene has its exception (SEC-233) and its
    // not-a-database-credential rule too.
    expect(outcomes("secrets-hygiene")).toEqual(new Set(["pass", "fail", "excepted", "not_applicable"]));
    for (const collector of [
      "elb-listener-tls",
      "ecs-task-secrets",
      "secrets-encryption",
      "secrets-monitoring",
      "secrets-access-policy",
      "secrets-access-review",
    ]) {
      expect(outcomes(collector), collector).toEqual(new Set(["pass", "fail"]));
    }
  });

  it("collects every control from both accounts and both regions, entering the member account by AssumeRole", () => {
    for (const control of result.pkg.controls) {
      const mine = result.pkg.items.filter((item) => item.controlIds.includes(control.id));
      expect(new Set(mine.map((item) => item.account)), control.id).toEqual(new Set([MAIN, MEMBER]));
      for (const account of [MAIN, MEMBER]) {
        const regions = new Set(mine.filter((item) => item.account === account).map((item) => item.region));
        expect(regions, `${control.id} ${account}`).toEqual(new Set(REGIONS));
      }
    }
    expect(result.pkg.scope.accounts).toEqual([MAIN, MEMBER]);
    expect(assumedRoles).toBeGreaterThanOrEqual(1);
  });

  it("records a complete population per collector x account x region", () => {
    const expected = [
      ...REGION_SCOPED.flatMap((collector) =>
        [MAIN, MEMBER].flatMap((account) => REGIONS.map((region) => `${collector} ${account} ${region}`)),
      ),
      ...ACCOUNT_SCOPED.flatMap((collector) =>
        [MAIN, MEMBER].map((account) => `${collector} ${account} all`),
      ),
    ];
    const populations = result.pkg.populations;
    expect(populations.map((p) => `${p.collector} ${p.account} ${p.region}`).sort()).toEqual(expected.sort());
    for (const population of populations) {
      const items = result.pkg.items.filter(
        (item) =>
          item.collector === population.collector &&
          item.account === population.account &&
          (population.region === "all" || item.region === population.region),
      );
      expect(population, `${population.collector} ${population.account} ${population.region}`).toMatchObject({
        enumerated: items.length,
        paginationComplete: true,
        errors: 0,
      });
    }
  });

  it("applies active exceptions with their approval and reports the expired one as expired, not applied", () => {
    const vendor = result.pkg.items.find(
      (item) => item.collector === "secrets-rotation" && item.resource.name.startsWith("production/vendor-license-"),
    );
    expect(vendor).toMatchObject({
      status: "excepted",
      exception: { approvedBy: "ciso@acme.example", ticket: "SEC-142", expires: "2028-03-31" },
    });
    const legacy = result.pkg.items.find(
      (item) => item.collector === "secrets-rotation" && item.resource.name === "staging/legacy-ftp-password",
    );
    expect(legacy?.status).toBe("fail");
    expect(legacy?.exception).toBeUndefined();
    expect(legacy?.observed.expiredException).toMatchObject({ ticket: "SEC-097", expires: "2026-06-30" });
    const byTicket = new Map(result.pkg.exceptions.map((use) => [use.ticket, use]));
    expect(byTicket.get("SEC-097")).toMatchObject({ state: "expired", matched: 1 });
    // SEC-233 excepts LegacyBatchToken's naming rule alone: its other hygiene rules are judged as they are.
    expect(byTicket.get("SEC-233")).toMatchObject({ state: "active", matched: 1 });
    // Expired here means the calendar caught up with acme-controls.yaml: extend its exceptions' expiry dates.
    for (const ticket of ["SEC-142", "SEC-211", "SEC-177", "SEC-188", "SEC-233"]) {
      expect(byTicket.get(ticket)?.state, ticket).toBe("active");
    }
    // An exception covers the resource's period verdict as well as today's.
    const excepted = result.pkg.items.filter((item) => item.status === "excepted");
    expect(excepted.length).toBeGreaterThan(0);
    for (const item of excepted) expect(item.period?.status, item.resource.name).not.toBe("fail");
  });

  it("marks every control deficient, covering today only", () => {
    expect(result.pkg.controls.map((control) => [control.id, control.status])).toEqual([
      ["CC6.1", "deficient"],
      ["CC6.2", "deficient"],
      ["CC6.7", "deficient"],
      ["CC7.2", "deficient"],
      ["CC7.3", "deficient"],
      ["CC6.3", "deficient"],
    ]);
    expect(result.pkg.coverage.covered).toBe(1);
    expect(result.pkg.coverage.missing).toHaveLength(result.pkg.period.days - 1);
  });

  it("requires data events on the evidence bucket only of the account that owns it", () => {
    const trails = result.pkg.items.filter((item) => item.collector === "cloudtrail-data-events");
    const targets = (account: string) =>
      JSON.stringify(trails.find((item) => item.account === account && item.resource.type === "AWS::CloudTrail::Trail")?.expected);
    expect(targets(MAIN)).toContain("arn:aws:s3:::acme-soc2-evidence/");
    expect(targets(MEMBER)).not.toContain("acme-soc2-evidence");
  });

  it("reports who read secrets in the period on the main account's logging requirement", () => {
    const requirement = result.pkg.items.find(
      (item) => item.resource.arn === `arn:aws:cloudtrail:us-east-1:${MAIN}:logging-requirement`,
    );
    expect(requirement?.observed.secretReadsByPrincipal).toMatchObject({
      "us-east-1": {
        [`arn:aws:iam::${MAIN}:role/acme-payments-api`]: 3,
        [`arn:aws:iam::${MAIN}:role/acme-reporting-job`]: 1,
      },
    });
  });

  it("writes an evidence.json that validates against the schema, and never reads or stores a secret value", async () => {
    const text = await readFile(join(packageFolder, "evidence.json"), "utf8");
    expect(validateEvidenceJson(JSON.parse(text))).toEqual([]);
    expect(JSON.parse(text)).toMatchObject({ runId: result.pkg.runId, summary: result.pkg.summary });
    expect(secretValueReads).toBe(0);
    const files = await readdir(folder, { recursive: true, withFileTypes: true });
    const bodies = await Promise.all(
      files.filter((file) => file.isFile()).map((file) => readFile(join(file.parentPath, file.name), "utf8")),
    );
    expect(bodies.length).toBeGreaterThan(5);
    // The store's snapshots and the package; the secrets' values and the task definitions' fake plaintext credentials.
    expect(estate.secretValues).toContain("acme-demo-fake-billing-db-password");
    expect(logged.length).toBeGreaterThan(0);
    for (const value of estate.secretValues) {
      expect(
        bodies.some((body) => body.includes(value)),
        value,
      ).toBe(false);
      expect(logged.filter((line) => line.includes(value)), value).toEqual([]);
    }
  });
});
