// A full `collect` over the Secrets-Manager-on-ECS estate, as a process: no plaintext value in the store, logs or stdout.
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedSecretsOnEcs, type SecretsOnEcs } from "./fixtures/secrets-on-ecs.js";
import { runCli, type CliResult } from "./support/cli.js";
import { useEmulator } from "./support/emulator.js";

const emulator = useEmulator();
const REGION = "us-east-1";
const CONTROLS = `version: 1
organization: Acme Inc.
scope:
  accounts: [current]
  regions: [${REGION}]
store:
  prefix: soc2/
controls:
  - id: CC6.1
    title: Credentials are protected
    collectors:
      - use: ecs-task-secrets
      - use: secrets-encryption
      - use: secrets-hygiene
  - id: CC7.2
    title: Secret access is monitored
    collectors:
      - use: secrets-monitoring
`;

let folder: string;
let estate: SecretsOnEcs;
let run: CliResult;
const files = new Map<string, string>();

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "secrets-on-ecs-"));
  estate = await seedSecretsOnEcs(emulator(), REGION, new Date());
  await writeFile(join(folder, "controls.yaml"), CONTROLS);
  run = await runCli(
    ["collect", "--period", "current", "--config", join(folder, "controls.yaml"), "--out", join(folder, "evidence"), "--json"],
    { ...emulator().env, SOC2_EVIDENCE_DEBUG: "1" },
  );
  for (const entry of await readdir(join(folder, "evidence"), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(path, (await readFile(path)).toString("utf8"));
  }
}, 180_000);
afterAll(() => rm(folder, { recursive: true, force: true }));

describe("collect over the Secrets-Manager-on-ECS estate", () => {
  it("writes the four collectors' items, with the plaintext task definition failing", () => {
    expect(run.code, run.stderr.slice(-2000)).toBe(1);
    const items = [...files].filter(([path]) => path.endsWith(".jsonl")).flatMap(([, text]) => text.split("\n").filter(Boolean).map((line) => JSON.parse(line) as { collector?: string; status?: string; resource?: { name?: string } }));
    const collectors = new Set(items.map((item) => item.collector));
    for (const id of ["ecs-task-secrets", "secrets-encryption", "secrets-hygiene", "secrets-monitoring"]) expect(collectors).toContain(id);
    expect(items.find((item) => item.collector === "ecs-task-secrets" && item.resource?.name === "legacy-worker:1")?.status).toBe("fail");
  });

  it("puts no plaintext value in any store file, the logs or stdout", () => {
    expect(estate.plaintextValues).toHaveLength(3);
    expect(files.size).toBeGreaterThan(3);
    const leaks = [...files].flatMap(([path, text]) => estate.plaintextValues.filter((value) => text.includes(value)).map(() => path));
    expect(leaks).toEqual([]);
    for (const value of estate.plaintextValues) expect(run.stdout + run.stderr).not.toContain(value);
    expect(emulator().proxy.count("GetSecretValue") + emulator().proxy.count("BatchGetSecretValue")).toBe(0);
  });
});
