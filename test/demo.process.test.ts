// The demo as a user runs it: a process that starts the emulator, seeds acme, runs the built CLI, and always stops
// the emulator, whether the run ends or is interrupted.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { daysOf, parsePeriod } from "../src/core/period.js";
import { QUARTER_FINDING, quarterStory } from "./fixtures/acme-quarter.js";
import { CLI } from "./support/cli.js";

const DEMO = resolve("scripts/demo.ts");
const TSX = createRequire(import.meta.url).resolve("tsx");
const PERIOD_PACKAGES = /package \((\w+)\): (.+)$/m;

interface DemoRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** The moto process the demo started, from its "moto pid N" line. */
  motoPid?: number;
}

/** Runs scripts/demo.ts in `cwd`; `onOutput` may act on what it has printed so far (e.g. interrupt it). */
function runDemo(cwd: string, onOutput?: (stdout: string, pid: number) => void): Promise<DemoRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ["--import", TSX, DEMO, "--out", join(cwd, "evidence")], {
      cwd,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      onOutput?.(stdout, child.pid as number);
    });
    child.stderr.resume();
    const timer = setTimeout(() => child.kill("SIGKILL"), 600_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const pid = /moto pid (\d+)/.exec(stdout)?.[1];
      resolvePromise({ code, signal, stdout, ...(pid ? { motoPid: Number(pid) } : {}) });
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

let cwd: string;
beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), "demo-"));
});
afterEach(async () => {
  await rm(cwd, { recursive: true, force: true });
});

describe("npm run demo", () => {
  it("writes a deficient package from the acme estate, exits 0 and leaves no emulator running", async () => {
    expect(existsSync(CLI), "the demo runs the built CLI: npm run build").toBe(true);
    const started = new Date();
    const run = await runDemo(cwd);
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain(
      "soc2-evidence exited 1: package written, some controls deficient, as the demo estate intends",
    );
    expect(run.stdout).toMatch(/simulated \d+ daily snapshots/);
    // The summary shows issue 19's collectors, e.g. ECS task definitions, with their pass and fail cases.
    expect(run.stdout).toMatch(/^ {2}ecs-task-secrets +(?=.*\d+ pass)(?=.*\d+ fail)/m);

    const [, status, folder] = PERIOD_PACKAGES.exec(run.stdout) ?? [];
    expect(status).toBe("deficient");
    expect(dirname(dirname(folder ?? ""))).toBe(join(cwd, "evidence", "soc2", "packages"));
    const manifest = JSON.parse(await readFile(join(folder as string, "manifest.json"), "utf8")) as {
      files: { path: string }[];
    };
    expect(manifest.files.map((file) => file.path)).toContain("evidence.json");
    // Signed with the demo's emulator key, and verified with the signature required.
    expect(existsSync(join(folder as string, "manifest.sig.json"))).toBe(true);
    expect(run.stdout).toMatch(/signature: valid \(ECDSA_SHA_256, key arn:aws:kms:/);
    const pkg = JSON.parse(await readFile(join(folder as string, "evidence.json"), "utf8")) as {
      scope: { accounts: string[]; regions: string[] };
      period: { days: number };
      coverage: { covered: number };
      items: {
        collector: string;
        status: string;
        reason: string;
        resource: { arn: string };
        snapshot: { status: string };
        period?: { status: string; observed?: { failDays?: string[] } };
      }[];
    };
    // A complete snapshot on at least 80% of the quarter's days so far, and a period failure today alone would pass.
    expect(pkg.coverage.covered / pkg.period.days).toBeGreaterThanOrEqual(0.8);
    expect(pkg.items.some((item) => item.period?.status === "fail" && item.snapshot.status === "pass")).toBe(true);
    // The finding opened and resolved mid-quarter: today it passes, the period fails on exactly the days it was open.
    const today = started.toISOString().slice(0, 10);
    const story = quarterStory(daysOf(parsePeriod("current", started), today));
    const down = new Set(story.schedulerDown);
    if (story.findingOpen.length > 0) {
      const item = pkg.items.find((entry) => entry.resource.arn === QUARTER_FINDING.resource);
      expect(item?.snapshot.status).toBe("pass");
      expect(item?.period).toMatchObject({ status: "fail", observed: { failDays: story.findingOpen.filter((day) => !down.has(day)) } });
    }
    // The api service's task definition takes its password from Secrets Manager; the legacy one has it in plaintext.
    const tasks = pkg.items.filter((item) => item.collector === "ecs-task-secrets");
    expect(tasks.find((item) => item.resource.arn.includes(":task-definition/acme-api:"))?.status).toBe("pass");
    expect(tasks.find((item) => item.resource.arn.includes(":task-definition/acme-legacy-billing:"))).toMatchObject({
      status: "fail",
      reason: expect.stringContaining("plaintext credential in environment: app/DB_PASSWORD") as unknown,
    });
    // The plaintext value is judged, never printed.
    expect(run.stdout).not.toContain("acme-demo-fake-billing-db-password");
    expect(pkg.scope).toMatchObject({
      accounts: ["123456789012", "210987654321"],
      regions: ["us-east-1", "us-east-2"],
    });

    expect(run.motoPid).toBeGreaterThan(0);
    expect(alive(run.motoPid as number)).toBe(false);
  }, 610_000);

  it("stops the emulator when it is interrupted mid-run", async () => {
    let sent = false;
    const run = await runDemo(cwd, (stdout, pid) => {
      if (!sent && /moto pid \d+/.test(stdout)) {
        sent = true;
        process.kill(pid, "SIGTERM");
      }
    });
    expect(sent).toBe(true);
    expect(run.code, run.stdout).toBe(128 + 15);
    expect(run.stdout).toContain("demo: SIGTERM, stopping the emulator");
    expect(run.motoPid).toBeGreaterThan(0);
    expect(alive(run.motoPid as number)).toBe(false);
  }, 160_000);
});
