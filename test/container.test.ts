// The container image as written (no Docker daemon needed): multi-stage, non-root, no baked-in config or secrets;
// and its entry command, started as a process against the emulator, produces a package.
import { CreateKeyCommand, EnableKeyRotationCommand, KMSClient } from "@aws-sdk/client-kms";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CONFIG_ENV, configSource } from "../src/config/source.js";
import { runCli } from "./support/cli.js";
import { clientConfig, useEmulator } from "./support/emulator.js";

interface Instruction {
  keyword: string;
  args: string;
}

/** Dockerfile instructions, continuation lines joined and comments dropped, grouped by stage (FROM ... AS name). */
function parseDockerfile(text: string): { name: string; image: string; instructions: Instruction[] }[] {
  const logical = text
    .replace(/\\\r?\n/g, " ")
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#"));
  const stages: { name: string; image: string; instructions: Instruction[] }[] = [];
  for (const line of logical) {
    const [, keyword = "", args = ""] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    if (keyword.toUpperCase() === "FROM") {
      const [image = "", , name = String(stages.length)] = args.split(/\s+/);
      stages.push({ name, image, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), args });
    }
  }
  return stages;
}

const dockerfile = parseDockerfile(readFileSync("Dockerfile", "utf8"));
const [build, runtime] = dockerfile;
const all = (keyword: string, stage = runtime) =>
  stage?.instructions.filter((i) => i.keyword === keyword).map((i) => i.args) ?? [];
const execForm = (keyword: string) => JSON.parse(all(keyword).at(-1) ?? "null") as string[] | null;

describe("Dockerfile", () => {
  it("builds in a node:22-slim stage with npm ci and npm run build", () => {
    expect(dockerfile.map((stage) => stage.image)).toEqual(["node:22-slim", "node:22-slim"]);
    expect(all("RUN", build)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^npm ci\b/), "npm run build"]),
    );
  });

  it("runs production dependencies and the compiled code only", () => {
    expect(all("RUN")).toEqual([expect.stringMatching(/^npm ci --omit=dev\b/)]);
    const copies = all("COPY");
    expect(copies).toContain(`--from=${build?.name} /app/dist ./dist`);
    for (const copy of copies) expect(copy).not.toMatch(/\bsrc\b|controls\.yaml|\.env|credentials|\.aws/);
  });

  it("runs as the unprivileged node user, entering the CLI and running one scheduled tick by default", () => {
    expect(all("USER")).toEqual(["node"]);
    const instructions = runtime?.instructions.map((i) => i.keyword) ?? [];
    expect(instructions.lastIndexOf("USER")).toBeGreaterThan(instructions.lastIndexOf("RUN"));
    expect(execForm("ENTRYPOINT")).toEqual(["node", "/app/dist/src/cli.js"]);
    expect(execForm("CMD")).toEqual(["schedule", "--once"]);
  });

  it("bakes in no credentials, secrets or config", () => {
    const declared = dockerfile
      .flatMap((stage) => stage.instructions.filter((i) => i.keyword === "ENV" || i.keyword === "ARG"))
      .map((i) => i.args);
    expect(declared).toEqual(["NODE_ENV=production"]);
    expect(readFileSync("Dockerfile", "utf8")).not.toMatch(
      /AWS_(ACCESS|SECRET|SESSION)|SOC2_EVIDENCE_CONFIG=|--mount=type=secret/,
    );
  });

  it("sends only what it copies to the build context (.dockerignore allow-list)", () => {
    const rules = readFileSync(".dockerignore", "utf8")
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith("#"));
    expect(rules[0]).toBe("*");
    expect(rules.slice(1).every((rule) => rule.startsWith("!"))).toBe(true);
    expect(rules.join(" ")).not.toMatch(/controls\.yaml|evidence|node_modules|\.env/);
  });
});

