// The S3 store against moto: preflight refusals, checksums, If-None-Match, Object Lock, multipart, listing, pointers.
import type { StoredFile } from "../src/core/model.js";
import { judgeStoreTransport } from "../src/run/store-transport.js";
import { GetObjectCommand, HeadObjectCommand, PutBucketPolicyCommand } from "@aws-sdk/client-s3";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StoreError } from "../src/core/errors.js";
import { createS3Client, S3Store, type S3StoreOptions } from "../src/store/s3.js";
import { openS3Store } from "../src/store/open.js";
import { partSizeFor, uploadInParts } from "../src/store/s3-multipart.js";
import { allowReadTo, policyOf } from "./fixtures/buckets.js";
import { createEvidenceBucket, fixtureS3, versionsIn, type BucketSetup } from "./fixtures/evidence-bucket.js";
import { useEmulatorEnv } from "./support/context.js";
import { useEmulator } from "./support/emulator.js";

const emulator = useEmulator();
const BUCKET = "acme-evidence";
const NOW = new Date("2026-08-15T06:00:00.000Z");
const DAY_MS = 86_400_000;

let restoreEnv: () => void;
let folder: string;
const stores: S3Store[] = [];
beforeEach(async () => {
  restoreEnv = useEmulatorEnv(emulator());
  folder = await mkdtemp(join(tmpdir(), "s3-store-"));
});
afterEach(async () => {
  for (const store of stores.splice(0)) store.destroy();
  restoreEnv();
  await rm(folder, { recursive: true, force: true });
});

function storeFor(options: Partial<S3StoreOptions> = {}): S3Store {
  const store = new S3Store({
    client: createS3Client("us-east-1"),
    bucket: BUCKET,
    prefix: "soc2/",
    region: "us-east-1",
    now: () => NOW,
    ...options,
  });
  stores.push(store);
  return store;
}

/** Every command input the store's client sends, by command name. */
function captureInputs(store: S3Store): Map<string, Record<string, unknown>[]> {
  const seen = new Map<string, Record<string, unknown>[]>();
  const client = (store as unknown as { client: { middlewareStack: { add(...args: unknown[]): void } } })
    .client;
  client.middlewareStack.add(
    (next: (args: unknown) => unknown, context: { commandName: string }) =>
      (args: { input: Record<string, unknown> }) => {
        seen.set(context.commandName, [...(seen.get(context.commandName) ?? []), args.input]);
        return next(args);
      },
    { step: "initialize", name: "captureInputs" },
  );
  return seen;
}

const bucket = (setup: BucketSetup = {}) => createEvidenceBucket(fixtureS3(emulator()), BUCKET, setup);
const head = (key: string) =>
  fixtureS3(emulator()).send(new HeadObjectCommand({ Bucket: BUCKET, Key: key, ChecksumMode: "ENABLED" }));
const b64sha = (body: Buffer | string) => createHash("sha256").update(body).digest("base64");

