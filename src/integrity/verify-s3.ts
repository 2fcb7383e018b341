// verify for a package in S3: each listed VersionId must still exist, be the current version, and hash as listed. Read-only.
import { packagePrefix } from "../core/store-layout.js";
import type { S3Client } from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { StoreError, UsageError } from "../core/errors.js";
import type { Manifest } from "./manifest.js";
import { SIGNATURE_FILE } from "./sign.js";
import { compareDigest, type Entry, type PackageSource, type Problem } from "./verify.js";
import { sdk } from "../core/sdk.js";

const { GetObjectCommand, ListObjectVersionsCommand } = sdk("@aws-sdk/client-s3");

interface Version {
  versionId: string;
  latest: boolean;
  deleteMarker: boolean;
  modified: number;
}

const nameOf = (error: unknown) => (error as Error).name;
const statusOf = (error: unknown) =>
  (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

/** s3://bucket/<prefix>packages/<period>/<runId>[/manifest.json] -> bucket and the package folder's key prefix. */
export function parseS3Location(location: string): { bucket: string; folder: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(location);
  if (!match?.[1]) throw new UsageError(`"${location}" is not an s3://bucket/prefix location`);
  const path = (match[2] ?? "").replace(/manifest\.json$/, "").replace(/\/*$/, "");
  return { bucket: match[1], folder: path ? `${path}/` : "" };
}

export class S3PackageSource implements PackageSource {
  readonly location: string;
  private readonly bucket: string;
  private readonly folder: string;
  /** Store root inside the bucket (the part before packages/<period>/<runId>/), when the layout shows it. */
  private root?: string;
  private readonly versions = new Map<string, Version[]>();

  constructor(
    private readonly client: S3Client,
    location: string,
  ) {
    ({ bucket: this.bucket, folder: this.folder } = parseS3Location(location));
    this.location = `s3://${this.bucket}/${this.folder}`;
  }

  async readManifest(problems: Problem[]): Promise<Buffer | undefined> {
    const key = `${this.folder}manifest.json`;
    await this.listVersions(this.folder);
    const versions = this.versions.get(key) ?? [];
    if (versions[0]?.deleteMarker)
      problems.push({
        file: "manifest.json",
        kind: "deleted",
        detail: "a delete marker hides manifest.json",
      });
    const stored = versions.filter((version) => !version.deleteMarker);
    if (stored.length > 1) {
      problems.push({
        file: "manifest.json",
        kind: "replaced",
        detail: `manifest.json has ${stored.length} versions; a manifest is written once`,
      });
    }
    // The oldest version is the one the run wrote; a later one is the replacement reported above.
    const original = stored.at(-1);
    return original ? this.body(key, original.versionId) : undefined;
  }

  readSignature(): Promise<Buffer | undefined> {
    const key = `${this.folder}${SIGNATURE_FILE}`;
    const current = this.versions.get(key)?.[0];
    return current && !current.deleteMarker ? this.body(key, current.versionId) : Promise.resolve(undefined);
  }

  async prepare(entries: Entry[], manifest: Manifest): Promise<void> {
    const inside = packagePrefix(manifest.period, manifest.runId);
    if (this.folder.endsWith(inside)) this.root = this.folder.slice(0, -inside.length);
    if (this.root === undefined) return;
    // One listing per month (snapshots/<yyyy>/<mm>/) instead of one call per file.
    const months = new Set(
      entries
        .filter((entry) => entry.scope === "snapshot")
        .map((entry) => entry.file.key.split("/").slice(0, 3).join("/")),
    );
    for (const month of months) await this.listVersions(`${this.root}${month}/`);
  }

  async check(entry: Entry): Promise<Problem[]> {
    const key = this.keyOf(entry);
    if (!key)
      return [
        {
          file: entry.name,
          kind: "missing",
          detail: "the package is not inside a store layout, so its snapshots cannot be found",
        },
      ];
    const versions = this.versions.get(key) ?? [];
    const listed = entry.file.versionId;
    const current = versions[0];
    if (!current)
      return [{ file: entry.name, kind: "missing", detail: `no object s3://${this.bucket}/${key}` }];
    const problems: Problem[] = [];
    if (!listed)
      problems.push({
        file: entry.name,
        kind: "manifest",
        detail: "the manifest records no VersionId for it; checking the current version",
      });
    else if (!versions.some((version) => version.versionId === listed && !version.deleteMarker)) {
      return [
        {
          file: entry.name,
          kind: "missing",
          detail: `version ${listed} no longer exists (current: ${current.deleteMarker ? "a delete marker" : current.versionId})`,
        },
      ];
    } else if (current.deleteMarker) {
      problems.push({
        file: entry.name,
        kind: "deleted",
        detail: `a delete marker (${current.versionId}) hides version ${listed}`,
      });
    } else if (current.versionId !== listed) {
      problems.push({
        file: entry.name,
        kind: "replaced",
        detail: `a newer version ${current.versionId} is over the listed ${listed}`,
      });
    }
    const versionId = listed ?? (current.deleteMarker ? undefined : current.versionId);
    if (!versionId) return problems;
    const actual = await this.digest(key, versionId);
    return [...problems, ...compareDigest(entry, actual)];
  }

  async readListed(entry: Entry): Promise<Buffer> {
    const key = this.keyOf(entry) as string;
    const versionId = entry.file.versionId ?? this.versions.get(key)?.[0]?.versionId;
    if (!versionId) throw new StoreError(`no version of s3://${this.bucket}/${key} to read`);
    return this.body(key, versionId);
  }

  async unlisted(listed: Set<string>): Promise<string[]> {
    return [...this.versions.entries()]
      .filter(([key, versions]) => key.startsWith(this.folder) && !versions[0]?.deleteMarker)
      .map(([key]) => key.slice(this.folder.length))
      .filter((path) => !listed.has(path));
  }

  close(): void {
    this.client.destroy();
  }

  private keyOf(entry: Entry): string | undefined {
    if (entry.scope === "package") return `${this.folder}${entry.file.key}`;
    return this.root === undefined ? undefined : `${this.root}${entry.file.key}`;
  }

  /** Every version and delete marker under the prefix, newest first per key (the order S3 lists them in). */
  private async listVersions(prefix: string): Promise<void> {
    let markers: { KeyMarker?: string; VersionIdMarker?: string } = {};
    for (;;) {
      const page = await this.send(() =>
        this.client.send(
          new ListObjectVersionsCommand({ Bucket: this.bucket, Prefix: prefix, MaxKeys: 1000, ...markers }),
        ),
      );
      const all = [
        ...(page.Versions ?? []).map((version) => ({ ...version, deleteMarker: false })),
        ...(page.DeleteMarkers ?? []).map((marker) => ({ ...marker, deleteMarker: true })),
      ];
      for (const item of all) {
        if (!item.Key || !item.VersionId) continue;
        const list = this.versions.get(item.Key) ?? [];
        list.push({
          versionId: item.VersionId,
          latest: item.IsLatest === true,
          deleteMarker: item.deleteMarker,
          modified: item.LastModified?.getTime() ?? 0,
        });
        this.versions.set(item.Key, list);
      }
      if (!page.IsTruncated || !page.NextKeyMarker) break;
      markers = {
        KeyMarker: page.NextKeyMarker,
        ...(page.NextVersionIdMarker ? { VersionIdMarker: page.NextVersionIdMarker } : {}),
      };
    }
    // Current version first, then newest to oldest (a stable sort keeps S3's newest-first order within a second).
    for (const list of this.versions.values())
      list.sort((a, b) => Number(b.latest) - Number(a.latest) || b.modified - a.modified);
  }

  private async body(key: string, versionId: string): Promise<Buffer> {
    const result = await this.send(() =>
      this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, VersionId: versionId })),
    );
    return Buffer.from(
      await (result.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
  }

  private async digest(key: string, versionId: string): Promise<{ sha256: string; size: number }> {
    const result = await this.send(() =>
      this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, VersionId: versionId })),
    );
    const body = result.Body as Readable;
    const hash = createHash("sha256");
    let size = 0;
    try {
      for await (const chunk of body) {
        hash.update(chunk as Buffer);
        size += (chunk as Buffer).length;
      }
    } finally {
      body.destroy();
    }
    return { sha256: hash.digest("hex"), size };
  }

  private async send<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      const denied = nameOf(error) === "AccessDenied" || statusOf(error) === 403;
      const hint = denied ? ": verify needs s3:ListBucketVersions, s3:GetObject and s3:GetObjectVersion" : "";
      throw new StoreError(`cannot read ${this.location} (${nameOf(error)})${hint}`, { cause: error });
    }
  }
}
