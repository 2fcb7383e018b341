// verify on a local package, and manifest signing with KMS semantics (DIGEST over SHA-256 of the canonical manifest).
import { DescribeKeyCommand, GetPublicKeyCommand, KMSClient, SignCommand, VerifyCommand } from "@aws-sdk/client-kms";
import { mockClient } from "aws-sdk-client-mock";
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { appendFile, mkdtemp, readFile, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, StoreError } from "../src/core/errors.js";
import { canonicalJson, type Manifest } from "../src/integrity/manifest.js";
import { KmsManifestSigner, SIGNATURE_FILE, type ManifestSignature } from "../src/integrity/sign.js";
import { LocalStore } from "../src/store/local.js";
import { formatReport, LocalPackageSource, verifyPackage } from "../src/integrity/verify.js";
import { SAMPLE_PACKAGE, signP256Digest, signRsaPssDigest, writeSamplePackage } from "./fixtures/evidence-bucket.js";

const KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const kms = mockClient(KMSClient);

let folder: string;
let store: LocalStore;
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), "verify-test-"));
  store = new LocalStore(folder);
  kms.reset();
});
afterEach(() => rm(folder, { recursive: true, force: true }));

const packageDir = () => join(folder, SAMPLE_PACKAGE);
const verifyHere = (options: Parameters<typeof verifyPackage>[1] = {}) =>
  verifyPackage(new LocalPackageSource(packageDir()), options);
const flipByte = async (path: string, at = 10) => {
  const bytes = await readFile(path);
  bytes[at] = (bytes[at] as number) ^ 0x01;
  await writeFile(path, bytes);
};

/** A KMS that signs DIGEST messages as AWS does, with a key held here. */
function fakeKms(
  spec: "ECC_NIST_P256" | "RSA_2048",
  keyState = "Enabled",
  keyUsage = "SIGN_VERIFY",
): KeyObject {
  const { privateKey } =
    spec === "RSA_2048"
      ? generateKeyPairSync("rsa", { modulusLength: 2048 })
      : generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  kms.on(DescribeKeyCommand).resolves({
    KeyMetadata: {
      KeyId: "1234abcd",
      Arn: KEY_ARN,
      KeySpec: spec,
      KeyUsage: keyUsage as "SIGN_VERIFY",
      KeyState: keyState as "Enabled",
    },
  });
  kms.on(GetPublicKeyCommand).resolves({
    KeyId: KEY_ARN,
    PublicKey: createPublicKey(privateKey).export({ format: "der", type: "spki" }),
  });
  kms.on(SignCommand).callsFake((input: { Message: Uint8Array }) => ({
    KeyId: KEY_ARN,
    Signature:
      spec === "RSA_2048"
        ? signRsaPssDigest(privateKey, Buffer.from(input.Message))
        : signP256Digest(privateKey, Buffer.from(input.Message)),
  }));
  return privateKey;
}

const signer = () =>
  new KmsManifestSigner(
    new KMSClient({ region: "us-east-1" }),
    "alias/soc2-evidence-signing",
    () => new Date("2026-08-15T06:20:00Z"),
  );