describe("where the container's controls.yaml comes from", () => {
  it.each([
    [
      "--config wins over the environment",
      "/etc/soc2/controls.yaml",
      "version: 1",
      { kind: "file", path: "/etc/soc2/controls.yaml" },
    ],
    [
      "--config s3:// reads the object",
      "s3://cfg-bucket/soc2/config/controls.yaml",
      undefined,
      { kind: "s3", bucket: "cfg-bucket", key: "soc2/config/controls.yaml" },
    ],
    [
      "the environment holds the YAML itself",
      undefined,
      "version: 1\n",
      { kind: "env", text: "version: 1\n" },
    ],
    [
      "the environment may hold an s3:// URL",
      undefined,
      " s3://cfg-bucket/controls.yaml ",
      { kind: "s3", bucket: "cfg-bucket", key: "controls.yaml" },
    ],
    ["an empty environment variable is unset", undefined, "  ", { kind: "file", path: "./controls.yaml" }],
    ["otherwise ./controls.yaml", undefined, undefined, { kind: "file", path: "./controls.yaml" }],
  ])("%s", (_name, flag, env, expected) => {
    expect(configSource(flag, env === undefined ? {} : { [CONFIG_ENV]: env })).toEqual(expected);
  });

  it("rejects an s3:// location without a key", () => {
    expect(() => configSource("s3://bucket-only")).toThrow(/s3:\/\/BUCKET\/KEY/);
  });
});

describe("the container's entry command (as a process, against the emulator)", () => {
  const emulator = useEmulator();
  let folder: string;
  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), "container-"));
  });
  afterEach(() => rm(folder, { recursive: true, force: true }));

  it("runs ENTRYPOINT + CMD with a mounted config and produces a complete package", async () => {
    const kms = new KMSClient(clientConfig(emulator()));
    const key = await kms.send(new CreateKeyCommand({ Description: "rotating" }));
    await kms.send(new EnableKeyRotationCommand({ KeyId: key.KeyMetadata?.KeyId }));
    kms.destroy();
    const config = join(folder, "controls.yaml");
    await writeFile(
      config,
      "version: 1\norganization: Acme Inc.\nscope: { accounts: [current], regions: [us-east-1] }\n" +
        "controls:\n  - { id: CC6.1, title: Keys rotate, collectors: [{ use: kms-key-rotation }] }\n",
    );
    const [node, cli] = execForm("ENTRYPOINT") as string[];
    expect(node).toBe("node");
    expect(cli).toBe("/app/dist/src/cli.js");
    // The image's /app is this checkout: the same script, the same arguments, plus what the task definition adds.
    const args = [
      ...(execForm("CMD") as string[]),
      "--config",
      config,
      "--out",
      join(folder, "evidence"),
      "--format",
      "json",
    ];
    expect(resolve("dist/src/cli.js")).toBe(resolve((cli as string).replace("/app/", "")));
    const result = await runCli(args, { ...emulator().env, NODE_ENV: "production" });

    // Exit 1: the quarter so far has days without a snapshot, so the control is incomplete (SPEC section 3).
    expect(result.code).toBe(1);
    const summary = result.stderr
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((event) => event.event === "schedule.run");
    expect(summary).toMatchObject({
      outcome: "complete",
      exitCode: 1,
      items: expect.objectContaining({ pass: 1 }),
    });
    const packages = join(folder, "evidence", "packages");
    const [period] = await readdir(packages);
    const runs = (await readdir(join(packages, String(period)), { withFileTypes: true })).filter((entry) =>
      entry.isDirectory(),
    );
    expect(runs.map((run) => run.name)).toEqual([summary?.runId]);
    expect(existsSync(join(packages, String(period), String(summary?.runId), "manifest.json"))).toBe(true);
    expect(existsSync(join(packages, String(period), String(summary?.runId), "evidence.json"))).toBe(true);
  });

  it("takes its config from SOC2_EVIDENCE_CONFIG when no --config is given, and exits 2 on a config object that is not there", async () => {
    const yaml =
      "version: 1\norganization: Acme Inc.\nscope: { accounts: [current], regions: [us-east-1] }\ncontrols:\n  - { id: CC6.1, title: Keys rotate, collectors: [{ use: kms-key-rotation }] }\n";
    const out = join(folder, "evidence");
    // cwd has no controls.yaml: only the environment can supply it.
    const fromEnv = await runCli(
      [...(execForm("CMD") as string[]), "--out", out, "--format", "json"],
      { ...emulator().env, [CONFIG_ENV]: yaml },
      { cwd: folder },
    );
    expect(fromEnv.code, fromEnv.stderr).toBe(1);
    expect(fromEnv.stderr).toContain('"event":"schedule.run"');
    const missing = await runCli(
      [...(execForm("CMD") as string[]), "--config", "s3://no-such-bucket/controls.yaml", "--out", out],
      emulator().env,
      { cwd: folder },
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(
      "s3://no-such-bucket/controls.yaml: cannot read the config: NoSuchBucket",
    );
  });
});
