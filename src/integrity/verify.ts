// verify: a package is intact when every file the manifest lists hashes the same, still exists as the listed version, and the signature holds.
import { packagePrefix, unsafeKeyReason } from "../core/store-layout.js";
import { lstat, readdir, readFile } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import { mapConcurrent } from "../core/concurrency.js";
import { fileDigest } from "../core/file-digest.js";
import type { Manifest } from "./manifest.js";
import type { StoredFile } from "../core/model.js";
import { checkSignature, checkWithKms, type KmsCheck, type ManifestSignature, SIGNATURE_FILE } from "./sign.js";
import type { KMSClient } from "@aws-sdk/client-kms";
import { stopIfAborted, type PhaseHook } from "../core/stop.js";

export type ProblemKind =
  "altered" | "missing" | "replaced" | "deleted" | "unlisted" | "manifest" | "signature" | "unsafe";

/** Largest evidence.json verify parses to learn which snapshots the package was built from. */
export const MAX_EVIDENCE_JSON_BYTES = 512 * 1024 * 1024;

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
  /** The bytes of a listed entry that `check` found intact (at most its listed size), for evidence.json. */
  readListed(entry: Entry): Promise<Buffer>;
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
  /** A stop (SIGTERM) ends the check between files by throwing its reason: no report, and the CLI exits 3. */
  signal?: AbortSignal;
  hooks?: PhaseHook;
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
  report.bytes = entries.reduce((sum, entry) => sum + (Number.isSafeInteger(entry.file.size) ? entry.file.size : 0), 0);

  // Fail fast: an entry that could lead outside the package or the store is named, and nothing at all is read.
  const unsafe = entries.flatMap((entry) => unsafeEntry(entry));
  if (unsafe.length > 0) {
    problems.push(...unsafe);
    problems.sort((a, b) => a.file.localeCompare(b.file) || a.kind.localeCompare(b.kind));
    return report;
  }
  await source.prepare(entries, manifest);
  await options.hooks?.("verify.checking");
  for await (const found of mapConcurrent(entries, options.concurrency ?? 8, (entry) => {
    stopIfAborted(options.signal);
    return source.check(entry);
  }))
    problems.push(...found);
  stopIfAborted(options.signal);
  problems.push(...(await requiredListings(source, manifest, entries, problems)));
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

/** A manifest entry whose path or size cannot be trusted to stay inside its root and bounded. */
function unsafeEntry(entry: Entry): Problem[] {
  const reason = unsafeKeyReason(entry.file.key);
  const name = typeof entry.name === "string" ? entry.name : JSON.stringify(entry.name);
  if (reason) return [{ file: name, kind: "unsafe", detail: `the manifest path ${reason}; refused unread` }];
  if (!Number.isSafeInteger(entry.file.size) || entry.file.size < 0 || typeof entry.file.sha256 !== "string") {
    return [{ file: name, kind: "unsafe", detail: "the manifest gives no whole size and SHA-256 for it; refused unread" }];
  }
  return [];
}

/**
 * What an unsigned manifest can still be held to: it lists evidence.json, and every snapshot file evidence.json says
 * the package was built from. (report.pdf is listed whenever the package has one; a `--format json` package has none.)
 */
async function requiredListings(source: PackageSource, manifest: Manifest, entries: Entry[], problems: Problem[]): Promise<Problem[]> {
  const evidence = entries.find((entry) => entry.scope === "package" && entry.name === "evidence.json");
  if (!evidence) return [{ file: "evidence.json", kind: "missing", detail: "the manifest does not list evidence.json: every package has one" }];
  if (problems.some((problem) => problem.file === "evidence.json")) return [];
  if (evidence.file.size > MAX_EVIDENCE_JSON_BYTES) return [];
  let named: unknown;
  try {
    named = (JSON.parse((await source.readListed(evidence)).toString("utf8")) as { snapshots?: unknown }).snapshots;
  } catch {
    return [{ file: "evidence.json", kind: "manifest", detail: "evidence.json is not readable JSON, so its snapshots cannot be checked against the manifest" }];
  }
  const listed = new Set(manifest.snapshots.map((file) => file.key));
  const keys = (Array.isArray(named) ? named : []).flatMap((snapshot) =>
    Array.isArray((snapshot as { files?: unknown }).files) ? ((snapshot as { files: StoredFile[] }).files.map((file) => file.key)) : [],
  );
  return [...new Set(keys)]
    .filter((key) => !listed.has(key))
    .map((key) => ({ file: String(key), kind: "missing" as const, detail: "evidence.json names this snapshot file but the manifest does not list it" }));
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
    const root = this.rootOf(entry);
    if (root === undefined)
      return [
        {
          file: entry.name,
          kind: "missing",
          detail: "the package folder is not inside a store, so its snapshots cannot be found",
        },
      ];
    const found = await regularFileInside(root, entry.file.key);
    if ("problem" in found) return [{ file: entry.name, ...found.problem }];
    // Bounded work: a file of another size is altered without reading it; one of the listed size is read to that size.
    if (found.size !== entry.file.size) return compareDigest(entry, { sha256: "(not read: the size differs)", size: found.size });
    return compareDigest(entry, await fileDigest(found.path, entry.file.size + 1));
  }

  async readListed(entry: Entry): Promise<Buffer> {
    const root = this.rootOf(entry) as string;
    const found = await regularFileInside(root, entry.file.key);
    if ("problem" in found) throw new Error(found.problem.detail);
    return readFile(found.path);
  }

  private rootOf(entry: Entry): string | undefined {
    return entry.scope === "package" ? this.location : this.root;
  }

  async unlisted(listed: Set<string>): Promise<string[]> {
    const found: string[] = [];
    // Hidden files and folders count too; links are listed, never followed.
    const walk = async (folder: string): Promise<void> => {
      for (const item of await readdir(folder, { withFileTypes: true })) {
        if (item.isDirectory()) await walk(join(folder, item.name));
        else found.push(relative(this.location, join(folder, item.name)).split(sep).join("/"));
      }
    };
    await walk(this.location);
    return found.filter((path) => !listed.has(path));
  }

  close(): void {}
}

/**
 * `key` under `root`, resolved and checked to stay inside it (with the separator), with no symbolic link on the way
 * and a regular file at the end: verify never follows a link out, and never opens a device, FIFO or socket.
 */
async function regularFileInside(
  root: string,
  key: string,
): Promise<{ path: string; size: number } | { problem: Omit<Problem, "file"> }> {
  const base = resolve(root);
  const path = resolve(base, ...key.split("/"));
  if (!path.startsWith(base + sep)) return { problem: { kind: "unsafe", detail: "resolves outside its folder; refused unread" } };
  let at = base;
  for (const segment of relative(base, path).split(sep)) {
    at = join(at, segment);
    const stats = await lstat(at).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT" || error.code === "ENOTDIR") return undefined;
      throw error;
    });
    if (!stats) return { problem: { kind: "missing", detail: `no file at ${path}` } };
    if (stats.isSymbolicLink()) return { problem: { kind: "unsafe", detail: `${at} is a symbolic link; verify does not follow links` } };
    if (at === path) {
      if (!stats.isFile()) return { problem: { kind: "unsafe", detail: `${path} is not a regular file (a device, FIFO, socket or folder); refused unread` } };
      return { path, size: stats.size };
    }
  }
  return { problem: { kind: "missing", detail: `no file at ${path}` } };
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
