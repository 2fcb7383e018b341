// Faults around the run itself: the store failing part-way, SIGTERM mid-run, and the clock crossing midnight.
// Whatever happens, no package is marked complete unless it is, and nothing written before is lost or changed.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { StoredFile } from "../src/core/model.js";
import { addDays } from "../src/core/period.js";
import { LocalStore } from "../src/store/local.js";
import { CLI, runCli } from "./support/cli.js";
import { useEmulatorEnv } from "./support/context.js";
import { useEmulator } from "./support/emulator.js";
import { ESTATE_SIZE, SMALL_ESTATE_CONFIG, keysUnder, latestOf, runCollect, seedSmallEstate, verifyEveryPackage } from "./support/fault-run.js";
import { useReliabilityLog } from "./support/reliability.js";

const emulator = useEmulator();
const record = useReliabilityLog("faults-run");

let root: string;
let restoreEnv: () => void;
beforeEach(async () => {
  restoreEnv = useEmulatorEnv(emulator());
  root = await mkdtemp(join(tmpdir(), "faults-run-"));
  await seedSmallEstate(emulator(), new Date());
});
afterEach(async () => {
  restoreEnv();
  await rm(root, { recursive: true, force: true });
});

/** A local store whose disk fills up at the Nth write of a key that `matches`. */
class FillingStore extends LocalStore {
  private writes = 0;

  constructor(
    root: string,
    private readonly matches: (key: string) => boolean,
    private readonly failAt: number,
  ) {
    super(root);
  }

  private check(key: string): void {
    if (this.matches(key) && ++this.writes === this.failAt) {
      throw Object.assign(new Error(`ENOSPC: no space left on device, write '${key}'`), { code: "ENOSPC" });
    }
  }

  override async putFile(key: string, file: string, contentType: string): Promise<StoredFile> {
    this.check(key);
    return super.putFile(key, file, contentType);
  }

  override async put(key: string, body: Buffer | string, contentType: string): Promise<StoredFile> {
    this.check(key);
    return super.put(key, body, contentType);
  }
}

describe("the store failing part-way", () => {
  it.each([
    { id: "store-fails-package-file", what: "the 2nd package file", under: "packages/", at: 2 },
    { id: "store-fails-manifest", what: "manifest.json", under: "packages/", at: 3 },
    { id: "store-fails-snapshot-file", what: "the 2nd snapshot file", under: "snapshots/", at: 2 },
    { id: "store-fails-snapshot-record", what: "snapshot.json", under: "snapshots/", at: 3 },
  ])("leaves no complete package when the disk fills at $what", async ({ id, what, under, at }) => {
    const baseline = await runCollect({ store: new LocalStore(root), formats: ["json", "oscal"] });
    const before = new Set(await keysUnder(root));
    const filling = new FillingStore(root, (key) => key.startsWith(under), at);
    await expect(runCollect({ store: filling, formats: ["json", "oscal"] })).rejects.toMatchObject({
      code: "ENOSPC",
    });

    const after = await keysUnder(root);
    expect(after.filter((key) => key.endsWith("manifest.json"))).toHaveLength(1);
    expect((await latestOf(root, baseline.pkg.period.label))?.runId).toBe(baseline.snapshot.runId);
    expect([...before].filter((key) => !after.includes(key))).toEqual([]);
    const abandoned = after.filter((key) => !before.has(key));
    // A snapshot is complete with its record, or abandoned without one; abandoned snapshots are never packaged.
    const failedRecord = abandoned.filter((key) => key.endsWith("/snapshot.json"));
    expect(failedRecord).toHaveLength(under === "snapshots/" ? 0 : 1);

    const rerun = await runCollect({ store: new LocalStore(root), formats: ["json", "oscal"] });
    expect(rerun.pkg.summary.status).toBe("effective");
    const packaged = rerun.pkg.snapshots.map((snapshot) => snapshot.runId);
    expect(packaged).toHaveLength(under === "snapshots/" ? 2 : 3);
    expect((await latestOf(root, rerun.pkg.period.label))?.runId).toBe(rerun.snapshot.runId);
    const reports = await verifyEveryPackage(root);
    expect(reports.map((report) => [report.runId, report.ok]).sort()).toEqual(
      [baseline, rerun].map((run) => [run.snapshot.runId, true]).sort(),
    );
    record({
      id,
      area: "fault",
      case: `disk full (ENOSPC) when writing ${what}`,
      outcome: `run stops with the ENOSPC error (exit 3 from the CLI); no manifest and latest.json unchanged; ${
        under === "snapshots/"
          ? "no snapshot.json, so the partial snapshot is never packaged"
          : "the snapshot stays complete and is packaged next time"
      }; earlier package verifies; next run whole and effective`,
      measured: `${abandoned.length} new files in the store, no manifest among them`,
    });
  });
});