describe("verify on a local package", () => {
  it("passes a package as written and counts its files, snapshots and bytes", async () => {
    const written = await writeSamplePackage(store);
    const report = await verifyHere();
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({
      ok: true,
      files: written.manifest.files.length,
      snapshots: 4,
      signature: { state: "unsigned" },
    });
    expect(report.bytes).toBe(
      [...written.manifest.files, ...written.snapshotFiles].reduce((sum, file) => sum + file.size, 0),
    );
    expect(formatReport(report)).toContain("INTACT");
  });

  it.each([
    [
      "a flipped byte in evidence.json",
      "evidence.json",
      "altered",
      (dir: string) => flipByte(join(dir, "evidence.json")),
    ],
    [
      "bytes appended to evidence.json",
      "evidence.json",
      "altered",
      (dir: string) => appendFile(join(dir, "evidence.json"), " "),
    ],
    [
      "a removed package file",
      "evidence.json",
      "missing",
      (dir: string) => unlink(join(dir, "evidence.json")),
    ],
    [
      "a file added to the package",
      "extra.pdf",
      "unlisted",
      (dir: string) => writeFile(join(dir, "extra.pdf"), "%PDF"),
    ],
    [
      "a flipped byte in a snapshot",
      "snapshots/2026/08/01/20260801T060000Z-000001/kms-key-rotation.jsonl",
      "altered",
      () => flipByte(join(folder, "snapshots/2026/08/01/20260801T060000Z-000001/kms-key-rotation.jsonl")),
    ],
    [
      "a removed snapshot",
      "snapshots/2026/07/31/20260731T060000Z-000000/snapshot.json",
      "missing",
      () => unlink(join(folder, "snapshots/2026/07/31/20260731T060000Z-000000/snapshot.json")),
    ],
  ])("fails on %s and names the file", async (_case, file, kind, tamper) => {
    await writeSamplePackage(store);
    await tamper(packageDir());
    const report = await verifyHere();
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([expect.objectContaining({ file, kind })]);
    expect(formatReport(report)).toContain(`${file}: ${kind}`);
  });

  it("reports a folder without a manifest as incomplete", async () => {
    const report = await verifyPackage(new LocalPackageSource(folder));
    expect(report.problems).toEqual([expect.objectContaining({ file: "manifest.json", kind: "missing" })]);
  });

  it("says on its first line that an unsigned package's hashes only detect accidental change, and what would not", async () => {
    await writeSamplePackage(store);
    const report = await verifyHere();
    const [first, second] = formatReport(report).split("\n");
    expect(first).toMatch(/^WARNING: unsigned package: SHA-256 hashes only detect accidental change/);
    expect(first).toContain("signing key (store.signingKey, then verify --require-signature)");
    expect(first).toContain("Object Lock");
    expect(second).toContain("INTACT");
    expect(report.warning).toBe(first);
  });

  it("gives no warning for a signed package", async () => {
    fakeKms("ECC_NIST_P256");
    Object.assign(store, { signer: signer() });
    await writeSamplePackage(store);
    const report = await verifyHere();
    expect(report.warning).toBeUndefined();
    expect(formatReport(report)).not.toContain("WARNING");
  });

  it("passes an unsigned package unless a signature is required", async () => {
    await writeSamplePackage(store);
    expect((await verifyHere()).ok).toBe(true);
    const strict = await verifyHere({ requireSignature: true });
    expect(strict.ok).toBe(false);
    expect(strict.problems).toEqual([expect.objectContaining({ file: SIGNATURE_FILE, kind: "signature" })]);
  });
});

