// The CLI as a process: exit codes, nothing written on bad input, a package on a good run (SPEC section 3).
import { CreateKeyCommand, EnableKeyRotationCommand, KMSClient } from "@aws-sdk/client-kms";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "./support/cli.js";
import { clientConfig, useEmulator } from "./support/emulator.js";
import { kmsOnlyConfig } from "./fixtures/controls.js";

const emulator = useEmulator();

const CONFIG = kmsOnlyConfig();

let folder: string;
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), "cli-"));
  await writeFile(join(folder, "controls.yaml"), CONFIG);
});
afterEach(() => rm(folder, { recursive: true, force: true }));

async function filesUnder(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

describe("soc2-evidence as a process", () => {
  it("prints its version and help", async () => {
    const version = await runCli(["--version"]);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const help = await runCli(["--help"]);
    expect(help.stdout).toContain("collect");
    expect(help.stdout).toContain("exit codes");
  });

  it("exits 2 with every config problem and writes nothing", async () => {
    await writeFile(
      join(folder, "controls.yaml"),
      CONFIG.replace("kms-key-rotation", "kms-rotaton").replace(
        "regions: [us-east-1]",
        "regions: [us-east-1], colour: blue",
      ),
    );
    const out = join(folder, "evidence");
    const result = await runCli(
      ["collect", "--period", "current", "--config", join(folder, "controls.yaml"), "--out", out],
      emulator().env,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown collector "kms-rotaton" (did you mean "kms-key-rotation"?)');
    expect(result.stderr).toContain('scope.colour: unknown key "colour"');
    expect(result.stderr).toMatch(/controls\.yaml:3:\d+/);
    expect(await filesUnder(out)).toEqual([]);
    expect(emulator().proxy.calls).toEqual([]);
  });

  it.each([
    ["an unknown command", ["colect"]],
    ["a period that has not started", ["collect", "--period", "2099-Q1"]],
    ["an unknown option", ["collect", "--period", "current", "--frobnicate"]],
    ["an unknown format", ["collect", "--period", "current", "--format", "docx"]],
    ["a malformed account id", ["collect", "--period", "current", "--accounts", "12345"]],
  ])("exits 2 on %s", async (_name, args) => {
    const result = await runCli(
      [...args, "--config", join(folder, "controls.yaml"), "--out", join(folder, "evidence")],
      emulator().env,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/soc2-evidence: /);
    expect(await filesUnder(join(folder, "evidence"))).toEqual([]);
  });

  it("exits 3 and marks nothing complete when AWS cannot be reached", async () => {
    const out = join(folder, "evidence");
    const result = await runCli(
      ["collect", "--period", "current", "--config", join(folder, "controls.yaml"), "--out", out],
      {
        ...emulator().env,
        AWS_ENDPOINT_URL: "http://127.0.0.1:9",
        AWS_MAX_ATTEMPTS: "1",
      },
    );
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/cannot identify the caller with STS GetCallerIdentity/);
    expect((await filesUnder(out)).filter((file) => file.endsWith("manifest.json"))).toEqual([]);
  });

  it("collects, packages and summarises a period with --json", async () => {
    const kms = new KMSClient(clientConfig(emulator()));
    const good = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId;
    await kms.send(new EnableKeyRotationCommand({ KeyId: good }));
    await kms.send(new CreateKeyCommand({ Description: "no rotation" }));
    const out = join(folder, "evidence");
    const result = await runCli(
      [
        "collect",
        "--period",
        "current",
        "--config",
        join(folder, "controls.yaml"),
        "--out",
        out,
        "--json",
        "--format",
        "json",
      ],
      emulator().env,
    );
    expect(result.code).toBe(1);
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({ status: "deficient", items: { pass: 1, fail: 1 } });
    expect(summary.controls[0]).toMatchObject({ id: "CC6.1", status: "deficient" });
    const manifest = JSON.parse(await readFile(summary.manifest, "utf8"));
    expect(manifest.files.map((file: { path: string }) => file.path)).toContain("evidence.json");
    const latest = JSON.parse(
      await readFile(join(out, "packages", summary.period.label, "latest.json"), "utf8"),
    );
    expect(latest.runId).toBe(summary.runId);
    // The auditor can point verify at the period folder: it follows latest.json to the newest complete package.
    const verified = await runCli(["verify", join(out, "packages", summary.period.label)], emulator().env);
    expect(verified.code, verified.stdout).toBe(0);
    expect(verified.stderr).toContain(`to run ${summary.runId}`);
    // Off a TTY the run logs JSON lines, and never a credential.
    const events = result.stderr
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line));
    expect(events.map((event) => event.event)).toEqual(
      expect.arrayContaining(["snapshot.start", "collector.done", "snapshot.done", "package.done"]),
    );
    expect(result.stderr).not.toContain(
      emulator().env.AWS_SECRET_ACCESS_KEY === "testing" ? "secretAccessKey" : "",
    );
  });

  it("validates a config without touching AWS", async () => {
    const result = await runCli(["controls", "--validate", "--config", join(folder, "controls.yaml")]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/valid \(1 controls, 1 collector uses, 0 exceptions\)/);
    const listing = await runCli(["controls", "--config", join(folder, "controls.yaml")]);
    expect(listing.stdout).toContain("maxRotationPeriodDays: 365");
  });
});
