// What a person and a log shipper see on stderr: on a terminal (run under util-linux `script`, a real pty) the live
// progress line redrawn in place; off a terminal JSON lines only, runtime warnings among them as one event each.
import { CreateKeyCommand, EnableKeyRotationCommand, KMSClient } from "@aws-sdk/client-kms";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CLI, runCli } from "./support/cli.js";
import { clientConfig, useEmulator } from "./support/emulator.js";
import { kmsOnlyConfig } from "./fixtures/controls.js";

const emulator = useEmulator();
const run = promisify(execFile);
const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

let folder: string;
let args: string[];
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), "progress-"));
  await writeFile(join(folder, "controls.yaml"), kmsOnlyConfig());
  const kms = new KMSClient(clientConfig(emulator()));
  for (let i = 0; i < 3; i += 1) {
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    await kms.send(new EnableKeyRotationCommand({ KeyId: KeyMetadata?.KeyId }));
  }
  const today = new Date().toISOString().slice(0, 10);
  args = ["collect", "--period", `${today}..${today}`, "--config", join(folder, "controls.yaml"), "--out", join(folder, "evidence"), "--format", "json"];
});
afterEach(() => rm(folder, { recursive: true, force: true }));

describe("stderr of a collect", () => {
  it("on a terminal, draws the live progress line in place: cells, resources, calls/s, elapsed, what is left", async () => {
    const command = [process.execPath, CLI, ...args].map(quote).join(" ");
    // script -q quiet, -f flush, -e the command's exit code, -c the command; the typescript goes to /dev/null.
    const { stdout } = await run("script", ["-qfec", command, "/dev/null"], {
      env: { ...process.env, ...emulator().env, COLUMNS: "160" },
      maxBuffer: 16 * 1024 * 1024,
    });
    expect(stdout).toContain("\r\x1b[2K");
    const frames = stdout.split("\r\x1b[2K").map((frame) => frame.split(/\r?\n/)[0] ?? "");
    expect(frames).toContainEqual(expect.stringMatching(/^\[0\/1\] \d+ resources \| [\d.]+ calls\/s \| \d+s elapsed \| estimating$/));
    expect(frames).toContainEqual(expect.stringMatching(/^\[1\/1\] 3 resources \| [\d.]+ calls\/s \| \S+ elapsed \| ~0s left$/));
    expect(stdout).toMatch(/snapshot \S+: 3 pass/);
    expect(stdout).not.toMatch(/^\{"time"/m);
  });

  it("off a terminal, is JSON lines only: a runtime warning is one node.warning event, never raw text", async () => {
    const result = await runCli(args, emulator().env);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stderr.split("\n").filter((line) => line !== "");
    const events = lines.map((line) => JSON.parse(line) as { event: string; name?: string; message?: string });
    expect(events.map((event) => event.event)).toEqual(expect.arrayContaining(["snapshot.start", "collector.done", "snapshot.done", "package.done"]));
    const warnings = events.filter((event) => event.event === "node.warning");
    // The AWS SDK warns on Node < 22 only; wherever it does, it is one event, whatever number of SDK copies emit it.
    const major = Number(process.versions.node.split(".")[0]);
    expect(warnings.filter((event) => event.name === "NodeVersionSupportWarning")).toHaveLength(major < 22 ? 1 : 0);
    expect(result.stderr).not.toContain("(Use `node --trace-warnings");
  });
});