describe("SIGTERM mid-run", () => {
  it("exits 3, writes no snapshot record and no manifest, and the next run is whole", async () => {
    const config = join(root, "controls.yaml");
    await writeFile(config, SMALL_ESTATE_CONFIG);
    const out = join(root, "evidence");
    const today = new Date().toISOString().slice(0, 10);
    const args = [
      "collect",
      "--period",
      `${today}..${today}`,
      "--config",
      config,
      "--out",
      out,
      "--format",
      "json",
      "--json",
    ];
    const first = await runCli(args, emulator().env);
    expect(first.code, first.stderr).toBe(0);
    const before = await keysUnder(out);

    // Every KMS DescribeKey waits at the proxy until the signal is sent: the run is mid-way, with calls in flight,
    // however fast or slow the machine is.
    const hold = emulator().proxy.hold({ service: "kms", operation: "DescribeKey" });
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...emulator().env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    await hold.arrived();
    expect(stderr).not.toContain('"snapshot.done"');
    const signalled = Date.now();
    child.kill("SIGTERM");
    // The signal is with the process before the held calls answer; the run stops at its next item.
    hold.release();
    const code = await exited;
    const seconds = (Date.now() - signalled) / 1000;

    expect(code, stderr).toBe(3);
    expect(stderr).toContain("stopped by SIGTERM");
    const after = await keysUnder(out);
    expect(after).toEqual(before);
    emulator().proxy.clearFaults();
    const rerun = await runCli(args, emulator().env);
    expect(rerun.code, rerun.stderr).toBe(0);
    const summary = JSON.parse(rerun.stdout);
    expect(summary.items.pass).toBe(ESTATE_SIZE);
    const reports = await verifyEveryPackage(out);
    expect(reports.map((report) => report.ok)).toEqual([true, true]);
    record({
      id: "sigterm-mid-run",
      area: "fault",
      case: "SIGTERM to the CLI while its KMS calls are held in flight at the proxy",
      outcome:
        "exit 3 'stopped by SIGTERM'; the store is exactly as before (no snapshot files, no manifest, latest.json unchanged); next run exit 0",
      // Calls in flight are not aborted: the run stops at the next item once they return.
      measured: `exited ${seconds.toFixed(1)} s after the signal`,
    });
  });
});

describe("the clock crossing midnight during a run", () => {
  /** 23:59:59 UTC today until the first snapshot file is written, then 00:00:01 the next day. */
  function midnightStore(today: string) {
    const clock = { now: new Date(`${today}T23:59:59.000Z`) };
    const store = new (class extends LocalStore {
      override async putFile(key: string, file: string, contentType: string): Promise<StoredFile> {
        clock.now = new Date(`${addDays(today, 1)}T00:00:01.000Z`);
        return super.putFile(key, file, contentType);
      }
    })(root);
    return { store, now: () => clock.now };
  }

  it("files the snapshot under the day it started and judges the period through that day", async () => {
    const today = new Date().toISOString().slice(0, 10);
    const tomorrow = addDays(today, 1);
    const closed = midnightStore(today);
    const oneDay = await runCollect({ store: closed.store, now: closed.now, period: `${today}..${today}` });
    expect(oneDay.snapshot.day).toBe(today);
    expect(oneDay.snapshot.finishedAt.slice(0, 10)).toBe(tomorrow);
    expect(
      oneDay.snapshot.files.every((file) => file.key.startsWith(`snapshots/${today.replace(/-/g, "/")}/`)),
    ).toBe(true);
    // A period that ended the day the run started is whole.
    expect(oneDay.pkg.period.through).toBe(today);
    expect(oneDay.pkg.summary.status).toBe("effective");

    const open = midnightStore(today);
    const toDate = await runCollect({ store: open.store, now: open.now, period: `${today}..${tomorrow}` });
    expect(toDate.snapshot.day).toBe(today);
    // A period still running is packaged through the snapshot's day, even when packaging ends after midnight: the
    // through date and the evidence agree, and the new day is judged by the next run.
    expect(toDate.pkg.period.through).toBe(today);
    expect(toDate.pkg.coverage.missing).toEqual([]);
    expect(toDate.pkg.controls[0]?.status).toBe("effective");
    const manifest = JSON.parse(await readFile(join(root, toDate.written.manifestKey), "utf8"));
    expect(
      manifest.snapshots
        .map((file: StoredFile) => file.key)
        .every((key: string) => key.startsWith("snapshots/")),
    ).toBe(true);
    expect((await verifyEveryPackage(root)).every((report) => report.ok)).toBe(true);
    expect(existsSync(join(root, "snapshots", ...tomorrow.split("-")))).toBe(false);
    record({
      id: "midnight",
      area: "fault",
      case: "clock goes from 23:59:59 to 00:00:01 UTC between collecting and storing the snapshot",
      outcome:
        "snapshot filed under the start day; the package runs through that day, whether the period ended then or is still running, so through date and evidence agree",
    });
  });
});
