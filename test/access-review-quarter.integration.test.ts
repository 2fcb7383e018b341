// The access review over a quarter, end to end (injected clock, real store, emulator): CloudTrail's event history
// keeps 90 days, so by the quarter's end it no longer holds July 1st's reads. The package's review still shows
// them, from the snapshot taken that week, in evidence.json and access-review.csv alike.
import { AttachRolePolicyCommand, CreatePolicyCommand, CreateRoleCommand, CreateUserCommand, IAMClient } from "@aws-sdk/client-iam";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ReviewRow } from "../src/core/access-review.js";
import type { EvidenceItem } from "../src/core/model.js";
import { reviewRowsOf } from "../reports/access-review-csv.js";
import { collectJob, snapshotJob, type JobOptions } from "../src/run/jobs.js";
import { readBack, type CollectedPackage } from "./support/read-back.js";
import { parseConfig } from "../src/config/load.js";
import { silentLogger } from "../src/cli/log.js";
import { LocalStore } from "../src/store/local.js";
import { ECS_TASK_TRUST as TRUST, readProdPolicy, secretRead } from "./fixtures/secret-reads.js";
import { useEmulatorEnv } from "./support/context.js";
import { clientConfig, DEFAULT_ACCOUNT, useEmulator } from "./support/emulator.js";

const emulator = useEmulator();
const A = DEFAULT_ACCOUNT;
const REGION = "us-east-1";
const Q3 = { label: "2026-Q3", start: "2026-07-01", end: "2026-09-30" };
const CONFIG = `version: 1
organization: Acme Inc.
scope: { accounts: [current], regions: [${REGION}] }
controls:
  - id: CC6.2
    title: Access to secrets is reviewed
    collectors:
      - use: secrets-access-review
`;
const READ_PROD = readProdPolicy(REGION, A);
const role = (name: string) => `arn:aws:iam::${A}:role/${name}`;
const at = (time: string) => new Date(time);

let folder: string;
let restoreEnv: () => void;
let result: CollectedPackage;
let secretArn: string;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "review-quarter-"));
  restoreEnv = useEmulatorEnv(emulator());
  const iam = new IAMClient(clientConfig(emulator(), REGION));
  const policy = await iam.send(new CreatePolicyCommand({ PolicyName: "read-prod", PolicyDocument: READ_PROD }));
  for (const name of ["api", "batch", "idle"]) {
    await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: TRUST }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: policy.Policy?.Arn }));
  }
  await iam.send(new CreateUserCommand({ UserName: "contractor" }));
  const sm = new SecretsManagerClient(clientConfig(emulator(), REGION));
  secretArn = String((await sm.send(new CreateSecretCommand({ Name: "prod/db", SecretString: "seed-not-a-real-value" }))).ARN);
  // July 1st: batch and api read; a user without any grant the tool can see reads too. September 29th: api again.
  emulator().proxy.seed.cloudTrailEvents(A, REGION, [
    secretRead(REGION, role("batch"), secretArn, at("2026-07-01T10:00:00Z")),
    secretRead(REGION, role("api"), secretArn, at("2026-07-01T11:00:00Z")),
    secretRead(REGION, `arn:aws:iam::${A}:user/contractor`, secretArn, at("2026-07-01T12:00:00Z"), "203.0.113.7"),
    secretRead(REGION, role("api"), secretArn, at("2026-09-29T09:00:00Z")),
  ]);
  const { config } = parseConfig("controls.yaml", CONFIG, at("2026-07-01T00:00:00Z"));
  const store = new LocalStore(folder);
  const options = (time: string): JobOptions => {
    // CloudTrail's retention counts back from the simulated day, as the tool's clock does.
    emulator().proxy.clock = () => at(time);
    return { config, store, log: silentLogger, now: () => at(time) };
  };
  // The week's snapshot holds July 1st in CloudTrail's window; by September 30th that window starts on July 2nd.
  await snapshotJob(options("2026-07-02T06:00:00Z"), Q3);
  await snapshotJob(options("2026-09-30T06:00:00Z"), Q3);
  const last = options("2026-10-01T06:00:00Z");
  result = await readBack(last.store, collectJob(last, Q3, ["json"]));
}, 120_000);

afterAll(async () => {
  restoreEnv();
  await rm(folder, { recursive: true, force: true });
});


describe("the access review over a quarter CloudTrail no longer wholly holds", () => {
  it("counts the reads only an earlier snapshot saw, and names the days they came from", () => {
    const item = result.pkg.items.find((one) => one.collector === "secrets-access-review" && one.resource.arn === secretArn);
    // The latest snapshot alone: batch never read (CloudTrail no longer holds July 1st) and the contractor is unseen.
    const today = item?.observed.review as ReviewRow[];
    expect(today.find((row) => row.principal === role("batch"))).toMatchObject({ didRead: false, action: expect.stringMatching(/^revoke/) });
    expect(today.some((row) => row.principal.endsWith(":user/contractor"))).toBe(false);

    // The period verdict keeps only the rows it changes; idle's row is the snapshot's, stored once.
    const changes = item?.period?.observed.reviewChanges as ReviewRow[];
    expect(changes.map((row) => row.principal)).toEqual([role("api"), role("batch"), `arn:aws:iam::${A}:user/contractor`]);
    expect(item?.period?.observed.review).toBeUndefined();
    const rows = reviewRowsOf(item as EvidenceItem);
    expect(rows.map((row) => [row.principal, row.canRead, row.didRead, row.reads, row.snapshotReadDays ?? [], row.action !== ""])).toEqual([
      [role("api"), true, true, 2, ["2026-07-01"], false],
      [role("batch"), true, true, 1, ["2026-07-01"], false],
      [role("idle"), true, false, 0, [], true],
      [`arn:aws:iam::${A}:user/contractor`, false, true, 1, ["2026-07-01"], true],
    ]);
    expect(rows.find((row) => row.principal === role("idle"))?.action).toMatch(/^revoke/);
    expect(rows.find((row) => row.principal.endsWith(":user/contractor"))).toMatchObject({ sourceIps: ["203.0.113.7"], action: expect.stringMatching(/^investigate/) });
    expect(item?.period?.observed.readSources).toMatchObject({ snapshotDays: ["2026-07-01"] });
    expect(item?.status).toBe("fail");
  });

  it("writes the same rows to access-review.csv for the reviewer", async () => {
    const csv = await readFile(join(folder, result.written.prefix, "access-review.csv"), "utf8");
    const lines = csv.trim().split(/\r?\n/);
    const header = (lines[0] ?? "").split(",");
    const rows = lines.slice(1).map((line) => Object.fromEntries(line.split(",").map((cell, index) => [header[index], cell])));
    const batch = rows.find((row) => row.principal === role("batch"));
    expect(batch).toMatchObject({ can_read: "yes", did_read: "yes", reads: "1", action: "" });
    expect(rows.find((row) => row.principal?.endsWith(":user/contractor"))).toMatchObject({ can_read: "no", did_read: "yes" });
    expect(csv).not.toContain("seed-not-a-real-value");
  });
});