describe("manifest signatures", () => {
  it.each(["ECC_NIST_P256", "RSA_2048"] as const)(
    "signs the manifest digest with a %s key and verifies it offline",
    async (spec) => {
      fakeKms(spec);
      Object.assign(store, { signer: signer() });
      const { manifest } = await writeSamplePackage(store);
      const sign = kms.commandCalls(SignCommand)[0]?.args[0].input;
      const digest = createHash("sha256").update(canonicalJson(manifest)).digest();
      expect(sign).toMatchObject({
        KeyId: KEY_ARN,
        MessageType: "DIGEST",
        SigningAlgorithm: spec === "RSA_2048" ? "RSASSA_PSS_SHA_256" : "ECDSA_SHA_256",
      });
      expect(Buffer.from(sign?.Message as Uint8Array).equals(digest)).toBe(true);
      const saved = JSON.parse(
        await readFile(join(packageDir(), SIGNATURE_FILE), "utf8"),
      ) as ManifestSignature;
      expect(saved).toMatchObject({
        keyArn: KEY_ARN,
        digest: digest.toString("hex"),
        publicKeyPem: expect.stringContaining("BEGIN PUBLIC KEY"),
      });
      const report = await verifyHere({ requireSignature: true });
      expect(report.problems).toEqual([]);
      expect(report.signature).toMatchObject({
        state: "valid",
        keyArn: KEY_ARN,
        fingerprint: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      });
    },
  );

  it.each([
    ["unsigned: hashes alone pass the forgery", false, true],
    ["signed: the signature catches it", true, false],
  ])("a file changed and re-hashed by hand in manifest.json, %s", async (_name, signed, intact) => {
    if (signed) {
      fakeKms("ECC_NIST_P256");
      Object.assign(store, { signer: signer() });
    }
    const { manifest } = await writeSamplePackage(store);
    const target = manifest.files[0]!.path;
    const forged = Buffer.from("forged content\n");
    await writeFile(join(packageDir(), target), forged);
    const path = join(packageDir(), "manifest.json");
    const onDisk = JSON.parse(await readFile(path, "utf8")) as Manifest;
    const files = onDisk.files.map((file) =>
      file.path === target ? { ...file, sha256: createHash("sha256").update(forged).digest("hex"), size: forged.length } : file,
    );
    await writeFile(path, JSON.stringify({ ...onDisk, files }, null, 2));
    const report = await verifyHere();
    expect(report.ok).toBe(intact);
    if (!intact) expect(report.problems).toEqual([expect.objectContaining({ file: SIGNATURE_FILE, kind: "signature" })]);
  });

  it("fails when the manifest is edited after signing", async () => {
    fakeKms("ECC_NIST_P256");
    Object.assign(store, { signer: signer() });
    await writeSamplePackage(store);
    const path = join(packageDir(), "manifest.json");
    const manifest = JSON.parse(await readFile(path, "utf8")) as Manifest;
    await writeFile(path, JSON.stringify({ ...manifest, organization: "Someone Else" }, null, 2));
    const report = await verifyHere();
    expect(report.signature.state).toBe("invalid");
    expect(report.problems).toEqual([
      expect.objectContaining({
        file: SIGNATURE_FILE,
        kind: "signature",
        detail: expect.stringContaining("changed after signing"),
      }),
    ]);
  });

  it.each(["ECC_NIST_P256", "RSA_2048"] as const)(
    "fails a %s signature with one flipped bit",
    async (spec) => {
      fakeKms(spec);
      Object.assign(store, { signer: signer() });
      await writeSamplePackage(store);
      const path = join(packageDir(), SIGNATURE_FILE);
      const saved = JSON.parse(await readFile(path, "utf8")) as ManifestSignature;
      const bytes = Buffer.from(saved.signature, "base64");
      bytes[bytes.length - 5] = (bytes[bytes.length - 5] as number) ^ 0x01;
      await writeFile(path, JSON.stringify({ ...saved, signature: bytes.toString("base64") }));
      const report = await verifyHere();
      expect(report.signature.state).toBe("invalid");
      expect(report.problems).toEqual([expect.objectContaining({ file: SIGNATURE_FILE, kind: "signature" })]);
    },
  );

  it("fails a signature re-made with another key once the expected key is pinned", async () => {
    const original = fakeKms("ECC_NIST_P256");
    Object.assign(store, { signer: signer() });
    await writeSamplePackage(store);
    const pinned = createPublicKey(original).export({ format: "pem", type: "spki" });
    expect((await verifyHere({ publicKey: pinned })).ok).toBe(true);
    const intruder = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey;
    const path = join(packageDir(), SIGNATURE_FILE);
    const signature = JSON.parse(await readFile(path, "utf8")) as ManifestSignature;
    const forged = {
      ...signature,
      signature: signP256Digest(intruder, Buffer.from(signature.digest, "hex")).toString("base64"),
      publicKey: createPublicKey(intruder).export({ format: "der", type: "spki" }).toString("base64"),
    };
    await writeFile(path, JSON.stringify(forged));
    expect((await verifyHere()).signature.state).toBe("valid");
    const report = await verifyHere({ publicKey: pinned });
    expect(report.signature.state).toBe("invalid");
    expect(report.problems[0]?.detail).toContain("not the expected");
  });

  it.each([
    ["valid", { SignatureValid: true }, true],
    ["invalid", { SignatureValid: false }, false],
  ] as const)("records kms:Verify saying %s", async (state, answer, ok) => {
    fakeKms("ECC_NIST_P256");
    Object.assign(store, { signer: signer() });
    await writeSamplePackage(store);
    kms.on(VerifyCommand).resolves(answer);
    const report = await verifyHere({ kms: () => new KMSClient({ region: "us-east-1" }) });
    expect(report.signature.kms).toBe(state);
    expect(report.ok).toBe(ok);
  });

  it("keeps an offline-valid signature valid when kms:Verify cannot be called", async () => {
    fakeKms("ECC_NIST_P256");
    Object.assign(store, { signer: signer() });
    await writeSamplePackage(store);
    kms.on(VerifyCommand).rejects(Object.assign(new Error("denied"), { name: "AccessDeniedException" }));
    const report = await verifyHere({ kms: () => new KMSClient({ region: "us-east-1" }) });
    expect(report).toMatchObject({
      ok: true,
      signature: {
        state: "valid",
        kms: "unavailable",
        detail: expect.stringContaining("AccessDeniedException"),
      },
    });
  });

  it.each([
    ["a symmetric encryption key", "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "Enabled", ConfigError],
    ["an unsupported curve", "ECC_NIST_P384", "SIGN_VERIFY", "Enabled", ConfigError],
    ["a disabled key", "ECC_NIST_P256", "SIGN_VERIFY", "Disabled", StoreError],
  ])("refuses %s before anything is signed", async (_case, spec, usage, state, error) => {
    fakeKms("ECC_NIST_P256");
    kms.on(DescribeKeyCommand).resolves({
      KeyMetadata: {
        KeyId: "k",
        Arn: KEY_ARN,
        KeySpec: spec as "ECC_NIST_P256",
        KeyUsage: usage as "SIGN_VERIFY",
        KeyState: state as "Enabled",
      },
    });
    await expect(signer().prepare()).rejects.toBeInstanceOf(error);
    expect(kms.commandCalls(SignCommand)).toHaveLength(0);
  });

  it("leaves no manifest when signing fails", async () => {
    fakeKms("ECC_NIST_P256");
    kms.on(SignCommand).rejects(Object.assign(new Error("denied"), { name: "AccessDeniedException" }));
    Object.assign(store, { signer: signer() });
    await expect(writeSamplePackage(store)).rejects.toBeInstanceOf(StoreError);
    expect(await store.exists(`${SAMPLE_PACKAGE}manifest.json`)).toBe(false);
    expect(await store.exists("packages/2026-Q3/latest.json")).toBe(false);
  });
});
