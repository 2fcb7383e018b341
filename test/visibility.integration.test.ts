// The first packaged period of a secret on a 90-day schedule: it rotated on time inside the period, and its previous
// rotation is older than CloudTrail's 90-day window. Nothing the tool read shows a gap, so the period passes, with
// the horizon stated instead of a gap counted from the secret's creation.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectJob, snapshotJob, type JobOptions } from "../src/run/jobs.js";
import { parseConfig } from "../src/config/load.js";
import { silentLogger } from "../src/cli/log.js";
import type { EvidenceDocument } from "../src/core/package-model.js";
import { readBack } from "./support/read-back.js";
import { LocalStore } from "../src/store/local.js";
import { secretsRotationConfig } from "./fixtures/controls.js";
import { useEmulatorEnv } from "./support/context.js";
import { DEFAULT_ACCOUNT, useEmulator } from "./support/emulator.js";
import { rotationSucceeded, seedSecrets } from "./fixtures/secrets.js";

const emulator = useEmulator();
const Q3 = { label: "2026-Q3", start: "2026-07-01", end: "2026-09-30" };
const NOW = new Date("2026-09-30T06:00:00Z");
const DAY_MS = 86_400_000;
const CONFIG = secretsRotationConfig(90);

let folder: string;
let pkg: EvidenceDocument;
let restoreEnv: () => void;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "visibility-"));
  restoreEnv = useEmulatorEnv(emulator());
  // Created 2025-01-01; rotated 2026-05-01 (aged out of CloudTrail by 2026-09-30) and 2026-08-15, on a 90-day schedule.
  const daysAgo = (iso: string) => (NOW.getTime() - Date.parse(iso)) / DAY_MS;
  const arns = await seedSecrets(
    emulator(),
    "us-east-1",
    [{ name: "app/quarterly", rotation: { AutomaticallyAfterDays: 90 }, createdDaysAgo: daysAgo("2025-01-01T00:00:00Z"), lastRotatedDaysAgo: daysAgo("2026-08-15T03:00:00Z") }],
    NOW,
  );
  const arn = arns.get("app/quarterly") as string;
  emulator().proxy.seed.cloudTrailEvents(DEFAULT_ACCOUNT, "us-east-1", [rotationSucceeded(arn, new Date("2026-08-15T03:00:00Z"), "us-east-1")]);
  const { config } = parseConfig("controls.yaml", CONFIG, NOW);
  const options: JobOptions = { config, store: new LocalStore(folder), log: silentLogger, now: () => NOW };
  await snapshotJob(options);
  pkg = (await readBack(options.store, collectJob(options, Q3, ["json"]))).pkg;
}, 120_000);

afterAll(async () => {
  restoreEnv();
  await rm(folder, { recursive: true, force: true });
});

describe("a rotation history older than CloudTrail's window", () => {
  it("passes the secret and states from when it could see, claiming nothing about the unseen days", () => {
    const secret = pkg.items.find((item) => item.resource.name === "app/quarterly");
    expect(secret?.period?.status).toBe("pass");
    expect(secret?.status).toBe("pass");
    expect(secret?.period?.observed.visibleFrom).toMatchObject({ cloudtrail: "2026-07-02T06:00:00.000Z", snapshots: "2026-08-15T03:00:00.000Z" });
    expect(secret?.period?.reason).toMatch(/^1 rotation\(s\) in the period; largest gap 46 days \(2026-08-15 to 2026-09-30\) within 93; nothing visible before 2026-07-02/);
    // The stretch from the horizon to the first visible rotation is measured as seen, not from creation.
    expect(secret?.period?.observed.horizon).toBe("2026-07-02T06:00:00.000Z");
    expect(secret?.period?.reason).not.toContain("2025-01-01");
  });
});
