// verify against packages in a versioned, Object-Locked bucket in moto; the CLI as a process for whole runs and a killed run.
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Manifest } from "../src/integrity/manifest.js";
import { createS3Client, S3Store } from "../src/store/s3.js";
import { S3PackageSource } from "../src/integrity/verify-s3.js";
import { LocalPackageSource, verifyPackage, type VerifyReport } from "../src/integrity/verify.js";
import { createEvidenceBucket, fixtureS3, SAMPLE_PACKAGE, signDigestsLikeAws, versionsIn, writeSamplePackage } from "./fixtures/evidence-bucket.js";
import { CLI, runCli } from "./support/cli.js";
import { useEmulatorEnv } from "./support/context.js";
import { clientConfig, useEmulator } from "./support/emulator.js";

const emulator = useEmulator();
const BUCKET = "acme-evidence";
const PREFIX = "soc2/";

let restoreEnv: () => void;
let folder: string;
let store: S3Store;
beforeEach(async () => {
  restoreEnv = useEmulatorEnv(emulator());
  folder = await mkdtemp(join(tmpdir(), "verify-s3-"));
  await createEvidenceBucket(fixtureS3(emulator()), BUCKET, { objectLock: true, blockPublicAccess: true });
  store = new S3Store({
    client: createS3Client("us-east-1"),
    bucket: BUCKET,
    prefix: PREFIX,
    region: "us-east-1",
    retainDays: 30,
  });
});
afterEach(async () => {
  store.destroy();
  restoreEnv();
  await rm(folder, { recursive: true, force: true });
});

const s3 = () => fixtureS3(emulator());
const putOver = (key: string, body: string) =>
  s3().send(
    new PutObjectCommand({ Bucket: BUCKET, Key: `${PREFIX}${key}`, Body: body, ChecksumAlgorithm: "SHA256" }),
  );

async function verifyS3(location = `s3://${BUCKET}/${PREFIX}${SAMPLE_PACKAGE}`): Promise<VerifyReport> {
  const source = new S3PackageSource(createS3Client("us-east-1"), location);
  try {
    return await verifyPackage(source);
  } finally {
    source.close();
  }
}