describe("S3 store preflight", () => {
  it("refuses an unversioned bucket with the fix, before anything is written", async () => {
    await bucket({ versioning: false });
    const store = await openS3Store({
      bucket: BUCKET,
      prefix: "soc2/",
      store: { prefix: "soc2/", retainDays: 400 },
      region: "us-east-1",
    });
    const refusal = store.preflight();
    await expect(refusal).rejects.toBeInstanceOf(StoreError);
    await expect(refusal).rejects.toThrow(
      `aws s3api put-bucket-versioning --bucket ${BUCKET} --versioning-configuration Status=Enabled`,
    );
    // A caller that skips the preflight is refused too.
    await expect(store.put("snapshots/x.json", "{}", "application/json")).rejects.toBeInstanceOf(StoreError);
    expect(await versionsIn(fixtureS3(emulator()), BUCKET)).toEqual([]);
    expect(emulator().proxy.count("PutObject")).toBe(0);
  });

  it.each([
    ["a missing bucket", false, "does not exist"],
    ["a bucket the role may not read", true, "access denied"],
  ])("refuses %s with what to do", async (_case, deny, message) => {
    if (deny) {
      await bucket();
      emulator().proxy.inject({ service: "s3", operation: "GetBucketLocation", kind: "deny" });
    }
    const error = await storeFor()
      .preflight()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).exitCode).toBe(3);
    expect((error as Error).message).toContain(message);
  });

  it("records Object Lock, SSE-KMS and Block Public Access, and warns of a policy without TLS enforcement", async () => {
    await bucket({
      objectLock: true,
      defaultRetention: { mode: "COMPLIANCE", days: 1 },
      encryption: { algorithm: "aws:kms", kmsKeyId: "alias/evidence" },
      blockPublicAccess: true,
      policy: policyOf(allowReadTo(BUCKET, "arn:aws:iam::123456789012:role/auditor")),
    });
    const facts = judgeStoreTransport(await storeFor().preflight());
    expect(facts).toMatchObject({
      kind: "s3",
      location: `s3://${BUCKET}/soc2/`,
      versioning: "Enabled",
      objectLock: { enabled: true, mode: "COMPLIANCE", days: 1 },
      encryption: { algorithm: "aws:kms", kmsKeyId: "alias/evidence" },
      publicAccessBlock: {
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
        BlockPublicPolicy: true,
        RestrictPublicBuckets: true,
      },
      tlsEnforced: false,
    });
    expect(facts.warnings).toEqual([expect.stringContaining("does not deny non-TLS requests")]);
  });

  it("warns of a bucket with no Object Lock, no public access block and no policy, and records SSE-S3", async () => {
    await bucket();
    const facts = judgeStoreTransport(await storeFor().preflight());
    expect(facts).toMatchObject({
      objectLock: { enabled: false },
      encryption: { algorithm: "AES256" },
      tlsEnforced: false,
    });
    expect(facts.warnings.join("\n")).toMatch(
      /no Object Lock[\s\S]*Block Public Access is off[\s\S]*no bucket policy/,
    );
  });

  it("records a TLS-only bucket policy as enforced (answered by the proxy: moto would refuse plain HTTP)", async () => {
    await bucket();
    const arn = `arn:aws:s3:::${BUCKET}`;
    const tlsOnly = policyOf({
      Sid: "TlsOnly",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: [arn, `${arn}/*`],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
    await fixtureS3(emulator()).send(
      new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: policyOf(allowReadTo(BUCKET, "*")) }),
    );
    emulator().proxy.patch("s3", "GetBucketPolicy", () => JSON.parse(tlsOnly));
    const facts = judgeStoreTransport(await storeFor().preflight());
    expect(facts.tlsEnforced).toBe(true);
    expect(facts.warnings.some((warning) => warning.includes("TLS"))).toBe(false);
  });
});

