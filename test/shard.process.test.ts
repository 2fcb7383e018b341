// A run split across three processes (`snapshot --shard i/3`), assembled into one package only when every part is in.
import { CreateKeyCommand, EnableKeyRotationCommand, KMSClient } from "@aws-sdk/client-kms";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseShard, selectShard } from "../src/run/shard.js";
import type { PlannedTask } from "../src/run/runner.js";
import { runCli } from "./support/cli.js";
import { clientConfig, useEmulator } from "./support/emulator.js";
import { kmsOnlyConfig } from "./fixtures/controls.js";

const emulator = useEmulator();
const REGIONS = ["us-east-1", "us-east-2", "us-west-2"];
const CONFIG = kmsOnlyConfig({ regions: REGIONS });

let folder: string;
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), "shard-"));
  await writeFile(join(folder, "controls.yaml"), CONFIG);
});
afterEach(() => rm(folder, { recursive: true, force: true }));

describe("shards", () => {
  it("deals account x region pairs so that every pair lands in exactly one shard", () => {
    const tasks = ["111111111111", "222222222222"].flatMap((account) =>
      REGIONS.map((region) => ({ account, region }) as PlannedTask),
    );
    const dealt = [1, 2, 3, 4].map((index) => selectShard(tasks, { index, count: 4 }));
    expect(dealt.flat()).toHaveLength(tasks.length);
    expect(new Set(dealt.flat().map((task) => `${task.account}${task.region}`)).size).toBe(tasks.length);
    expect(() => parseShard("4/3")).toThrow(/expected i\/n/);
  });

  it("assembles three shard processes into one package, and refuses while a part is missing", async () => {
    for (const region of REGIONS) {
      const kms = new KMSClient(clientConfig(emulator(), region));
      const key = await kms.send(new CreateKeyCommand({ Description: region }));
      await kms.send(new EnableKeyRotationCommand({ KeyId: key.KeyMetadata?.KeyId }));
    }
    const runId = `${new Date().toISOString().slice(0, 10).replace(/-/g, "")}T060000Z-daily`;
    const out = join(folder, "evidence");
    const common = ["--config", join(folder, "controls.yaml"), "--out", out];
    const shard = (index: number) => runCli(["snapshot", "--shard", `${index}/3`, "--run-id", runId, ...common], emulator().env);
    const assemble = () => runCli(["collect", "--period", "current", "--run-id", runId, "--shards", "3", "--json", "--format", "json", ...common], emulator().env);

    const [first, second] = await Promise.all([shard(1), shard(2)]);
    expect([first.code, second.code], first.stdout + first.stderr).toEqual([0, 0]);
    const early = await assemble();
    expect(early.code).toBe(3);
    expect(early.stderr).toContain("shard 3/3 has not finished");
    expect(existsSync(join(out, "packages"))).toBe(false);

    expect((await shard(3)).code).toBe(0);
    const done = await assemble();
    const summary = JSON.parse(done.stdout);
    // One day of a quarter is covered, so the package is written but the controls are incomplete (exit 1).
    expect(done.code).toBe(summary.coverage.missing.length > 0 ? 1 : 0);
    expect(summary.items).toMatchObject({ pass: 3, fail: 0, error: 0 });
    expect(summary.runId).toBe(runId);
    const evidence = JSON.parse(await readFile(join(summary.package, "evidence.json"), "utf8"));
    expect(evidence.items.map((item: { region: string }) => item.region).sort()).toEqual(REGIONS);
    expect(evidence.populations).toHaveLength(3);
  });
});
