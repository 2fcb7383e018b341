// `schedule` as a process against the emulator: packages on a one-second cron, overlapping ticks skipped while a run
// is held at the proxy, and SIGTERM mid-run exiting 0 without a partial package. Holds, not latencies, decide what
// is in flight, so a loaded machine changes only how long the test takes.
import { CreateKeyCommand, EnableKeyRotationCommand, KMSClient } from "@aws-sdk/client-kms";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CLI } from "./support/cli.js";
import { clientConfig, useEmulator } from "./support/emulator.js";
import { kmsOnlyConfig } from "./fixtures/controls.js";

const emulator = useEmulator();

const CONFIG = kmsOnlyConfig();

interface Event {
  event: string;
  [field: string]: unknown;
}

/** The CLI as a long-running child, its stderr read as JSON events (it is not a TTY). */
class Child {
  readonly events: Event[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly process: ChildProcessWithoutNullStreams;
  private stderr = "";

  constructor(args: string[], env: Record<string, string>) {
    this.process = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...env },
      stdio: "pipe",
    });
    this.process.stderr.on("data", (chunk: Buffer) => {
      this.stderr += chunk.toString();
      const lines = this.stderr.split("\n");
      this.stderr = lines.pop() ?? "";
      for (const line of lines) if (line.startsWith("{")) this.events.push(JSON.parse(line) as Event);
    });
    this.exited = new Promise((resolve) =>
      this.process.on("close", (code, signal) => resolve({ code, signal })),
    );
  }

  named(name: string): Event[] {
    return this.events.filter((event) => event.event === name);
  }

  async until(what: string, ready: () => boolean, timeoutMs = 45_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!ready()) {
      if (Date.now() > deadline)
        throw new Error(
          `timed out waiting for ${what}; events: ${this.events.map((e) => e.event).join(", ")}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  signal(name: NodeJS.Signals): void {
    this.process.kill(name);
  }

  kill(): void {
    if (this.process.exitCode === null) this.process.kill("SIGKILL");
  }
}

let folder: string;
let child: Child | undefined;
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), "schedule-"));
  await writeFile(join(folder, "controls.yaml"), CONFIG);
  const kms = new KMSClient(clientConfig(emulator()));
  const key = await kms.send(new CreateKeyCommand({ Description: "rotating" }));
  await kms.send(new EnableKeyRotationCommand({ KeyId: key.KeyMetadata?.KeyId }));
});
afterEach(async () => {
  child?.kill();
  child = undefined;
  await rm(folder, { recursive: true, force: true });
});

async function dirs(path: string): Promise<string[]> {
  if (!existsSync(path)) return [];
  return (await readdir(path, { withFileTypes: true }))
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(path, entry.name));
}

/** Every packages/<period>/<runId>/ folder, with whether its manifest exists. */
async function packages(out: string): Promise<{ runId: string; manifest: boolean }[]> {
  const periods = await dirs(join(out, "packages"));
  const runs = (await Promise.all(periods.map(dirs))).flat();
  return runs.map((run) => ({
    runId: run.split("/").pop() as string,
    manifest: existsSync(join(run, "manifest.json")),
  }));
}

function start(extra: string[]): Child {
  const out = join(folder, "evidence");
  child = new Child(
    [
      "schedule",
      "--cron",
      "* * * * * *",
      "--config",
      join(folder, "controls.yaml"),
      "--out",
      out,
      "--format",
      "json",
      ...extra,
    ],
    emulator().env,
  );
  return child;
}

describe("soc2-evidence schedule (process)", () => {
  it("writes a package per run on the cron, skips ticks while a run is in flight, and drains it on SIGTERM", async () => {
    const proxy = emulator().proxy;
    // The first run is held at ListKeys until two ticks have been skipped: in flight for as long as the test says.
    const first = proxy.hold({ service: "kms", operation: "ListKeys" });
    const cli = start([]);
    await first.arrived();
    await cli.until("two ticks skipped while the first run is held", () => cli.named("schedule.skipped").length >= 2);
    first.release();
    await cli.until("the first run to finish", () => cli.named("schedule.run").length >= 1);
    // A later run is held as well, and SIGTERM arrives while it is: the scheduler must let it finish (grace 60 s).
    const last = proxy.hold({ service: "kms", operation: "ListKeys" });
    await last.arrived();
    cli.signal("SIGTERM");
    await cli.until("the scheduler to stop taking ticks", () => cli.named("schedule.stopping").length >= 1);
    last.release();
    const { code } = await cli.exited;

    expect(code).toBe(0);
    const runs = cli.named("schedule.run");
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(cli.named("schedule.run.start")).toHaveLength(runs.length);
    // Each run is exit 1: the quarter so far has days without a snapshot, so the control is incomplete, not effective.
    for (const run of runs) expect([run.outcome, run.status, run.exitCode]).toEqual(["complete", "incomplete", 1]);
    const ticks = runs.map((run) => Date.parse(String(run.tick)));
    for (const tick of ticks) expect(tick % 1000).toBe(0);
    expect(new Set(ticks).size).toBe(runs.length);
    for (const run of runs) expect(run).toMatchObject({ items: expect.objectContaining({ pass: 1, fail: 0, error: 0 }) });
    const written = await packages(join(folder, "evidence"));
    expect(written.map((p) => p.runId).sort()).toEqual(runs.map((run) => run.runId).sort());
    expect(written.every((p) => p.manifest)).toBe(true);
    expect(cli.named("schedule.stopped")[0]).toMatchObject({ inFlight: "finished", runs: runs.length });
  });

  it("abandons the run in flight when SIGTERM's grace period ends: exit 0, and no package without its manifest", async () => {
    const cli = start(["--grace-seconds", "1"]);
    await cli.until("one complete run", () => cli.named("schedule.run").length >= 1);
    // The next run is held at ListKeys and never let go: it is still in flight when the one-second grace ends.
    const held = emulator().proxy.hold({ service: "kms", operation: "ListKeys" });
    await held.arrived();
    cli.signal("SIGTERM");
    const { code } = await cli.exited;

    expect(code).toBe(0);
    const outcomes = cli.named("schedule.run").map((run) => run.outcome);
    expect(outcomes.at(-1)).toBe("abandoned");
    expect(outcomes.slice(0, -1).every((outcome) => outcome === "complete")).toBe(true);
    expect(cli.named("schedule.abandoning")).toHaveLength(1);
    const complete = cli.named("schedule.run").filter((run) => run.outcome === "complete");
    const written = await packages(join(folder, "evidence"));
    expect(written.sort((a, b) => a.runId.localeCompare(b.runId))).toEqual(
      complete.map((run) => ({ runId: run.runId, manifest: true })).sort((a, b) => String(a.runId).localeCompare(String(b.runId))),
    );
    // An abandoned snapshot folder, if any, has no snapshot.json and is never packaged.
    const snapshotDirs = await readdir(join(folder, "evidence", "snapshots"), { recursive: true });
    expect(snapshotDirs.filter((path) => path.endsWith("snapshot.json"))).toHaveLength(complete.length);
  });
});