describe("S3 store writes", () => {
  it.each([
    ["no default retention", undefined, "GOVERNANCE"],
    ["a COMPLIANCE default", { mode: "COMPLIANCE" as const, days: 1 }, "COMPLIANCE"],
  ])("writes with a SHA-256 checksum and retention, under %s", async (_case, defaultRetention, mode) => {
    await bucket({ objectLock: true, ...(defaultRetention ? { defaultRetention } : {}) });
    const store = storeFor({ retainDays: 400 });
    const inputs = captureInputs(store);
    const stored = await store.put(
      "snapshots/2026/08/15/run/snapshot.json",
      '{"complete":true}',
      "application/json",
    );
    const object = await head("soc2/snapshots/2026/08/15/run/snapshot.json");
    expect(stored).toMatchObject({
      key: "snapshots/2026/08/15/run/snapshot.json",
      size: 17,
      versionId: object.VersionId,
    });
    expect(stored.sha256).toBe(createHash("sha256").update('{"complete":true}').digest("hex"));
    expect(object.ChecksumSHA256).toBe(b64sha('{"complete":true}'));
    expect(object.ObjectLockMode).toBe(mode);
    expect(object.ObjectLockRetainUntilDate?.getTime()).toBe(NOW.getTime() + 400 * DAY_MS);
    expect(inputs.get("PutObjectCommand")?.[0]).toMatchObject({
      ChecksumAlgorithm: "SHA256",
      ChecksumSHA256: b64sha('{"complete":true}'),
      IfNoneMatch: "*",
    });
  });

  it("never overwrites a key (If-None-Match) and leaves the first version alone", async () => {
    await bucket();
    const store = storeFor();
    const first = await store.put("packages/Q3/run/evidence.json", "first", "application/json");
    await expect(store.put("packages/Q3/run/evidence.json", "second", "application/json")).rejects.toThrow(
      /refusing to overwrite/,
    );
    const versions = await versionsIn(fixtureS3(emulator()), BUCKET, "soc2/packages/");
    expect(versions.map((version) => version.versionId)).toEqual([first.versionId]);
    expect((await store.get("packages/Q3/run/evidence.json")).toString()).toBe("first");
  });

  it("writes latest.json as a new version each time", async () => {
    await bucket();
    const store = storeFor();
    const one = (await store.putPointer("packages/Q3/latest.json", '{"runId":"a"}')) as StoredFile;
    const two = (await store.putPointer("packages/Q3/latest.json", '{"runId":"b"}')) as StoredFile;
    expect(one.versionId).not.toBe(two.versionId);
    expect((await versionsIn(fixtureS3(emulator()), BUCKET, "soc2/packages/Q3/latest.json")).length).toBe(2);
    expect((await store.get("packages/Q3/latest.json")).toString()).toBe('{"runId":"b"}');
    expect((await store.get("packages/Q3/latest.json", one.versionId)).toString()).toBe('{"runId":"a"}');
  });

  it("moves latest.json only forward: the compare runs on the pointer read, and the write is conditional on its ETag", async () => {
    await bucket();
    const store = storeFor();
    const key = "packages/Q3/latest.json";
    const newer = (body: string) => (current: Buffer | undefined) => !current || current.toString() < body;
    expect(await store.putPointer(key, "2", newer("2"))).toBeDefined();
    // A writer whose compare passed against "2", but whose write lands after a third writer moved the pointer to "3":
    // the If-Match on the ETag of "2" fails, it compares again with "3", and keeps it.
    let raced = false;
    const late = await store.putPointer(key, "2.5", async (current) => {
      if (!raced) {
        raced = true;
        await storeFor().putPointer(key, "3");
      }
      return newer("2.5")(current);
    });
    expect(late).toBeUndefined();
    expect((await store.get(key)).toString()).toBe("3");
    expect(await store.putPointer(key, "1", newer("1"))).toBeUndefined();
  });

  it("uploads a file above the threshold in SHA-256 checked parts, and refuses to complete over an existing key", async () => {
    await bucket({ objectLock: true });
    const file = join(folder, "big.pdf");
    const bytes = randomBytes(11 * 1024 * 1024 + 7);
    await writeFile(file, bytes);
    const store = storeFor({
      retainDays: 30,
      multipartThreshold: 6 * 1024 * 1024,
      partSize: 5 * 1024 * 1024,
    });
    const inputs = captureInputs(store);
    const stored = await store.putFile("packages/Q3/run/report.pdf", file, "application/pdf");
    expect(stored).toMatchObject({
      size: bytes.length,
      sha256: createHash("sha256").update(bytes).digest("hex"),
    });
    expect(emulator().proxy.count("UploadPart")).toBe(3);
    expect(emulator().proxy.count("PutObject")).toBe(0);
    // moto 5.2 drops Object Lock headers on CreateMultipartUpload, so the request itself is what can be checked here.
    expect(inputs.get("CreateMultipartUploadCommand")?.[0]).toMatchObject({
      ChecksumAlgorithm: "SHA256",
      ObjectLockMode: "GOVERNANCE",
      ObjectLockRetainUntilDate: new Date(NOW.getTime() + 30 * DAY_MS),
    });
    const parts = inputs.get("UploadPartCommand") ?? [];
    expect(parts.map((part) => part.ChecksumSHA256)).toEqual(
      [0, 1, 2].map((index) =>
        b64sha(bytes.subarray(index * 5 * 1024 * 1024, (index + 1) * 5 * 1024 * 1024)),
      ),
    );
    expect(inputs.get("CompleteMultipartUploadCommand")?.[0]).toMatchObject({ IfNoneMatch: "*" });
    const object = await head("soc2/packages/Q3/run/report.pdf");
    expect(object).toMatchObject({ VersionId: stored.versionId, ContentLength: bytes.length });
    const body = await fixtureS3(emulator()).send(
      new GetObjectCommand({ Bucket: BUCKET, Key: "soc2/packages/Q3/run/report.pdf" }),
    );
    expect(
      Buffer.from(
        await (body.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
      ).equals(bytes),
    ).toBe(true);

    await expect(store.putFile("packages/Q3/run/report.pdf", file, "application/pdf")).rejects.toThrow(
      /refusing to overwrite/,
    );
    expect(emulator().proxy.count("AbortMultipartUpload")).toBe(1);
    expect((await versionsIn(fixtureS3(emulator()), BUCKET, "soc2/packages/Q3/run/report.pdf")).length).toBe(
      1,
    );
  });

  it("keeps a file's parts within S3's 10,000 by making them larger, never smaller than asked", () => {
    const MiB = 1024 * 1024;
    expect(partSizeFor(97 * MiB, 8 * MiB)).toBe(8 * MiB);
    expect(partSizeFor(10_000 * 8 * MiB, 8 * MiB)).toBe(8 * MiB);
    const huge = 10_000 * 8 * MiB + 1;
    expect(partSizeFor(huge, 8 * MiB)).toBeGreaterThan(8 * MiB);
    expect(Math.ceil(huge / partSizeFor(huge, 8 * MiB))).toBeLessThanOrEqual(10_000);
  });

  it("aborts a multipart upload when the file is shorter than it was, rather than send a part's stale tail", async () => {
    await bucket();
    const file = join(folder, "shrunk.json");
    const bytes = randomBytes(7 * 1024 * 1024);
    await writeFile(file, bytes);
    const create = { Bucket: BUCKET, Key: "soc2/packages/Q3/run/shrunk.json" };
    // The size the upload began with is 100 bytes more than the file now holds: the second part comes up short.
    await expect(uploadInParts(createS3Client("us-east-1"), create, file, bytes.length + 100, 5 * 1024 * 1024)).rejects.toThrow(
      `ended at ${bytes.length} bytes, not the ${bytes.length + 100}`,
    );
    expect(emulator().proxy.count("UploadPart")).toBe(1);
    expect(emulator().proxy.count("AbortMultipartUpload")).toBe(1);
    expect(await versionsIn(fixtureS3(emulator()), BUCKET, create.Key)).toEqual([]);
  });

  it("lists keys under a prefix across pages, relative to the store prefix", async () => {
    await bucket();
    const store = storeFor({ listPageSize: 2 });
    for (const day of ["01", "02", "03"])
      await store.put(`snapshots/2026/08/${day}/run/snapshot.json`, day, "application/json");
    await store.put("snapshots/2026/09/01/run/snapshot.json", "x", "application/json");
    const keys: string[] = [];
    for await (const key of store.list("snapshots/2026/08/")) keys.push(key);
    expect(keys).toEqual(["01", "02", "03"].map((day) => `snapshots/2026/08/${day}/run/snapshot.json`));
    expect(emulator().proxy.count("ListObjectsV2")).toBe(2);
    expect(await store.exists("snapshots/2026/08/01/run/snapshot.json")).toBe(true);
    expect(await store.exists("snapshots/2026/08/04/run/snapshot.json")).toBe(false);
  });

  it("retries a throttled write and still writes the object once", async () => {
    await bucket();
    emulator().proxy.inject({ service: "s3", operation: "PutObject", kind: "throttle", times: 1 });
    const stored = await storeFor().put("snapshots/a.json", "{}", "application/json");
    expect(emulator().proxy.count("PutObject")).toBe(2);
    expect(
      (await versionsIn(fixtureS3(emulator()), BUCKET, "soc2/snapshots/")).map(
        (version) => version.versionId,
      ),
    ).toEqual([stored.versionId]);
  });

  it("turns a denied write into a StoreError naming the permission", async () => {
    await bucket();
    emulator().proxy.inject({ service: "s3", operation: "PutObject", kind: "deny" });
    await expect(storeFor().put("snapshots/a.json", "{}", "application/json")).rejects.toThrow(
      /access denied .*s3:PutObject/,
    );
  });
});