async function keysUnder(prefix: string): Promise<string[]> {
  const page = await s3().send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${PREFIX}${prefix}` }));
  return (page.Contents ?? []).map((object) => (object.Key ?? "").slice(PREFIX.length));
}

const SNAPSHOT = "snapshots/2026/08/01/20260801T060000Z-000001/kms-key-rotation.jsonl";

describe("verify on a package in S3", () => {
  it("passes a package written to a versioned, Object-Locked bucket, pinning every file's VersionId", async () => {
    const written = await writeSamplePackage(store);
    expect(written.manifest.files.every((file) => file.versionId)).toBe(true);
    expect(written.manifest.snapshots.every((file) => file.versionId)).toBe(true);
    const report = await verifyS3();
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({
      ok: true,
      files: written.manifest.files.length,
      snapshots: 4,
      signature: { state: "unsigned" },
    });
  });

  it.each([
    [
      "a package file replaced by a new version",
      "evidence.json",
      "replaced",
      () => putOver(`${SAMPLE_PACKAGE}evidence.json`, "{}"),
    ],
    [
      "a package file deleted (delete marker)",
      "evidence.json",
      "deleted",
      () =>
        s3().send(
          new DeleteObjectCommand({ Bucket: BUCKET, Key: `${PREFIX}${SAMPLE_PACKAGE}evidence.json` }),
        ),
    ],
    ["a snapshot replaced by a new version", SNAPSHOT, "replaced", () => putOver(SNAPSHOT, "forged\n")],
    [
      "a manifest replaced by a new version",
      "manifest.json",
      "replaced",
      () => putOver(`${SAMPLE_PACKAGE}manifest.json`, "{}"),
    ],
    [
      "a file added to the package",
      "extra.json",
      "unlisted",
      () => putOver(`${SAMPLE_PACKAGE}extra.json`, "{}"),
    ],
  ])("fails on %s and names the file", async (_case, file, kind, tamper) => {
    await writeSamplePackage(store);
    await tamper();
    const report = await verifyS3();
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([expect.objectContaining({ file, kind })]);
  });

  it("fails a local copy with one flipped byte, naming the file", async () => {
    await writeSamplePackage(store);
    for await (const key of store.list("")) {
      await mkdir(dirname(join(folder, key)), { recursive: true });
      await writeFile(join(folder, key), await store.get(key));
    }
    const copy = join(folder, SAMPLE_PACKAGE);
    expect((await verifyPackage(new LocalPackageSource(copy))).ok).toBe(true);
    const bytes = await readFile(join(folder, SNAPSHOT));
    bytes[3] = (bytes[3] as number) ^ 0x20;
    await writeFile(join(folder, SNAPSHOT), bytes);
    const report = await verifyPackage(new LocalPackageSource(copy));
    expect(report.problems).toEqual([expect.objectContaining({ file: SNAPSHOT, kind: "altered" })]);
  });

  it("stops with a StoreError when the auditor may not list versions", async () => {
    await writeSamplePackage(store);
    emulator().proxy.inject({ service: "s3", operation: "ListObjectVersions", kind: "deny" });
    await expect(verifyS3()).rejects.toThrow(/s3:ListBucketVersions/);
  });
});

const config = (store: string) => `version: 1
organization: Acme Inc.
scope: { accounts: [current], regions: [us-east-1] }
store: { ${store} }
controls:
  - id: CC6.1
    title: Encryption keys rotate
    collectors:
      - use: kms-key-rotation
`;

describe("the CLI against the bucket", () => {
  it("packages snapshots an earlier process wrote, signs the manifest, and verify passes it", async () => {
    const kms = new KMSClient(clientConfig(emulator()));
    const key = await kms.send(new CreateKeyCommand({ KeyUsage: "SIGN_VERIFY", KeySpec: "ECC_NIST_P256" }));
    await kms.send(
      new CreateAliasCommand({
        AliasName: "alias/soc2-evidence-signing",
        TargetKeyId: key.KeyMetadata?.KeyId,
      }),
    );
    signDigestsLikeAws(emulator());
    const file = join(folder, "controls.yaml");
    await writeFile(
      file,
      config(`bucket: ${BUCKET}, prefix: ${PREFIX}, retainDays: 30, signingKey: alias/soc2-evidence-signing`),
    );
    const env = emulator().env;

    const first = await runCli(["snapshot", "--config", file, "--quiet"], env);
    expect([0, 1]).toContain(first.code);
    const collected = await runCli(
      ["collect", "--period", "current", "--config", file, "--format", "json", "--json"],
      env,
    );
    expect([0, 1]).toContain(collected.code);
    const summary = JSON.parse(collected.stdout) as { manifest: string; package: string };
    const manifestKey = summary.manifest.replace(`s3://${BUCKET}/${PREFIX}`, "");
    const manifest = JSON.parse((await store.get(manifestKey)).toString()) as Manifest;
    // Two snapshots (each with its .jsonl) were read back from the bucket: the earlier process's and this run's.
    expect(new Set(manifest.snapshots.map((snapshot) => snapshot.key.split("/")[4])).size).toBe(2);
    expect(await keysUnder(manifestKey.replace("manifest.json", "manifest.sig.json"))).toHaveLength(1);

    const verified = await runCli(["verify", summary.package, "--json", "--require-signature"], env);
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({
      ok: true,
      signature: { state: "valid", kms: "valid", keyArn: key.KeyMetadata?.Arn },
    });

    const period = summary.package.replace(/\/[^/]+\/?$/, "");
    const viaLatest = await runCli(["verify", period, "--json"], env);
    expect(viaLatest.code, viaLatest.stdout + viaLatest.stderr).toBe(0);
    expect(JSON.parse(viaLatest.stdout).location).toContain(JSON.parse(verified.stdout).runId);

    await putOver(manifest.files[0]?.key as string, "tampered");
    const failed = await runCli(["verify", summary.package], env);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain(`${manifest.files[0]?.path}: replaced`);
  }, 180_000); // five CLI processes: on a loaded machine each start alone takes seconds

  it("refuses an unversioned bucket with exit 3 and writes nothing", async () => {
    await createEvidenceBucket(s3(), "plain-bucket", { versioning: false });
    const file = join(folder, "controls.yaml");
    await writeFile(file, config("prefix: soc2/"));
    const result = await runCli(
      ["collect", "--period", "current", "--config", file, "--bucket", "plain-bucket"],
      emulator().env,
    );
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(
      "aws s3api put-bucket-versioning --bucket plain-bucket --versioning-configuration Status=Enabled",
    );
    expect(await versionsIn(s3(), "plain-bucket")).toEqual([]);
  });

  it("leaves no manifest and an unchanged latest.json when the process is killed mid-package", async () => {
    const file = join(folder, "controls.yaml");
    await writeFile(file, config(`bucket: ${BUCKET}, prefix: ${PREFIX}`));
    const env = emulator().env;
    const complete = await runCli(
      ["collect", "--period", "current", "--config", file, "--format", "json", "--quiet"],
      env,
    );
    expect([0, 1]).toContain(complete.code);
    const before = new Set(await keysUnder("packages/"));
    const latestKey = [...before].find((key) => key.endsWith("/latest.json")) as string;
    const latest = (await store.get(latestKey)).toString();

    // The manifest, the package's last write, is held at the proxy: the process is killed while it is in flight.
    const held = emulator().proxy.hold({ service: "s3", operation: "PutObject", path: /\/packages\/.+\/manifest\.json/ });
    const child = spawn(
      process.execPath,
      [CLI, "collect", "--period", "current", "--config", file, "--format", "json"],
      {
        env: { ...process.env, ...env },
        stdio: "ignore",
      },
    );
    const exited = new Promise((resolve) => child.once("exit", resolve));
    await held.arrived();
    const fresh = (await keysUnder("packages/")).filter((key) => !before.has(key));
    expect(fresh).toEqual(expect.arrayContaining([expect.stringMatching(/\/evidence\.json$/)]));
    // From the kill on nothing may land: the held manifest write is refused when let go, not forwarded.
    emulator().proxy.inject({ service: "s3", operation: "PutObject", kind: "deny" });
    child.kill("SIGKILL");
    await exited;
    held.release();

    const after = await keysUnder("packages/");
    expect(after.filter((key) => key.endsWith("manifest.json"))).toEqual(
      [...before].filter((key) => key.endsWith("manifest.json")),
    );
    expect((await store.get(latestKey)).toString()).toBe(latest);
    expect(await versionsIn(s3(), BUCKET, `${PREFIX}${latestKey}`)).toHaveLength(1);
  });
});
