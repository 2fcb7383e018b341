// verify: a package is intact when every file the manifest lists hashes the same, still exists as the listed version, and the signature holds.
import { packagePrefix } from "../core/store-layout.js";
import { readdir, readFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { mapConcurrent } from "../core/concurrency.js";
import type { Manifest } from "./manifest.js";
import type { StoredFile } from "../core/model.js";
import { checkSignature, checkWithKms, type KmsCheck, type ManifestSignature, SIGNATURE_FILE } from "./sign.js";
import { sha256File } from "../store/local.js";
import type { KMSClient } from "@aws-sdk/client-kms";

export type ProblemKind =
  "altered" | "missing" | "replaced" | "deleted" | "unlisted" | "manifest" | "signature";

export interface Problem {
  /** Package path (evidence.json) or store key (snapshots/...) of the file at fault. */
  file: string;
  kind: ProblemKind;
  detail: string;
}

/** One file to check: where it is named in the report, and what the manifest says it is. */
export interface Entry {
  name: string;
  /** Key relative to the package folder (package files) or to the store root (snapshots). */
  file: StoredFile;
  scope: "package" | "snapshot";
}

/** Where a package lives: a local folder or an S3 prefix, seen read-only. */
export interface PackageSource {
  readonly location: string;
  /** manifest.json's bytes, or undefined when there is none; problems with the manifest object itself go to `problems`. */
  readManifest(problems: Problem[]): Promise<Buffer | undefined>;
  readSignature(): Promise<Buffer | undefined>;
  /** Called once with every entry before `check` (S3 lists object versions here). */
  prepare(entries: Entry[], manifest: Manifest): Promise<void>;
  check(entry: Entry): Promise<Problem[]>;
  /** Files in the package folder that the manifest does not list. */
  unlisted(listed: Set<string>): Promise<string[]>;
  close(): void;
}

export interface SignatureState {
  state: "valid" | "invalid" | "unsigned";
  keyArn?: string;
  algorithm?: string;
  fingerprint?: string;
  kms?: KmsCheck["state"];
  detail?: string;
}

export interface VerifyReport {
  location: string;
  ok: boolean;
  period?: string;
  runId?: string;
  generatedAt?: string;
  files: number;
  snapshots: number;
  bytes: number;
  signature: SignatureState;
  /** Set when the package is unsigned: what its hashes can and cannot show, and what would make it tamper-evident. */
  warning?: string;
  problems: Problem[];
}

export interface VerifyOptions {
  requireSignature?: boolean;
  /** PEM or DER public key the signature must come from. */
  publicKey?: string | Buffer;
  /** A KMS client for kms:Verify of the key named in the signature; absent: offline only. */
  kms?: (region: string) => KMSClient;
  concurrency?: number;
}

/** The file's problem when its bytes differ from the manifest. */
export function compareDigest(entry: Entry, actual: { sha256: string; size: number }): Problem[] {
  if (actual.sha256 === entry.file.sha256 && actual.size === entry.file.size) return [];
  return [
    {
      file: entry.name,
      kind: "altered",
      detail: `SHA-256 ${actual.sha256} (${actual.size} bytes), the manifest lists ${entry.file.sha256} (${entry.file.size} bytes)`,
    },
  ];
}

export async function verifyPackage(
  source: PackageSource,
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  const problems: Problem[] = [];
  const report: VerifyReport = {
    location: source.location,
    ok: false,
    // Filled in once the manifest is read; declared here so JSON output keeps this order.
    period: undefined,
    runId: undefined,
    generatedAt: undefined,
    files: 0,
    snapshots: 0,
    bytes: 0,
    signature: { state: "unsigned" },
    problems,
  };
  const bytes = await source.readManifest(problems);
  if (!bytes) {
    problems.push({
      file: "manifest.json",
      kind: "missing",
      detail: `no manifest.json at ${source.location}: not a complete package`,
    });
    return report;
  }
  let manifest: Manifest;
  try {
    manifest = JSON.parse(bytes.toString("utf8")) as Manifest;
    if (!Array.isArray(manifest.files) || !Array.isArray(manifest.snapshots)) throw new Error("no file list");
  } catch {
    problems.push({
      file: "manifest.json",
      kind: "manifest",
      detail: "manifest.json is not a soc2-evidence manifest (unreadable JSON or no file list)",
    });
    return report;
  }
  Object.assign(report, {
    period: manifest.period,
    runId: manifest.runId,
    generatedAt: manifest.generatedAt,
  });
  const entries: Entry[] = [
    ...manifest.files.map((file) => ({
      name: file.path,
      file: { ...file, key: file.path },
      scope: "package" as const,
    })),
    ...manifest.snapshots.map((file) => ({ name: file.key, file, scope: "snapshot" as const })),
  ];
  report.files = manifest.files.length;
  report.snapshots = manifest.snapshots.length;
  report.bytes = entries.reduce((sum, entry) => sum + entry.file.size, 0);

  await source.prepare(entries, manifest);
  for await (const found of mapConcurrent(entries, options.concurrency ?? 8, (entry) => source.check(entry)))
    problems.push(...found);
  const listed = new Set([...manifest.files.map((file) => file.path), "manifest.json", SIGNATURE_FILE]);
  for (const path of await source.unlisted(listed)) {
    problems.push({ file: path, kind: "unlisted", detail: "in the package folder but not in the manifest" });
  }
  report.signature = await signatureState(source, manifest, problems, options);
  if (report.signature.state === "unsigned") report.warning = unsignedWarning(source.location);
  if (report.signature.state === "unsigned" && options.requireSignature) {
    problems.push({
      file: SIGNATURE_FILE,
      kind: "signature",
      detail: "the package is unsigned and --require-signature was given",
    });
  }
  problems.sort((a, b) => a.file.localeCompare(b.file) || a.kind.localeCompare(b.kind));
  report.ok = problems.length === 0;
  return report;
}

async function signatureState(
  source: PackageSource,
  manifest: Manifest,
  problems: Problem[],
  options: VerifyOptions,
): Promise<SignatureState> {
  const raw = await source.readSignature();
  if (!raw) return { state: "unsigned" };
  let signature: ManifestSignature;
  try {
    signature = JSON.parse(raw.toString("utf8")) as ManifestSignature;
  } catch {
    problems.push({
      file: SIGNATURE_FILE,
      kind: "signature",
      detail: "the signature file is not valid JSON",
    });
    return { state: "invalid", detail: "unreadable signature file" };
  }
  const base = { keyArn: signature.keyArn, algorithm: signature.algorithm };
  const offline = checkSignature(manifest, signature, options.publicKey);
  const fingerprint = offline.fingerprint ? { fingerprint: offline.fingerprint } : {};
  if (!offline.valid) {
    problems.push({ file: SIGNATURE_FILE, kind: "signature", detail: offline.reason });
    return { state: "invalid", ...base, ...fingerprint, detail: offline.reason };
  }
  if (!options.kms) return { state: "valid", ...base, ...fingerprint };
  const region = signature.keyArn.split(":")[3] ?? "us-east-1";
  const kms = await checkWithKms(options.kms(region), signature);
  if (kms.state === "invalid") {
    const detail = `KMS key ${signature.keyArn} did not make this signature (kms:Verify says invalid)`;
    problems.push({ file: SIGNATURE_FILE, kind: "signature", detail });
    return { state: "invalid", ...base, ...fingerprint, kms: kms.state, detail };
  }
  return {
    state: "valid",
    ...base,
    ...fingerprint,
    kms: kms.state,
    ...(kms.state === "unavailable" ? { detail: `kms:Verify not available: ${kms.reason}` } : {}),
  };
}

/** A package in a local folder: `<root>/packages/<period>/<runId>`, snapshots under `<root>/snapshots/`. */
export class LocalPackageSource implements PackageSource {
  private root?: string;

  constructor(readonly location: string) {}

  async readManifest(): Promise<Buffer | undefined> {
    return readFile(join(this.location, "manifest.json")).catch(missing);
  }

  async readSignature(): Promise<Buffer | undefined> {
    return readFile(join(this.location, SIGNATURE_FILE)).catch(missing);
  }

  async prepare(_entries: Entry[], manifest: Manifest): Promise<void> {
    const inside = packagePrefix(manifest.period, manifest.runId).replace(/\/$/, "").split("/").join(sep);
    const folder = this.location.replace(/[\\/]+$/, "");
    if (folder.endsWith(inside)) this.root = folder.slice(0, -inside.length);
  }

  async check(entry: Entry): Promise<Problem[]> {
    const path =
      entry.scope === "package"
        ? join(this.location, entry.file.key)
        : this.root !== undefined
          ? join(this.root, entry.file.key)
          : undefined;
    if (!path)
      return [
        {
          file: entry.name,
          kind: "missing",
          detail: "the package folder is not inside a store, so its snapshots cannot be found",
        },
      ];
    try {
      return compareDigest(entry, await sha256File(path));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      return [{ file: entry.name, kind: "missing", detail: `no file at ${path}` }];
    }
  }

  async unlisted(listed: Set<string>): Promise<string[]> {
    const found: string[] = [];
    const walk = async (folder: string): Promise<void> => {
      for (const item of await readdir(folder, { withFileTypes: true })) {
        if (item.name.startsWith(".")) continue;
        if (item.isDirectory()) await walk(join(folder, item.name));
        else found.push(relative(this.location, join(folder, item.name)).split(sep).join("/"));
      }
    };
    await walk(this.location);
    return found.filter((path) => !listed.has(path));
  }

  close(): void {}
}

function missing(error: NodeJS.ErrnoException): undefined {
  if (error.code === "ENOENT") return undefined;
  throw error;
}

/**
 * Anyone who can write the store can change a file and rewrite its hash in manifest.json, so hashes alone only
 * detect accidental change. A manifest signature (store.signingKey) or S3 versions kept under Object Lock (each
 * listed VersionId must still be the current version, which an s3:// verify checks) is what detects deliberate change.
 */
export function unsignedWarning(location: string): string {
  const versions = location.startsWith("s3://")
    ? "this s3:// check confirmed each listed S3 VersionId is still the current one, which is tamper-evident only while the bucket's Object Lock keeps every version"
    : "or keep the package in an S3 bucket under Object Lock and verify its s3:// location, which checks each listed S3 VersionId";
  return (
    "WARNING: unsigned package: SHA-256 hashes only detect accidental change (whoever can write the store can rewrite a file and its hash); " +
    `tamper-evident needs a signing key (store.signingKey, then verify --require-signature) ${location.startsWith("s3://") ? "or Object Lock: " : ""}${versions}`
  );
}

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;

export function formatReport(report: VerifyReport): string {
  const what = report.runId ? `${report.period} run ${report.runId}` : "package";
  const mb = (report.bytes / 1024 / 1024).toFixed(2);
  const signature = report.signature;
  const signed =
    signature.state === "unsigned"
      ? "unsigned"
      : `${signature.state} (${signature.algorithm}, key ${signature.keyArn}, ${signature.fingerprint ?? "?"}` +
        `${signature.kms ? `; kms:Verify ${signature.kms}` : "; offline only"})`;
  const lines = [
    ...(report.warning ? [report.warning] : []),
    `${report.location}: ${what} ${report.ok ? "INTACT" : `NOT INTACT: ${report.problems.length} problem${report.problems.length === 1 ? "" : "s"}`}`,
    `  checked ${count(report.files, "package file")} and ${count(report.snapshots, "snapshot file")}, ${mb} MiB, SHA-256 each`,
    `  signature: ${signed}${signature.detail && signature.state === "valid" ? ` [${signature.detail}]` : ""}`,
    ...report.problems.map((problem) => `  ${problem.file}: ${problem.kind}: ${problem.detail}`),
  ];
  return lines.join("\n") + "\n";
}
