// A simulated quarter of daily snapshots (injected clock, real store, emulator): a missing week and a late rotation
// both show in the package, the week as days not covered and the late rotation as a period failure.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectJob, snapshotJob, type JobOptions } from "../src/run/jobs.js";
import { parseConfig } from "../src/config/load.js";
import { silentLogger } from "../src/cli/log.js";
import type { EvidenceDocument } from "../src/core/package-model.js";
import { readBack } from "./support/read-back.js";
import { addDays, daysOf } from "../src/core/period.js";
import { LocalStore } from "../src/store/local.js";
import { secretsRotationConfig } from "./fixtures/controls.js";
import { useEmulatorEnv } from "./support/context.js";
import { useEmulator } from "./support/emulator.js";
import { seedSecrets } from "./fixtures/secrets.js";

const emulator = useEmulator();
const Q3 = { label: "2026-Q3", start: "2026-07-01", end: "2026-09-30" };
const MISSING_WEEK = daysOf({ label: "week", start: "2026-08-10", end: "2026-08-16" });
const ROTATIONS: Record<string, string[]> = {
  "app/on-time": ["2026-06-20", "2026-07-20", "2026-08-19", "2026-09-18"],
  "app/late": ["2026-06-20", "2026-07-20", "2026-09-28"],
};
const CONFIG = secretsRotationConfig(30);

let folder: string;
let pkg: EvidenceDocument;
let restoreEnv: () => void;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "quarter-"));
  restoreEnv = useEmulatorEnv(emulator());
  const arns = await seedSecrets(emulator(), "us-east-1", Object.keys(ROTATIONS).map((name) => ({ name, rotation: { AutomaticallyAfterDays: 30 } })), new Date());
  // The simulated day decides what ListSecrets says was the last rotation: history moto cannot hold.
  let today = Q3.start;
  const byArn = new Map([...arns].map(([name, arn]) => [arn, ROTATIONS[name] as string[]]));
  emulator().proxy.patch("secretsmanager", "ListSecrets", (body: { SecretList?: Record<string, unknown>[] }) => {
    for (const entry of body.SecretList ?? []) {
      const last = byArn.get(String(entry.ARN))?.filter((day) => day <= today).at(-1);
      entry.CreatedDate = Date.parse("2026-01-01T00:00:00Z") / 1000;
      if (last) entry.LastRotatedDate = Date.parse(`${last}T03:00:00Z`) / 1000;
    }
    return body;
  });
  const { config } = parseConfig("controls.yaml", CONFIG, new Date("2026-07-01T00:00:00Z"));
  const options = (day: string): JobOptions => ({ config, store: new LocalStore(folder), log: silentLogger, now: () => new Date(`${day}T06:00:00Z`) });
  for (const day of daysOf(Q3)) {
    if (MISSING_WEEK.includes(day)) continue;
    today = day;
    await snapshotJob(options(day));
  }
  today = addDays(Q3.end, 1);
  const last = options(today);
  pkg = (await readBack(last.store, collectJob(last, Q3, ["json"]))).pkg;
}, 300_000);

afterAll(async () => {
  restoreEnv();
  await rm(folder, { recursive: true, force: true });
});

describe("a simulated quarter", () => {
  it("shows the missing week as days not covered", () => {
    expect(pkg.coverage.missing).toEqual(MISSING_WEEK);
    expect(pkg.coverage.covered).toBe(92 - 7);
    expect(pkg.controls[0]?.coverage).toMatchObject({ covered: 85, days: 92, missing: MISSING_WEEK });
  });

  it("fails the secret that rotated late for the period, though it passes today", () => {
    const late = pkg.items.find((item) => item.resource.name === "app/late");
    expect(late?.snapshot.status).toBe("pass");
    expect(late?.status).toBe("fail");
    expect(late?.period?.status).toBe("fail");
    expect(late?.period?.observed.largestGapDays).toBe(70);
    expect(late?.period?.reason).toMatch(/no rotation for 70 days \(2026-07-20 to 2026-09-28\); allowed 33/);
    expect(late?.period?.observed.daysNotObserved).toEqual(MISSING_WEEK);
  });

  it("passes the secret that rotated on time, with every rotation of the quarter listed", () => {
    const onTime = pkg.items.find((item) => item.resource.name === "app/on-time");
    expect(onTime?.status).toBe("pass");
    expect((onTime?.period?.observed.rotationsInPeriod as string[]).map((date) => date.slice(0, 10))).toEqual(["2026-07-20", "2026-08-19", "2026-09-18"]);
  });

  it("calls the control deficient, not effective", () => {
    expect(pkg.controls[0]?.status).toBe("deficient");
    expect(pkg.period).toMatchObject({ start: "2026-07-01", end: "2026-09-30", through: "2026-09-30", days: 92 });
  });
});
